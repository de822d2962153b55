"""Self-attention (SAGAN) and the pieces of BigGAN, as ganlab variants.

- SAGAN: Zhang et al. 2019, "Self-Attention Generative Adversarial Networks".
  `SelfAttention` is section 3, eqs. 1-3: f(x) = W_f x, g(x) = W_g x (1x1 convs to
  C/8 channels), beta_{j,i} = softmax_i(s_ij) with s_ij = f(x_i)^T g(x_j), the output
  o_j = W_v sum_i beta_{j,i} h(x_i) and y = x + gamma o with the learned gamma
  starting at 0 (so the block starts as the identity). As in the paper, spectral norm
  in G and D, hinge loss, TTUR (D 4e-4, G 1e-4, Adam betas (0, 0.9)).
  Deviation: no max-pooling of keys and values (the paper's code pools them by 2);
  the attention here sits at 8x8 of a 16x16 image.
- BigGAN: Brock et al. 2019, "Large Scale GAN Training for High Fidelity Natural
  Image Synthesis". `ConditionalBatchNorm2d` (section 3: class-conditional BN whose
  gains and biases are linear in a *shared* class embedding), the hierarchical
  latent (z split into one chunk per block, each chunk concatenated to the shared
  embedding), the projection D (Miyato & Koyama 2018, eq. 3), orthogonal
  regularisation (eq. 3, `regularizers.orthogonal_penalty`, beta 1e-4, the shared
  embedding excluded as in the authors' code) and the truncation trick (section 3.1:
  z ~ N(0, I) with every entry of magnitude above a threshold resampled).
  Deviations: tiny widths, two up-blocks (4 -> 8 -> 16), lr 2e-4 / 5e-5 for D / G
  replaced by SAGAN's 4e-4 / 1e-4; no EMA of G in the preset (the trainer has one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import losses, nets, regularizers
from .options import opt
from .registry import NetPart, OptimPart, Preset, SNPart, d_phase_loss, gd_teams, noise_pairs, register
from .train import Game, Phase, Step

__all__ = ["SelfAttention", "ConditionalBatchNorm2d", "split_latent", "truncated_normal",
           "truncate_z", "SAGANGenerator", "SAGANDiscriminator", "BigGANGenerator",
           "BigGANDiscriminator", "SAGANConfig", "BigGANConfig", "fourier_positions",
           "CompletionNet", "mirror_images", "mirror_phase", "hide_right_half"]


# --- SAGAN --------------------------------------------------------------------------------


class SelfAttention(nn.Module):
    """SAGAN self-attention: (B, C, H, W) -> (B, C, H, W), y = x + gamma * o (gamma = 0 at init)."""

    def __init__(self, channels: int, sn: bool = True) -> None:
        super().__init__()
        k = max(1, channels // 8)
        self.f = nets.maybe_sn(nn.Conv2d(channels, k, 1, bias=False), sn)  # queries
        self.g = nets.maybe_sn(nn.Conv2d(channels, k, 1, bias=False), sn)  # keys
        self.h = nets.maybe_sn(nn.Conv2d(channels, channels, 1, bias=False), sn)  # values
        self.v = nets.maybe_sn(nn.Conv2d(channels, channels, 1, bias=False), sn)  # W_v
        self.gamma = nn.Parameter(torch.zeros(()))

    def attention(self, x: Tensor) -> Tensor:
        """beta (B, N, N), N = H W: row j is where query pixel j looks; rows sum to 1."""
        q = self.f(x).flatten(2)  # (B, k, N)
        key = self.g(x).flatten(2)  # (B, k, N)
        s = q.transpose(1, 2) @ key  # (B, N, N): s[j, i] = f(x_j)^T g(x_i)
        return s.softmax(dim=-1)  # softmax over the attended pixels i

    def forward(self, x: Tensor) -> Tensor:
        b, c, hh, ww = x.shape
        beta = self.attention(x)  # (B, N, N)
        val = self.h(x).flatten(2)  # (B, C, N)
        o = (val @ beta.transpose(1, 2)).view(b, c, hh, ww)  # o_j = sum_i beta_ji h(x_i)
        return x + self.gamma * self.v(o)  # eq. 3


class SAGANGenerator(nn.Module):
    """z (B, nz) -> (B, C, 16, 16): linear to 4x4, ResBlockUp to 8, attention, ResBlockUp to 16."""

    def __init__(self, nz: int, channels: int = 1, width: int = 32, sn: bool = True) -> None:
        super().__init__()
        self.nz, self.width = nz, width
        self.fc = nets.maybe_sn(nn.Linear(nz, 4 * 4 * 2 * width), sn)
        self.up1 = nets.ResBlockUp(2 * width, width, sn=sn)  # (B, w, 8, 8)
        self.attn = SelfAttention(width, sn=sn)
        self.up2 = nets.ResBlockUp(width, width, sn=sn)  # (B, w, 16, 16)
        self.out = nn.Sequential(nn.BatchNorm2d(width), nn.ReLU(),
                                 nets.maybe_sn(nn.Conv2d(width, channels, 3, 1, 1), sn), nn.Tanh())

    def forward(self, z: Tensor) -> Tensor:
        h = self.fc(z).view(z.shape[0], 2 * self.width, 4, 4)  # (B, 2w, 4, 4)
        return self.out(self.up2(self.attn(self.up1(h))))  # (B, C, 16, 16)


class SAGANDiscriminator(nn.Module):
    """(B, C, 16, 16) [+ labels] -> logits (B,): ResBlockDown to 8, attention, ResBlockDown to 4,
    sum-pooled features, linear head, projection term when n_classes > 0."""

    def __init__(self, channels: int = 1, width: int = 32, sn: bool = True,
                 n_classes: int = 0) -> None:
        super().__init__()
        self.n_classes = n_classes
        self.down1 = nets.ResBlockDown(channels, width, sn=sn, first=True)  # (B, w, 8, 8)
        self.attn = SelfAttention(width, sn=sn)
        self.down2 = nets.ResBlockDown(width, 2 * width, sn=sn)  # (B, 2w, 4, 4)
        self.head = nets.maybe_sn(nn.Linear(2 * width, 1), sn)
        self.embed = nets.maybe_sn(nn.Embedding(n_classes, 2 * width), sn) if n_classes else None

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        h = F.relu(self.down2(self.attn(self.down1(x)))).sum((2, 3))  # (B, 2w)
        out = self.head(h).squeeze(1)  # (B,)
        if self.embed is not None:
            if y is None:
                raise ValueError(f"this D is conditional on {self.n_classes} classes: pass labels y")
            out = out + (self.embed(y) * h).sum(1)  # projection <e_y, h>
        return out


# --- BigGAN pieces -------------------------------------------------------------------------


class ConditionalBatchNorm2d(nn.Module):
    """BN without its own affine, then (1 + gain(c)) * x_hat + bias(c), gain and bias linear in c.

    c (B, cond_dim) is BigGAN's shared class embedding concatenated to a latent chunk.
    """

    def __init__(self, channels: int, cond_dim: int) -> None:
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False)
        self.gain = nn.Linear(cond_dim, channels, bias=False)
        self.bias = nn.Linear(cond_dim, channels, bias=False)

    def forward(self, x: Tensor, c: Tensor) -> Tensor:
        g = 1.0 + self.gain(c)[:, :, None, None]  # (B, C, 1, 1), centred on 1 as in BigGAN
        b = self.bias(c)[:, :, None, None]  # (B, C, 1, 1)
        return self.bn(x) * g + b


def split_latent(z: Tensor, chunks: int) -> list[Tensor]:
    """BigGAN's hierarchical latent: z (B, nz) -> `chunks` equal pieces (B, nz / chunks)."""
    if z.dim() != 2 or z.shape[1] % chunks:
        raise ValueError(f"z must be (B, nz) with nz divisible by {chunks}; got {tuple(z.shape)}")
    return list(z.split(z.shape[1] // chunks, dim=1))


class _CondBlockUp(nn.Module):
    """BigGAN's G block: CBN-ReLU-up-conv-CBN-ReLU-conv plus an upsampled 1x1 skip."""

    def __init__(self, c_in: int, c_out: int, cond_dim: int, sn: bool) -> None:
        super().__init__()
        self.bn1, self.bn2 = ConditionalBatchNorm2d(c_in, cond_dim), ConditionalBatchNorm2d(c_out, cond_dim)
        self.conv1 = nets.maybe_sn(nn.Conv2d(c_in, c_out, 3, 1, 1), sn)
        self.conv2 = nets.maybe_sn(nn.Conv2d(c_out, c_out, 3, 1, 1), sn)
        self.skip = nets.maybe_sn(nn.Conv2d(c_in, c_out, 1), sn)

    def forward(self, x: Tensor, c: Tensor) -> Tensor:
        h = F.interpolate(F.relu(self.bn1(x, c)), scale_factor=2.0, mode="nearest")
        h = self.conv2(F.relu(self.bn2(self.conv1(h), c)))
        return h + self.skip(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class BigGANGenerator(nn.Module):
    """(z (B, nz), y (B,)) -> (B, C, 16, 16). z is split in 3: one chunk feeds the linear layer,
    one goes with the shared class embedding to each up-block's conditional BNs."""

    chunks = 3

    def __init__(self, nz: int, n_classes: int, channels: int = 1, width: int = 32,
                 shared_dim: int = 16, sn: bool = True, attention: bool = True) -> None:
        super().__init__()
        if nz % self.chunks:
            raise ValueError(f"BigGAN's nz must be divisible by {self.chunks}, got {nz}")
        self.nz, self.n_classes, self.width = nz, n_classes, width
        chunk = nz // self.chunks
        self.shared = nn.Embedding(n_classes, shared_dim)  # one embedding for every CBN
        self.fc = nets.maybe_sn(nn.Linear(chunk, 4 * 4 * 2 * width), sn)
        self.up1 = _CondBlockUp(2 * width, width, shared_dim + chunk, sn)  # (B, w, 8, 8)
        self.attn = SelfAttention(width, sn=sn) if attention else nn.Identity()
        self.up2 = _CondBlockUp(width, width, shared_dim + chunk, sn)  # (B, w, 16, 16)
        self.out = nn.Sequential(nn.BatchNorm2d(width), nn.ReLU(),
                                 nets.maybe_sn(nn.Conv2d(width, channels, 3, 1, 1), sn), nn.Tanh())

    def forward(self, z: Tensor, y: Tensor) -> Tensor:
        z0, z1, z2 = split_latent(z, self.chunks)  # each (B, nz / 3)
        e = self.shared(y)  # (B, shared_dim)
        h = self.fc(z0).view(z.shape[0], 2 * self.width, 4, 4)  # (B, 2w, 4, 4)
        h = self.attn(self.up1(h, torch.cat([e, z1], 1)))  # (B, w, 8, 8)
        return self.out(self.up2(h, torch.cat([e, z2], 1)))  # (B, C, 16, 16)


BigGANDiscriminator = SAGANDiscriminator  # with n_classes > 0: residual D with projection


def truncate_z(z: Tensor, threshold: float, generator: torch.Generator | None = None,
               max_rounds: int = 1000) -> Tensor:
    """BigGAN's truncation trick in z: a copy of z where every entry with |z| > threshold is
    redrawn from N(0, 1) until it falls inside; the other entries are left exactly as they were.
    (StyleGAN's truncation, an interpolation towards w_avg in W, is `ganlab.style.truncate_w`.)"""
    if threshold <= 0:
        raise ValueError(f"threshold must be positive, got {threshold} (use float('inf') for none)")
    z = z.clone()
    for _ in range(max_rounds):
        out = z.abs() > threshold  # entries still outside
        if not out.any():
            return z
        z[out] = torch.randn(int(out.sum()), generator=generator, dtype=z.dtype).to(z.device)
    raise ValueError(f"truncation at {threshold} did not finish in {max_rounds} rounds: "
                     f"use a larger threshold")


def truncated_normal(n: int, nz: int, threshold: float,
                     generator: torch.Generator | None = None) -> Tensor:
    """(n, nz) latents from N(0, I) truncated to [-threshold, threshold] by resampling."""
    return truncate_z(torch.randn(n, nz, generator=generator), threshold, generator)


# --- a long-range probe of the block ---------------------------------------------------------


def fourier_positions(h: int, w: int, freqs: tuple[int, ...] = (1,)) -> Tensor:
    """Fixed position channels (1, 4 len(freqs), h, w): cos and sin of pi f u and pi f v, with
    u, v the pixel centres' coordinates in (-1, 1) along the width and the height."""
    u = (2 * torch.arange(w) + 1) / w - 1  # (w,)
    v = (2 * torch.arange(h) + 1) / h - 1  # (h,)
    chans = []
    for f in freqs:
        cu, su = torch.cos(torch.pi * f * u), torch.sin(torch.pi * f * u)
        cv, sv = torch.cos(torch.pi * f * v), torch.sin(torch.pi * f * v)
        chans += [cu.expand(h, w), su.expand(h, w), cv[:, None].expand(h, w), sv[:, None].expand(h, w)]
    return torch.stack(chans)[None]  # (1, 4 F, h, w)


class CompletionNet(nn.Module):
    """(B, C, H, W) -> (B, C, H, W): `depth` 3x3 convs on the image and fixed Fourier position
    channels, with a `SelfAttention` block after the first half of them when `attention`.

    Without attention every output pixel sees only a (2 depth + 1)^2 window of the input, so
    the two nets differ in that one block: the probe of what attention adds.
    """

    def __init__(self, channels: int = 1, width: int = 32, depth: int = 4, attention: bool = True,
                 freqs: tuple[int, ...] = (1,)) -> None:
        super().__init__()
        self.freqs = tuple(freqs)
        c, layers = channels + 4 * len(self.freqs), []
        for _ in range(depth - 1):
            layers.append(nn.Conv2d(c, width, 3, 1, 1))
            c = width
        self.first = nn.Sequential(*[m for conv in layers[: depth // 2] for m in (conv, nn.LeakyReLU(0.2))])
        self.attn = SelfAttention(width, sn=False) if attention else nn.Identity()
        self.second = nn.Sequential(*[m for conv in layers[depth // 2:] for m in (conv, nn.LeakyReLU(0.2))])
        self.out = nn.Conv2d(width, channels, 3, 1, 1)

    def _first(self, x: Tensor) -> Tensor:
        pos = fourier_positions(*x.shape[-2:], self.freqs).to(x)  # (1, 4 F, H, W)
        return self.first(torch.cat([x, pos.expand(x.shape[0], -1, -1, -1)], 1))  # (B, w, H, W)

    def forward(self, x: Tensor) -> Tensor:
        return self.out(self.second(self.attn(self._first(x))))  # (B, C, H, W)

    def attention_map(self, x: Tensor) -> Tensor:
        """The block's beta (B, N, N) on input x, N = H W (row j: where pixel j looks)."""
        if not isinstance(self.attn, SelfAttention):
            raise ValueError("this CompletionNet has no attention block (attention=False)")
        return self.attn.attention(self._first(x))


def mirror_images(n: int, size: int = 16, blur: float = 1.0, seed: int = 0) -> Tensor:
    """(n, 1, size, size) images whose right half is the left half mirrored: smoothed Gaussian
    noise (a Gaussian blur of width `blur` pixels) scaled to unit variance, then reflected."""
    g = torch.Generator().manual_seed(seed)
    half = size // 2
    noise = torch.randn(n, 1, size, half + 6, generator=g)  # 3 columns of margin each side
    r = torch.arange(-3, 4, dtype=torch.float32)
    k = torch.exp(-r.square() / (2 * blur ** 2))
    k = k / k.sum()
    sm = F.conv2d(F.conv2d(F.pad(noise, (0, 0, 3, 3), mode="circular"), k.view(1, 1, 7, 1)),
                  k.view(1, 1, 1, 7))  # (n, 1, size, half): rows wrap, columns use the margin
    sm = sm / k.square().sum()  # blurred unit noise has variance (sum k^2)^2: back to 1
    return torch.cat([sm, sm.flip(-1)], -1)  # (n, 1, size, size), x[..., j] = x[..., size-1-j]


def mirror_phase(ctx: Step) -> dict[str, Tensor]:
    """One-phase Game step of the probe: hide the right half, regress the whole image (MSE)."""
    x = ctx.real  # (B, 1, H, W), mirror-symmetric
    loss = (ctx.nets["G"](hide_right_half(x)) - x).square().mean()
    return {"loss": loss}


def hide_right_half(x: Tensor) -> Tensor:
    """(B, C, H, W) -> the same with the right half of the columns set to 0 (the task's input)."""
    w = x.shape[-1]
    return torch.cat([x[..., : w // 2], torch.zeros_like(x[..., w // 2:])], -1)


# --- the presets ---------------------------------------------------------------------------


@dataclass
class SAGANConfig(SNPart, OptimPart, NetPart):
    """SAGAN: hinge loss (not an option), spectral norm in G and D, TTUR."""

    nz: int | None = 32
    width: int = opt(32, "channels of the residual blocks")
    lr_g: float = opt(1e-4, "TTUR: G slower ...")
    lr_d: float = opt(4e-4, "... than D")
    betas: tuple[float, float] = (0.0, 0.9)
    sn: bool = opt(True, "spectral norm in G and D")


@dataclass
class BigGANConfig(SAGANConfig):
    """BigGAN on a small scale: shared embedding CBN, hierarchical z, projection D, ortho reg."""

    nz: int | None = opt(48, "divisible by 3 (one chunk per level)")
    conditional: ClassVar[bool] = True  # class-conditional BN and projection D: not an option
    shared_dim: int = opt(16, "size of the shared class embedding")
    ortho: float = opt(1e-4, "orthogonal regularisation beta on G (0: off)")
    attention: bool = opt(True, "a self-attention block at 8x8 in G and D")


def _hinge_phases(conditional: bool, ortho: float = 0.0, n_critic: int = 1) -> list[Phase]:
    """Hinge D and G phases; with labels, D's fakes share the real batch's labels."""

    d_phase = d_phase_loss(losses.d_hinge, noise_pairs(conditional))

    def g_phase(ctx: Step) -> dict[str, Tensor]:
        y = (ctx.fake_labels(),) if conditional else ()
        adv = losses.g_hinge(ctx.d(ctx.nets["G"](ctx.z(), *y), *y))
        if not ortho:
            return {"loss": adv}
        g = ctx.nets["G"]
        shared = {id(p) for p in getattr(g, "shared", nn.Identity()).parameters()}
        ws = [p for p in g.parameters() if p.dim() >= 2 and id(p) not in shared]
        pen = regularizers.orthogonal_penalty(ws, beta=ortho)
        return {"loss": adv + pen, "adv": adv.detach(), "ortho": pen.detach()}

    return [Phase("D", "D", d_phase, repeats=n_critic), Phase("G", "G", g_phase)]


def _check_shape(shape: tuple[int, ...]) -> None:
    if len(shape) != 3 or shape[1:] != (16, 16):
        raise ValueError(f"the SAGAN/BigGAN nets here make 16x16 images (C, 16, 16); got {shape}")


def _build_sagan(name: str, cfg: SAGANConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    _check_shape(shape)
    g = SAGANGenerator(cfg.nz, shape[0], cfg.width, sn=cfg.sn)
    d = SAGANDiscriminator(shape[0], cfg.width, sn=cfg.sn)
    return Game(name, {"G": g, "D": d}, gd_teams(cfg), _hinge_phases(False, n_critic=cfg.n_critic), nz=cfg.nz)


def _build_biggan(name: str, cfg: BigGANConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    _check_shape(shape)
    g = BigGANGenerator(cfg.nz, n_classes, shape[0], cfg.width, cfg.shared_dim, sn=cfg.sn,
                        attention=cfg.attention)
    d = BigGANDiscriminator(shape[0], cfg.width, sn=cfg.sn, n_classes=n_classes)
    with torch.no_grad():  # the projection term starts as small as the rest of the logit
        w = d.embed.parametrizations.weight.original if cfg.sn else d.embed.weight
        w.normal_(0.0, 0.02)
    return Game(name, {"G": g, "D": d}, gd_teams(cfg), _hinge_phases(True, cfg.ortho, cfg.n_critic),
                nz=cfg.nz, n_classes=n_classes)


register("sagan", Preset("SAGAN: self-attention at 8x8 in G and D, SN, hinge, TTUR 1e-4 / 4e-4",
                         SAGANConfig(), builder="sagan", data="images", default_data="digits",
                         retired={"loss": "hinge"}), _build_sagan)
register("biggan", Preset("small BigGAN: shared-embedding CBN, hierarchical z, projection D, "
                          "orthogonal reg., self-attention", BigGANConfig(), builder="biggan",
                          data="labelled", default_data="digits", retired={"loss": "hinge"}),
         _build_biggan)
