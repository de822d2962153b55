"""The DCGAN rules of Radford et al. 2016 (section 3), read off the game chapter 6 builds.

Chapter 6 lists the rules and prints what the built networks have; these checks are
structure, not measurements, so they live here rather than in the chapter's ledger.
"""

import pytest
from torch import nn

from ganlab import variants


@pytest.fixture(scope="module", params=[32, 64])
def game(request):
    return variants.build("gan", (1, 16, 16), width=request.param)


def test_no_pooling_and_no_dense_hidden_layers(game):
    layers = [*game.nets["G"].modules(), *game.nets["D"].modules()]
    banned = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d, nn.Linear)
    assert not [m for m in layers if isinstance(m, banned)]


def test_generator_strided_transposed_convs_bn_relu_tanh(game):
    g = list(game.nets["G"].net)
    convs = [m for m in g if isinstance(m, nn.ConvTranspose2d)]
    assert len(convs) >= 2 and all(c.stride == (2, 2) for c in convs[1:])
    assert isinstance(g[-1], nn.Tanh) and isinstance(g[-2], nn.ConvTranspose2d)  # no BN at output
    assert sum(isinstance(m, nn.BatchNorm2d) for m in g) == len(convs) - 1
    others = {type(m) for m in g if not isinstance(m, (nn.ConvTranspose2d, nn.BatchNorm2d))}
    assert others == {nn.ReLU, nn.Tanh}


def test_discriminator_strided_convs_bn_leaky_relu(game):
    body = list(game.nets["D"].body)
    convs = [m for m in body if isinstance(m, nn.Conv2d)]
    assert convs and all(c.stride == (2, 2) for c in convs)
    assert isinstance(body[0], nn.Conv2d) and isinstance(body[1], nn.LeakyReLU)  # no BN at input
    assert body[1].negative_slope == 0.2
    assert all(m.negative_slope == 0.2 for m in body if isinstance(m, nn.LeakyReLU))
    assert sum(isinstance(m, nn.BatchNorm2d) for m in body) == len(convs) - 1


def test_adam_at_2e4_and_beta1_half(game):
    assert set(game.teams) == {"D", "G"}
    for team in game.teams.values():
        assert team.lr == 2e-4 and team.betas[0] == 0.5
