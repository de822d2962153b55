"""GAN anomaly detection (ganlab.anomaly): AUROC, the scores, the latent search, the game."""

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from ganlab import anomaly as AN
from ganlab import variants
from ganlab.train import Trainer


def test_auroc_matches_scikit_learn_with_and_without_ties():
    rng = np.random.default_rng(0)
    for ties in (False, True):
        a, b = rng.normal(0, 1, 70), rng.normal(0.8, 1.3, 23)
        if ties:
            a, b = np.round(a), np.round(b)
        want = roc_auc_score(np.r_[np.zeros(70), np.ones(23)], np.r_[a, b])
        assert AN.auroc(a, b) == pytest.approx(want, abs=1e-12)
        assert AN.auroc(torch.tensor(a), torch.tensor(b)) == pytest.approx(want, abs=1e-12)
    assert AN.auroc([0, 1], [2, 3]) == 1.0 and AN.auroc([2, 3], [0, 1]) == 0.0
    assert AN.auroc([1, 1], [1]) == 0.5
    with pytest.raises(ValueError, match="both groups"):
        AN.auroc([], [1.0])


def test_anomaly_score_against_a_hand_computation():
    x = torch.tensor([[[[1.0, -1.0], [0.5, 0.0]]]])
    x_hat = torch.zeros_like(x)
    assert AN.anomaly_score(x, x_hat).item() == pytest.approx(2.5 / 4)
    assert AN.anomaly_score(x, x_hat, power=2).item() == pytest.approx(2.25 / 4)
    f = lambda v: torch.cat([v.flatten(1).sum(1, keepdim=True), 2 * v.flatten(1)[:, :1]], 1)  # noqa: E731
    # f(x) = [0.5, 2], f(0) = [0, 0]: mean |.| = 1.25
    assert AN.anomaly_score(x, x_hat, f, lam=0.1).item() == pytest.approx(0.9 * 0.625 + 0.1 * 1.25)
    with pytest.raises(ValueError, match="one shape"):
        AN.anomaly_score(x, x_hat[..., :1])


def test_search_z_recovers_a_known_latent_of_a_fixed_generator():
    g = torch.Generator().manual_seed(0)
    lin = torch.nn.Linear(3, 12, bias=True).double()
    with torch.no_grad():
        lin.weight.copy_(torch.randn(12, 3, generator=g, dtype=torch.float64))
    G = torch.nn.Sequential(lin, torch.nn.Tanh(), torch.nn.Unflatten(1, (1, 3, 4)))
    z_true = 0.5 * torch.randn(6, 3, generator=g, dtype=torch.float64)
    x = G(z_true).detach()
    z, score = AN.search_z(G, x, torch.zeros(6, 3, dtype=torch.float64), steps=1500, lr=0.02,
                           power=2)
    torch.testing.assert_close(z, z_true, atol=1e-4, rtol=0)
    assert score.max().item() < 1e-8
    z1, _ = AN.search_z(G, x, torch.zeros(6, 3, dtype=torch.float64), steps=1500, lr=0.02)
    torch.testing.assert_close(z1, z_true, atol=2e-2, rtol=0)  # AnoGAN's L1: Adam hovers near it
    assert all(p.requires_grad for p in G.parameters())  # G's flags restored
    # an image G cannot make keeps a residual: the search does not fake a fit
    far = torch.full_like(x, 1.5)  # outside tanh's range
    _, s_far = AN.search_z(G, far, torch.zeros(6, 3, dtype=torch.float64), steps=300, lr=0.02)
    assert s_far.min().item() > 0.4


def test_encoder_score_is_izi_f():
    g = torch.Generator().manual_seed(1)
    G = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Unflatten(1, (1, 4, 4)))
    E = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 4))
    x = torch.randn(5, 1, 4, 4, generator=g)
    f = lambda v: v.flatten(1)[:, :3] * 2  # noqa: E731
    with torch.no_grad():
        xh = G(E(x))
        want = (x - xh).square().flatten(1).mean(1) + 0.5 * (f(x) - f(xh)).square().mean(1)
    torch.testing.assert_close(AN.encoder_score(G, E, x, f, kappa=0.5), want)


def test_digits_without_drops_exactly_one_class():
    d = AN.digits_without(3, 16, "train")
    assert (d.y != 3).all() and set(d.y.tolist()) == set(range(10)) - {3}
    from ganlab import data

    full = data.digits(16, "train")
    assert len(d) == int((full.y != 3).sum())
    with pytest.raises(ValueError, match="digit class"):
        AN.digits_without(10)


def test_anogan_preset_trains_e_through_a_frozen_g():
    game = variants.build("anogan", (1, 16, 16), width=8, nz=8)
    assert set(game.nets) == {"G", "D", "E"} and game.samples
    ds = AN.digits_without(0)
    tr = Trainer(game, ds, steps=3, batch=8, progress=False, device="cpu", log_every=1)
    hist = tr.fit()
    assert {"D/loss", "G/loss", "E/loss"} <= set(hist[-1])
    e = game.nets["E"].eval()
    assert e(ds.x[:4]).shape == (4, 8)
