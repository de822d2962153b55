"""ganlab.superres and ganlab.metrics.psnr: the degradation, PSNR, the nets and the games."""

import math

import numpy as np
import pytest
import torch

from ganlab import superres as S
from ganlab import variants
from ganlab.features import load_faces_net
from ganlab.metrics import psnr
from ganlab.train import Trainer


def test_psnr_closed_form_float64():
    g = torch.Generator().manual_seed(0)
    ref = torch.rand(3, 2, 5, 7, generator=g, dtype=torch.float64) * 2 - 1
    x = ref + 0.1 * torch.randn(3, 2, 5, 7, generator=g, dtype=torch.float64)
    a, b = x.numpy(), ref.numpy()
    expect = [10 * math.log10(4.0 / np.mean((a[i] - b[i]) ** 2)) for i in range(3)]
    torch.testing.assert_close(psnr(x, ref), torch.tensor(expect, dtype=torch.float64))
    torch.testing.assert_close(psnr((x + 1) / 2, (ref + 1) / 2, data_range=1.0), psnr(x, ref))
    assert torch.isinf(psnr(ref, ref)).all()


def test_psnr_bad_input():
    with pytest.raises(ValueError, match="one shape"):
        psnr(torch.zeros(2, 1, 4, 4), torch.zeros(2, 1, 4, 5))
    with pytest.raises(ValueError, match="data_range"):
        psnr(torch.zeros(2, 1, 4, 4), torch.ones(2, 1, 4, 4), data_range=0)


def test_downsample_is_block_mean():
    x = torch.randn(2, 3, 8, 12, dtype=torch.float64)
    y = S.downsample(x)
    ref = x.reshape(2, 3, 2, 4, 3, 4).mean((3, 5))
    torch.testing.assert_close(y, ref)
    with pytest.raises(ValueError, match="divisible by 4"):
        S.downsample(torch.zeros(1, 1, 6, 8))


def test_patches_split_and_range():
    tr, te = S.sr_patches(split="train"), S.sr_patches(split="test")
    assert tr.x.shape[1:] == (1, 32, 32) and te.x.shape[1:] == (1, 32, 32)
    assert tr.x.min() >= -1 and tr.x.max() <= 1
    assert len(tr) == 4 * 2 * 9 * 13 and len(te) == 4 * 13  # crops of 4 photos, stride 8
    rgb = S.sr_patches(split="test", grey=False, names=("coffee",))
    assert rgb.x.shape == (13, 3, 32, 32)
    with pytest.raises(ValueError, match="split"):
        S.sr_patches(split="val")
    with pytest.raises(ValueError, match="multiple of 4"):
        S.sr_patches(size=30)


def test_srresnet_starts_bicubic_and_shapes():
    g = S.SRResNet(1, 8, 1)
    lr = torch.randn(2, 1, 8, 8)
    torch.testing.assert_close(g(lr), S.upsample_bicubic(lr))  # zero-initialised last conv
    assert S.SRResNet(3, 8, 1)(torch.randn(2, 3, 6, 6)).shape == (2, 3, 24, 24)
    assert S.SRDiscriminator(1, 8, 32)(torch.randn(3, 1, 32, 32)).shape == (3,)


def test_feature_loss_by_formula():
    net = load_faces_net().net
    g = torch.Generator().manual_seed(1)
    a, b = torch.rand(2, 1, 32, 32, generator=g), torch.rand(2, 1, 32, 32, generator=g)
    fa, fb = net.layers(a)[1], net.layers(b)[1]
    torch.testing.assert_close(S.feature_loss(a, b, net), (fa - fb).square().mean())
    rgb = torch.rand(2, 3, 32, 32, generator=g)
    luma = 0.299 * rgb[:, :1] + 0.587 * rgb[:, 1:2] + 0.114 * rgb[:, 2:]
    torch.testing.assert_close(S.feature_loss(rgb, b, net), S.feature_loss(luma, b, net))


@pytest.mark.parametrize("name", ["srgan", "sr-l1"])
def test_one_step_changes_weights(name):
    data = S.sr_patches(split="test")
    game = variants.build(name, (1, 32, 32), width=8, blocks=1)
    assert ("D" in game.nets) == (name == "srgan")
    before = {k: [p.detach().clone() for p in m.parameters()] for k, m in game.nets.items()}
    Trainer(game, data, steps=1, batch=4, progress=False, ema_decay=0.0, device="cpu").fit()
    for k in ("G", "D") if name == "srgan" else ("G",):
        assert any(not torch.equal(a, b) for a, b in zip(before[k], game.nets[k].parameters())), k
    if name == "srgan":  # the feature net is frozen
        assert all(torch.equal(a, b) for a, b in zip(before["F"], game.nets["F"].parameters()))


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match="32x32"):
        variants.build("srgan", (1, 16, 16))
    with pytest.raises(ValueError, match="square"):
        variants.build("sr-l1", (2,))
    with pytest.raises(ValueError, match="LR images"):
        game = variants.build("sr-l1", (1, 32, 32), width=8, blocks=1)
        game.generate(game.nets, torch.zeros(1, 1), None)
