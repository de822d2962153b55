"""Flow-GAN: a normalising-flow generator trained adversarially, by maximum likelihood, or both.

Sources and deviations:
- The flow is RealNVP (Dinh et al. 2017, "Density estimation using Real NVP"), section 3.3,
  eq. 9: an affine coupling layer keeps the coordinates picked by a binary mask b and moves
  the others, y = b * x + (1 - b) * (x * exp(s(b * x)) + t(b * x)), with the Jacobian
  log-determinant sum((1 - b) * s(b * x)) (eq. 6). Masks alternate between layers. Here the
  flow maps latent to data, x = f(z), so G(z) = f(z) samples and the exact density is the
  change of variables log p(x) = log N(f^{-1}(x); 0, I) + log |det d f^{-1}(x) / dx|.
  Deviation: s is bounded, s = scale * tanh(raw), and there is no batch norm between layers
  (the paper's multi-scale architecture is for images; on 2D points a stack of couplings
  with small MLPs for s and t is enough).
- Flow-GAN: Grover, Dhar & Ermon 2018, "Flow-GAN: Combining Maximum Likelihood and
  Adversarial Learning in Generative Models", eq. 4 (hybrid objective):
  min_theta max_phi V(G_theta, D_phi) - lambda E_{x ~ p_data}[log p_theta(x)].
  `flowgan` is lambda = 0 with the non-saturating G loss (the paper uses WGAN losses;
  any key of `ganlab.losses.LOSSES` works through `loss=`); `flow-mle` drops the
  adversary and minimises the negative log-likelihood alone; `flowgan-hybrid` uses both.
  The paper's finding, which chapter 12b reproduces on two moons: adversarial training
  alone gives far worse held-out log-likelihood than maximum likelihood, even when the
  samples look good.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from . import losses
from .nets import MLPDiscriminator
from .options import opt
from .registry import DepthPart, LossPart, NetPart, OptimPart, Preset, SNPart, d_phase_loss, register
from .train import Game, Phase, Step, Team

__all__ = ["AffineCoupling", "RealNVP", "FlowConfig", "nll", "flow_phases"]


class AffineCoupling(nn.Module):
    """One RealNVP coupling in the generative direction: z (B, d) -> x (B, d).

    Coordinates where `mask` is 1 pass through; the others are scaled by exp(s) and shifted
    by t, both functions of the passed-through coordinates.
    """

    def __init__(self, mask: Tensor, hidden: int = 64, scale: float = 2.0) -> None:
        super().__init__()
        d = mask.numel()
        self.register_buffer("mask", mask.float().view(1, d))  # (1, d) of 0/1
        self.scale = scale  # bound of |s|
        self.net = nn.Sequential(nn.Linear(d, hidden), nn.LeakyReLU(0.2),
                                 nn.Linear(hidden, hidden), nn.LeakyReLU(0.2),
                                 nn.Linear(hidden, 2 * d))
        nn.init.zeros_(self.net[-1].weight)  # starts as the identity map
        nn.init.zeros_(self.net[-1].bias)

    def _st(self, kept: Tensor) -> tuple[Tensor, Tensor]:
        raw_s, t = self.net(kept).chunk(2, dim=1)  # (B, d) each
        free = 1 - self.mask
        return self.scale * torch.tanh(raw_s) * free, t * free  # zero on the kept coordinates

    def forward(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """x = b z + (1 - b)(z exp(s(b z)) + t(b z)); returns (x, log|det dx/dz|) (B, d), (B,)."""
        s, t = self._st(z * self.mask)
        return z * torch.exp(s) + t, s.sum(1)  # s, t are 0 where mask = 1

    def inverse(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """z = (x - t(b x)) exp(-s(b x)) off the mask; returns (z, log|det dz/dx|)."""
        s, t = self._st(x * self.mask)
        return (x - t) * torch.exp(-s), -s.sum(1)


class RealNVP(nn.Module):
    """A stack of affine couplings with alternating masks: z (B, d) -> x (B, d).

    `forward(z)` samples (so the flow is a drop-in generator), `inverse(x)` returns
    (z, log|det dz/dx|), `log_prob(x)` the exact log density of the pushed-forward N(0, I).
    """

    def __init__(self, d: int = 2, layers: int = 6, hidden: int = 64, scale: float = 2.0) -> None:
        super().__init__()
        if d < 2:
            raise ValueError(f"a coupling flow needs d >= 2 coordinates, got d={d}")
        if layers < 1:
            raise ValueError(f"layers must be >= 1, got {layers}")
        self.d = self.nz = d
        base = (torch.arange(d) % 2).float()  # (d,) 0 1 0 1 ...
        self.layers = nn.ModuleList(
            AffineCoupling(base if i % 2 == 0 else 1 - base, hidden, scale) for i in range(layers))

    def _check(self, x: Tensor) -> None:
        if x.dim() != 2 or x.shape[1] != self.d:
            raise ValueError(f"expected points (B, {self.d}), got shape {tuple(x.shape)}")

    def forward(self, z: Tensor) -> Tensor:
        return self.forward_with_logdet(z)[0]

    def forward_with_logdet(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """(x, log|det dx/dz|): (B, d), (B,)."""
        self._check(z)
        logdet = z.new_zeros(z.shape[0])
        for layer in self.layers:
            z, ld = layer(z)
            logdet = logdet + ld
        return z, logdet

    def inverse(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(z, log|det dz/dx|): (B, d), (B,)."""
        self._check(x)
        logdet = x.new_zeros(x.shape[0])
        for layer in reversed(self.layers):
            x, ld = layer.inverse(x)
            logdet = logdet + ld
        return x, logdet

    def log_prob(self, x: Tensor) -> Tensor:
        """log p(x) = log N(f^{-1}(x); 0, I) + log|det d f^{-1}/dx|: (B, d) -> (B,)."""
        z, logdet = self.inverse(x)
        log_base = -0.5 * z.square().sum(1) - 0.5 * self.d * math.log(2 * math.pi)  # (B,)
        return log_base + logdet


def nll(flow: RealNVP, x: Tensor) -> Tensor:
    """Mean negative log-likelihood in nats per point: -E log p(x)."""
    return -flow.log_prob(x).mean()


@dataclass
class FlowConfig(SNPart, OptimPart, DepthPart, NetPart, LossPart):
    """Flow-GAN: RealNVP generator (layers, hidden, scale) and which objectives train it."""

    layers: int = opt(6, "affine coupling layers")
    hidden: int = opt(64, "hidden units of each coupling's s/t network")
    scale: float = opt(2.0, "|s| <= scale (tanh bound)")
    adversarial: bool = opt(True, "train against a discriminator")
    mle_weight: float = opt(0.0, "lambda of the negative log-likelihood term in G's loss")


def flow_phases(cfg: FlowConfig) -> list[Phase]:
    """D's phase (if adversarial) and G's phase: adversarial loss + lambda * NLL."""
    d_fn, g_fn, needs_real = losses.LOSSES[cfg.loss]
    if needs_real:
        raise ValueError(f"loss {cfg.loss!r} needs real scores in G's loss; not supported here")

    d_phase = d_phase_loss(d_fn)  # fakes (B, d) from the flow

    def g_phase(ctx: Step) -> dict[str, Tensor]:
        out: dict[str, Tensor] = {}
        loss = ctx.real.new_zeros(())
        if cfg.adversarial:
            adv = g_fn(ctx.d(ctx.nets["G"](ctx.z())))
            loss, out["adv"] = loss + adv, adv.detach()
        if cfg.mle_weight:
            n = nll(ctx.nets["G"], ctx.real)  # -E_data log p_theta(x)
            loss, out["nll"] = loss + cfg.mle_weight * n, n.detach()
        out["loss"] = loss
        return out

    g = Phase("G", "G", g_phase)
    return [Phase("D", "D", d_phase, repeats=cfg.n_critic), g] if cfg.adversarial else [g]


def _build_flow(name: str, cfg: FlowConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    if len(shape) != 1:
        raise ValueError(f"variant {name!r} is for points (d,), got item shape {shape}")
    if not cfg.adversarial and not cfg.mle_weight:
        raise ValueError("a flow needs an objective: adversarial=True or mle_weight > 0")
    if cfg.nz not in (None, shape[0]):
        raise ValueError(f"a flow's latent has the data's size {shape[0]}, got nz={cfg.nz}")
    flow = RealNVP(shape[0], cfg.layers, cfg.hidden, cfg.scale)
    nets_: dict[str, nn.Module] = {"G": flow}
    teams = {"G": Team(("G",), lr=cfg.lr_g, betas=cfg.betas, optimizer=cfg.optimizer)}
    if cfg.adversarial:
        nets_["D"] = MLPDiscriminator(shape[0], cfg.width, cfg.depth, sn=cfg.sn)
        teams["D"] = Team(("D",), lr=cfg.lr_d, betas=cfg.betas, optimizer=cfg.optimizer)
    return Game(name, nets_, teams, flow_phases(cfg), nz=shape[0])


_FLOW = dict(lr_g=1e-3, lr_d=1e-3)
register("flowgan", Preset("Flow-GAN: RealNVP generator trained adversarially (exact likelihood)",
                           FlowConfig(**_FLOW), builder="flowgan", data="points",
                           default_data="ring"), _build_flow)
register("flow-mle", Preset("RealNVP trained by maximum likelihood alone (no discriminator)",
                            FlowConfig(**_FLOW, adversarial=False, mle_weight=1.0),
                            builder="flowgan", data="points", default_data="ring",
                            # the flow's own family builder, without its D
                            ignores=("width", "depth", "lr_d", "n_critic", "sn")))
register("flowgan-hybrid", Preset("Flow-GAN hybrid: adversarial loss + 1.0 x negative "
                                  "log-likelihood", FlowConfig(**_FLOW, mle_weight=1.0),
                                  builder="flowgan", data="points", default_data="ring"))
