"""WaveGAN: 1D convolutional G and D for raw audio, with phase shuffle.

Source: Donahue, McAuley and Puckette 2019, "Adversarial Audio Synthesis", section 3 and
appendix table 2-3. WaveGAN flattens DCGAN to one dimension: G maps z through a dense
layer to a short, wide signal and upsamples it by 4 per layer with transposed convolutions
of length-25 kernels (stride 4, ReLU; tanh at the end); D mirrors it with length-25
stride-4 convolutions and LeakyReLU(0.2). Because transposed convolutions with stride 4
leave periodic artefacts D could key on, D applies *phase shuffle* (section 3.3) after each
hidden layer: every example's activations are shifted by k ~ U{-n, ..., n} samples, the gap
filled by reflection (n = 2 in the paper). The loss is WGAN-GP (lambda 10, 5 critic steps,
Adam 1e-4, betas (0.5, 0.9)).

Deviations: clips of 2048 samples at 8 kHz (the paper's 16384 at 16 kHz), so 4 upsampling
layers instead of 5 and a dense layer to 8 steps; a model size of d = 8 channels (the
paper's 64); no post-processing filter. Evaluation here is the log-spectral distance of
average power spectra (`ganlab.metrics.spectral`), not the paper's Inception score.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .options import opt
from .registry import GANConfig, Preset, adversarial_phases, gd_teams, register
from .train import Game

UPSAMPLES = ("transposed", "nearest", "linear")
__all__ = ["phase_shuffle", "shift_reflect", "WaveGenerator", "WaveDiscriminator",
           "WaveGANConfig"]


def shift_reflect(x: Tensor, k: Tensor) -> Tensor:
    """Shift each example by k[b] samples (out[t] = x[t - k]), reflecting at the edges.

    x (B, C, L), k (B,) ints with |k| < L; out (B, C, L).
    """
    if x.dim() != 3 or k.shape != (x.shape[0],):
        raise ValueError(f"expected x (B, C, L) and k (B,), got {tuple(x.shape)} and {tuple(k.shape)}")
    n = int(k.abs().max()) if len(k) else 0
    if n == 0:
        return x
    if n >= x.shape[-1]:
        raise ValueError(f"shifts must be smaller than the length {x.shape[-1]}, got {n}")
    padded = F.pad(x, (n, n), mode="reflect")  # (B, C, L + 2n)
    idx = torch.arange(x.shape[-1], device=x.device)[None, :] + n - k.to(x.device)[:, None]  # (B, L)
    return padded.gather(-1, idx[:, None, :].expand(-1, x.shape[1], -1))


def phase_shuffle(x: Tensor, n: int, generator: torch.Generator | None = None) -> Tensor:
    """WaveGAN's phase shuffle: each example shifted by k ~ U{-n..n} with reflection: (B, C, L)."""
    if n < 0:
        raise ValueError(f"phase shuffle width n must be >= 0, got {n}")
    if n == 0:
        return x
    k = torch.randint(-n, n + 1, (x.shape[0],), generator=generator)
    return shift_reflect(x, k)


def _check_length(length: int, layers: int) -> int:
    start = length // 4**layers
    if start < 1 or start * 4**layers != length:
        raise ValueError(f"WaveGAN upsamples by 4 per layer: length {length} must be a multiple "
                         f"of 4^{layers} = {4**layers}; change layers or the clip length")
    return start


class WaveGenerator(nn.Module):
    """z (B, nz) -> dense -> (B, 2^layers d, L / 4^layers) -> transposed convs -> (B, 1, L)."""

    def __init__(self, length: int, nz: int = 64, d: int = 8, layers: int = 4,
                 kernel: int = 25, channels: int = 1, upsample: str = "transposed") -> None:
        super().__init__()
        if kernel % 2 == 0 or kernel < 3:
            raise ValueError(f"kernel must be odd and >= 3 (25 in the paper), got {kernel}")
        if upsample not in UPSAMPLES:
            raise ValueError(f"upsample must be one of {UPSAMPLES}, got {upsample!r}")
        self.start, self.c0 = _check_length(length, layers), d * 2 ** (layers - 1)
        self.fc = nn.Linear(nz, self.c0 * self.start)
        ups: list[nn.Module] = []
        c = self.c0
        for i in range(layers):
            c_out = channels if i == layers - 1 else c // 2
            # output length (L - 1) 4 - 2 p + k + 1 = 4 L with p = k // 2 - 1 (11 for k = 25)
            if upsample == "transposed":
                ups.append(nn.ConvTranspose1d(c, c_out, kernel, stride=4, padding=kernel // 2 - 1,
                                              output_padding=1))
            else:  # the paper's alternative (appendix): interpolate by 4, then a stride-1 conv
                ups += [nn.Upsample(scale_factor=4, mode=upsample),
                        nn.Conv1d(c, c_out, kernel, padding=kernel // 2)]
            ups.append(nn.Tanh() if i == layers - 1 else nn.ReLU())
            c = c_out
        self.ups = nn.Sequential(*ups)

    def forward(self, z: Tensor) -> Tensor:
        h = F.relu(self.fc(z)).view(len(z), self.c0, self.start)  # (B, C0, L0)
        return self.ups(h)  # (B, 1, L)


class WaveDiscriminator(nn.Module):
    """x (B, 1, L) -> stride-4 convs, LeakyReLU(0.2), phase shuffle -> dense -> (B,) scores."""

    def __init__(self, length: int, d: int = 8, layers: int = 4, kernel: int = 25,
                 shuffle: int = 2, channels: int = 1) -> None:
        super().__init__()
        end = _check_length(length, layers)
        self.shuffle = shuffle
        self.convs = nn.ModuleList()
        c = channels
        for i in range(layers):
            c_out = d * 2**i
            self.convs.append(nn.Conv1d(c, c_out, kernel, stride=4, padding=kernel // 2 - 1))
            c = c_out
        self.fc = nn.Linear(c * end, 1)

    def forward(self, x: Tensor) -> Tensor:
        h = x  # (B, 1, L)
        for i, conv in enumerate(self.convs):
            h = F.leaky_relu(conv(h), 0.2)  # (B, d 2^i, L / 4^(i+1))
            if i < len(self.convs) - 1 and self.training:
                h = phase_shuffle(h, self.shuffle)
        return self.fc(h.flatten(1)).squeeze(1)  # (B,)


@dataclass
class WaveGANConfig(GANConfig):
    """WaveGAN: GANConfig's `width` is the model size d (channels of the widest-resolution layer)."""

    layers: int = opt(4, "upsampling layers of 4 each (5 in the paper, for 16384 samples)")
    kernel: int = opt(25, "convolution length (odd)")
    shuffle: int = opt(2, "phase shuffle width n (0: off)")
    upsample: str = opt("transposed", "G's upsampling: 'transposed' conv, or 'nearest'/'linear' + conv")


def _build_wavegan(name: str, cfg: WaveGANConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    if len(shape) != 2:
        raise ValueError(f"variant {name!r} is for audio clips (C, L), got item shape {shape}")
    channels, length = shape
    nz = cfg.nz or 64
    g = WaveGenerator(length, nz, cfg.width, cfg.layers, cfg.kernel, channels, cfg.upsample)
    d = WaveDiscriminator(length, cfg.width, cfg.layers, cfg.kernel, cfg.shuffle, channels)
    teams = gd_teams(cfg)
    return Game(name, {"G": g, "D": d}, teams, adversarial_phases(cfg, conditional=False), nz=nz)


register("wavegan", Preset("WaveGAN: 1D transposed convs (kernel 25, stride 4), phase-shuffle D, "
                           "WGAN-GP (lambda 10, 5 critic steps, Adam 1e-4 (0.5, 0.9))",
                           WaveGANConfig(loss="wasserstein", gp=10.0, n_critic=5, width=8,
                                         lr_g=1e-4, lr_d=1e-4, betas=(0.5, 0.9)),
                           builder="wavegan"), _build_wavegan)
