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

Beyond the paper: the value of a stochastic D (a Beta kernel per x, never above V(D*));
pure vs mixed min-max of a finite zero-sum game (von Neumann's theorem, by linear
programming) and its exploitability; gradient play on the bilinear game x y (simultaneous,
alternating, extragradient: Korpelevich 1976); the density a logit implies against a known
noise q, the fixed point of noise-contrastive estimation (Gutmann & Hyvarinen 2010).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy.integrate import cumulative_trapezoid, simpson
from scipy.optimize import linprog
from scipy.special import digamma, expit, xlog1py, xlogy

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
    "beta_kernel_value",
    "pure_minmax",
    "mixed_minmax",
    "exploitability",
    "BILINEAR_METHODS",
    "bilinear_dynamics",
    "density_from_logit",
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


# --- stochastic discriminators, move order, noise-contrastive estimation ----------------


def beta_kernel_value(
    logit: Density, conc: float, p: Density, q: Density, x: np.ndarray = GRID
) -> float:
    """V of a stochastic D: at each x a draw Y ~ Beta(conc * m(x), conc * (1 - m(x))).

    The kernel's mean is m = sigmoid(logit(x)) (given as a logit, so the tails where m
    rounds to 0 or 1 stay exact); ``conc`` -> infinity concentrates it on m.
    V(kernel, G) = E_p E_Y log Y + E_q E_Y log(1 - Y), with the Beta's exact log-moments
    E log Y = psi(a) - psi(a + b), E log(1 - Y) = psi(b) - psi(a + b) (psi: digamma).
    By Jensen (a log y + b log(1 - y) is concave) it is never above V(D*, G).
    """
    if not conc > 0:
        raise ValueError(f"the concentration must be > 0, got {conc}")
    px, qx = p(x), q(x)
    s = np.asarray(logit(x), dtype=np.float64)
    a, b = conc * expit(s), conc * expit(-s)  # conc * m, conc * (1 - m)
    with np.errstate(divide="ignore", invalid="ignore"):
        e_log_y = digamma(a) - digamma(a + b)  # E log Y
        e_log_1my = digamma(b) - digamma(a + b)  # E log(1 - Y)
        integrand = np.where(px > 0, px * e_log_y, 0.0) + np.where(qx > 0, qx * e_log_1my, 0.0)
    return integrate(integrand, x)


def pure_minmax(A: np.ndarray) -> tuple[float, float]:
    """(min_i max_j A[i, j], max_j min_i A[i, j]) over pure strategies.

    Row i: the minimiser's (G's) move, column j: the maximiser's (D's); A is paid to D.
    The first is G moving first (D answers), the second D moving first; first >= second.
    """
    A = np.asarray(A, dtype=np.float64)
    return float(A.max(axis=1).min()), float(A.min(axis=0).max())


def mixed_minmax(A: np.ndarray) -> tuple[float, float, np.ndarray, np.ndarray]:
    """(min_x max_y x^T A y, max_y min_x x^T A y, x*, y*) over mixed strategies, by two LPs.

    G's LP: minimise v subject to (A^T x)_j <= v for all j, x in the simplex; D's LP:
    maximise w subject to (A y)_i >= w for all i. By von Neumann's minimax theorem the two
    values agree and (x*, y*) is a Nash equilibrium (a saddle point of x^T A y).
    """
    A = np.asarray(A, dtype=np.float64)
    n, k = A.shape

    def solve(M):  # min v s.t. M^T u <= v, u in the simplex; variables (u, v)
        rows, cols = M.shape
        res = linprog(np.r_[np.zeros(rows), 1.0], A_ub=np.c_[M.T, -np.ones(cols)],
                      b_ub=np.zeros(cols), A_eq=np.r_[np.ones(rows), 0.0][None],
                      b_eq=[1.0], bounds=[(0, None)] * rows + [(None, None)], method="highs")
        if not res.success:
            raise RuntimeError(f"linprog failed: {res.message}")
        return res.x[-1], res.x[:-1]

    v_g, x_star = solve(A)  # G: min_x max_j (A^T x)_j
    v_d, y_star = solve(-A.T)  # D: min_y max_i -(A y)_i = -max_y min_i (A y)_i
    return float(v_g), float(-v_d), x_star, y_star


def exploitability(A: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    """How much the better unilateral deviation gains: max_j (A^T x)_j - min_i (A y)_i >= 0.

    Zero exactly at a Nash equilibrium (saddle point) of the zero-sum game x^T A y.
    """
    A = np.asarray(A, dtype=np.float64)
    return float((A.T @ x).max() - (A @ y).min())


BILINEAR_METHODS = ("simultaneous", "alternating", "extragradient")


def bilinear_dynamics(method: str, lr: float, steps: int, start=(1.0, 0.0)) -> np.ndarray:
    """Gradient play on min_x max_y f = x y from ``start``: the path, (steps + 1, 2).

    simultaneous:  x' = x - lr y,  y' = y + lr x            (|(x, y)| grows by sqrt(1 + lr^2))
    alternating:   x' = x - lr y,  y' = y + lr x'           (area-preserving: stays bounded)
    extragradient: look ahead (x - lr y, y + lr x), then step with the gradient there
                   (|(x, y)| shrinks by sqrt(1 - lr^2 + lr^4)). Korpelevich 1976.
    The equilibrium is (0, 0).
    """
    if method not in BILINEAR_METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {BILINEAR_METHODS}")
    path = np.empty((steps + 1, 2))
    path[0] = start
    x, y = map(float, start)
    for k in range(steps):
        if method == "simultaneous":
            x, y = x - lr * y, y + lr * x  # df/dx = y, df/dy = x
        elif method == "alternating":
            x = x - lr * y
            y = y + lr * x
        else:
            xh, yh = x - lr * y, y + lr * x  # the look-ahead point
            x, y = x - lr * yh, y + lr * xh
        path[k + 1] = x, y
    return path


def density_from_logit(s: Density, q: Density) -> Density:
    """The density a discriminator's logit implies against a known q: p(x) = q(x) e^{s(x)}.

    Inverts D* = p / (p + q): its logit is log p - log q. Noise-contrastive estimation
    (Gutmann & Hyvarinen 2010) trains s = log p_model - log q with D's logistic loss, so
    at the optimum the model is the data density, normaliser included.
    """
    return lambda x: q(x) * np.exp(np.asarray(s(x), dtype=np.float64))
