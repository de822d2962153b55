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
# # Chapter 12c exercises — tables, time series and sound
#
# Write the two functions below. Each `raise NotImplementedError("TODO: ...")` marks
# where your code goes. After each one, run the **check** cell that follows: it compares
# your function with ganlab's (`ganlab.tabular`, `ganlab.metrics`) or with a closed form,
# and raises an `AssertionError` saying what is wrong.

# %%
import math

import numpy as np
import torch

from ganlab import data, metrics
from ganlab import tabular as TB

# %% [markdown]
# ## Exercise 1 — mode-specific normalisation of one column
#
# CTGAN represents a value $c$ of a continuous column by a mode $k$ of the column's
# Gaussian mixture (means $\eta$, standard deviations $\phi$, weights $\pi$, arrays of
# shape `(K,)`) and a scalar within it. Take the mode of largest posterior
# $\rho_k \propto \pi_k \mathcal N(c; \eta_k, \phi_k)$ (the paper *samples* it; the argmax
# keeps the check deterministic) and return `(alpha, mode)`, arrays `(N,)`, with
# $\alpha = (c - \eta_k) / (4 \phi_k)$. Work in log space: far from every mode the
# densities underflow to 0.

# %%
def my_mode_normalize(values, means, stds, weights):
    """(alpha (N,), mode (N,) int) for values (N,) under the mixture (means, stds, weights)."""
    # BEGIN SOLUTION hint: log pi_k - log phi_k - (c - eta_k)^2 / (2 phi_k^2), argmax over k
    c = np.asarray(values, dtype=np.float64)[:, None]  # (N, 1)
    logp = np.log(weights) - np.log(stds) - 0.5 * ((c - means) / stds) ** 2  # (N, K)
    mode = logp.argmax(1)
    return (c[:, 0] - means[mode]) / (4 * stds[mode]), mode
    # BLANK: return np.asarray(values) / 4, np.zeros(len(values), dtype=int)
    # END SOLUTION


# %% tags=["check"]
wine = data.wine_table("train")
j = wine.columns.index("proline")
col = TB.ModeNormalizer.fit(wine.x[:, j])
values = np.concatenate([wine.x[:, j], [-1e4, 1e5]])  # two far outliers
alpha, mode = my_mode_normalize(values, col.means, col.stds, col.weights)
ref_alpha, ref_mode = TB.mode_normalize(values, col.means, col.stds, col.weights)
assert np.asarray(mode).shape == (len(values),), "return one mode per value"
np.testing.assert_array_equal(mode, ref_mode, err_msg="wrong modes (largest posterior?)")
np.testing.assert_allclose(alpha, ref_alpha, rtol=1e-10, err_msg="wrong alpha")
np.testing.assert_allclose(TB.mode_denormalize(alpha, mode, col.means, col.stds), values, rtol=1e-10)
print("Exercise 1: correct")

# %% [markdown]
# ## Exercise 2 — the log-spectral distance
#
# Given two average power spectra `p_real`, `p_fake` (tensors `(F,)`, e.g. from
# `metrics.power_spectrum`), return as a float the RMS over bins of their difference in
# decibels, $\sqrt{\operatorname{mean}_f \big(10 \log_{10}(p_{\text{real}} + \epsilon) -
# 10 \log_{10}(p_{\text{fake}} + \epsilon)\big)^2}$.

# %%
def my_lsd(p_real, p_fake, eps=1e-10):
    """RMS dB difference of two power spectra (F,)."""
    # BEGIN SOLUTION hint: 10 * torch.log10(p + eps) for each, then the root mean square
    diff = 10 * (torch.log10(p_real + eps) - torch.log10(p_fake + eps))
    return math.sqrt(float(diff.square().mean()))
    # BLANK: return float((p_real - p_fake).abs().mean())
    # END SOLUTION


# %% tags=["check"]
clips = data.sounds(n=6, length=1024).x
noise = 0.3 * torch.randn(6, 1, 1024, generator=torch.Generator().manual_seed(0))
p_clips, p_noise = metrics.power_spectrum(clips), metrics.power_spectrum(noise)
got = my_lsd(p_clips, p_noise)
assert isinstance(got, float), "return a Python float"
np.testing.assert_allclose(got, metrics.log_spectral_distance(clips, noise), rtol=1e-9)
np.testing.assert_allclose(my_lsd(p_noise, 4 * p_noise, eps=0.0), 10 * math.log10(4), rtol=1e-9,
                           err_msg="4 times the power is 6.02 dB at every bin")
assert my_lsd(p_clips, p_clips) == 0.0
print("Exercise 2: correct")
