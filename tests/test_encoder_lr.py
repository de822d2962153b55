"""BiGAN's and BigBiGAN's encoder in a team of its own (`lr_e`, BigBiGAN's decoupled E
learning rate): the teams and phases it builds, each phase moving only its team, and the
two phases' losses adding up to the one-team loss, checked against the formulas by hand;
BigBiGAN's Gaussian encoder (`stochastic_e`) and its sampled code (`sample_code`)."""

from __future__ import annotations

import math
from dataclasses import replace
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F

from ganlab import inference, variants
from ganlab.data import ArrayDataset
from ganlab.train import Trainer

SHAPE = (1, 16, 16)
NZ = 5


def _build(name, **kw):
    return variants.build(name, SHAPE, n_classes=10, seed=0, width=8, nz=NZ, **kw)


def _ctx(game, x, z):
    return SimpleNamespace(real=x, nets=game.nets, z=lambda: z, d=lambda *a: game.nets["D"](*a))


@pytest.mark.parametrize("name", ["bigan", "bigbigan"])
def test_lr_e_gives_e_its_own_team_and_phase(name):
    one, two = _build(name), _build(name, lr_e=3e-3)
    assert set(one.teams) == {"D", "G"} and one.teams["G"].nets == ("G", "E")
    assert [p.team for p in one.phases] == ["D", "G"]
    assert set(two.teams) == {"D", "G", "E"}
    assert two.teams["G"].nets == ("G",) and two.teams["E"].nets == ("E",)
    assert two.teams["E"].lr == 3e-3 and two.teams["G"].lr == one.teams["G"].lr
    assert [p.team for p in two.phases] == ["D", "G", "E"]
    # the same nets, weight for weight (the option changes only the optimisers)
    for n in one.nets:
        for a, b in zip(one.nets[n].state_dict().values(), two.nets[n].state_dict().values()):
            assert torch.equal(a, b)


@pytest.mark.parametrize("name", ["bigan", "bigbigan"])
def test_each_split_phase_moves_only_its_team(name):
    game = _build(name, lr_e=1e-3)
    g = torch.Generator().manual_seed(0)
    data = ArrayDataset(torch.rand(32, *SHAPE, generator=g) * 2 - 1, torch.arange(32) % 10)
    for phase in game.phases:
        single = replace(game, phases=[phase])
        before = {n: [p.detach().clone() for p in m.parameters()] for n, m in single.nets.items()}
        Trainer(single, data, steps=1, batch=8, device="cpu", ema_decay=0.0, progress=False,
                seed=1).fit()
        moved = {n for n, m in single.nets.items()
                 if any(not torch.equal(a, b) for a, b in zip(before[n], m.parameters()))}
        assert moved == set(game.teams[phase.team].nets), (phase.name, moved)


def test_bigan_split_losses_add_up_to_the_one_team_loss():
    one, two = _build("bigan"), _build("bigan", lr_e=1e-3)
    for game in (one, two):
        for m in game.nets.values():
            m.eval()  # dropout off: both games score the same pairs the same way
    g = torch.Generator().manual_seed(2)
    x, z = torch.randn(6, *SHAPE, generator=g), torch.randn(6, NZ, generator=g)
    G, E, D = one.nets["G"], one.nets["E"], one.nets["D"]
    want_g = F.softplus(-D(G(z), z)).mean()  # -log sigmoid D(G(z), z): G's non-saturating loss
    want_e = F.softplus(D(x, E(x))).mean()  # -log(1 - sigmoid D(x, E(x))): E's swapped label
    g_part = two.phases[1].loss(_ctx(two, x, z))["loss"]
    e_part = two.phases[2].loss(_ctx(two, x, z))["loss"]
    torch.testing.assert_close(g_part, want_g)
    torch.testing.assert_close(e_part, want_e)
    torch.testing.assert_close(one.phases[1].loss(_ctx(one, x, z))["loss"], want_g + want_e)
    assert (want_g - want_e).abs() > 1e-3  # the sides differ: swapping them would be caught


def test_bigbigan_split_losses_add_up_to_the_one_team_loss():
    one, two = _build("bigbigan"), _build("bigbigan", lr_e=1e-3)
    for game in (one, two):
        for m in game.nets.values():
            m.eval()
    g = torch.Generator().manual_seed(3)
    x, z = torch.randn(6, *SHAPE, generator=g), torch.randn(6, NZ, generator=g)
    G, E, D = one.nets["G"], one.nets["E"], one.nets["D"]
    real, fake = D.scores(x, E(x)), D.scores(G(z), z)
    want_e = (real[0] + real[1] + real[2]).mean()  # y = +1 on (x, E(x))
    want_g = -(fake[0] + fake[1] + fake[2]).mean()  # y = -1 on (G(z), z)
    torch.testing.assert_close(two.phases[1].loss(_ctx(two, x, z))["loss"], want_g)
    torch.testing.assert_close(two.phases[2].loss(_ctx(two, x, z))["loss"], want_e)
    torch.testing.assert_close(one.phases[1].loss(_ctx(one, x, z))["loss"], want_g + want_e)
    torch.testing.assert_close(inference.bigbigan_ge_loss(real, None), want_e)
    torch.testing.assert_close(inference.bigbigan_ge_loss(None, fake), want_g)
    assert (want_g - want_e).abs() > 1e-3
    with pytest.raises(ValueError, match="needs the real scores"):
        inference.bigbigan_ge_loss(None, None)


def test_joint_discriminator_z_layers():
    one = inference.JointDiscriminator(16, 1, 8, NZ)
    two = inference.BigBiDiscriminator(16, 1, 8, NZ)
    assert isinstance(two, inference.JointDiscriminator)
    linears = lambda m: [l for l in m.z_body if isinstance(l, torch.nn.Linear)]  # noqa: E731, E741
    assert [(lin.in_features, lin.out_features) for lin in linears(one)] == [(NZ, 256)]
    assert [(lin.in_features, lin.out_features) for lin in linears(two)] == [(NZ, 256), (256, 256)]
    assert two.x_head.in_features == two.x_features == one.x_features


def test_sample_code_is_the_reparameterised_gaussian_sample():
    mu, logvar = torch.full((200_000, 2), 1.0), torch.full((200_000, 2), math.log(4.0))
    torch.manual_seed(0)
    got = inference.sample_code((mu, logvar))
    torch.manual_seed(0)
    torch.testing.assert_close(got, mu + 2.0 * torch.randn_like(mu))  # sigma = e^(logvar / 2) = 2
    assert abs(got.mean().item() - 1.0) < 0.02 and abs(got.std().item() - 2.0) < 0.02
    code = torch.randn(3, 4)
    assert inference.sample_code(code) is code  # a deterministic encoder's code as it is


def test_stochastic_bigbigan_encoder_codes_x_by_its_mean():
    game = _build("bigbigan", stochastic_e=True)
    assert isinstance(game.nets["E"], inference.GaussianEncoder)
    x = torch.randn(4, *SHAPE)
    mu, logvar = game.nets["E"](x)
    torch.testing.assert_close(inference.encode(game.nets, x), mu)
    (xr, zr), _ = inference.bigan_pairs(game.nets["G"], game.nets["E"], x, torch.randn(4, NZ))
    assert zr.shape == (4, NZ) and not torch.equal(zr, mu)  # D's real pair carries a sample
    with pytest.raises(ValueError, match="does not honour stochastic_e"):
        _build("bigan", stochastic_e=True)  # plain BiGAN has no such option
