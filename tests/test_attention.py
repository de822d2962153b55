"""SAGAN self-attention and the BigGAN pieces (ganlab.attention)."""

import torch
import torch.nn.functional as F

from ganlab import attention, data, variants
from ganlab.train import Trainer


def test_self_attention_shapes_identity_and_rows():
    torch.manual_seed(0)
    block = attention.SelfAttention(16, sn=False)
    x = torch.randn(3, 16, 5, 6)
    torch.testing.assert_close(block(x), x, rtol=0, atol=0)  # gamma = 0: the identity
    beta = block.attention(x)
    assert beta.shape == (3, 30, 30)
    torch.testing.assert_close(beta.sum(-1), torch.ones(3, 30))
    with torch.no_grad():
        block.gamma.fill_(0.7)
    q, k = block.f(x).flatten(2), block.g(x).flatten(2)  # (B, k, N)
    ref_beta = torch.einsum("bcj,bci->bji", q, k).softmax(-1)
    o = torch.einsum("bji,bci->bcj", ref_beta, block.h(x).flatten(2)).view(3, 16, 5, 6)
    torch.testing.assert_close(block(x), x + 0.7 * block.v(o))


def test_conditional_bn_by_hand():
    torch.manual_seed(0)
    cbn = attention.ConditionalBatchNorm2d(4, 6).train()
    x, c = torch.randn(5, 4, 3, 3), torch.randn(5, 6)
    mean = x.mean((0, 2, 3), keepdim=True)
    var = x.var((0, 2, 3), unbiased=False, keepdim=True)
    gain = 1 + c @ cbn.gain.weight.T
    bias = c @ cbn.bias.weight.T
    ref = (x - mean) / torch.sqrt(var + 1e-5) * gain[:, :, None, None] + bias[:, :, None, None]
    torch.testing.assert_close(cbn(x, c), ref, rtol=1e-5, atol=1e-5)


def test_biggan_shared_embedding_and_hierarchical_latent():
    g = attention.BigGANGenerator(12, 10, width=8, shared_dim=5, sn=False)
    assert g.up1.bn1.gain.in_features == 5 + 4 and g.up2.bn2.bias.in_features == 5 + 4
    z = torch.arange(24.0).view(2, 12)
    parts = attention.split_latent(z, 3)
    assert [tuple(p.shape) for p in parts] == [(2, 4)] * 3
    torch.testing.assert_close(torch.cat(parts, 1), z)
    assert g(torch.randn(2, 12), torch.tensor([1, 2])).shape == (2, 1, 16, 16)
    try:
        attention.split_latent(torch.zeros(2, 10), 3)
    except ValueError:
        pass
    else:
        raise AssertionError("nz not divisible by the chunks must raise")


def test_truncation_resamples_exactly_the_outside_entries():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(500, 16, generator=g)
    out = attention.truncate_z(z, 0.5, generator=g)
    inside = z.abs() <= 0.5
    assert (out.abs() <= 0.5).all()
    torch.testing.assert_close(out[inside], z[inside], rtol=0, atol=0)
    assert (out[~inside] != z[~inside]).all()
    torch.testing.assert_close(attention.truncate_z(z, float("inf")), z)


def _d_step_leaves_g(name):
    game = variants.build(name, (1, 16, 16), n_classes=10, width=8)
    tr = Trainer(game, data.digits(16, "train"), steps=1, batch=8, ema_decay=0.0, progress=False)
    before = {k: v.clone() for k, v in game.nets["G"].named_parameters()}
    d_before = [p.clone() for p in game.nets["D"].parameters()]
    tr._run_phase(game.phases[0])
    for k, v in game.nets["G"].named_parameters():
        torch.testing.assert_close(v, before[k], rtol=0, atol=0)
    assert any(not torch.equal(a, b) for a, b in zip(d_before, game.nets["D"].parameters()))


def test_sagan_d_step_leaves_g():
    _d_step_leaves_g("sagan")


def test_biggan_d_step_leaves_g():
    _d_step_leaves_g("biggan")


def test_presets_hinge_ttur_sn():
    game = variants.build("sagan", (1, 16, 16), width=8)
    assert game.teams["D"].lr == 4e-4 and game.teams["G"].lr == 1e-4
    assert hasattr(game.nets["G"].attn.f, "parametrizations")
    assert hasattr(game.nets["D"].attn.f, "parametrizations")
    assert game.nets["G"].attn.gamma.item() == 0.0
    x = F.pad(torch.zeros(2, 1, 14, 14), (1, 1, 1, 1))
    assert game.nets["D"](x).shape == (2,)


def test_fourier_positions_closed_form():
    pos = attention.fourier_positions(4, 8, freqs=(1, 2))
    assert pos.shape == (1, 8, 4, 8)
    u = torch.tensor([-7, -5, -3, -1, 1, 3, 5, 7]) / 8  # pixel centres in (-1, 1)
    v = torch.tensor([-3, -1, 1, 3]) / 4
    torch.testing.assert_close(pos[0, 0, 2], torch.cos(torch.pi * u))
    torch.testing.assert_close(pos[0, 3, :, 5], torch.sin(torch.pi * v))
    torch.testing.assert_close(pos[0, 5, 1], torch.sin(2 * torch.pi * u))
    # the mirror identity the probe relies on: cos(pi (u_j + u_i)) = cos cos - sin sin
    # peaks (at 1) exactly where u_i = -u_j
    c, s = pos[0, 0, 0], pos[0, 1, 0]
    score = c[:, None] * c[None] - s[:, None] * s[None]  # (8, 8)
    assert torch.equal(score.argmax(1), torch.arange(7, -1, -1))


def test_mirror_images_are_symmetric_with_unit_variance():
    x = attention.mirror_images(64, size=16, seed=3)
    assert x.shape == (64, 1, 16, 16)
    torch.testing.assert_close(x, x.flip(-1), rtol=0, atol=0)
    assert abs(float(x.std()) - 1.0) < 0.02
    torch.testing.assert_close(attention.mirror_images(4, seed=3), x[:4])


def test_completion_net_reach_with_and_without_attention():
    """Without attention an output pixel depends on a (2 depth + 1)-wide window only; with the
    block (gamma != 0) the far column reaches the whole row. Measured by autograd."""
    torch.manual_seed(0)
    for att, reaches in ((False, False), (True, True)):
        net = attention.CompletionNet(width=8, depth=4, attention=att)
        if att:
            with torch.no_grad():
                net.attn.gamma.fill_(1.0)
        x = torch.randn(1, 1, 16, 16, requires_grad=True)
        net(x)[0, 0, 5, 15].backward()
        far = x.grad[0, 0, :, :15 - 4 - 1].abs().sum()  # columns beyond a radius of 4
        near = x.grad[0, 0, :, 15 - 4:].abs().sum()
        assert near > 0
        assert (far > 0) == reaches, (att, float(far))
        assert net(x).shape == x.shape


def test_hide_right_half_and_attention_map():
    x = torch.randn(2, 1, 4, 6)
    h = attention.hide_right_half(x)
    torch.testing.assert_close(h[..., :3], x[..., :3], rtol=0, atol=0)
    assert torch.count_nonzero(h[..., 3:]) == 0
    net = attention.CompletionNet(width=8, attention=True)
    beta = net.attention_map(x)
    assert beta.shape == (2, 24, 24)
    pos = attention.fourier_positions(4, 6).expand(2, -1, -1, -1)
    ref = net.attn.attention(net.first(torch.cat([x, pos], 1)))
    torch.testing.assert_close(beta, ref)
    try:
        attention.CompletionNet(width=8, attention=False).attention_map(x)
        raise AssertionError("a net without the block must refuse attention_map")
    except ValueError as e:
        assert "no attention block" in str(e)
