# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 11 exercises — attention, scale and a single image
#
# Write the three functions below. Each `raise NotImplementedError("TODO: ...")` marks where
# your code goes. After each one, run the **check** cell that follows: it compares your
# function with ganlab's (`ganlab.attention`, `ganlab.singan`) on random inputs.

# %%
import torch
import torch.nn.functional as F

from ganlab import attention, singan

torch.manual_seed(0)

# %% [markdown]
# ## Exercise 1 — the self-attention block
#
# With `block = attention.SelfAttention(C)` and its 1x1 convolutions `block.f` (queries),
# `block.g` (keys), `block.h` (values), `block.v` (output) and scalar `block.gamma`:
# flatten the spatial dimensions ($N = HW$), compute $s_{ji} = f(x_j)^\top g(x_i)$, take
# $\beta_{j,\cdot} = \mathrm{softmax}_i(s_{j,\cdot})$, $o_j = \sum_i \beta_{j,i} h(x_i)$, and
# return $x + \gamma\, v(o)$ with $o$ reshaped to `(B, C, H, W)`.

# %%
def my_self_attention(block, x):
    """x (B, C, H, W) -> (B, C, H, W), SAGAN's y = x + gamma * v(o)."""
    # BEGIN SOLUTION hint: q = f(x).flatten(2) (B, k, N); beta = softmax(q^T k, -1); o = h(x) beta^T
    b, c, hh, ww = x.shape
    q, k = block.f(x).flatten(2), block.g(x).flatten(2)  # (B, k, N)
    beta = (q.transpose(1, 2) @ k).softmax(-1)  # (B, N, N)
    o = (block.h(x).flatten(2) @ beta.transpose(1, 2)).view(b, c, hh, ww)
    return x + block.gamma * block.v(o)
    # BLANK: return x
    # END SOLUTION


# %% tags=["check"]
block = attention.SelfAttention(16, sn=False)
with torch.no_grad():
    block.gamma.fill_(0.8)
x = torch.randn(2, 16, 5, 6)
with torch.no_grad():
    mine = my_self_attention(block, x)
assert tuple(mine.shape) == (2, 16, 5, 6), f"expected shape (2, 16, 5, 6), got {tuple(mine.shape)}"
torch.testing.assert_close(mine, block(x).detach(), msg="your block differs from ganlab's")
print("Exercise 1: correct")

# %% [markdown]
# ## Exercise 2 — the truncation trick
#
# Return a copy of `z` in which every entry with $|z| > t$ is replaced by a fresh draw from
# $\mathcal{N}(0, 1)$ (use `torch.randn(..., generator=generator)`), repeatedly, until all
# entries lie in $[-t, t]$. Entries already inside must stay exactly as they were.

# %%
def my_truncate_z(z, threshold, generator=None):
    """z (B, nz) -> (B, nz) with every entry in [-threshold, threshold]."""
    # BEGIN SOLUTION hint: loop: mask = z.abs() > threshold; z[mask] = torch.randn(mask.sum())
    z = z.clone()
    while True:
        out = z.abs() > threshold
        if not out.any():
            return z
        z[out] = torch.randn(int(out.sum()), generator=generator)
    # BLANK: return z.clamp(-threshold, threshold)
    # END SOLUTION


# %% tags=["check"]
z = torch.randn(400, 8, generator=torch.Generator().manual_seed(1))
mine = my_truncate_z(z, 0.7, torch.Generator().manual_seed(2))
ref = attention.truncate_z(z, 0.7, torch.Generator().manual_seed(2))
inside = z.abs() <= 0.7
assert (mine.abs() <= 0.7).all(), "some entries are still beyond the threshold"
torch.testing.assert_close(mine[inside], z[inside], msg="entries inside the threshold changed")
assert (mine[~inside] != z[~inside]).all(), "entries beyond the threshold must be redrawn, not kept"
assert ((mine[~inside].abs() - 0.7).abs() > 1e-6).all(), "redraw the entries; do not clip them"
torch.testing.assert_close(mine, ref, msg="with the same generator ganlab draws other values")
print("Exercise 2: correct")

# %% [markdown]
# ## Exercise 3 — SinGAN's upsample-and-add step
#
# Given the next finer generator `g` (called as `g(noise, prev)`, which itself returns
# `prev + convs(noise + prev)`), the image of the coarser scale `x_coarser` `(B, C, h, w)`
# and a noise map `noise` `(B, C, H, W)`, upsample `x_coarser` bilinearly to `(H, W)`
# (`align_corners=False`) and return `g(noise, upsampled)`.

# %%
def my_next_scale(g, x_coarser, noise):
    """x_coarser (B, C, h, w), noise (B, C, H, W) -> (B, C, H, W)."""
    # BEGIN SOLUTION hint: F.interpolate(x_coarser, size=noise.shape[-2:], mode="bilinear")
    up = F.interpolate(x_coarser, size=tuple(noise.shape[-2:]), mode="bilinear", align_corners=False)
    return g(noise, up)
    # BLANK: return g(noise, torch.zeros_like(noise))
    # END SOLUTION


# %% tags=["check"]
g = singan.Generator(3, 8)
coarse, noise = torch.randn(2, 3, 9, 9), 0.1 * torch.randn(2, 3, 14, 14)
with torch.no_grad():
    mine = my_next_scale(g, coarse, noise)
    ref = singan.next_scale(g, coarse, noise)
assert tuple(mine.shape) == (2, 3, 14, 14), f"expected shape (2, 3, 14, 14), got {tuple(mine.shape)}"
torch.testing.assert_close(mine, ref, msg="your step differs from ganlab's singan.next_scale")
print("Exercise 3: correct")
