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
# # Chapter 1 exercises — the minimax game
#
# Write the three functions below. Each `raise NotImplementedError("TODO: ...")` marks
# where your code goes. After each one, run the **check** cell that follows: it compares
# your function with ganlab's reference implementation (`ganlab.theory`, `ganlab.losses`)
# or with a closed form, and raises an `AssertionError` saying what is wrong.
#
# Densities are Python functions of a float64 numpy array, e.g.
# `theory.gaussian_pdf(0.0, 1.0)`.

# %%
import numpy as np
import torch
from scipy.special import xlogy

from ganlab import losses, theory

GRID = theory.GRID  # [-20, 20], step 1e-3: integrate on it with theory.integrate(values, GRID)

# %% [markdown]
# ## Exercise 1 — the optimal discriminator
#
# For a fixed generator the discriminator that maximises $V(D, G)$ is
# $D^*(x) = \dfrac{p_{\text{data}}(x)}{p_{\text{data}}(x) + p_g(x)}$.
# Return it as a function of `x`.

# %%
def my_optimal_d(p, q):
    """D* for data density p and generator density q: a function x -> D*(x)."""
    # BEGIN SOLUTION hint: return a function of x built from p(x) and q(x)
    def d(x):
        px, qx = p(x), q(x)
        return px / (px + qx)

    return d
    # BLANK: return lambda x: np.full_like(x, 0.5)
    # END SOLUTION


# %% tags=["check"]
x = np.linspace(-4, 4, 81)
for mu_d, s_d, mu_g, s_g in [(0, 1, 2, 0.5), (0, 1, -1, 2), (1, 0.5, 1, 0.5)]:
    p, q = theory.gaussian_pdf(mu_d, s_d), theory.gaussian_pdf(mu_g, s_g)
    np.testing.assert_allclose(my_optimal_d(p, q)(x), theory.optimal_d(p, q)(x),
                               rtol=1e-10, atol=1e-12,
                               err_msg=f"D* wrong for N({mu_d},{s_d}^2) vs N({mu_g},{s_g}^2)")
print("Exercise 1: correct")

# %% [markdown]
# ## Exercise 2 — the Jensen–Shannon divergence
#
# $\mathrm{JSD}(p \| q) = \tfrac12 \mathrm{KL}(p \| m) + \tfrac12 \mathrm{KL}(q \| m)$ with
# $m = \tfrac12 (p + q)$ and $\mathrm{KL}(p \| m) = \int p \log \frac{p}{m}\,dx$. Compute it
# on the grid `x`. Where a density underflows to 0, take $0 \log 0 = 0$:
# `scipy.special.xlogy(a, b)` computes $a \log b$ that way.

# %%
def my_jsd(p, q, x=GRID):
    """JSD(p || q) in nats, integrated on the grid x."""
    # BEGIN SOLUTION hint: evaluate p, q, m on x and integrate with theory.integrate
    px, qx = p(x), q(x)
    mx = 0.5 * (px + qx)
    kl_pm = theory.integrate(xlogy(px, px) - xlogy(px, mx), x)
    kl_qm = theory.integrate(xlogy(qx, qx) - xlogy(qx, mx), x)
    return 0.5 * kl_pm + 0.5 * kl_qm
    # BLANK: return 0.0
    # END SOLUTION


# %% tags=["check"]
p = theory.gaussian_pdf(0.0, 1.0)
cases = [theory.gaussian_pdf(0.0, 1.0), theory.gaussian_pdf(1.5, 0.6),
         theory.gaussian_pdf(-1.0, 2.0), theory.gaussian_pdf(12.0, 0.5)]
for q in cases:
    got = my_jsd(p, q)
    assert np.isfinite(got), "the JSD must be finite: use xlogy so that 0 log 0 = 0"
    np.testing.assert_allclose(got, theory.jsd(p, q), atol=1e-8)
    # Theorem 1: C(G) = -log 4 + 2 JSD
    np.testing.assert_allclose(-np.log(4) + 2 * got, theory.c_of_g(p, q), atol=1e-8)
np.testing.assert_allclose(my_jsd(p, cases[3]), np.log(2), atol=1e-8,
                           err_msg="disjoint distributions have JSD = log 2")
print("Exercise 2: correct")

# %% [markdown]
# ## Exercise 3 — the non-saturating generator loss
#
# The generator minimises $-\mathbb{E}_z \log D(G(z))$ with $D = \sigma(s)$ and $s$ the
# discriminator's logit. Write it as a function of a batch of logits `fake` (a tensor of
# shape `(B,)`), returning the batch mean. It must stay finite for a very confident
# discriminator ($s = -1000$): $-\log \sigma(s) = \operatorname{softplus}(-s)$.

# %%
def my_g_nonsaturating(fake):
    """-mean log sigmoid(fake), for a tensor of logits fake (B,)."""
    # BEGIN SOLUTION hint: torch.nn.functional.softplus
    return torch.nn.functional.softplus(-fake).mean()
    # BLANK: return losses.g_minimax(fake)
    # END SOLUTION


# %% tags=["check"]
gen = torch.Generator().manual_seed(0)
logits = torch.cat([3 * torch.randn(64, generator=gen, dtype=torch.float64),
                    torch.tensor([-1000.0, -30.0, 30.0, 1000.0], dtype=torch.float64)])
logits.requires_grad_(True)
mine, ref = my_g_nonsaturating(logits), losses.g_nonsaturating(logits)
assert torch.is_tensor(mine) and mine.shape == (), "return a scalar tensor (the batch mean)"
assert torch.isfinite(mine), "not finite for large |logits|: use softplus"
torch.testing.assert_close(mine, ref)
(g_mine,) = torch.autograd.grad(mine, logits)
(g_ref,) = torch.autograd.grad(losses.g_nonsaturating(logits), logits)
torch.testing.assert_close(g_mine, g_ref)
print("Exercise 3: correct")
