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


# --- stochastic D, move order, NCE -----------------------------------------------------


def test_beta_kernel_value_matches_monte_carlo_and_tends_to_v_of_mean():
    from scipy.stats import beta as beta_dist

    p, q = gaussian_pdf(0.0, 1.0), gaussian_pdf(1.0, 0.8)
    x = np.linspace(-8, 8, 161)
    d_star, s_star = theory.optimal_d(p, q), theory.optimal_logit(p, q)
    conc = 5.0

    def mean_logit(t):
        m = 0.2 + 0.6 * d_star(t)  # in [0.2, 0.8]: Beta parameters >= 1
        return np.log(m) - np.log1p(-m)

    # independent: E log Y and E log(1 - Y) by scipy's Beta quadrature at each x
    m = 0.2 + 0.6 * d_star(x)
    e_log_y = np.array([beta_dist(conc * mi, conc * (1 - mi)).expect(np.log) for mi in m])
    e_log_1my = np.array([beta_dist(conc * mi, conc * (1 - mi)).expect(lambda t: np.log1p(-t))
                          for mi in m])
    want = theory.integrate(p(x) * e_log_y + q(x) * e_log_1my, x)
    assert_allclose(theory.beta_kernel_value(mean_logit, conc, p, q, x=x), want, rtol=1e-7)
    # a kernel concentrated on its mean scores V(mean); a spread one strictly less
    v_star = theory.value_function(s_star, p, q, logits=True)
    assert_allclose(theory.beta_kernel_value(s_star, 1e9, p, q), v_star, atol=1e-6)
    assert theory.beta_kernel_value(s_star, 3.0, p, q) < v_star - 1e-3
    with pytest.raises(ValueError):
        theory.beta_kernel_value(s_star, 0.0, p, q)


def test_pure_and_mixed_minmax_matching_pennies_and_2x2_closed_form():
    pennies = np.array([[1.0, -1.0], [-1.0, 1.0]])
    assert theory.pure_minmax(pennies) == (1.0, -1.0)
    vg, vd, xs, ys = theory.mixed_minmax(pennies)
    assert_allclose([vg, vd], [0.0, 0.0], atol=1e-10)
    assert_allclose(xs, [0.5, 0.5], atol=1e-10)
    # 2x2 without a saddle: value (ad - bc) / (a + d - b - c), x1 = (d - c) / (a + d - b - c)
    a, b, c, d = 3.0, -1.0, -2.0, 1.0
    A = np.array([[a, b], [c, d]])
    vg, vd, xs, ys = theory.mixed_minmax(A)
    den = a + d - b - c
    assert_allclose([vg, vd], [(a * d - b * c) / den] * 2, rtol=1e-9)
    assert_allclose(xs[0], (d - c) / den, rtol=1e-9)
    assert_allclose(ys[0], (d - b) / den, rtol=1e-9)
    assert_allclose(theory.exploitability(A, xs, ys), 0.0, atol=1e-9)
    assert theory.exploitability(A, np.array([1.0, 0.0]), np.array([1.0, 0.0])) > 1.0
    # rock-paper-scissors: value 0, uniform strategies
    rps = np.array([[0, 1, -1], [-1, 0, 1], [1, -1, 0]], float)
    vg, vd, xs, ys = theory.mixed_minmax(rps)
    assert_allclose([vg, vd], [0, 0], atol=1e-10)
    assert_allclose(ys, np.full(3, 1 / 3), atol=1e-9)


def test_bilinear_dynamics_closed_form_rates():
    lr, n = 0.1, 200
    r = lambda path: np.hypot(*path.T)  # noqa: E731
    sim = theory.bilinear_dynamics("simultaneous", lr, n, (0.6, 0.8))
    assert_allclose(r(sim), (1 + lr**2) ** (np.arange(n + 1) / 2), rtol=1e-12)
    eg = theory.bilinear_dynamics("extragradient", lr, n, (0.6, 0.8))
    assert_allclose(r(eg), (1 - lr**2 + lr**4) ** (np.arange(n + 1) / 2), rtol=1e-12)
    alt = theory.bilinear_dynamics("alternating", lr, n, (1.0, 0.0))
    M = np.array([[1, -lr], [lr, 1 - lr**2]])  # one alternating step as a matrix
    assert_allclose(alt[n], np.linalg.matrix_power(M, n) @ [1.0, 0.0], rtol=1e-10, atol=1e-12)
    # conserved: x^2 + y^2 - lr x y evaluated at (x_k, y_k) with x_k the new x ... bounded
    assert 0.9 < r(alt).max() < 1.2
    with pytest.raises(ValueError):
        theory.bilinear_dynamics("adam", lr, n)


def test_density_from_logit_inverts_the_optimal_logit():
    p, q = theory.mixture_pdf([-1.0, 1.5], [0.5, 0.7]), gaussian_pdf(0.0, 3.0)
    x = np.linspace(-6, 6, 241)
    assert_allclose(theory.density_from_logit(theory.optimal_logit(p, q), q)(x), p(x),
                    rtol=1e-10)
    wrong = theory.density_from_logit(lambda t: 2 * theory.optimal_logit(p, q)(t), q)(x)
    assert np.abs(wrong - p(x)).max() > 0.1
