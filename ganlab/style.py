"""Growing and styles: Progressive GAN, StyleGAN, StyleGAN2 and alias-free (StyleGAN3) pieces.

Sources, and where this module deviates from them:

- Karras et al. 2018, "Progressive Growing of GANs" (ProGAN): fade-in of a new block,
  x = (1 - alpha) * upsample(old) + alpha * new (section 3, figure 2); equalised learning rate
  w_hat = w * c, c = gain / sqrt(fan_in) (section 4.1); pixel norm
  b = a / sqrt(mean_c a^2 + eps) (eq. in section 4.2); minibatch stddev (section 3, here
  `ganlab.collapse.minibatch_stddev`). Deviation: D downsamples real images itself (average
  pooling) instead of the paper's separate blending of the real images.
- Karras et al. 2019, "A Style-Based Generator Architecture" (StyleGAN): mapping network
  z -> w (8 layers in the paper, 2 by default here), learned constant input, AdaIN (eq. 1),
  per-layer noise, style mixing (section 3.1), truncation in W, w' = w_avg + psi (w - w_avg)
  (section 3.3 / appendix B). `StyleGAN1Generator` is that generator (figure 1b) and the
  `stylegan` variant trains it. Deviations: bilinear upsampling (no blur), the constant drawn
  from N(0, 1), and the variant shares `stylegan2`'s game except its G: the residual D (the
  paper used ProGAN's D), the logistic loss with R1 run lazily every 16 steps with the lr/beta
  correction (the paper ran R1 every step: `r1_every=1`), style mixing in 90% of the batches, no
  path-length regularisation (as in the paper).
- Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN" (StyleGAN2):
  modulated convolution w'_ijk = s_i w_ijk (eq. 1) and demodulation
  w''_ijk = w'_ijk / sqrt(sum_ik w'_ijk^2 + eps) (eq. 3), run as one grouped convolution
  (section 2.2); skip-connection G and residual D (section 4.1); path-length regularisation
  E (||J_w^T y||_2 - a)^2 with y ~ N(0, I / (H W)) (eq. 4); lazy R1 every 16 steps (section 3.1),
  here `Phase(every=16)` in the one trainer, with the official code's correction of the
  regularised team's Adam, lr * c and beta ** c for c = k / (k + 1) (`lazy_regularization`).
  Deviation: projection minimises pixel MSE (the
  paper uses LPIPS and a noise regulariser) and optimises one w shared by all layers.
- Karras et al. 2021, "Alias-Free Generative Adversarial Networks" (StyleGAN3): Fourier-feature
  input (section 3.2), filtered non-linearity (upsample, leaky ReLU, low-pass, downsample,
  section 3.2 and figure 4) and EQ-T, the PSNR between G(translated input) and translated
  G(input) (section 4). Config R (section 3.2, "rotation equivariance"): 1x1 convolutions and a
  radially symmetric low-pass (the paper's jinc-based filter; here its ideal response, a disk in
  the spectrum) in the filtered non-linearity, `AliasFreeGenerator(rotation=True)`; EQ-R
  (section 4, appendix E): the PSNR between G(rotated input) and rotated G(input) inside a
  central disk, `eq_r` / `eq_r_generator`. Deviation: signals here are periodic and every
  resampling, translation and rotation is ideal (FFT; the rotation evaluates the image's Fourier
  series at the rotated pixel positions), instead of windowed-sinc FIR filters on a canvas with
  margins; `AliasFreeGenerator` is one resolution with circular convs and no noise or input
  transform, and a rotated input is rendered on a larger periodic canvas (`canvas`) cropped to
  the image, so that the wrap-around of its non-periodic features lies outside the image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .metrics.psnr import psnr as _psnr_db
from .nets import minibatch_stddev
from .options import opt
from .train import Game, Phase, Step, Team

__all__ = ["pixel_norm", "fade_in", "EqualLinear", "EqualConv2d", "ProGenerator",
           "ProDiscriminator", "progan_schedule", "adain", "AdaINLayer", "NoiseInput",
           "MappingNetwork", "modulated_conv2d", "ModulatedConv2d", "StyleGenerator", "StyleGAN1Generator",
           "ResidualDiscriminator", "truncate_w", "mix_styles", "path_lengths",
           "path_length_penalty", "project", "fourier_features", "fft_resize", "translate",
           "filtered_lrelu", "ToyStack", "eq_t", "AliasFreeGenerator", "eq_t_generator",
           "aliasfree_game", "lazy_regularization", "rotate_fourier", "radial_lowpass", "rotate",
           "disk_mask", "eq_r", "eq_r_generator"]

SQRT2 = math.sqrt(2.0)


# --- ProGAN pieces ---------------------------------------------------------------------------


def pixel_norm(x: Tensor, eps: float = 1e-8) -> Tensor:
    """ProGAN's pixel norm: each position's feature vector scaled to unit mean square over C."""
    return x * (x.square().mean(1, keepdim=True) + eps).rsqrt()  # a / sqrt(mean_c a^2 + eps)


def fade_in(old: Tensor, new: Tensor, alpha: float | Tensor) -> Tensor:
    """(1 - alpha) * old + alpha * new: the ProGAN rule while a new block is blended in."""
    if old.shape != new.shape:
        raise ValueError(f"fade_in blends tensors of one shape; got {tuple(old.shape)} and "
                         f"{tuple(new.shape)} (upsample or downsample the old path first)")
    return old + alpha * (new - old)


class EqualLinear(nn.Module):
    """Linear layer with equalised learning rate: weights ~ N(0, 1/lr_mul^2), scaled at run time."""

    def __init__(self, d_in: int, d_out: int, bias_init: float = 0.0, lr_mul: float = 1.0,
                 gain: float = 1.0) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(d_out, d_in) / lr_mul)
        self.bias = nn.Parameter(torch.full((d_out,), bias_init / lr_mul))
        self.scale, self.lr_mul = gain * lr_mul / math.sqrt(d_in), lr_mul  # c = gain / sqrt(fan_in)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)


class EqualConv2d(nn.Module):
    """Conv with equalised learning rate; `circular` pads periodically (the alias-free toy)."""

    def __init__(self, c_in: int, c_out: int, k: int = 3, bias: bool = True,
                 circular: bool = False, gain: float = 1.0) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c_out, c_in, k, k))
        self.bias = nn.Parameter(torch.zeros(c_out)) if bias else None
        self.scale, self.pad, self.circular = gain / math.sqrt(c_in * k * k), k // 2, circular

    def forward(self, x: Tensor) -> Tensor:
        if self.circular and self.pad:
            x = F.pad(x, [self.pad] * 4, mode="circular")
            return F.conv2d(x, self.weight * self.scale, self.bias)
        return F.conv2d(x, self.weight * self.scale, self.bias, padding=self.pad)


def _lrelu(x: Tensor) -> Tensor:
    return F.leaky_relu(x, 0.2) * SQRT2  # gain sqrt 2 keeps unit variance (He)


def _up(x: Tensor) -> Tensor:
    return F.interpolate(x, scale_factor=2, mode="nearest")  # (B, C, 2H, 2W)


def _stages(size: int) -> int:
    n = int(math.log2(size)) - 1
    if size < 4 or 2 ** (n + 1) != size:
        raise ValueError(f"image size must be a power of two >= 4, got {size}")
    return n  # 4 -> 1 stage, 8 -> 2, 16 -> 3


class _ProBlock(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, pn: bool) -> None:
        super().__init__(EqualConv2d(c_in, c_out), _Act(pn), EqualConv2d(c_out, c_out), _Act(pn))


class _Act(nn.Module):
    def __init__(self, pn: bool) -> None:
        super().__init__()
        self.pn = pn

    def forward(self, x: Tensor) -> Tensor:
        x = _lrelu(x)
        return pixel_norm(x) if self.pn else x


class ProGenerator(nn.Module):
    """ProGAN G: 4x4 from z, one block per doubling; `stage` and `alpha` (buffers) pick the output.

    At stage s the output is (B, C, 4 * 2^s, 4 * 2^s); while alpha < 1 the last block is faded in.
    """

    def __init__(self, nz: int, size: int, channels: int = 1, width: int = 32) -> None:
        super().__init__()
        n = _stages(size)
        self.width = width
        self.first = EqualLinear(nz, width * 16, gain=SQRT2 / 4)  # ProGAN's 4x4 "dense" layer
        self.first_conv = nn.Sequential(_Act(True), EqualConv2d(width, width), _Act(True))
        self.blocks = nn.ModuleList(_ProBlock(width, width, True) for _ in range(n - 1))
        self.to_rgb = nn.ModuleList(EqualConv2d(width, channels, 1) for _ in range(n))
        self.register_buffer("stage", torch.tensor(n - 1))
        self.register_buffer("alpha", torch.tensor(1.0))

    def forward(self, z: Tensor) -> Tensor:
        x = self.first(pixel_norm(z)).view(-1, self.width, 4, 4)  # (B, W, 4, 4)
        x = self.first_conv(x)
        s, prev = int(self.stage), x
        for block in self.blocks[:s]:
            prev, x = x, block(_up(x))  # (B, W, 2H, 2W)
        rgb = self.to_rgb[s](x)
        if s > 0 and float(self.alpha) < 1.0:
            rgb = fade_in(_up(self.to_rgb[s - 1](prev)), rgb, self.alpha)
        return rgb


class ProDiscriminator(nn.Module):
    """ProGAN D, the mirror of `ProGenerator`; input of any size >= its stage is average-pooled."""

    def __init__(self, size: int, channels: int = 1, width: int = 32) -> None:
        super().__init__()
        n = _stages(size)
        self.from_rgb = nn.ModuleList(EqualConv2d(channels, width, 1) for _ in range(n))
        self.blocks = nn.ModuleList(nn.Sequential(_ProBlock(width, width, False), nn.AvgPool2d(2))
                                    for _ in range(n - 1))
        self.final_conv = EqualConv2d(width + 1, width)
        self.fc = nn.Sequential(EqualLinear(width * 16, width), _Act(False), EqualLinear(width, 1))
        self.register_buffer("stage", torch.tensor(n - 1))
        self.register_buffer("alpha", torch.tensor(1.0))

    def forward(self, x: Tensor) -> Tensor:
        s = int(self.stage)
        x = F.adaptive_avg_pool2d(x, 4 * 2 ** s)  # (B, C, R, R) at this stage's resolution
        h = _lrelu(self.from_rgb[s](x))
        if s > 0:
            h = self.blocks[s - 1](h)
            if float(self.alpha) < 1.0:
                h = fade_in(_lrelu(self.from_rgb[s - 1](F.avg_pool2d(x, 2))), h, self.alpha)
        for t in range(s - 2, -1, -1):
            h = self.blocks[t](h)  # (B, W, 4, 4) at the end
        std = minibatch_stddev(h.flatten(1))[:, -1:]  # (B, 1): one scalar, the same for all
        h = torch.cat([h, std[:, :, None, None].expand(-1, 1, 4, 4)], 1)  # (B, W + 1, 4, 4)
        return self.fc(_lrelu(self.final_conv(h)).flatten(1)).flatten()  # (B,)


def progan_schedule(step: int, phase_steps: int, n_stages: int) -> tuple[int, float]:
    """(stage, alpha) at `step`: stage 0 for phase_steps, then per stage a fade and a stable phase."""
    if step < phase_steps:
        return 0, 1.0
    k, r = divmod(step - phase_steps, 2 * phase_steps)
    stage = k + 1
    if stage >= n_stages:
        return n_stages - 1, 1.0
    return stage, min(1.0, r / phase_steps)


# --- StyleGAN pieces -------------------------------------------------------------------------


def adain(x: Tensor, scale: Tensor, bias: Tensor, eps: float = 1e-5) -> Tensor:
    """AdaIN(x_i, y) = y_s,i (x_i - mu(x_i)) / sigma(x_i) + y_b,i (StyleGAN eq. 1).

    x (B, C, H, W); scale, bias (B, C). Statistics per sample and channel over H, W.
    """
    if scale.shape != x.shape[:2] or bias.shape != x.shape[:2]:
        raise ValueError(f"scale and bias must be (B, C) = {tuple(x.shape[:2])}; got "
                         f"{tuple(scale.shape)} and {tuple(bias.shape)}")
    mu = x.mean((2, 3), keepdim=True)  # (B, C, 1, 1)
    sigma = (x.var((2, 3), keepdim=True, unbiased=False) + eps).sqrt()
    return scale[:, :, None, None] * (x - mu) / sigma + bias[:, :, None, None]


class AdaINLayer(nn.Module):
    """A StyleGAN (v1) style block's tail: learned affine A maps w to (y_s, y_b), then AdaIN."""

    def __init__(self, channels: int, w_dim: int) -> None:
        super().__init__()
        self.scale = EqualLinear(w_dim, channels, bias_init=1.0)
        self.bias = EqualLinear(w_dim, channels)

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        return adain(x, self.scale(w), self.bias(w))


class NoiseInput(nn.Module):
    """Per-pixel Gaussian noise times a learned per-channel strength (StyleGAN's B)."""

    def __init__(self, channels: int, size: int) -> None:
        super().__init__()
        self.strength = nn.Parameter(torch.zeros(channels))
        self.register_buffer("const", torch.randn(1, 1, size, size))  # for noise_mode="const"

    def forward(self, x: Tensor, mode: str = "random", noise: Tensor | None = None) -> Tensor:
        """x + strength_c * noise; `noise` (B|1, 1, H, W) given: that image, whatever `mode`."""
        if noise is None:
            if mode == "none":
                return x
            noise = torch.randn_like(x[:, :1]) if mode == "random" else self.const  # (B|1, 1, H, W)
        elif noise.dim() != 4 or noise.shape[1] != 1 or noise.shape[2:] != x.shape[2:]:
            raise ValueError(f"a noise image must be (B or 1, 1, {x.shape[2]}, {x.shape[3]}); "
                             f"got {tuple(noise.shape)}")
        return x + self.strength[None, :, None, None] * noise


class MappingNetwork(nn.Module):
    """z -> w: pixel norm, then `layers` equalised linear layers with lr multiplier 0.01."""

    def __init__(self, nz: int, w_dim: int, layers: int = 2, lr_mul: float = 0.01) -> None:
        super().__init__()
        dims = [nz] + [w_dim] * layers
        self.layers = nn.ModuleList(EqualLinear(a, b, lr_mul=lr_mul) for a, b in zip(dims, dims[1:]))

    def forward(self, z: Tensor) -> Tensor:
        x = pixel_norm(z)  # (B, nz)
        for layer in self.layers:
            x = _lrelu(layer(x))
        return x  # (B, w_dim)


def truncate_w(w: Tensor, w_avg: Tensor, psi: float) -> Tensor:
    """StyleGAN's truncation trick in W: w' = w_avg + psi (w - w_avg) (BigGAN's, in z by
    resampling, is `ganlab.attention.truncate_z`)."""
    return w_avg + psi * (w - w_avg)


def mix_styles(ws1: Tensor, ws2: Tensor, crossover: int) -> Tensor:
    """Per-layer styles (B, L, w_dim): layers < crossover from ws1 (coarse), the rest from ws2."""
    if ws1.shape != ws2.shape or not 0 <= crossover <= ws1.shape[1]:
        raise ValueError(f"need two (B, L, w_dim) tensors of one shape and 0 <= crossover <= L; "
                         f"got {tuple(ws1.shape)}, {tuple(ws2.shape)}, crossover={crossover}")
    keep = (torch.arange(ws1.shape[1], device=ws1.device) < crossover)[None, :, None]
    return torch.where(keep, ws1, ws2)


# --- StyleGAN2 pieces ------------------------------------------------------------------------


def modulated_conv2d(x: Tensor, weight: Tensor, styles: Tensor, demodulate: bool = True,
                     grouped: bool = True, eps: float = 1e-8) -> Tensor:
    """StyleGAN2's modulated convolution (padding k // 2).

    x (B, I, H, W), weight (O, I, k, k), styles (B, I) -> (B, O, H, W).
    w'_bijk = s_bi w_ijk (eq. 1); with demodulation w''_bojk = w'_bojk / sqrt(sum_ik w'^2 + eps)
    (eq. 3). `grouped=True` runs one grouped convolution with a weight per sample (the paper's
    form); `grouped=False` scales the input by s, convolves with the shared weight and scales the
    output by the demodulation factors: the same numbers, and much faster on a CPU.
    """
    b, c_in, h, wd = x.shape
    c_out, _, k, _ = weight.shape
    if styles.shape != (b, c_in) or weight.shape[1] != c_in:
        raise ValueError(f"expected weight (O, {c_in}, k, k) and styles ({b}, {c_in}); got "
                         f"{tuple(weight.shape)} and {tuple(styles.shape)}")
    if not grouped:
        out = F.conv2d(x * styles[:, :, None, None], weight, padding=k // 2)  # (B, O, H, W)
        if demodulate:  # sum_ik (s_i w_oik)^2 = (s^2) @ (sum_k w^2)^T
            d = (styles.square() @ weight.square().sum((2, 3)).T + eps).rsqrt()  # (B, O)
            out = out * d[:, :, None, None]
        return out
    w = weight[None] * styles[:, None, :, None, None]  # (B, O, I, k, k) modulated
    if demodulate:
        w = w * (w.square().sum((2, 3, 4), keepdim=True) + eps).rsqrt()  # demodulated
    out = F.conv2d(x.reshape(1, b * c_in, h, wd), w.reshape(b * c_out, c_in, k, k),
                   padding=k // 2, groups=b)  # one group per sample
    return out.reshape(b, c_out, h, wd)


class ModulatedConv2d(nn.Module):
    """A learned affine A: w -> styles (bias 1), then `modulated_conv2d` with equalised weights."""

    def __init__(self, c_in: int, c_out: int, k: int, w_dim: int, demodulate: bool = True) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c_out, c_in, k, k))
        self.affine = EqualLinear(w_dim, c_in, bias_init=1.0)
        self.scale, self.demodulate = 1.0 / math.sqrt(c_in * k * k), demodulate
        self.grouped = False  # True: the grouped-conv form (same numbers; faster on some GPUs)

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        s = self.affine(w)  # (B, I)
        if not self.demodulate:
            s = s * self.scale  # ToRGB: no demodulation, so keep the equalised scale
        return modulated_conv2d(x, self.weight, s, self.demodulate, self.grouped)


class _StyleLayer(nn.Module):
    def __init__(self, c_in: int, c_out: int, w_dim: int, size: int, up: bool) -> None:
        super().__init__()
        self.conv, self.up = ModulatedConv2d(c_in, c_out, 3, w_dim), up
        self.noise, self.bias = NoiseInput(c_out, size), nn.Parameter(torch.zeros(c_out))

    def forward(self, x: Tensor, w: Tensor, noise_mode: str) -> Tensor:
        if self.up:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        x = self.noise(self.conv(x, w), noise_mode)
        return _lrelu(x + self.bias[None, :, None, None])


class _ToRGB(nn.Module):
    def __init__(self, c_in: int, channels: int, w_dim: int) -> None:
        super().__init__()
        self.conv, self.bias = ModulatedConv2d(c_in, channels, 1, w_dim, False), \
            nn.Parameter(torch.zeros(channels))

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        return self.conv(x, w) + self.bias[None, :, None, None]


class StyleGenerator(nn.Module):
    """StyleGAN2 G with skip connections: mapping z -> w, constant 4x4 input, modulated convs.

    `num_ws` styles: one per conv layer plus one for the last ToRGB; each ToRGB shares its style
    with the next block's first conv (as in StyleGAN2). `w_avg` is tracked in training mode.
    """

    def __init__(self, nz: int, size: int, channels: int = 1, width: int = 32, w_dim: int = 32,
                 map_layers: int = 2, mix_prob: float = 0.9, w_avg_beta: float = 0.995) -> None:
        super().__init__()
        n = _stages(size)
        self.nz, self.w_dim, self.mix_prob, self.w_avg_beta = nz, w_dim, mix_prob, w_avg_beta
        self.mapping = MappingNetwork(nz, w_dim, map_layers)
        self.const = nn.Parameter(torch.randn(1, width, 4, 4))
        self.layers = nn.ModuleList([_StyleLayer(width, width, w_dim, 4, False)])
        self.to_rgb = nn.ModuleList([_ToRGB(width, channels, w_dim)])
        for s in range(1, n):
            r = 4 * 2 ** s
            self.layers.extend([_StyleLayer(width, width, w_dim, r, True),
                                _StyleLayer(width, width, w_dim, r, False)])
            self.to_rgb.append(_ToRGB(width, channels, w_dim))
        self.num_ws = len(self.layers) + 1
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def map(self, z: Tensor, psi: float = 1.0) -> Tensor:
        """w = mapping(z) (B, w_dim); tracks w_avg in training mode; truncation when psi != 1."""
        w = self.mapping(z)
        if self.training:
            with torch.no_grad():
                self.w_avg.lerp_(w.detach().mean(0), 1.0 - self.w_avg_beta)
        return truncate_w(w, self.w_avg, psi) if psi != 1.0 else w

    def broadcast(self, w: Tensor) -> Tensor:
        return w[:, None].expand(-1, self.num_ws, -1)  # (B, num_ws, w_dim)

    def synthesis(self, ws: Tensor, noise_mode: str = "auto") -> Tensor:
        """Images (B, C, H, W) from per-layer styles ws (B, num_ws, w_dim)."""
        if ws.dim() != 3 or ws.shape[1] != self.num_ws:
            raise ValueError(f"ws must be (B, {self.num_ws}, {self.w_dim}); got {tuple(ws.shape)}")
        if noise_mode == "auto":
            noise_mode = "random" if self.training else "const"
        x = self.const.expand(ws.shape[0], -1, -1, -1)  # (B, W, 4, 4)
        x = self.layers[0](x, ws[:, 0], noise_mode)
        rgb = self.to_rgb[0](x, ws[:, 1])
        for i, to_rgb in enumerate(self.to_rgb[1:]):
            a, b = self.layers[1 + 2 * i], self.layers[2 + 2 * i]
            x = b(a(x, ws[:, 1 + 2 * i], noise_mode), ws[:, 2 + 2 * i], noise_mode)
            rgb = F.interpolate(rgb, scale_factor=2, mode="bilinear", align_corners=False) \
                + to_rgb(x, ws[:, 3 + 2 * i])  # skip connection
        return rgb

    def forward(self, z: Tensor, psi: float = 1.0) -> Tensor:
        ws = self.broadcast(self.map(z, psi))
        if self.training and self.mix_prob > 0 and torch.rand(()) < self.mix_prob:
            ws2 = self.broadcast(self.map(torch.randn_like(z), psi))  # style-mixing regulariser
            ws = mix_styles(ws, ws2, int(torch.randint(1, self.num_ws, ())))
        return self.synthesis(ws)


class _AdaINStyleLayer(nn.Module):
    """One StyleGAN (v1) layer: [upsample, 3x3 conv], noise (B), bias, leaky ReLU, AdaIN (A)."""

    def __init__(self, c_in: int, c_out: int, w_dim: int, size: int, conv: bool, up: bool) -> None:
        super().__init__()
        self.conv = EqualConv2d(c_in, c_out, bias=False) if conv else None
        self.up, self.size = up, size
        self.noise, self.bias = NoiseInput(c_out, size), nn.Parameter(torch.zeros(c_out))
        self.style = AdaINLayer(c_out, w_dim)

    def forward(self, x: Tensor, w: Tensor, noise_mode: str, noise: Tensor | None = None) -> Tensor:
        if self.up:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        if self.conv is not None:
            x = self.conv(x)  # (B, C, H, W)
        x = self.noise(x, noise_mode, noise)  # + per-pixel noise times a per-channel strength
        return self.style(_lrelu(x + self.bias[None, :, None, None]), w)  # AdaIN from this w


class StyleGAN1Generator(nn.Module):
    """StyleGAN (v1) G (Karras et al. 2019, figure 1b): mapping z -> w, a learned 4x4 constant,
    and per layer noise, bias, leaky ReLU and `AdaINLayer` from that layer's w.

    The 4x4 block is the constant (noise, AdaIN) then a 3x3 conv (noise, AdaIN); each doubling
    is upsample + 3x3 conv and a second 3x3 conv, each followed by noise and AdaIN; one 1x1
    to-RGB (no style) at the last resolution. So `num_ws` = 2 per resolution (6 at 16x16, 18 at
    1024 as in the paper), and w_i reaches layers >= i only. The last AdaIN sets each channel's
    mean to the last style's y_b and to-RGB is linear, so each image's mean over its pixels is a
    function of the last style alone. Same API as `StyleGenerator`
    (`map`, `broadcast`, `forward` with style mixing in training mode, `synthesis`, `w_avg`).
    Deviations: bilinear upsampling instead of nearest + blur, the constant drawn from N(0, 1)
    (the official code starts it at 1: a flat map, which instance norm cannot tell apart).
    """

    map, broadcast, forward = StyleGenerator.map, StyleGenerator.broadcast, StyleGenerator.forward

    def __init__(self, nz: int, size: int, channels: int = 1, width: int = 32, w_dim: int = 32,
                 map_layers: int = 2, mix_prob: float = 0.9, w_avg_beta: float = 0.995) -> None:
        super().__init__()
        n = _stages(size)
        self.nz, self.w_dim, self.mix_prob, self.w_avg_beta = nz, w_dim, mix_prob, w_avg_beta
        self.mapping = MappingNetwork(nz, w_dim, map_layers)
        self.const = nn.Parameter(torch.randn(1, width, 4, 4))
        self.layers = nn.ModuleList([_AdaINStyleLayer(width, width, w_dim, 4, False, False),
                                     _AdaINStyleLayer(width, width, w_dim, 4, True, False)])
        for s in range(1, n):
            r = 4 * 2 ** s
            self.layers.extend([_AdaINStyleLayer(width, width, w_dim, r, True, True),
                                _AdaINStyleLayer(width, width, w_dim, r, True, False)])
        self.to_rgb = EqualConv2d(width, channels, 1)
        self.num_ws = len(self.layers)
        self.register_buffer("w_avg", torch.zeros(w_dim))

    @property
    def noise_sizes(self) -> list[int]:
        """The side of each layer's noise image, layer by layer (4, 4, 8, 8, ...)."""
        return [layer.size for layer in self.layers]

    def synthesis(self, ws: Tensor, noise_mode: str = "auto",
                  noise: list[Tensor] | None = None) -> Tensor:
        """Images (B, C, H, W) from per-layer styles ws (B, num_ws, w_dim).

        noise_mode: 'random' (fresh per-pixel noise), 'const' (each layer's fixed image), 'none'
        (noise off); 'auto' is random in training mode, const in eval mode. `noise`: one image
        (B|1, 1, r, r) per layer (`noise_sizes`), used instead of the mode's.
        """
        if ws.dim() != 3 or ws.shape[1] != self.num_ws:
            raise ValueError(f"ws must be (B, {self.num_ws}, {self.w_dim}); got {tuple(ws.shape)}")
        if noise is not None and len(noise) != self.num_ws:
            raise ValueError(f"noise must be a list of {self.num_ws} images, one per layer "
                             f"(sides {self.noise_sizes}); got {len(noise)}")
        if noise_mode == "auto":
            noise_mode = "random" if self.training else "const"
        x = self.const.expand(ws.shape[0], -1, -1, -1)  # (B, W, 4, 4)
        for i, layer in enumerate(self.layers):
            x = layer(x, ws[:, i], noise_mode, None if noise is None else noise[i])
        return self.to_rgb(x)  # (B, C, H, W)


class _ResBlockD(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv1, self.conv2 = EqualConv2d(c, c), EqualConv2d(c, c)
        self.skip = EqualConv2d(c, c, 1, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        h = F.avg_pool2d(_lrelu(self.conv2(_lrelu(self.conv1(x)))), 2)
        return (h + self.skip(F.avg_pool2d(x, 2))) / SQRT2  # residual, unit variance


class ResidualDiscriminator(nn.Module):
    """StyleGAN2's residual D: fromRGB, residual blocks to 4x4, minibatch stddev, two dense."""

    def __init__(self, size: int, channels: int = 1, width: int = 32) -> None:
        super().__init__()
        n = _stages(size)
        self.from_rgb = EqualConv2d(channels, width, 1)
        self.blocks = nn.Sequential(*[_ResBlockD(width) for _ in range(n - 1)])
        self.final_conv = EqualConv2d(width + 1, width)
        self.fc = nn.Sequential(EqualLinear(width * 16, width), _Act(False), EqualLinear(width, 1))

    def forward(self, x: Tensor) -> Tensor:
        h = self.blocks(_lrelu(self.from_rgb(x)))  # (B, W, 4, 4)
        std = minibatch_stddev(h.flatten(1))[:, -1:]  # (B, 1)
        h = torch.cat([h, std[:, :, None, None].expand(-1, 1, 4, 4)], 1)
        return self.fc(_lrelu(self.final_conv(h)).flatten(1)).flatten()  # (B,)


def path_lengths(G: StyleGenerator, ws: Tensor, y: Tensor | None = None) -> Tensor:
    """||J_w^T y||_2 per sample, y ~ N(0, I) / sqrt(H W) (StyleGAN2 eq. 4), with the graph kept.

    ws (B, num_ws, w_dim) must require grad or come from the mapping network; the norm is over
    w_dim and averaged over layers as in the official code. Noise is held constant.
    """
    img = G.synthesis(ws, noise_mode="const")  # (B, C, H, W)
    if y is None:
        y = torch.randn_like(img) / math.sqrt(img.shape[2] * img.shape[3])
    (g,) = torch.autograd.grad((img * y).sum(), ws, create_graph=True)  # (B, L, w_dim)
    return g.square().sum(2).mean(1).sqrt()  # (B,)


def path_length_penalty(lengths: Tensor, pl_mean: Tensor, decay: float = 0.01
                        ) -> tuple[Tensor, Tensor]:
    """(E (||J^T y|| - a)^2, new a): a is the running mean of the lengths (decay 0.01)."""
    a = pl_mean.lerp(lengths.detach().mean(), decay)
    return (lengths - a).square().mean(), a


def lazy_regularization(team: Team, every: int) -> Team:
    """StyleGAN2's correction for a regulariser run as its own optimiser step every `every` steps.

    The team then takes every + 1 optimiser steps per `every` training steps, so the official code
    scales lr and Adam's betas by c = every / (every + 1): lr -> c lr, beta -> beta ** c (the
    momentum decays by the same amount per training step as without the extra step).
    """
    if every < 1:
        raise ValueError(f"a regularisation interval must be >= 1, got {every}")
    c = every / (every + 1)
    return replace(team, lr=team.lr * c, betas=tuple(b ** c for b in team.betas))


def project(G: StyleGenerator, target: Tensor, steps: int = 200, lr: float = 0.05
            ) -> tuple[Tensor, list[float]]:
    """Find w (1, w_dim) with G.synthesis(w) close to target (1, C, H, W): Adam on pixel MSE from w_avg."""
    if target.dim() != 4 or target.shape[0] != 1:
        raise ValueError(f"target must be one image (1, C, H, W); got {tuple(target.shape)}")
    G.eval().requires_grad_(False)
    w = G.w_avg.detach().clone()[None].requires_grad_(True)  # (1, w_dim)
    opt = torch.optim.Adam([w], lr=lr, betas=(0.9, 0.999))
    history = []
    for _ in range(steps):
        loss = (G.synthesis(G.broadcast(w), noise_mode="const") - target).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append(loss.item())
    G.requires_grad_(True)
    return w.detach(), history


# --- alias-free (StyleGAN3) pieces ------------------------------------------------------------


def fourier_features(freqs: Tensor, phases: Tensor, size: int, shift: tuple[float, float] = (0.0, 0.0)
                     ) -> Tensor:
    """sin(2 pi (f . (p - t)) + phi) on a periodic size x size grid -> (1, F, size, size).

    freqs (F, 2) in cycles per canvas (|f| < size / 2 keeps them below Nyquist), phases (F,),
    shift t in pixels (x, y): a continuous translation of the input.
    """
    if freqs.abs().max() >= size / 2:
        raise ValueError(f"frequencies must be below Nyquist, |f| < {size / 2}; got {freqs.abs().max()}")
    p = (torch.arange(size, dtype=freqs.dtype) - torch.tensor(shift, dtype=freqs.dtype)[:, None]) / size
    arg = freqs[:, 0, None, None] * p[0][None, None, :] + freqs[:, 1, None, None] * p[1][None, :, None]
    return torch.sin(2 * math.pi * arg + phases[:, None, None])[None]  # (1, F, H, W)


def rotate_fourier(freqs: Tensor, phases: Tensor, angle: float, size: int) -> tuple[Tensor, Tensor]:
    """Fourier features rotated by `angle` radians about the canvas centre c = (size - 1) / 2.

    Sampling sin(2 pi f . q / size + phi) at q = R^-1 (p - c) + c equals
    sin(2 pi (R f) . p / size + phi') with phi' = phi + 2 pi (f - R f) . c / size: rotate the
    frequencies, shift the phases. R = [[cos a, -sin a], [sin a, cos a]] acts on (x, y) =
    (column, row), the convention of `rotate`. Returns (freqs (F, 2), phases (F,)).
    """
    c, s = math.cos(angle), math.sin(angle)
    rot = torch.tensor([[c, -s], [s, c]], dtype=freqs.dtype, device=freqs.device)
    rf = freqs @ rot.T  # (F, 2): R f
    centre = (size - 1) / 2
    return rf, phases + 2 * math.pi * (freqs - rf).sum(1) * centre / size


def _band_index(n: int, m: int, device) -> Tensor:
    h = m // 2
    return torch.cat([torch.arange(0, h), torch.arange(n - h + 1, n)]).to(device)  # no Nyquist bin


def fft_resize(x: Tensor, size: int) -> Tensor:
    """Ideal (band-limited, periodic) resampling of (..., n, n) to (..., size, size).

    Upsampling zero-pads the spectrum; downsampling keeps only |k| < size / 2 (an ideal low-pass).
    The Nyquist bin is dropped, so the result is the band-limited part of x.
    """
    n = x.shape[-1]
    m = min(n, size)
    X = torch.fft.fft2(x, norm="forward")  # amplitudes independent of n
    src, dst = _band_index(n, m, x.device), _band_index(size, m, x.device)
    Y = X.new_zeros(*x.shape[:-2], size, size)
    Y[..., dst[:, None], dst[None, :]] = X[..., src[:, None], src[None, :]]
    return torch.fft.ifft2(Y, norm="forward").real


def translate(x: Tensor, shift: tuple[float, float]) -> Tensor:
    """Translate a periodic band-limited (..., n, n) image by (dx, dy) pixels (FFT phase shift)."""
    n = x.shape[-1]
    k = torch.fft.fftfreq(n, device=x.device, dtype=x.dtype)  # cycles per pixel
    ramp = torch.exp(-2j * math.pi * (k[None, :] * shift[0] + k[:, None] * shift[1]))  # (n, n)
    if n % 2 == 0:  # the Nyquist bin has no well-defined shift: drop it
        ramp[n // 2, :] = 0
        ramp[:, n // 2] = 0
    return torch.fft.ifft2(torch.fft.fft2(x) * ramp).real


def radial_lowpass(x: Tensor, cutoff: float) -> Tensor:
    """Ideal radially symmetric low-pass of a periodic (..., n, n) image: keep the spectrum's bins
    with |k| < cutoff cycles per canvas (a disk: the frequency response of an ideal jinc filter)."""
    n = x.shape[-1]
    k = torch.fft.fftfreq(n, 1.0 / n, device=x.device)  # signed bins, cycles per canvas
    keep = k[None, :].square() + k[:, None].square() < cutoff**2  # (n, n) disk
    return torch.fft.ifft2(torch.fft.fft2(x) * keep).real


def rotate(x: Tensor, angle: float) -> Tensor:
    """Rotate a periodic band-limited (..., n, n) image by `angle` radians about its centre.

    Evaluates the image's Fourier series (its band-limited interpolant; Nyquist bins dropped, as in
    `translate`) at q = R^-1 (p - c) + c, c = (n - 1) / 2, R as in `rotate_fourier`: exact for a
    trigonometric polynomial, in float64; a quarter turn is a pixel permutation
    (`torch.rot90(x, -1, (-2, -1))`). Pixels whose source lies outside the canvas take the periodic
    extension's values: mask them (`disk_mask`) when the image is not periodic.
    """
    n = x.shape[-1]
    X = torch.fft.fft2(x.to(torch.float64), norm="forward")  # (..., n, n) Fourier coefficients
    if n % 2 == 0:
        X[..., n // 2, :] = 0
        X[..., :, n // 2] = 0
    k = torch.fft.fftfreq(n, 1.0 / n, dtype=torch.float64, device=x.device)  # signed bins
    p = torch.arange(n, dtype=torch.float64, device=x.device) - (n - 1) / 2
    py, px = (t.reshape(-1) for t in torch.meshgrid(p, p, indexing="ij"))  # (n*n,) rows, cols
    c, s = math.cos(angle), math.sin(angle)
    qx, qy = c * px + s * py + (n - 1) / 2, -s * px + c * py + (n - 1) / 2  # R^-1 (p - c) + c
    ky, kx = (t.reshape(-1) for t in torch.meshgrid(k, k, indexing="ij"))  # (n*n,) bins
    basis = torch.exp(2j * math.pi * (qx[:, None] * kx[None] + qy[:, None] * ky[None]) / n)
    out = (X.reshape(*X.shape[:-2], n * n) @ basis.T).real  # (..., n*n) the series at q
    return out.reshape(x.shape).to(x.dtype)


def disk_mask(size: int, radius: float | None = None) -> Tensor:
    """(size, size) bool: pixel centres within `radius` (default size / 2) of (size - 1) / 2."""
    p = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    r = size / 2 if radius is None else radius
    return p[None, :].square() + p[:, None].square() <= r * r


def filtered_lrelu(x: Tensor, up: int = 2, slope: float = 0.2, radial: bool = False) -> Tensor:
    """The alias-free non-linearity: upsample `up` x, leaky ReLU, ideal low-pass, downsample.

    `radial=True` (config R) low-passes to the disk |k| < n / 2 (`radial_lowpass`), which every
    rotation maps to itself, instead of the square band |k_x|, |k_y| < n / 2."""
    n = x.shape[-1]
    h = F.leaky_relu(fft_resize(x, n * up), slope) * SQRT2  # new harmonics live at the high rate
    if radial:
        h = radial_lowpass(h, n / 2)  # the disk inside the square band
    return fft_resize(h, n)  # low-pass to the original band, then back to n x n


class ToyStack(nn.Module):
    """Fourier-feature input, `depth` circular 3x3 convs, a 1x1 output: one set of weights, two
    non-linearities (`filtered=False`: pointwise leaky ReLU as in StyleGAN2; True: alias-free)."""

    def __init__(self, n_freq: int = 16, size: int = 16, width: int = 16, depth: int = 4,
                 bandlimit: int = 5, seed: int = 0) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.size, self.filtered = size, False
        f = torch.randint(-bandlimit, bandlimit + 1, (n_freq, 2), generator=g)  # whole cycles: periodic
        self.register_buffer("freqs", f.float())
        self.register_buffer("phases", torch.rand(n_freq, generator=g) * 2 * math.pi)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            dims = [n_freq] + [width] * depth
            self.convs = nn.ModuleList(EqualConv2d(a, b, 3, circular=True) for a, b in zip(dims, dims[1:]))
            self.out = EqualConv2d(width, 1, 1)

    def input(self, shift: tuple[float, float] = (0.0, 0.0)) -> Tensor:
        return fourier_features(self.freqs, self.phases, self.size, shift)

    def forward(self, x: Tensor) -> Tensor:
        for conv in self.convs:
            x = filtered_lrelu(conv(x)) if self.filtered else _lrelu(conv(x))
        return self.out(x)  # (B, 1, size, size)


@torch.no_grad()
def eq_t(net: ToyStack, shifts: list[tuple[float, float]]) -> float:
    """EQ-T: mean PSNR between net(translated input) and translate(net(input)) over shifts.

    The PSNR is `ganlab.metrics.psnr` with the data range taken from the reference image
    (max - min of translate(net(input))): the toy's output has no fixed range."""
    y0 = net(net.input())  # (1, 1, size, size)
    vals = []
    for t in shifts:
        ref = translate(y0, t)
        vals.append(float(_psnr_db(net(net.input(t)), ref, float(ref.max() - ref.min()))))
    return sum(vals) / len(vals)


class AliasFreeGenerator(nn.Module):
    """A style generator on a periodic canvas, to measure EQ-T on trained weights.

    Mapping z -> w as in `StyleGenerator`; input: `n_freq` fixed Fourier features (whole cycles,
    |f| <= bandlimit) mixed by a learned 1x1 conv; `depth` modulated 3x3 convs with circular
    padding at one resolution; a modulated 1x1 ToRGB. `filtered=True` uses `filtered_lrelu` after
    each conv (alias-free, StyleGAN3); False the pointwise leaky ReLU of StyleGAN2: one
    architecture, two non-linearities. `rotation=True` is StyleGAN3's config R: 1x1 modulated
    convs, input frequencies drawn inside the disk |f| <= bandlimit, and the filtered
    non-linearity's low-pass radially symmetric (`filtered_lrelu(radial=True)`). Deviations from
    StyleGAN3: no noise inputs, no learned input transform, one resolution, ideal (FFT) filters.
    `synthesis(ws, shift=t)` translates the input by t pixels, which for an equivariant G
    translates the image by t; `synthesis(ws, angle=a, canvas=m)` rotates it by a radians about the
    image centre, rendered on an m x m periodic canvas and cropped to the image.
    """

    map, broadcast, forward = StyleGenerator.map, StyleGenerator.broadcast, StyleGenerator.forward

    def __init__(self, nz: int, size: int, channels: int = 1, width: int = 16, w_dim: int = 32,
                 depth: int = 4, filtered: bool = True, n_freq: int = 16, bandlimit: int = 5,
                 map_layers: int = 2, mix_prob: float = 0.9, w_avg_beta: float = 0.995,
                 rotation: bool = False) -> None:
        super().__init__()
        self.nz, self.w_dim, self.mix_prob, self.w_avg_beta = nz, w_dim, mix_prob, w_avg_beta
        self.size, self.filtered, self.num_ws, self.rotation = size, filtered, depth + 1, rotation
        self.mapping = MappingNetwork(nz, w_dim, map_layers)
        if rotation:  # whole cycles inside a disk: the same band in every direction
            r = range(-bandlimit, bandlimit + 1)
            pool = torch.tensor([(a, b) for a in r for b in r if a * a + b * b <= bandlimit**2])
            f = pool[torch.randperm(len(pool))[:n_freq]]  # (n_freq, 2)
        else:
            f = torch.randint(-bandlimit, bandlimit + 1, (n_freq, 2))  # whole cycles: periodic
        self.register_buffer("freqs", f.float())
        self.register_buffer("phases", torch.rand(n_freq) * 2 * math.pi)
        self.input_proj = EqualConv2d(n_freq, width, 1)
        k = 1 if rotation else 3  # config R: 1x1 convs, no spatial kernel to break rotations
        self.convs = nn.ModuleList(ModulatedConv2d(width, width, k, w_dim) for _ in range(depth))
        self.biases = nn.Parameter(torch.zeros(depth, width))
        self.to_rgb = ModulatedConv2d(width, channels, 1, w_dim, demodulate=False)
        self.rgb_bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def input(self, shift: tuple[float, float] = (0.0, 0.0), angle: float = 0.0,
              canvas: int | None = None) -> Tensor:
        """The Fourier features (1, n_freq, m, m): rotated by `angle` radians about the image
        centre (`rotate_fourier`), then translated by `shift` pixels, sampled on an m x m canvas
        (m = `canvas`, default the image size) whose central size x size pixels are the image."""
        m = canvas or self.size
        if m < self.size or (m - self.size) % 2:
            raise ValueError(f"canvas must be >= {self.size} and differ from it by an even number; got {m}")
        freqs, phases = self.freqs, self.phases
        if angle:
            freqs, phases = rotate_fourier(freqs, phases, angle, self.size)
        o = (m - self.size) / 2  # the image's offset on the canvas
        return fourier_features(freqs * m / self.size, phases, m, (shift[0] + o, shift[1] + o))

    def synthesis(self, ws: Tensor, noise_mode: str = "auto", shift: tuple[float, float] = (0.0, 0.0),
                  angle: float = 0.0, canvas: int | None = None) -> Tensor:
        """Images (B, C, H, W) from ws (B, num_ws, w_dim); the input rotated by `angle` radians
        and translated by `shift` pixels, rendered on a `canvas` x `canvas` periodic canvas and
        cropped to the central H x W (`input`).

        `noise_mode` is accepted for `path_lengths` and ignored: this G has no noise inputs.
        """
        if ws.dim() != 3 or ws.shape[1] != self.num_ws:
            raise ValueError(f"ws must be (B, {self.num_ws}, {self.w_dim}); got {tuple(ws.shape)}")
        x = self.input_proj(self.input(shift, angle, canvas))  # (1, W, m, m)
        x = x.expand(ws.shape[0], -1, -1, -1)
        for i, conv in enumerate(self.convs):
            if conv.weight.shape[-1] == 3:
                x = conv(F.pad(x, [1] * 4, mode="circular"), ws[:, i])[..., 1:-1, 1:-1]  # circular 3x3
            else:
                x = conv(x, ws[:, i])  # 1x1 (config R)
            x = x + self.biases[i][None, :, None, None]
            x = filtered_lrelu(x, radial=self.rotation) if self.filtered else _lrelu(x)
        y = self.to_rgb(x, ws[:, -1]) + self.rgb_bias[None, :, None, None]  # (B, C, m, m)
        o = (y.shape[-1] - self.size) // 2
        return y[..., o:o + self.size, o:o + self.size]  # (B, C, H, W)


@torch.no_grad()
def eq_t_generator(G: AliasFreeGenerator, ws: Tensor, shifts: list[tuple[float, float]],
                   data_range: float = 2.0) -> float:
    """EQ-T of a generator: mean over shifts and images of the PSNR (`ganlab.metrics.psnr`, range
    2 for [-1, 1] images) between G(input translated by t) and G(input) translated by t."""
    y0 = G.synthesis(ws)  # (B, C, H, W)
    vals = [_psnr_db(G.synthesis(ws, shift=t), translate(y0, t), data_range).mean() for t in shifts]
    return float(torch.stack(vals).mean())


@torch.no_grad()
def eq_r(render, angles: list[float], data_range: float | None = None,
         radius: float | None = None) -> float:
    """EQ-R: mean over angles and images of the PSNR (`ganlab.metrics.psnr`) inside the central
    disk (`disk_mask(n, radius)`) between render(a), the output (B, C, n, n) for the input rotated
    by a radians, and rotate(render(0.0), a), the unrotated output rotated by a.

    `data_range` None takes max - min of the reference's disk pixels over the batch (as `eq_t`,
    for outputs without a fixed range)."""
    y0 = render(0.0)  # (B, C, n, n)
    mask = disk_mask(y0.shape[-1], radius).to(y0.device)
    vals = []
    for a in angles:
        ref = rotate(y0, a)[..., mask][..., None, :]  # (B, C, 1, N): the disk's pixels
        out = render(a)[..., mask][..., None, :]
        r = float(ref.max() - ref.min()) if data_range is None else data_range
        vals.append(_psnr_db(out, ref, r).mean())
    return float(torch.stack(vals).mean())


def eq_r_generator(G: AliasFreeGenerator, ws: Tensor, angles: list[float], canvas: int | None = 32,
                   data_range: float = 2.0) -> float:
    """EQ-R of a generator (`eq_r`, range 2 for [-1, 1] images): G(input rotated by a, rendered on
    a `canvas`-pixel canvas and cropped) against rotate(G(input), a), inside the central disk."""
    return eq_r(lambda a: G.synthesis(ws, angle=a, canvas=canvas if a else None), angles, data_range)


def aliasfree_game(shape: tuple[int, ...], filtered: bool, depth: int = 4, seed: int = 0,
                   rotation: bool = False, **overrides) -> Game:
    """The `stylegan2` game (same D, losses, lazy R1 and path-length phases, teams) with its G
    replaced by an `AliasFreeGenerator` (`filtered` picks the non-linearity, `rotation` config R),
    seeded by `seed`."""
    game = build("stylegan2", shape, seed=seed, **overrides)
    cfg = game.config
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        G = AliasFreeGenerator(game.nz, shape[1], shape[0], cfg["width"], cfg["w_dim"], depth,
                               filtered, map_layers=cfg["map_layers"], mix_prob=cfg["mix_prob"],
                               rotation=rotation)
    name = ("aliasfree" if filtered else "aliasfree-pointwise") + ("-r" if rotation else "")
    return Game(name, {"G": G, "D": game.nets["D"]}, game.teams, game.phases, nz=game.nz,
                state=game.state, generate=game.generate,
                config={**cfg, "generator": name, "depth": depth, "rotation": rotation})


# --- variants: progan and stylegan2, run by the one trainer ---------------------------------

from .registry import (  # noqa: E402
    GPPart,
    LossPart,
    NetPart,
    OptimPart,
    Preset,
    R1ClipPart,
    adversarial_phases,
    build,
    gd_teams,
    register,
)


@dataclass
class ProGANConfig(R1ClipPart, GPPart, OptimPart, NetPart, LossPart):
    """ProGAN on images: equalised lr, pixel norm, minibatch stddev, fade-in schedule."""

    phase_steps: int = opt(100, "steps per stable phase and per fade-in phase")
    lr_g: float = 1e-3
    lr_d: float = 1e-3
    betas: tuple[float, float] = (0.0, 0.99)
    width: int = 32


def _build_progan(name: str, cfg: ProGANConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    nz = cfg.nz or 32
    G, D = ProGenerator(nz, shape[1], shape[0], cfg.width), ProDiscriminator(shape[1], shape[0], cfg.width)
    n = _stages(shape[1])
    phases = adversarial_phases(cfg, False)
    first = phases[0].loss

    def scheduled(ctx: Step) -> dict[str, Tensor]:
        stage, alpha = progan_schedule(ctx.step, cfg.phase_steps, n)
        for net in (ctx.nets["G"], ctx.nets["D"]):
            net.stage.fill_(stage)
            net.alpha.fill_(alpha)
        return {**first(ctx), "alpha": torch.tensor(alpha), "stage": torch.tensor(float(stage))}

    phases[0] = Phase(phases[0].name, phases[0].team, scheduled, repeats=phases[0].repeats)
    for net in (G, D):
        net.stage.fill_(0)

    def generate(nets, z, labels):  # samples at full size: lower stages are shown upsampled
        x = nets["G"](z)  # (B, C, R, R) at the current stage
        return F.interpolate(x, size=shape[1], mode="nearest").clamp(-1, 1)  # display range

    return Game(name, {"G": G, "D": D}, gd_teams(cfg), phases, nz=nz, generate=generate)


@dataclass
class StyleGAN2Config(R1ClipPart, GPPart, OptimPart, NetPart, LossPart):
    """StyleGAN2: mapping net, modulated convs, residual D, lazy R1 and path-length phases."""

    w_dim: int = opt(32, "size of w")
    map_layers: int = opt(2, "mapping-network depth (8 in the paper)")
    mix_prob: float = opt(0.9, "style-mixing probability")
    pl_weight: float = opt(2.0, "path-length weight (0: off)")
    pl_every: int = opt(4, "lazy path-length interval")
    r1: float = opt(1.0, "R1 gamma")
    r1_every: int = opt(16, "lazy R1 interval")
    lr_g: float = 2e-3
    lr_d: float = 2e-3
    betas: tuple[float, float] = (0.0, 0.99)
    width: int = 32


def _style_game(name: str, cfg: StyleGAN2Config | StyleGANConfig, shape: tuple[int, ...], G: nn.Module,
                extra: tuple[Phase, ...] = (), state: dict | None = None) -> Game:
    """The StyleGAN game around generator G: residual D, `adversarial_phases` (D, lazy R1 via
    Phase.every, G) plus `extra` phases; lazy R1's lr/betas correction on D's team."""
    D = ResidualDiscriminator(shape[1], shape[0], cfg.width)
    teams = gd_teams(cfg)
    for ph in extra:  # a lazy G regulariser: lr, betas times c = k/(k+1)
        teams[ph.team] = lazy_regularization(teams[ph.team], ph.every)
    if cfg.r1:
        teams["D"] = lazy_regularization(teams["D"], cfg.r1_every)

    def generate(nets, z, labels):  # G has no tanh (as in the papers): clamp to the display range
        return nets["G"](z).clamp(-1, 1)

    return Game(name, {"G": G, "D": D}, teams, adversarial_phases(cfg, False) + list(extra),
                nz=G.nz, state=state or {}, generate=generate)


def _path_length_phase(cfg: StyleGAN2Config) -> tuple[tuple[Phase, ...], dict[str, Tensor]]:
    """StyleGAN2's lazy path-length phase on G (none when `pl_weight` is 0) and its state."""
    state = {"pl_mean": torch.zeros(())}

    def pl_phase(ctx: Step) -> dict[str, Tensor]:
        g = ctx.nets["G"]
        ws = g.broadcast(g.map(ctx.z(max(2, ctx.batch // 2))))
        lengths = path_lengths(g, ws)
        pen, state["pl_mean"] = path_length_penalty(lengths, state["pl_mean"].to(lengths.device))
        return {"loss": cfg.pl_weight * pen * ctx.lazy_scale, "pl_mean": state["pl_mean"]}

    return ((Phase("PL", "G", pl_phase, every=cfg.pl_every),) if cfg.pl_weight else ()), state


def _build_stylegan2(name: str, cfg: StyleGAN2Config, shape: tuple[int, ...], n_classes: int) -> Game:
    G = StyleGenerator(cfg.nz or 32, shape[1], shape[0], cfg.width, cfg.w_dim, cfg.map_layers,
                       cfg.mix_prob)
    return _style_game(name, cfg, shape, G, *_path_length_phase(cfg))


@dataclass
class StyleGAN3Config(StyleGAN2Config):
    """StyleGAN3's alias-free G (`AliasFreeGenerator`, one periodic resolution) in the stylegan2 game."""

    convs: int = opt(4, "modulated convolutions of G (at one resolution)")
    pl_weight: float = opt(0.0, "path-length weight (0: off, as in StyleGAN3)")
    width: int = 16


def _build_stylegan3(name: str, cfg: StyleGAN3Config, shape: tuple[int, ...], n_classes: int) -> Game:
    """Config T (`stylegan3-t`: 3x3 convs) or config R (`stylegan3-r`: 1x1 convs, radial filter)."""
    G = AliasFreeGenerator(cfg.nz or 32, shape[1], shape[0], cfg.width, cfg.w_dim, cfg.convs, True,
                           map_layers=cfg.map_layers, mix_prob=cfg.mix_prob,
                           rotation=name.endswith("-r"))
    extra, state = _path_length_phase(cfg)
    return _style_game(name, cfg, shape, G, extra, state if extra else None)  # no PL, no state


@dataclass
class StyleGANConfig(R1ClipPart, GPPart, OptimPart, NetPart, LossPart):
    """StyleGAN (v1): mapping net, AdaIN and noise G, `stylegan2`'s residual D, R1, no path length."""

    w_dim: int = opt(32, "size of w")
    map_layers: int = opt(2, "mapping-network depth (8 in the paper)")
    mix_prob: float = opt(0.9, "style-mixing probability")
    r1: float = opt(1.0, "R1 gamma")
    r1_every: int = opt(16, "lazy R1 interval (1: every step, as in the StyleGAN paper)")
    lr_g: float = 2e-3
    lr_d: float = 2e-3
    betas: tuple[float, float] = (0.0, 0.99)
    width: int = 32


def _build_stylegan(name: str, cfg: StyleGANConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    """`stylegan2`'s game with the v1 generator and no path-length phase (see StyleGAN1Generator)."""
    G = StyleGAN1Generator(cfg.nz or 32, shape[1], shape[0], cfg.width, cfg.w_dim, cfg.map_layers,
                           cfg.mix_prob)
    return _style_game(name, cfg, shape, G)


register("progan", Preset(
    "Progressive GAN: grow 4x4 upwards with fade-in, equalised lr, pixel norm, minibatch stddev",
    ProGANConfig(), builder="progan", data="images", default_data="digits",
    fixed=("gp",)), _build_progan)  # gp: its D sees real and fake at different stages' sizes
register("stylegan2", Preset(
    "StyleGAN2: mapping net, modulated/demodulated convs, skip G, residual D, lazy R1 and "
    "path-length regularisation", StyleGAN2Config(), builder="stylegan2", data="images",
    default_data="digits"), _build_stylegan2)
for _cfg_name, _what in (("t", "translation-equivariant: 3x3 convs"),
                         ("r", "rotation-equivariant: 1x1 convs, radially symmetric low-pass")):
    register(f"stylegan3-{_cfg_name}", Preset(
        f"StyleGAN3 config {_cfg_name.upper()}: alias-free G (Fourier input, filtered leaky ReLU; "
        f"{_what}) in the stylegan2 game", StyleGAN3Config(), builder="stylegan3", data="images",
        default_data="faces"), _build_stylegan3)
register("stylegan", Preset(
    "StyleGAN (v1): mapping net, learned constant, per-layer noise and AdaIN, style mixing; "
    "stylegan2's residual D, logistic loss and lazy R1", StyleGANConfig(), builder="stylegan",
    data="images", default_data="digits"), _build_stylegan)


# --- the generator that ships ------------------------------------------------------------------

PRETRAINED = {"variant": "stylegan2", "shape": [1, 16, 16], "width": 16, "w_dim": 32}
PRETRAINED_FILE = "stylegan2_faces16.pt"


def pretrained_game() -> Game:
    """The game whose generator ships (see scripts/train_style_generator.py)."""
    return build(PRETRAINED["variant"], tuple(PRETRAINED["shape"]), width=PRETRAINED["width"],
                 w_dim=PRETRAINED["w_dim"])


def load_pretrained_faces() -> StyleGenerator:
    """The shipped StyleGAN2 generator of 16x16 grey faces (EMA weights, eval mode, on CPU)."""
    from .features import weights_path

    path = weights_path(PRETRAINED_FILE)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; run scripts/train_style_generator.py")
    g = pretrained_game().nets["G"]
    g.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return g.eval()


def pretrained_record() -> dict:
    """How the shipped generator was trained (steps, seconds, bytes, FID), from its JSON."""
    import json

    from .features import weights_path

    return json.loads(weights_path(PRETRAINED_FILE.replace(".pt", ".json")).read_text())
