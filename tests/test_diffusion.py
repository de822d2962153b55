"""DDPM against its maths: the schedule, q(x_t | x_0) against a float64 closed form and the
iterated forward process, the posterior against Gaussian conditioning, the simple loss's
minimum for Gaussian data, and samplers that recover a Gaussian given its exact noise
predictor (with a wrong predictor as the check that the tolerance discriminates)."""

import math

import numpy as np
import pytest
import torch

from ganlab import data, diffusion, variants
from ganlab.train import Trainer

G64 = torch.float64


def _sched(T=100):
    return diffusion.Schedule(diffusion.linear_betas(T)).double()


def test_linear_schedule_is_hos_and_scales_with_T():
    b = diffusion.linear_betas(1000)
    torch.testing.assert_close(b, torch.from_numpy(np.linspace(1e-4, 0.02, 1000)))
    b200 = diffusion.linear_betas(200)  # ends scaled by 1000 / 200
    assert math.isclose(b200[0].item(), 5e-4, rel_tol=1e-12)
    assert math.isclose(b200[-1].item(), 0.1, rel_tol=1e-12)
    s = diffusion.Schedule(b200).double()
    abar = np.cumprod(1 - np.linspace(5e-4, 0.1, 200))
    np.testing.assert_allclose(s.abar.numpy(), abar, rtol=1e-6)
    np.testing.assert_allclose(s.abar_prev.numpy()[1:], abar[:-1], rtol=1e-6)
    assert s.abar_prev[0] == 1.0
    with pytest.raises(ValueError, match="beta_T < 1"):
        diffusion.linear_betas(15)


def test_q_is_the_iterated_forward_process_exactly_in_mean_and_variance():
    s = _sched(100)
    x0 = torch.tensor([[1.5, -0.7, 0.0, 3.0]], dtype=G64)
    mean, var = x0.clone(), torch.zeros_like(x0)
    for i in range(s.T):  # x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) eps, moment by moment
        beta = s.betas[i].item()
        mean, var = math.sqrt(1 - beta) * mean, (1 - beta) * var + beta
        qm, qv = diffusion.q_mean_var(s, x0, torch.tensor([i]))
        torch.testing.assert_close(qm, mean, rtol=1e-6, atol=1e-7)
        torch.testing.assert_close(qv, var, rtol=1e-6, atol=1e-7)
    # the float64 closed form, computed independently
    betas = np.linspace(1e-4 * 10, 0.02 * 10, 100)
    abar = np.prod(1 - betas[:50])
    qm, qv = diffusion.q_mean_var(s, x0, torch.tensor([49]))
    np.testing.assert_allclose(qm.numpy(), math.sqrt(abar) * x0.numpy(), rtol=1e-6)
    np.testing.assert_allclose(qv.numpy(), np.full((1, 4), 1 - abar), rtol=1e-6)


def test_q_sample_matches_a_simulated_chain_in_distribution():
    s, n = _sched(100), 100_000
    g = torch.Generator().manual_seed(0)
    x0 = torch.tensor([2.0, -1.0], dtype=G64).expand(n, 2)
    x = x0.clone()
    checks = {9, 49, 99}
    for i in range(s.T):
        beta = s.betas[i]
        x = (1 - beta).sqrt() * x + beta.sqrt() * torch.randn(n, 2, generator=g, dtype=G64)
        if i in checks:
            t = torch.full((n,), i)
            direct = diffusion.q_sample(s, x0, t, torch.randn(n, 2, generator=g, dtype=G64))
            qm, qv = diffusion.q_mean_var(s, x0[:1], t[:1])
            for sample in (x, direct):  # the chain and the closed form, against q's moments
                se = (qv / n).sqrt()
                assert ((sample.mean(0) - qm[0]).abs() < 5 * se[0]).all()
                assert ((sample.var(0) / qv[0] - 1).abs() < 5 * math.sqrt(2 / n)).all()


def test_posterior_is_gaussian_conditioning():
    s = _sched(100)
    g = torch.Generator().manual_seed(1)
    x0, xt = torch.randn(7, 3, generator=g, dtype=G64), torch.randn(7, 3, generator=g, dtype=G64)
    t = torch.tensor([1, 2, 10, 40, 70, 98, 99])
    mean, var = diffusion.posterior_mean_var(s, x0, xt, t)
    # Bayes: prior x_{t-1} | x_0 ~ N(sqrt(abar_{t-1}) x_0, 1 - abar_{t-1}), likelihood
    # x_t | x_{t-1} ~ N(sqrt(alpha_t) x_{t-1}, beta_t); product of the two Gaussians
    betas = torch.from_numpy(np.linspace(1e-3, 0.2, 100))
    abar = torch.cumprod(1 - betas, 0)
    ap, b = abar[t - 1][:, None], betas[t][:, None]
    prec = 1 / (1 - ap) + (1 - b) / b
    ref_var = 1 / prec
    ref_mean = ref_var * (ap.sqrt() * x0 / (1 - ap) + (1 - b).sqrt() * xt / b)
    torch.testing.assert_close(var, ref_var.expand_as(var), rtol=1e-5, atol=1e-9)
    torch.testing.assert_close(mean, ref_mean, rtol=1e-5, atol=1e-6)
    # at the first step (abar_{-1} = 1) the posterior is the point x_0
    m0, v0 = diffusion.posterior_mean_var(s, x0, xt, torch.zeros(7, dtype=torch.long))
    torch.testing.assert_close(m0, x0)
    assert (v0 == 0).all()


def test_reverse_mean_is_algorithm_2s_and_clipping_only_acts_outside_the_range():
    s = _sched(100)
    g = torch.Generator().manual_seed(8)
    x, e = torch.randn(6, 2, generator=g, dtype=G64), torch.randn(6, 2, generator=g, dtype=G64)
    t = torch.tensor([0, 1, 5, 50, 98, 99])
    eps_fn = lambda x_, t_: e  # noqa: E731
    beta, abar, alpha = s.betas[t][:, None], s.abar[t][:, None], s.alphas[t][:, None]
    ref = (x - beta / (1 - abar).sqrt() * e) / alpha.sqrt()  # algorithm 2, line 4
    torch.testing.assert_close(diffusion.reverse_mean(eps_fn, s, x, t), ref, rtol=1e-5, atol=1e-6)
    wide = diffusion.reverse_mean(eps_fn, s, x, t, clip=1e6)  # a clip nothing reaches
    torch.testing.assert_close(wide, ref, rtol=1e-5, atol=1e-6)
    x0 = diffusion.predict_x0(s, x, t, e).clamp(-0.5, 0.5)
    clipped = s.post_x0[t][:, None] * x0 + s.post_xt[t][:, None] * x
    torch.testing.assert_close(diffusion.reverse_mean(eps_fn, s, x, t, clip=0.5), clipped)


def test_predict_x0_inverts_q_sample():
    s = _sched(50)
    g = torch.Generator().manual_seed(2)
    x0, eps = torch.randn(5, 2, generator=g, dtype=G64), torch.randn(5, 2, generator=g, dtype=G64)
    t = torch.tensor([0, 10, 20, 30, 49])
    torch.testing.assert_close(diffusion.predict_x0(s, diffusion.q_sample(s, x0, t, eps), t, eps), x0)


def test_simple_loss_of_the_exact_denoiser_is_its_closed_form_minimum():
    """For x_0 ~ N(m, v), E||eps - E[eps | x_t]||^2 per coordinate is 1 - (1 - abar) / (abar v + 1 - abar)."""
    s, n = _sched(100), 200_000
    m, v = 0.5, 0.3**2
    g = torch.Generator().manual_seed(3)
    for i in (0, 30, 99):
        t = torch.full((n,), i)
        x0 = m + math.sqrt(v) * torch.randn(n, 1, generator=g, dtype=G64)
        eps = torch.randn(n, 1, generator=g, dtype=G64)
        got = diffusion.simple_loss(diffusion.gaussian_eps(s, m, v), s, x0, t, eps).item()
        a = s.abar[i].item()
        ref = 1 - (1 - a) / (a * v + 1 - a)
        assert abs(got - ref) < 5 * ref * math.sqrt(2 / n) + 1e-12, (i, got, ref)
        zero = diffusion.simple_loss(lambda x, t: torch.zeros_like(x), s, x0, t, eps).item()
        assert abs(zero - 1) < 5 * math.sqrt(2 / n)  # predicting 0 costs E eps^2 = 1


def test_simple_loss_is_eq_14_on_a_network():
    s = diffusion.Schedule(diffusion.linear_betas(100))
    net = diffusion.EpsMLP(2, 16, 2)
    torch.nn.init.normal_(net.out.weight)
    g = torch.Generator().manual_seed(4)
    x0, eps = torch.randn(8, 2, generator=g), torch.randn(8, 2, generator=g)
    t = torch.randint(0, 100, (8,), generator=g)
    abar = s.abar[t][:, None]
    ref = ((eps - net(abar.sqrt() * x0 + (1 - abar).sqrt() * eps, t)) ** 2).mean()
    torch.testing.assert_close(diffusion.simple_loss(net, s, x0, t, eps), ref)


@pytest.mark.parametrize("sampler", ["ancestral", "posterior", "ddim"])
def test_samplers_with_the_true_score_recover_a_gaussian(sampler):
    s, n = diffusion.Schedule(diffusion.linear_betas(1000)).double(), 20_000
    mean = torch.tensor([1.0, -0.5], dtype=G64)
    var = torch.tensor([0.25, 0.04], dtype=G64)
    g = torch.Generator().manual_seed(5)
    x_T = torch.randn(n, 2, generator=g, dtype=G64)

    def run(eps_fn):
        if sampler == "ddim":
            return diffusion.ddim_sample(eps_fn, s, x_T, s.T)  # every step: the ODE's limit
        sigma = "posterior" if sampler == "posterior" else "beta"
        return diffusion.ancestral_sample(eps_fn, s, x_T, sigma, generator=torch.Generator().manual_seed(6))

    x = run(diffusion.gaussian_eps(s, mean, var))
    assert ((x.mean(0) - mean).abs() < 0.02).all(), x.mean(0)
    assert ((x.var(0) / var - 1).abs() < 0.06).all(), x.var(0)
    # the nearest wrong answer: the predictor of a Gaussian with 1.3x the variance misses
    wrong = run(diffusion.gaussian_eps(s, mean, 1.3 * var))
    assert ((wrong.var(0) / var - 1).abs() > 0.15).all(), wrong.var(0)


def test_fewer_ddim_steps_shrink_the_variance_of_a_narrow_gaussian():
    """DDIM's discretisation error: with the exact predictor, fewer steps give a smaller
    variance (the speed/quality trade-off), while the mean stays."""
    s, var = diffusion.Schedule(diffusion.linear_betas(1000)).double(), 0.04
    x_T = torch.randn(10_000, 1, generator=torch.Generator().manual_seed(7), dtype=G64)
    ratios = [diffusion.ddim_sample(diffusion.gaussian_eps(s, 0.3, var), s, x_T, k).var().item() / var
              for k in (10, 100, 1000)]
    assert ratios[0] < ratios[1] < ratios[2] and ratios[0] < 0.5 and abs(ratios[2] - 1) < 0.05, ratios


def test_ddim_timesteps_are_evenly_spaced_and_end_at_both_ends():
    assert diffusion.ddim_timesteps(1000, 5) == [0, 250, 500, 749, 999]
    assert diffusion.ddim_timesteps(10, 10) == list(range(10))
    assert diffusion.ddim_timesteps(10, 1) == [9]
    with pytest.raises(ValueError, match="steps"):
        diffusion.ddim_timesteps(10, 11)


def test_timestep_embedding_is_the_sinusoid():
    t = torch.tensor([0, 1, 7, 123])
    e = diffusion.timestep_embedding(t, 8).double()
    w = 10_000.0 ** (-np.arange(4) / 4)
    ref = np.concatenate([np.cos(t.numpy()[:, None] * w), np.sin(t.numpy()[:, None] * w)], 1)
    np.testing.assert_allclose(e.numpy(), ref, rtol=1e-5, atol=1e-5)


def test_the_preset_learns_a_gaussian_through_the_trainer():
    mix = data.Mixture(torch.tensor([[1.0, -0.5]]), 0.3)
    game = variants.build("ddpm", (2,), seed=0, timesteps=100, width=64)
    Trainer(game, mix, steps=600, batch=256, seed=0, device="cpu", ema_decay=0,
            progress=False).fit()
    untrained = variants.build("ddpm", (2,), seed=0, timesteps=100, width=64).nets["G"]
    z = torch.randn(4000, 2, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    with torch.no_grad():
        x, x_null = game.nets["G"](z), untrained(z)
    assert ((x.mean(0) - mix.means[0]).abs() < 0.1).all(), x.mean(0)
    assert ((x.std(0) / 0.3 - 1).abs() < 0.25).all(), x.std(0)
    assert ((x_null.std(0) / 0.3 - 1).abs() > 1).all()  # eps = 0 inflates x_T: far off


def test_the_preset_builds_for_images_and_samples_both_ways():
    game = variants.build("ddpm", (1, 16, 16), seed=0, timesteps=50, width=8)
    model = game.nets["G"]
    assert game.nz == 256
    z = torch.randn(3, 256, generator=torch.Generator().manual_seed(0))
    assert model(z).shape == (3, 1, 16, 16)
    a = model.sample(z, sampler="ddim", steps=5)
    torch.testing.assert_close(a, model.sample(z, sampler="ddim", steps=5))  # deterministic
    with pytest.raises(ValueError, match="multiple of 4"):
        variants.build("ddpm", (1, 10, 10))
    with pytest.raises(ValueError, match="sampler"):
        variants.build("ddpm", (2,), sampler="euler")
