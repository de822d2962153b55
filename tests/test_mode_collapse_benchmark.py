"""benchmarks/mode_collapse.py and the pieces of ganlab.collapse it adds: the warmup-stable-decay
schedule, PacGAN's simultaneous update, fixed training sets, branched cool-downs, the scoring,
both protocols' results files and the tables made from them."""

import importlib.util
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from ganlab import collapse, data, losses, variants

spec = importlib.util.spec_from_file_location(
    "mode_collapse", Path(__file__).parents[1] / "benchmarks" / "mode_collapse.py")
mc = importlib.util.module_from_spec(spec)
sys.modules["mode_collapse"] = mc
spec.loader.exec_module(mc)

SMALL = dict(g_width=16, g_depth=2, width=8, depth=2)


def test_warmup_stable_decay_closed_form():
    s = collapse.warmup_stable_decay(4, 10, 15)
    want = [0.25, 0.5, 0.75, 1.0] + [1.0] * 6 + [1.0, 0.8, 0.6, 0.4, 0.2, 0.0, 0.0]
    np.testing.assert_allclose([s(i) for i in range(17)], want, rtol=0, atol=1e-12)
    assert collapse.warmup_stable_decay()(10**6) == 1.0
    with pytest.raises(ValueError, match="end after it starts"):
        collapse.warmup_stable_decay(0, 10, 10)


def test_simultaneous_loss_gives_each_net_its_own_gradient_at_the_old_parameters():
    game = variants.build("pacgan2", (2,), trials=2, simultaneous=True, g_batchnorm=False, **SMALL)
    assert list(game.teams) == ["GD"] and game.teams["GD"].nets == ("G", "D")
    g, d = game.nets["G"], game.nets["D"]
    gen = torch.Generator().manual_seed(0)
    x, z = torch.randn(2 * 6, 2, generator=gen), torch.randn(2 * 6, 2, generator=gen)
    ctx = type("Ctx", (), {"nets": game.nets, "real": x, "z": lambda self: z, "d": lambda self, v: d(v)})()
    out = game.phases[0].loss(ctx)
    gp, dp = list(g.parameters()), list(d.parameters())
    got = torch.autograd.grad(out["loss"], gp + dp)
    d_fn, g_fn, _ = losses.LOSSES[variants.PRESETS["pacgan2"].config.loss]
    want_d = torch.autograd.grad(2 * d_fn(d(x), d(g(z).detach())), dp)
    want_g = torch.autograd.grad(2 * g_fn(d(g(z))), gp)
    for a, b in zip(got, list(want_g) + list(want_d)):
        torch.testing.assert_close(a, b)
    with pytest.raises(ValueError, match="simultaneous"):
        variants.build("unrolled-gan", (2,), simultaneous=True, **SMALL)


def test_normal_init_draws_weights_with_the_asked_std_and_zero_biases():
    game = variants.build("collapse-gan", (2,), trials=3, init_std=0.02, g_width=400, g_depth=2,
                          width=200, depth=2)
    w = game.nets["D"].hidden[1].weight  # (3, 200, 1000)
    assert abs(float(w.detach().std()) - 0.02) < 0.02 * 0.01  # 600k draws: s.e. of the std ~ 0.1%
    assert float(game.nets["D"].hidden[1].bias.abs().max()) == 0.0
    assert not torch.equal(w[0], w[1])  # each trial its own draw


def test_fixed_sets_read_every_point_of_each_trial_once_per_epoch():
    mix = data.ring()
    fs = mc.FixedSets(mix, trials=2, n=10, seed=0)
    g = torch.Generator().manual_seed(1)
    for _ in range(2):  # two epochs of two batches of 5 per trial
        seen = torch.cat([fs.sample(10, g).reshape(2, 5, 2) for _ in range(2)], dim=1)  # (2, 10, 2)
        for t in range(2):
            got = sorted(map(tuple, seen[t].tolist()))
            assert got == sorted(map(tuple, fs.x[t].tolist()))
    assert not torch.equal(fs.x[0], fs.x[1])


class _Fixed(nn.Module):
    """A 'generator' of two trials: trial 0 samples the mixture exactly, trial 1 only mode 3."""

    def __init__(self, mix):
        super().__init__()
        self.mix, self.trials, self.nz = mix, 2, 2
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, z):
        n = len(z) // 2
        k = torch.arange(n) % self.mix.k
        x0 = self.mix.means[k] + self.mix.sigma * z[:n]
        x1 = self.mix.means[3] + self.mix.sigma * z[n:]
        return torch.cat([x0, x1])


@pytest.mark.parametrize("name", ["ring", "grid"])
def test_scoring_the_data_gives_every_mode_and_a_collapse_one(name):
    mix = mc.DATASETS[name]()
    rows = mc.score(type("G", (), {"nets": {"G": _Fixed(mix)}})(), mix, 2500, seed=0)
    p_hq = 1 - math.exp(-4.5)  # P(|x - mu| <= 3 sigma) for a 2-d isotropic Gaussian
    tol = 4 * math.sqrt(p_hq * (1 - p_hq) / 2500)
    assert rows[0]["modes"] == mix.k and abs(rows[0]["hq_fraction"] - p_hq) < tol
    assert 0 <= rows[0]["reverse_kl"] < 0.01
    assert rows[1]["modes"] == 1 and abs(rows[1]["hq_fraction"] - p_hq) < tol
    assert rows[1]["reverse_kl"] == pytest.approx(math.log(mix.k), abs=1e-12)


def test_a_branched_cool_down_leaves_the_main_run_as_if_it_never_happened(monkeypatch):
    monkeypatch.setitem(mc.PROTOCOLS, "cpu", mc.replace(mc.PROTOCOLS["cpu"], warmup=0))  # same warmup
    two = mc.run_job("cpu", "collapse-gan", "ring", trials=2, lengths=(20, 40))
    one = mc.run_job("cpu", "collapse-gan", "ring", trials=2, lengths=(40,))
    assert [ln["length"] for ln in two["lengths"]] == [20, 40]
    assert two["lengths"][1]["trials"] == one["lengths"][0]["trials"]
    assert two["lengths"][0]["trials"] != two["lengths"][1]["trials"]


def test_pacgan_protocol_runs_tiny_scores_and_writes_json(tmp_path):
    game = mc.build_game(mc.PROTOCOLS["pacgan"], "pacgan2", "ring", 2, 0)
    assert list(game.teams) == ["GD"] and game.teams["GD"].betas == (0.8, 0.999)
    assert game.teams["GD"].lr == 1e-4
    out = tmp_path / "pacgan.json"
    mc.main(["--protocol", "pacgan", "--trials", "2", "--lengths", "100", "200", "--workers", "1",
             "--methods", "collapse-gan", "pacgan2", "--datasets", "ring", "--out", str(out)])
    res = json.loads(out.read_text())
    assert res["meta"]["protocol"] == "pacgan" and res["meta"]["settings"]["batch"] == 100
    assert sorted(j["method"] for j in res["jobs"]) == ["collapse-gan", "pacgan2"]
    for job in res["jobs"]:
        assert [ln["length"] for ln in job["lengths"]] == [100, 200]
        for ln in job["lengths"]:
            assert ln["seconds"] > 0 and ln["cpu_seconds"] > 0 and len(ln["trials"]) == 2
            for r in ln["trials"]:
                assert 0 <= r["modes"] <= 8 and 0 <= r["hq_fraction"] <= 1 and r["reverse_kl"] >= 0
    text = mc.table(res)
    assert sum(line.startswith("| ring | ") for line in text.splitlines()) == 4
    assert "ring 100/200 (collapse-gan, pacgan2)" in mc.describe(res)
    assert "400000" not in mc.describe(res)  # the protocol's default length is not shown


def test_describe_shows_the_lengths_that_ran_not_the_protocol_defaults():
    job = lambda m, d, ns: {"method": m, "dataset": d,  # noqa: E731
                            "lengths": [{"length": n, "trials": []} for n in ns]}
    meta = {"command": "python benchmarks/mode_collapse.py --lengths 300 600", "protocol": "cpu",
            "settings": mc.asdict(mc.PROTOCOLS["cpu"]), "trials": 2, "date": "d", "machine": "m",
            "workers": 1, "torch": "t", "wall_seconds": 60.0, "cpu_seconds": 60.0,
            "load_before": [1.0], "load_after": [1.0]}
    res = {"meta": meta, "jobs": [job("mbstd-gan", "grid", (300, 600)), job("collapse-gan", "grid",
                                  (300, 600)), job("collapse-gan", "ring", (1_500,))]}
    text = mc.describe(res)
    assert "lengths run (steps): grid 300/600 (collapse-gan, mbstd-gan); ring 1,500 (collapse-gan)" in text
    assert "'lengths'" not in text and "'others'" not in text and "'short'" not in text
    for default in (2000, 4000, 5000, 10_000):  # defaults of the protocol that did not run
        assert str(default) not in text and f"{default:,}" not in text, default
    assert "'batch': 120" in text  # the other settings still show


def test_table_and_goals_count_trials_not_means():
    rows = [{"modes": 8, "hq_fraction": 0.96, "reverse_kl": 0.01},
            {"modes": 8, "hq_fraction": 0.94, "reverse_kl": 0.02},
            {"modes": 7, "hq_fraction": 0.99, "reverse_kl": 0.30}]
    modes, hq, kl, full = mc.cells(rows, "ring")
    assert full == "1/3" and modes == "7.7 ± 0.3" and hq == "96.3 ± 1.5"
    grid = lambda ms: [{"modes": m, "hq_fraction": 0.95, "reverse_kl": 0.1} for m in ms]  # noqa: E731
    res = {"jobs": [{"method": "collapse-gan", "dataset": "grid", "lengths": [
                        {"length": 10, "trials": grid([20, 25, 23])}]},
                    {"method": "mbstd-gan", "dataset": "grid", "lengths": [
                        {"length": 10, "trials": grid([24, 25, 24])}]}]}
    report = mc.goal_report(res)
    assert "best mbstd-gan at 10 steps meets the goal in 3/3 trials" in report
    assert "fewer modes than mbstd-gan in 2/3 trials" in report


def test_step_matmuls_count_the_flops_of_a_step():
    proto = mc.PROTOCOLS["cpu"]
    shapes = mc.step_matmuls(proto, 10)
    n, b, t = proto.nets, proto.batch, 10
    g = [2] + [n["g_width"]] * n["g_depth"] + [2]
    d = [2] + [n["width"]] * n["depth"]
    g_mac = sum(i * o for i, o in zip(g[:-1], g[1:]))  # one G forward, per row
    d_mac = sum(i * 5 * o for i, o in zip(d[:-1], d[1:])) + n["width"]  # one D forward, per row
    d_first = 2 * 5 * n["width"]  # D's first layer (no input gradient needed in D's step)
    g_first = 2 * n["g_width"]
    want = t * b * (g_mac + 2 * (3 * d_mac - d_first)       # D step: G fwd, D fwd/dx/dw on 2B
                    + g_mac + 2 * d_mac + 2 * g_mac - g_first)  # G step: G fwd, D fwd + dx, G dx + dw
    assert sum(tt * m * k * o for tt, m, k, o in shapes) == want


def test_mode_counts_against_a_hand_count():
    from ganlab.metrics.modes import mode_counts, mode_metrics
    means = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    x = np.array([[0.01, 0.0], [0.2, 0.0], [0.98, 0.02], [1.0, 0.0], [0.0, 0.8], [0.6, 0.1]])
    # nearest: 0, 0, 1, 1, 2, 1; within 3 * 0.05 = 0.15: yes, no, yes, yes, no, no
    np.testing.assert_array_equal(mode_counts(x, means, 0.05), [1, 2, 0])
    np.testing.assert_array_equal(mode_counts(x, means, 0.05, hq_only=False), [2, 3, 1])
    m = mode_metrics(x, means, 0.05)
    assert m["modes"] == 2 and m["hq_fraction"] == 0.5
    assert m["reverse_kl"] == pytest.approx((1 / 3) * math.log(1) + (2 / 3) * math.log(2), abs=1e-12)
