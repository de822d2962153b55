"""Early stopping keeps the weights of the best evaluation, compared with an argmax by hand."""

import math
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from ganlab.earlystop import BestCheckpoint, fit_tracked


class _FakeTrainer:
    """A trainer whose `fit(target)` sets G's single weight to the step count."""

    def __init__(self, steps: int) -> None:
        self.cfg = SimpleNamespace(steps=steps)
        self.step = 0
        self.calls: list[int] = []
        self.game = SimpleNamespace(nets={"G": nn.Linear(1, 1, bias=False), "D": nn.Linear(1, 1)})

    def fit(self, target: int):
        self.calls.append(target)
        self.step = target
        with torch.no_grad():
            self.game.nets["G"].weight.fill_(float(target))


def _curve(values):
    """A metric that reads the G weight (the step) and returns values[step // 10 - 1]."""
    return lambda nets: values[int(nets["G"].weight.item()) // 10 - 1]


def test_best_checkpoint_keeps_the_argmax_and_its_weights():
    values = [0.1, 0.4, 0.7, 0.65, 0.2, 0.3]  # improves, then collapses
    tr = _FakeTrainer(60)
    best = fit_tracked(tr, _curve(values), every=10)
    assert tr.calls == [10, 20, 30, 40, 50, 60]
    assert best.history == [(10 * (i + 1), v) for i, v in enumerate(values)]
    k = max(range(len(values)), key=values.__getitem__)
    assert best.best_step == 10 * (k + 1) and best.best == values[k]
    assert tr.game.nets["G"].weight.item() == 60.0  # the trainer is left at the last step
    best.restore({"G": tr.game.nets["G"]})
    assert tr.game.nets["G"].weight.item() == 30.0  # a copy was kept, not a reference
    assert set(best.state) == {"G"}
    with pytest.raises(KeyError, match="not kept"):
        best.restore({"D": tr.game.nets["D"]})


def test_min_mode_and_patience_stop_at_the_right_evaluation():
    values = [0.5, 0.3, 0.35, 0.4, 0.2, 0.1]  # best 0.3 at step 20, then 2 worse ones
    tr = _FakeTrainer(60)
    best = fit_tracked(tr, _curve(values), every=10, mode="min", patience=2)
    assert tr.calls == [10, 20, 30, 40]  # stopped after two evaluations without improvement
    assert (best.best_step, best.best) == (20, 0.3) and best.should_stop
    # the last chunk is shortened to the target
    tr = _FakeTrainer(25)
    fit_tracked(tr, lambda nets: 1.0, every=10)
    assert tr.calls == [10, 20, 25]


def test_min_delta_and_bad_inputs():
    b = BestCheckpoint(mode="max", min_delta=0.1)
    net = nn.Linear(1, 1)
    assert b.update(1, 0.5, {"G": net}) and not b.update(2, 0.55, {"G": net})
    assert b.update(3, 0.61, {"G": net}) and b.best_step == 3 and b.since_best == 0
    with pytest.raises(ValueError, match="NaN"):
        b.update(4, math.nan, {"G": net})
    with pytest.raises(ValueError, match="mode"):
        BestCheckpoint(mode="best")
    with pytest.raises(ValueError, match="patience"):
        BestCheckpoint(patience=0)
    with pytest.raises(ValueError, match="nothing to restore"):
        BestCheckpoint().restore({"G": net})


def test_a_tracker_passed_in_survives_an_exception():
    class _Diverges(_FakeTrainer):
        def fit(self, target):
            if target > 20:
                raise FloatingPointError("diverged")
            super().fit(target)

    tr, best = _Diverges(60), BestCheckpoint(mode="max")
    with pytest.raises(FloatingPointError):
        fit_tracked(tr, _curve([0.2, 0.5, 0.9]), every=10, best=best)
    assert best.history == [(10, 0.2), (20, 0.5)] and best.best_step == 20
