"""Early stopping on a tracked metric: keep the best checkpoint, not the last one.

BigGAN (Brock et al. 2019, section 4.2 and appendix F) trains large models until they
collapse and reports the checkpoint just before collapse: the training loss does not say
when that is, a sample metric (IS/FID there) does. `BestCheckpoint` keeps an in-memory copy
of some nets' weights at the evaluation where a metric was best, and `fit_tracked` runs a
`Trainer` in chunks of `every` steps, scores the game after each chunk, and stops once
`patience` evaluations in a row have not improved on the best (None: never stop early).

Deviation from BigGAN: a copy in memory rather than checkpoints on disk, and any metric
(a classifier's class accuracy, KID, ...) rather than IS/FID.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from torch import nn

__all__ = ["BestCheckpoint", "fit_tracked"]


@dataclass
class BestCheckpoint:
    """The best value of a metric seen so far, its step, and the nets' weights at that step."""

    mode: str = "max"  # "max": larger is better (accuracy); "min": smaller is better (KID)
    patience: int | None = None  # evaluations without improvement before stopping (None: never)
    min_delta: float = 0.0  # an improvement must beat the best by more than this
    best: float = math.nan
    best_step: int = -1
    state: dict[str, dict] = field(default_factory=dict)  # net name -> state_dict copy
    history: list[tuple[int, float]] = field(default_factory=list)  # (step, value) per evaluation
    since_best: int = 0  # evaluations since the best

    def __post_init__(self) -> None:
        if self.mode not in ("max", "min"):
            raise ValueError(f"mode must be 'max' or 'min', got {self.mode!r}")
        if self.patience is not None and self.patience < 1:
            raise ValueError(f"patience must be >= 1 or None, got {self.patience}")

    def _better(self, value: float) -> bool:
        if math.isnan(self.best):
            return True
        gain = value - self.best if self.mode == "max" else self.best - value
        return gain > self.min_delta

    def update(self, step: int, value: float, nets: dict[str, nn.Module]) -> bool:
        """Record one evaluation; copy the nets' weights if it is the best. Returns whether it was."""
        value = float(value)
        if math.isnan(value):
            raise ValueError(f"the tracked metric is NaN at step {step}: check the generator")
        self.history.append((step, value))
        if not self._better(value):
            self.since_best += 1
            return False
        self.best, self.best_step, self.since_best = value, step, 0
        self.state = {n: copy.deepcopy(m.state_dict()) for n, m in nets.items()}
        return True

    @property
    def should_stop(self) -> bool:
        return self.patience is not None and self.since_best >= self.patience

    def restore(self, nets: dict[str, nn.Module]) -> None:
        """Load the best weights back into `nets` (each name must have been kept)."""
        if not self.state:
            raise ValueError("no evaluation recorded yet: nothing to restore")
        missing = sorted(set(nets) - set(self.state))
        if missing:
            raise KeyError(f"nets {missing} were not kept; kept: {sorted(self.state)}")
        for n, m in nets.items():
            m.load_state_dict(self.state[n])


def fit_tracked(trainer, metric: Callable[[dict[str, nn.Module]], float], every: int,
                steps: int | None = None, keep: Iterable[str] = ("G",), mode: str = "max",
                patience: int | None = None, min_delta: float = 0.0,
                best: BestCheckpoint | None = None) -> BestCheckpoint:
    """Train `trainer` to `steps` (default its config's) in chunks of `every` steps, calling
    `metric(trainer.game.nets)` after each chunk; returns the `BestCheckpoint` of the nets in
    `keep`. The trainer's nets are left as they are at the last step (call `restore` for the
    best). Stops early when `patience` evaluations in a row do not improve."""
    if every < 1:
        raise ValueError(f"every must be >= 1, got {every}")
    target = trainer.cfg.steps if steps is None else steps
    if best is None:
        best = BestCheckpoint(mode=mode, patience=patience, min_delta=min_delta)
    nets = trainer.game.nets
    kept = {n: nets[n] for n in keep}
    while trainer.step < target and not best.should_stop:
        trainer.fit(min(target, trainer.step + every))
        best.update(trainer.step, metric(nets), kept)
    return best
