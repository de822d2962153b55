"""Shapes, guidelines and conditioning of the shared networks."""

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from ganlab import nets


@pytest.mark.parametrize("size", [16, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_dcgan_shapes_and_range(size, channels):
    g = nets.DCGANGenerator(nz=8, size=size, channels=channels, ngf=8)
    d = nets.DCGANDiscriminator(size=size, channels=channels, ndf=8)
    x = g(torch.randn(5, 8))
    assert x.shape == (5, channels, size, size)
    assert x.abs().max() <= 1.0  # tanh output
    assert d(x).shape == (5,)


def test_dcgan_guidelines():
    g = nets.DCGANGenerator(nz=8, size=32, ngf=8)
    d = nets.DCGANDiscriminator(size=32, ndf=8)
    mods_g, mods_d = list(g.net), list(d.body)
    assert isinstance(mods_g[-1], nn.Tanh) and isinstance(mods_g[-2], nn.ConvTranspose2d)
    assert not any(isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)) for m in d.modules())
    assert isinstance(mods_d[0], nn.Conv2d) and isinstance(mods_d[1], nn.LeakyReLU)  # no BN at input
    assert sum(isinstance(m, nn.BatchNorm2d) for m in d.modules()) == 2
    assert all(m.negative_slope == 0.2 for m in d.modules() if isinstance(m, nn.LeakyReLU))


def test_bad_sizes_and_inputs():
    with pytest.raises(ValueError, match="power of two"):
        nets.DCGANGenerator(size=24)
    d = nets.DCGANDiscriminator(size=16, channels=1, ndf=8)
    with pytest.raises(ValueError, match=r"\(B, 1, 16, 16\)"):
        d(torch.zeros(2, 3, 16, 16))


def test_projection_discriminator_adds_inner_product():
    d = nets.DCGANDiscriminator(size=16, channels=1, ndf=8, n_classes=10, norm="none")
    x, y = torch.randn(4, 1, 16, 16), torch.tensor([0, 3, 3, 9])
    h = d.body(x).flatten(1)
    expected = d.head(d.body(x)).flatten() + (d.embed(y) * h).sum(1)
    assert_close(d(x, y), expected)
    with pytest.raises(ValueError, match="pass labels"):
        d(x)
    with pytest.raises(ValueError, match=r"\[0, 10\)"):
        d(x, torch.tensor([0, 1, 2, 10]))


def test_concat_conditioning_and_conditional_generator():
    g = nets.DCGANGenerator(nz=8, size=16, ngf=8, n_classes=10)
    d = nets.DCGANDiscriminator(size=16, ndf=8, n_classes=10, cond="concat")
    y = torch.arange(6) % 10
    assert d(g(torch.randn(6, 8), y), y).shape == (6,)
    assert d.body[0].in_channels == 11


def test_mlp_nets_and_spectral_norm():
    g, d = nets.MLPGenerator(2, 2, 32, 3), nets.MLPDiscriminator(2, 32, 3, sn=True)
    assert g(torch.randn(7, 2)).shape == (7, 2)
    assert d(torch.randn(7, 2)).shape == (7,)
    w = d.head.weight  # spectral norm keeps the largest singular value at 1
    for _ in range(20):
        d(torch.randn(7, 2))
    assert_close(torch.linalg.matrix_norm(d.head.weight.detach(), ord=2), torch.tensor(1.0),
                 rtol=0.05, atol=0.0)
    assert w.shape == (1, 32)


def test_res_blocks():
    up, down = nets.ResBlockUp(8, 4), nets.ResBlockDown(4, 8, first=True)
    x = up(torch.randn(2, 8, 4, 4))
    assert x.shape == (2, 4, 8, 8)
    assert down(x).shape == (2, 8, 4, 4)


def test_init_dcgan_statistics():
    g = nets.DCGANGenerator(nz=64, size=32, ngf=32)
    nets.init_dcgan(g)
    w = torch.cat([m.weight.flatten() for m in g.modules() if isinstance(m, nn.ConvTranspose2d)])
    assert 0.019 < w.std().item() < 0.021 and abs(w.mean().item()) < 1e-3
