"""The one training loop of ganlab.

A GAN variant is data, not a copied script: a `Game` names its networks, the
teams that own an optimiser each (G alone, or G and Q together for InfoGAN,
G and E for BiGAN, two generators for CycleGAN), and the phases of one step
(which loss updates which team, how often and how many times). `Trainer` runs
any game with the same loop: fresh data per phase, TTUR learning rates, an
exponential moving average of chosen weights, optional bf16 autocast on CUDA,
checkpoints that resume bit for bit, NaN detection, logs, plots and
DistributedDataParallel under `torchrun`.

Speed levers, each a `TrainConfig` switch that every variant gets (measured in
benchmarks/throughput.py): `channels_last` memory format, `fused_optimizer`,
`compile` (torch.compile of every net, in place, so state_dict keys do not change)
and `cuda_graphs` (CUDA only). Compiled graphs cannot be differentiated twice
(torch: "aot_autograd does not currently support double backward"), so under
`compile` a phase whose loss differentiates a gradient (gradient penalty, R1, path
length) is detected on its first run, rewound (RNG, data position, buffers, game
state) and run eagerly from then on; the other phases stay compiled.

Sources: Heusel et al. 2017 (TTUR); Karras et al. 2018 (EMA of G, "Progressive
Growing of GANs", appendix A.1); Karras et al. 2020 (lazy regularisation,
"Analyzing and Improving the Image Quality of StyleGAN", section 3.1).

Randomness: latents come from a trainer-owned generator and real batches from
a pure function of (seed, batch index), so that a resumed run and a run under
DDP (every rank draws the global batch and keeps its slice) see exactly the
data an unbroken single-process run sees. Everything else (dropout, penalty
interpolation, augmentation) uses torch's global RNG, whose state is saved too.
"""

from __future__ import annotations

import copy
import json
import math
import os
import signal
import time
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from .options import opt

__all__ = ["Team", "Phase", "Game", "TrainConfig", "Trainer", "Step", "resolve_device",
           "NonFiniteLossError", "cosine_decay", "linear_decay", "CheckpointError", "CheckpointMismatchError",
           "TrainingInterrupted",
           "load_checkpoint", "check_finite_weights", "fit_game", "eval_on_cpu"]

CKPT_FORMAT = "ganlab-checkpoint-1"


class NonFiniteLossError(RuntimeError):
    """A loss or a weight became NaN or infinite; the message names the step and the last good
    checkpoint (one written from a finite state, so it loads and resumes)."""


class CheckpointError(ValueError):
    """A checkpoint that cannot be used: unreadable, not ganlab's, or holding non-finite weights."""


class CheckpointMismatchError(CheckpointError):
    """A checkpoint belongs to another variant or to networks of other shapes."""


class TrainingInterrupted(KeyboardInterrupt):
    """SIGINT (Ctrl-C) or SIGTERM stopped `fit` at a step boundary, after saving `path`."""

    def __init__(self, signum: int, step: int, path: Path | None) -> None:
        saved = f"; checkpoint saved to {path}" if path is not None else ""
        super().__init__(f"{signal.Signals(signum).name} at step {step}{saved}")
        self.signum, self.step, self.path = signum, step, path


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """"auto" picks cuda, then mps, then cpu; anything else is passed to torch.device."""
    if str(device) != "auto":
        dev = torch.device(device)
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("device 'cuda' requested but CUDA is not available: use --device auto")
        return dev
    if torch.cuda.is_available():
        return torch.device("cuda", torch.cuda.current_device())
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


# --- the description of a game -------------------------------------------------------------


@dataclass
class Team:
    """Networks updated together by one optimiser."""

    nets: tuple[str, ...]  # names in Game.nets
    lr: float = 2e-4  # learning rate (TTUR: give D's team a larger one)
    betas: tuple[float, float] = (0.5, 0.999)  # Adam's betas (DCGAN: beta1 = 0.5)
    optimizer: str = "adam"  # "adam", "rmsprop" (WGAN) or "sgd"
    weight_decay: float = 0.0
    lr_schedule: Callable[[int], float] | None = None  # step -> factor of lr (e.g. linear decay)


@dataclass
class Phase:
    """One part of a training step: `loss(ctx)` is minimised by `team`'s optimiser."""

    name: str  # used as the prefix of logged values, e.g. "D/loss"
    team: str  # key in Game.teams
    loss: Callable[[Step], dict[str, Tensor]]  # returns {"loss": scalar, ...logged values}
    every: int = 1  # run on steps where step % every == 0 (lazy regularisation)
    repeats: int = 1  # run this many times per step (n_critic), each on fresh data
    after: Callable[[Step], None] | None = None  # e.g. weight clipping after the update


@dataclass
class Game:
    """Everything that makes a variant: networks, teams, phases, latent, EMA, augmentation."""

    name: str  # the variant's name; checkpoints of other variants are refused
    nets: dict[str, nn.Module]
    teams: dict[str, Team]
    phases: list[Phase]
    nz: int  # latent size, z ~ N(0, I)
    n_classes: int = 0  # > 0: the generator is conditional on labels
    ema: tuple[str, ...] = ("G",)  # nets whose weights are averaged
    augment: Callable[[Tensor], Tensor] | None = None  # applied to everything D sees
    generate: Callable[[dict[str, nn.Module], Tensor, Tensor | None], Tensor] | None = None
    config: dict[str, Any] = field(default_factory=dict)  # variant options, kept in checkpoints
    state: dict[str, Tensor] = field(default_factory=dict)  # extra state saved in checkpoints
    samples: bool = True  # G draws samples from noise (False: the game maps inputs to outputs)
    show: Callable[[dict[str, nn.Module], Tensor], Tensor] | None = None  # a real batch ->
    # a picture of what the game does to it, (rows, cols, C, H, W) (translation, SR, ...)

    def __post_init__(self) -> None:
        for tname, team in self.teams.items():
            missing = [n for n in team.nets if n not in self.nets]
            if missing:
                raise ValueError(f"team {tname!r} names unknown nets {missing}; nets: {list(self.nets)}")
        for ph in self.phases:
            if ph.team not in self.teams:
                raise ValueError(f"phase {ph.name!r} updates unknown team {ph.team!r}; "
                                 f"teams: {list(self.teams)}")
            if ph.every < 1 or ph.repeats < 1:
                raise ValueError(f"phase {ph.name!r}: every and repeats must be >= 1")
        for n in self.ema:
            if n not in self.nets:
                raise ValueError(f"ema names unknown net {n!r}; nets: {list(self.nets)}")


@dataclass
class TrainConfig:
    """How to run a game (the variant's own options live in Game.config)."""

    steps: int = opt(2000, "training steps; one step runs every due phase once")
    batch: int = opt(64, "batch size per process")
    seed: int = opt(0, "seeds latents, data order and torch's global RNG (nets: variants.build's seed)")
    device: str = opt("auto", "'auto' (cuda, mps, cpu), 'cpu', 'cuda', 'cuda:1', ...")
    amp: bool = opt(False, "bf16 autocast (CUDA and CPU; ignored on other devices)")
    ema_decay: float = opt(0.999, "EMA of the Game.ema nets; 0 disables it")
    out: str | None = opt(None, "run folder for checkpoints, logs and plots; None: nothing written")
    ckpt_every: int = opt(500, "checkpoint every N steps (and at the end, and on Ctrl-C)")
    log_every: int = opt(50, "history row every N steps")
    sample_every: int = opt(0, "sample grid every N steps; 0: only at the end")
    progress: bool = opt(True, "tqdm progress bar")
    check_finite_every: int = opt(1, "check losses for NaN/inf every N steps")
    channels_last: bool = opt(False, "nets and image batches in torch.channels_last memory format")
    fused_optimizer: bool = opt(False, "fused Adam kernels where the device has them, else foreach")
    compile: bool = opt(False, "torch.compile every net (phases that double-backward run eagerly)")
    cuda_graphs: bool = opt(False, "CUDA graphs (torch.compile mode reduce-overhead); CUDA only")

    def __post_init__(self) -> None:
        for name in ("steps", "batch", "ckpt_every", "log_every", "check_finite_every"):
            if getattr(self, name) < (0 if name == "steps" else 1):
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.sample_every < 0:
            raise ValueError(f"sample_every must be >= 0, got {self.sample_every}")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1), got {self.ema_decay}")


# --- data ----------------------------------------------------------------------------------


def cosine_decay(total: int) -> Callable[[int], float]:
    """A `Team.lr_schedule`: the factor (1 + cos(pi * step / total)) / 2, from 1 at step 0 to 0
    at step `total` (Loshchilov & Hutter 2017, without restarts)."""
    if total < 1:
        raise ValueError(f"cosine_decay needs total >= 1 steps, got {total}")
    return lambda step: 0.5 * (1.0 + math.cos(math.pi * min(step, total) / total))


@dataclass(frozen=True)
class linear_decay:  # noqa: N801 (used like a function: linear_decay(n)(step))
    """A `Team.lr_schedule`: the factor 1 - step / steps, 0 from `steps` on (picklable)."""

    steps: int

    def __call__(self, step: int) -> float:
        return max(0.0, 1.0 - step / self.steps)


def _mix(*xs: int) -> int:
    """A deterministic 63-bit seed from integers (splitmix64-style)."""
    h = 0x9E3779B97F4A7C15
    for x in xs:
        h = (h ^ (x + 0x9E3779B97F4A7C15 + (h << 6) + (h >> 2))) & 0xFFFFFFFFFFFFFFFF
        h = (h * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    return h >> 1


class _Batches:
    """Real batches as a pure function of (seed, batch index); each rank keeps its slice."""

    def __init__(self, data: Any, batch: int, seed: int, device: torch.device,
                 rank: int = 0, world: int = 1, channels_last: bool = False) -> None:
        self.data, self.batch, self.seed, self.device = data, batch, seed, device
        self.rank, self.world, self.channels_last = rank, world, channels_last
        self.index = 0  # batches drawn so far (saved in checkpoints)
        self.sampler = hasattr(data, "sample")
        if not self.sampler:
            if len(data) < batch * world:
                raise ValueError(f"the dataset has {len(data)} items, fewer than one batch of "
                                 f"{batch * world}: lower --batch")
            self.arrays = (data.x, data.y) if hasattr(data, "x") else None
            self._perm_epoch, self._perm = -1, None

    def _indices(self, k: int) -> Tensor:
        n, b = len(self.data), self.batch * self.world
        start = k * b
        out = []
        while len(out) * 0 + sum(len(o) for o in out) < b:
            got = sum(len(o) for o in out)
            epoch, pos = divmod(start + got, n)
            if epoch != self._perm_epoch:
                g = torch.Generator().manual_seed(_mix(self.seed, epoch, 7))
                self._perm, self._perm_epoch = torch.randperm(n, generator=g), epoch
            out.append(self._perm[pos : pos + b - got])
        return torch.cat(out)[self.rank * self.batch : (self.rank + 1) * self.batch]

    def next(self) -> tuple[Tensor, Tensor | None]:
        k, self.index = self.index, self.index + 1
        if self.sampler:
            g = torch.Generator().manual_seed(_mix(self.seed, k, 3))
            x = self.data.sample(self.batch * self.world, generator=g)
            x = x[self.rank * self.batch : (self.rank + 1) * self.batch]
            return self._put(x), None
        idx = self._indices(k)
        if self.arrays is not None:
            x, y = self.arrays[0][idx], self.arrays[1][idx]
        else:
            items = [self.data[int(i)] for i in idx]
            x = torch.stack([it[0] if isinstance(it, (tuple, list)) else it for it in items])
            y = torch.as_tensor([int(it[1]) if isinstance(it, (tuple, list)) else -1 for it in items])
        y = None if (y < 0).all() else y.to(self.device, non_blocking=True)
        return self._put(x), y

    def _put(self, x: Tensor) -> Tensor:
        x = x.to(self.device, non_blocking=True)
        if self.channels_last and x.dim() == 4:  # (B, C, H, W) stored as (B, H, W, C)
            x = x.contiguous(memory_format=torch.channels_last)
        return x


# --- one step's view of the game --------------------------------------------------------------


class Step:
    """What a phase's loss function sees: nets, a fresh real batch, latents, augmentation."""

    def __init__(self, trainer: Trainer, nets: dict[str, nn.Module], phase: Phase) -> None:
        self._trainer, self.nets, self.phase = trainer, nets, phase
        self.step, self.batch, self.device = trainer.step, trainer.cfg.batch, trainer.device
        self._real: tuple[Tensor, Tensor | None] | None = None

    def _draw(self) -> tuple[Tensor, Tensor | None]:
        if self._real is None:
            self._real = self._trainer._batches.next()
        return self._real

    @property
    def real(self) -> Tensor:
        """A real batch, drawn on first use in this phase run: (B, ...)."""
        return self._draw()[0]

    @property
    def labels(self) -> Tensor | None:
        """Labels of `real` (None for unlabelled data): (B,)."""
        return self._draw()[1]

    def z(self, n: int | None = None) -> Tensor:
        """Latents z ~ N(0, I): (n, nz), from the trainer's latent generator."""
        return self._trainer.latent(n or self.batch)

    def optimizer(self, team: str) -> torch.optim.Optimizer:
        """`team`'s optimiser, to read (the unrolled GAN's look-ahead starts from its Adam moments)."""
        return self._trainer.optimizers[team]

    def fake_labels(self, n: int | None = None) -> Tensor:
        """Uniform random class labels for a conditional generator: (n,)."""
        return self._trainer.random_labels(n or self.batch)

    def d(self, x: Tensor, *cond: Tensor, net: str = "D") -> Tensor:
        """D's logits on x, with the game's augmentation applied first."""
        aug = self._trainer.game.augment
        return self.nets[net](aug(x) if aug is not None else x, *cond)

    @property
    def lazy_scale(self) -> int:
        """The factor a lazy regulariser is multiplied by (its interval)."""
        return self.phase.every


# --- the trainer -----------------------------------------------------------------------------


def _fast_kwargs(optimizer: str, device: torch.device) -> dict[str, bool]:
    """fused=True for Adam on devices with fused kernels (cuda, cpu, ...), else foreach=True."""
    from torch.utils._foreach_utils import _get_fused_kernels_supported_devices

    if optimizer == "adam" and device.type in _get_fused_kernels_supported_devices():
        return {"fused": True}
    return {"foreach": True}  # RMSprop has no fused kernel; one launch per op over all tensors


def _make_optimizer(team: Team, params: list[nn.Parameter],
                    fast: dict[str, bool] | None = None) -> torch.optim.Optimizer:
    kw = fast or {}
    if team.optimizer == "adam":
        return torch.optim.Adam(params, lr=team.lr, betas=team.betas, weight_decay=team.weight_decay,
                                **kw)
    if team.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=team.lr, weight_decay=team.weight_decay, **kw)
    if team.optimizer == "sgd":
        return torch.optim.SGD(params, lr=team.lr, weight_decay=team.weight_decay, **kw)
    raise ValueError(f"optimizer must be 'adam', 'rmsprop' or 'sgd', got {team.optimizer!r}")


def _shapes(nets: dict[str, nn.Module]) -> dict[str, dict[str, list[int]]]:
    return {n: {k: list(v.shape) for k, v in m.state_dict().items()} for n, m in nets.items()}


class _Levers:
    """The speed levers of a run, outside the step's maths (TrainConfig's `amp`,
    `channels_last`, `fused_optimizer`, `compile`, `cuda_graphs`): where the nets live in
    memory, which optimiser kernels run, which phases run compiled, under which autocast."""

    def __init__(self, cfg: TrainConfig, device: torch.device) -> None:
        if cfg.cuda_graphs and device.type != "cuda":
            raise ValueError(f"cuda_graphs needs a CUDA device, but this run's device is "
                             f"{device}: drop --cuda-graphs (or use --compile) off a GPU")
        self.cfg, self.device = cfg, device
        self.amp = cfg.amp and device.type in ("cuda", "cpu")  # bf16 autocast where it exists
        self.compiled = cfg.compile or cfg.cuda_graphs
        self.probed: set[int] = set()  # id of phases whose graph was checked (compile)
        self.eager: set[int] = set()  # id of phases that differentiate a gradient (compile)

    def place(self, nets: dict[str, nn.Module]) -> None:
        """Move the nets to the device; channels_last applies to 4-D weights only."""
        for m in nets.values():
            m.to(self.device, memory_format=torch.channels_last) if self.cfg.channels_last \
                else m.to(self.device)

    def optimizer(self, team: Team, params: list[nn.Parameter]) -> torch.optim.Optimizer:
        """The team's optimiser, with fused (or foreach) kernels under `fused_optimizer`."""
        fast = _fast_kwargs(team.optimizer, self.device) if self.cfg.fused_optimizer else None
        return _make_optimizer(team, params, fast)

    def compile(self, nets: dict[str, nn.Module]) -> None:
        """torch.compile every net in place (state_dict keys stay the same)."""
        if self.compiled:
            for m in nets.values():
                m.compile(mode="reduce-overhead" if self.cfg.cuda_graphs else None)

    def needs_probe(self, phase: Phase) -> bool:
        """Under compile, a phase's first run checks whether it differentiates a gradient."""
        return self.compiled and id(phase) not in self.probed

    @contextmanager
    def context(self, phase: Phase):
        """bf16 autocast (cfg.amp); under compile, eager for a phase that differentiates a
        gradient; under CUDA graphs, a fresh graph step."""
        if self.cfg.cuda_graphs:
            torch.compiler.cudagraph_mark_step_begin()  # this phase's graphs start afresh
        with _eager_if(id(phase) in self.eager), \
                torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.amp):
            yield


class Trainer:
    """Runs a `Game` on data (a Dataset, or an object with `.sample(n, generator)`).

    Reading order: `fit` (the loop), `train_step` / `_run_phase` / `_losses` (one step);
    the speed levers live in `_Levers`, the process plumbing (progress bar, signals,
    checkpoints on schedule, DDP) in the helpers after them."""

    def __init__(self, game: Game, data: Any, cfg: TrainConfig | None = None, **overrides: Any):
        self.cfg = cfg = _replace(cfg or TrainConfig(), **overrides)
        self.game, self.data = game, data
        torch.manual_seed(_mix(cfg.seed, 2))  # penalties' interpolation, augmentation, dropout
        self.device = resolve_device(cfg.device)
        self._levers = _Levers(cfg, self.device)  # checks the levers; applied below
        self.rank, self.world = _dist_info()  # (0, 1) unless under torchrun
        self.step = 0
        self.history: list[dict[str, float]] = []
        self.out = Path(cfg.out) if cfg.out else None
        self._levers.place(game.nets)
        self._ddp = self._wrap_ddp()  # {} in a single process
        self._params = {t: [p for n in team.nets for p in game.nets[n].parameters()]
                        for t, team in game.teams.items()}
        self.optimizers = {t: self._levers.optimizer(team, self._params[t])
                           for t, team in game.teams.items()}
        self.ema = {n: copy.deepcopy(game.nets[n]).eval().requires_grad_(False)
                    for n in game.ema} if cfg.ema_decay > 0 else {}
        self._levers.compile(game.nets)  # after the EMA copies, which stay eager
        self._latent_gen = torch.Generator(self.device).manual_seed(_mix(cfg.seed, 1))
        self._batches = _Batches(data, cfg.batch, cfg.seed, self.device, self.rank, self.world,
                                 cfg.channels_last)
        self._fixed_z = torch.randn(64, game.nz, generator=torch.Generator().manual_seed(cfg.seed))
        self._init_plumbing()

    def _init_plumbing(self) -> None:
        """Stop requests, the last good checkpoint, the latest logs, and the per-team views
        of the nets (the team's own DDP-wrapped, the others raw) with their freezing state."""
        self._stop_requested = False
        self._stop_signal = signal.SIGINT
        self._good_ckpt: tuple[Path, int] | None = None  # (path, step) last written from a finite state
        self.resume_notes: list[str] = []  # what resume changed or could not restore, one line each
        self._last: dict[str, Tensor] = {}
        self._frozen_for: str | None = None
        self._net_params = {n: list(m.parameters()) for n, m in self.game.nets.items()}
        self._views = {t: {n: (self._ddp.get(n, m) if n in team.nets else m)
                           for n, m in self.game.nets.items()} for t, team in self.game.teams.items()}

    # -- randomness ------------------------------------------------------------------------

    def latent(self, n: int) -> Tensor:
        """(n, nz) standard normal latents; under DDP every rank draws the global batch."""
        z = torch.randn(n * self.world, self.game.nz, device=self.device, generator=self._latent_gen)
        return z[self.rank * n : (self.rank + 1) * n]

    def random_labels(self, n: int) -> Tensor:
        if not self.game.n_classes:
            raise ValueError("this game's generator is unconditional (n_classes=0)")
        y = torch.randint(0, self.game.n_classes, (n * self.world,), device=self.device,
                          generator=self._latent_gen)
        return y[self.rank * n : (self.rank + 1) * n]

    # -- the loop --------------------------------------------------------------------------

    def fit(self, steps: int | None = None) -> list[dict[str, float]]:
        """Train until `steps` (default cfg.steps) total steps; returns the history."""
        target = self.cfg.steps if steps is None else steps
        if target < self.step:
            raise ValueError(f"already at step {self.step}, past the requested {target}")
        # a progress bar and Ctrl-C/SIGTERM handlers; on the way out every net is unfrozen
        with self._running(target) as bar:
            start = (time.perf_counter(), self.step)  # for the steps/s column
            # every process stops at the same step (a signal on any rank stops them all)
            while self.step < target and not self._agree(self._stop_requested):
                logs = self.train_step()  # every due phase once, the EMA, step += 1
                self._check_finite(logs)  # NaN/inf: raise, naming the last good checkpoint
                self._report(logs, target, start, bar)  # a history row when due; the bar
                self._save_due()  # checkpoint and sample grid on their schedules
        # the last checkpoint (and samples, loss plot), or TrainingInterrupted after a signal
        return self._finish()

    def run(self, n: int) -> list[dict[str, float]]:
        """Train n more steps (for step-by-step widgets)."""
        return self.fit(self.step + n)

    # -- one step --------------------------------------------------------------------------

    def train_step(self) -> dict[str, Tensor]:
        """Run every phase due at this step, update the EMA, advance the step counter."""
        logs: dict[str, Tensor] = {}
        for phase in self.game.phases:
            if self.step % phase.every:  # a lazy phase (R1 every 16 steps) skips this step
                continue
            for _ in range(phase.repeats):  # n_critic: each repeat on fresh data
                out = self._run_phase(phase)
            logs.update({f"{phase.name}/{k}": v.detach() for k, v in out.items()})
        self._update_ema()
        self.step += 1
        self._last.update(logs)
        return logs

    def _run_phase(self, phase: Phase) -> dict[str, Tensor]:
        """One update of the phase's team: its loss, backward, the optimiser's step."""
        ctx, out = self._losses(phase)
        opt, team = self.optimizers[phase.team], self.game.teams[phase.team]
        opt.zero_grad(set_to_none=True)
        self._backward(phase, out["loss"])
        if team.lr_schedule is not None:  # e.g. a linear decay of lr
            for group in opt.param_groups:
                group["lr"] = team.lr * team.lr_schedule(self.step)
        opt.step()
        if phase.after is not None:  # e.g. WGAN's weight clipping
            phase.after(ctx)
        return out

    def _losses(self, phase: Phase) -> tuple[Step, dict[str, Tensor]]:
        """The phase's loss dict (and its ctx): only the team's nets collect gradients."""
        if self._levers.needs_probe(phase):  # compile: the first run checks for double backward
            return self._probe_compiled(phase)
        ctx = Step(self, self._phase_nets(phase.team), phase)
        with self._levers.context(phase):  # autocast; eager or CUDA-graph step under compile
            out = phase.loss(ctx)
        if "loss" not in out:
            raise KeyError(f"phase {phase.name!r} must return a dict with a 'loss' entry")
        return ctx, out

    def ema_decay_at(self, step: int) -> float:
        """The EMA decay used after `step`: cfg.ema_decay, warmed up as (1 + t) / (10 + t)."""
        return min(self.cfg.ema_decay, (1 + step) / (10 + step))

    @torch.no_grad()
    def _update_ema(self) -> None:
        if not self.ema:
            return
        decay = self.ema_decay_at(self.step)
        for name, avg in self.ema.items():
            src = self.game.nets[name]
            ps, qs = list(avg.parameters()), list(src.parameters())
            torch._foreach_lerp_(ps, qs, 1.0 - decay)
            for b_avg, b in zip(avg.buffers(), src.buffers()):
                b_avg.copy_(b)

    # -- freezing: only the phase's team collects gradients ------------------------------------

    def _phase_nets(self, team: str) -> dict[str, nn.Module]:
        """The team's nets (DDP-wrapped when distributed) and the others, frozen and raw."""
        if self._frozen_for != team:  # only the team's parameters collect gradients
            members = self.game.teams[team].nets
            for name, params in self._net_params.items():  # flat lists: no module-tree walk
                flag = name in members
                for p in params:
                    p.requires_grad = flag
            self._frozen_for = team
        return self._views[team]

    def _unfreeze(self) -> None:
        for params in self._net_params.values():
            for p in params:
                p.requires_grad = True
        self._frozen_for = None

    # -- compile: a phase that differentiates a gradient is found, rewound, run eagerly ------

    def _probe_compiled(self, phase: Phase) -> tuple[Step, dict[str, Tensor]]:
        """A phase's first run under compile: if its loss differentiates a gradient (which
        compiled graphs cannot), rewind what the run changed and run it eagerly from now on."""
        saved = self._snapshot()
        self._levers.probed.add(id(phase))
        ctx, out = self._losses(phase)
        if _differentiates_a_gradient(out["loss"]):
            del ctx, out
            self._restore(saved)
            self._levers.eager.add(id(phase))
            return self._losses(phase)
        return ctx, out

    def _backward(self, phase: Phase, loss: Tensor) -> None:
        try:
            loss.backward()
        except RuntimeError as e:  # a phase that double-backwards only after its first run
            if "double backward" not in str(e):
                raise
            raise RuntimeError(f"phase {phase.name!r} differentiates a compiled net's gradient, "
                               f"which torch.compile cannot do: train without --compile") from e

    def _snapshot(self) -> tuple[Any, ...]:
        """What a phase's forward pass may change: RNG, data position, buffers, game state."""
        cuda = torch.cuda.get_rng_state_all() if self.device.type == "cuda" else None
        bufs = [b.detach().clone() for m in self.game.nets.values() for b in m.buffers()]
        state = {k: v.detach().clone() for k, v in self.game.state.items()}
        return (torch.get_rng_state(), cuda, self._latent_gen.get_state(), self._batches.index,
                bufs, state)

    @torch.no_grad()
    def _restore(self, saved: tuple[Any, ...]) -> None:
        rng, cuda, latent, self._batches.index, bufs, state = saved
        torch.set_rng_state(rng)
        if cuda is not None:
            torch.cuda.set_rng_state_all(cuda)
        self._latent_gen.set_state(latent)
        for b, v in zip([b for m in self.game.nets.values() for b in m.buffers()], bufs):
            b.copy_(v)
        for k in set(self.game.state) - set(state):  # keys a rewound phase added
            del self.game.state[k]
        self.game.state.update(state)

    # -- the loop's plumbing: progress bar, signals, logs and files on schedule ------------------

    @contextmanager
    def _running(self, target: int):
        """fit's surroundings: a progress bar (yielded, or None) and stop handlers; on the
        way out, even on an error, every net unfrozen, the handlers put back, the bar closed."""
        bar = self._bar(target)
        old = self._install_stop_handlers()
        try:
            yield bar
        finally:
            self._unfreeze()
            for signum, handler in (old or {}).items():
                signal.signal(signum, handler)
            if bar is not None:
                bar.close()

    def _report(self, logs: dict[str, Tensor], target: int, start: tuple[float, int],
                bar: Any) -> None:
        """A history row every log_every steps and at the end (the bar shows its losses)."""
        if self.step % self.cfg.log_every == 0 or self.step == target:
            row = self._log(logs, (self.step - start[1]) / (time.perf_counter() - start[0]))
            if bar is not None:
                bar.set_postfix({k: f"{v:.3g}" for k, v in row.items() if k.endswith("loss")})
        if bar is not None:
            bar.update(1)

    def _save_due(self) -> None:
        """The checkpoint every ckpt_every steps, a sample grid every sample_every (rank 0 of
        a run with a run folder)."""
        if self.out is None or self.rank != 0:
            return
        if self.step % self.cfg.ckpt_every == 0:
            self.save()
        if self.cfg.sample_every and self.step % self.cfg.sample_every == 0:
            self.save_samples(self.out / f"samples_{self.step:07d}.png")

    def _finish(self) -> list[dict[str, float]]:
        """After the loop: the last checkpoint, then TrainingInterrupted if a signal stopped
        it, else the samples and the loss plot; returns the history."""
        path = self.save() if self.out is not None and self.rank == 0 else None
        if self._stop_requested:
            raise TrainingInterrupted(self._stop_signal, self.step, path)
        if path is not None:
            self.save_samples(self.out / "samples.png")
            self.save_loss_plot(self.out / "losses.png")
        return self.history

    def _bar(self, target: int):
        if not self.cfg.progress or self.rank != 0 or target == self.step:
            return None
        from tqdm.auto import tqdm

        return tqdm(total=target, initial=self.step, desc=self.game.name, unit="step",
                    dynamic_ncols=True, leave=True)

    def _install_stop_handlers(self) -> dict[int, Any] | None:
        """Ctrl-C (SIGINT) or SIGTERM (what schedulers send) asks the loop to stop at the next
        step boundary and save; a second one kills. Returns the handlers to put back."""
        import threading

        if threading.current_thread() is not threading.main_thread():
            return None

        def handler(signum, frame):
            if self._stop_requested:
                raise KeyboardInterrupt
            self._stop_requested, self._stop_signal = True, signum

        self._stop_requested = False
        return {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}

    def _agree(self, flag: bool) -> bool:
        """Whether `flag` holds on any process (every rank stops or raises at the same step)."""
        if self.world == 1:
            return flag
        import torch.distributed as dist

        t = torch.tensor([float(flag)], device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t.item())

    def _check_finite(self, logs: dict[str, Tensor]) -> None:
        if self.step % self.cfg.check_finite_every and self.step != self.cfg.steps:
            return
        totals = [v for k, v in logs.items() if k.endswith("/loss")]
        finite = bool(torch.isfinite(torch.stack(totals)).all())  # one check for all phases' losses
        if not self._agree(not finite):
            return
        bad = [k for k, v in logs.items() if not torch.isfinite(v).all()] or ["loss on another rank"]
        raise NonFiniteLossError(f"non-finite {', '.join(bad)} at step {self.step}; "
                                 f"{self._last_good_words()}")

    def _last_good_words(self) -> str:
        where = (f"the last good checkpoint is {self._good_ckpt[0]} (step {self._good_ckpt[1]})"
                 if self._good_ckpt else "no good checkpoint was written")
        return (f"{where}. Lower the learning rate (a resumed run takes the new one), check the "
                f"data range, or add a regulariser, then resume.")

    def _log(self, logs: dict[str, Tensor], rate: float) -> dict[str, float]:
        row = {"step": self.step, **{k: float(v) for k, v in logs.items() if v.numel() == 1},
               "steps_per_s": rate}
        self.history.append(row)
        if self.out is not None and self.rank == 0:
            self.out.mkdir(parents=True, exist_ok=True)
            with open(self.out / "history.jsonl", "a") as f:
                f.write(json.dumps(row) + "\n")
        return row

    # -- sampling and plots ----------------------------------------------------------------

    @torch.no_grad()
    def sample(self, n: int = 64, seed: int | None = None, ema: bool = True,
               labels: Tensor | None = None) -> Tensor:
        """n samples from G (the EMA copy if there is one), on CPU."""
        nets = dict(self.game.nets)
        if ema:
            nets.update(self.ema)
        return sample_game(self.game, nets, n, self.device, seed, labels,
                           z=self._fixed_z[:n] if seed is None and n <= 64 else None)

    def save_samples(self, path: Path) -> Path | None:
        """Write what the game can show: samples of G, or (for a game that maps inputs, with
        `Game.show`) its outputs on the first real items; None when it can show neither.

        Drawing them leaves the training RNG (torch's global one, and this CUDA device's) as
        it was: a run that writes sample grids trains as one that does not (CTGAN's Gumbel
        noise, a diffusion sampler), and a resumed run, which does not redraw the grid written
        with its checkpoint, continues bit for bit."""
        cuda = []  # the CUDA device whose RNG to keep, if any
        if self.device.type == "cuda":
            cuda = [self.device.index if self.device.index is not None else torch.cuda.current_device()]
        with torch.random.fork_rng(devices=cuda):
            return self._write_samples(path)

    def _write_samples(self, path: Path) -> Path | None:
        from . import viz

        real = self._batches.data
        if self.game.samples:
            viz.save_samples(self.sample(64), path, real=real if hasattr(real, "sample") else None)
            return path
        if self.game.show is None:
            return None
        nets = {**self.game.nets, **self.ema}
        batch = _first_items(real, 8).to(self.device)
        was = {k: m.training for k, m in nets.items()}
        for m in nets.values():
            m.eval()
        try:
            with torch.no_grad():
                pic = self.game.show(nets, batch).float().cpu()  # (rows, cols, C, H, W)
        finally:
            for k, m in nets.items():
                m.train(was[k])
        viz.save_samples(pic.flatten(0, 1), path, nrow=pic.shape[1])
        return path

    def save_loss_plot(self, path: Path) -> Path:
        from . import viz

        if self.history:
            viz.save_loss_plot(self.history, path)
        return path

    # -- checkpoints -----------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []
        return {
            "format": CKPT_FORMAT,
            "variant": self.game.name,
            "game_config": self.game.config,
            "train_config": asdict(self.cfg),
            "step": self.step,
            "batches": self._batches.index,
            "shapes": _shapes(self.game.nets),
            "nets": {n: m.state_dict() for n, m in self.game.nets.items()},
            "ema": {n: m.state_dict() for n, m in self.ema.items()},
            "optimizers": {t: o.state_dict() for t, o in self.optimizers.items()},
            "game_state": dict(self.game.state),
            "world": self.world,
            "rng": {"torch": torch.get_rng_state(), "cuda": cuda_rng,
                    "latent": self._latent_gen.get_state(),
                    "latent_device": self._latent_gen.device.type},
            "history": [json.dumps(r) for r in self.history],
        }

    def save(self, path: str | Path | None = None) -> Path:
        """Write a checkpoint atomically (default: <out>/last.pt), only from a finite state:
        non-finite weights raise NonFiniteLossError and leave the last good checkpoint as it is."""
        if path is None:
            if self.out is None:
                raise ValueError("no run folder: pass a path or set TrainConfig.out")
            path = self.out / "last.pt"
        bad = check_finite_weights({**self.game.nets, **{f"EMA {n}": m for n, m in self.ema.items()}})
        if bad:
            raise NonFiniteLossError(f"non-finite weights in {', '.join(bad)} after step "
                                     f"{self.step}, not saved; {self._last_good_words()}")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        torch.save(self.state_dict(), tmp)
        os.replace(tmp, path)
        self._good_ckpt = (path, self.step)
        return path

    def load_state_dict(self, ck: dict[str, Any]) -> None:
        check_compatible(ck, self.game)
        for n, m in self.game.nets.items():
            m.load_state_dict(ck["nets"][n])
        for n, m in self.ema.items():
            if n in ck["ema"]:
                m.load_state_dict(ck["ema"][n])
        notes = []
        for t, o in self.optimizers.items():
            o.load_state_dict(ck["optimizers"][t])
            notes += _apply_team_hyperparameters(t, self.game.teams[t], o)
        self.game.state.update({k: v.to(self.device) for k, v in ck["game_state"].items()})
        self.step, self._batches.index = ck["step"], ck["batches"]
        notes += self._restore_rng(ck["rng"])
        self.history = [json.loads(r) for r in ck["history"]]
        self.resume_notes = notes

    def _restore_rng(self, rng: dict[str, Any]) -> list[str]:
        """Restore the RNG states that apply on this device; re-seed (and say so) the others."""
        notes = []
        torch.set_rng_state(rng["torch"])
        cuda = list(rng.get("cuda") or [])
        if cuda and torch.cuda.is_available():
            n = min(len(cuda), torch.cuda.device_count())
            for i in range(n):
                torch.cuda.set_rng_state(cuda[i], i)
            if n < len(cuda):
                notes.append(f"the checkpoint holds {len(cuda)} CUDA RNG states, this machine has "
                             f"{n} devices: restored the first {n}")
        elif cuda:
            notes.append("the checkpoint's CUDA RNG states do not apply on this machine (no CUDA)")
        elif self.device.type == "cuda":
            torch.cuda.manual_seed_all(_mix(self.cfg.seed, 5, self.step))
            notes.append("the checkpoint has no CUDA RNG state: CUDA's RNG re-seeded")
        saved_on = rng.get("latent_device", self._latent_gen.device.type)
        try:
            if saved_on != self._latent_gen.device.type:
                raise RuntimeError(saved_on)
            self._latent_gen.set_state(rng["latent"])
        except RuntimeError:
            self._latent_gen.manual_seed(_mix(self.cfg.seed, 1, self.step))
            notes.append(f"the latent RNG was saved on {saved_on} and this run is on "
                         f"{self._latent_gen.device.type}: latents re-seeded from the seed and "
                         f"step (the run continues, not bit for bit)")
        return notes

    def resume(self, path: str | Path | None = None) -> bool:
        """Load <out>/last.pt (or `path`) if it exists; returns whether a checkpoint was loaded.

        `resume_notes` then lists what changed (a team's new learning rate) or could not be
        restored (RNG states of another device). History rows that a killed run logged after
        the checkpoint are dropped from <out>/history.jsonl, so no step appears twice."""
        path = Path(path) if path is not None else (self.out / "last.pt" if self.out else None)
        if path is None or not path.exists():
            return False
        self.load_state_dict(load_checkpoint(path, map_location=self.device))
        self._good_ckpt = (path, self.step)
        if self.out is not None and self.rank == 0:
            _write_atomic(self.out / "history.jsonl",
                          "".join(json.dumps(r) + "\n" for r in self.history))
        return True

    # -- distributed -----------------------------------------------------------------------

    def _wrap_ddp(self) -> dict[str, nn.Module]:
        if self.world == 1:
            return {}
        from torch.nn.parallel import DistributedDataParallel as DDP

        ids = [self.device.index] if self.device.type == "cuda" else None
        return {n: DDP(m, device_ids=ids, broadcast_buffers=False)
                for n, m in self.game.nets.items() if any(p.requires_grad for p in m.parameters())}


def eval_on_cpu(game: Game) -> Game:
    """Move `game`'s nets to the CPU in eval mode (in place) and return the game: ready to be
    measured in a chapter."""
    for net in game.nets.values():
        net.cpu().eval()
    return game


def fit_game(game: Game, data: Any, steps: int, *, batch: int = 64, seed: int = 0,
             **options: Any) -> Game:
    """A chapter's short run: train `game` on `data` for `steps` steps with the one Trainer
    (no progress bar, no EMA unless `options` ask for one, the rest of `TrainConfig`'s
    defaults or `options`), then `eval_on_cpu` it. Returns the game."""
    options = {"progress": False, "ema_decay": 0.0, **options}
    Trainer(game, data, steps=steps, batch=batch, seed=seed, **options).fit()
    return eval_on_cpu(game)


def _eager_if(flag: bool):
    """A context in which torch.compile'd code runs eagerly (when flag), else nothing."""
    return torch.compiler.set_stance("force_eager") if flag else nullcontext()


def _differentiates_a_gradient(loss: Tensor) -> bool:
    """Whether backward through `loss` would differentiate a compiled backward (double backward)."""
    seen, todo = set(), [loss.grad_fn]
    while todo:
        fn = todo.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        if type(fn).__name__ == "CompiledFunctionBackwardBackward":
            return True
        todo.extend(f for f, _ in fn.next_functions)
    return False


def _replace(cfg: TrainConfig, **kw: Any) -> TrainConfig:
    d = asdict(cfg)
    unknown = set(kw) - set(d)
    if unknown:
        raise TypeError(f"unknown TrainConfig fields {sorted(unknown)}; valid: {sorted(d)}")
    d.update(kw)
    return TrainConfig(**d)


def _dist_info() -> tuple[int, int]:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _first_items(data: Any, n: int) -> Tensor:
    """The first n items of a dataset (or n draws of a sampler, seed 0): (n, ...)."""
    if hasattr(data, "sample"):
        return data.sample(n, generator=torch.Generator().manual_seed(0))
    if hasattr(data, "x"):
        return data.x[:n]
    items = [data[i] for i in range(min(n, len(data)))]
    return torch.stack([it[0] if isinstance(it, (tuple, list)) else it for it in items])


@torch.no_grad()
def sample_game(game: Game, nets: dict[str, nn.Module], n: int, device: torch.device,
                seed: int | None = None, labels: Tensor | None = None,
                z: Tensor | None = None) -> Tensor:
    """n samples of a game's generator in eval mode, returned on CPU."""
    if not game.samples:
        raise ValueError(f"variant {game.name!r} does not draw samples from noise: it maps "
                         f"inputs to outputs (its run folder's samples.png shows some)")
    if z is None:
        g = torch.Generator().manual_seed(0 if seed is None else seed)
        z = torch.randn(n, game.nz, generator=g)
    z = z.to(device)
    if game.n_classes and labels is None:
        labels = torch.arange(n) % game.n_classes
    labels = labels.to(device) if labels is not None else None
    was = {k: m.training for k, m in nets.items()}
    for m in nets.values():
        m.eval()
    try:
        if game.generate is not None:
            x = game.generate(nets, z, labels)
        else:
            x = nets["G"](z, labels) if labels is not None else nets["G"](z)
    finally:
        for k, m in nets.items():
            m.train(was[k])
    return x.float().cpu()


_CKPT_KEYS = ("variant", "game_config", "train_config", "step", "batches", "shapes", "nets", "ema",
              "optimizers", "game_state", "rng", "history")


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a ganlab checkpoint safely (weights_only) and check its format and weights.

    Raises FileNotFoundError when there is no file, CheckpointError when the file is empty,
    truncated, corrupt, holds objects other than tensors (never unpickled), is not a ganlab
    checkpoint, or holds non-finite weights."""
    import pickle
    import warnings

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}")
    if path.is_dir():
        raise CheckpointError(f"{path} is a folder; pass the checkpoint file, e.g. {path / 'last.pt'}")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path} is empty (0 bytes): the write that made it did not finish; "
                              f"use another checkpoint or train again")
    try:
        with warnings.catch_warnings():  # torch warns about foreign pickle protocols
            warnings.simplefilter("ignore")
            ck = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        if "global" in str(err).lower():  # a pickle that would build objects or run code
            raise CheckpointError(f"{path} holds objects other than tensors and plain data, which "
                                  f"ganlab refuses to unpickle (weights_only); it is not a ganlab "
                                  f"checkpoint") from None
        raise CheckpointError(f"{path} cannot be read: it is corrupt or not a torch checkpoint "
                              f"(nothing in it was run); use another checkpoint or train again") \
            from None
    except (RuntimeError, EOFError, OSError, ValueError, KeyError, IndexError, AttributeError):
        raise CheckpointError(f"{path} cannot be read: it is truncated or corrupt (or not a torch "
                              f"file); use another checkpoint or train again") from None
    if not isinstance(ck, dict) or ck.get("format") != CKPT_FORMAT:
        raise CheckpointError(f"{path} is not a ganlab checkpoint ({CKPT_FORMAT})")
    missing = [k for k in _CKPT_KEYS if k not in ck]
    if missing:
        raise CheckpointError(f"{path} lacks {', '.join(missing)}: it is not a complete ganlab "
                              f"checkpoint")
    bad = check_finite_weights(ck["nets"]) + check_finite_weights(ck["ema"], "EMA ")
    if bad:
        raise CheckpointError(f"{path} holds non-finite weights (NaN or inf) in {', '.join(bad)}; "
                              f"use an earlier checkpoint")
    return ck


def check_finite_weights(nets: dict[str, Any], prefix: str = "") -> list[str]:
    """Names of the nets (modules or state_dicts) holding a NaN or infinite floating tensor."""
    bad = []
    for name, net in nets.items():
        tensors = net.state_dict().values() if isinstance(net, nn.Module) else net.values()
        if not all(torch.isfinite(t).all() for t in tensors
                   if isinstance(t, Tensor) and t.is_floating_point()):
            bad.append(f"{prefix}{name}")
    return bad


def _apply_team_hyperparameters(name: str, team: Team, opt: torch.optim.Optimizer) -> list[str]:
    """Give a loaded optimiser the team's (maybe new) lr, betas and weight decay; say what changed."""
    notes = []
    for key, new in (("lr", team.lr), ("betas", tuple(team.betas)),
                     ("weight_decay", team.weight_decay)):
        for group in opt.param_groups:
            if key not in group:
                continue
            old = tuple(group[key]) if key == "betas" else group[key]
            scheduled = key == "lr" and team.lr_schedule is not None  # its lr is set every step
            if old != new and not scheduled:
                notes.append(f"team {name}: {key} {old} -> {new} (applied)")
            group[key] = new
    return list(dict.fromkeys(notes))


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def check_compatible(ck: dict[str, Any], game: Game) -> None:
    """Refuse a checkpoint of another variant or of differently shaped networks."""
    if ck["variant"] != game.name:
        raise CheckpointMismatchError(
            f"checkpoint is of variant {ck['variant']!r} but this run is {game.name!r}: "
            f"use --variant {ck['variant']} or a fresh --out folder")
    mine = _shapes(game.nets)
    if ck["shapes"] != mine:
        diff = [f"{n}.{k}: checkpoint {ck['shapes'].get(n, {}).get(k)} vs run {v}"
                for n, s in mine.items() for k, v in s.items()
                if ck["shapes"].get(n, {}).get(k) != v]
        extra = sorted(set(ck["shapes"]) - set(mine))
        raise CheckpointMismatchError(
            "checkpoint networks differ from this run's: " + "; ".join(diff[:5] or extra[:5])
            + ". Use the same variant options and data size, or a fresh --out folder.")
