# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 12a exercises — super-resolution, VQ-GAN, TransGAN
#
# Write the functions below. Each `raise NotImplementedError("TODO: ...")` marks where your
# code goes. After each one, run the **check** cell that follows: it compares your function
# with ganlab's (`ganlab.vqgan`, `ganlab.metrics.psnr`) or with a brute-force answer.

# %%
import torch

from ganlab import vqgan
from ganlab.metrics import psnr

# %% [markdown]
# ## Exercise 1 — the straight-through vector quantiser
#
# Given a latent map `z` `(B, D, H, W)` and a codebook `(K, D)`, find for every position the
# index $k$ of the nearest code, $k = \arg\min_j \|z - e_j\|_2$ (ties to the lower index), and
# return `(z_q, indices)`: `indices` is `(B, H, W)`, and `z_q` `(B, D, H, W)` has the value of
# the chosen codes but passes the gradient **straight through** to `z`:
# `z_q = z + (e - z).detach()`.

# %%
def my_quantize(z, codebook):
    """z (B, D, H, W), codebook (K, D) -> (z_q (B, D, H, W), indices (B, H, W))."""
    # BEGIN SOLUTION hint: flat = z.permute(0, 2, 3, 1).reshape(-1, D); torch.cdist(flat, codebook).argmin(1)
    b, d, h, w = z.shape
    flat = z.permute(0, 2, 3, 1).reshape(-1, d)  # (B*H*W, D)
    idx = torch.cdist(flat.detach(), codebook.detach()).argmin(1)  # nearest code
    e = codebook[idx].view(b, h, w, d).permute(0, 3, 1, 2)  # (B, D, H, W)
    return z + (e - z).detach(), idx.view(b, h, w)
    # BLANK: return z, torch.zeros(z.shape[0], z.shape[2], z.shape[3], dtype=torch.long)
    # END SOLUTION


# %% tags=["check"]
gen = torch.Generator().manual_seed(0)
z = torch.randn(2, 3, 4, 5, generator=gen, dtype=torch.float64, requires_grad=True)
book = torch.randn(12, 3, generator=gen, dtype=torch.float64)
got = my_quantize(z, book)
assert isinstance(got, tuple) and len(got) == 2, "return (z_q, indices)"
z_q, idx = got
ref_q, ref_idx, ref_e = vqgan.quantize(z, book)
assert tuple(idx.shape) == (2, 4, 5), f"indices shape {tuple(idx.shape)}, expected (2, 4, 5)"
assert torch.equal(idx, ref_idx), "wrong code indices: take the nearest code at each position"
torch.testing.assert_close(z_q, ref_e, msg="z_q must have the value of the chosen codes")
upstream = torch.randn(z.shape, generator=gen, dtype=torch.float64)
(grad,) = torch.autograd.grad((upstream * z_q).sum(), z)
torch.testing.assert_close(grad, upstream, msg="the gradient must pass straight through to z")
print("Exercise 1: correct")

# %% [markdown]
# ## Exercise 2 — PSNR
#
# Return the peak signal-to-noise ratio of each image of `x` against `ref` (both
# `(B, C, H, W)` in $[-1, 1]$), in dB: $10 \log_{10}(R^2 / \mathrm{MSE})$ with the mean
# squared error over channels and pixels of each image and the data range $R = 2$.
# Return a tensor `(B,)`.

# %%
def my_psnr(x, ref):
    """PSNR in dB per image: (B,)."""
    # BEGIN SOLUTION hint: mse = (x - ref).square().flatten(1).mean(1)
    mse = (x - ref).square().flatten(1).mean(1)
    return 10 * torch.log10(4.0 / mse)
    # BLANK: return torch.zeros(x.shape[0])
    # END SOLUTION


# %% tags=["check"]
ref = torch.rand(4, 3, 8, 8, generator=gen, dtype=torch.float64) * 2 - 1
x = ref + torch.linspace(0.01, 0.3, 4, dtype=torch.float64)[:, None, None, None] * torch.randn(
    4, 3, 8, 8, generator=gen, dtype=torch.float64)
mine = my_psnr(x, ref)
assert torch.is_tensor(mine) and tuple(mine.shape) == (4,), "return one PSNR per image, (B,)"
torch.testing.assert_close(mine, psnr(x, ref), msg="your PSNR differs from ganlab.metrics.psnr")
print("Exercise 2: correct")
