"""Mode-collapse metrics.

2D mixtures (the protocol of VEEGAN, Srivastava et al. 2017, section 5.1, and
PacGAN, Lin et al. 2018, table 1): each sample is assigned to its nearest mode
mean; it is *high quality* (HQ) if within 3 sigma of that mean; a mode is
*captured* if at least one HQ sample is assigned to it. Reverse KL is
KL(q || p) where q is the histogram of nearest modes among HQ samples and p the
uniform distribution over the K modes: sum_k q_k log(q_k K), with 0 log 0 = 0.
Convention when no sample is HQ: q is undefined and ``reverse_kl`` is ``inf``.
(Some papers count every sample, not only HQ ones, in q; we follow PacGAN's
released code, which uses HQ samples.)

Stacked digits (Metz et al. 2017, unrolled GAN, section 3.3.2; PacGAN table 2):
each of the 3 channels is classified by the digits network; the mode is the
3-digit number (1,000 modes). Reported: modes covered and KL(q || uniform).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ._checks import as_features, check_images

__all__ = ["mode_metrics", "mode_counts", "stacked_mode_metrics", "kl_to_uniform"]


def kl_to_uniform(counts, num_modes: int) -> float:
    """KL(q || uniform over ``num_modes``) for a histogram of counts; inf if empty."""
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    if total == 0:
        return math.inf
    q = counts[counts > 0] / total
    return float((q * np.log(q * num_modes)).sum())


def _nearest(samples, means, sigma: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Each sample's nearest mode (N,), whether it is high quality (N,), and K."""
    x = as_features(samples, "samples")
    mu = as_features(means, "means")
    if x.shape[1] != mu.shape[1]:
        raise ValueError(f"samples are {x.shape[1]}-d but means are {mu.shape[1]}-d")
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    d2 = ((x[:, None, :] - mu[None, :, :]) ** 2).sum(-1)  # (N, K)
    nearest = d2.argmin(1)
    hq = np.sqrt(d2[np.arange(len(x)), nearest]) <= 3.0 * sigma
    return nearest, hq, len(mu)


def mode_counts(samples, means, sigma: float, hq_only: bool = True) -> np.ndarray:
    """Samples per mode (K,): nearest-mode counts of the high-quality samples (or of all)."""
    nearest, hq, k = _nearest(samples, means, sigma)
    return np.bincount(nearest[hq] if hq_only else nearest, minlength=k)


def mode_metrics(samples, means, sigma: float) -> dict:
    """Modes captured, HQ fraction and reverse KL of ``samples`` (N, d) against a mixture.

    ``means`` is ``(K, d)``, ``sigma`` the mixture's component std. Returns
    ``{"modes": int, "hq_fraction": float, "reverse_kl": float}``.
    """
    nearest, hq, k = _nearest(samples, means, sigma)
    counts = np.bincount(nearest[hq], minlength=k)
    return {
        "modes": int((counts > 0).sum()),
        "hq_fraction": float(hq.mean()),
        "reverse_kl": kl_to_uniform(counts, k),
    }


@torch.no_grad()
def stacked_mode_metrics(images: torch.Tensor, classifier) -> dict:
    """Modes (of 1,000) and KL to uniform for stacked-digit images ``(N, 3, H, W)``.

    ``classifier`` maps ``(N, 1, H, W)`` digits to class probabilities or logits
    ``(N, 10)`` (e.g. ``ganlab.features.load_digits_net().probs``).
    """
    check_images(images, channels=3)
    digits = [classifier(images[:, c:c + 1]).argmax(1) for c in range(3)]  # 3 x (N,)
    label = (100 * digits[0] + 10 * digits[1] + digits[2]).cpu().numpy()
    counts = np.bincount(label, minlength=1000)
    return {"modes": int((counts > 0).sum()), "kl": kl_to_uniform(counts, 1000)}
