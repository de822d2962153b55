"""The minimax game in one dimension, computed exactly by quadrature.

Goodfellow et al. 2014, "Generative Adversarial Nets":
- eq. 1, the value function V(D, G) = E_{x~p_data} log D(x) + E_{x~p_g} log(1 - D(x));
- Proposition 1, the optimal discriminator D*(x) = p_data(x) / (p_data(x) + p_g(x));
- Theorem 1, C(G) = max_D V(D, G) = -log 4 + 2 JSD(p_data || p_g), minimal iff p_g = p_data.

Densities are callables on float64 numpy arrays (``gaussian_pdf(mu, sigma)``, ``mixture_pdf``).
Integrals use Simpson's rule on a fixed, fine grid (``GRID``, [-20, 20] with 40,001
points by default): far more accurate than the 1e-6 the chapter asserts for the smooth
densities used here. Pass ``x=`` to integrate on another grid; the grid must cover the
mass of both densities (``check_grid`` raises otherwise). ``0 log 0`` is taken as 0
(``scipy.special.xlogy``), so tails where a density underflows add nothing.

The generator-loss gradients at the end are functions of D(G(z)) (a probability), the
derivative of each generator cost with respect to D's logit s, D = sigmoid(s):
- saturating (minimax) J = log(1 - D):           dJ/ds = -D
- non-saturating      J = -log D:                dJ/ds = -(1 - D)
- maximum likelihood  J = -1/2 exp(s) = -1/2 D/(1-D):  dJ/ds = -1/2 D / (1 - D)
(Goodfellow 2016, "NIPS 2016 Tutorial: Generative Adversarial Networks", fig. 16.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy.integrate import cumulative_trapezoid, simpson
from scipy.special import xlog1py, xlogy

Density = Callable[[np.ndarray], np.ndarray]

GRID = np.linspace(-20.0, 20.0, 40_001)  # float64, step 1e-3
LOG4 = float(np.log(4.0))

__all__ = [
    "GRID",
    "LOG4",
    "gaussian_pdf",
    "mixture_pdf",
    "integrate",
    "check_grid",
    "bulk",
    "value_function",
    "optimal_d",
    "optimal_logit",
    "kl",
    "jsd",
    "c_of_g",
    "kl_gaussians",
    "g_loss_grad",
    "G_LOSSES",
]


def gaussian_pdf(mu: float, sigma: float) -> Density:
    """The density of N(mu, sigma^2) as a callable on float64 arrays."""
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    mu, sigma = float(mu), float(sigma)

    def pdf(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))

    return pdf


def mixture_pdf(mus: Sequence[float], sigmas: Sequence[float], weights=None) -> Density:
    """The density of a mixture of 1D Gaussians (equal weights unless given)."""
    if len(mus) != len(sigmas) or len(mus) == 0:
        raise ValueError(f"need as many sigmas as means (>= 1), got {len(mus)} and {len(sigmas)}")
    w = np.full(len(mus), 1.0 / len(mus)) if weights is None else np.asarray(weights, float)
    if w.shape != (len(mus),) or np.any(w < 0) or not np.isclose(w.sum(), 1.0):
        raise ValueError(f"weights must be {len(mus)} non-negative numbers summing to 1, got {w}")
    parts = [gaussian_pdf(m, s) for m, s in zip(mus, sigmas)]
    return lambda x: sum(wi * f(x) for wi, f in zip(w, parts))


def integrate(values: np.ndarray, x: np.ndarray = GRID) -> float:
    """Simpson's rule of ``values`` sampled on the grid ``x``."""
    return float(simpson(values, x=x))


def check_grid(p: Density, x: np.ndarray = GRID, tol: float = 1e-9) -> None:
    """Raise if the grid misses more than ``tol`` of the mass of density ``p``."""
    mass = integrate(p(x), x)
    if abs(mass - 1.0) > tol:
        raise ValueError(
            f"the density integrates to {mass:.12f} on [{x[0]}, {x[-1]}], not 1: "
            "widen or refine the grid (pass x=np.linspace(lo, hi, n))."
        )


def bulk(p: Density, q: Density, mass: float = 0.99, x: np.ndarray = GRID) -> np.ndarray:
    """Mask of the grid points in the central ``mass`` of m = (p + q) / 2: (len(x),) bool.

    The points between the (1 - mass) / 2 and (1 + mass) / 2 quantiles of the mixture m,
    where both players see samples; outside it a trained D is never shown anything.
    """
    if not 0.0 < mass < 1.0:
        raise ValueError(f"mass must lie strictly between 0 and 1, got {mass}")
    cdf = cumulative_trapezoid(0.5 * (p(x) + q(x)), x, initial=0.0)  # (N,) the CDF of m
    tail = 0.5 * (1.0 - mass)
    return (cdf >= tail) & (cdf <= 1.0 - tail)


def optimal_d(p: Density, q: Density) -> Density:
    """D*(x) = p(x) / (p(x) + q(x)) (Proposition 1); 1/2 where both densities vanish."""

    def d(x: np.ndarray) -> np.ndarray:
        px, qx = p(x), q(x)
        s = px + qx
        return np.divide(px, s, out=np.full_like(s, 0.5), where=s > 0)

    return d


def optimal_logit(p: Density, q: Density) -> Density:
    """The logit of D*: log p(x) - log q(x) (+inf where only p lives, -inf where only q does).

    Use it with ``value_function(..., logits=True)`` when the densities barely overlap:
    D* itself rounds to exactly 1 in float64 where q/p < 1e-16, and log(1 - D*) = -inf there,
    while the logit keeps every digit.
    """

    def s(x: np.ndarray) -> np.ndarray:
        px, qx = p(x), q(x)
        with np.errstate(divide="ignore"):
            return np.where((px == 0) & (qx == 0), 0.0, np.log(px) - np.log(qx))

    return s


def value_function(
    d: Density, p: Density, q: Density, x: np.ndarray = GRID, logits: bool = False
) -> float:
    """V(D, G) = E_p log D + E_q log(1 - D), p = p_data, q = p_g (eq. 1).

    ``d`` returns probabilities D(x) in [0, 1], or raw logits s(x) (D = sigmoid(s)) when
    ``logits=True``: then log D = -softplus(-s) and log(1 - D) = -softplus(s), exactly.
    """
    px, qx = p(x), q(x)
    dx = np.asarray(d(x), dtype=np.float64)
    if not logits:
        if np.any((dx < 0) | (dx > 1)):
            raise ValueError("D must return probabilities in [0, 1]; for logits pass logits=True")
        return integrate(xlogy(px, dx) + xlog1py(qx, -dx), x)  # p log D + q log(1 - D)
    with np.errstate(invalid="ignore"):
        log_d = -np.logaddexp(0.0, -dx)  # log sigmoid(s) = -softplus(-s)
        log_1md = -np.logaddexp(0.0, dx)  # log(1 - sigmoid(s)) = -softplus(s)
        integrand = np.where(px > 0, px * log_d, 0.0) + np.where(qx > 0, qx * log_1md, 0.0)
    return integrate(integrand, x)


def kl(p: Density, q: Density, x: np.ndarray = GRID) -> float:
    """KL(p || q) = E_p log(p / q)."""
    px, qx = p(x), q(x)
    if np.any((px > 0) & (qx == 0)):
        raise ValueError("KL(p || q) is infinite: q vanishes where p has mass on this grid")
    return integrate(xlogy(px, px) - xlogy(px, qx), x)  # p log p - p log q


def jsd(p: Density, q: Density, x: np.ndarray = GRID) -> float:
    """JSD(p || q) = 1/2 KL(p || m) + 1/2 KL(q || m), m = (p + q) / 2; in [0, log 2]."""
    px, qx = p(x), q(x)
    mx = 0.5 * (px + qx)
    integrand = 0.5 * (xlogy(px, px) - xlogy(px, mx)) + 0.5 * (xlogy(qx, qx) - xlogy(qx, mx))
    return integrate(integrand, x)


def c_of_g(p: Density, q: Density, x: np.ndarray = GRID) -> float:
    """C(G) = max_D V(D, G) = V(D*, G), computed directly (not through the JSD)."""
    px, qx = p(x), q(x)
    s = px + qx
    # p log(p / (p + q)) + q log(q / (p + q)), 0 log 0 = 0
    return integrate(xlogy(px, px) - xlogy(px, s) + xlogy(qx, qx) - xlogy(qx, s), x)


def kl_gaussians(mu1: float, sigma1: float, mu2: float, sigma2: float) -> float:
    """Closed form KL(N(mu1, s1^2) || N(mu2, s2^2))."""
    return float(
        np.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - 0.5
    )


def _grad_minimax(d: np.ndarray) -> np.ndarray:
    return -d  # d/ds log(1 - sigmoid(s)) = -sigmoid(s)


def _grad_nonsaturating(d: np.ndarray) -> np.ndarray:
    return -(1.0 - d)  # d/ds -log sigmoid(s) = -(1 - sigmoid(s))


def _grad_maxlikelihood(d: np.ndarray) -> np.ndarray:
    return -0.5 * d / (1.0 - d)  # d/ds -1/2 exp(s), exp(s) = D / (1 - D)


G_LOSSES = {
    "minimax": _grad_minimax,
    "nonsaturating": _grad_nonsaturating,
    "maxlikelihood": _grad_maxlikelihood,
}


def g_loss_grad(kind: str, d: np.ndarray) -> np.ndarray:
    """dJ/ds of generator cost ``kind`` at D(G(z)) = ``d`` (s: D's logit, D = sigmoid(s))."""
    if kind not in G_LOSSES:
        raise ValueError(f"unknown generator loss {kind!r}; expected one of {sorted(G_LOSSES)}")
    d = np.asarray(d, dtype=np.float64)
    if np.any((d <= 0) | (d >= 1)):
        raise ValueError("D(G(z)) must lie strictly between 0 and 1")
    return G_LOSSES[kind](d)
