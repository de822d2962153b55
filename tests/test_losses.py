"""Every loss against its formula, evaluated independently in float64 numpy."""

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from ganlab import losses

rng = np.random.default_rng(0)
REAL = rng.normal(0.5, 1.5, size=257)
FAKE = rng.normal(-0.5, 1.5, size=257)


def sig(s):
    return 1.0 / (1.0 + np.exp(-s))


def t(a):
    return torch.tensor(a, dtype=torch.float64)


CASES = {
    "d_loss": (lambda r, f: -np.mean(np.log(sig(r))) - np.mean(np.log(1 - sig(f))),
               lambda r, f: losses.d_loss(t(r), t(f))),
    "g_minimax": (lambda r, f: np.mean(np.log(1 - sig(f))), lambda r, f: losses.g_minimax(t(f))),
    "g_nonsaturating": (lambda r, f: -np.mean(np.log(sig(f))),
                        lambda r, f: losses.g_nonsaturating(t(f))),
    "g_maxlikelihood": (lambda r, f: -0.5 * np.mean(sig(f) / (1 - sig(f))),
                        lambda r, f: losses.g_maxlikelihood(t(f))),
    "d_least_squares": (lambda r, f: 0.5 * np.mean((r - 1) ** 2) + 0.5 * np.mean((f + 1) ** 2),
                        lambda r, f: losses.d_least_squares(t(r), t(f))),
    "d_least_squares_01": (lambda r, f: 0.5 * np.mean((r - 1) ** 2) + 0.5 * np.mean(f**2),
                           lambda r, f: losses.d_least_squares(t(r), t(f), a=0.0, b=1.0)),
    "g_least_squares": (lambda r, f: 0.5 * np.mean(f**2), lambda r, f: losses.g_least_squares(t(f))),
    "g_least_squares_01": (lambda r, f: 0.5 * np.mean((f - 1) ** 2),
                           lambda r, f: losses.g_least_squares(t(f), c=1.0)),
    "d_least_squares_01_named": (lambda r, f: 0.5 * np.mean((r - 1) ** 2) + 0.5 * np.mean(f**2),
                                 lambda r, f: losses.d_least_squares_01(t(r), t(f))),
    "g_least_squares_01_named": (lambda r, f: 0.5 * np.mean((f - 1) ** 2),
                                 lambda r, f: losses.g_least_squares_01(t(f))),
    "d_hinge": (lambda r, f: np.mean(np.maximum(0, 1 - r)) + np.mean(np.maximum(0, 1 + f)),
                lambda r, f: losses.d_hinge(t(r), t(f))),
    "g_hinge": (lambda r, f: -np.mean(f), lambda r, f: losses.g_hinge(t(f))),
    "d_wasserstein": (lambda r, f: np.mean(f) - np.mean(r),
                      lambda r, f: losses.d_wasserstein(t(r), t(f))),
    "g_wasserstein": (lambda r, f: -np.mean(f), lambda r, f: losses.g_wasserstein(t(f))),
    "d_relativistic": (lambda r, f: -np.mean(np.log(sig(r - f))),
                       lambda r, f: losses.d_relativistic(t(r), t(f))),
    "g_relativistic": (lambda r, f: -np.mean(np.log(sig(f - r))),
                       lambda r, f: losses.g_relativistic(t(r), t(f))),
    "d_relativistic_avg": (
        lambda r, f: -np.mean(np.log(sig(r - f.mean()))) - np.mean(np.log(1 - sig(f - r.mean()))),
        lambda r, f: losses.d_relativistic_avg(t(r), t(f))),
    "g_relativistic_avg": (
        lambda r, f: -np.mean(np.log(sig(f - r.mean()))) - np.mean(np.log(1 - sig(r - f.mean()))),
        lambda r, f: losses.g_relativistic_avg(t(r), t(f))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_loss_matches_formula(name):
    ref, fn = CASES[name]
    got = fn(REAL, FAKE)
    assert got.dtype == torch.float64
    assert_close(got, t(ref(REAL, FAKE)), rtol=1e-12, atol=1e-12)


def test_generator_gradients_match_closed_forms():
    # d/df of the per-sample G losses as functions of s = sigmoid(f):
    # minimax log(1-s): -s; non-saturating -log s: -(1-s); max-likelihood -1/2 s/(1-s): -1/2 s/(1-s)
    f = torch.linspace(-6, 6, 101, dtype=torch.float64, requires_grad=True)
    s = torch.sigmoid(f).detach()
    for fn, expected in [
        (losses.g_minimax, -s),
        (losses.g_nonsaturating, -(1 - s)),
        (losses.g_maxlikelihood, -0.5 * s / (1 - s)),
    ]:
        (g,) = torch.autograd.grad(fn(f) * f.numel(), f)
        assert_close(g, expected, rtol=1e-12, atol=1e-14)


def test_saturating_gradient_vanishes_when_d_is_confident():
    f = torch.tensor([-10.0], dtype=torch.float64, requires_grad=True)  # D(G(z)) ~ 4.5e-5
    (g_sat,) = torch.autograd.grad(losses.g_minimax(f), f)
    (g_ns,) = torch.autograd.grad(losses.g_nonsaturating(f), f)
    assert abs(g_sat.item()) < 1e-4 < 0.99 < abs(g_ns.item())


def test_losses_finite_for_extreme_logits():
    big = torch.tensor([-1e4, 1e4])
    for name, (d_fn, g_fn, needs_real) in losses.LOSSES.items():
        if name == "maxlikelihood" or name.startswith("fgan_") and name != "fgan_js":
            continue  # exp(logit) or v^2 is unbounded by definition
        assert torch.isfinite(d_fn(big, big.flip(0))), name
        g = g_fn(big, big.flip(0)) if needs_real else g_fn(big)
        assert torch.isfinite(g), name


def test_optimal_discriminator_value_is_minus_log4():
    # With p_g = p_data the optimal D outputs 1/2 (logit 0) and V = -log 4, so d_loss = log 4.
    zero = torch.zeros(10, dtype=torch.float64)
    assert_close(losses.d_loss(zero, zero), torch.tensor(np.log(4.0), dtype=torch.float64))


def test_relativistic_requires_paired_batches():
    with pytest.raises(ValueError, match="equal batch sizes"):
        losses.d_relativistic(torch.zeros(4), torch.zeros(5))


def test_non_tensor_input_is_refused():
    with pytest.raises(TypeError, match="floating-point tensor"):
        losses.g_hinge(torch.zeros(3, dtype=torch.long))
