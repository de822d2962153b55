"""The f-GAN family: variational estimates of f-divergences (Nowozin et al. 2016).

An f-divergence D_f(P || Q) = integral q(x) f(p(x) / q(x)) dx, f convex with f(1) = 0,
has the variational lower bound (Nguyen et al. 2010; f-GAN eq. 4)

    D_f(P || Q) >= sup_T  E_P[T(x)] - E_Q[f*(T(x))],   f*(t) = sup_u (u t - f(u)),

with equality at T*(x) = f'(p(x) / q(x)). Here P is the data and Q the generator. The
critic returns a raw score v (ganlab's convention: large = real) and T = g_f(v), the
output activation of f-GAN Table 6, keeps T inside the domain of f*.

Per divergence (f-GAN Table 6 activations; conjugates of Table 2):

| name | f(u) | g_f(v) | f*(t) | f*(g_f(v)) | T* = f'(u) |
|---|---|---|---|---|---|
| kl | u log u | v | exp(t - 1) | exp(v - 1) | 1 + log u |
| reverse_kl | -log u | -exp(-v) | -1 - log(-t) | v - 1 | -1/u |
| pearson | (u - 1)^2 | v | t^2/4 + t | v^2/4 + v | 2 (u - 1) |
| hellinger | (sqrt u - 1)^2 | 1 - exp(-v) | t / (1 - t) | exp(v) - 1 | 1 - 1/sqrt u |
| js | u log u - (u+1) log((u+1)/2) | log2 - softplus(-v) | -log(2 - e^t) | softplus(v)-log2 | log 2u/(1+u) |
| gan | u log u - (u+1) log(u+1) | -softplus(-v) | -log(1 - exp t) | softplus(v) | log(u/(1+u)) |

The composite f*(g_f(v)) is computed in the simplified stable form of the fifth column
(the tests check it equals conjugate(activation(v))). Squared Hellinger is Table 2's
(sqrt u - 1)^2 = integral (sqrt p - sqrt q)^2, without a factor 1/2. The paper's "js"
pair (f, f*) integrates to KL(P || M) + KL(Q || M) = 2 JSD(P || Q), M = (P + Q)/2, twice
the JSD of ganlab.theory.jsd (the activation and conjugate are the paper's; only the name
hides the factor 2). "gan" is 2 JSD - log 4, the original GAN's D objective.

Losses, each returning what the named player minimises:
- D: -(E_P[g_f(v)] - E_Q[f*(g_f(v))]), minus the bound;
- G (`g_loss_saturating`): the bound's G-dependent part, -E_Q[f*(g_f(v))];
- G (`g_loss`, the default): the paper's non-saturating form (section 3.2), -E_Q[g_f(v)].
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["FDivergence", "FGAN", "f_divergence", "fgan_bound"]

LOG2 = math.log(2.0)


@dataclass(frozen=True)
class FDivergence:
    """One member of the family; every callable maps tensors (or numpy arrays, for `f`)."""

    name: str
    f: Callable[[np.ndarray], np.ndarray]  # the generator f(u), u = p/q > 0 (numpy, float64)
    activation: Callable[[Tensor], Tensor]  # g_f(v): raw score -> T in dom f*
    conjugate: Callable[[Tensor], Tensor]  # f*(t), on dom f*
    conj_act: Callable[[Tensor], Tensor]  # f*(g_f(v)), stable composite
    optimal_score: Callable[[Tensor], Tensor]  # v* = g_f^-1(f'(p/q)) as a function of log(p/q)

    def optimal_critic(self, log_ratio: Tensor) -> Tensor:
        """T*(x) = f'(p(x)/q(x)) from log p(x) - log q(x)."""
        return self.activation(self.optimal_score(log_ratio))

    def bound(self, real: Tensor, fake: Tensor) -> Tensor:
        """The variational estimate E_P[g_f(v)] - E_Q[f*(g_f(v))] from critic scores."""
        return self.activation(real).mean() - self.conj_act(fake).mean()

    def d_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        """D maximises the bound: returns -(E_P g_f(v) - E_Q f*(g_f(v)))."""
        _check(real, fake)
        return -self.bound(real, fake)

    def g_loss(self, fake: Tensor) -> Tensor:
        """Non-saturating G loss of f-GAN section 3.2: -E_Q[g_f(v)]."""
        _check(fake)
        return -self.activation(fake).mean()

    def g_loss_saturating(self, fake: Tensor) -> Tensor:
        """G minimises the bound itself; only -E_Q[f*(g_f(v))] depends on G."""
        _check(fake)
        return -self.conj_act(fake).mean()


def _check(*scores: Tensor) -> None:
    for s in scores:
        if not torch.is_tensor(s) or not s.is_floating_point():
            raise TypeError(f"expected a floating-point tensor of D scores, got {type(s)!r}")


def _xlogx(u: np.ndarray) -> np.ndarray:
    return u * np.log(u)


FGAN: dict[str, FDivergence] = {
    "kl": FDivergence(
        "kl", f=_xlogx,
        activation=lambda v: v,
        conjugate=lambda t: torch.exp(t - 1),
        conj_act=lambda v: torch.exp(v - 1),
        optimal_score=lambda r: 1 + r,  # f'(u) = 1 + log u
    ),
    "reverse_kl": FDivergence(
        "reverse_kl", f=lambda u: -np.log(u),
        activation=lambda v: -torch.exp(-v),
        conjugate=lambda t: -1 - torch.log(-t),
        conj_act=lambda v: v - 1,  # -1 - log(exp(-v))
        optimal_score=lambda r: r,  # f'(u) = -1/u = -exp(-v) at v = log u
    ),
    "pearson": FDivergence(
        "pearson", f=lambda u: (u - 1) ** 2,
        activation=lambda v: v,
        conjugate=lambda t: 0.25 * t**2 + t,
        conj_act=lambda v: 0.25 * v**2 + v,
        optimal_score=lambda r: 2 * torch.expm1(r),  # f'(u) = 2 (u - 1)
    ),
    "hellinger": FDivergence(
        "hellinger", f=lambda u: (np.sqrt(u) - 1) ** 2,
        activation=lambda v: -torch.expm1(-v),  # 1 - exp(-v)
        conjugate=lambda t: t / (1 - t),
        conj_act=lambda v: torch.expm1(v),  # (1 - e^-v) / e^-v = e^v - 1
        optimal_score=lambda r: 0.5 * r,  # f'(u) = 1 - u^(-1/2) = 1 - exp(-v) at v = log(u)/2
    ),
    "js": FDivergence(
        "js", f=lambda u: _xlogx(u) - (u + 1) * np.log((u + 1) / 2),
        activation=lambda v: LOG2 - F.softplus(-v),  # log 2 - log(1 + e^-v)
        conjugate=lambda t: -torch.log(2 - torch.exp(t)),
        conj_act=lambda v: F.softplus(v) - LOG2,  # -log(2 - 2 sigmoid(v))
        optimal_score=lambda r: r,  # f'(u) = log(2u / (1 + u)) = g_f(log u)
    ),
    "gan": FDivergence(
        "gan", f=lambda u: _xlogx(u) - (u + 1) * np.log(u + 1),
        activation=lambda v: -F.softplus(-v),  # log sigmoid(v)
        conjugate=lambda t: -torch.log(1 - torch.exp(t)),
        conj_act=lambda v: F.softplus(v),  # -log(1 - sigmoid(v))
        optimal_score=lambda r: r,  # D* = p / (p + q): logit log(p/q)
    ),
}


def f_divergence(name: str, p, q, x: np.ndarray | None = None) -> float:
    """D_f(P || Q) = integral q f(p/q) dx by Simpson's rule on `x` (default theory.GRID).

    `p`, `q` are density callables on float64 arrays (ganlab.theory.gaussian_pdf). Both
    must stay positive on the grid (the ratio p/q is formed).
    """
    from . import theory

    if name not in FGAN:
        raise ValueError(f"unknown f-divergence {name!r}; expected one of {sorted(FGAN)}")
    x = theory.GRID if x is None else x
    px, qx = p(x), q(x)
    if np.any(qx <= 0) or np.any(px <= 0):
        raise ValueError("a density vanishes on the grid: narrow the grid so that p/q is defined")
    return theory.integrate(qx * FGAN[name].f(px / qx), x)


def fgan_bound(name: str, critic: Callable[[np.ndarray], np.ndarray], p, q,
               x: np.ndarray | None = None) -> float:
    """The bound E_P[g_f(v)] - E_Q[f*(g_f(v))] for a critic's scores v(x), by quadrature."""
    from . import theory

    x = theory.GRID if x is None else x
    div = FGAN[name]
    v = torch.as_tensor(np.asarray(critic(x), dtype=np.float64))
    t, c = div.activation(v).numpy(), div.conj_act(v).numpy()
    return theory.integrate(p(x) * t - q(x) * c, x)
