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
# # Chapter 6 exercises — FID and KID
#
# Write the two metrics of chapter 6 from features. Each `raise NotImplementedError("TODO: ...")`
# marks where your code goes. After each one, run the **check** cell that follows: it
# compares your function with ganlab's (`ganlab.metrics.fid`, `ganlab.metrics.kid`) on
# the digits classifier's features and raises an `AssertionError` saying what is wrong.
#
# Features are float64 numpy arrays of shape `(N, d)`, one row per image.

# %%
import numpy as np
import scipy.linalg

from ganlab import data, metrics
from ganlab.features import load_digits_net

net = load_digits_net()
train, test = data.digits(16, split="train"), data.digits(16, split="test")
f_train = net.features(train.x).double().numpy()  # (1437, 64)
f_test = net.features(test.x).double().numpy()  # (360, 64)
rng = np.random.default_rng(0)

# %% [markdown]
# ## Exercise 1 — the Fréchet distance
#
# Fit a Gaussian to each feature set, mean $\mu$ and covariance $\Sigma$ (the sample
# covariance, divisor $N - 1$: `np.cov(x, rowvar=False)`), and return
#
# $$
# \mathrm{FID} = \lVert \mu_1 - \mu_2 \rVert^2
#   + \operatorname{Tr}\big(\Sigma_1 + \Sigma_2 - 2 (\Sigma_1 \Sigma_2)^{1/2}\big).
# $$
#
# `scipy.linalg.sqrtm` computes a matrix square root; rounding can give it a tiny
# imaginary part, which you drop with `.real`.

# %%
def my_fid(x, y):
    """FID between feature sets x (N1, d) and y (N2, d), as a float."""
    # BEGIN SOLUTION hint: means, covariances (np.cov with rowvar=False), scipy.linalg.sqrtm
    mu1, mu2 = x.mean(axis=0), y.mean(axis=0)
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))
    # BLANK: return float(((x.mean(0) - y.mean(0)) ** 2).sum())
    # END SOLUTION


# %% tags=["check"]
noisy = f_test + 0.3 * rng.standard_normal(f_test.shape)
shifted = f_test + 0.5
for name, fake in [("held-out digits", f_test), ("noisy features", noisy),
                   ("shifted features", shifted), ("training digits 0-4", f_train[train.y < 5])]:
    got, want = my_fid(f_train, fake), metrics.fid(f_train, fake)
    assert np.isfinite(got), f"{name}: FID is not finite"
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-8,
                               err_msg=f"{name}: FID differs from ganlab.metrics.fid")
np.testing.assert_allclose(my_fid(f_train, f_train), 0.0, atol=1e-6,
                           err_msg="FID of a set with itself must be 0")
print(f"Exercise 1: correct (train vs held-out: {my_fid(f_train, f_test):.4f})")

# %% [markdown]
# ## Exercise 2 — KID's unbiased estimator
#
# KID is the squared maximum mean discrepancy with the cubic kernel
# $k(a, b) = (a \cdot b / d + 1)^3$. For two sets of $m$ samples each, the **unbiased**
# estimator leaves out the terms that compare a sample with itself:
#
# $$
# \widehat{\mathrm{MMD}}^2_u = \frac{1}{m(m-1)} \sum_{i \ne j} k(x_i, x_j)
#   + \frac{1}{m(m-1)} \sum_{i \ne j} k(y_i, y_j)
#   - \frac{2}{m^2} \sum_{i, j} k(x_i, y_j).
# $$
#
# Write it for two sets of equal size `m` (no subsets: ganlab's `kid` averages this over
# random subsets). Because it is unbiased it can be negative when the two sets come from
# one distribution.

# %%
def my_mmd2_unbiased(x, y):
    """Unbiased MMD^2 with the cubic kernel between x (m, d) and y (m, d), as a float."""
    # BEGIN SOLUTION hint: three kernel matrices; drop the diagonals of k(x, x) and k(y, y)
    m, d = x.shape
    k_xx = (x @ x.T / d + 1) ** 3  # (m, m)
    k_yy = (y @ y.T / d + 1) ** 3
    k_xy = (x @ y.T / d + 1) ** 3
    xx = (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
    yy = (k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(xx + yy - 2 * k_xy.mean())
    # BLANK: return float(((x.mean(0) - y.mean(0)) ** 2).sum() / x.shape[1])
    # END SOLUTION


# %% tags=["check"]
m = len(f_test)
x = f_train[rng.choice(len(f_train), m, replace=False)]
for name, fake in [("held-out digits", f_test), ("noisy features", noisy),
                   ("shifted features", shifted)]:
    got = my_mmd2_unbiased(x, fake)
    # kid with one subset as large as the sets is the full-set unbiased MMD^2
    want, _ = metrics.kid(x, fake, subsets=1, subset_size=m)
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10,
                               err_msg=f"{name}: differs from ganlab.metrics.kid")
small = f_test[:4]  # on 4 samples the diagonal terms matter a lot
np.testing.assert_allclose(my_mmd2_unbiased(small, small[::-1].copy()),
                           metrics.kid(small, small[::-1].copy(), subsets=1, subset_size=4)[0],
                           rtol=1e-8, err_msg="leave out the i = j terms of k(x, x) and k(y, y)")
print(f"Exercise 2: correct (train vs held-out: {my_mmd2_unbiased(x, f_test):.5f})")
