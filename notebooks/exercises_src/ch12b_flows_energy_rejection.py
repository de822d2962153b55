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
# # Chapter 12b exercises — energy, rejection sampling
#
# Write the functions below. Each `raise NotImplementedError("TODO: ...")` marks where your
# code goes. After each one, run the **check** cell that follows: it compares your function
# with ganlab's (`ganlab.energy`, `ganlab.rejection`) or with a closed form, and raises an
# `AssertionError` saying what is wrong.

# %%
import math

import torch

from ganlab import energy, rejection

# %% [markdown]
# ## Exercise 1 — BEGAN's controller and convergence measure
#
# BEGAN keeps the discriminator's two goals in balance with
# $k_{t+1} = \operatorname{clip}\big(k_t + \lambda_k(\gamma L(x) - L(G(z))),\ 0,\ 1\big)$
# and measures convergence by $M_{\text{global}} = L(x) + \lvert\gamma L(x) - L(G(z))\rvert$.
# Arguments are floats; return floats.

# %%
def my_k_update(k, l_real, l_fake, gamma, lambda_k):
    """k_{t+1} from k_t, L(x), L(G(z)), gamma and lambda_k."""
    # BEGIN SOLUTION hint: min(1, max(0, ...))
    return min(1.0, max(0.0, k + lambda_k * (gamma * l_real - l_fake)))
    # BLANK: return k
    # END SOLUTION


def my_m_global(l_real, l_fake, gamma):
    """BEGAN's convergence measure M_global."""
    # BEGIN SOLUTION hint: L(x) plus the absolute imbalance
    return l_real + abs(gamma * l_real - l_fake)
    # BLANK: return l_real
    # END SOLUTION


# %% tags=["check"]
cases = [(0.0, 0.3, 0.05, 0.5, 0.1), (0.4, 0.2, 0.3, 0.7, 0.5), (0.99, 1.0, 0.0, 1.0, 0.1),
         (0.02, 0.0, 1.0, 0.5, 0.1)]
for k, lr, lf, gamma, lam in cases:
    got = my_k_update(k, lr, lf, gamma, lam)
    assert isinstance(got, float), "return a Python float"
    ref = float(energy.began_k_update(torch.tensor(k, dtype=torch.float64), lr, lf, gamma, lam))
    assert math.isclose(got, ref, abs_tol=1e-12), f"k_update{(k, lr, lf, gamma, lam)}: {got} != {ref}"
    m = my_m_global(lr, lf, gamma)
    ref_m = float(energy.convergence_measure(lr, lf, gamma))
    assert isinstance(m, float) and math.isclose(m, ref_m, rel_tol=1e-6), f"M_global {m} != {ref_m}"
print("Exercise 1: correct")

# %% [markdown]
# ## Exercise 2 — the DRS acceptance probability
#
# Discriminator rejection sampling accepts a generated $x$ with probability $\sigma(F(x))$,
# $F(x) = \tilde D(x) - \tilde D_M - \log(1 - e^{\tilde D(x) - \tilde D_M - \epsilon}) - \gamma$,
# where $\tilde D(x)$ is D's logit and $\tilde D_M$ the largest logit seen. `logit` is a
# float64 tensor `(N,)`; return a tensor `(N,)` of probabilities. Check yourself: with
# $\gamma = 0$ and a tiny $\epsilon$ it should be close to $e^{\tilde D(x) - \tilde D_M}$.

# %%
def my_acceptance_prob(logit, max_logit, gamma=0.0, eps=1e-6):
    """DRS's p_accept = sigmoid(F(x))."""
    # BEGIN SOLUTION hint: torch.sigmoid of delta - log(1 - exp(delta - eps)) - gamma
    delta = logit - max_logit
    return torch.sigmoid(delta - torch.log(-torch.expm1(delta - eps)) - gamma)
    # BLANK: return torch.ones_like(logit)
    # END SOLUTION


# %% tags=["check"]
logit = torch.tensor([-6.0, -2.0, -0.3, 0.4, 0.99], dtype=torch.float64)
for gamma in (0.0, 0.5, -1.0):
    got = my_acceptance_prob(logit, 1.0, gamma)
    assert isinstance(got, torch.Tensor) and got.shape == logit.shape, "return a tensor (N,)"
    torch.testing.assert_close(got, rejection.acceptance_prob(logit, 1.0, gamma))
torch.testing.assert_close(my_acceptance_prob(logit, 1.0, 0.0, 1e-12), torch.exp(logit - 1.0),
                           rtol=1e-9, atol=1e-9)
print("Exercise 2: correct")

# %% [markdown]
# ## Exercise 3 — EBGAN's pulling-away term
#
# For the encoder codes `s` `(N, k)` of a batch of fakes, return as a 0-d tensor
#
# $$f_{PT}(S) = \frac{1}{N(N-1)}\sum_i\sum_{j\ne i}
#   \Big(\frac{S_i^\top S_j}{\lVert S_i\rVert\,\lVert S_j\rVert}\Big)^2.$$
# It is 0 for orthogonal codes and 1 when every code points the same way.

# %%
def my_pulling_away(s):
    """Mean squared cosine similarity over ordered pairs of different rows."""
    # BEGIN SOLUTION hint: normalise the rows, take the Gram matrix, drop its diagonal
    u = s / s.norm(dim=1, keepdim=True)
    cos2 = (u @ u.T) ** 2
    n = len(s)
    return (cos2.sum() - cos2.diagonal().sum()) / (n * (n - 1))
    # BLANK: return torch.tensor(0.0, dtype=s.dtype)
    # END SOLUTION


# %% tags=["check"]
s = torch.randn(6, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
got = my_pulling_away(s)
assert isinstance(got, torch.Tensor) and got.dim() == 0, "return a 0-d tensor"
torch.testing.assert_close(got, energy.pulling_away(s))
torch.testing.assert_close(my_pulling_away(torch.ones(3, 2, dtype=torch.float64)),
                           torch.tensor(1.0, dtype=torch.float64))
print("Exercise 3: correct")
