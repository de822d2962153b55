"""benchmarks/mode_collapse.py: its options reach the games it trains, and it scores every trial."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from ganlab.collapse import trial_samples
from ganlab.data import ring
from ganlab.metrics.modes import mode_metrics

spec = importlib.util.spec_from_file_location(
    "mode_collapse", Path(__file__).parents[1] / "benchmarks" / "mode_collapse.py")
mc = importlib.util.module_from_spec(spec)
sys.modules["mode_collapse"] = mc
spec.loader.exec_module(mc)


@pytest.mark.parametrize("method, d_steps, critic_steps", [("collapse-gan", 2, 2), ("pacgan2", 3, 3),
                                                          ("collapse-wgan-gp", 2, 5)])
def test_d_steps_reach_the_game_but_wgan_gp_keeps_five(monkeypatch, method, d_steps, critic_steps):
    seen = {}
    real_build = mc.variants.build

    def spy(*a, **kw):
        game = real_build(*a, **kw)
        seen["repeats"] = game.phases[0].repeats
        seen["bn"] = any("BatchNorm" in type(m).__name__ for m in game.nets["G"].modules())
        seen["game"] = game
        return game

    scored = []

    def score_spy(x, means, sigma):
        scored.append((x.copy(), means.copy(), sigma))
        return mode_metrics(x, means, sigma)

    monkeypatch.setattr(mc.variants, "build", spy)
    monkeypatch.setattr(mc, "mode_metrics", score_spy)
    res = mc.run(method, "ring", trials=2, steps=3, batch=12, seed=0, d_steps=d_steps, g_batchnorm=False)
    game = seen.pop("game")
    assert seen == {"repeats": critic_steps, "bn": False}
    # each row scores its own trial's 2,500 samples (drawn with seed + 1) against the ring's modes
    mix, x = ring(), trial_samples(game.nets["G"], 2500, seed=1)
    assert res["k"] == 8 and len(res["rows"]) == len(scored) == 2
    for t, (xs, means, sigma) in enumerate(scored):
        np.testing.assert_array_equal(xs, x[t].numpy())
        np.testing.assert_array_equal(means, mix.means.numpy())
        assert sigma == mix.sigma == 0.01
        assert res["rows"][t] == mode_metrics(xs, means, sigma)
    assert not np.array_equal(scored[0][0], scored[1][0])  # the trials are different generators


def test_cells_count_trials_that_meet_the_goal():
    rows = [{"modes": 8, "hq_fraction": 0.96, "reverse_kl": 0.01},
            {"modes": 8, "hq_fraction": 0.94, "reverse_kl": 0.02},
            {"modes": 7, "hq_fraction": 0.99, "reverse_kl": 0.30}]
    modes, hq, kl, full = mc.cells({"rows": rows, "k": 8})
    assert full == "1/3"
    assert modes == "7.7 ± 0.3" and hq == "96.3 ± 1.5"
