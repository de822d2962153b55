# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 3 exercises — fixes for mode collapse
#
# Write the two functions below. Each `raise NotImplementedError("TODO: ...")` marks where
# your code goes. The **check** cell after each compares your function with ganlab's
# (`ganlab.collapse.pack`, `ganlab.collapse.minibatch_stddev`) and raises an
# `AssertionError` saying what is wrong.

# %%
import torch

from ganlab import collapse

# %% [markdown]
# ## Exercise 1 — PacGAN's packing
#
# PacGAN (Lin et al. 2018) lets the discriminator judge $m$ samples at once: consecutive
# groups of $m$ rows of a batch `x` of shape `(B, d)` are concatenated into one input, so
# the result has shape `(B / m, m * d)` and packed sample $j$ is rows $jm, \dots, jm + m - 1$.
# Leading dimensions (such as a trial dimension) are kept: `(..., B, d) -> (..., B/m, m*d)`.
# Raise a `ValueError` when `B` is not divisible by `m`.

# %%
def my_pack(x, m):
    """(..., B, d) -> (..., B/m, m*d), packing consecutive rows."""
    # BEGIN SOLUTION hint: check the batch size, then one reshape does it
    if x.shape[-2] % m:
        raise ValueError(f"batch {x.shape[-2]} not divisible by {m}")
    return x.reshape(*x.shape[:-2], x.shape[-2] // m, m * x.shape[-1])
    # BLANK: return x.reshape(x.shape[-2] // m, -1) if x.dim() == 2 else x
    # END SOLUTION


# %% tags=["check"]
gen = torch.Generator().manual_seed(0)
for shape, m in [((12, 2), 3), ((12, 2), 1), ((4, 8, 2), 2), ((2, 3, 12, 5), 4)]:
    x = torch.randn(shape, generator=gen)
    got = my_pack(x, m)
    assert got.shape == collapse.pack(x, m).shape, f"shape {tuple(got.shape)} for {shape}, m={m}"
    torch.testing.assert_close(got, collapse.pack(x, m), msg=f"wrong order for {shape}, m={m}")
try:
    my_pack(torch.zeros(10, 2), 4)
except ValueError:
    pass
else:
    raise AssertionError("a batch of 10 cannot be packed by 4: raise a ValueError")
print("Exercise 1: correct")

# %% [markdown]
# ## Exercise 2 — minibatch standard deviation
#
# Karras et al. (2018, section 3) append one feature to every sample: the standard
# deviation of each feature over the minibatch, $\sqrt{\mathrm{Var}_b\, h_{bc} + 10^{-8}}$
# with the *biased* variance (divide by $B$), averaged over the features $c$. For `h` of
# shape `(..., B, C)` return `(..., B, C + 1)`: `h` followed by that one number (one per
# leading index, the same for every sample of the batch).

# %%
def my_minibatch_stddev(h, eps=1e-8):
    """(..., B, C) -> (..., B, C + 1) with the mean over features of the batch std appended."""
    # BEGIN SOLUTION hint: variance over dim -2, sqrt, mean over dim -1, expand, torch.cat
    var = (h - h.mean(-2, keepdim=True)).square().mean(-2)  # (..., C)
    s = (var + eps).sqrt().mean(-1, keepdim=True)  # (..., 1)
    return torch.cat([h, s.unsqueeze(-2).expand(*h.shape[:-1], 1)], dim=-1)
    # BLANK: return torch.cat([h, h.std(-2, keepdim=True).mean(-1, keepdim=True).expand_as(h[..., :1])], -1)
    # END SOLUTION


# %% tags=["check"]
gen = torch.Generator().manual_seed(1)
for shape in [(8, 3), (5, 16, 4), (2, 3, 6, 7)]:
    h = torch.randn(shape, generator=gen, dtype=torch.float64) * 2 + 1
    got, want = my_minibatch_stddev(h), collapse.minibatch_stddev(h)
    assert got.shape == want.shape, f"shape {tuple(got.shape)}, expected {tuple(want.shape)}"
    torch.testing.assert_close(got, want, msg="use the biased variance (divide by B), "
                               "then sqrt, then the mean over features")
print("Exercise 2: correct")
