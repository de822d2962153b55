"""Discriminator rejection sampling (DRS): keep a generator's sample with a probability that
the discriminator's logit sets.

Source: Azadi, Olsson, Darrell, Goodfellow & Odena 2019, "Discriminator Rejection Sampling".
With the optimal D*, exp(D~*(x)) = p_data(x) / p_g(x) for the logit D~* (section 3.1), so
accepting x ~ p_g with probability p_data(x) / (M p_g(x)) = exp(D~*(x) - D~*_M) is exact
rejection sampling, D~*_M = max_x D~*(x). Section 3.2: D~*_M is estimated as the max
logit over a burn-in sample and raised whenever a larger logit is seen (algorithm 1); to
tune the acceptance rate the paper passes a shifted quantity through a sigmoid:

    F(x) = D~(x) - D~_M - log(1 - exp(D~(x) - D~_M - eps)) - gamma,   p_accept = sigmoid(F).

With gamma = 0 and eps -> 0, sigmoid(F) = exp(D~ - D~_M) exactly (the rule above); gamma
> 0 lowers the acceptance rate. The paper picks gamma per batch as a percentile of F
(`percentile_gamma`) and fine-tunes D on G's samples after training (here: `calibrate`,
which keeps training D with G frozen through the one Trainer).

Deviations: none in the rule; the percentile is taken over the burn-in sample, once.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from .train import Game, Team

__all__ = ["acceptance_logit", "acceptance_prob", "percentile_gamma", "rejection_sample",
           "calibration_game"]


def _log1mexp(a: Tensor) -> Tensor:
    """log(1 - exp(a)) for a < 0, stable on both sides of log 2 (Maechler 2012)."""
    return torch.where(a > -0.6931471805599453, torch.log(-torch.expm1(a)),
                       torch.log1p(-torch.exp(a)))


def acceptance_logit(logit: Tensor, max_logit: Tensor | float, gamma: float = 0.0,
                     eps: float = 1e-6) -> Tensor:
    """F(x) = D~(x) - D~_M - log(1 - exp(D~(x) - D~_M - eps)) - gamma (DRS section 3.2): (N,) -> (N,)."""
    if eps <= 0:
        raise ValueError(f"eps must be > 0 (it keeps log(1 - exp(.)) finite at the max), got {eps}")
    delta = logit - torch.as_tensor(max_logit, dtype=logit.dtype, device=logit.device)
    if (delta > 0).any():
        raise ValueError(f"a logit exceeds the max logit by {float(delta.max()):.3g}: raise "
                         "max_logit to the max seen (rejection_sample does this)")
    return delta - _log1mexp(delta - eps) - gamma


def acceptance_prob(logit: Tensor, max_logit: Tensor | float, gamma: float = 0.0,
                    eps: float = 1e-6) -> Tensor:
    """p_accept(x) = sigmoid(F(x))."""
    return torch.sigmoid(acceptance_logit(logit, max_logit, gamma, eps))


def percentile_gamma(logit: Tensor, max_logit: Tensor | float, q: float,
                     eps: float = 1e-6) -> float:
    """The gamma that sets F's q-th percentile (0..100) to zero over `logit`."""
    if not 0 <= q <= 100:
        raise ValueError(f"q is a percentile in [0, 100], got {q}")
    f0 = acceptance_logit(logit, max_logit, 0.0, eps)
    return float(torch.quantile(f0.double(), q / 100))


@torch.no_grad()
def rejection_sample(sample: Callable[[int], Tensor], logit: Callable[[Tensor], Tensor], n: int,
                     burn_in: int = 10_000, gamma: float | None = 0.0, q: float = 80.0,
                     eps: float = 1e-6, batch: int = 1000, max_draws: int = 10_000_000,
                     generator: torch.Generator | None = None) -> tuple[Tensor, dict[str, float]]:
    """n accepted samples of DRS (algorithm 1) and {acceptance, max_logit, gamma, draws}.

    `sample(m)` draws m generator samples (m, ...), `logit(x)` gives D's logits (m,).
    D~_M is the max logit over `burn_in` samples, raised when a batch exceeds it.
    `gamma=None` takes gamma from the burn-in sample's q-th percentile of F.
    """
    if n < 1 or burn_in < 1 or batch < 1:
        raise ValueError(f"n, burn_in and batch must be >= 1, got {n}, {burn_in}, {batch}")
    burn = torch.cat([logit(sample(min(batch, burn_in - i))).flatten().double().cpu()
                      for i in range(0, burn_in, batch)])  # (burn_in,)
    max_logit = burn.max()
    if gamma is None:
        gamma = percentile_gamma(burn, max_logit, q, eps)
    kept, got, draws = [], 0, 0
    while got < n:
        if draws >= max_draws:
            raise ValueError(f"only {got} of {n} samples accepted in {draws} draws: lower gamma")
        x = sample(batch)
        s = logit(x).flatten().double().cpu()  # (batch,)
        max_logit = torch.maximum(max_logit, s.max())
        p = acceptance_prob(s, max_logit, gamma, eps)
        keep = torch.rand(len(s), generator=generator, dtype=torch.float64) < p
        kept.append(x[keep.to(x.device)])
        got, draws = got + int(keep.sum()), draws + len(s)
    out = torch.cat(kept)[:n]
    return out, {"acceptance": got / draws, "max_logit": float(max_logit), "gamma": float(gamma),
                 "draws": float(draws)}


def calibration_game(game: Game, d_phase: str = "D") -> Game:
    """A game that shares `game`'s nets and runs only its D phase: D keeps learning, G is frozen.

    Train it with `Trainer(calibration_game(game), data, ...)` after the GAN (DRS section 3.2:
    D is trained further so that it approximates D* for the final G).
    """
    phases = [p for p in game.phases if p.name == d_phase]
    if not phases:
        raise ValueError(f"game {game.name!r} has no phase {d_phase!r}; phases: "
                         f"{[p.name for p in game.phases]}")
    team = game.teams[phases[0].team]
    return Game(f"{game.name}-drs-calibration", game.nets,
                {phases[0].team: Team(team.nets, team.lr, team.betas, team.optimizer)},
                phases, nz=game.nz, n_classes=game.n_classes, ema=(), augment=game.augment,
                generate=game.generate)
