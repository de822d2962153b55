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


def test_memorised_copies_match_the_good_sets_classes_and_take_noise(digits):
    train, test = digits
    sets = broken.broken_generators(train.x, test.x, test.y, seed=1, train_y=train.y)
    by_row = {tuple(r): int(y) for r, y in zip(train.x.flatten(1).numpy().round(6), train.y)}
    test_labels = {tuple(r): int(y) for r, y in zip(test.x.flatten(1).numpy().round(6), test.y)}
    mem = [by_row[tuple(r)] for r in sets["memorised"].flatten(1).numpy().round(6)]
    good = [test_labels[tuple(r)] for r in sets["good"].flatten(1).numpy().round(6)]
    assert mem == good  # copies of training digits, class by class in the good set's order
    assert len({tuple(r) for r in sets["memorised"].flatten(1).numpy().round(6)}) == len(mem)
    # the other sets are drawn exactly as without labels
    plain = broken.broken_generators(train.x, test.x, test.y, seed=1)
    for k in ("good", "mode-dropped", "blurred", "noisy"):
        assert_close(sets[k], plain[k])
    jittered = broken.broken_generators(train.x, test.x, test.y, seed=1, train_y=train.y,
                                        copy_noise=0.1)["memorised"]
    resid = (jittered - sets["memorised"]).numpy()
    assert 0.06 < np.std(resid) < 0.1  # std 0.1, less where the clamp at +-1 bites
    d = broken.nearest_neighbour_distance(jittered, train.x)
    assert (d > 0).all()  # near-copies: no sample is exactly a training image
    with pytest.raises(ValueError, match="train_y"):
        broken.broken_generators(train.x, test.x, test.y, train_y=train.y[:10])


def test_heldout_rest_leaves_out_exactly_the_used_rows():
    x = torch.arange(12.0).view(6, 2)
    rest = broken.heldout_rest(x, x[[4, 1]])
    assert_close(rest, x[[0, 2, 3, 5]])
    assert broken.heldout_rest(x, x).shape == (0, 2)
    with pytest.raises(ValueError, match="item shape"):
        broken.heldout_rest(x, torch.zeros(3, 3))


def _u_by_pairs(a, b):
    a, b = np.asarray(a)[:, None], np.asarray(b)[None, :]
    return float((a > b).sum() + 0.5 * (a == b).sum())


def test_copying_z_is_the_tie_corrected_mann_whitney_z():
    from scipy import stats

    # 1-pixel "images": the distance to the one training image at 0 is |x|, with ties
    train = torch.zeros(1, 1)
    a = torch.tensor([0.5, 1.0, 1.0, 2.0, 3.0, 0.25, 1.5], dtype=torch.float64)[:, None]
    b = torch.tensor([1.0, 2.0, 2.0, 4.0, 0.5, 3.5, 5.0, 6.0, 2.5], dtype=torch.float64)[:, None]
    z = broken.copying_z(a, train, b)
    m, n = len(a), len(b)
    u = _u_by_pairs(a.flatten(), b.flatten())  # independent: count the pairs
    res = stats.mannwhitneyu(a.flatten().numpy(), b.flatten().numpy(), method="asymptotic",
                             use_continuity=False)
    assert res.statistic == u
    z_scipy = np.sign(u - m * n / 2) * stats.norm.isf(res.pvalue / 2)  # scipy corrects for ties
    assert z == pytest.approx(z_scipy, rel=1e-9, abs=1e-12)
    # without ties it is the textbook (U - mn/2) / sqrt(mn(m + n + 1)/12)
    a2, b2 = torch.tensor([0.1, 0.7, 1.3])[:, None], torch.tensor([0.2, 0.3, 0.9, 1.1])[:, None]
    want = (_u_by_pairs(a2.flatten(), b2.flatten()) - 6) / np.sqrt(12 * 8 / 12)
    assert broken.copying_z(a2, train, b2) == pytest.approx(want, rel=1e-12)
    with pytest.raises(ValueError, match="at least 2"):
        broken.copying_z(a[:1], train, b)
    with pytest.raises(ValueError, match="tied"):
        broken.copying_z(torch.ones(3, 1), train, torch.ones(3, 1))


def test_copying_z_flags_copies_and_not_new_digits(digits):
    train, test = digits
    new, ref = test.x[:180], test.x[180:]
    assert abs(broken.copying_z(new, train.x, ref)) < 3  # new digits: about N(0, 1)
    assert broken.copying_z(train.x[:180], train.x, ref) < -10  # copies: far below -3
    noisy = broken.add_noise(new, 0.3, generator=torch.Generator().manual_seed(0))
    assert broken.copying_z(noisy, train.x, ref) > 10  # off the data: farther than new digits
