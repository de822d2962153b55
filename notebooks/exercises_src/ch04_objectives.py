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
# # Chapter 4 exercises — objectives
#
# Write the losses below as pure functions of the discriminator's raw scores (large =
# real), each returning the batch mean that the named player *minimises*. After each
# exercise, run the **check** cell: it compares your functions with `ganlab.losses` on
# random scores, values and gradients, in float64.

# %%
import torch
import torch.nn.functional as F

from ganlab import losses

gen = torch.Generator().manual_seed(0)
REAL = (0.5 + 1.5 * torch.randn(257, generator=gen, dtype=torch.float64)).requires_grad_(True)
FAKE = (-0.5 + 1.5 * torch.randn(257, generator=gen, dtype=torch.float64)).requires_grad_(True)


def same(mine, ref, args):
    """Values and gradients of two losses agree on args."""
    assert torch.is_tensor(mine) and mine.shape == (), "return a scalar tensor (the batch mean)"
    torch.testing.assert_close(mine, ref)
    for g_mine, g_ref in zip(torch.autograd.grad(mine, args), torch.autograd.grad(ref, args)):
        torch.testing.assert_close(g_mine, g_ref)


# %% [markdown]
# ## Exercise 1 — least squares (Mao et al. 2017)
#
# $D$ minimises $\tfrac12\mathbb{E}(D(x) - b)^2 + \tfrac12\mathbb{E}(D(G(z)) - a)^2$ and $G$
# minimises $\tfrac12\mathbb{E}(D(G(z)) - c)^2$. The recommended coding is $a = -1$, $b = 1$,
# $c = 0$; the "0-1" coding is $a = 0$, $b = c = 1$.

# %%
def my_d_least_squares(real, fake, a=-1.0, b=1.0):
    # BEGIN SOLUTION hint: two mean squared errors, each halved
    return 0.5 * (real - b).square().mean() + 0.5 * (fake - a).square().mean()
    # BLANK: return 0.5 * (real - b).square().mean()
    # END SOLUTION


def my_g_least_squares(fake, c=0.0):
    # BEGIN SOLUTION hint: one mean squared error, halved
    return 0.5 * (fake - c).square().mean()
    # BLANK: return (fake - c).square().mean()
    # END SOLUTION


# %% tags=["check"]
same(my_d_least_squares(REAL, FAKE), losses.d_least_squares(REAL, FAKE), (REAL, FAKE))
same(my_d_least_squares(REAL, FAKE, a=0.0, b=1.0), losses.d_least_squares_01(REAL, FAKE),
     (REAL, FAKE))
same(my_g_least_squares(FAKE), losses.g_least_squares(FAKE), (FAKE,))
same(my_g_least_squares(FAKE, c=1.0), losses.g_least_squares_01(FAKE), (FAKE,))
print("Exercise 1: correct")

# %% [markdown]
# ## Exercise 2 — hinge
#
# $D$ minimises $\mathbb{E}\,\max(0, 1 - D(x)) + \mathbb{E}\,\max(0, 1 + D(G(z)))$; $G$
# minimises $-\mathbb{E}\,D(G(z))$.

# %%
def my_d_hinge(real, fake):
    # BEGIN SOLUTION hint: torch.relu of a margin on each side
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()
    # BLANK: return (1.0 - real).mean() + (1.0 + fake).mean()
    # END SOLUTION


def my_g_hinge(fake):
    # BEGIN SOLUTION hint: G wants high scores
    return -fake.mean()
    # BLANK: return F.relu(1.0 - fake).mean()
    # END SOLUTION


# %% tags=["check"]
same(my_d_hinge(REAL, FAKE), losses.d_hinge(REAL, FAKE), (REAL, FAKE))
same(my_g_hinge(FAKE), losses.g_hinge(FAKE), (FAKE,))
print("Exercise 2: correct")

# %% [markdown]
# ## Exercise 3 — relativistic average (RaSGAN, Jolicoeur-Martineau 2018)
#
# $D$ judges how much more real a real sample is than the *average* fake, and the reverse:
#
# $$
# L_D = -\mathbb{E}_x \log\sigma\big(D(x) - \mathbb{E}_z D(G(z))\big)
#       - \mathbb{E}_z \log\big(1 - \sigma(D(G(z)) - \mathbb{E}_x D(x))\big),
# $$
#
# and $L_G$ is the same with the roles of real and fake swapped. Use
# $-\log\sigma(s) = \operatorname{softplus}(-s)$ and $-\log(1 - \sigma(s)) = \operatorname{softplus}(s)$
# so that the losses stay finite for confident discriminators.

# %%
def my_d_relativistic_avg(real, fake):
    # BEGIN SOLUTION hint: centre each side on the other side's batch mean, then softplus
    r, f = real - fake.mean(), fake - real.mean()
    return F.softplus(-r).mean() + F.softplus(f).mean()
    # BLANK: return F.softplus(-real).mean() + F.softplus(fake).mean()
    # END SOLUTION


def my_g_relativistic_avg(real, fake):
    # BEGIN SOLUTION hint: the D loss with real and fake swapped
    r, f = real - fake.mean(), fake - real.mean()
    return F.softplus(-f).mean() + F.softplus(r).mean()
    # BLANK: return F.softplus(-fake).mean()
    # END SOLUTION


# %% tags=["check"]
same(my_d_relativistic_avg(REAL, FAKE), losses.d_relativistic_avg(REAL, FAKE), (REAL, FAKE))
same(my_g_relativistic_avg(REAL, FAKE), losses.g_relativistic_avg(REAL, FAKE), (REAL, FAKE))
big = torch.tensor([-1e4, 30.0, 1e4], dtype=torch.float64)
assert torch.isfinite(my_d_relativistic_avg(big, big.flip(0))), "use softplus, not log(sigmoid)"
assert torch.isfinite(my_g_relativistic_avg(big, big.flip(0))), "use softplus, not log(sigmoid)"
print("Exercise 3: correct")
