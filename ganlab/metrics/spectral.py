"""Average power spectra of 1D signals and the log-spectral distance between two sets.

The spectrum is Welch's averaged periodogram (Welch 1967, "The use of fast Fourier
transform for the estimation of power spectra"): each signal is cut into frames of n_fft
samples (hop n_fft / 2), each frame multiplied by a periodic Hann window w, and
P[f] = |rfft(w x)[f]|^2 / sum_n w[n]^2 averaged over frames and signals. Used to compare
generated and real sounds (WaveGAN, Donahue et al. 2019, judge audio by listening and by an
Inception score; a spectral distance needs no trained classifier):

    LSD = sqrt( mean_f ( 10 log10 (P_real[f] + eps) - 10 log10 (P_fake[f] + eps) )^2 )  (dB)

A pure tone A cos(2 pi k n / n_fft) lies exactly on bin k: its periodogram is
(A n_fft / 4)^2 / (3 n_fft / 8) at k and (A n_fft / 8)^2 / (3 n_fft / 8) at k +- 1, zero
elsewhere. Scaling a set of signals by s moves every bin by 20 log10 s dB.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = ["power_spectrum", "log_spectral_distance"]


def _signals(x: Tensor, n_fft: int) -> Tensor:
    x = torch.as_tensor(x)
    if x.dim() == 3:
        x = x.reshape(-1, x.shape[-1])  # (B, C, L) -> (B C, L)
    if x.dim() != 2:
        raise ValueError(f"expected signals (B, L) or (B, C, L), got shape {tuple(x.shape)}")
    if n_fft < 2 or x.shape[-1] < n_fft:
        raise ValueError(f"n_fft must be in [2, L = {x.shape[-1]}], got {n_fft}: use a smaller n_fft")
    if not torch.isfinite(x).all():
        raise ValueError("signals contain NaN or inf")
    return x.double()


def power_spectrum(x: Tensor, n_fft: int = 256, hop: int | None = None) -> Tensor:
    """Welch's average periodogram of signals (B, L) or (B, C, L): (n_fft // 2 + 1,) float64."""
    x = _signals(x, n_fft)
    frames = x.unfold(-1, n_fft, hop or max(1, n_fft // 2))  # (N, F, n_fft)
    w = torch.hann_window(n_fft, periodic=True, dtype=torch.float64)  # (n_fft,)
    spec = torch.fft.rfft(frames * w, dim=-1).abs().square() / w.square().sum()  # (N, F, bins)
    return spec.mean(dim=(0, 1))


def log_spectral_distance(real: Tensor, fake: Tensor, n_fft: int = 256, hop: int | None = None,
                          eps: float = 1e-10) -> float:
    """RMS over frequency bins of the dB difference of the two sets' average power spectra."""
    p_real, p_fake = power_spectrum(real, n_fft, hop), power_spectrum(fake, n_fft, hop)
    diff_db = 10 * (torch.log10(p_real + eps) - torch.log10(p_fake + eps))  # (bins,)
    return math.sqrt(float(diff_db.square().mean()))
