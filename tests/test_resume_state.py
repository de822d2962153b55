"""Every preset resumes bit for bit: 2 steps, a checkpoint, a fresh process-like rebuild and 2
more steps give the same weights (and buffers), EMA weights, optimiser state, `Game.state` (CycleGAN's
image pools, their generator and the latest fakes, StyleGAN2's path-length mean, BEGAN's k_t, ...),
RNG states and logged values as 4 unbroken steps. State a game keeps between steps lives in
`Game.state` (a checkpoint saves it); a closure's private state or an RNG outside the trainer's
generators and torch's global one would break this test."""

import functools

import pytest
import torch

from ganlab import catalog, variants
from ganlab.train import TrainConfig, Trainer


@functools.lru_cache(maxsize=1)  # the three runs of one test share the data
def _data(name):
    p = variants.PRESETS[name]
    ds = catalog.load(p.default_data, kind=p.data)
    opts = {}
    if p.prepare is not None:
        ds, opts = p.prepare(ds, 0)
    if hasattr(ds, "sample"):
        return ds, tuple(ds.sample(2).shape[1:]), 0, opts
    x, _ = ds[0]
    y = getattr(ds, "y", None)
    k = int(y.max()) + 1 if y is not None and (y >= 0).any() else 0
    return ds, tuple(x.shape), k, opts


def _game(name, shape, k, opts):
    return variants.build(name, shape, k, seed=0, **opts)


def _stateful():
    out = []
    for name in variants.variant_names():
        ds, shape, k, opts = _data(name)
        if _game(name, shape, k, opts).state:  # declared at build time
            out.append(name)
    return out


STATEFUL = ["cyclegan", "stylegan2", "began"]


def test_the_stateful_presets_are_the_ones_listed():
    assert set(_stateful()) == set(STATEFUL)


def _tensors(x, prefix=""):
    """(path, tensor or plain value) of a nested state (dicts, lists, tuples)."""
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _tensors(v, f"{prefix}/{k}")
    elif isinstance(x, (list, tuple)):
        for i, v in enumerate(x):
            yield from _tensors(v, f"{prefix}[{i}]")
    else:
        yield prefix, x


def _run_state(tr):
    """What must match after the same 4 steps: weights, EMA, optimisers, game state, RNGs, logs."""
    return dict(
        nets={n: m.state_dict() for n, m in tr.game.nets.items()},
        ema={n: m.state_dict() for n, m in tr.ema.items()},
        optimizers={t: o.state_dict() for t, o in tr.optimizers.items()},
        game_state=dict(tr.game.state),
        rng=[torch.get_rng_state(), tr._latent_gen.get_state()],
        batches=tr._batches.index, step=tr.step,
        history=[{k: v for k, v in r.items() if k != "steps_per_s"} for r in tr.history],
    )


@pytest.mark.parametrize("name", variants.variant_names())
def test_resume_is_bit_for_bit(name, tmp_path):
    ds, shape, k, opts = _data(name)
    cfg = dict(variants.PRESETS[name].train, batch=12, progress=False, device="cpu",
               ckpt_every=1000, log_every=1)
    straight = Trainer(_game(name, shape, k, opts), ds, TrainConfig(steps=4, **cfg))
    straight.fit()
    want = dict(_tensors(_run_state(straight)))
    first = Trainer(_game(name, shape, k, opts), ds, TrainConfig(steps=2, out=str(tmp_path), **cfg))
    first.fit()
    again = Trainer(_game(name, shape, k, opts), ds, TrainConfig(steps=4, out=str(tmp_path), **cfg))
    assert again.resume()
    again.fit()
    got = dict(_tensors(_run_state(again)))
    assert got.keys() == want.keys()
    for key, v in want.items():
        if isinstance(v, torch.Tensor):
            torch.testing.assert_close(got[key], v, rtol=0, atol=0, equal_nan=True, msg=key)
        else:
            assert got[key] == v or (v != v and got[key] != got[key]), key


def test_sample_grids_do_not_disturb_training(tmp_path):
    # a generator that draws from torch's global RNG when it samples (as CTGAN's Gumbel noise
    # and a diffusion sampler do), in a game whose training draws from it too (the gradient
    # penalty's interpolation): grids every step leave the run as a run without them
    ring = catalog.load("ring", kind="points")

    def trained(out):
        game = variants.build("wgan-gp", (2,), n_critic=1)
        game.generate = lambda nets, z, labels: nets["G"](z + 0.1 * torch.randn_like(z))
        tr = Trainer(game, ring, TrainConfig(steps=3, batch=12, progress=False, device="cpu",
                                             out=out, sample_every=1, ckpt_every=1000))
        tr.fit()
        return tr, torch.get_rng_state()

    quiet, rng_quiet = trained(None)
    drawn, rng_drawn = trained(str(tmp_path))
    assert (tmp_path / "samples_0000002.png").exists()
    assert torch.equal(rng_drawn, rng_quiet)
    for n, net in quiet.game.nets.items():
        for (pn, p), q in zip(net.state_dict().items(), drawn.game.nets[n].state_dict().values()):
            torch.testing.assert_close(q, p, rtol=0, atol=0, msg=f"{n}.{pn}")
