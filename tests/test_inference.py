"""Conditioning and inference variants (ganlab.inference, InfoGAN in ganlab.variants).

For every variant: the shapes of its nets, and one step of each phase moves the
parameters of that phase's team and no others (parameters compared, not BatchNorm
buffers). Then the maths: the InfoGAN mutual-information loss and the VAE's KL against
hand computations in float64, and the BiGAN discriminator's input pairs.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch

from ganlab import inference, variants
from ganlab.data import ArrayDataset
from ganlab.train import Trainer

SHAPE = (1, 16, 16)
SMALL = dict(width=8)
VARIANTS = ["cgan", "cgan-concat", "cgan-projection", "acgan", "infogan", "bigan", "aae", "vae", "vaegan"]


def _data(n=32):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(n, *SHAPE, generator=g) * 2 - 1  # (n, 1, 16, 16) in [-1, 1]
    return ArrayDataset(x, torch.arange(n) % 10)


def _build(name, **kw):
    torch.manual_seed(0)
    return variants.build(name, SHAPE, n_classes=10, **{**SMALL, **kw})


def _params(game):
    return {f"{n}.{k}": p.detach().clone() for n, m in game.nets.items()
            for k, p in m.named_parameters()}


@pytest.mark.parametrize("name", VARIANTS)
def test_sample_shapes(name):
    game = _build(name)
    z = torch.randn(4, game.nz)
    y = torch.arange(4) if game.n_classes else None
    x = game.nets["G"](z, y) if y is not None else game.nets["G"](z)
    assert x.shape == (4, *SHAPE)
    if "E" in game.nets:
        assert inference.encode(game.nets, x).shape == (4, game.nz)


@pytest.mark.parametrize("name", VARIANTS)
def test_each_phase_moves_only_its_team(name):
    game = _build(name)
    for phase in game.phases:
        single = replace(game, phases=[phase])
        trainer = Trainer(single, _data(), steps=1, batch=8, device="cpu", ema_decay=0.0,
                          progress=False, seed=1)
        before = _params(game)
        trainer.train_step()
        after = _params(game)
        team = game.teams[phase.team].nets
        moved = {k.split(".")[0] for k in before if not torch.equal(before[k], after[k])}
        assert moved == set(team), f"{name}: phase {phase.name} moved {moved}, its team is {team}"


def test_teams_of_the_inference_variants():
    assert _build("infogan").teams["G"].nets == ("G", "Q")
    assert _build("bigan").teams["G"].nets == ("G", "E")
    assert _build("vae").teams["VAE"].nets == ("E", "G")
    assert [p.team for p in _build("aae").phases] == ["AE", "D", "E"]
    assert [p.team for p in _build("vaegan").phases] == ["E", "G", "D"]


def test_cgan_concat_and_projection_discriminators():
    concat, proj = _build("cgan-concat").nets["D"], _build("cgan").nets["D"]
    assert concat.cond == "concat" and concat.embed is None
    assert concat.body[0].in_channels == 1 + 10  # image + one-hot label maps
    assert proj.cond == "projection" and proj.body[0].in_channels == 1
    x, y = torch.randn(4, *SHAPE), torch.tensor([0, 3, 3, 9])
    assert concat(x, y).shape == proj(x, y).shape == (4,)


def test_acgan_discriminator_heads():
    d = _build("acgan").nets["D"].eval()
    x = torch.randn(5, *SHAPE)
    s, c = d.both(x)
    assert s.shape == (5,) and c.shape == (5, 10)
    torch.testing.assert_close(d(x), s)


def test_mutual_information_loss_by_hand():
    g = torch.Generator().manual_seed(0)
    q_cat = torch.randn(6, 4, generator=g, dtype=torch.float64)
    q_cont = torch.randn(6, 2, generator=g, dtype=torch.float64)
    cat = torch.tensor([0, 1, 2, 3, 1, 0])
    cont = torch.rand(6, 2, generator=g, dtype=torch.float64) * 2 - 1
    ce = 0.0
    for i in range(6):
        row = q_cat[i].tolist()
        ce -= row[int(cat[i])] - math.log(sum(math.exp(v) for v in row))
    nll = sum(0.5 * (float(q_cont[i, j]) - float(cont[i, j])) ** 2 for i in range(6) for j in range(2))
    expected = ce / 6 + 0.1 * nll / 6
    got = variants.mutual_information_loss(q_cat, q_cont, cat, cont, cont_weight=0.1)
    torch.testing.assert_close(got, torch.tensor(expected, dtype=torch.float64))


def test_kl_standard_normal_closed_form():
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(3, 4, generator=g, dtype=torch.float64)
    logvar = torch.randn(3, 4, generator=g, dtype=torch.float64)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    expected = torch.distributions.kl_divergence(q, p).sum(1).mean()
    torch.testing.assert_close(inference.kl_standard_normal(mu, logvar), expected)


def test_bigan_pairs_and_discriminator_input():
    game = _build("bigan")
    G, E, D = (game.nets[k].eval() for k in ("G", "E", "D"))
    x, z = torch.randn(4, *SHAPE), torch.randn(4, game.nz)
    (xr, zr), (xf, zf) = inference.bigan_pairs(G, E, x, z)
    assert xr is x and zf is z
    torch.testing.assert_close(zr, E(x))
    torch.testing.assert_close(xf, G(z))
    assert D(xr, zr).shape == D(xf, zf).shape == (4,)
    with pytest.raises(ValueError, match="z must have shape"):
        D(x, z[:, :3])


def test_feature_distance_is_zero_on_itself_and_positive_otherwise():
    d = _build("vaegan").nets["D"]
    x = torch.randn(4, *SHAPE)
    assert inference.feature_distance(d, x, x).item() == 0.0
    assert inference.feature_distance(d, x, -x).item() > 0.0


def test_inference_variants_need_images():
    with pytest.raises(ValueError, match="square images"):
        variants.build("bigan", (2,))


def test_presets_listed():
    for name in ("cgan-concat", "cgan-projection", "acgan", "bigan", "aae", "vae", "vaegan"):
        assert name in variants.describe()


def test_cgan_projection_embedding_starts_small():
    d = _build("cgan-projection").nets["D"]
    assert d.cond == "projection"
    assert d.embed.weight.std().item() < 0.05  # N(0, 0.02), not nn.Embedding's N(0, 1)
