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
# # Chapter 9 exercises — little data
#
# Write the three functions below. Each `raise NotImplementedError("TODO: ...")` marks
# where your code goes. After each one, run the **check** cell that follows: it compares
# your function with ganlab's (`ganlab.augment`) or with a closed form, and raises an
# `AssertionError` saying what is wrong.

# %%
import numpy as np
import torch

from ganlab import augment as A

# %% [markdown]
# ## Exercise 1 — the ADA update of p
#
# Every 4 discriminator steps ADA computes $r_t = \mathbb{E}[\operatorname{sign} D(x_{\text{real}})]$
# over the real logits of those steps and moves
# $p \leftarrow \max\big(0,\; p + \operatorname{sign}(r_t - \text{target}) \cdot n / \text{speed}\big)$,
# where $n$ is the number of real images in those steps. Given the concatenated logits
# `real_logits` (a tensor `(n,)`) return the new `p` as a float.

# %%
def my_ada_update(p, real_logits, target=0.6, speed_images=500_000):
    """p after one ADA adjustment from the logits of the last 4 steps' real batches."""
    # BEGIN SOLUTION hint: r_t = torch.sign(real_logits).mean(); clamp the result at 0
    r_t = torch.sign(real_logits).mean()
    step = float(torch.sign(r_t - target)) * real_logits.numel() / speed_images
    return max(0.0, p + step)
    # BLANK: return p
    # END SOLUTION


# %% tags=["check"]
gen = torch.Generator().manual_seed(0)
for p0, shift in [(0.0, 3.0), (0.2, 3.0), (0.2, -3.0), (0.0005, -3.0), (0.5, 0.4)]:
    logits = torch.randn(4 * 32, generator=gen) + shift
    ada = A.ADA(target=0.6, interval=4, speed_images=1000, p=p0)
    for chunk in logits.split(32):
        ada.observe(chunk)
    got = my_ada_update(p0, logits, target=0.6, speed_images=1000)
    assert isinstance(got, float), "return a Python float"
    np.testing.assert_allclose(got, ada.p, rtol=1e-6, atol=1e-9,
                               err_msg=f"wrong p for p0={p0}, logits shifted by {shift}")
print("Exercise 1: correct")

# %% [markdown]
# ## Exercise 2 — one augmentation op: integer translation
#
# Shift every image `x` `(B, C, H, W)` by `(dy[b], dx[b])` whole pixels (tensors of ints,
# shape `(B,)`): output pixel `(i, j)` reads input pixel `(i - dy, j - dx)`, and reads 0
# where that falls outside the image (zero padding, as DiffAugment does). It must be
# differentiable in `x` (use indexing or `torch.roll` plus a mask, not Python loops over
# pixels).

# %%
def my_translate(x, dy, dx):
    """x (B, C, H, W) shifted by (dy, dx) whole pixels per image, zero padded."""
    # BEGIN SOLUTION hint: source row = i - dy[b]; gather from a zero-padded copy
    b, c, h, w = x.shape
    rows = torch.arange(h)[None, :] - dy[:, None]  # (B, H) source rows
    cols = torch.arange(w)[None, :] - dx[:, None]  # (B, W)
    valid = ((rows >= 0) & (rows < h))[:, :, None] & ((cols >= 0) & (cols < w))[:, None, :]
    out = x[torch.arange(b)[:, None, None], :, rows.clamp(0, h - 1)[:, :, None],
            cols.clamp(0, w - 1)[:, None, :]]  # (B, H, W, C)
    return out.permute(0, 3, 1, 2) * valid[:, None].to(x.dtype)
    # BLANK: return x
    # END SOLUTION


# %% tags=["check"]
x = torch.arange(2 * 1 * 5 * 5, dtype=torch.float64).reshape(2, 1, 5, 5) + 1
dy, dx = torch.tensor([1, -2]), torch.tensor([0, 3])
y = my_translate(x, dy, dx)
assert y.shape == x.shape, f"shape {tuple(y.shape)}, expected {tuple(x.shape)}"
ref = torch.zeros_like(x)
ref[0, :, 1:, :] = x[0, :, :-1, :]  # down by 1
ref[1, :, :3, 3:] = x[1, :, 2:, :2]  # up by 2, right by 3
torch.testing.assert_close(y, ref)
xg = x.clone().requires_grad_(True)
assert torch.autograd.gradcheck(lambda t: my_translate(t, dy, dx), (xg,)), "not differentiable"
print("Exercise 2: correct")

# %% [markdown]
# ## Exercise 3 — is an augmentation invertible?
#
# An augmentation acting on a finite set of states is a stochastic matrix $T$
# ($T_{ij} = P(\text{out } j \mid \text{in } i)$). It does not leak when $T$ is invertible.
# Return whether `t` is invertible, with a tolerance: its smallest singular value must be
# larger than `tol` (a determinant test fails for large matrices: `det(0.5 I)` underflows).

# %%
def my_is_invertible(t, tol=1e-9):
    """True when the square matrix t has smallest singular value > tol."""
    # BEGIN SOLUTION hint: np.linalg.svd(t, compute_uv=False)
    return bool(np.linalg.svd(np.asarray(t, dtype=np.float64), compute_uv=False).min() > tol)
    # BLANK: return True
    # END SOLUTION


# %% tags=["check"]
for p in [0.0, 0.1, 0.2, 0.25, 0.3]:
    t = A.four_arrows(p)
    assert my_is_invertible(t) == A.is_invertible(t), f"wrong answer for the four arrows, p={p}"
assert my_is_invertible(A.four_arrows(0.25)) is False, "p = 1/4 maps everything to uniform"
assert my_is_invertible(0.5 * np.eye(2000)), "0.5 I is invertible (its det underflows to 0)"
assert not my_is_invertible(np.full((3, 3), 1 / 3)), "a rank-1 matrix is not invertible"
print("Exercise 3: correct")
