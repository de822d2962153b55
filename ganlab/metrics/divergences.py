"""Sample-based divergences for 1D and 2D toys.

* ``w1_1d``: exact Wasserstein-1 between two empirical 1D distributions,
  W1 = integral |F(t) - G(t)| dt over the merged sorted samples (Villani 2009;
  the CDF form of the 1D optimal transport).
* ``w1_exact``: exact W1 between two equal-size empirical sets in any dimension
  via an optimal assignment (Hungarian algorithm, scipy's
  ``linear_sum_assignment``); O(n^3), for small sets (n <= ~2,000).
* ``mmd2``: MMD^2 with a Gaussian kernel exp(-||x - y||^2 / (2 bandwidth^2))
  (Gretton et al. 2012, eq. 3 unbiased / eq. 5 biased).
* ``histogram_divergences``: KL and JS between histograms of two sample sets on
  a shared grid (1D or 2D). KL is ``inf`` when p has mass where q has none; JS
  (natural log, in [0, log 2]) is always finite.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import linear_sum_assignment

from ._checks import as_features, as_pair

__all__ = ["w1_1d", "w1_exact", "mmd2", "histogram_divergences"]


def _as_1d(x, name: str) -> np.ndarray:
    x = np.asarray(x.detach().cpu() if hasattr(x, "detach") else x, dtype=np.float64)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1:
        raise ValueError(f"{name}: expected 1D samples (N,) or (N, 1), got shape {x.shape}")
    return as_features(x[:, None], name)[:, 0]


def w1_1d(x, y) -> float:
    """Exact W1 between 1D samples (sizes may differ)."""
    x, y = np.sort(_as_1d(x, "x")), np.sort(_as_1d(y, "y"))
    t = np.sort(np.concatenate([x, y]))  # breakpoints of both CDFs
    f = np.searchsorted(x, t[:-1], side="right") / len(x)  # F on each interval [t_i, t_i+1)
    g = np.searchsorted(y, t[:-1], side="right") / len(y)
    return float((np.abs(f - g) * np.diff(t)).sum())


def w1_exact(x, y) -> float:
    """Exact W1 between equal-size sets ``(n, d)``: min over matchings of mean ||x_i - y_pi(i)||."""
    x, y = as_pair(x, y, min_samples=1)
    if len(x) != len(y):
        raise ValueError(f"w1_exact needs equal set sizes, got {len(x)} and {len(y)}; subsample one")
    if len(x) > 5000:
        raise ValueError(f"w1_exact is O(n^3); {len(x)} samples is too many, use <= 5000")
    cost = np.sqrt(((x[:, None, :] - y[None, :, :]) ** 2).sum(-1))  # (n, n)
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].mean())


def mmd2(x, y, bandwidth: float = 1.0, unbiased: bool = True) -> float:
    """MMD^2 with the Gaussian kernel of the given bandwidth."""
    x, y = as_pair(x, y, min_samples=2, why="the unbiased estimator needs pairs")
    if not bandwidth > 0:
        raise ValueError(f"bandwidth must be > 0, got {bandwidth}")

    def k(a, b):
        d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
        return np.exp(-np.clip(d2, 0, None) / (2 * bandwidth**2))

    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    if not unbiased:
        return float(kxx.mean() + kyy.mean() - 2 * kxy.mean())
    n, m = len(x), len(y)
    xx = (kxx.sum() - np.trace(kxx)) / (n * (n - 1))
    yy = (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
    return float(xx + yy - 2 * kxy.mean())


def histogram_divergences(p_samples, q_samples, bins: int = 50, range=None) -> dict:
    """KL(p||q), KL(q||p) and JS(p, q) of histograms of 1D ``(N,)`` or 2D ``(N, 2)`` samples.

    ``range`` is ``(lo, hi)`` for 1D or ``[(lo, hi), (lo, hi)]`` for 2D; by default
    the joint min/max of both sets. Natural log.
    """
    p = np.asarray(p_samples.detach().cpu() if hasattr(p_samples, "detach") else p_samples)
    q = np.asarray(q_samples.detach().cpu() if hasattr(q_samples, "detach") else q_samples)
    p = p[:, None] if p.ndim == 1 else p
    q = q[:, None] if q.ndim == 1 else q
    p, q = as_pair(p, q)
    if p.shape[1] > 2:
        raise ValueError(f"histograms are for 1D or 2D samples, got d={p.shape[1]}")
    if range is None:
        both = np.concatenate([p, q])
        range = list(zip(both.min(0), both.max(0)))
    elif p.shape[1] == 1 and np.ndim(range) == 1:
        range = [range]
    hp = np.histogramdd(p, bins=bins, range=range)[0].ravel()
    hq = np.histogramdd(q, bins=bins, range=range)[0].ravel()
    if hp.sum() == 0 or hq.sum() == 0:
        raise ValueError("no samples fall inside the histogram range")
    hp, hq = hp / hp.sum(), hq / hq.sum()
    return {"kl_pq": _kl(hp, hq), "kl_qp": _kl(hq, hp), "js": _js(hp, hq)}


def _kl(p: np.ndarray, q: np.ndarray) -> float:
    """sum p log(p/q) with 0 log 0 = 0 and inf where p > 0 = q."""
    m = p > 0
    if (q[m] == 0).any():
        return math.inf
    return float((p[m] * np.log(p[m] / q[m])).sum())


def _js(p: np.ndarray, q: np.ndarray) -> float:
    mix = (p + q) / 2  # > 0 wherever p or q is
    return 0.5 * _kl(p, mix) + 0.5 * _kl(q, mix)
