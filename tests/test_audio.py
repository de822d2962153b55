"""ganlab.audio, ganlab.metrics.spectral and data.sounds: exact spectra of pure tones, the
log-spectral distance in closed form, phase shuffle, WaveGAN shapes and one trainer step."""

import math

import numpy as np
import pytest
import torch

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
