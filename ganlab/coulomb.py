"""Coulomb GAN: the discriminator learns a potential field, the generator climbs it.

Unterthiner et al. 2018, "Coulomb GANs: Provably Optimal Nash Equilibria via Potential
Fields". Real points are positive charges, generated points negative ones. With the
Plummer kernel (eq. 6 of the paper)

    k(a, b) = 1 / (||a - b||^2 + eps^2)^((d - 2) / 2),

the potential at a point a is

    Phi(a) = mean_i k(a, x_i) - mean_j k(a, G(z_j))       (x_i real, G(z_j) generated)

so a generated sample is attracted by the real points and repelled by the other
generated ones. Sign convention: ganlab's D outputs "realness", so Phi is large near real
points (the paper's rho = p_y - p_x has the opposite sign; the game is the same).

- D regresses the field estimated on the minibatch, at the real and the generated points
  (the paper's L_D: mean squared error against Phi-hat, both kinds of points pooled).
- G follows the field: it minimises -mean_j D(G(z_j)), so its samples move along grad D
  (the paper's L_G, with the sign above).

The kernel's d is the dimension in which the field is Coulomb's (Phi harmonic away from
the charges); for d = 2 the exponent (d - 2) / 2 is 0 and the kernel is constant, so on 2D
data one uses a higher *effective* dimension. The default here is d = 3 (`kernel_dim`),
the smallest one whose kernel decays with distance.

Deviations: the field at a sample leaves that sample's own charge out (a leave-one-out
estimate; otherwise each point's target carries the constant k(a, a) = eps^(2 - d) of
itself); the networks are the mode-collapse chapter's MLPs (a ReLU G, a maxout D) with a
leading trial dimension (`ganlab.ensemble`), so several seeds train as one batched model,
each phase's loss the sum over trials of each trial's mean loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .ensemble import EnsembleLinear, maxout, merge_trials, split_trials
from .options import opt
from .registry import Preset, register
from .train import Game, Phase, Step, Team, linear_decay

__all__ = ["plummer_kernel", "potential", "field_targets", "TrialMLP", "CoulombGenerator",
           "PotentialNet", "CoulombConfig", "coulomb_phases"]


# --- the field ------------------------------------------------------------------------------


def plummer_kernel(a: Tensor, b: Tensor, dim: float = 3.0, eps: float = 1.0) -> Tensor:
    """k(a_p, b_q) = (||a_p - b_q||^2 + eps^2)^(-(dim - 2) / 2): (..., P, d), (..., Q, d) -> (..., P, Q)."""
    if dim <= 2:
        raise ValueError(f"the Plummer kernel needs dim > 2 (dim = 2 gives a constant kernel), got {dim}")
    if eps <= 0:
        raise ValueError(f"eps must be > 0 (it keeps the kernel finite at distance 0), got {eps}")
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"points of different sizes: {a.shape[-1]} and {b.shape[-1]}")
    sq = (a.unsqueeze(-2) - b.unsqueeze(-3)).square().sum(-1)  # (..., P, Q) squared distances
    return (sq + eps**2).pow(-(dim - 2) / 2)


def potential(at: Tensor, real: Tensor, fake: Tensor, dim: float = 3.0, eps: float = 1.0) -> Tensor:
    """Phi(a) = mean_i k(a, real_i) - mean_j k(a, fake_j) at every point of `at`: (..., P, d) -> (..., P)."""
    return (plummer_kernel(at, real, dim, eps).mean(-1)
            - plummer_kernel(at, fake, dim, eps).mean(-1))


def field_targets(real: Tensor, fake: Tensor, dim: float = 3.0, eps: float = 1.0
                  ) -> tuple[Tensor, Tensor]:
    """D's regression targets: Phi at each real and each fake point, its own charge left out.

    real (..., N, d), fake (..., M, d) -> (..., N), (..., M):
    Phi(x_i) = sum_{i' != i} k(x_i, x_i') / (N - 1) - sum_j k(x_i, y_j) / M, and
    Phi(y_j) = sum_i k(y_j, x_i) / N - sum_{j' != j} k(y_j, y_j') / (M - 1).
    """
    n, m = real.shape[-2], fake.shape[-2]
    if n < 2 or m < 2:
        raise ValueError(f"the leave-one-out field needs at least 2 real and 2 fake points, got {n}, {m}")
    k_self = eps ** (2 - dim)  # k(a, a)
    k_rr, k_ff = plummer_kernel(real, real, dim, eps), plummer_kernel(fake, fake, dim, eps)
    k_rf = plummer_kernel(real, fake, dim, eps)  # (..., N, M)
    phi_real = (k_rr.sum(-1) - k_self) / (n - 1) - k_rf.mean(-1)
    phi_fake = k_rf.mean(-2) - (k_ff.sum(-1) - k_self) / (m - 1)
    return phi_real, phi_fake


# --- networks -------------------------------------------------------------------------------


class TrialMLP(nn.Module):
    """T independent MLPs: x (T*B, d_in) -> (T*B, d_out); ReLU, or maxout of `pieces` units."""

    def __init__(self, trials: int, d_in: int, d_out: int, width: int, depth: int,
                 pieces: int = 1) -> None:
        super().__init__()
        self.trials, self.pieces = trials, pieces
        widths = [d_in] + [width] * depth
        self.hidden = nn.ModuleList(EnsembleLinear(trials, w, width * pieces) for w in widths[:-1])
        self.out = EnsembleLinear(trials, widths[-1], d_out)

    def forward(self, x: Tensor) -> Tensor:
        h = split_trials(x, self.trials)  # (T, B, d_in)
        for lin in self.hidden:
            h = lin(h)
            h = maxout(h, self.pieces) if self.pieces > 1 else torch.relu(h)
        return merge_trials(self.out(h))  # (T*B, d_out)


class CoulombGenerator(TrialMLP):
    """T ReLU generators: z (T*B, nz) -> x (T*B, d)."""

    def __init__(self, trials: int, nz: int, d: int, width: int, depth: int) -> None:
        super().__init__(trials, nz, d, width, depth)
        self.nz = nz


class PotentialNet(TrialMLP):
    """T maxout regressors of the potential: x (T*B, d) -> Phi-hat (T*B,)."""

    def __init__(self, trials: int, d: int, width: int, depth: int, pieces: int) -> None:
        super().__init__(trials, d, 1, width, depth, pieces)

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x).squeeze(-1)


# --- the game -------------------------------------------------------------------------------


@dataclass
class CoulombConfig:
    """Coulomb GAN on points: the kernel, the nets and the optimiser."""

    kernel_dim: float = opt(3.0, "the Plummer kernel's dimension d (> 2; 2D data: an effective d)")
    eps: float = opt(1.0, "the Plummer kernel's eps (its width at distance 0)")
    trials: int = opt(1, "independent trials trained as one batched model (batch = trials * B)")
    nz: int = opt(2, "latent size")
    g_width: int = opt(400, "G's hidden units")
    g_depth: int = opt(4, "G's hidden layers")
    width: int = opt(200, "D's hidden units")
    depth: int = opt(3, "D's hidden layers")
    pieces: int = opt(5, "maxout pieces in D (1: ReLU)")
    lr_g: float = opt(1e-3, "G's learning rate")
    lr_d: float = opt(1e-3, "D's learning rate")
    betas: tuple[float, float] = opt((0.5, 0.999), "Adam betas of both teams")
    n_critic: int = opt(1, "D steps per G step")
    decay_steps: int = opt(0, "> 0: both learning rates decay linearly to 0 over this many steps")


def coulomb_phases(cfg: CoulombConfig) -> list[Phase]:
    """D regresses the minibatch field at real and fake points; G climbs D (sums over trials)."""
    t = cfg.trials

    def d_phase(ctx: Step) -> dict[str, Tensor]:
        with torch.no_grad():
            fake = ctx.nets["G"](ctx.z())  # (T*B, d)
            phi_r, phi_f = field_targets(split_trials(ctx.real, t), split_trials(fake, t),
                                         cfg.kernel_dim, cfg.eps)  # (T, B) each
        err_r = ctx.d(ctx.real) - phi_r.flatten()  # (T*B,)
        err_f = ctx.d(fake) - phi_f.flatten()
        loss = t * 0.5 * torch.cat([err_r, err_f]).square().mean()  # L_D, both kinds pooled
        return {"loss": loss, "phi_real": phi_r.mean(), "phi_fake": phi_f.mean()}

    def g_phase(ctx: Step) -> dict[str, Tensor]:
        return {"loss": -t * ctx.d(ctx.nets["G"](ctx.z())).mean()}  # move along grad Phi-hat

    return [Phase("D", "D", d_phase, repeats=cfg.n_critic), Phase("G", "G", g_phase)]


def _build_coulomb(name: str, cfg: CoulombConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    if len(shape) != 1:
        raise ValueError(f"variant {name!r} is for points (d,), got item shape {shape}")
    if cfg.kernel_dim <= 2 or cfg.eps <= 0:
        raise ValueError(f"kernel_dim must be > 2 and eps > 0, got {cfg.kernel_dim} and {cfg.eps}")
    if cfg.decay_steps < 0:
        raise ValueError(f"decay_steps must be >= 0 (0: constant learning rates), got {cfg.decay_steps}")
    g = CoulombGenerator(cfg.trials, cfg.nz, shape[0], cfg.g_width, cfg.g_depth)
    d = PotentialNet(cfg.trials, shape[0], cfg.width, cfg.depth, cfg.pieces)
    sched = linear_decay(cfg.decay_steps) if cfg.decay_steps else None
    teams = {"D": Team(("D",), lr=cfg.lr_d, betas=cfg.betas, lr_schedule=sched),
             "G": Team(("G",), lr=cfg.lr_g, betas=cfg.betas, lr_schedule=sched)}
    return Game(name, {"G": g, "D": d}, teams, coulomb_phases(cfg), nz=cfg.nz)


register("coulomb-gan", Preset("Coulomb GAN: D regresses the Plummer-kernel potential of real minus "
                               "generated points, G climbs it", CoulombConfig(), builder="coulomb",
                               data="points", default_data="ring"), _build_coulomb)
