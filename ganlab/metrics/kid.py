"""Kernel Inception Distance (Bińkowski et al. 2018, "Demystifying MMD GANs",
eq. 4 and appendix): the unbiased estimator of MMD^2 with the cubic kernel

    k(x, y) = (x . y / d + 1)^3,

averaged over random subsets of ``subset_size`` samples from each set. The std
over subsets uses divisor n (as the authors' code and torchmetrics do). Like FID
it depends on the feature network; ganlab usually uses its own.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_pair, check_finite_result

__all__ = ["kid", "mmd2_unbiased_poly"]


def mmd2_unbiased_poly(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD^2 between ``(m, d)`` sets of equal size with the cubic kernel."""
    m, d = x.shape
    k_xx = (x @ x.T / d + 1.0) ** 3  # (m, m)
    k_yy = (y @ y.T / d + 1.0) ** 3
    k_xy = (x @ y.T / d + 1.0) ** 3
    # off-diagonal means of k_xx, k_yy (unbiased), full mean of k_xy
    xx = (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
    yy = (k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(xx + yy - 2.0 * k_xy.mean())


def kid(real, fake, subsets: int = 100, subset_size: int = 1000,
        seed: int = 0) -> tuple[float, float]:
    """KID mean and std over ``subsets`` random subsets of ``min(N, subset_size)`` samples.

    ``N`` is the smaller of the two set sizes; subsets are drawn without replacement
    with a numpy generator seeded by ``seed``. With ``subset_size >= N`` and
    ``subsets=1`` the result is the full-set unbiased MMD^2 (no randomness).
    """
    if subsets < 1 or subset_size < 2:
        raise ValueError(f"need subsets >= 1 and subset_size >= 2, got {subsets}, {subset_size}")
    real, fake = as_pair(real, fake, min_samples=2, why="the unbiased MMD^2 needs pairs")
    m = min(real.shape[0], fake.shape[0], subset_size)
    rng = np.random.default_rng(seed)
    scores = np.empty(subsets)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused below
        for i in range(subsets):
            x = real[rng.choice(real.shape[0], m, replace=False)]
            y = fake[rng.choice(fake.shape[0], m, replace=False)]
            scores[i] = mmd2_unbiased_poly(x, y)
    mean = check_finite_result(float(scores.mean()), "KID", np.concatenate([real, fake]))
    return mean, float(scores.std())
