# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 10 exercises — growing and styles
#
# Write the three functions below. Each `raise NotImplementedError("TODO: ...")` marks where
# your code goes. After each one, run the **check** cell that follows: it compares your
# function with ganlab's own (`ganlab.style`) and raises an `AssertionError` saying what is
# wrong.
#
# Feature maps are tensors `(B, C, H, W)`, styles `(B, C)`, latents w `(B, w_dim)`.

# %%
import torch
import torch.nn.functional as F

from ganlab import style

torch.manual_seed(0)
x = torch.randn(4, 6, 8, 8)  # (B, I, H, W) feature maps
weight = torch.randn(5, 6, 3, 3)  # (O, I, k, k)
s = torch.rand(4, 6) + 0.5  # (B, I) styles

# %% [markdown]
# ## Exercise 1 — AdaIN
#
# StyleGAN's adaptive instance normalisation (Huang & Belongie 2017; StyleGAN eq. 1):
# $\mathrm{AdaIN}(x_i, y) = y_{s,i}\,\frac{x_i - \mu(x_i)}{\sigma(x_i)} + y_{b,i}$, with the mean and
# the (biased) standard deviation of each sample's channel $i$ over H and W, and
# $\sigma = \sqrt{\mathrm{Var} + 10^{-5}}$.

# %%
def my_adain(x, scale, bias, eps=1e-5):
    """x (B, C, H, W); scale, bias (B, C) -> (B, C, H, W)."""
    # BEGIN SOLUTION hint: mean and var(unbiased=False) over dims (2, 3), keepdim; scale[:, :, None, None]
    mu = x.mean((2, 3), keepdim=True)
    sigma = (x.var((2, 3), keepdim=True, unbiased=False) + eps).sqrt()
    return scale[:, :, None, None] * (x - mu) / sigma + bias[:, :, None, None]
    # BLANK: return x * scale[:, :, None, None] + bias[:, :, None, None]
    # END SOLUTION


# %% tags=["check"]
b = torch.randn(4, 6)
got = my_adain(x, s, b)
assert tuple(got.shape) == (4, 6, 8, 8), f"expected shape (4, 6, 8, 8), got {tuple(got.shape)}"
torch.testing.assert_close(got, style.adain(x, s, b), msg="your AdaIN differs from style.adain")
print("Exercise 1: correct")

# %% [markdown]
# ## Exercise 2 — modulated and demodulated convolution
#
# StyleGAN2 scales the input channels of the weights by the style,
# $w'_{b,o,i,k} = s_{b,i}\, w_{o,i,k}$, then (demodulation) divides each output channel's weights
# by their norm, $w''_{b,o,i,k} = w'_{b,o,i,k} / \sqrt{\sum_{i,k} w'^2_{b,o,i,k} + 10^{-8}}$. Every
# sample gets its own weights: run them as **one** grouped convolution, reshaping x to
# `(1, B*I, H, W)` and the weights to `(B*O, I, k, k)` with `groups=B`, padding `k // 2`.

# %%
def my_modulated_conv2d(x, weight, styles, demodulate=True, eps=1e-8):
    """x (B, I, H, W), weight (O, I, k, k), styles (B, I) -> (B, O, H, W)."""
    # BEGIN SOLUTION hint: weight[None] * styles[:, None, :, None, None]; norm over dims 2-4; groups=B
    b, c_in, h, wd = x.shape
    c_out, _, k, _ = weight.shape
    w = weight[None] * styles[:, None, :, None, None]  # (B, O, I, k, k)
    if demodulate:
        w = w * (w.square().sum((2, 3, 4), keepdim=True) + eps).rsqrt()
    out = F.conv2d(x.reshape(1, b * c_in, h, wd), w.reshape(b * c_out, c_in, k, k),
                   padding=k // 2, groups=b)
    return out.reshape(b, c_out, h, wd)
    # BLANK: return F.conv2d(x, weight, padding=weight.shape[-1] // 2)
    # END SOLUTION


# %% tags=["check"]
for demod in (False, True):
    got = my_modulated_conv2d(x, weight, s, demod)
    assert tuple(got.shape) == (4, 5, 8, 8), f"expected shape (4, 5, 8, 8), got {tuple(got.shape)}"
    torch.testing.assert_close(got, style.modulated_conv2d(x, weight, s, demod),
                               msg=f"demodulate={demod}: differs from style.modulated_conv2d")
big = torch.randn(16, 32, 12, 12)
v = my_modulated_conv2d(big, torch.randn(32, 32, 3, 3), 10 * torch.rand(16, 32) + 0.1)
var = v[..., 1:-1, 1:-1].var().item()
assert abs(var - 1) < 0.1, f"demodulated outputs of unit-variance inputs: variance ~1, got {var:.3f}"
print("Exercise 2: correct")

# %% [markdown]
# ## Exercise 3 — truncation in W
#
# The truncation trick pulls each w towards the average $\bar w$ tracked during training:
# $w' = \bar w + \psi\,(w - \bar w)$. $\psi = 1$ leaves w alone, $\psi = 0$ gives every sample the
# average face.

# %%
def my_truncate_w(w, w_avg, psi):
    """w (B, w_dim), w_avg (w_dim,), psi a float -> (B, w_dim)."""
    # BEGIN SOLUTION hint: a linear interpolation between w_avg and w
    return w_avg + psi * (w - w_avg)
    # BLANK: return w * psi
    # END SOLUTION


# %% tags=["check"]
G = style.StyleGenerator(8, 8, 1, 8, w_dim=8)
G.w_avg.copy_(torch.randn(8))
G.eval()
z = torch.randn(5, 8)
for psi in (0.0, 0.5, 1.0):
    torch.testing.assert_close(my_truncate_w(G.map(z), G.w_avg, psi), G.map(z, psi=psi),
                               msg=f"psi={psi}: differs from StyleGenerator.map(z, psi)")
print("Exercise 3: correct")
