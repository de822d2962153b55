"""Tests for the StyleGAN (v1) generator (`style.StyleGAN1Generator`) and the `stylegan` variant."""

import math

import pytest
import torch

from ganlab import style, variants
from ganlab.data import ArrayDataset
from ganlab.train import Trainer


def _g(seed=0, dtype=torch.float64):
    torch.manual_seed(seed)
    G = style.StyleGAN1Generator(8, 16, 1, width=8, w_dim=8).to(dtype).eval()
    for layer in G.layers:  # trained-like strengths (they start at 0)
        layer.noise.strength.data.normal_()
    return G


def _ws(G, n=3, seed=1):
    g = torch.Generator().manual_seed(seed)
    return G.broadcast(G.map(torch.randn(n, G.nz, generator=g, dtype=torch.float64))).clone()


def _layer_outputs(G, ws, **kw):
    outs = []
    hooks = [layer.register_forward_hook(lambda m, i, o: outs.append(o)) for layer in G.layers]
    img = G.synthesis(ws, **kw)
    for h in hooks:
        h.remove()
    return outs, img


def test_adain_sets_each_channels_mean_and_std_to_the_style():
    torch.manual_seed(0)
    x = (3 * torch.randn(4, 5, 7, 7) + 2).double()
    s, b = torch.rand(4, 5).double() + 0.5, torch.randn(4, 5).double()
    y = style.adain(x, s, b, eps=0.0)
    torch.testing.assert_close(y.mean((2, 3)), b, rtol=0, atol=1e-12)
    torch.testing.assert_close(y.std((2, 3), unbiased=False), s, rtol=1e-12, atol=0)
    # with eps the std is s * sigma / sqrt(sigma^2 + eps), below s by a known factor
    sig2 = x.var((2, 3), unbiased=False)
    torch.testing.assert_close(style.adain(x, s, b, eps=1e-2).std((2, 3), unbiased=False),
                               s * (sig2 / (sig2 + 1e-2)).sqrt(), rtol=1e-12, atol=0)


def test_each_generator_layer_takes_its_mean_and_std_from_its_own_w():
    G = _g()
    ws = _ws(G)
    outs, _ = _layer_outputs(G, ws, noise_mode="const")
    assert len(outs) == G.num_ws == 6 and G.noise_sizes == [4, 4, 8, 8, 16, 16]
    for i, (out, layer) in enumerate(zip(outs, G.layers)):
        torch.testing.assert_close(out.mean((2, 3)), layer.style.bias(ws[:, i]), rtol=0, atol=1e-9)
        sd = out.std((2, 3), unbiased=False)
        ys = layer.style.scale(ws[:, i]).abs()
        assert ((sd <= ys + 1e-12) & (sd >= ys * 0.99)).all(), i  # eps 1e-5 shrinks it a little


def test_zero_strength_or_zero_noise_is_exactly_the_noise_free_output():
    G = _g()
    ws = _ws(G)
    off = G.synthesis(ws, noise_mode="none")
    zeros = [torch.zeros(1, 1, r, r, dtype=torch.float64) for r in G.noise_sizes]
    assert torch.equal(G.synthesis(ws, noise=zeros), off)
    assert not torch.allclose(G.synthesis(ws, noise_mode="random"), off)
    for layer in G.layers:
        layer.noise.strength.data.zero_()
    assert torch.equal(G.synthesis(ws, noise_mode="random"), off)


def test_noise_is_added_per_pixel_times_a_per_channel_strength():
    torch.manual_seed(0)
    layer = style.NoiseInput(3, 5).double()
    layer.strength.data = torch.tensor([0.5, -2.0, 3.0], dtype=torch.float64)
    x = torch.randn(2, 3, 5, 5, dtype=torch.float64)
    const = torch.full((1, 1, 5, 5), 0.7, dtype=torch.float64)  # a constant noise image
    torch.testing.assert_close(layer(x, noise=const) - x,
                               (0.7 * layer.strength)[None, :, None, None].expand_as(x),
                               rtol=1e-12, atol=1e-15)
    delta = torch.zeros(1, 1, 5, 5, dtype=torch.float64)
    delta[0, 0, 1, 3] = 1.0  # one pixel's noise
    moved = (layer(x, noise=delta) - x).abs() > 0
    assert moved[:, :, 1, 3].all() and moved.sum() == 2 * 3  # that pixel, every channel, only
    with pytest.raises(ValueError, match="noise image"):
        layer(x, noise=torch.zeros(1, 1, 4, 4))


def test_w_i_reaches_only_layers_from_i_on():
    G = _g()
    ws = _ws(G)
    base, img = _layer_outputs(G, ws, noise_mode="const")
    for i in range(G.num_ws):
        ws2 = ws.clone()
        ws2[:, i] = _ws(G, seed=7)[:, 0]
        outs, img2 = _layer_outputs(G, ws2, noise_mode="const")
        for j in range(G.num_ws):
            same = torch.equal(outs[j], base[j])
            assert same == (j < i), (i, j)
        assert not torch.allclose(img2, img)


def test_the_image_mean_is_a_function_of_the_last_style_alone():
    G = _g()
    wa, wb = _ws(G, seed=1), _ws(G, seed=2)
    M = G.synthesis(style.mix_styles(wa, wb, G.num_ws - 1), "random")  # all but the last from A
    B = G.synthesis(wb, "const")
    torch.testing.assert_close(M.mean((2, 3)), B.mean((2, 3)), rtol=0, atol=1e-12)
    last = G.layers[-1].style.bias(wb[:, -1])  # (B, C): the last AdaIN's channel means
    w_rgb, b_rgb = G.to_rgb.weight[:, :, 0, 0] * G.to_rgb.scale, G.to_rgb.bias
    torch.testing.assert_close(B.mean((2, 3)), last @ w_rgb.T + b_rgb, rtol=0, atol=1e-12)
    A = G.synthesis(wa, "const")
    assert (A.mean((2, 3)) - B.mean((2, 3))).abs().min() > 1e-3  # the last style does move it


def test_style_mixing_through_the_generator():
    G = _g()
    wa, wb = _ws(G, seed=1), _ws(G, seed=2)
    A, B = G.synthesis(wa, "const"), G.synthesis(wb, "const")
    assert torch.equal(G.synthesis(style.mix_styles(wa, wb, 0), "const"), B)
    assert torch.equal(G.synthesis(style.mix_styles(wa, wb, G.num_ws), "const"), A)
    outs_a, _ = _layer_outputs(G, wa, noise_mode="const")
    outs_m, M = _layer_outputs(G, style.mix_styles(wa, wb, 2), noise_mode="const")
    assert torch.equal(outs_m[0], outs_a[0]) and torch.equal(outs_m[1], outs_a[1])
    assert not torch.allclose(M, A) and not torch.allclose(M, B)
    # truncation in W: psi = 0 gives every latent the image of w_avg
    G.w_avg.normal_()
    z = torch.randn(4, G.nz, dtype=torch.float64)
    x0 = G.synthesis(G.broadcast(G.map(z, psi=0.0)), "const")
    torch.testing.assert_close(x0, x0[:1].expand_as(x0), rtol=0, atol=1e-12)


def test_stylegan_variant_trains_with_lazy_r1_and_mixing():
    game = variants.build("stylegan", (1, 8, 8), width=8, r1_every=2)
    assert isinstance(game.nets["G"], style.StyleGAN1Generator) and game.nets["G"].num_ws == 4
    assert [ph.name for ph in game.phases] == ["D", "R1", "G"]
    c = 2 / 3  # lazy_regularization's k / (k + 1)
    assert math.isclose(game.teams["D"].lr, 2e-3 * c) and math.isclose(game.teams["D"].betas[1], 0.99 ** c)
    data = torch.randn(64, 1, 8, 8).clamp(-1, 1)
    tr = Trainer(game, ArrayDataset(data), steps=4, batch=8, progress=False, log_every=1)
    tr.fit()
    assert "R1/loss" in set().union(*tr.history)
    assert game.nets["G"].w_avg.abs().sum() > 0  # tracked in training mode
    with pytest.raises(ValueError, match="unknown|honour|pl_weight"):
        variants.build("stylegan", (1, 8, 8), pl_weight=2.0)
