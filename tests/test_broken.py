"""Broken generators: each set has the flaw it claims, and the memorisation check finds copies."""

import numpy as np
import pytest
import scipy.ndimage
import torch
from torch.testing import assert_close

from ganlab import broken, data


@pytest.fixture(scope="module")
def digits():
    return data.digits(16, split="train"), data.digits(16, split="test")


def test_gaussian_blur_matches_scipy():
    x = torch.randn(3, 2, 16, 16, dtype=torch.float64)
    got = broken.gaussian_blur(x, 1.0)
    # scipy's "mirror" mode is torch's "reflect" (the edge pixel is not repeated)
    want = scipy.ndimage.gaussian_filter(x.numpy(), sigma=(0, 0, 1.0, 1.0), mode="mirror",
                                         truncate=3.0)
    assert_close(got, torch.from_numpy(want))
    assert_close(broken.gaussian_blur(torch.ones(1, 1, 8, 8), 0.7), torch.ones(1, 1, 8, 8))
    with pytest.raises(ValueError, match="sigma"):
        broken.gaussian_blur(x, 0.0)
    with pytest.raises(ValueError, match="radius"):
        broken.gaussian_blur(x, 6.0)


def test_add_noise_std_and_range():
    x = torch.zeros(200, 1, 16, 16)
    y = broken.add_noise(x, 0.3, generator=torch.Generator().manual_seed(0))
    assert abs(y.std().item() - 0.3) < 0.01
    y = broken.add_noise(torch.ones(10, 1, 4, 4), 0.5, generator=torch.Generator().manual_seed(0))
    assert y.max() <= 1.0 and y.min() >= -1.0


def test_broken_generators_have_their_flaws(digits):
    train, test = digits
    sets = broken.broken_generators(train.x, test.x, test.y, seed=0)
    assert list(sets) == list(broken.FAILURES)
    n = int((test.y < 5).sum())
    assert all(x.shape == (n, 1, 16, 16) for x in sets.values())
    as_rows = {tuple(r) for r in test.x.flatten(1).numpy().round(6)}

    def rows(x):
        return [tuple(r) for r in x.flatten(1).numpy().round(6)]

    assert all(r in as_rows for r in rows(sets["good"]))  # held-out digits
    assert len(set(rows(sets["good"]))) == n  # no repeats
    train_rows = {tuple(r) for r in train.x.flatten(1).numpy().round(6)}
    assert all(r in train_rows for r in rows(sets["memorised"]))
    dropped = sets["mode-dropped"]
    labels = {r: int(y) for r, y in zip(rows(test.x), test.y)}
    assert {labels[r] for r in rows(dropped)} == {0, 1, 2, 3, 4}
    assert_close(sets["blurred"], broken.gaussian_blur(sets["good"], 1.0))
    resid = (sets["noisy"] - sets["good"]).numpy()
    assert 0.15 < np.std(resid) < 0.3  # clamping at +-1 removes some of the 0.3
    with pytest.raises(ValueError, match="n must be"):
        broken.broken_generators(train.x, test.x, test.y, n=n + 1)


def test_nearest_neighbour_distance_and_memorisation_ratio(digits):
    train, test = digits
    ref = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
    x = torch.tensor([[0.0, 1.0], [3.0, 4.0], [6.0, 8.0]])
    assert_close(broken.nearest_neighbour_distance(x, ref), torch.tensor([1.0, 0.0, 5.0],
                                                                         dtype=torch.float64))
    copies = train.x[:100]
    assert broken.memorisation_ratio(copies, train.x, test.x) == 0.0
    assert 0.9 < broken.memorisation_ratio(test.x[:180], train.x, test.x) < 1.1
    with pytest.raises(ValueError, match="duplicate"):
        broken.memorisation_ratio(copies, train.x, train.x[:50])
