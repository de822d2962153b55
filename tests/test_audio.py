"""ganlab.audio, ganlab.metrics.spectral and data.sounds: exact spectra of pure tones, the
log-spectral distance in closed form, phase shuffle, WaveGAN shapes and one trainer step."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ganlab import audio as A
from ganlab import data, variants
from ganlab.metrics import log_spectral_distance, power_spectrum
from ganlab.train import Trainer


@pytest.mark.parametrize("k", [5, 32])
def test_pure_tone_spectrum_closed_form(k):
    n_fft, amp = 64, 0.7
    t = torch.arange(4 * n_fft, dtype=torch.float64)
    x = amp * torch.cos(2 * math.pi * k * t / n_fft)[None]  # exactly on bin k
    p = power_spectrum(x, n_fft)
    assert p.shape == (n_fft // 2 + 1,) and int(p.argmax()) == k
    want = torch.zeros_like(p)
    norm = 3 * n_fft / 8  # sum of the periodic Hann window squared
    if k < n_fft // 2:
        want[k] = (amp * n_fft / 4) ** 2 / norm
        want[k - 1] = want[k + 1] = (amp * n_fft / 8) ** 2 / norm
    else:  # Nyquist: cos(pi t) alternates, the two half-bins meet at k
        want[k] = (amp * n_fft / 2) ** 2 / norm
        want[k - 1] = (amp * n_fft / 4) ** 2 / norm
    torch.testing.assert_close(p, want, atol=1e-9, rtol=1e-9)


def test_parseval_white_noise():
    """For a periodic Hann window, sum_f P over a two-sided spectrum = n_fft * mean x^2 on average."""
    x = torch.randn(64, 1024, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    p = power_spectrum(x, 128)
    two_sided = p.sum() * 2 - p[0] - p[-1]
    assert abs(two_sided.item() / 128 - 1) < 0.02


def test_log_spectral_distance_closed_forms():
    x = torch.randn(8, 512, generator=torch.Generator().manual_seed(0))
    assert log_spectral_distance(x, x.clone()) == 0.0
    # scaling by s moves every bin by 20 log10 s dB, so the RMS over bins is that
    assert log_spectral_distance(x, 2 * x, eps=0.0) == pytest.approx(20 * math.log10(2), rel=1e-9)
    assert log_spectral_distance(x.view(8, 1, 512), 0.125 * x.view(8, 1, 512), eps=0.0) == \
        pytest.approx(20 * math.log10(8), rel=1e-9)
    with pytest.raises(ValueError, match="n_fft"):
        power_spectrum(x, 1024)
    with pytest.raises(ValueError, match="NaN"):
        power_spectrum(x * float("nan"), 64)
    with pytest.raises(ValueError, match=r"\(B, L\)"):
        power_spectrum(x[0], 64)


def test_sounds_dataset():
    ds = data.sounds(n=12, length=1024, rate=8000, seed=1)
    assert ds.x.shape == (12, 1, 1024) and ds.x.dtype == torch.float32
    assert ds.x.abs().max() <= 0.9 + 1e-6 and ds.x.abs().amax(-1).min() >= 0.5 - 1e-6
    assert ds.y.tolist() == [0, 1, 2] * 4
    torch.testing.assert_close(ds.x, data.sounds(n=12, length=1024, rate=8000, seed=1).x)
    tones = data.sounds(n=4, length=4096, kinds=("tone",), seed=0).x  # 150-1000 Hz
    bins = power_spectrum(tones, 512).argmax().item() * 8000 / 512
    assert 150 - 16 <= bins <= 1000 + 16
    with pytest.raises(ValueError, match="kinds"):
        data.sounds(kinds=("drum",))


def test_karplus_strong_recursion():
    y = data.karplus_strong(400.0, 200, 8000, decay=0.99, rng=np.random.default_rng(0))
    n = 20  # period 8000 / 400
    assert y.shape == (200,) and np.abs(y[:n]).max() <= 1
    np.testing.assert_allclose(y[n], 0.99 * 0.5 * y[0])  # y[-1] = 0
    np.testing.assert_allclose(y[n + 1:], 0.99 * 0.5 * (y[1:-n] + y[:-n - 1]), rtol=1e-12)
    with pytest.raises(ValueError, match="period"):
        data.karplus_strong(1.0, 200, 8000)


def test_phase_shuffle_matches_reflection():
    x = torch.arange(10.0).view(1, 1, 10).repeat(3, 2, 1)
    out = A.shift_reflect(x, torch.tensor([0, 2, -1]))
    torch.testing.assert_close(out[0], x[0])
    torch.testing.assert_close(out[1, 0], torch.tensor([2.0, 1, 0, 1, 2, 3, 4, 5, 6, 7]))
    torch.testing.assert_close(out[2, 1], torch.tensor([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 8]))
    g = torch.Generator().manual_seed(0)
    y = A.phase_shuffle(x, 2, generator=g)
    assert y.shape == x.shape and A.phase_shuffle(x, 0) is x
    with pytest.raises(ValueError, match=">= 0"):
        A.phase_shuffle(x, -1)


@pytest.mark.parametrize("upsample", ["transposed", "linear"])
def test_wavegan_shapes_and_step(upsample):
    game = variants.build("wavegan", (1, 1024), width=4, layers=3, kernel=9, upsample=upsample,
                          loss="hinge", gp=0.0, n_critic=1)
    x = game.nets["G"](torch.randn(5, game.nz))
    assert x.shape == (5, 1, 1024) and x.abs().max() <= 1
    assert game.nets["D"](x).shape == (5,)
    before = [p.clone() for p in game.nets["G"].parameters()]
    Trainer(game, data.sounds(n=16, length=1024), steps=1, batch=8, device="cpu",
            progress=False).fit()
    assert any(not torch.equal(a, b) for a, b in zip(before, game.nets["G"].parameters()))


def test_wavegan_bad_input():
    with pytest.raises(ValueError, match="multiple"):
        variants.build("wavegan", (1, 1000), layers=3)
    with pytest.raises(ValueError, match=r"\(C, L\)"):
        variants.build("wavegan", (1024,))
    with pytest.raises(ValueError, match="odd"):
        variants.build("wavegan", (1, 1024), layers=3, kernel=8)
    game = variants.build("wavegan", (1, 4096), width=2)  # the preset: 4 layers, kernel 25, GP
    Trainer(game, data.sounds(n=8, length=4096), steps=1, batch=4, device="cpu",
            progress=False).fit()


# --- HiFi-GAN: the log-mel front end, Griffin-Lim, the vocoder -------------------------------


def test_mel_scale_closed_form():
    assert float(A.hz_to_mel(700.0)) == pytest.approx(2595 * math.log10(2), rel=1e-12)
    assert float(A.hz_to_mel(1000.0)) == pytest.approx(2595 * math.log10(1 + 1000 / 700), rel=1e-12)
    f = torch.tensor([0.0, 50.0, 440.0, 3999.0], dtype=torch.float64)
    torch.testing.assert_close(A.mel_to_hz(A.hz_to_mel(f)), f, rtol=1e-12, atol=1e-9)


def test_mel_filterbank_triangles_and_partition_of_unity():
    n_fft, n_mels, rate = 256, 20, 8000
    fb = A.mel_filterbank(n_fft, n_mels, rate).double()
    assert fb.shape == (n_mels, n_fft // 2 + 1) and fb.min() >= 0 and fb.max() <= 1 + 1e-6
    m = np.linspace(0, 2595 * np.log10(1 + 4000 / 700), n_mels + 2)
    edges = 700 * (10 ** (m / 2595) - 1)  # Hz, equally spaced in mel
    freqs = np.arange(n_fft // 2 + 1) * rate / n_fft
    want = np.stack([np.interp(freqs, edges[k:k + 3], [0.0, 1.0, 0.0]) for k in range(n_mels)])
    np.testing.assert_allclose(fb.numpy(), want, atol=1e-6)
    inside = (freqs >= edges[1]) & (freqs <= edges[-2])  # between the first and last centre
    np.testing.assert_allclose(fb.sum(0).numpy()[inside], 1.0, atol=1e-6)
    assert fb.sum(0)[~torch.from_numpy(inside)].max() < 1  # the outer half-triangles
    with pytest.raises(ValueError, match="f_max"):
        A.mel_filterbank(256, 20, 8000, f_max=5000)


def test_stft_and_log_mel_against_numpy_frames():
    x = torch.randn(2, 1, 512, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    n_fft, hop = 128, 32
    a = np.pad(x[:, 0].numpy(), ((0, 0), (n_fft // 2, n_fft // 2)), mode="reflect")
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)  # periodic Hann
    frames = np.stack([a[:, t * hop:t * hop + n_fft] for t in range(512 // hop + 1)], -1)  # (B, n, T)
    spec = np.fft.rfft(frames * w[None, :, None], axis=1)  # (B, bins, T)
    np.testing.assert_allclose(A.stft(x, n_fft, hop).numpy(), spec, atol=1e-9)
    fb = A.mel_filterbank(n_fft, 16, 8000).double().numpy()
    want = np.log(np.maximum(np.einsum("mf,bft->bmt", fb, np.abs(spec)), 1e-5))
    np.testing.assert_allclose(A.log_mel(x, n_fft, hop, 16, 8000).numpy(), want, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(A.istft(A.stft(x, n_fft, hop), 512, n_fft, hop), x[:, 0])


def test_mel_to_linear_is_the_least_squares_inverse():
    fb = A.mel_filterbank(256, 32, 8000).double()
    mag = 1 + torch.rand(3, 129, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    lin = A.mel_to_linear(torch.log(fb @ mag), 256, 8000)
    assert lin.shape == mag.shape and lin.min() >= 0
    mel_err = ((fb @ lin) - fb @ mag).abs().max() / (fb @ mag).abs().max()
    assert mel_err < 0.05  # it explains the mel bands it came from, up to the clamp at 0
    assert (lin - mag).abs().mean() > 0.01  # but the detail the bands averaged is gone


def test_griffin_lim_converges_on_a_known_signal():
    t = torch.arange(2048, dtype=torch.float64) / 8000
    x = (0.5 * torch.sin(2 * math.pi * 440 * t) + 0.3 * torch.sin(2 * math.pi * 1234 * t))[None]
    mag = A.stft(x).abs()
    sc = [float(A.spectral_convergence(A.griffin_lim(mag, 2048, iters=n,
                                                     generator=torch.Generator().manual_seed(0)),
                                       mag)) for n in (1, 4, 16, 64)]
    assert all(b <= a + 1e-9 for a, b in zip(sc, sc[1:])), sc  # never increases (their eq. 6)
    assert sc[-1] < sc[0] / 3, sc
    assert float(A.spectral_convergence(x, mag)) < 1e-12  # the signal itself: exactly 0
    # started from the signal's own phases, Griffin-Lim stays on the signal (a fixed point)
    y = A.griffin_lim(mag, 2048, iters=3, angles=A.stft(x).angle())
    torch.testing.assert_close(y, x, rtol=1e-9, atol=1e-9)
    with pytest.raises(ValueError, match="iters"):
        A.griffin_lim(mag, 2048, iters=0)


def test_period_discriminator_sees_every_p_th_sample():
    d = A.PeriodDiscriminator(3, width=2).double()
    x = torch.randn(1, 1, 60, dtype=torch.float64)
    y = x.clone()
    y[0, 0, 31] += 1.0  # sample 31 lies in column 31 % 3 = 1
    changed = (d(x)[1][0] - d(y)[1][0]).abs().sum((0, 1, 2)) > 0  # (p,) columns of the first map
    assert changed.tolist() == [False, True, False]
    assert d(torch.randn(2, 1, 61, dtype=torch.float64))[0].shape[0] == 2  # padded to 63


def test_sub_discriminators_match_their_layers_by_hand():
    """Both sub-D's: every conv then LeakyReLU 0.1, the post conv bare; the logits are the
    post conv's output flattened and the features every layer's output (an independent
    computation from the layers' own weights, float64)."""
    torch.manual_seed(0)
    x = torch.randn(2, 1, 61, dtype=torch.float64)
    pd, sd = A.PeriodDiscriminator(3, width=2).double(), A.ScaleDiscriminator(width=4).double()
    cases = [(pd, F.pad(x, (0, 2), mode="reflect").view(2, 1, -1, 3)), (sd, x)]
    for d, h in cases:
        want = []
        for conv in d.convs:
            h = F.leaky_relu(F.conv2d(h, conv.weight, conv.bias, conv.stride, conv.padding)
                             if h.dim() == 4 else
                             F.conv1d(h, conv.weight, conv.bias, conv.stride, conv.padding,
                                      groups=conv.groups), 0.1)
            want.append(h)
        want.append(d.post(h))
        logits, feats = d(x)
        assert len(feats) == len(want) == len(d.convs) + 1
        for a, b in zip(feats, want):
            torch.testing.assert_close(a, b, rtol=0, atol=0)
        torch.testing.assert_close(logits, want[-1].flatten(1), rtol=0, atol=0)


def test_feature_match_l1_by_hand():
    g = torch.Generator().manual_seed(0)
    real = [(None, [torch.randn(2, 3, generator=g), torch.randn(2, 5, generator=g)])]
    fake = [(None, [torch.randn(2, 3, generator=g), torch.randn(2, 5, generator=g)])]
    want = sum((a - b).abs().mean() for a, b in zip(real[0][1], fake[0][1]))
    torch.testing.assert_close(A.feature_match_l1(real, fake), want)


def test_hifigan_shapes_step_and_bad_input():
    assert A.upsample_rates(64) == (4, 4, 4) and A.upsample_rates(32) == (4, 4, 2)
    with pytest.raises(ValueError, match="power of 2"):
        A.upsample_rates(48)
    g = A.HiFiGenerator(16, 16, (4, 2))
    assert g(torch.randn(2, 16, 9)).shape == (2, 1, 72)
    game = variants.build("hifigan", (1, 1024), width=16, d_width=2, hop=32, n_mels=16)
    outs = game.nets["D"](torch.randn(2, 1, 1024))
    assert len(outs) == len(A.PERIODS) + 3
    before = {k: [p.clone() for p in m.parameters()] for k, m in game.nets.items()}
    Trainer(game, data.sounds(n=8, length=1024), steps=1, batch=4, device="cpu",
            progress=False, ema_decay=0.0).fit()
    for k in ("G", "D"):
        assert any(not torch.equal(a, b) for a, b in zip(before[k], game.nets[k].parameters())), k
    assert game.show(game.nets, data.sounds(n=3, length=1024).x).shape == (3, 2, 1, 16, 33)
    with pytest.raises(ValueError, match=r"\(1, L\)"):
        variants.build("hifigan", (2, 1024))
    with pytest.raises(ValueError, match="mel"):
        game.generate(game.nets, torch.zeros(1, 1), None)
