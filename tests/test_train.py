"""The one training loop: determinism, resume, refusal, NaN, phases, EMA, Ctrl-C."""

import os
import signal

import pytest
import torch

from ganlab import data, variants
from ganlab.train import (
    CheckpointMismatchError,
    Game,
    NonFiniteLossError,
    Phase,
    Team,
    TrainConfig,
    Trainer,
)

RING = data.ring()


def small(name="gan", shape=(2,), n_classes=0, **kw):
    opts = dict(width=16, depth=2) if len(shape) == 1 else dict(width=8)
    opts.update(kw)
    return variants.build(name, shape, n_classes, **opts)


def cfg(**kw):
    base = dict(steps=12, batch=32, progress=False, log_every=1, ckpt_every=5, seed=1)
    base.update(kw)
    return TrainConfig(**base)


def params(module):
    return [p.detach().clone() for p in module.state_dict().values()]


def weights(module):
    """Trainable parameters only (BatchNorm running statistics may move in any phase)."""
    return [p.detach().clone() for p in module.parameters()]


def same(a, b):
    return len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b))


def test_same_seed_same_losses_bit_for_bit():
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        t = Trainer(small(), RING, cfg())
        runs.append((t.fit(), params(t.game.nets["G"])))
    strip = [[{k: v for k, v in r.items() if k != "steps_per_s"} for r in h] for h, _ in runs]
    assert strip[0] == strip[1]
    assert same(runs[0][1], runs[1][1])


def test_other_seed_other_run():
    torch.manual_seed(0)
    a = Trainer(small(), RING, cfg(seed=1)).fit()
    torch.manual_seed(0)
    b = Trainer(small(), RING, cfg(seed=2)).fit()
    assert a[-1]["D/loss"] != b[-1]["D/loss"]


@pytest.mark.parametrize("variant", ["gan", "wgan-gp"])
def test_resume_equals_unbroken_run(tmp_path, variant):
    torch.manual_seed(0)
    full = Trainer(small(variant), RING, cfg(out=str(tmp_path / "a")))
    full.fit()
    torch.manual_seed(0)
    first = Trainer(small(variant), RING, cfg(out=str(tmp_path / "b"), steps=7))
    first.fit()  # stops at 7 and writes last.pt
    torch.manual_seed(123)  # a different process state: everything must come from the file
    second = Trainer(small(variant), RING, cfg(out=str(tmp_path / "b")))
    assert second.resume() and second.step == 7
    second.fit()
    for name in ("G", "D"):
        assert same(params(full.game.nets[name]), params(second.game.nets[name])), name
    assert same(params(full.ema["G"]), params(second.ema["G"]))
    assert [r["D/loss"] for r in full.history] == [r["D/loss"] for r in second.history]


def test_image_variant_resume_with_dataset(tmp_path):
    digits = data.digits(16)
    torch.manual_seed(0)
    full = Trainer(small("cgan", (1, 16, 16), 10), digits, cfg(steps=4, out=str(tmp_path / "a")))
    full.fit()
    torch.manual_seed(0)
    part = Trainer(small("cgan", (1, 16, 16), 10), digits, cfg(steps=2, out=str(tmp_path / "b")))
    part.fit()
    rest = Trainer(small("cgan", (1, 16, 16), 10), digits, cfg(steps=4, out=str(tmp_path / "b")))
    rest.resume()
    rest.fit()
    assert same(params(full.game.nets["G"]), params(rest.game.nets["G"]))


def test_checkpoint_of_other_variant_or_shape_is_refused(tmp_path):
    t = Trainer(small("gan"), RING, cfg(steps=2, out=str(tmp_path)))
    t.fit()
    other = Trainer(small("wgan-gp"), RING, cfg(out=str(tmp_path)))
    with pytest.raises(CheckpointMismatchError, match="variant 'gan'"):
        other.resume()
    wider = Trainer(small("gan", width=32), RING, cfg(out=str(tmp_path)))
    with pytest.raises(CheckpointMismatchError, match="differ"):
        wider.resume()


def test_non_finite_loss_stops_with_step_and_checkpoint(tmp_path):
    game = small()
    d_phase = game.phases[0].loss

    def poisoned(ctx):
        out = d_phase(ctx)
        if ctx.step == 7:
            out["loss"] = out["loss"] * float("nan")
        return out

    game.phases[0].loss = poisoned
    t = Trainer(game, RING, cfg(out=str(tmp_path)))
    with pytest.raises(NonFiniteLossError, match=r"step 8.*last.pt"):
        t.fit()
    assert torch.load(tmp_path / "last.pt", weights_only=True)["step"] == 5


def test_d_step_leaves_g_untouched_and_g_step_leaves_d_untouched():
    t = Trainer(small(), RING, cfg())
    g0, d0 = weights(t.game.nets["G"]), weights(t.game.nets["D"])
    t._run_phase(t.game.phases[0])  # D
    assert same(g0, weights(t.game.nets["G"])) and not same(d0, weights(t.game.nets["D"]))
    d1 = weights(t.game.nets["D"])
    t._run_phase(t.game.phases[1])  # G
    assert same(d1, weights(t.game.nets["D"])) and not same(g0, weights(t.game.nets["G"]))


def test_wgan_gp_runs_five_critic_steps_per_generator_step():
    t = Trainer(small("wgan-gp"), RING, cfg(steps=3, ema_decay=0.0))
    t.fit()
    adam_steps = {k: int(o.state_dict()["state"][0]["step"]) for k, o in t.optimizers.items()}
    assert adam_steps == {"D": 15, "G": 3}
    assert t._batches.index == 15  # a fresh real batch for every critic step
    assert t.history[-1]["D/gp"] > 0


def test_infogan_q_is_on_the_generator_team():
    t = Trainer(small("infogan", (1, 16, 16)), data.digits(16), cfg(steps=1))
    nets = t.game.nets
    before = {k: weights(m) for k, m in nets.items()}
    t._run_phase(t.game.phases[0])  # D step: G and Q untouched
    assert same(before["G"], weights(nets["G"])) and same(before["Q"], weights(nets["Q"]))
    mid = {k: weights(m) for k, m in nets.items()}
    t._run_phase(t.game.phases[1])  # G step moves G and Q, not D
    assert not same(mid["G"], weights(nets["G"])) and not same(mid["Q"], weights(nets["Q"]))
    assert same(mid["D"], weights(nets["D"]))


def test_infogan_codes_are_uniform():
    z = torch.randn(200_000, 14, generator=torch.Generator().manual_seed(0))
    cat, cont = variants.info_codes(z, 10, 2)
    freq = torch.bincount(cat, minlength=10).float() / len(cat)
    torch.testing.assert_close(freq, torch.full((10,), 0.1), atol=0.004, rtol=0)
    torch.testing.assert_close(cont.mean(0), torch.zeros(2), atol=0.01, rtol=0)
    torch.testing.assert_close(cont.var(0), torch.full((2,), 1 / 3), atol=0.01, rtol=0)


def test_lazy_phase_runs_every_k_steps():
    game = small(r1=1.0, r1_every=4)
    seen = []
    r1 = next(p for p in game.phases if p.name == "R1")
    inner = r1.loss
    r1.loss = lambda ctx: (seen.append((ctx.step, ctx.lazy_scale)), inner(ctx))[1]
    Trainer(game, RING, cfg(steps=10)).fit()
    assert seen == [(0, 4), (4, 4), (8, 4)]


def test_ema_follows_its_recurrence():
    t = Trainer(small(), RING, cfg(ema_decay=0.9))
    ema = params(t.game.nets["G"])
    for step in range(6):
        t.train_step()
        decay = min(0.9, (1 + step) / (10 + step))
        ema = [e + (1 - decay) * (p - e) for e, p in zip(ema, params(t.game.nets["G"]))]
    for e, got in zip(ema, params(t.ema["G"])):
        torch.testing.assert_close(got, e, rtol=1e-5, atol=1e-6)


def test_ctrl_c_saves_at_step_boundary_and_resume_matches(tmp_path):
    torch.manual_seed(0)
    full = Trainer(small(), RING, cfg(out=str(tmp_path / "a")))
    full.fit()
    torch.manual_seed(0)
    game = small()
    game.phases[1].after = lambda ctx: os.kill(os.getpid(), signal.SIGINT) if ctx.step == 3 else None
    t = Trainer(game, RING, cfg(out=str(tmp_path / "b")))
    with pytest.raises(KeyboardInterrupt):
        t.fit()
    ck = torch.load(tmp_path / "b" / "last.pt", weights_only=True)
    assert ck["step"] == 4
    rest = Trainer(small(), RING, cfg(out=str(tmp_path / "b")))
    rest.resume()
    rest.fit()
    assert same(params(full.game.nets["G"]), params(rest.game.nets["G"]))


def test_run_folder_outputs(tmp_path):
    Trainer(small(), RING, cfg(out=str(tmp_path), sample_every=6)).fit()
    names = {p.name for p in tmp_path.iterdir()}
    assert {"last.pt", "history.jsonl", "samples.png", "losses.png",
            "samples_0000006.png"} <= names
    assert len((tmp_path / "history.jsonl").read_text().splitlines()) == 12


def test_game_validation_messages():
    with pytest.raises(ValueError, match="unknown nets"):
        Game("x", {"G": torch.nn.Linear(1, 1)}, {"G": Team(("G", "Q"))}, [], nz=1)
    with pytest.raises(ValueError, match="unknown team"):
        Game("x", {"G": torch.nn.Linear(1, 1)}, {"G": Team(("G",))},
             [Phase("D", "D", lambda c: {})], nz=1)
    with pytest.raises(ValueError, match="steps must be positive"):
        TrainConfig(steps=-1)
    with pytest.raises(ValueError, match="fewer than one batch"):
        Trainer(small("gan", (1, 16, 16)), data.digits(16), cfg(batch=5000))


def test_device_resolution():
    from ganlab.train import resolve_device

    expected = "cuda" if torch.cuda.is_available() else "cpu"
    if not torch.cuda.is_available() and torch.backends.mps.is_available():
        expected = "mps"
    assert resolve_device("auto").type == expected
    assert resolve_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")


def test_bf16_autocast_step_runs_and_stays_close_to_fp32():
    torch.manual_seed(0)
    a = Trainer(small(), RING, cfg(steps=3, amp=True))
    torch.manual_seed(0)
    b = Trainer(small(), RING, cfg(steps=3, amp=False))
    ha, hb = a.fit(), b.fit()
    assert ha[0]["D/loss"] != hb[0]["D/loss"]  # autocast really ran in bf16
    for ra, rb in zip(ha, hb):
        torch.testing.assert_close(ra["D/loss"], rb["D/loss"], rtol=0.03, atol=0.0)


def test_team_lr_schedule_sets_the_lr_each_step_uses():
    game = small()
    game.teams["G"].lr_schedule = lambda step: 1.0 / (1 + step)
    t = Trainer(game, RING, cfg(steps=3))
    seen = []
    game.phases[1].after = lambda ctx: seen.append(t.optimizers["G"].param_groups[0]["lr"])
    t.fit()
    base = game.teams["G"].lr
    assert seen == [base, base / 2, base / 3]
    assert t.optimizers["D"].param_groups[0]["lr"] == game.teams["D"].lr  # D has no schedule


def test_cosine_decay_schedule_against_its_closed_form():
    from ganlab.train import cosine_decay

    f = cosine_decay(8)
    assert [f(k) for k in (0, 2, 4, 6, 8, 12)] == pytest.approx(
        [1.0, (1 + 2 ** -0.5) / 2, 0.5, (1 - 2 ** -0.5) / 2, 0.0, 0.0], abs=1e-12)
    with pytest.raises(ValueError, match="total >= 1"):
        cosine_decay(0)


def test_fit_game_is_a_quiet_trainer_run_left_on_cpu_in_eval_mode():
    from ganlab.train import Trainer, fit_game
    ring = data.ring()
    by_hand = variants.build("gan", (2,), seed=3)
    Trainer(by_hand, ring, steps=5, batch=32, seed=4, progress=False, ema_decay=0.0).fit()
    game = fit_game(variants.build("gan", (2,), seed=3), ring, 5, batch=32, seed=4)
    for name, net in game.nets.items():
        assert not net.training
        for (k, a), b in zip(net.state_dict().items(), by_hand.nets[name].state_dict().values()):
            assert a.device.type == "cpu"
            assert torch.equal(a, b), (name, k)
    other = fit_game(variants.build("gan", (2,), seed=3), ring, 5, batch=32, seed=5)  # another stream
    assert not torch.equal(next(other.nets["G"].parameters()), next(game.nets["G"].parameters()))
