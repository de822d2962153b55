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
# # Chapter 5 exercises — Wasserstein GAN
#
# Two exercises: the WGAN-GP gradient penalty, checked against
# `ganlab.regularizers.gradient_penalty` on random critics, and the exact Wasserstein-1
# distance between two 1D samples, checked against `ganlab.metrics.w1_1d` and closed forms.

# %%
import numpy as np
import torch
from torch import nn

from ganlab import regularizers
from ganlab.metrics import w1_1d

# %% [markdown]
# ## Exercise 1 — the gradient penalty (Gulrajani et al. 2017, eq. 3)
#
# $\lambda\,\mathbb{E}\big[(\|\nabla_{\hat x} D(\hat x)\|_2 - 1)^2\big]$ at
# $\hat x = \epsilon x + (1 - \epsilon) \tilde x$, with **one** $\epsilon \sim U[0, 1]$ per
# sample and the norm over all non-batch dimensions of the sample. Draw
# `eps = torch.rand((B, 1, ..., 1), generator=generator, dtype=real.dtype)` (one call, that
# shape) so that your interpolates are the library's. Keep the graph
# (`create_graph=True`) so that the penalty trains the critic.

# %%
def my_gradient_penalty(d, real, fake, weight=10.0, generator=None):
    # BEGIN SOLUTION hint: interpolate, autograd.grad of d(x_hat).sum(), per-sample norms
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    eps = torch.rand(shape, dtype=real.dtype, generator=generator)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(d(x_hat).sum(), x_hat, create_graph=True)
    return weight * (grad.flatten(1).norm(dim=1) - 1).square().mean()
    # BLANK: return weight * torch.zeros((), dtype=real.dtype)
    # END SOLUTION


# %% tags=["check"]
torch.manual_seed(0)
w = torch.tensor([3.0, 4.0], dtype=torch.float64)  # linear critic: ||grad|| = 5 everywhere
pen = my_gradient_penalty(lambda x: x @ w, torch.randn(8, 2, dtype=torch.float64),
                          torch.randn(8, 2, dtype=torch.float64), weight=10.0)
torch.testing.assert_close(pen, torch.tensor(160.0, dtype=torch.float64),
                           msg="a linear critic with ||w|| = 5 has penalty 10 (5 - 1)^2 = 160")
for trial in range(3):
    critic = nn.Sequential(nn.Flatten(), nn.Linear(12, 16), nn.Tanh(), nn.Linear(16, 1, bias=False),
                           nn.Flatten(0)).double()
    real, fake = torch.randn(16, 3, 2, 2, dtype=torch.float64), torch.randn(16, 3, 2, 2, dtype=torch.float64)
    mine = my_gradient_penalty(critic, real, fake, weight=10.0,
                               generator=torch.Generator().manual_seed(trial))
    ref = regularizers.gradient_penalty(critic, real, fake, weight=10.0,
                                        generator=torch.Generator().manual_seed(trial))
    torch.testing.assert_close(mine, ref, msg="penalty differs from ganlab's on a random critic")
    g_mine = torch.autograd.grad(mine, list(critic.parameters()))
    g_ref = torch.autograd.grad(ref, list(critic.parameters()))
    for a, b in zip(g_mine, g_ref):
        torch.testing.assert_close(a, b, msg="the penalty's gradient for the critic differs")
print("Exercise 1: correct")

# %% [markdown]
# ## Exercise 2 — $W_1$ between two 1D samples
#
# In 1D, $W_1(P, Q) = \int |F_P(t) - F_Q(t)|\,dt$ with $F$ the empirical CDFs. For two
# samples of the **same size** $n$ this is the mean distance between the sorted samples
# matched in order: $\frac1n \sum_i |x_{(i)} - y_{(i)}|$. Return a Python float.

# %%
def my_w1_1d(x, y):
    # BEGIN SOLUTION hint: np.sort both, match in order
    x, y = np.sort(np.asarray(x, dtype=np.float64)), np.sort(np.asarray(y, dtype=np.float64))
    return float(np.abs(x - y).mean())
    # BLANK: return float(abs(np.mean(x) - np.mean(y)))
    # END SOLUTION


# %% tags=["check"]
rng = np.random.default_rng(0)
assert abs(my_w1_1d([0.0, 1.0], [1.0, 0.0])) < 1e-12, "the same set in another order: W1 = 0"
np.testing.assert_allclose(my_w1_1d([0.0, 0.0], [-1.0, 1.0]), 1.0,
                           err_msg="mass at 0 moved to -1 and +1 costs 1 on average")
for n in [5, 100, 2000]:
    x, y = rng.normal(0, 1, n), rng.normal(1.5, 0.3, n)
    np.testing.assert_allclose(my_w1_1d(x, y), w1_1d(x, y), rtol=1e-10)
    np.testing.assert_allclose(my_w1_1d(x, x + 2.5), 2.5, rtol=1e-10)  # a shift costs its length
print("Exercise 2: correct")
