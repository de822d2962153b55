import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from scipy import integrate as sci
from scipy.stats import norm

from ganlab import losses, theory
from ganlab.theory import gaussian_pdf


def test_gaussian_pdf_matches_scipy():
    x = np.linspace(-5, 5, 101)
    assert_allclose(gaussian_pdf(0.5, 1.5)(x), norm(0.5, 1.5).pdf(x), rtol=1e-13)
    theory.check_grid(gaussian_pdf(3.0, 0.2))
    with pytest.raises(ValueError, match="widen"):
        theory.check_grid(gaussian_pdf(19.0, 1.0))
    with pytest.raises(ValueError):
        gaussian_pdf(0.0, 0.0)


def test_kl_gaussians_closed_form():
    for m1, s1, m2, s2 in [(0, 1, 1, 1), (0.5, 0.7, -1, 2.0), (2, 1.5, 0, 1)]:
        got = theory.kl(gaussian_pdf(m1, s1), gaussian_pdf(m2, s2))
        assert_allclose(got, theory.kl_gaussians(m1, s1, m2, s2), rtol=1e-9, atol=1e-12)


def test_jsd_identical_is_zero_and_disjoint_is_log2():
    p = gaussian_pdf(0.0, 1.0)
    assert abs(theory.jsd(p, p)) < 1e-12
    far = theory.jsd(gaussian_pdf(-8.0, 0.5), gaussian_pdf(8.0, 0.5))
    assert_allclose(far, np.log(2), atol=1e-12)


def test_jsd_matches_scipy_quad():
    p, q = norm(0, 1), norm(1.5, 0.6)

    def integrand(x):
        m = 0.5 * (p.pdf(x) + q.pdf(x))
        return 0.5 * p.pdf(x) * np.log(p.pdf(x) / m) + 0.5 * q.pdf(x) * np.log(q.pdf(x) / m)

    want, _ = sci.quad(integrand, -12, 12, limit=200, epsabs=1e-13)
    got = theory.jsd(gaussian_pdf(0, 1), gaussian_pdf(1.5, 0.6))
    assert_allclose(got, want, atol=1e-10)


def test_c_of_g_is_minus_log4_plus_2jsd():
    # q at least as wide as p in both tails, so that D* never rounds to exactly 1 where q > 0
    p = gaussian_pdf(0.0, 1.0)
    for q in [gaussian_pdf(0.0, 1.0), gaussian_pdf(1.0, 1.2), theory.mixture_pdf([-1, 3], [1, 1.5])]:
        c = theory.c_of_g(p, q)
        assert_allclose(c, -theory.LOG4 + 2 * theory.jsd(p, q), atol=1e-12)
        assert_allclose(theory.value_function(theory.optimal_d(p, q), p, q), c, atol=1e-12)
    assert_allclose(theory.c_of_g(p, p), -np.log(4), atol=1e-12)


def test_optimal_d_maximises_v():
    p, q = gaussian_pdf(0.0, 1.0), gaussian_pdf(1.0, 1.5)
    v_star = theory.value_function(theory.optimal_d(p, q), p, q)
    d_star = theory.optimal_d(p, q)
    for eps in (0.05, -0.05):
        def perturbed(x, eps=eps):
            return np.clip(d_star(x) + eps * np.exp(-x**2), 1e-9, 1 - 1e-9)
        assert theory.value_function(perturbed, p, q) < v_star
    assert theory.value_function(lambda x: np.full_like(x, 0.5), p, q) < v_star
    with pytest.raises(ValueError, match="probabilities"):
        theory.value_function(lambda x: x, p, q)


def test_value_function_with_logits():
    p, q = gaussian_pdf(0.0, 1.0), gaussian_pdf(2.0, 0.5)  # q narrower: D* rounds to 1 in the tail
    v = theory.value_function(theory.optimal_logit(p, q), p, q, logits=True)
    assert_allclose(v, theory.c_of_g(p, q), atol=1e-12)
    assert theory.value_function(theory.optimal_d(p, q), p, q) == -np.inf
    s = lambda x: 0.3 * x - 0.1  # noqa: E731
    d = lambda x: 1 / (1 + np.exp(-s(x)))  # noqa: E731
    assert_allclose(theory.value_function(s, p, q, logits=True), theory.value_function(d, p, q),
                    atol=1e-12)


def test_optimal_d_half_where_both_vanish():
    d = theory.optimal_d(gaussian_pdf(0, 0.01), gaussian_pdf(0, 0.01))
    assert_allclose(d(np.array([0.0, 19.0])), [0.5, 0.5])


@pytest.mark.parametrize(
    "kind,fn",
    [
        ("minimax", losses.g_minimax),
        ("nonsaturating", losses.g_nonsaturating),
        ("maxlikelihood", losses.g_maxlikelihood),
    ],
)
def test_g_loss_grad_matches_autograd_of_losses(kind, fn):
    d = np.linspace(0.001, 0.999, 57)
    s = torch.logit(torch.tensor(d, dtype=torch.float64)).requires_grad_(True)
    (grad,) = torch.autograd.grad(fn(s) * len(d), s)  # the losses are means: undo the 1/n
    torch.testing.assert_close(grad, torch.from_numpy(theory.g_loss_grad(kind, d)))


def test_g_loss_grad_errors():
    with pytest.raises(ValueError, match="nonsaturating"):
        theory.g_loss_grad("wgan", np.array([0.5]))
    with pytest.raises(ValueError):
        theory.g_loss_grad("minimax", np.array([1.0]))


def test_bulk_is_between_the_mixture_quantiles():
    from scipy.optimize import brentq

    step = theory.GRID[1] - theory.GRID[0]
    p = gaussian_pdf(0.0, 1.0)
    inside = theory.GRID[theory.bulk(p, p, mass=0.99)]
    assert_allclose([inside[0], inside[-1]], [norm.ppf(0.005), norm.ppf(0.995)], atol=step)
    q = gaussian_pdf(2.0, 0.5)
    cdf = lambda t: 0.5 * norm.cdf(t) + 0.5 * norm.cdf(t, 2.0, 0.5)  # noqa: E731
    lo, hi = (brentq(lambda t, a=a: cdf(t) - a, -10, 10) for a in (0.025, 0.975))
    inside = theory.GRID[theory.bulk(p, q, mass=0.95)]
    assert_allclose([inside[0], inside[-1]], [lo, hi], atol=step)
    assert np.all(np.diff(np.flatnonzero(theory.bulk(p, q))) == 1)  # one interval
    with pytest.raises(ValueError, match="strictly between"):
        theory.bulk(p, q, mass=1.0)
