"""Discriminator rejection sampling: the acceptance rule against its formula, and exact
recovery of a target distribution when the density ratio is known in closed form."""

import math

import pytest
import torch

from ganlab import data, rejection, variants
from ganlab.train import Trainer


def test_acceptance_logit_matches_formula_float64():
    logits = torch.tensor([-3.0, -0.5, 0.7, 1.999], dtype=torch.float64)
    d_max, gamma, eps = 2.0, 0.3, 1e-4
    got = rejection.acceptance_logit(logits, d_max, gamma, eps)
    for g, d in zip(got, logits.tolist()):
        ref = d - d_max - math.log(1 - math.exp(d - d_max - eps)) - gamma
        assert math.isclose(float(g), ref, rel_tol=1e-12, abs_tol=1e-12)
    p = rejection.acceptance_prob(logits, d_max, gamma, eps)
    torch.testing.assert_close(p, 1 / (1 + torch.exp(-got)))


def test_gamma_zero_is_plain_rejection_sampling():
    # sigmoid(F) with gamma = 0, eps -> 0 is exp(D - D_M) = p_data / (M p_g)
    logits = torch.linspace(-8, 0.0, 50, dtype=torch.float64)
    p = rejection.acceptance_prob(logits, 0.0, gamma=0.0, eps=1e-12)
    torch.testing.assert_close(p, torch.exp(logits), rtol=1e-9, atol=1e-9)
    p_hi = rejection.acceptance_prob(logits, 0.0, gamma=2.0)
    assert (p_hi < p).all()  # larger gamma, fewer acceptances


def test_percentile_gamma_centres_f():
    logits = torch.randn(1001, dtype=torch.float64)
    gamma = rejection.percentile_gamma(logits, logits.max(), 80)
    f = rejection.acceptance_logit(logits, logits.max(), gamma)
    assert abs(float(torch.quantile(f, 0.8))) < 1e-9


def _oracle(p_data, p_g):
    gen = torch.Generator().manual_seed(0)

    def sample(m):
        return p_g.sample(m, generator=gen)

    return sample, lambda x: p_data.log_prob(x) - p_g.log_prob(x)  # D*'s logit = log p_d/p_g


def test_oracle_ratio_recovers_a_gaussian():
    p_data = data.Mixture(torch.zeros(1, 1), 1.0)
    p_g = data.Mixture(torch.zeros(1, 1), 2.0)
    sample, logit = _oracle(p_data, p_g)
    x, stats = rejection.rejection_sample(sample, logit, 20_000, burn_in=20_000, gamma=0.0,
                                          eps=1e-9, batch=5000,
                                          generator=torch.Generator().manual_seed(1))
    x = x.double().flatten()
    assert abs(float(x.mean())) < 0.03
    assert abs(float(x.var()) - 1.0) < 0.05  # p_g's variance is 4
    within = float((x.abs() < 1).double().mean())
    assert abs(within - math.erf(1 / math.sqrt(2))) < 0.015
    assert abs(stats["max_logit"] - math.log(2)) < 1e-3  # max log(N(0,1)/N(0,4)) = log 2 at 0
    assert abs(stats["acceptance"] - 0.5) < 0.02  # 1 / M = 1/2


def test_oracle_ratio_recovers_a_mixture():
    p_data = data.two_gaussians_1d()  # N(-2, 0.5^2) and N(2, 0.5^2), equal weights
    p_g = data.Mixture(torch.zeros(1, 1), 3.0)
    sample, logit = _oracle(p_data, p_g)
    x, _ = rejection.rejection_sample(sample, logit, 10_000, burn_in=20_000, gamma=0.0,
                                      eps=1e-9, batch=5000,
                                      generator=torch.Generator().manual_seed(2))
    x = x.double().flatten()
    assert abs(float((x > 0).double().mean()) - 0.5) < 0.02
    assert abs(float(x.abs().mean()) - 2.0) < 0.03
    assert abs(float(x.abs().std()) - 0.5) < 0.03
    # without rejection, p_g's |x| has mean 3 sqrt(2/pi) = 2.39 and std 1.81
    raw = sample(10_000).double().flatten()
    assert float(raw.abs().std()) > 1.5


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="exceeds the max logit"):
        rejection.acceptance_logit(torch.tensor([1.0, 3.0]), 2.0)
    with pytest.raises(ValueError, match="eps"):
        rejection.acceptance_logit(torch.tensor([1.0]), 2.0, eps=0.0)
    with pytest.raises(ValueError, match="percentile"):
        rejection.percentile_gamma(torch.tensor([1.0]), 2.0, 150)
    with pytest.raises(ValueError, match=">= 1"):
        rejection.rejection_sample(lambda m: torch.zeros(m, 1), lambda x: x[:, 0], 0)
    with pytest.raises(ValueError, match="lower gamma"):
        rejection.rejection_sample(lambda m: torch.randn(m, 1), lambda x: x[:, 0], 10,
                                   burn_in=100, gamma=60.0, batch=100, max_draws=1000)


def test_calibration_game_trains_d_only():
    game = variants.build("gan", (2,), width=8, depth=2)
    cal = rejection.calibration_game(game)
    assert [p.name for p in cal.phases] == ["D"] and list(cal.teams) == ["D"]
    g0 = [p.detach().clone() for p in game.nets["G"].parameters()]
    d0 = [p.detach().clone() for p in game.nets["D"].parameters()]
    Trainer(cal, data.grid(), steps=2, batch=16, ema_decay=0, progress=False, device="cpu").fit()
    assert all(torch.equal(a, b) for a, b in zip(g0, game.nets["G"].parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(d0, game.nets["D"].parameters()))
    with pytest.raises(ValueError, match="no phase"):
        rejection.calibration_game(game, "critic")
