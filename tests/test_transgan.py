"""ganlab.transgan: no convolutions, shapes, patch tokens, one trainer step, bad input."""

import pytest
import torch
from torch import nn

from ganlab import data, variants
from ganlab import transgan as T
from ganlab.train import Trainer


def test_no_convolution_anywhere():
    game = variants.build("transgan", (1, 16, 16))
    for net in game.nets.values():
        convs = [type(m).__name__ for m in net.modules() if isinstance(m, T.CONV_TYPES)]
        assert not convs, f"{type(net).__name__} holds convolutions: {convs}"
        assert any(isinstance(m, T.Attention) for m in net.modules())


def test_shapes():
    g = T.TransGenerator(nz=8, size=16, channels=1, dim=16, heads=2)
    x = g(torch.randn(3, 8))
    assert x.shape == (3, 1, 16, 16) and x.abs().max() <= 1
    assert T.TransGenerator(8, 32, 3, 16, 2)(torch.randn(2, 8)).shape == (2, 3, 32, 32)
    d = T.TransDiscriminator(16, 1, patch=4, dim=16, heads=2)
    assert d(torch.randn(3, 1, 16, 16)).shape == (3,)
    assert d.pos.shape == (1, 17, 16)  # 16 patch tokens + [cls]


def test_patchify_by_hand():
    x = torch.arange(2 * 2 * 4 * 4, dtype=torch.float64).reshape(2, 2, 4, 4)
    tok = T.patchify(x, 2)
    assert tok.shape == (2, 4, 8)
    for b in range(2):
        for i in range(2):
            for j in range(2):
                patch = x[b, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2].flatten()
                torch.testing.assert_close(tok[b, 2 * i + j], patch)
    with pytest.raises(ValueError, match="divisible"):
        T.patchify(x, 3)


def test_attention_matches_torch_multihead():
    torch.manual_seed(0)
    mine = T.Attention(8, heads=2).double()
    ref = nn.MultiheadAttention(8, 2, batch_first=True).double()
    with torch.no_grad():
        ref.in_proj_weight.copy_(mine.qkv.weight)
        ref.in_proj_bias.copy_(mine.qkv.bias)
        ref.out_proj.weight.copy_(mine.out.weight)
        ref.out_proj.bias.copy_(mine.out.bias)
    x = torch.randn(2, 5, 8, dtype=torch.float64)
    torch.testing.assert_close(mine(x), ref(x, x, x, need_weights=False)[0])
    with pytest.raises(ValueError, match="heads"):
        T.Attention(10, heads=4)


def test_block_is_pre_norm_residual():
    torch.manual_seed(0)
    blk = T.Block(8, heads=2).double()
    x = torch.randn(2, 5, 8, dtype=torch.float64)
    y = x + blk.attn(blk.ln1(x))
    torch.testing.assert_close(blk(x), y + blk.mlp(blk.ln2(y)))


def test_one_step_changes_weights():
    game = variants.build("transgan", (1, 16, 16), dim=16, heads=2, r1=1.0)
    before = {k: [p.detach().clone() for p in m.parameters()] for k, m in game.nets.items()}
    Trainer(game, data.digits(16, "test"), steps=1, batch=8, progress=False, ema_decay=0.0,
            device="cpu").fit()
    for k, m in game.nets.items():
        assert any(not torch.equal(a, b) for a, b in zip(before[k], m.parameters())), k


def test_bad_input_raises():
    with pytest.raises(ValueError, match="square"):
        variants.build("transgan", (1, 16, 12))
    with pytest.raises(ValueError, match="power of two"):
        variants.build("transgan", (1, 24, 24))
    d = T.TransDiscriminator(16, 1, patch=4, dim=16, heads=2)
    with pytest.raises(ValueError, match="16, 16"):
        d(torch.randn(1, 1, 8, 8))
