# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 13b exercises — inpainting and GAN anomaly detection
#
# Write the functions below. Each `raise NotImplementedError("TODO: ...")` marks where your
# code goes. After each one, run the **check** cell that follows: it compares your function
# with ganlab's (`ganlab.inpaint`, `ganlab.anomaly`) or with scikit-learn's.

# %%
import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from ganlab import anomaly, inpaint

# %% [markdown]
# ## Exercise 1 — the reconstruction loss on the hole
#
# Given images `a` and `b` `(B, C, H, W)` and a mask `m` `(1, 1, H, W)` (1 in the hole, 0
# outside), return one number per image: the mean of $(a - b)^2$ over the hole's pixels
# and all channels, a tensor `(B,)`. Pixels outside the hole must not count.

# %%
def my_masked_mse(a, b, m):
    """Mean squared error over the hole of each image: (B,)."""
    # BEGIN SOLUTION hint: ((a - b)**2 * m) summed per image, divided by (pixels in the hole x channels)
    err = ((a - b).square() * m).flatten(1).sum(1)  # (B,)
    return err / (m.sum() * a.shape[1])
    # BLANK: return (a - b).square().flatten(1).mean(1)
    # END SOLUTION


# %% tags=["check"]
gen = torch.Generator().manual_seed(0)
a = torch.randn(3, 2, 8, 8, generator=gen, dtype=torch.float64)
b = torch.randn(3, 2, 8, 8, generator=gen, dtype=torch.float64)
m = inpaint.square_mask(8, 3).double()
mine = my_masked_mse(a, b, m)
assert torch.is_tensor(mine) and tuple(mine.shape) == (3,), "return one value per image, (B,)"
torch.testing.assert_close(mine, inpaint.masked_mse(a, b, m, per_image=True),
                           msg="your loss differs from ganlab.inpaint.masked_mse")
print("Exercise 1: correct")

# %% [markdown]
# ## Exercise 2 — the diffusion fill, a classical blur null
#
# Fill the hole of `x` `(B, C, H, W)` by diffusion: start with every hole pixel at the mean
# of the image's context pixels (per image and channel), then `iters` times replace each
# hole pixel by the mean of its 4 neighbours (up, down, left, right; at the image edge a
# pixel is its own neighbour, i.e. replicate padding), keeping the context as it is.
# Return the filled images. (`torch.nn.functional.pad(y, (1, 1, 1, 1), mode="replicate")`
# pads by one pixel.)

# %%
def my_diffusion_fill(x, m, iters):
    """x with its hole (m = 1) filled by `iters` Jacobi steps of Laplace's equation."""
    # BEGIN SOLUTION hint: y = x * (1 - m) + context_mean * m, then average 4 shifted copies of padded y
    ctx = 1 - m
    mean = (x * ctx).flatten(2).sum(2) / ctx.flatten(2).sum(2)  # (B, C)
    y = x * ctx + mean[:, :, None, None] * m
    for _ in range(iters):
        p = torch.nn.functional.pad(y, (1, 1, 1, 1), mode="replicate")
        avg = (p[..., :-2, 1:-1] + p[..., 2:, 1:-1] + p[..., 1:-1, :-2] + p[..., 1:-1, 2:]) / 4
        y = x * ctx + avg * m
    return y
    # BLANK: return x * (1 - m)
    # END SOLUTION


# %% tags=["check"]
x = torch.rand(2, 1, 12, 12, generator=gen, dtype=torch.float64) * 2 - 1
m = inpaint.square_mask(12, 5, top=1, left=6).double()  # near an edge: the padding matters
for iters in (1, 30):
    mine = my_diffusion_fill(x, m, iters)
    assert torch.is_tensor(mine) and mine.shape == x.shape, "return images of x's shape"
    torch.testing.assert_close(mine, inpaint.diffusion_fill(x, m, iters=iters),
                               msg=f"after {iters} steps your fill differs from ganlab's")
print("Exercise 2: correct")

# %% [markdown]
# ## Exercise 3 — AUROC
#
# Given anomaly scores of normal items and of anomalous ones (1-D arrays), return the area
# under the ROC curve with the anomalies as the positive class: the fraction of
# (normal, anomalous) pairs in which the anomaly scores higher, a tie counting one half.
# Return a float.

# %%
def my_auroc(normal, anomalous):
    """P(anomalous score > normal score) + P(equal) / 2."""
    # BEGIN SOLUTION hint: compare every pair with broadcasting: anomalous[:, None] vs normal[None, :]
    a, b = np.asarray(normal, dtype=float), np.asarray(anomalous, dtype=float)
    return float(((b[:, None] > a[None, :]) + 0.5 * (b[:, None] == a[None, :])).mean())
    # BLANK: return 0.5
    # END SOLUTION


# %% tags=["check"]
rng = np.random.default_rng(0)
normal, anomalous = np.round(rng.normal(0, 1, 40), 1), np.round(rng.normal(0.7, 1, 15), 1)
mine = my_auroc(normal, anomalous)
assert isinstance(mine, float), "return a float"
want = roc_auc_score(np.r_[np.zeros(40), np.ones(15)], np.r_[normal, anomalous])
assert abs(mine - want) < 1e-12, f"your AUROC {mine:.4f} differs from scikit-learn's {want:.4f}"
assert abs(mine - anomaly.auroc(normal, anomalous)) < 1e-12
print("Exercise 3: correct")
