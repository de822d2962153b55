"""ganlab.tabular and data.wine_table: mode-specific normalisation against its formulas,
exact round trips, training-by-sampling, the cond vector, one trainer step, evaluation."""

import numpy as np
import pytest
import torch
from scipy.stats import norm

from ganlab import data, variants
from ganlab import tabular as T
from ganlab.train import Trainer


@pytest.fixture(scope="module")
def wine():
    train = data.wine_table("train")
    return train, T.TableTransformer().fit(train)


def test_wine_table():
    t = data.wine_table()
    assert t.x.shape == (178, 14) and t.columns[-2:] == ("magnesium_level", "cultivar")
    assert t.categories == {12: 3, 13: 3} and t.label == 13
    np.testing.assert_array_equal(np.bincount(t.y), [59, 71, 48])  # sklearn's class counts
    lvl = t.x[:, 12].astype(int)
    assert set(lvl) == {0, 1, 2} and np.bincount(lvl).min() >= 50  # terciles
    tr, te = data.wine_table("train"), data.wine_table("test")
    assert len(tr.x) + len(te.x) == 178 and t.features.shape == (178, 13)
    with pytest.raises(ValueError, match="discrete"):
        data.Table(t.x, t.columns, {12: 3}, label=0)


def test_mode_posteriors_match_scipy():
    means, stds, w = np.array([-1.0, 2.0, 5.0]), np.array([0.5, 1.0, 2.0]), np.array([0.2, 0.5, 0.3])
    c = np.linspace(-3, 8, 23)
    dens = w * norm.pdf(c[:, None], means, stds)
    np.testing.assert_allclose(T.mode_posteriors(c, means, stds, w), dens / dens.sum(1, keepdims=True),
                               rtol=1e-12)
    alpha, mode = T.mode_normalize(c, means, stds, w)
    np.testing.assert_array_equal(mode, dens.argmax(1))
    np.testing.assert_allclose(alpha, (c - means[mode]) / (4 * stds[mode]), rtol=1e-12)
    np.testing.assert_allclose(T.mode_denormalize(alpha, mode, means, stds), c, rtol=1e-12)
    with pytest.raises(ValueError, match="stds"):
        T.mode_posteriors(c, means, -stds, w)


def test_sampled_modes_follow_posteriors():
    means, stds, w = np.array([0.0, 1.0]), np.array([1.0, 1.0]), np.array([0.5, 0.5])
    c = np.full(20000, 0.5)  # equidistant: posterior (1/2, 1/2)
    alpha, mode = T.mode_normalize(c, means, stds, w, np.random.default_rng(0))
    assert abs(mode.mean() - 0.5) < 0.02  # 4.5 standard errors
    np.testing.assert_allclose(T.mode_denormalize(alpha, mode, means, stds), c, rtol=1e-12)


def test_transformer_round_trip(wine):
    train, tt = wine
    e = tt.encode(train.x, np.random.default_rng(0))
    assert e.shape == (len(train.x), tt.width) and e.dtype == np.float32
    spans = T._spans(tt.layout)
    for a, b, kind in spans:
        if kind != "alpha":
            np.testing.assert_array_equal(e[:, a:b].sum(1), 1)  # one-hots
    back = tt.decode(e)
    np.testing.assert_allclose(back, train.x, rtol=1e-6, atol=1e-6)  # float32 encoding
    np.testing.assert_array_equal(back[:, 12:], train.x[:, 12:])  # categories exactly
    e64 = tt.encode(train.x[:5])  # argmax modes, decoded in float64 by hand
    assert tt.layout[0] == (1, "alpha") and tt.layout[-1] == (3, "category")
    with pytest.raises(ValueError, match="encoded rows"):
        tt.decode(e64[:, :-1])
    with pytest.raises(ValueError, match="integer codes"):
        tt.encode(np.where(np.arange(14) == 13, 7.0, train.x[:5]))
    with pytest.raises(ValueError, match="not fitted"):
        T.TableTransformer().encode(train.x)


def test_conditional_sampler(wine):
    train, tt = wine
    s = T.ConditionalSampler.from_table(tt, train, np.random.default_rng(0))
    assert s.n_cond == 6
    a = s.sample(4000, torch.Generator().manual_seed(0))
    b = s.sample(4000, torch.Generator().manual_seed(0))
    torch.testing.assert_close(a, b)  # deterministic under a seed
    rows, cond = a[:, : tt.width].numpy(), a[:, tt.width:]
    assert ((cond == 0) | (cond == 1)).all() and (cond.sum(1) == 1).all()
    decoded = tt.decode(rows)
    pos = cond.argmax(1).numpy()
    col = np.where(pos < 3, 12, 13)
    np.testing.assert_array_equal(decoded[np.arange(len(pos)), col], pos % 3)  # rows match cond
    assert abs((pos < 3).mean() - 0.5) < 0.03  # column uniform
    counts = np.bincount(train.y, minlength=3)
    want = np.log1p(counts) / np.log1p(counts).sum()  # log-frequency
    got = np.bincount(pos[pos >= 3] - 3, minlength=3) / (pos >= 3).sum()
    np.testing.assert_allclose(got, want, atol=0.03)


def test_cond_from_z_inverse_cdf():
    freqs = ((0.25, 0.75), (0.5, 0.2, 0.3))
    z = torch.tensor(norm.ppf([[0.1, 0.2], [0.1, 0.3], [0.9, 0.45], [0.9, 0.6], [0.9, 0.9]]))
    got = T.cond_from_z(z, freqs).argmax(1).tolist()
    assert got == [0, 1, 2, 3, 4]


def test_conditional_loss_by_hand():
    raw = torch.randn(3, 8, dtype=torch.float64)
    spans = [(2, 4), (5, 8)]
    cond = torch.zeros(3, 5, dtype=torch.float64)
    cond[0, 1], cond[1, 2], cond[2, 4] = 1, 1, 1  # col 0 cat 1; col 1 cat 0; col 1 cat 2
    want = -(torch.log_softmax(raw[0, 2:4], 0)[1] + torch.log_softmax(raw[1, 5:8], 0)[0]
             + torch.log_softmax(raw[2, 5:8], 0)[2]) / 3
    torch.testing.assert_close(T.conditional_loss(raw, cond, spans), want)


def test_ctgan_builds_steps_and_samples(wine):
    train, tt = wine
    s = T.ConditionalSampler.from_table(tt, train, np.random.default_rng(0))
    shape = (tt.width + s.n_cond,)
    game = variants.build("ctgan", shape, **tt.options(), pac=4)
    before = {k: v.clone() for k, v in game.nets["G"].state_dict().items()}
    tr = Trainer(game, s, steps=1, batch=16, device="cpu", progress=False, ema_decay=0.0)
    tr.fit()
    assert any(not torch.equal(before[k], v) for k, v in game.nets["G"].state_dict().items())
    x = tr.sample(8, seed=0)
    assert x.shape == (8, tt.width)
    syn = T.decode_samples(x, tt, train)
    assert syn.x.shape == (8, 14) and set(syn.x[:, 13]) <= {0, 1, 2}
    with pytest.raises(ValueError, match="layout"):
        variants.build("ctgan", shape)
    with pytest.raises(ValueError, match="expects items"):
        variants.build("ctgan", (5,), **tt.options())
    with pytest.raises(ValueError, match="divisible"):
        game.nets["D"](torch.zeros(6, shape[0]))


def test_tstr_and_baseline(wine):
    train, _ = wine
    test = data.wine_table("test")
    assert T.tstr_accuracy(train, test) >= 0.9  # TRTR: the wine cultivars are separable
    naive = T.independent_columns(train, 500, np.random.default_rng(0))
    for j in range(14):  # every column keeps its marginal values
        assert set(naive.x[:, j]) <= set(train.x[:, j])
    one = data.Table(train.x[:3].copy(), train.columns, train.categories, train.label)
    one.x[:, 13] = 1
    assert T.tstr_accuracy(one, test) == pytest.approx((test.y == 1).mean())
