"""Every preset whose game keeps state beyond its weights (Game.state: CycleGAN's image pools,
their generator and the latest fakes, StyleGAN2's path-length mean, BEGAN's k_t, ...) resumes
bit for bit: 2 steps, a checkpoint, a fresh process-like rebuild and 2 more steps give the same
weights and state as 4 unbroken steps."""

import pytest
import torch

from ganlab import catalog, variants
from ganlab.train import TrainConfig, Trainer


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


@pytest.mark.parametrize("name", STATEFUL)
def test_resume_is_bit_for_bit(name, tmp_path):
    ds, shape, k, opts = _data(name)
    cfg = dict(batch=12, progress=False, device="cpu", ckpt_every=1000, log_every=1)
    straight = Trainer(_game(name, shape, k, opts), ds, TrainConfig(steps=4, **cfg))
    straight.fit()
    first = Trainer(_game(name, shape, k, opts), ds, TrainConfig(steps=2, out=str(tmp_path), **cfg))
    first.fit()
    again = Trainer(_game(name, shape, k, opts), ds, TrainConfig(steps=4, out=str(tmp_path), **cfg))
    assert again.resume()
    again.fit()
    assert straight.game.state.keys() == again.game.state.keys()
    for key, v in straight.game.state.items():
        torch.testing.assert_close(again.game.state[key], v, rtol=0, atol=0, msg=key)
    for n, net in straight.game.nets.items():
        for (pn, p), q in zip(net.state_dict().items(), again.game.nets[n].state_dict().values()):
            torch.testing.assert_close(q, p, rtol=0, atol=0, msg=f"{n}.{pn}")
