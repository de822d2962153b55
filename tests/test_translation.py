"""ganlab.translation and ganlab.paired: shapes, receptive field, pool, SPADE, the games."""

import pytest
import torch
import torch.nn.functional as F

from ganlab import paired, variants
from ganlab import translation as T
from ganlab.train import Trainer


def test_receptive_field_closed_form():
    assert T.receptive_field([(4, 2), (4, 2), (4, 2), (4, 1), (4, 1)]) == 70  # pix2pix's 70x70
    assert T.PatchGAN(6, 8, n_layers=3).receptive_field == 70
    assert T.PatchGAN(6, 8, n_layers=1).receptive_field == 16
    assert T.PatchGAN(6, 8, n_layers=4).receptive_field == 142  # the 142x142 "ImageGAN-ish"
    assert T.receptive_field([(3, 1)] * 4) == 9
    with pytest.raises(ValueError):
        T.receptive_field([(0, 1)])


@pytest.mark.parametrize("n_layers", [1, 2])
def test_receptive_field_matches_gradient(n_layers):
    """The input pixels with a non-zero gradient of one central logit span exactly r x r."""
    torch.manual_seed(0)
    d = T.PatchGAN(1, 4, n_layers, norm="none").double()
    for m in d.modules():  # positive weights: no accidental cancellation of gradients
        if isinstance(m, torch.nn.Conv2d):
            m.weight.data.uniform_(0.1, 1.0)
    for m in d.modules():
        if isinstance(m, torch.nn.LeakyReLU):
            m.negative_slope = 1.0  # linear: the gradient is non-zero wherever a path exists
    x = torch.randn(1, 1, 64, 64, dtype=torch.double, requires_grad=True)
    out = d(x)
    i, j = out.shape[2] // 2, out.shape[3] // 2
    (g,) = torch.autograd.grad(out[0, 0, i, j], x)
    rows = g[0, 0].abs().sum(1).nonzero().flatten()
    cols = g[0, 0].abs().sum(0).nonzero().flatten()
    r = d.receptive_field
    assert rows.max() - rows.min() + 1 == r and cols.max() - cols.min() + 1 == r


def test_net_shapes():
    x = torch.randn(2, 1, 32, 32)
    assert T.UNet(1, 3, 8, depth=5)(x).shape == (2, 3, 32, 32)
    assert T.UNet(1, 3, 8, depth=3)(x).shape == (2, 3, 32, 32)
    with pytest.raises(ValueError, match="divisible"):
        T.UNet(1, 3, 8, depth=6)(x)
    y = T.ResnetGenerator(1, 2, 8, n_blocks=2)(x)
    assert y.shape == (2, 2, 32, 32) and y.abs().max() <= 1
    assert T.PatchGAN(4, 8, 2)(torch.randn(2, 4, 32, 32)).shape == (2, 1, 6, 6)
    outs = T.MultiScalePatchGAN(4, 8, 2, scales=2)(torch.randn(2, 4, 32, 32))
    assert [o.shape for o in outs] == [(2, 1, 6, 6), (2, 1, 2, 2)]
    g = T.SPADEGenerator(4, 3, nz=8, ngf=8, size=32)
    m = paired.one_hot(torch.randint(0, 4, (2, 32, 32)))
    assert g(torch.randn(2, 8), m).shape == (2, 3, 32, 32)


def test_spade_norm_by_hand():
    g = torch.Generator().manual_seed(0)
    h, gamma, beta = (torch.randn(2, 3, 5, 4, generator=g, dtype=torch.double) for _ in range(3))
    mu = h.mean((2, 3), keepdim=True)
    sd = ((h - mu) ** 2).mean((2, 3), keepdim=True).sqrt()
    torch.testing.assert_close(T.spade_norm(h, gamma, beta, eps=0.0), (1 + gamma) * (h - mu) / sd + beta)
    # with gamma = beta = 0 it is instance normalisation
    torch.testing.assert_close(T.spade_norm(h, 0 * h, 0 * h), F.instance_norm(h, eps=1e-5))
    layer = T.SPADE(3, 4, hidden=8).double()
    lab = paired.one_hot(torch.randint(0, 4, (2, 10, 8), generator=g)).double()
    ga, be = layer.modulation(h, lab)
    assert ga.shape == h.shape
    torch.testing.assert_close(layer(h, lab), T.spade_norm(h, ga, be))


def test_image_pool():
    pool = T.ImagePool(4, torch.Generator().manual_seed(0))
    first = torch.arange(3.0).view(3, 1, 1, 1)
    torch.testing.assert_close(pool.query(first), first)  # filling: returned as they are
    assert len(pool.images) == 3
    nxt = 10 + torch.arange(100.0).view(100, 1, 1, 1)
    out = pool.query(nxt)
    assert len(pool.images) == 4 and out.shape == nxt.shape
    kept = (out == nxt).flatten()
    assert kept[0]  # the 4th slot was free: item 0 is stored and returned as it is
    swapped = (~kept).sum().item()
    # a swapped-out item is one that was in the pool: an earlier image
    assert all(o.item() < n.item() for o, n in zip(out.flatten()[~kept], nxt.flatten()[~kept]))
    assert 30 <= swapped <= 70  # ~half of the 99 items after the pool filled are swapped
    # reproducible with the same seed
    p2 = T.ImagePool(4, torch.Generator().manual_seed(0))
    p2.query(first)
    torch.testing.assert_close(p2.query(nxt), out)
    assert T.ImagePool(0).query(nxt) is nxt


def test_cycle_loss_value():
    nets = {"G_AB": torch.nn.Identity(), "G_BA": lambda x: x + 0.5}
    a, b = torch.zeros(2, 1, 4, 4), torch.ones(2, 1, 4, 4)
    assert T.cycle_loss(a, a + 0.25).item() == pytest.approx(0.25)
    cfg = T.CycleGANConfig(cycle=10.0, identity_weight=5.0)
    d = lambda x, n: torch.zeros(2, 1, 2, 2)  # noqa: E731  (D says 0: LSGAN G loss 0.5 each)
    out = T.cyclegan_generator_loss(nets, a, b, cfg, d)
    assert out["cycle"].item() == pytest.approx(1.0)  # |a + .5 - a| + |b + .5 - b|
    assert out["identity"].item() == pytest.approx(0.5)  # |G_BA(a) - a| + |G_AB(b) - b| = .5 + 0
    assert out["loss"].item() == pytest.approx(1.0 + 10 * 1.0 + 5 * 0.5)


@pytest.mark.parametrize("cycle,identity", [(10.0, 5.0), (0.0, 5.0), (10.0, 0.0), (0.0, 0.0), (3.0, 7.0)])
def test_cycle_and_identity_weights_are_separate(cycle, identity):
    """loss = adv + cycle * cycle term + identity_weight * identity term, each weight alone:
    cycle = 0 keeps the identity term (it used to be a fraction of cycle, so it vanished)."""
    nets = {"G_AB": torch.nn.Identity(), "G_BA": lambda x: x + 0.5}
    a, b = torch.zeros(2, 1, 4, 4), torch.ones(2, 1, 4, 4)
    d = lambda x, n: torch.zeros(2, 1, 2, 2)  # noqa: E731  (LSGAN G loss (0 - 1)^2 / 2 per D)
    out = T.cyclegan_generator_loss(nets, a, b, T.CycleGANConfig(cycle=cycle, identity_weight=identity), d)
    adv = 2 * 0.5  # two generators, each (0 - 1)^2 / 2 on the least-squares 0/1 loss
    assert out["identity"].item() == pytest.approx(0.5 if identity else 0.0)
    assert out["loss"].item() == pytest.approx(adv + cycle * 1.0 + identity * 0.5)


def test_cyclegan_preset_keeps_the_papers_identity_weight():
    """The preset's identity weight is the paper's 0.5 x cycle (5 for cycle = 10), as before the
    weights were separated; the old fraction option is refused rather than misread."""
    cfg = variants.PRESETS["cyclegan"].config
    assert cfg.cycle == 10.0 and cfg.identity_weight == 0.5 * cfg.cycle == 5.0
    with pytest.raises(ValueError, match="identity_weight"):
        variants.build("cyclegan", (2, 16, 16), channels_a=1, identity=0.5)


def test_cyclegan_decay():
    assert [T.cyclegan_decay(s, 10) for s in (0, 4, 5, 6, 10)] == [1, 1, 1, 0.8, 0]
    assert T.cyclegan_decay(99, 0) == 1.0


def _params(game, names):
    return {n: [p.detach().clone() for p in game.nets[n].parameters()] for n in names}


def _same(a, b):
    return all(torch.equal(x, y) for n in a for x, y in zip(a[n], b[n]))


def test_cyclegan_four_players_one_trainer():
    ds = paired.thin_thick_digits(16, "test")
    game = variants.build("cyclegan", ds.x.shape[1:], channels_a=1, width=4, n_blocks=1,
                          d_layers=2, decay_steps=4)
    assert set(game.nets) == {"G_AB", "G_BA", "D_A", "D_B"}
    tr = Trainer(game, ds, steps=4, batch=8, ema_decay=0.0, progress=False, device="cpu")
    gs, ds_ = ("G_AB", "G_BA"), ("D_A", "D_B")
    before_g, before_d = _params(game, gs), _params(game, ds_)
    tr._run_phase(game.phases[0])  # the G phase
    assert _same(before_d, _params(game, ds_)) and not _same(before_g, _params(game, gs))
    before_g, before_d = _params(game, gs), _params(game, ds_)
    tr._run_phase(game.phases[1])  # the D phase
    assert _same(before_g, _params(game, gs)) and not _same(before_d, _params(game, ds_))
    tr._unfreeze()
    tr.fit()
    assert {"G/cycle", "G/identity", "D/D_A"} <= set(tr.history[-1])
    base = game.teams["G"].lr  # the last step (3 of 0..3) used lr * cyclegan_decay(3, 4) = lr / 2
    assert tr.optimizers["G"].param_groups[0]["lr"] == base * T.cyclegan_decay(3, 4) == base / 2
    assert [game.teams["D"].lr_schedule(s) for s in range(5)] == [1, 1, 1, 0.5, 0]


@pytest.mark.parametrize("name,ds,kw", [
    ("pix2pix", lambda: paired.photo_pairs(32, "test"), {"width": 4, "depth": 5}),
    ("pix2pix-l1", lambda: paired.photo_pairs(32, "test"), {"width": 4, "depth": 3}),
    ("spade", lambda: paired.layouts(16, 32), {"width": 4, "hidden": 4, "nz": 4}),
])
def test_games_run(name, ds, kw):
    ds = ds()
    game = variants.build(name, ds.x.shape[1:], **kw)
    tr = Trainer(game, ds, steps=2, batch=4, ema_decay=0.0, progress=False, device="cpu")
    tr.fit()
    assert all(torch.isfinite(torch.tensor(v)) for v in tr.history[-1].values())


def test_datasets():
    tr, te = paired.photo_pairs(32, "train"), paired.photo_pairs(32, "test")
    assert tr.x.shape[1:] == (4, 32, 32) and te.x.shape[1:] == (4, 32, 32)
    assert tr.x.min() >= -1 and tr.x.max() <= 1
    lay = paired.layouts(8, 32)
    torch.testing.assert_close(lay.x[:, :4].sum(1), torch.ones(8, 32, 32))  # one label a pixel
    dig = paired.thin_thick_digits(16, "test")
    a, b = paired.split_pair(dig.x, 1)
    assert (b >= -1).all() and b.mean() > a.mean()  # dilated strokes cover more pixels
    torch.testing.assert_close(paired.dilate(torch.zeros(1, 1, 5, 5).index_put_(
        (torch.tensor([0]), torch.tensor([0]), torch.tensor([2]), torch.tensor([2])),
        torch.tensor(1.0)))[0, 0, 1:4, 1:4], torch.ones(3, 3))
    assert paired.texture_domains(size=16, n=4).x.shape == (4, 6, 16, 16)
    with pytest.raises(ValueError):
        paired.split_pair(dig.x, 2)


def test_blur_keeps_a_ramp_and_block_means_and_removes_detail():
    ramp = torch.arange(16.0).expand(1, 1, 16, 16)  # x_ij = j: linear across columns
    out = paired.blur(ramp, 4)
    # block means are 4k + 1.5 at block centres 4k + 1.5; bilinear interpolation between them
    # (align_corners=False) gives back j exactly away from the first and last half block
    torch.testing.assert_close(out[..., 2:-2], ramp[..., 2:-2])
    torch.testing.assert_close(paired.blur(torch.full((2, 1, 8, 8), 0.3), 2), torch.full((2, 1, 8, 8), 0.3))
    checker = (torch.arange(8)[:, None] + torch.arange(8)[None]) % 2 * 2.0 - 1  # finest detail
    torch.testing.assert_close(paired.blur(checker.expand(1, 1, 8, 8), 2), torch.zeros(1, 1, 8, 8))
    with pytest.raises(ValueError, match="factor"):
        paired.blur(ramp, 3)


def test_detail_pairs():
    tr, te = paired.detail_pairs(32, "train"), paired.detail_pairs(32, "test", stride=4)
    assert tr.x.shape[1:] == (2, 32, 32) and te.x.shape == (75, 2, 32, 32)  # 3 textures x 25
    blurred, sharp = paired.split_pair(te.x, 1)
    torch.testing.assert_close(blurred, paired.blur(sharp, 4))
    assert sorted(te.y.unique().tolist()) == [0, 1, 2] and len(tr) == 2 * 3 * 9 * 13
    with pytest.raises(ValueError, match="test band"):
        paired.detail_pairs(32, "test", texture_size=64)
