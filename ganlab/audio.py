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

HiFi-GAN (Kong, Kim and Bae 2020, "HiFi-GAN: Generative Adversarial Networks for Efficient
and High Fidelity Speech Synthesis", `hifigan`) is a *vocoder*: G maps a log-mel spectrogram
to the waveform it came from. G (sec. 2.1): a conv, then transposed convolutions that
upsample the frame rate to the sample rate (their strides multiply to the STFT hop), each
followed by multi-receptive-field fusion (the mean of residual blocks with different kernel
sizes and dilations, LeakyReLU 0.1), a conv and tanh. Two discriminators: the multi-period
D (sec. 2.2) reshapes the 1D signal of length T into a 2D map (T/p, p) for periods p = 2, 3,
5, 7, 11 and runs (k, 1) convs on it, so each sub-D sees every p-th sample; the multi-scale
D (sec. 2.3, MelGAN's) runs 1D convs on the raw, x2 and x4 average-pooled signal. Losses
(sec. 2.4): least squares (eq. 1-2), feature matching (the L1 distance between D's
intermediate features on real and generated audio, eq. 4, weight 2) and the L1 distance
between log-mel spectrograms (eq. 3, weight 45).

The front end is written here: `stft` (torch.stft, periodic Hann, centred, reflect padding),
the mel scale m = 2595 log10(1 + f / 700) (O'Shaughnessy 1987) and its triangular filterbank
(`mel_filterbank`, HTK-style: filter k rises linearly from mel point k to k + 1 and falls to
k + 2, peak 1, so neighbouring triangles sum to 1 between the first and last centre), and
`log_mel` = log(max(fb |STFT|, 1e-5)). The null: Griffin-Lim (Griffin and Lim 1984,
`griffin_lim`), which recovers a phase for a given STFT magnitude by alternating projections
(impose the magnitude, then take the STFT of the inverse STFT), run on the magnitude that the
log-mel determines up to the filterbank's pseudo-inverse (`mel_to_linear`).

Deviations, for a CPU budget: 8 kHz clips, n_fft 256, hop 64, 32 mels; G's channels 64,
three x4 upsamplers, two residual blocks (kernels 3, 7; dilations 1, 3) per stage (the
paper's V1: 512 channels, strides 8, 8, 2, 2 for hop 256, kernels 3, 7, 11); sub-D's of 8-32
channels; no weight or spectral norm; the least-squares losses carry ganlab's 1/2 factor
(`losses.d_least_squares_01`), the same for every sub-D.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import losses
from .options import opt
from .registry import (
    GPPart,
    LossPart,
    NetPart,
    OptimPart,
    Preset,
    R1ClipPart,
    adversarial_phases,
    columns,
    gd_teams,
    register,
)
from .train import Game, Phase, Step, Team

UPSAMPLES = ("transposed", "nearest", "linear")
__all__ = ["phase_shuffle", "shift_reflect", "WaveGenerator", "WaveDiscriminator",
           "WaveGANConfig", "hz_to_mel", "mel_to_hz", "mel_filterbank", "stft", "istft",
           "log_mel", "mel_to_linear", "griffin_lim", "spectral_convergence", "HiFiGenerator",
           "PeriodDiscriminator", "ScaleDiscriminator", "HiFiDiscriminator",
           "feature_match_l1", "HiFiGANConfig", "PERIODS"]


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
class WaveGANConfig(R1ClipPart, GPPart, OptimPart, NetPart, LossPart):
    """WaveGAN: NetPart's `width` is the model size d (channels of the widest-resolution layer)."""

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
                           builder="wavegan", data="audio", default_data="sounds"), _build_wavegan)


# --- HiFi-GAN: the log-mel front end, Griffin-Lim, the vocoder -------------------------------

PERIODS = (2, 3, 5, 7, 11)  # the multi-period D's periods (primes: little overlap)


def hz_to_mel(f: Tensor | float) -> Tensor:
    """The mel scale: m = 2595 log10(1 + f / 700)."""
    return 2595.0 * torch.log10(1.0 + torch.as_tensor(f, dtype=torch.float64) / 700.0)


def mel_to_hz(m: Tensor | float) -> Tensor:
    """Its inverse: f = 700 (10^(m / 2595) - 1)."""
    return 700.0 * (10.0 ** (torch.as_tensor(m, dtype=torch.float64) / 2595.0) - 1.0)


def mel_filterbank(n_fft: int, n_mels: int, rate: int, f_min: float = 0.0,
                   f_max: float | None = None) -> Tensor:
    """Triangular filters on the rfft bins, (n_mels, n_fft // 2 + 1) float32: filter k is 0
    below f_k, rises to 1 at f_{k+1} and falls to 0 at f_{k+2}, f_0..f_{n_mels+1} equally
    spaced in mel between f_min and f_max (default rate / 2)."""
    f_max = rate / 2 if f_max is None else f_max
    if not 0 <= f_min < f_max <= rate / 2 or n_mels < 1:
        raise ValueError(f"need 0 <= f_min < f_max <= rate / 2 = {rate / 2} and n_mels >= 1, got "
                         f"f_min {f_min}, f_max {f_max}, n_mels {n_mels}")
    edges = mel_to_hz(torch.linspace(float(hz_to_mel(f_min)), float(hz_to_mel(f_max)), n_mels + 2,
                                     dtype=torch.float64))  # (n_mels + 2,) Hz
    freqs = torch.arange(n_fft // 2 + 1, dtype=torch.float64) * rate / n_fft  # bin centres, Hz
    rise = (freqs - edges[:-2, None]) / (edges[1:-1] - edges[:-2])[:, None]  # (n_mels, bins)
    fall = (edges[2:, None] - freqs) / (edges[2:] - edges[1:-1])[:, None]
    return torch.minimum(rise, fall).clamp(min=0).float()


def _window(n_fft: int, x: Tensor) -> Tensor:
    return torch.hann_window(n_fft, periodic=True, dtype=x.dtype, device=x.device)


def stft(x: Tensor, n_fft: int = 256, hop: int = 64) -> Tensor:
    """Complex STFT of signals (B, L) or (B, 1, L): (B, n_fft // 2 + 1, L // hop + 1), centred
    frames (reflect padding), periodic Hann window."""
    if x.dim() == 3:
        if x.shape[1] != 1:
            raise ValueError(f"expected mono clips (B, 1, L), got {tuple(x.shape)}")
        x = x[:, 0]
    if x.dim() != 2 or x.shape[-1] <= n_fft // 2:
        raise ValueError(f"expected signals (B, L) with L > n_fft / 2 = {n_fft // 2}, got "
                         f"{tuple(x.shape)}")
    return torch.stft(x, n_fft, hop, window=_window(n_fft, x), center=True, pad_mode="reflect",
                      return_complex=True)


def istft(spec: Tensor, length: int, n_fft: int = 256, hop: int = 64) -> Tensor:
    """The inverse of `stft` (least-squares overlap-add): (B, F, T) complex -> (B, length)."""
    return torch.istft(spec, n_fft, hop, window=_window(n_fft, spec.real), center=True,
                       length=length)


def log_mel(x: Tensor, n_fft: int = 256, hop: int = 64, n_mels: int = 32, rate: int = 8000,
            eps: float = 1e-5) -> Tensor:
    """log(max(fb |STFT(x)|, eps)) of clips (B, 1, L): (B, n_mels, L // hop + 1)."""
    mag = stft(x, n_fft, hop).abs()  # (B, bins, T)
    fb = mel_filterbank(n_fft, n_mels, rate).to(x.device, mag.dtype)  # (n_mels, bins)
    return torch.log((fb @ mag).clamp(min=eps))


def mel_to_linear(mel: Tensor, n_fft: int = 256, rate: int = 8000) -> Tensor:
    """A magnitude spectrogram (B, bins, T) >= 0 from a log-mel (B, n_mels, T): the filterbank's
    pseudo-inverse applied to exp(mel), negative values set to 0 (the least-squares answer;
    the fine detail the mel bands averaged away is not recovered)."""
    fb = mel_filterbank(n_fft, mel.shape[1], rate).to(mel.device, torch.float64)
    return (torch.linalg.pinv(fb) @ mel.double().exp()).clamp(min=0).to(mel.dtype)


def spectral_convergence(y: Tensor, mag: Tensor, n_fft: int = 256, hop: int = 64) -> Tensor:
    """|| |STFT(y)| - mag ||_F / ||mag||_F per signal: (B,). 0 when y has exactly that magnitude."""
    diff = stft(y, n_fft, hop).abs() - mag  # (B, bins, T)
    return diff.flatten(1).norm(dim=1) / mag.flatten(1).norm(dim=1)


def griffin_lim(mag: Tensor, length: int, n_fft: int = 256, hop: int = 64, iters: int = 32,
                generator: torch.Generator | None = None, angles: Tensor | None = None) -> Tensor:
    """Griffin and Lim (1984): a signal (B, length) whose STFT magnitude approaches `mag`
    (B, bins, T). From phases `angles` (radians; default uniform random), repeat:
    y = istft(mag e^{i phase}); phase = angle(stft(y)). Each iteration does not increase
    || |STFT(y)| - mag || (their eq. 6); a consistent (mag, phase) pair is a fixed point."""
    if iters < 1:
        raise ValueError(f"iters must be >= 1, got {iters}")
    if angles is None:
        angles = 2 * math.pi * torch.rand(mag.shape, generator=generator, dtype=torch.float64)
    spec = torch.polar(mag.double(), angles.double().to(mag.device))  # (B, bins, T) complex
    for _ in range(iters):
        y = istft(spec, length, n_fft, hop)  # (B, length)
        s = stft(y, n_fft, hop)
        spec = mag.double() * s / s.abs().clamp(min=1e-12)  # the magnitude imposed, its phase kept
    return istft(spec, length, n_fft, hop).to(mag.dtype)


def upsample_rates(hop: int) -> tuple[int, ...]:
    """The strides of G's upsamplers: 4s then 2s whose product is the hop (64 -> 4, 4, 4)."""
    rates, rest = [], hop
    while rest % 4 == 0:
        rates, rest = rates + [4], rest // 4
    if rest == 2:
        rates, rest = rates + [2], 1
    if rest != 1 or not rates:
        raise ValueError(f"the hop must be a power of 2 of at least 2 (G upsamples by 4s and 2s), "
                         f"got {hop}")
    return tuple(rates)


class _ResBlock(nn.Module):
    """x + conv_d(LeakyReLU(x)) for each dilation d (HiFi-GAN's ResBlock2)."""

    def __init__(self, c: int, kernel: int, dilations: tuple[int, ...] = (1, 3)) -> None:
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv1d(c, c, kernel, dilation=d, padding=d * (kernel - 1) // 2)
                                   for d in dilations)

    def forward(self, x: Tensor) -> Tensor:
        for conv in self.convs:
            x = x + conv(F.leaky_relu(x, 0.1))  # (B, c, L)
        return x


class HiFiGenerator(nn.Module):
    """log-mel (B, n_mels, T) -> waveform (B, 1, T hop): conv 7, [LeakyReLU, transposed conv
    (stride r, kernel 2r), the mean of residual blocks (MRF)] per rate, LeakyReLU, conv 7, tanh."""

    def __init__(self, n_mels: int = 32, width: int = 64, rates: tuple[int, ...] = (4, 4, 4),
                 kernels: tuple[int, ...] = (3, 7)) -> None:
        super().__init__()
        self.pre = nn.Conv1d(n_mels, width, 7, padding=3)
        self.ups, self.mrfs = nn.ModuleList(), nn.ModuleList()
        c = width
        for r in rates:  # output length (T - 1) r - 2 (r // 2) + 2 r = T r for even r
            self.ups.append(nn.ConvTranspose1d(c, c // 2, 2 * r, stride=r, padding=r // 2))
            c //= 2
            self.mrfs.append(nn.ModuleList(_ResBlock(c, k) for k in kernels))
        self.post = nn.Conv1d(c, 1, 7, padding=3)

    def forward(self, mel: Tensor) -> Tensor:
        h = self.pre(mel)  # (B, width, T)
        for up, mrf in zip(self.ups, self.mrfs):
            h = up(F.leaky_relu(h, 0.1))  # (B, c / 2, T r)
            h = sum(block(h) for block in mrf) / len(mrf)  # multi-receptive-field fusion
        return torch.tanh(self.post(F.leaky_relu(h, 0.1)))  # (B, 1, T hop)


def _conv_stack(convs: nn.ModuleList, post: nn.Module, h: Tensor) -> tuple[Tensor, list[Tensor]]:
    """A HiFi-GAN sub-D's body: each conv then LeakyReLU 0.1, then the post conv (no
    activation); returns (the post conv's output flattened to logits (B, N), every layer's
    output, the post conv's last) -- the feature maps of the feature-matching loss."""
    feats = []
    for conv in convs:
        h = F.leaky_relu(conv(h), 0.1)
        feats.append(h)
    h = post(h)
    feats.append(h)
    return h.flatten(1), feats


class PeriodDiscriminator(nn.Module):
    """One sub-D of the multi-period D: (B, 1, L) -> reflect-pad to a multiple of p, view as
    (B, 1, L / p, p), (5, 1) convs of stride (3, 1): (logits (B, N), [feature maps])."""

    def __init__(self, period: int, width: int = 8) -> None:
        super().__init__()
        self.period = period
        chans = [1, width, 2 * width, 4 * width]
        self.convs = nn.ModuleList(nn.Conv2d(a, b, (5, 1), (3, 1), padding=(2, 0))
                                   for a, b in zip(chans, chans[1:]))
        self.convs.append(nn.Conv2d(chans[-1], chans[-1], (5, 1), 1, padding=(2, 0)))
        self.post = nn.Conv2d(chans[-1], 1, (3, 1), 1, padding=(1, 0))

    def forward(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        b, c, n = x.shape
        if n % self.period:
            x = F.pad(x, (0, self.period - n % self.period), mode="reflect")
        h = x.view(b, c, -1, self.period)  # (B, 1, L / p, p): column j holds samples j, j + p, ...
        return _conv_stack(self.convs, self.post, h)


class ScaleDiscriminator(nn.Module):
    """One sub-D of the multi-scale D: strided, grouped 1D convs: (logits (B, N), [feature maps])."""

    def __init__(self, width: int = 8) -> None:
        super().__init__()
        w = width
        self.convs = nn.ModuleList([
            nn.Conv1d(1, w, 15, 1, padding=7),
            nn.Conv1d(w, 2 * w, 41, 4, groups=math.gcd(w, 4), padding=20),
            nn.Conv1d(2 * w, 4 * w, 41, 4, groups=math.gcd(2 * w, 8), padding=20),
            nn.Conv1d(4 * w, 4 * w, 5, 1, padding=2)])
        self.post = nn.Conv1d(4 * w, 1, 3, 1, padding=1)

    def forward(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        return _conv_stack(self.convs, self.post, x)  # x: (B, 1, L)


class HiFiDiscriminator(nn.Module):
    """The multi-period D (periods `PERIODS`) and the multi-scale D (the signal, and average-
    pooled x2 and x4), one module: x (B, 1, L) -> one (logits, features) per sub-D."""

    def __init__(self, width: int = 8, periods: tuple[int, ...] = PERIODS, scales: int = 3) -> None:
        super().__init__()
        self.mpd = nn.ModuleList(PeriodDiscriminator(p, width) for p in periods)
        self.msd = nn.ModuleList(ScaleDiscriminator(width) for _ in range(scales))

    def forward(self, x: Tensor) -> list[tuple[Tensor, list[Tensor]]]:
        outs = [d(x) for d in self.mpd]
        h = x
        for i, d in enumerate(self.msd):
            if i:
                h = F.avg_pool1d(h, 4, 2, padding=2)  # (B, 1, ~L / 2^i)
            outs.append(d(h))
        return outs


def feature_match_l1(real: list[tuple[Tensor, list[Tensor]]],
                     fake: list[tuple[Tensor, list[Tensor]]]) -> Tensor:
    """HiFi-GAN's feature-matching loss (eq. 4): sum over sub-D's and their layers of the mean
    |D_l(x) - D_l(G(s))|, real features detached."""
    return sum((fr.detach() - ff).abs().mean() for (_, a), (_, b) in zip(real, fake)
               for fr, ff in zip(a, b))


@dataclass
class HiFiGANConfig:
    """HiFi-GAN's options: the log-mel front end, the nets' widths and the loss weights."""

    n_fft: int = opt(256, "STFT size of the log-mel input (HiFi-GAN: 1024 at 22 kHz)")
    hop: int = opt(64, "STFT hop = G's total upsampling, a power of 2 (HiFi-GAN: 256)")
    n_mels: int = opt(32, "mel bands (HiFi-GAN: 80)")
    rate: int = opt(8000, "sample rate of the clips in Hz, for the mel scale")
    width: int = opt(64, "G's channels after its first conv, halved by each upsampler (V1: 512)")
    d_width: int = opt(8, "channels of each sub-D's first conv")
    mel_weight: float = opt(45.0, "weight of the log-mel L1 loss (eq. 3)")
    fm_weight: float = opt(2.0, "weight of the feature-matching loss (eq. 4)")
    lr: float = opt(2e-4, "both teams, AdamW's betas (0.8, 0.99) as in the paper (Adam here)")


def _no_vocoder_samples(nets, z, labels):
    raise ValueError("a vocoder maps log-mel spectrograms to waveforms: call "
                     "game.nets['G'](audio.log_mel(x)) on clips x")


def _vocode(cfg: HiFiGANConfig, g: nn.Module, x: Tensor) -> tuple[Tensor, Tensor]:
    """(the log-mel of clips x (B, 1, L), G's waveform from it cut to L (B, 1, L))."""
    mel = log_mel(x, cfg.n_fft, cfg.hop, cfg.n_mels, cfg.rate)  # (B, n_mels, L // hop + 1)
    return mel, g(mel)[..., :x.shape[-1]]


def _build_hifigan(name: str, cfg: HiFiGANConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    if len(shape) != 2 or shape[0] != 1 or shape[1] < cfg.n_fft:
        raise ValueError(f"variant {name!r} is for mono clips (1, L) with L >= n_fft = {cfg.n_fft}, "
                         f"got item shape {shape}")
    nets = {"G": HiFiGenerator(cfg.n_mels, cfg.width, upsample_rates(cfg.hop)),
            "D": HiFiDiscriminator(cfg.d_width)}
    if cfg.width // 2 ** len(upsample_rates(cfg.hop)) < 1:
        raise ValueError(f"width {cfg.width} is halved {len(upsample_rates(cfg.hop))} times: too small")

    def d_phase(ctx: Step) -> dict[str, Tensor]:
        with torch.no_grad():
            _, fake = _vocode(cfg, ctx.nets["G"], ctx.real)
        real_o, fake_o = ctx.d(ctx.real), ctx.d(fake)
        loss = sum(losses.d_least_squares_01(r.flatten(), f.flatten())
                   for (r, _), (f, _) in zip(real_o, fake_o))
        return {"loss": loss}

    def g_phase(ctx: Step) -> dict[str, Tensor]:
        mel, fake = _vocode(cfg, ctx.nets["G"], ctx.real)  # (B, n_mels, T), (B, 1, L)
        mel_l1 = (log_mel(fake, cfg.n_fft, cfg.hop, cfg.n_mels, cfg.rate) - mel).abs().mean()
        fake_o = ctx.d(fake)
        with torch.no_grad():
            real_o = ctx.d(ctx.real)
        adv = sum(losses.g_least_squares_01(f.flatten()) for f, _ in fake_o)
        fm = feature_match_l1(real_o, fake_o)
        loss = adv + cfg.fm_weight * fm + cfg.mel_weight * mel_l1
        return {"loss": loss, "adv": adv.detach(), "fm": fm.detach(), "mel_l1": mel_l1.detach()}

    teams = {"D": Team(("D",), cfg.lr, (0.8, 0.99)), "G": Team(("G",), cfg.lr, (0.8, 0.99))}
    phases = [Phase("D", "D", d_phase), Phase("G", "G", g_phase)]
    return Game(name, nets, teams, phases, nz=1, ema=(), generate=_no_vocoder_samples)


def _show_vocoder(cfg: HiFiGANConfig, nets: dict[str, nn.Module], x: Tensor) -> Tensor:
    """Log-mel of each clip | of G's waveform from it, scaled to [-1, 1]: (B, 2, 1, n_mels, T)."""
    mel, fake = _vocode(cfg, nets["G"], x)
    lo, hi = math.log(1e-5), float(mel.max())
    pic = [((m - lo) / max(hi - lo, 1e-6) * 2 - 1)[:, None]  # (B, 1, n_mels, T) in [-1, 1]
           for m in (mel, log_mel(fake, cfg.n_fft, cfg.hop, cfg.n_mels, cfg.rate))]
    return columns(*pic)


register("hifigan", Preset("HiFi-GAN vocoder: log-mel -> waveform; multi-period + multi-scale D, "
                           "least squares + 2 feature matching + 45 log-mel L1",
                           HiFiGANConfig(), builder="hifigan", data="audio", default_data="sounds",
                           samples=False, show=_show_vocoder), _build_hifigan)
