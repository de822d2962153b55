"""Mode collapse: the benchmark's networks, the fixes, and their variants.

The protocol is that of VEEGAN (Srivastava et al. 2017, section 5.1) and PacGAN
(Lin et al. 2018, section 5.1, table 1): a ring of 8 and a grid of 25 Gaussians
(`ganlab.data.ring`, `grid`), scored by `ganlab.metrics.modes.mode_metrics`.

Networks (PacGAN's baseline, appendix of Lin et al.): G has 4 hidden layers of
400 ReLU units with batch norm; D has 3 hidden maxout layers (200 units, 5
pieces), no batch norm. Both carry a leading trial dimension T
(`ganlab.ensemble`) so that the benchmark's 10 trials train as one model; with
`trials=1` they are ordinary networks. The game's batch is T*B rows, trial-major.

The fixes, each a pure function or a phase that the variants below combine:
- `pack` (PacGAN, Lin et al. 2018, section 3): D judges m samples at once, all
  real or all fake, concatenated into one input of m*d coordinates.
- `minibatch_stddev` (Karras et al. 2018, "Progressive Growing of GANs",
  section 3): the standard deviation of each feature over the minibatch,
  averaged over features, appended to every sample as one more feature.
- `minibatch_features` / `MinibatchDiscrimination` (Salimans et al. 2016,
  "Improved Techniques for Training GANs", section 3.2): M_i = f(x_i) T in
  R^{B x C}; c_b(x_i, x_j) = exp(-||M_{i,b} - M_{j,b}||_1); o(x_i)_b =
  sum_j c_b(x_i, x_j) (j over the whole minibatch, i included), appended to f.
- `feature_matching` (Salimans et al. 2016, section 3.1): G minimises
  ||E f(x) - E f(G(z))||_2^2 with f D's last hidden layer.
- unrolled GAN (Metz et al. 2017, eqs. 3-4): G's loss is taken against
  D after k differentiable updates of D's parameters (torch.func.functional_call
  with create_graph=True), so G's gradient sees how D would answer. The k updates
  continue D's Adam from its current moments (as the paper's code does) on one
  minibatch; D itself is then updated by its own phase as usual.
- WGAN-GP (Gulrajani et al. 2017) via `ganlab.regularizers.gradient_penalty`.

PacGAN's released training (`simultaneous=True`, `init_std=0.02`): one Adam step
updates D and G together from the same batch and latents, each with the gradient
of its own loss at the old parameters (G's loss sees D's parameters detached), and
every weight starts from N(0, init_std^2) with zero biases. The learning-rate
schedule `warmup_stable_decay` is the benchmark's cpu protocol (hold lr, then
decay it linearly to 0 at the end, so several lengths branch off one run).

Every phase's loss is the sum over trials of each trial's mean loss (see
`ganlab.ensemble`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import functional_call

from . import losses
from .ensemble import EnsembleBatchNorm, EnsembleLinear, maxout, merge_trials, split_trials
from .nets import minibatch_stddev  # noqa: F401 (in nets: style uses it too)
from .options import opt
from .registry import (
    DepthPart,
    GPPart,
    LossPart,
    NetPart,
    OptimPart,
    Preset,
    d_phase_loss,
    gd_teams,
    gp_term,
    register,
)
from .train import Game, Phase, Step, Team, linear_decay

__all__ = ["pack", "minibatch_stddev", "minibatch_features", "feature_matching",
           "MinibatchDiscrimination", "CollapseGenerator", "CollapseDiscriminator",
           "CollapseConfig", "collapse_phases", "trial_samples", "linear_decay",
           "warmup_stable_decay", "METHODS"]


# --- the fixes as pure functions ------------------------------------------------------------


def pack(x: Tensor, m: int) -> Tensor:
    """PacGAN packing: (..., B, d) -> (..., B/m, m*d); packed sample j is rows j*m .. j*m+m-1."""
    if m < 1:
        raise ValueError(f"packing degree must be >= 1, got {m}")
    if x.shape[-2] % m:
        raise ValueError(f"cannot pack a batch of {x.shape[-2]} into groups of {m}: "
                         f"use a batch size divisible by {m}")
    return x.reshape(*x.shape[:-2], x.shape[-2] // m, m * x.shape[-1])  # (..., B/m, m*d)


def minibatch_features(m: Tensor) -> Tensor:
    """Salimans et al.'s o(x_i)_b = sum_j exp(-||M_{i,b} - M_{j,b}||_1): (..., N, B, C) -> (..., N, B)."""
    l1 = (m.unsqueeze(-3) - m.unsqueeze(-4)).abs().sum(-1)  # (..., N_i, N_j, B)
    return torch.exp(-l1).sum(-2)  # (..., N, B): sum over j, i included


def feature_matching(real_f: Tensor, fake_f: Tensor) -> Tensor:
    """||mean_b f(x_b) - mean_b f(G(z_b))||_2^2 over the batch dim -2: (..., B, F) -> (...)."""
    if real_f.shape[-1] != fake_f.shape[-1]:
        raise ValueError(f"feature sizes differ: {real_f.shape[-1]} vs {fake_f.shape[-1]}")
    return (real_f.mean(-2) - fake_f.mean(-2)).square().sum(-1)


class MinibatchDiscrimination(nn.Module):
    """Per-trial tensor T in R^{A x B x C}: f (T, N, A) -> o (T, N, B)."""

    def __init__(self, trials: int, d_in: int, kernels: int = 5, kernel_dim: int = 3) -> None:
        super().__init__()
        self.kernels, self.kernel_dim = kernels, kernel_dim
        self.tensor = nn.Parameter(0.1 * torch.randn(trials, d_in, kernels * kernel_dim))

    def forward(self, f: Tensor) -> Tensor:
        m = torch.bmm(f, self.tensor)  # (T, N, B*C)
        return minibatch_features(m.unflatten(-1, (self.kernels, self.kernel_dim)))  # (T, N, B)


# --- networks ----------------------------------------------------------------------------------


class CollapseGenerator(nn.Module):
    """T generators: z (T*B, nz) -> x (T*B, d); hidden ReLU layers with per-trial batch norm."""

    def __init__(self, trials: int = 1, nz: int = 2, d: int = 2, width: int = 400, depth: int = 4,
                 batchnorm: bool = True) -> None:
        super().__init__()
        self.trials, self.nz = trials, nz
        layers: list[nn.Module] = []
        w = nz
        for _ in range(depth):
            layers.append(EnsembleLinear(trials, w, width, bias=not batchnorm))
            if batchnorm:
                layers.append(EnsembleBatchNorm(trials, width))
            layers.append(nn.ReLU())
            w = width
        layers.append(EnsembleLinear(trials, w, d))
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        return merge_trials(self.net(split_trials(z, self.trials)))  # (T*B, d)


class CollapseDiscriminator(nn.Module):
    """T maxout discriminators: x (T*B, d) -> logits (T*B/pack,).

    Options: `pack` samples per D input (PacGAN), `mbstd` (minibatch stddev
    before the last hidden layer), `mbdisc` kernels of minibatch discrimination
    after it (0: off). `pieces=1` uses LeakyReLU(0.2) instead of maxout.
    """

    def __init__(self, trials: int = 1, d: int = 2, width: int = 200, depth: int = 3,
                 pieces: int = 5, pack: int = 1, mbstd: bool = False, mbdisc: int = 0) -> None:
        super().__init__()
        self.trials, self.pieces, self.pack, self.mbstd = trials, pieces, pack, mbstd
        widths = [d * pack] + [width] * depth
        self.hidden = nn.ModuleList(
            EnsembleLinear(trials, w_in + (1 if mbstd and i == depth - 1 else 0), width * pieces)
            for i, w_in in enumerate(widths[:-1]))
        self.mbd = MinibatchDiscrimination(trials, width, mbdisc) if mbdisc else None
        self.head = EnsembleLinear(trials, width + mbdisc, 1)

    def features(self, x: Tensor) -> Tensor:
        """D's last hidden layer: x (T*B, d) -> (T, B/pack, width)."""
        h = pack(split_trials(x, self.trials), self.pack)  # (T, B/m, m*d)
        for i, lin in enumerate(self.hidden):
            if self.mbstd and i == len(self.hidden) - 1:
                h = minibatch_stddev(h)  # (T, B', C + 1)
            h = lin(h)
            h = maxout(h, self.pieces) if self.pieces > 1 else F.leaky_relu(h, 0.2)
        return h

    def forward(self, x: Tensor) -> Tensor:
        h = self.features(x)  # (T, B', width)
        if self.mbd is not None:
            h = torch.cat([h, self.mbd(h)], dim=-1)  # (T, B', width + kernels)
        return merge_trials(self.head(h)).squeeze(-1)  # (T*B',)


# --- the game --------------------------------------------------------------------------------


@dataclass
class CollapseConfig(GPPart, OptimPart, DepthPart, NetPart, LossPart):
    """The mode-collapse benchmark's networks and fixes (NetPart's width, DepthPart's depth: D's)."""

    trials: int = opt(1, "independent trials trained as one batched model (batch = trials * B)")
    g_width: int = opt(400, "G's hidden units")
    g_depth: int = opt(4, "G's hidden layers")
    g_batchnorm: bool = opt(True, "batch norm after each of G's hidden layers")
    pieces: int = opt(5, "maxout pieces in D (1: LeakyReLU)")
    pack: int = opt(1, "PacGAN packing degree m")
    mbstd: bool = opt(False, "minibatch standard deviation feature in D")
    mbdisc: int = opt(0, "minibatch discrimination kernels (0: off)")
    feature_matching: bool = opt(False, "G matches D's mean last-hidden features")
    unroll: int = opt(0, "unrolled GAN: D steps G looks ahead through (0: off)")
    decay_steps: int = opt(0, "> 0: both learning rates decay linearly to 0 over this many steps")
    simultaneous: bool = opt(False, "PacGAN's code: D and G updated in one step from one batch and z")
    init_std: float = opt(0.0, "> 0: weights N(0, init_std^2) and zero biases (PacGAN: 0.02)")


def _unrolled_params(ctx: Step, cfg: CollapseConfig, d_fn, fake: Tensor) -> dict[str, Tensor]:
    """D's parameters after cfg.unroll differentiable Adam steps on D's loss (Metz et al. eq. 3).

    The look-ahead continues D's own Adam: it starts from the optimiser's moments and step
    count (as the paper's code does) and uses its lr and betas. Every look-ahead step scores
    the same real batch and the same `fake` (T*B, d), which keeps its graph to G: the
    surrogate loss f_K(theta_G, theta_D) on one minibatch.
    """
    d_net, t = ctx.nets["D"], cfg.trials
    opt = ctx.optimizer("D")
    group = opt.param_groups[0]
    lr, (b1, b2), eps = group["lr"], group["betas"], group["eps"]
    params, m, v, n0 = {}, {}, {}, 0
    for k, p in d_net.named_parameters():
        state = opt.state.get(p, {})
        params[k] = p.detach().requires_grad_(True)
        m[k] = state["exp_avg"].detach().clone() if state else torch.zeros_like(p)
        v[k] = state["exp_avg_sq"].detach().clone() if state else torch.zeros_like(p)
        n0 = int(state["step"]) if state else 0
    for i in range(n0 + 1, n0 + cfg.unroll + 1):
        real_s = functional_call(d_net, params, (ctx.real,))
        fake_s = functional_call(d_net, params, (fake,))
        grads = torch.autograd.grad(t * d_fn(real_s, fake_s), list(params.values()), create_graph=True)
        new = {}
        for (k, p), g in zip(params.items(), grads):
            m[k] = b1 * m[k] + (1 - b1) * g
            v[k] = b2 * v[k] + (1 - b2) * g.square()
            m_hat, v_hat = m[k] / (1 - b1**i), v[k] / (1 - b2**i)
            # 1e-30 inside the root: sqrt stays differentiable where a moment is exactly 0
            new[k] = p - lr * m_hat / ((v_hat + 1e-30).sqrt() + eps)
        params = new
    return params


def collapse_phases(cfg: CollapseConfig) -> list[Phase]:
    """D and G phases of a mode-collapse variant (losses summed over trials)."""
    d_fn, g_fn, needs_real = losses.LOSSES[cfg.loss]
    if needs_real:
        raise ValueError(f"loss {cfg.loss!r} needs real scores in G's loss; not supported here")
    t = cfg.trials

    # fakes (T*B, d) from the trials' G; D's scores (T*B/m,); loss and penalty summed over trials
    d_phase = d_phase_loss(d_fn, penalties={"gp": gp_term(cfg.gp)} if cfg.gp else None, scale=t)

    def g_phase(ctx: Step) -> dict[str, Tensor]:
        d_net, fake = ctx.nets["D"], ctx.nets["G"](ctx.z())
        if cfg.feature_matching:
            with torch.no_grad():
                real_f = d_net.features(ctx.real)  # (T, B', F)
            return {"loss": feature_matching(real_f, d_net.features(fake)).sum()}
        if cfg.unroll:
            params = _unrolled_params(ctx, cfg, d_fn, fake)
            return {"loss": t * g_fn(functional_call(d_net, params, (fake,)))}
        return {"loss": t * g_fn(ctx.d(fake))}

    if cfg.simultaneous:
        return [Phase("GD", "GD", _simultaneous_loss(cfg, d_fn, g_fn))]
    return [Phase("D", "D", d_phase, repeats=cfg.n_critic), Phase("G", "G", g_phase)]


def _simultaneous_loss(cfg: CollapseConfig, d_fn, g_fn):
    """One loss whose gradient is D's loss gradient for D and G's loss gradient for G.

    D scores the batch and G(z) (detached); G's loss scores the same G(z) through D's
    parameters detached (torch.func.functional_call), so neither loss reaches the other
    side's weights and one optimiser step is a simultaneous update at the old parameters.
    """
    t = cfg.trials

    def both(ctx: Step) -> dict[str, Tensor]:
        d_net, fake = ctx.nets["D"], ctx.nets["G"](ctx.z())  # (T*B, d)
        d_loss = t * d_fn(ctx.d(ctx.real), ctx.d(fake.detach()))
        frozen = {k: p.detach() for k, p in d_net.named_parameters()}
        g_loss = t * g_fn(functional_call(d_net, frozen, (fake,)))
        return {"loss": d_loss + g_loss, "d_loss": d_loss.detach(), "g_loss": g_loss.detach()}

    return both


@dataclass(frozen=True)
class warmup_stable_decay:  # noqa: N801 (used like a function: warmup_stable_decay(...)(step))
    """lr factor: (step + 1) / warmup while warming up, then 1, then linear to 0 from
    `decay_start` to `decay_end` (0 after it); `decay_start=None` holds 1 for ever.
    A picklable `Team.lr_schedule`; branching cool-downs swap it for one with a decay."""

    warmup: int = 0
    decay_start: int | None = None
    decay_end: int | None = None

    def __post_init__(self) -> None:
        if self.warmup < 0:
            raise ValueError(f"warmup must be >= 0, got {self.warmup}")
        if self.decay_start is not None and (self.decay_end is None or self.decay_end <= self.decay_start):
            raise ValueError(f"the decay must end after it starts, got {self.decay_start} -> "
                             f"{self.decay_end}")

    def __call__(self, step: int) -> float:
        if step < self.warmup:
            return (step + 1) / self.warmup
        if self.decay_start is None or step < self.decay_start:
            return 1.0
        return max(0.0, (self.decay_end - step) / (self.decay_end - self.decay_start))


# linear_decay: ganlab.train's (one lr schedule of that name), re-exported here


def _build_collapse(name: str, cfg: CollapseConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    if len(shape) != 1:
        raise ValueError(f"variant {name!r} is for points (d,), got item shape {shape}")
    if cfg.unroll and cfg.feature_matching:
        raise ValueError("choose unroll or feature_matching, not both")
    nz = cfg.nz or 2
    g = CollapseGenerator(cfg.trials, nz, shape[0], cfg.g_width, cfg.g_depth, cfg.g_batchnorm)
    d = CollapseDiscriminator(cfg.trials, shape[0], cfg.width, cfg.depth, cfg.pieces, cfg.pack,
                              cfg.mbstd, cfg.mbdisc)
    if cfg.decay_steps < 0:
        raise ValueError(f"decay_steps must be >= 0 (0: constant learning rates), got {cfg.decay_steps}")
    sched = linear_decay(cfg.decay_steps) if cfg.decay_steps else None
    if cfg.init_std > 0:
        _normal_init(g, cfg.init_std)
        _normal_init(d, cfg.init_std)
    if cfg.simultaneous:
        if cfg.unroll or cfg.feature_matching or cfg.gp or cfg.n_critic != 1 or cfg.lr_g != cfg.lr_d:
            raise ValueError("simultaneous updates take a plain loss on D's logits with one D step "
                             "and lr_g == lr_d (not unroll, feature_matching, gp or n_critic > 1)")
        teams = {"GD": Team(("G", "D"), lr=cfg.lr_g, betas=cfg.betas, optimizer=cfg.optimizer,
                            lr_schedule=sched)}
    else:
        teams = gd_teams(cfg, lr_schedule=sched)
    return Game(name, {"G": g, "D": d}, teams, collapse_phases(cfg), nz=nz)


@torch.no_grad()
def _normal_init(net: nn.Module, std: float) -> None:
    """Weights ~ N(0, std^2), biases 0 (PacGAN's initialiser); batch norm keeps (1, 0)."""
    for m in net.modules():
        if isinstance(m, EnsembleLinear):
            m.weight.normal_(0.0, std)
            if m.bias is not None:
                m.bias.zero_()
        elif isinstance(m, MinibatchDiscrimination):
            m.tensor.normal_(0.0, std)


@torch.no_grad()
def trial_samples(g: nn.Module, n: int, seed: int = 0) -> Tensor:
    """n samples of each of G's trials, G in eval mode (batch-norm running stats): (T, n, d)."""
    z = torch.randn(g.trials * n, g.nz, generator=torch.Generator().manual_seed(seed))
    z = z.to(next(g.parameters()).device)
    was = g.training
    g.eval()
    try:
        x = g(z)  # (T*n, d)
    finally:
        g.train(was)
    return split_trials(x.float().cpu(), g.trials)


# --- the variants --------------------------------------------------------------------------

# PacGAN's baseline architecture for every method; Adam 1e-3 (0.5, 0.999) keeps the benchmark
# short (the papers train far longer at 1e-4). WGAN-GP keeps its paper's betas, lambda, n_critic.
_BASE = dict(width=200, depth=3, lr_g=1e-3, lr_d=1e-3)
METHODS: dict[str, tuple[str, CollapseConfig]] = {
    "collapse-gan": ("mode-collapse baseline: PacGAN's G 4x400 ReLU+BN, D 3x maxout(200, 5)",
                     CollapseConfig(**_BASE)),
    "unrolled-gan": ("unrolled GAN: G's loss against D after 5 differentiable D steps",
                     CollapseConfig(**_BASE, unroll=5)),
    "pacgan2": ("PacGAN: D sees 2 packed samples", CollapseConfig(**_BASE, pack=2)),
    "pacgan3": ("PacGAN: D sees 3 packed samples", CollapseConfig(**_BASE, pack=3)),
    "pacgan4": ("PacGAN: D sees 4 packed samples", CollapseConfig(**_BASE, pack=4)),
    "mbdisc-gan": ("minibatch discrimination (5 kernels of 3) after D's last hidden layer",
                   CollapseConfig(**_BASE, mbdisc=5)),
    "mbstd-gan": ("minibatch standard deviation feature before D's last hidden layer",
                  CollapseConfig(**_BASE, mbstd=True)),
    "fm-gan": ("feature matching: G matches the mean of D's last hidden layer",
               CollapseConfig(**_BASE, feature_matching=True)),
    "collapse-wgan-gp": ("WGAN-GP on the benchmark's nets (lambda 10, 5 critic steps, betas (0.5, 0.9))",
                         CollapseConfig(**_BASE, loss="wasserstein", gp=10.0, n_critic=5,
                                        betas=(0.5, 0.9))),
}

for _name, (_desc, _cfg) in METHODS.items():
    register(_name, Preset(_desc, _cfg, builder="collapse", data="points", default_data="ring",
                           # the unrolled D steps are Adam's
                           fixed=("optimizer",) if _cfg.unroll else (),
                           # a batch of whole packs (pacgan3: 63)
                           train={"batch": 64 - 64 % _cfg.pack} if 64 % _cfg.pack else {}),
             _build_collapse)
