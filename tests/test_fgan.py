"""The f-GAN family against its formulas (Nowozin et al. 2016), in float64.

- activations, conjugates and the stable composites f*(g_f(v)) against numpy formulas;
- each conjugate is the Legendre transform of f: f*(t) = sup_u (u t - f(u)), by a
  numerical maximisation in scipy;
- at the optimal critic T* = f'(p/q) the bound equals the divergence, for two 1D
  Gaussians: against closed forms (KL, reverse KL, Pearson chi^2, squared Hellinger)
  and against ganlab.theory's JSD by quadrature (the paper's "js" f integrates to 2 JSD).
"""

import numpy as np
import pytest
import torch
from scipy.optimize import minimize_scalar
from torch.testing import assert_close

from ganlab import fgan, losses, theory

NAMES = sorted(fgan.FGAN)
rng = np.random.default_rng(0)
V = rng.normal(0.0, 1.5, size=301)


def t(a):
    return torch.tensor(a, dtype=torch.float64)


def sp(v):
    return np.logaddexp(0.0, v)


# name -> (g_f(v), f*(t)) written from Table 2 / Table 6 of the paper
FORMULAS = {
    "kl": (lambda v: v, lambda s: np.exp(s - 1)),
    "reverse_kl": (lambda v: -np.exp(-v), lambda s: -1 - np.log(-s)),
    "pearson": (lambda v: v, lambda s: s**2 / 4 + s),
    "hellinger": (lambda v: 1 - np.exp(-v), lambda s: s / (1 - s)),
    "js": (lambda v: np.log(2) - np.log(1 + np.exp(-v)), lambda s: -np.log(2 - np.exp(s))),
    "gan": (lambda v: -np.log(1 + np.exp(-v)), lambda s: -np.log(1 - np.exp(s))),
}


@pytest.mark.parametrize("name", NAMES)
def test_activation_conjugate_and_losses_match_formulas(name):
    div = fgan.FGAN[name]
    g, fstar = FORMULAS[name]
    assert_close(div.activation(t(V)), t(g(V)), rtol=1e-12, atol=1e-12)
    assert_close(div.conjugate(t(g(V))), t(fstar(g(V))), rtol=1e-12, atol=1e-12)
    assert_close(div.conj_act(t(V)), t(fstar(g(V))), rtol=1e-10, atol=1e-10)
    real, fake = V[:150], V[150:]
    bound = np.mean(g(real)) - np.mean(fstar(g(fake)))
    assert_close(div.d_loss(t(real), t(fake)), t(-bound), rtol=1e-10, atol=1e-10)
    assert_close(div.g_loss(t(fake)), t(-np.mean(g(fake))), rtol=1e-12, atol=1e-12)
    assert_close(div.g_loss_saturating(t(fake)), t(-np.mean(fstar(g(fake)))),
                 rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", NAMES)
def test_conjugate_is_the_legendre_transform_of_f(name):
    div = fgan.FGAN[name]
    for v in [-1.5, -0.3, 0.4, 1.2]:
        s = float(div.activation(t(v)))
        res = minimize_scalar(lambda u, s=s: -(u * s - div.f(np.float64(u))), bounds=(1e-9, 1e3),
                              method="bounded", options={"xatol": 1e-12})
        assert abs(-res.fun - float(div.conjugate(t(s)))) < 1e-7, (name, v)


@pytest.mark.parametrize("name", NAMES)
def test_optimal_critic_is_f_prime_of_the_ratio(name):
    div = fgan.FGAN[name]
    u = np.logspace(-2, 2, 41)
    h = 1e-6
    f_prime = (div.f(u + h) - div.f(u - h)) / (2 * h)
    assert_close(div.optimal_critic(t(np.log(u))), t(f_prime), rtol=1e-6, atol=1e-7)


def _hellinger_sq(m1, s1, m2, s2):  # integral (sqrt p - sqrt q)^2 = 2 (1 - Bhattacharyya)
    bc = np.sqrt(2 * s1 * s2 / (s1**2 + s2**2)) * np.exp(-((m1 - m2) ** 2) / (4 * (s1**2 + s2**2)))
    return 2 * (1 - bc)


M1, S1, M2, S2 = 0.0, 1.0, 1.0, 1.3  # P = N(0, 1) data, Q = N(1, 1.3^2) generator
CLOSED = {
    "kl": theory.kl_gaussians(M1, S1, M2, S2),
    "reverse_kl": theory.kl_gaussians(M2, S2, M1, S1),
    # chi^2(P||Q) = integral p^2/q - 1, Gaussian integral (needs 2/s1^2 > 1/s2^2)
    "pearson": (S2**2 / (S1 * np.sqrt(2 * S2**2 - S1**2))
                * np.exp((M1 - M2) ** 2 / (2 * S2**2 - S1**2)) - 1),
    "hellinger": _hellinger_sq(M1, S1, M2, S2),
}
X = np.linspace(-12, 12, 24_001)  # both densities stay positive (p/q defined) on it


@pytest.mark.parametrize("name", NAMES)
def test_bound_at_optimal_critic_equals_the_divergence(name):
    p, q = theory.gaussian_pdf(M1, S1), theory.gaussian_pdf(M2, S2)
    div = fgan.FGAN[name]
    log_ratio = np.log(p(X)) - np.log(q(X))

    def v_star(x):
        return div.optimal_score(t(np.interp(x, X, log_ratio))).numpy()

    bound = fgan.fgan_bound(name, v_star, p, q, X)
    true = fgan.f_divergence(name, p, q, X)
    if name in CLOSED:
        assert abs(true - CLOSED[name]) < 1e-8, (true, CLOSED[name])
    if name == "js":
        assert abs(true - 2 * theory.jsd(p, q)) < 1e-8  # the paper's f gives 2 JSD
    if name == "gan":
        assert abs(true - (2 * theory.jsd(p, q) - np.log(4))) < 1e-8
    assert abs(bound - true) < 1e-6, (bound, true)
    # any other critic gives less: the bound is a lower bound
    worse = fgan.fgan_bound(name, lambda x: 0.8 * v_star(x), p, q, X)
    assert worse < true - 1e-4


def test_losses_registry_holds_the_family():
    for name in ["kl", "reverse_kl", "js", "pearson", "hellinger"]:
        d_fn, g_fn, needs_real = losses.LOSSES[f"fgan_{name}"]
        assert not needs_real
        r, f = t(V[:10]), t(V[10:20])
        assert_close(d_fn(r, f), losses.FGAN[name].d_loss(r, f))
        assert_close(g_fn(f), losses.FGAN[name].g_loss(f))


def test_unknown_divergence_is_refused():
    with pytest.raises(ValueError, match="unknown f-divergence"):
        fgan.f_divergence("tv", theory.gaussian_pdf(0, 1), theory.gaussian_pdf(0, 1))
