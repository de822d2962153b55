"""StyleGAN3's rotation pieces (`ganlab.style`): rotated Fourier features, the band-limited image
rotation, the disk mask, the radial low-pass, EQ-R, and config R of `AliasFreeGenerator`, each
against a closed form or an independent computation."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ganlab import style

N = 16
C = (N - 1) / 2  # the rotation centre, in pixels


def rotated_grid(angle, n=N):
    """Independent (numpy) source positions q = R^-1 (p - c) + c of every pixel p = (x, y)."""
    y, x = np.mgrid[0:n, 0:n].astype(np.float64)
    c, s = math.cos(angle), math.sin(angle)
    cen = (n - 1) / 2
    return c * (x - cen) + s * (y - cen) + cen, -s * (x - cen) + c * (y - cen) + cen


def features_at(freqs, phases, qx, qy, n=N):
    f, ph = freqs.numpy(), phases.numpy()
    return np.sin(2 * np.pi * (f[:, 0, None, None] * qx + f[:, 1, None, None] * qy) / n
                  + ph[:, None, None])[None]  # (1, F, n, n)


@pytest.mark.parametrize("angle", [0.0, 0.3, -1.1, math.pi / 2, 2.5])
def test_rotated_fourier_features_are_the_features_on_the_rotated_grid(angle):
    g = torch.Generator().manual_seed(0)
    freqs = (torch.rand(5, 2, generator=g, dtype=torch.float64) - 0.5) * 8  # non-integer too
    phases = torch.rand(5, generator=g, dtype=torch.float64) * 2 * math.pi
    rf, rph = style.rotate_fourier(freqs, phases, angle, N)
    torch.testing.assert_close(rf.norm(dim=1), freqs.norm(dim=1), atol=1e-12, rtol=0)  # |R f| = |f|
    got = style.fourier_features(rf, rph, N)
    want = torch.from_numpy(features_at(freqs, phases, *rotated_grid(angle)))
    torch.testing.assert_close(got, want, atol=1e-10, rtol=0)


@pytest.mark.parametrize("angle", [0.2, 0.7, -2.0, 3.0])
def test_rotation_of_a_band_limited_pattern_is_its_analytic_rotation(angle):
    y, x = np.mgrid[0:N, 0:N].astype(np.float64)

    def pattern(x, y):  # two whole-cycle cosines below Nyquist in every direction (|k| < 8)
        return (np.cos(2 * np.pi * (3 * x + 1 * y) / N + 0.4)
                + 0.5 * np.cos(2 * np.pi * (-2 * x + 5 * y) / N - 1.0))

    img = torch.from_numpy(pattern(x, y))[None, None]
    want = torch.from_numpy(pattern(*rotated_grid(angle)))[None, None]
    torch.testing.assert_close(style.rotate(img, angle), want, atol=1e-10, rtol=0)
    assert (style.rotate(img, angle) - img).abs().max() > 0.1  # it did move


def test_rotation_by_zero_is_the_identity_and_quarter_turns_permute_pixels():
    g = torch.Generator().manual_seed(1)
    x = style.fft_resize(torch.randn(2, 3, N, N, generator=g, dtype=torch.float64), N)  # no Nyquist
    torch.testing.assert_close(style.rotate(x, 0.0), x, atol=1e-12, rtol=0)
    torch.testing.assert_close(style.rotate(x, math.pi / 2), torch.rot90(x, -1, (-2, -1)),
                               atol=1e-12, rtol=0)
    torch.testing.assert_close(style.rotate(x, -math.pi / 2), torch.rot90(x, 1, (-2, -1)),
                               atol=1e-12, rtol=0)
    torch.testing.assert_close(style.rotate(x, math.pi), x.flip(-1, -2), atol=1e-12, rtol=0)
    assert style.rotate(x.float(), 0.3).dtype == torch.float32


def test_disk_mask_counts_the_pixel_centres_inside_the_circle():
    m = style.disk_mask(N)
    i, j = np.mgrid[0:N, 0:N]
    want = (2 * i - (N - 1)) ** 2 + (2 * j - (N - 1)) ** 2 <= N**2  # integers: |2p - 15| <= 16
    assert m.dtype == torch.bool and m.shape == (N, N)
    assert np.array_equal(m.numpy(), want) and 0 < m.sum() < N * N
    assert not m[0, 0] and m[7, 0] and m[8, 8]  # corners out, the edge's middle in
    small = style.disk_mask(4, radius=1.0)  # only the 4 centre pixels lie within 1 of (1.5, 1.5)
    assert small.sum() == 4 and small[1:3, 1:3].all()


def test_radial_lowpass_keeps_the_disk_and_removes_the_square_corners():
    y, x = np.mgrid[0:N, 0:N].astype(np.float64)
    inner = torch.from_numpy(np.cos(2 * np.pi * (2 * x + 2 * y) / N))[None, None]  # |k| = 2.83
    corner = torch.from_numpy(np.cos(2 * np.pi * (3 * x + 4 * y) / N))[None, None]  # |k| = 5
    torch.testing.assert_close(style.radial_lowpass(inner + corner, 4.9), inner, atol=1e-12, rtol=0)
    torch.testing.assert_close(style.radial_lowpass(inner + corner, 5.1), inner + corner,
                               atol=1e-12, rtol=0)
    # the filtered non-linearity's radial form leaves no energy outside |k| < n / 2
    h = style.filtered_lrelu(torch.randn(1, 2, N, N, dtype=torch.float64), radial=True)
    k = torch.fft.fftfreq(N, 1 / N, dtype=torch.float64)
    outside = k[None, :] ** 2 + k[:, None] ** 2 >= (N / 2) ** 2
    spec = torch.fft.fft2(h).abs()
    assert spec[..., outside].max() < 1e-9 * spec.max()
    square = torch.fft.fft2(style.filtered_lrelu(torch.randn(1, 2, N, N, dtype=torch.float64))).abs()
    assert square[..., outside].max() > 1e-3 * square.max()  # the square band keeps its corners


def _features(angle):
    g = torch.Generator().manual_seed(2)
    r = range(-3, 4)
    pool = torch.tensor([(a, b) for a in r for b in r if a * a + b * b <= 9], dtype=torch.float64)
    freqs = pool[torch.randperm(len(pool), generator=g)[:6]]
    phases = torch.rand(6, generator=g, dtype=torch.float64) * 2 * math.pi
    return freqs, phases, style.fourier_features(*style.rotate_fourier(freqs, phases, angle, N), N)


def test_eq_r_of_a_pointwise_map_of_the_features_is_very_high():
    w = torch.randn(1, 6, 1, 1, generator=torch.Generator().manual_seed(3), dtype=torch.float64)

    def render(angle):  # a 1x1 map and a square: pointwise, so exactly rotation-equivariant;
        return F.conv2d(_features(angle)[2], w).square()  # |2 f| <= 6 < 8: still band-limited

    angles = [0.3, 1.0, -2.2]
    for a in angles:
        torch.testing.assert_close(render(a), style.rotate(render(0.0), a), atol=1e-10, rtol=0)
    assert 150 < style.eq_r(render, angles) < 400  # float64 round-off, not infinity


def test_eq_r_of_a_fixed_shift_conv_is_the_psnr_of_the_two_shifts():
    kernel = torch.zeros(1, 6, 3, 3, dtype=torch.float64)
    kernel[:, :, 1, 2] = 1.0  # out(p) = sum_i feature_i(p + e_x): not rotation-equivariant

    def render(angle):
        return F.conv2d(F.pad(_features(angle)[2], [1] * 4, mode="circular"), kernel)

    angle, radius = 0.6, 7.0  # the disk keeps clear of the wrapped border column
    freqs, phases, _ = _features(0.0)
    qx, qy = rotated_grid(angle)
    ref = features_at(freqs, phases, qx + 1, qy).sum(1)  # rotate(render(0)): h(R^-1 (p - c) + c + e)
    out = render(angle)[0, 0].numpy()  # rotated input, then the shift: h at R^-1 (p + e - c) + c
    m = style.disk_mask(N, radius).numpy()
    want = 10 * np.log10((ref[0][m].max() - ref[0][m].min()) ** 2 / np.mean((out[m] - ref[0][m]) ** 2))
    got = style.eq_r(render, [angle], radius=radius)
    assert got == pytest.approx(want, rel=1e-6, abs=0)
    assert 3 < got < 40


def small_game(rotation, seed=3):
    return style.aliasfree_game((1, N, N), True, width=8, w_dim=8, depth=2, seed=seed,
                                rotation=rotation)


def test_config_r_generator_is_1x1_with_disk_frequencies_and_turns_exactly_by_quarter_turns():
    G = small_game(True).nets["G"].eval()
    T = small_game(False).nets["G"].eval()
    assert G.rotation and not T.rotation and small_game(True).name == "aliasfree-r"
    assert all(c.weight.shape[-1] == 1 for c in G.convs) and all(c.weight.shape[-1] == 3 for c in T.convs)
    assert G.freqs.norm(dim=1).max() <= 5 and (G.freqs == G.freqs.round()).all()
    ws = G.broadcast(G.map(torch.randn(3, G.nz, generator=torch.Generator().manual_seed(0))))
    with torch.no_grad():
        y = G.synthesis(ws)
        torch.testing.assert_close(G.synthesis(ws, canvas=32), y, atol=1e-4, rtol=0)  # same image
        torch.testing.assert_close(G.synthesis(ws, angle=math.pi / 2), torch.rot90(y, -1, (-2, -1)),
                                   atol=1e-4, rtol=0)
        t = T.synthesis(ws)
        torch.testing.assert_close(T.synthesis(ws, canvas=32), t, atol=1e-4, rtol=0)
        assert (T.synthesis(ws, angle=math.pi / 2) - torch.rot90(t, -1, (-2, -1))).abs().max() > 0.05
    with pytest.raises(ValueError, match="canvas"):
        G.synthesis(ws, canvas=17)


def test_eq_r_generator_is_the_disk_psnr_and_config_r_beats_config_t_untrained():
    G, T = small_game(True).nets["G"].eval(), small_game(False).nets["G"].eval()
    ws = G.broadcast(G.map(torch.randn(4, G.nz, generator=torch.Generator().manual_seed(1))))
    angles = [0.4, -1.3, 2.0]
    r, t = style.eq_r_generator(G, ws, angles), style.eq_r_generator(T, ws, angles)
    assert r > t + 10, (r, t)
    with torch.no_grad():  # the same number computed here: range 2, mean over images and angles
        m = style.disk_mask(N)
        y0 = G.synthesis(ws)
        vals = []
        for a in angles:
            d = G.synthesis(ws, angle=a, canvas=32) - style.rotate(y0, a)
            vals.append((10 * torch.log10(4 / d[..., m].square().mean((1, 2)))).mean())
    assert r == pytest.approx(float(torch.stack(vals).mean()), rel=1e-5, abs=0)
    # config R keeps EQ-T: translations commute with the disk low-pass too
    assert style.eq_t_generator(G, ws, [(0.5, 0.0), (0.25, 0.75)]) > 60


def test_the_stylegan3_presets_build_config_t_and_config_r():
    from ganlab import variants
    for name, rotation, k in (("stylegan3-t", False, 3), ("stylegan3-r", True, 1)):
        G = variants.build(name, (1, 16, 16), seed=0).nets["G"]
        assert isinstance(G, style.AliasFreeGenerator) and G.filtered
        assert G.rotation is rotation and len(G.convs) == 4
        assert {c.weight.shape[-1] for c in G.convs} == {k}
        assert len(variants.build(name, (1, 16, 16), seed=0, convs=2).nets["G"].convs) == 2
