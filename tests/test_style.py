"""Tests for ganlab.style: ProGAN, StyleGAN, StyleGAN2 and alias-free pieces."""

import math

import pytest
import torch
import torch.nn.functional as F

from ganlab import style, variants
from ganlab.train import Trainer


def test_pixel_norm_and_fade_in():
    x = torch.randn(3, 5, 4, 4)
    y = style.pixel_norm(x)
    torch.testing.assert_close(y.square().mean(1), torch.ones(3, 4, 4), atol=1e-5, rtol=0)
    a, b = torch.randn(2, 3), torch.randn(2, 3)
    torch.testing.assert_close(style.fade_in(a, b, 0.25), 0.75 * a + 0.25 * b)
    with pytest.raises(ValueError, match="one shape"):
        style.fade_in(a, torch.randn(3, 3), 0.5)


def test_equalised_lr_scales_at_run_time():
    lin = style.EqualLinear(64, 8)
    torch.testing.assert_close(lin(torch.eye(64)[:1]), lin.weight[:, 0][None] / 8)
    conv = style.EqualConv2d(4, 6, 3)
    x = torch.randn(1, 4, 5, 5)
    torch.testing.assert_close(conv(x), F.conv2d(x, conv.weight / 6, conv.bias, padding=1))


def test_progan_fade_in_is_continuous():
    torch.manual_seed(0)
    G, D = style.ProGenerator(8, 16, 1, 8), style.ProDiscriminator(16, 1, 8)
    z, x = torch.randn(4, 8), torch.randn(4, 1, 16, 16)
    G.stage.fill_(1)
    old = G(z)  # (4, 1, 8, 8)
    G.stage.fill_(2)
    G.alpha.fill_(0.0)
    new = G(z)  # (4, 1, 16, 16), alpha 0: exactly the upsampled old output
    assert new.shape == (4, 1, 16, 16)
    torch.testing.assert_close(new, F.interpolate(old, scale_factor=2))
    D.stage.fill_(1)
    d_old = D(F.avg_pool2d(x, 2))
    D.stage.fill_(2)
    D.alpha.fill_(0.0)
    torch.testing.assert_close(D(x), d_old)


def test_progan_schedule():
    assert style.progan_schedule(0, 10, 3) == (0, 1.0)
    assert style.progan_schedule(15, 10, 3) == (1, 0.5)
    assert style.progan_schedule(25, 10, 3) == (1, 1.0)
    assert style.progan_schedule(99, 10, 3) == (2, 1.0)


def test_adain_matches_instance_norm():
    x, s, b = torch.randn(2, 3, 5, 5), torch.randn(2, 3), torch.randn(2, 3)
    ref = F.instance_norm(x, eps=1e-5) * s[:, :, None, None] + b[:, :, None, None]
    torch.testing.assert_close(style.adain(x, s, b), ref, atol=1e-5, rtol=1e-5)


def _modconv_reference(x, weight, s, demod):
    out = []
    for i in range(x.shape[0]):  # one ordinary convolution per sample, float64
        w = weight * s[i][None, :, None, None]
        if demod:
            w = w / (w.square().sum((1, 2, 3), keepdim=True) + 1e-8).sqrt()
        out.append(F.conv2d(x[i : i + 1], w, padding=weight.shape[-1] // 2))
    return torch.cat(out)


@pytest.mark.parametrize("demod", [True, False])
@pytest.mark.parametrize("grouped", [True, False])
def test_modulated_conv_against_per_sample_convs(demod, grouped):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 4, 6, 6, generator=g, dtype=torch.float64)
    w = torch.randn(5, 4, 3, 3, generator=g, dtype=torch.float64)
    s = torch.randn(3, 4, generator=g, dtype=torch.float64)
    torch.testing.assert_close(style.modulated_conv2d(x, w, s, demod, grouped),
                               _modconv_reference(x, w, s, demod))


def test_demodulation_restores_unit_variance():
    torch.manual_seed(0)
    x, w = torch.randn(64, 32, 8, 8), torch.randn(32, 32, 3, 3)
    for scale in (0.1, 1.0, 10.0):
        s = scale * torch.rand(64, 32) + 0.1 * scale
        var = style.modulated_conv2d(x, w, s, True)[..., 1:-1, 1:-1].var().item()  # no padding
        assert abs(var - 1.0) < 0.1, f"demodulated output variance {var} at style scale {scale}"
    raw = style.modulated_conv2d(x, w, 10 * torch.ones(64, 32), False)[..., 1:-1, 1:-1].var().item()
    assert raw > 100 * 32 * 9 * 0.8  # without demodulation: variance grows as s^2 fan_in


def test_generator_shapes_truncation_and_mixing():
    torch.manual_seed(0)
    G = style.StyleGenerator(8, 16, 1, 8, w_dim=8)
    assert G.num_ws == 6
    z = torch.randn(5, 8)
    assert G(z).shape == (5, 1, 16, 16)
    G.eval()
    w = G.map(z)
    torch.testing.assert_close(G.map(z, psi=0.0), G.w_avg.expand(5, -1))
    torch.testing.assert_close(style.truncate_w(w, G.w_avg, 0.5), G.w_avg + 0.5 * (w - G.w_avg))
    ws1, ws2 = G.broadcast(w), G.broadcast(G.map(torch.randn(5, 8)))
    mixed = style.mix_styles(ws1, ws2, 2)
    torch.testing.assert_close(mixed[:, :2], ws1[:, :2])
    torch.testing.assert_close(mixed[:, 2:], ws2[:, 2:])
    G.train()
    G.map(z)
    assert G.w_avg.abs().sum() > 0  # tracked in training mode
    D = style.ResidualDiscriminator(16, 1, 8)
    assert D(torch.randn(5, 1, 16, 16)).shape == (5,)


def test_path_length_against_finite_differences():
    torch.manual_seed(0)
    G = style.StyleGenerator(4, 8, 1, 4, w_dim=4).double().eval()
    ws = G.broadcast(G.map(torch.randn(2, 4, dtype=torch.float64))).detach().clone()
    ws.requires_grad_(True)
    y = torch.randn(2, 1, 8, 8, dtype=torch.float64) / 8
    lengths = style.path_lengths(G, ws, y)
    # J^T y by central differences, one coordinate of ws at a time
    h, jty = 1e-6, torch.zeros_like(ws)
    with torch.no_grad():
        for l in range(ws.shape[1]):
            for k in range(ws.shape[2]):
                e = torch.zeros_like(ws)
                e[:, l, k] = h
                diff = G.synthesis(ws + e, "const") - G.synthesis(ws - e, "const")
                jty[:, l, k] = (diff * y).sum((1, 2, 3)) / (2 * h)
    torch.testing.assert_close(lengths, jty.square().sum(2).mean(1).sqrt(), atol=1e-7, rtol=1e-6)
    pen, a = style.path_length_penalty(lengths, torch.tensor(0.0, dtype=torch.float64), 0.5)
    torch.testing.assert_close(a, 0.5 * lengths.mean().detach())
    torch.testing.assert_close(pen, (lengths - a).square().mean())


def test_projection_recovers_a_generated_image():
    torch.manual_seed(0)
    G = style.StyleGenerator(8, 8, 1, 8, w_dim=8).eval()
    G.w_avg.copy_(G.mapping(torch.randn(256, 8)).mean(0))
    with torch.no_grad():
        target = G.synthesis(G.broadcast(G.map(torch.randn(1, 8))), "const")
    start = (G.synthesis(G.broadcast(G.w_avg[None]), "const") - target).square().mean().item()
    w, hist = style.project(G, target, steps=100, lr=0.1)
    assert w.shape == (1, 8) and hist[-1] < 0.1 * start


def test_filtered_lrelu_and_translate():
    torch.manual_seed(0)
    net = style.ToyStack()
    x = net.input()
    torch.testing.assert_close(style.translate(x, (1.0, 0.0)), torch.roll(x, 1, -1), atol=1e-5, rtol=0)
    torch.testing.assert_close(style.translate(x, (0.3, 0.7)), net.input((0.3, 0.7)), atol=1e-4, rtol=0)
    torch.testing.assert_close(style.fft_resize(style.fft_resize(x, 32), 16), x, atol=1e-5, rtol=0)
    y = style.filtered_lrelu(x)
    assert y.shape == x.shape
    with pytest.raises(ValueError, match="Nyquist"):
        style.fourier_features(torch.tensor([[8.0, 0.0]]), torch.zeros(1), 16)


def test_alias_free_stack_is_more_equivariant():
    net = style.ToyStack(seed=1)
    shifts = [(0.5, 0.0), (0.25, 0.75)]
    plain = style.eq_t(net, shifts)
    net.filtered = True
    alias_free = style.eq_t(net, shifts)
    assert alias_free > plain + 20, (plain, alias_free)


@pytest.mark.parametrize("name", ["progan", "stylegan2"])
def test_variants_train_with_lazy_phases(name):
    game = variants.build(name, (1, 8, 8), width=8, phase_steps=2) if name == "progan" \
        else variants.build(name, (1, 8, 8), width=8, r1_every=2, pl_every=2)
    data = torch.randn(64, 1, 8, 8).clamp(-1, 1)
    from ganlab.data import ArrayDataset

    tr = Trainer(game, ArrayDataset(data), steps=6, batch=8, progress=False, log_every=1)
    tr.fit()
    keys = set().union(*tr.history)
    if name == "stylegan2":
        assert {"R1/loss", "PL/loss"} <= keys and math.isfinite(game.state["pl_mean"].item())
    else:
        assert int(game.nets["G"].stage) == 1


@pytest.mark.parametrize("name", ["progan", "stylegan2"])
def test_generate_gives_full_size_images_in_range(name):
    from ganlab.train import sample_game

    game = variants.build(name, (1, 16, 16), width=8)
    x = sample_game(game, game.nets, 4, torch.device("cpu"))
    assert x.shape == (4, 1, 16, 16) and x.abs().max() <= 1


def test_shipped_generator_loads_and_beats_an_untrained_one():
    import json

    from ganlab import data, metrics
    from ganlab.features import load_faces_net, weights_path

    record = json.loads(weights_path(style.PRETRAINED_FILE.replace(".pt", ".json")).read_text())
    assert record["bytes"] < 5_000_000  # "a few MB at most"
    shipped, untrained = style.load_pretrained_faces(), style.pretrained_game().nets["G"].eval()
    z = torch.randn(300, shipped.nz, generator=torch.Generator().manual_seed(2))
    net = load_faces_net()
    real = net.features(data.faces(32, "train").x)

    def fid(g):
        with torch.no_grad():
            x = g(z).clamp(-1, 1)
        assert x.shape == (300, 1, 16, 16) and torch.isfinite(x).all()
        return metrics.fid(real, net.features(F.interpolate(x, size=32, mode="bilinear")))

    assert fid(shipped) < 0.5 * fid(untrained)


def test_lazy_regularization_scales_lr_and_betas_by_k_over_k_plus_1():
    from ganlab.train import Team

    team = Team(("D",), lr=2e-3, betas=(0.5, 0.99))
    lazy = style.lazy_regularization(team, 16)
    c = 16 / 17
    assert lazy.lr == pytest.approx(2e-3 * c, rel=1e-12, abs=0)
    assert lazy.betas == pytest.approx((0.5 ** c, 0.99 ** c), rel=1e-12, abs=0)
    assert lazy.nets == ("D",) and team.lr == 2e-3  # a new team; the old one is untouched
    # one optimiser step more per k: beta^(c (k + 1)) per k training steps = beta^k, as unregularised
    assert lazy.betas[1] ** 17 == pytest.approx(0.99 ** 16, rel=1e-12, abs=0)
    with pytest.raises(ValueError, match=">= 1"):
        style.lazy_regularization(team, 0)


def test_stylegan2_teams_carry_the_lazy_correction():
    game = variants.build("stylegan2", (1, 8, 8), width=8, r1_every=16, pl_every=4)
    d, g = game.teams["D"], game.teams["G"]
    assert d.lr == pytest.approx(2e-3 * 16 / 17, rel=1e-12, abs=0)
    assert d.betas == pytest.approx((0.0, 0.99 ** (16 / 17)), rel=1e-12, abs=0)
    assert g.lr == pytest.approx(2e-3 * 4 / 5, rel=1e-12, abs=0)
    assert g.betas == pytest.approx((0.0, 0.99 ** (4 / 5)), rel=1e-12, abs=0)
    plain = variants.build("stylegan2", (1, 8, 8), width=8, r1=0.0, pl_weight=0.0)
    assert plain.teams["D"].lr == 2e-3 and plain.teams["G"].betas == (0.0, 0.99)


def test_alias_free_generator_translates_and_is_equivariant_where_pointwise_is_not():
    torch.manual_seed(0)
    game = style.aliasfree_game((1, 16, 16), True, width=8, w_dim=8, depth=2, seed=3)
    G = game.nets["G"].eval()
    assert G.num_ws == 3 and G(torch.randn(4, G.nz)).shape == (4, 1, 16, 16)
    ws = G.broadcast(G.map(torch.randn(4, G.nz)))
    with torch.no_grad():
        # a whole-pixel shift of the periodic input is a roll of the whole image, exactly
        torch.testing.assert_close(G.synthesis(ws, shift=(2.0, 1.0)),
                                   torch.roll(G.synthesis(ws), (1, 2), (-2, -1)), atol=1e-4, rtol=0)
    shifts = [(0.5, 0.0), (0.25, 0.75)]
    free = style.eq_t_generator(G, ws, shifts)
    G.filtered = False
    plain = style.eq_t_generator(G, ws, shifts)
    assert free > plain + 20, (free, plain)
    # EQ-T is metrics.psnr of the two images, computed here independently
    with torch.no_grad():
        y0, y1 = G.synthesis(ws), G.synthesis(ws, shift=shifts[0])
        mse = (y1 - style.translate(y0, shifts[0])).square().flatten(1).mean(1)
    one = style.eq_t_generator(G, ws, shifts[:1])
    assert one == pytest.approx(float((10 * torch.log10(4 / mse)).mean()), rel=1e-5, abs=0)
    with pytest.raises(ValueError, match="ws must be"):
        G.synthesis(ws[:, :2])
    # the game is stylegan2's with G swapped: same phases and teams, G trains
    assert [p.name for p in game.phases] == ["D", "R1", "G", "PL"]
    from ganlab.data import ArrayDataset

    before = [p.detach().clone() for p in G.parameters()]
    Trainer(game, ArrayDataset(torch.randn(32, 1, 16, 16).clamp(-1, 1)), steps=2, batch=8,
            progress=False, ema_decay=0.0).fit()
    assert any(not torch.equal(a, b) for a, b in zip(before, G.parameters()))
