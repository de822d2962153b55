"""The trainer's speed levers: channels_last, fused_optimizer, compile, cuda_graphs.

Each lever must leave the maths alone: the same weights (to float tolerance) as the
default run after a few steps, the same state_dict keys, checkpoints that resume.
"""

import pytest
import torch

from ganlab import data, variants
from ganlab.cli import build_parser
from ganlab.train import TrainConfig, Trainer

IMAGES = data.ArrayDataset(torch.rand(64, 3, 8, 8, generator=torch.Generator().manual_seed(0)) * 2 - 1)
RING = data.ring()


def image_game(**kw):
    return variants.build("gan", (3, 8, 8), width=4, **kw)


def point_game(name="gan", **kw):
    return variants.build(name, (2,), width=8, depth=1, **kw)


def cfg(**kw):
    base = dict(steps=3, batch=16, progress=False, log_every=1, seed=1, device="cpu")
    base.update(kw)
    return TrainConfig(**base)


def run(game, data_, **kw):
    t = Trainer(game, data_, cfg(**kw))
    return t, t.fit()


def assert_same_weights(a, b, **tol):
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb
        torch.testing.assert_close(va, vb, **tol, msg=lambda m, k=ka: f"{k}: {m}")


def test_channels_last_gives_the_default_weights():
    ta, _ = run(image_game(), IMAGES)
    tb, _ = run(image_game(), IMAGES, channels_last=True)
    w = tb.game.nets["D"].body[0].weight  # (out, in, kh, kw)
    assert w.is_contiguous(memory_format=torch.channels_last) and not w.is_contiguous()
    x = tb._batches.next()[0]  # (B, 3, 8, 8)
    assert x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()
    for n in ("G", "D"):
        assert_same_weights(ta.game.nets[n], tb.game.nets[n], rtol=1e-5, atol=1e-6)
        assert_same_weights(ta.ema[n] if n in ta.ema else ta.game.nets[n],
                            tb.ema[n] if n in tb.ema else tb.game.nets[n], rtol=1e-5, atol=1e-6)


def test_fused_optimizer_gives_the_default_weights():
    ta, _ = run(image_game(), IMAGES)
    tb, _ = run(image_game(), IMAGES, fused_optimizer=True)
    assert all(o.defaults["fused"] for o in tb.optimizers.values())  # torch has fused Adam on CPU
    for n in ("G", "D"):
        assert_same_weights(ta.game.nets[n], tb.game.nets[n], rtol=1e-5, atol=1e-6)


def test_fused_optimizer_falls_back_to_foreach_for_rmsprop():
    ta, _ = run(point_game("wgan", n_critic=1), RING)
    tb, _ = run(point_game("wgan", n_critic=1), RING, fused_optimizer=True)
    assert all(o.defaults["foreach"] for o in tb.optimizers.values())
    assert_same_weights(ta.game.nets["D"], tb.game.nets["D"], rtol=1e-5, atol=1e-6)


def test_amp_with_channels_last_runs():
    _, hist = run(image_game(), IMAGES, amp=True, channels_last=True, fused_optimizer=True)
    assert all(torch.isfinite(torch.tensor(r["D/loss"])) for r in hist)


def test_cuda_graphs_off_a_gpu_is_a_clear_error():
    with pytest.raises(ValueError, match="cuda_graphs needs a CUDA device.*cpu"):
        Trainer(point_game(), RING, cfg(cuda_graphs=True))


def test_levers_are_cli_flags():
    a = build_parser().parse_args(["train", "--variant", "gan", "--data", "ring", "--compile",
                                   "--channels-last", "--fused-optimizer", "--no-cuda-graphs"])
    assert (a.compile, a.channels_last, a.fused_optimizer, a.cuda_graphs) == (True, True, True, False)


# torch.compile on CPU builds C++ kernels with gcc: a few seconds per graph. One small
# MLP game keeps these tests near 30 s in all.


def test_compile_matches_eager_and_keeps_state_dict_keys():
    ta, ha = run(point_game(), RING)
    tb, hb = run(point_game(), RING, compile=True)
    assert type(tb.game.nets["G"]).__name__ == "MLPGenerator"  # compiled in place, not wrapped
    assert list(tb.game.nets["G"].state_dict()) == list(ta.game.nets["G"].state_dict())
    for ra, rb in zip(ha, hb):
        for k in ("D/loss", "G/loss"):
            torch.testing.assert_close(ra[k], rb[k], rtol=1e-4, atol=1e-6)
    for n in ("G", "D"):
        assert_same_weights(ta.game.nets[n], tb.game.nets[n], rtol=1e-4, atol=1e-6)


def test_compile_runs_a_gradient_penalty_phase_eagerly():
    # compiled graphs cannot be differentiated twice: the D phase (with the penalty) is found
    # on its first run, rewound and run eagerly; the G phase stays compiled
    ta, ha = run(point_game("wgan-gp", n_critic=1), RING)
    tb, hb = run(point_game("wgan-gp", n_critic=1), RING, compile=True)
    d_phase, g_phase = tb.game.phases
    assert tb._levers.eager == {id(d_phase)} and tb._levers.probed == {id(d_phase), id(g_phase)}
    for ra, rb in zip(ha, hb):
        for k in ("D/loss", "D/gp", "G/loss"):
            torch.testing.assert_close(ra[k], rb[k], rtol=1e-4, atol=1e-6)


def test_compile_checkpoint_resume_equals_unbroken_run(tmp_path):
    whole, _ = run(point_game(), RING, steps=4, compile=True)
    first, _ = run(point_game(), RING, steps=2, compile=True, out=str(tmp_path), ckpt_every=1)
    ck = torch.load(tmp_path / "last.pt", weights_only=True)
    assert not any("_orig_mod" in k for k in ck["nets"]["G"])
    second = Trainer(point_game(), RING, cfg(steps=4, compile=True, out=str(tmp_path)))
    assert second.resume() and second.step == 2
    second.fit()
    for n in ("G", "D"):
        assert_same_weights(whole.game.nets[n], second.game.nets[n], rtol=1e-5, atol=1e-7)
