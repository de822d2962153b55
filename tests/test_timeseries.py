"""ganlab.timeseries and the series generators in ganlab.data: shapes, seeds, AR(1) moments,
autocorrelation against closed forms, the discriminative score, one trainer step."""

import math

import numpy as np
import pytest
import torch

from ganlab import data, variants
from ganlab import timeseries as TS
from ganlab.train import Trainer


def test_sines_shape_range_and_seed():
    g = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    x = data.sines(50, length=30, channels=2, generator=g())
    assert x.shape == (50, 30, 2) and x.abs().max() <= 1
    torch.testing.assert_close(x, data.sines(50, length=30, channels=2, generator=g()))
    assert data.load("sines").sample(4, g()).shape == (4, 24, 1)
    with pytest.raises(ValueError, match="length"):
        data.sines(3, length=1)


def test_sines_are_sines():
    """Each series satisfies x_{t+1} + x_{t-1} = 2 cos(2 pi f) x_t for its own f."""
    x = data.sines(20, length=24, generator=torch.Generator().manual_seed(0)).double()[..., 0]
    ratio = (x[:, 2:] + x[:, :-2]) / x[:, 1:-1]  # (20, 22), constant per row
    ok = x[:, 1:-1].abs() > 0.1
    for row, m in zip(ratio, ok):
        r = row[m]
        assert (r - r.mean()).abs().max() < 1e-4
        assert 2 * math.cos(2 * math.pi * 0.12) - 1e-4 <= r.mean() <= 2 * math.cos(2 * math.pi * 0.02) + 1e-4


def test_ar1_moments():
    x = data.ar1(4000, length=24, phi=0.8, std=0.5, generator=torch.Generator().manual_seed(0))
    assert x.shape == (4000, 24, 1)
    acf = TS.autocorrelation(x, 3)
    np.testing.assert_allclose(acf.numpy(), [0.8, 0.64, 0.512], atol=0.02)  # phi^k
    assert abs(x.var().item() - 0.25) < 0.01
    with pytest.raises(ValueError, match="stationary"):
        data.ar1(3, phi=1.0)


def test_autocorrelation_closed_forms():
    alt = torch.tensor([1.0, -1.0] * 4)[None, :, None]  # mean 0, variance 1
    want = torch.tensor([-1.0, 1.0, -1.0], dtype=torch.float64)
    torch.testing.assert_close(TS.autocorrelation(alt, 3), want)
    x = torch.randn(5, 12, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    xc = x - x.mean()  # an independent numpy computation
    a = xc.numpy()
    ref = [np.mean(a[:, :-k] * a[:, k:]) / np.mean(a * a) for k in range(1, 5)]
    np.testing.assert_allclose(TS.autocorrelation(x, 4).numpy(), ref, rtol=1e-12)
    assert TS.acf_distance(x, x, 4) == 0.0
    with pytest.raises(ValueError, match="max_lag"):
        TS.autocorrelation(x, 12)
    with pytest.raises(ValueError, match=r"\(B, T, C\)"):
        TS.autocorrelation(x[0], 2)


def test_discriminative_score():
    g = torch.Generator().manual_seed(0)
    real = data.sines(200, generator=g)
    same = data.sines(200, generator=g)
    noise = 2 * torch.randn(200, 24, 1, generator=g)
    easy = TS.discriminative_score(real, noise, steps=100)
    hard = TS.discriminative_score(real, same, steps=100)
    assert easy > 0.4 and hard < easy  # white noise is easy to tell from sines
    assert 0 <= hard <= 0.5
    assert TS.discriminative_score(real, same, steps=100) == hard  # seeded
    with pytest.raises(ValueError, match="differ"):
        TS.discriminative_score(real, noise[:, :10])


def test_rgan_builds_and_steps():
    game = variants.build("rgan", (24, 1), width=8)
    assert game.nets["G"](torch.randn(3, game.nz)).shape == (3, 24, 1)
    assert game.nets["D"](torch.randn(3, 24, 1)).shape == (3, 24)
    before = [p.clone() for p in game.nets["G"].parameters()]
    Trainer(game, data.SINES, steps=1, batch=8, device="cpu", progress=False).fit()
    assert any(not torch.equal(a, b) for a, b in zip(before, game.nets["G"].parameters()))
    with pytest.raises(ValueError, match=r"\(T, C\)"):
        variants.build("rgan", (24,))
    with pytest.raises(ValueError, match="nz_step"):
        game.nets["G"](torch.randn(2, 5))
