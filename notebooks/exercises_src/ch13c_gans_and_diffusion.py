# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 13c exercises — the pieces of a DDPM
#
# Write the functions below. Each `raise NotImplementedError("TODO: ...")` marks where your
# code goes. After each one, run the **check** cell that follows: it compares your function
# with ganlab's (`ganlab.diffusion`) or with a closed form, and raises an `AssertionError`
# saying what is wrong. Time is indexed from 0 in code: index `t` is the paper's step t + 1.

# %%
import torch

from ganlab import diffusion

s = diffusion.Schedule(diffusion.linear_betas(100)).double()
gen = torch.Generator().manual_seed(0)
x0 = torch.randn(6, 3, generator=gen, dtype=torch.float64)
xt = torch.randn(6, 3, generator=gen, dtype=torch.float64)
eps = torch.randn(6, 3, generator=gen, dtype=torch.float64)
t = torch.tensor([0, 1, 10, 50, 98, 99])

# %% [markdown]
# ## Exercise 1 — the forward process in one step
#
# $x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1 - \bar\alpha_t}\,\epsilon$, with
# $\bar\alpha_t = \prod_{s \le t}(1 - \beta_s)$. `betas` is the schedule's `(T,)` tensor,
# `x0` and `eps` are `(B, d)`, `t` is `(B,)`; return `(B, d)`.

# %%
def my_q_sample(betas, x0, t, eps):
    """A draw of q(x_t | x_0) with the noise eps."""
    # BEGIN SOLUTION hint: torch.cumprod(1 - betas, 0)[t], shaped (B, 1) to broadcast
    abar = torch.cumprod(1 - betas, 0)[t][:, None]
    return abar.sqrt() * x0 + (1 - abar).sqrt() * eps
    # BLANK: return x0 + eps
    # END SOLUTION


# %% tags=["check"]
got = my_q_sample(s.betas, x0, t, eps)
assert isinstance(got, torch.Tensor) and got.shape == x0.shape, "return a tensor shaped like x0"
torch.testing.assert_close(got, diffusion.q_sample(s, x0, t, eps), rtol=1e-5, atol=1e-6)
print("Exercise 1: correct")

# %% [markdown]
# ## Exercise 2 — the posterior of one step back
#
# $q(x_{t-1} \mid x_t, x_0) = \mathcal{N}(\tilde\mu_t, \tilde\beta_t I)$ with
# $\tilde\mu_t = \frac{\sqrt{\bar\alpha_{t-1}}\beta_t}{1-\bar\alpha_t}x_0 + \frac{\sqrt{\alpha_t}(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}x_t$
# and $\tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\beta_t$ ($\bar\alpha_{-1} = 1$
# at the first step). Return `(mean, var)`, both `(B, d)`.

# %%
def my_posterior(betas, x0, xt, t):
    """Mean and variance of q(x_{t-1} | x_t, x_0)."""
    # BEGIN SOLUTION hint: abar_prev = abar shifted right by one, with a 1 in front
    abar = torch.cumprod(1 - betas, 0)
    prev = torch.cat([abar.new_ones(1), abar[:-1]])
    a, ap, b = abar[t][:, None], prev[t][:, None], betas[t][:, None]
    mean = ap.sqrt() * b / (1 - a) * x0 + (1 - b).sqrt() * (1 - ap) / (1 - a) * xt
    return mean, ((1 - ap) / (1 - a) * b).expand_as(x0)
    # BLANK: return xt, torch.ones_like(xt)
    # END SOLUTION


# %% tags=["check"]
out = my_posterior(s.betas, x0, xt, t)
assert isinstance(out, tuple) and len(out) == 2, "return (mean, var)"
ref_mean, ref_var = diffusion.posterior_mean_var(s, x0, xt, t)
torch.testing.assert_close(out[0], ref_mean, rtol=1e-5, atol=1e-6)
torch.testing.assert_close(out[1], ref_var, rtol=1e-5, atol=1e-9)
print("Exercise 2: correct")

# %% [markdown]
# ## Exercise 3 — one step of the sampler
#
# Algorithm 2's mean of $x_{t-1}$:
# $\frac{1}{\sqrt{\alpha_t}}\big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\,\epsilon_\theta\big)$,
# where `eps_hat` `(B, d)` is the network's prediction at $(x_t, t)$. Check yourself: it
# equals the posterior mean of exercise 2 with $x_0$ replaced by its prediction
# $(x_t - \sqrt{1-\bar\alpha_t}\,\epsilon_\theta)/\sqrt{\bar\alpha_t}$.

# %%
def my_reverse_mean(betas, xt, t, eps_hat):
    """The mean of p_theta(x_{t-1} | x_t)."""
    # BEGIN SOLUTION hint: alpha_t = 1 - beta_t
    abar = torch.cumprod(1 - betas, 0)[t][:, None]
    b = betas[t][:, None]
    return (xt - b / (1 - abar).sqrt() * eps_hat) / (1 - b).sqrt()
    # BLANK: return xt - eps_hat
    # END SOLUTION


# %% tags=["check"]
got = my_reverse_mean(s.betas, xt, t, eps)
assert isinstance(got, torch.Tensor) and got.shape == xt.shape, "return a tensor shaped like xt"
torch.testing.assert_close(got, diffusion.reverse_mean(lambda x, t_: eps, s, xt, t), rtol=1e-5,
                           atol=1e-6)
print("Exercise 3: correct")
