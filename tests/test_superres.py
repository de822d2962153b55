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


# --- ESRGAN ----------------------------------------------------------------------------------


def test_rrdb_has_no_batch_norm_and_scales_its_residuals():
    g = S.RRDBNet(1, 8, 2, growth=4)
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in g.modules())
    lr = torch.randn(2, 1, 8, 8)
    torch.testing.assert_close(g(lr), S.upsample_bicubic(lr))  # zero-initialised last conv
    torch.manual_seed(0)
    block = S.DenseBlock(6, growth=3).double()
    x = torch.randn(2, 6, 5, 5, dtype=torch.float64)
    feats = [x]  # by hand: conv k sees the concatenation of x and every earlier output
    for conv in block.convs[:4]:
        feats.append(torch.nn.functional.leaky_relu(conv(torch.cat(feats, 1)), 0.2))
    residual = block.convs[4](torch.cat(feats, 1))
    torch.testing.assert_close(block(x), x + 0.2 * residual, rtol=1e-12, atol=1e-12)
    block.beta = 1.0  # the scaling is exactly the factor on the residual, not on x
    torch.testing.assert_close(block(x), x + residual, rtol=1e-12, atol=1e-12)
    rrdb = S.RRDB(6, growth=3).double()
    inner = rrdb.body[2](rrdb.body[1](rrdb.body[0](x)))
    torch.testing.assert_close(rrdb(x), x + 0.2 * inner, rtol=1e-12, atol=1e-12)
    assert all(b.beta == 0.2 for b in rrdb.body)


def test_relativistic_average_losses_by_hand_float64():
    """ESRGAN eq. 1-3: D_Ra(x_r, x_f) = sigmoid(C(x_r) - E[C(x_f)])."""
    from ganlab import losses

    g = torch.Generator().manual_seed(3)
    cr, cf = torch.randn(7, generator=g, dtype=torch.float64), torch.randn(7, generator=g,
                                                                           dtype=torch.float64)
    r, f = cr.numpy(), cf.numpy()
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    d_rf, d_fr = sig(r - f.mean()), sig(f - r.mean())  # D_Ra(x_r, x_f), D_Ra(x_f, x_r)
    want_d = -np.mean(np.log(d_rf)) - np.mean(np.log(1 - d_fr))
    want_g = -np.mean(np.log(1 - d_rf)) - np.mean(np.log(d_fr))
    torch.testing.assert_close(losses.d_relativistic_avg(cr, cf),
                               torch.tensor(want_d, dtype=torch.float64), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(losses.g_relativistic_avg(cr, cf),
                               torch.tensor(want_g, dtype=torch.float64), rtol=1e-12, atol=1e-12)
    assert abs(want_d - want_g) > 0.1  # the two losses differ on these scores


def test_pre_activation_features_are_pre_relu():
    net = load_faces_net().net
    x = torch.rand(3, 1, 32, 32, generator=torch.Generator().manual_seed(2)) * 2 - 1
    for layer in (0, 1):
        pre = S.conv_features(net, x, layer, pre_activation=True)
        post = S.conv_features(net, x, layer)
        assert (pre < 0).float().mean() > 0.05 and post.min() >= 0
        # max pooling and ReLU commute: the post-activation block output is pool(relu(pre))
        torch.testing.assert_close(post, torch.nn.functional.max_pool2d(pre.relu(), 2))
    h = net.block2[1](net.block2[0](net.layers(x)[0]))  # conv, ReLU of block 2
    torch.testing.assert_close(S.conv_features(net, x, 1, True), net.block2[2](h))
    loss = S.feature_loss(x, x.flip(-1), net, pre_activation=True)
    want = (S.conv_features(net, x, 1, True) - S.conv_features(net, x.flip(-1), 1, True)).square()
    torch.testing.assert_close(loss, want.mean())


def test_esrgan_step_changes_weights_and_uses_the_relativistic_loss():
    data = S.sr_patches(split="test")
    game = variants.build("esrgan", (1, 32, 32), width=8, blocks=1, growth=4)
    assert isinstance(game.nets["G"], S.RRDBNet) and variants.PRESETS["esrgan"].data == "sr"
    before = {k: [p.detach().clone() for p in m.parameters()] for k, m in game.nets.items()}
    tr = Trainer(game, data, steps=1, batch=4, progress=False, ema_decay=0.0, device="cpu")
    tr.fit()
    for k in ("G", "D"):
        assert any(not torch.equal(a, b) for a, b in zip(before[k], game.nets[k].parameters())), k
    assert all(torch.equal(a, b) for a, b in zip(before["F"], game.nets["F"].parameters()))
    pic = game.show(game.nets, data.x[:2])
    assert pic.shape == (2, 4, 1, 32, 32)


def test_esrgan_two_stages_psnr_model_then_gan_from_it():
    """Stage 1 (`esrgan-psnr`): the RRDB G alone, its loss the L1 term alone. Stage 2
    (`start_from`): the GAN's G computes exactly the stage-1 G's function, and its loss is
    ESRGAN's eq. 3 with the paper's weights, L_percep + 5e-3 L_G^Ra + 1e-2 L_1."""
    data = S.sr_patches(split="test")
    opts = dict(width=8, blocks=1, growth=4)
    psnr_game = variants.build("esrgan-psnr", (1, 32, 32), seed=1, **opts)
    assert sorted(psnr_game.nets) == ["G"] and isinstance(psnr_game.nets["G"], S.RRDBNet)
    tr = Trainer(psnr_game, data, steps=2, batch=4, progress=False, ema_decay=0.0, device="cpu")
    tr.fit(1)
    logs = tr.train_step()
    torch.testing.assert_close(logs["G/loss"], logs["G/pixel"], rtol=0, atol=0)
    gan = variants.build("esrgan", (1, 32, 32), seed=2, **opts)
    fresh_d = {k: v.clone() for k, v in gan.nets["D"].state_dict().items()}
    lr = S.downsample(data.x[:3])
    with torch.no_grad():
        before, want = gan.nets["G"](lr), psnr_game.nets["G"](lr)
    assert (before - want).abs().max() > 1e-4  # trained: not the bicubic start
    assert S.start_from(gan, psnr_game) is gan
    with torch.no_grad():
        torch.testing.assert_close(gan.nets["G"](lr), want, rtol=0, atol=0)
    assert all(torch.equal(v, gan.nets["D"].state_dict()[k]) for k, v in fresh_d.items())
    logs = Trainer(gan, data, steps=1, batch=4, progress=False, ema_decay=0.0,
                   device="cpu").train_step()
    want_loss = 1e-2 * logs["G/pixel"] + logs["G/feature"] + 5e-3 * logs["G/adv"]
    torch.testing.assert_close(logs["G/loss"], want_loss, rtol=1e-6, atol=0)
    with pytest.raises(ValueError, match="same width"):
        S.start_from(variants.build("esrgan", (1, 32, 32), width=8, blocks=2, growth=4), psnr_game)
    with pytest.raises(ValueError, match="RRDBNet"):
        S.start_from(gan, variants.build("sr-l1", (1, 32, 32), width=8, blocks=1))
