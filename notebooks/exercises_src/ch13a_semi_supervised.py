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
# # Chapter 13a exercises — a discriminator that classifies, a layer that reverses
#
# Write the two pieces below. Each `raise NotImplementedError("TODO: ...")` marks where
# your code goes. After each one, run the **check** cell that follows: it compares your
# code with ganlab's (`ganlab.semisup`, `ganlab.domain`) and raises an `AssertionError`
# saying what is wrong.

# %%
import torch

from ganlab import domain, semisup

# %% [markdown]
# ## Exercise 1 — the K+1-class discriminator
#
# The semi-supervised GAN's D outputs K logits $l_1, \dots, l_K$ for the real classes; the
# "generated" class gets the fixed logit 0. Return, for logits of shape `(B, K)`, the
# log-probabilities of all K+1 classes, shape `(B, K+1)` (the fake class last), and the
# real/fake logit $\log Z$ with $Z = \sum_k e^{l_k}$, shape `(B,)`, for which
# $D(x) = Z / (Z + 1) = \sigma(\log Z)$. Stay stable for large logits (no `exp` of a
# logit on its own).

# %%
def my_kplus1(logits):
    """(log p over K+1 classes (B, K+1), log Z (B,)) for class logits (B, K)."""
    # BEGIN SOLUTION hint: append a column of zeros, then log_softmax; log Z is a logsumexp
    full = torch.cat([logits, logits.new_zeros(len(logits), 1)], 1)  # (B, K+1)
    return torch.log_softmax(full, 1), torch.logsumexp(logits, 1)
    # BLANK: return torch.log_softmax(logits, 1), logits.max(1).values
    # END SOLUTION


# %% tags=["check"]
g = torch.Generator().manual_seed(0)
lg = 40 * torch.randn(16, 10, generator=g, dtype=torch.float64)  # large logits: must not overflow
logp, log_z = my_kplus1(lg)
assert tuple(logp.shape) == (16, 11), f"expected (B, K+1) = (16, 11), got {tuple(logp.shape)}"
torch.testing.assert_close(logp, semisup.kplus1_log_probs(lg), msg="wrong K+1 log-probabilities")
torch.testing.assert_close(log_z, semisup.realness(lg), msg="wrong log Z")
d_x = torch.sigmoid(log_z)
torch.testing.assert_close(d_x, 1 - logp[:, -1].exp(), msg="D(x) must be 1 - p(fake | x)")
print("Exercise 1: correct")

# %% [markdown]
# ## Exercise 2 — the gradient reversal layer
#
# DANN puts a layer $R_\lambda$ between the feature extractor and the domain classifier:
# $R_\lambda(x) = x$ going forward, $\partial R_\lambda / \partial x = -\lambda I$ going
# back. Write it as a `torch.autograd.Function` (its `backward` returns one gradient per
# input of `forward`: `None` for $\lambda$).

# %%
class MyGradReverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, lam):
        # BEGIN SOLUTION hint: keep lam on ctx; return x unchanged (x.view_as(x))
        ctx.lam = lam
        return x.view_as(x)
        # BLANK: return x * lam
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        # BEGIN SOLUTION hint: the gradient, times -lambda; None for lam
        return -ctx.lam * grad, None
        # BLANK: return grad, None
        # END SOLUTION


# %% tags=["check"]
x = torch.randn(5, 3, dtype=torch.float64, generator=g, requires_grad=True)
w = torch.randn(5, 3, dtype=torch.float64, generator=g)
for lam in (0.25, 1.0, 3.0):
    mine = MyGradReverse.apply(x, lam)
    torch.testing.assert_close(mine, x, msg="forward must be the identity")
    (g_mine,) = torch.autograd.grad((w * mine.square()).sum(), x)
    (g_ref,) = torch.autograd.grad((w * domain.grad_reverse(x, lam).square()).sum(), x)
    torch.testing.assert_close(g_mine, g_ref, msg=f"backward must be -lambda * grad (lambda={lam})")
print("Exercise 2: correct")
