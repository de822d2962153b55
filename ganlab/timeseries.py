"""Recurrent GAN for time series (RGAN), the discriminative score, and autocorrelation.

Sources:
- Esteban, Hyland and Rätsch 2017, "Real-valued (Medical) Time Series Generation with
  Recurrent Conditional GANs", section 2: G is a recurrent net fed a fresh noise vector z_t
  at every step, emitting x_t through a linear layer; D is a recurrent net emitting a
  logit at *every* step; D's loss is the cross-entropy averaged over the steps (eq. 1,
  D_loss(X_n, y_n) = -CE(RNN_D(X_n), y_n)), G's the non-saturating version (eq. 2).
  Deviations: GRUs instead of LSTMs (fewer parameters, the same role), one layer each, and
  no conditioning (the unconditional RGAN of the paper; no labels here).
- Yoon, Jarrett and van der Schaar 2019, "Time-series Generative Adversarial Networks"
  (TimeGAN), section 5.2, "discriminative score": a post-hoc GRU classifier is trained to
  tell real from generated series on a train split and scored on a held-out split;
  the score is |accuracy - 0.5| (0 is best: the classifier cannot tell). Deviations:
  one GRU layer, fewer iterations than the paper's 2000, a fixed seed.

Shapes: series are (B, T, C): batch, time steps, channels. The trainer's latent z (B, nz)
is reshaped to per-step noise (B, T, nz / T).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from . import losses
from .metrics.two_sample import fit_real_fake_classifier, real_fake_accuracy
from .options import opt
from .registry import LossPart, OptimPart, Preset, d_phase_loss, gd_teams, register
from .train import Game, Phase, Step

__all__ = ["RecurrentGenerator", "RecurrentDiscriminator", "RGANConfig", "autocorrelation",
           "acf_distance", "discriminative_score"]


def _check_series(x: Tensor, name: str = "series") -> None:
    if not isinstance(x, Tensor) or x.dim() != 3:
        raise ValueError(f"{name} must be a tensor (B, T, C), got "
                         f"{tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__}")


# --- networks ----------------------------------------------------------------------------------


class RecurrentGenerator(nn.Module):
    """z (B, T * nz_step) -> per-step noise (B, T, nz_step) -> GRU -> x (B, T, C)."""

    def __init__(self, length: int, channels: int, nz_step: int = 4, hidden: int = 32,
                 tanh: bool = False) -> None:
        super().__init__()
        self.length, self.nz_step, self.tanh = length, nz_step, tanh
        self.rnn = nn.GRU(nz_step, hidden, batch_first=True)
        self.out = nn.Linear(hidden, channels)

    def forward(self, z: Tensor) -> Tensor:
        if z.shape[1] != self.length * self.nz_step:
            raise ValueError(f"expected z (B, {self.length * self.nz_step}) = T x nz_step, "
                             f"got {tuple(z.shape)}")
        h, _ = self.rnn(z.view(len(z), self.length, self.nz_step))  # (B, T, hidden)
        x = self.out(h)  # (B, T, C)
        return torch.tanh(x) if self.tanh else x


class RecurrentDiscriminator(nn.Module):
    """x (B, T, C) -> GRU -> one logit per step (B, T)."""

    def __init__(self, channels: int, hidden: int = 32) -> None:
        super().__init__()
        self.rnn = nn.GRU(channels, hidden, batch_first=True)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x: Tensor) -> Tensor:
        _check_series(x)
        h, _ = self.rnn(x)  # (B, T, hidden)
        return self.out(h).squeeze(-1)  # (B, T)


# --- the game --------------------------------------------------------------------------------


@dataclass
class RGANConfig(OptimPart, LossPart):
    """RGAN: both GRUs' hidden size and the noise fed per step (the latent is T * nz_step)."""

    width: int = opt(64, "both GRUs' hidden size")
    nz_step: int = opt(4, "noise dimensions per time step")
    tanh: bool = opt(False, "squash G's output into [-1, 1] (for bounded series such as sines)")


def rgan_phases(cfg: RGANConfig) -> list[Phase]:
    """D's per-step cross-entropy and G's non-saturating loss, averaged over steps (eqs. 1-2)."""
    d_fn, g_fn, needs_real = losses.LOSSES[cfg.loss]
    if needs_real:
        raise ValueError(f"loss {cfg.loss!r} needs real scores in G's loss; not supported here")

    def series(ctx: Step):
        real = ctx.real  # (B, T, C)
        return (real,), (ctx.nets["G"](ctx.z(len(real))),)

    # scores (2B, T): one recurrent pass for both halves; d_fn means over rows and steps
    d_phase = d_phase_loss(d_fn, series, joint=True)

    def g_phase(ctx: Step) -> dict[str, Tensor]:
        return {"loss": g_fn(ctx.d(ctx.nets["G"](ctx.z())))}

    return [Phase("D", "D", d_phase, repeats=cfg.n_critic), Phase("G", "G", g_phase)]


def _build_rgan(name: str, cfg: RGANConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    if len(shape) != 2:
        raise ValueError(f"variant {name!r} is for time series (T, C), got item shape {shape}")
    length, channels = shape
    g = RecurrentGenerator(length, channels, cfg.nz_step, cfg.width, cfg.tanh)
    d = RecurrentDiscriminator(channels, cfg.width)
    teams = gd_teams(cfg)
    return Game(name, {"G": g, "D": d}, teams, rgan_phases(cfg), nz=length * cfg.nz_step)


register("rgan", Preset("recurrent GAN for time series (T, C): GRU G fed noise per step, GRU D "
                        "with a logit per step (Esteban et al. 2017)",
                        RGANConfig(width=32, lr_g=1e-3, lr_d=1e-3), builder="rgan", data="series",
                        default_data="sines"), _build_rgan)


# --- evaluation ------------------------------------------------------------------------------


def autocorrelation(x: Tensor, max_lag: int) -> Tensor:
    """Pooled autocorrelation at lags 1..max_lag: (B, T, C) -> (max_lag,), float64.

    acf_k = sum_{b,t,c} (x_t - m)(x_{t+k} - m) / (B C (T - k)) / v, with m and v the mean and
    (biased) variance over every value of x.
    """
    _check_series(x)
    if not 1 <= max_lag < x.shape[1]:
        raise ValueError(f"max_lag must be in [1, T - 1] = [1, {x.shape[1] - 1}], got {max_lag}")
    x = x.double()
    xc = x - x.mean()
    var = xc.square().mean()
    if var == 0:
        raise ValueError("constant series have no autocorrelation (zero variance)")
    return torch.stack([(xc[:, :-k] * xc[:, k:]).mean() / var for k in range(1, max_lag + 1)])


def acf_distance(real: Tensor, fake: Tensor, max_lag: int) -> float:
    """Mean absolute difference of the pooled autocorrelations at lags 1..max_lag."""
    return float((autocorrelation(real, max_lag) - autocorrelation(fake, max_lag)).abs().mean())


class _SeriesClassifier(nn.Module):
    def __init__(self, channels: int, hidden: int) -> None:
        super().__init__()
        self.rnn = nn.GRU(channels, hidden, batch_first=True)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x: Tensor) -> Tensor:
        _, h = self.rnn(x)  # h (1, B, hidden): the last step's state
        return self.out(h[0]).squeeze(1)  # (B,) logit of "real"


def discriminative_score(real: Tensor, fake: Tensor, hidden: int = 16, steps: int = 300,
                         batch: int = 128, lr: float = 1e-3, test_frac: float = 0.2,
                         seed: int = 0) -> float:
    """TimeGAN's discriminative score: |held-out accuracy - 0.5| of a post-hoc GRU classifier.

    real and fake (N, T, C) are split alike into train and held-out parts (test_frac); the
    classifier trains `steps` Adam steps on balanced batches of the train parts. Its
    initialisation and batches come from `seed` (torch's global RNG is left untouched).
    """
    _check_series(real, "real")
    _check_series(fake, "fake")
    if real.shape[1:] != fake.shape[1:]:
        raise ValueError(f"real and fake series differ in (T, C): {tuple(real.shape[1:])} vs "
                         f"{tuple(fake.shape[1:])}")
    n = min(len(real), len(fake))
    n_test = int(round(test_frac * n))
    if n_test < 1 or n - n_test < 2:
        raise ValueError(f"need enough series for a train and a held-out split, got {n} each")
    g = torch.Generator().manual_seed(seed)
    real = real[torch.randperm(len(real), generator=g)[:n]].float()
    fake = fake[torch.randperm(len(fake), generator=g)[:n]].float()
    half = min(batch // 2, n - n_test)
    y = torch.cat([torch.ones(half), torch.zeros(half)])

    def draw() -> tuple[Tensor, Tensor]:  # balanced: half real, half fake
        i = torch.randint(n - n_test, (half,), generator=g)
        j = torch.randint(n - n_test, (half,), generator=g)
        return torch.cat([real[n_test:][i], fake[n_test:][j]]), y  # (2 half, T, C)

    clf = fit_real_fake_classifier(lambda: _SeriesClassifier(real.shape[2], hidden), draw, steps,
                                   lr, seed)
    return abs(real_fake_accuracy(clf, real[:n_test], fake[:n_test]) - 0.5)
