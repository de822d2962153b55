"""Deliberately broken "generators" for testing what each metric sees.

Each failure is built directly from data, so a metric table over all of them is
computed in seconds and every row has one known flaw:

- ``good``: held-out real digits (the test split) -- what a perfect generator
  that never saw these images would produce;
- ``mode-dropped``: held-out digits of classes 0-4 only (half the modes);
- ``blurred``: held-out digits under a Gaussian blur (every sample off the
  data manifold, all modes present);
- ``noisy``: held-out digits plus Gaussian pixel noise, clamped back to [-1, 1];
- ``memorised``: copies of training images (perfect samples, no generalisation),
  optionally jittered by a little pixel noise (near-copies, so that nothing about
  them is exactly a training image) and drawn in the good set's class counts (so
  that the two sets differ in copying only, not in class proportions).

The metrics compare each set with the *training* images, as a GAN's would be.
All sets have the same size ``n`` (the size of the smallest, the mode-dropped
one, unless a smaller n is asked for), because the small-sample bias of FID, KID
and the k-NN metrics depends on n. Memorisation is invisible to any metric that
compares distributions; ``memorisation_ratio`` and ``copying_z`` look for it
directly, by the distance from each sample to its nearest training image set
against the same distance for held-out real images (the test of Meehan et al.
2020, "A non-parametric test to detect data-copying in generative models",
section 3: the Mann-Whitney statistic Z_U of the two sets of distances; the paper
also splits the space into cells and averages Z_U over them, which is left out
here, so ``copying_z`` is their test with a single cell).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from scipy.stats import rankdata
from torch import Tensor

__all__ = ["FAILURES", "gaussian_blur", "add_noise", "broken_generators", "heldout_rest",
           "nearest_neighbour_distance", "memorisation_ratio", "copying_z"]

FAILURES = ("good", "mode-dropped", "blurred", "noisy", "memorised")


def gaussian_blur(x: Tensor, sigma: float) -> Tensor:
    """Separable Gaussian blur of images (N, C, H, W), kernel radius ceil(3 sigma),
    reflect padding (so a blurred image keeps its mean brightness near the border)."""
    if x.dim() != 4:
        raise ValueError(f"expected images (N, C, H, W), got {tuple(x.shape)}")
    if sigma <= 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    r = math.ceil(3 * sigma)
    if r >= min(x.shape[-2:]):
        raise ValueError(f"sigma={sigma} needs a kernel radius {r} < the image side {x.shape[-1]}")
    u = torch.arange(-r, r + 1, dtype=x.dtype)
    k = torch.exp(-(u**2) / (2 * sigma**2))
    k = k / k.sum()  # (2r + 1,)
    c = x.shape[1]
    out = F.pad(x, (r, r, r, r), mode="reflect")  # (N, C, H + 2r, W + 2r)
    out = F.conv2d(out, k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)  # along W
    return F.conv2d(out, k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)  # along H


def add_noise(x: Tensor, std: float, generator: torch.Generator | None = None) -> Tensor:
    """x + std * N(0, 1) per pixel, clamped to the image range [-1, 1] (deliberately:
    a generator's tanh output cannot leave it either)."""
    if std < 0:
        raise ValueError(f"std must be >= 0, got {std}")
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype)
    return (x + std * noise).clamp(-1.0, 1.0)


def _subset(x: Tensor, n: int, g: torch.Generator) -> Tensor:
    return x[torch.randperm(len(x), generator=g)[:n]]


def _copies(train_x: Tensor, train_y: Tensor | None, like_y: Tensor, n: int,
            g: torch.Generator) -> Tensor:
    """n training images; with labels, in the class counts of like_y (n,), in its order."""
    if train_y is None:
        return _subset(train_x, n, g)
    if train_y.shape != (train_x.shape[0],):
        raise ValueError(f"train_y must be labels (N,) of the {train_x.shape[0]} training images, "
                         f"got {tuple(train_y.shape)}")
    out = torch.empty((n, *train_x.shape[1:]), dtype=train_x.dtype)
    for c in like_y.unique().tolist():
        where = (like_y == c).nonzero().flatten()  # positions of class c in the good set
        pool = train_x[train_y == c]
        if len(pool) < len(where):
            raise ValueError(f"class {c}: {len(where)} copies asked, {len(pool)} training images")
        out[where] = _subset(pool, len(where), g)
    return out


def broken_generators(train_x: Tensor, test_x: Tensor, test_y: Tensor, n: int | None = None,
                      blur_sigma: float = 1.0, noise_std: float = 0.3,
                      dropped_from: int = 5, seed: int = 0, train_y: Tensor | None = None,
                      copy_noise: float = 0.0) -> dict[str, Tensor]:
    """Samples of every failure in `FAILURES`, each (n, C, H, W), from real images.

    ``train_x`` are the images a generator would have trained on; ``test_x``,
    ``test_y`` held-out images and their labels. ``mode-dropped`` keeps the classes
    below ``dropped_from``. ``n`` defaults to (and may not exceed) the number of
    such held-out images. ``memorised`` copies training images: in the class counts
    of the ``good`` set when ``train_y`` (the training labels) is given, plus pixel
    noise of std ``copy_noise`` (`add_noise`) when it is > 0.
    """
    if test_x.shape[0] != test_y.shape[0] or train_x.shape[1:] != test_x.shape[1:]:
        raise ValueError(f"expected train (N, C, H, W), test (M, C, H, W) and labels (M,); got "
                         f"{tuple(train_x.shape)}, {tuple(test_x.shape)}, {tuple(test_y.shape)}")
    kept = test_x[test_y < dropped_from]
    n_max = min(len(kept), len(train_x))
    n = n_max if n is None else n
    if not 2 <= n <= n_max:
        raise ValueError(f"n must be in [2, {n_max}] (held-out images of classes < {dropped_from}),"
                         f" got {n}")
    g = torch.Generator().manual_seed(seed)
    pick = torch.randperm(len(test_x), generator=g)[:n]
    good = test_x[pick]
    sets = {
        "good": good,
        "mode-dropped": _subset(kept, n, g),
        "blurred": gaussian_blur(good, blur_sigma),
        "noisy": add_noise(good, noise_std, generator=g),
        "memorised": _copies(train_x, train_y, test_y[pick], n, g),
    }
    if copy_noise > 0:
        sets["memorised"] = add_noise(sets["memorised"], copy_noise, generator=g)
    return sets


def heldout_rest(heldout: Tensor, used: Tensor) -> Tensor:
    """The rows of heldout (M, ...) that are not rows of used (N, ...): the held-out images
    a set drawn from them left out, the independent reference `copying_z` needs."""
    if heldout.shape[1:] != used.shape[1:]:
        raise ValueError(f"heldout {tuple(heldout.shape)} and used {tuple(used.shape)} differ "
                         f"in item shape")
    d = torch.cdist(heldout.flatten(1).double(), used.flatten(1).double()).min(dim=1).values
    return heldout[d > 0]


def nearest_neighbour_distance(x: Tensor, reference: Tensor) -> Tensor:
    """Euclidean distance from each row of x to its nearest row of reference, (N,).

    Images are flattened to pixels; pass features to measure in feature space.
    """
    x, reference = x.flatten(1).double(), reference.flatten(1).double()  # (N, D), (M, D)
    if x.shape[1] != reference.shape[1]:
        raise ValueError(f"x and reference differ in size: {x.shape[1]} vs {reference.shape[1]}")
    return torch.cdist(x, reference).min(dim=1).values  # (N,)


def memorisation_ratio(fake: Tensor, train: Tensor, heldout: Tensor) -> float:
    """median NN distance of fakes to the training set / the same for held-out reals.

    About 1 for a generator whose samples are as far from the training images as
    new real images are; near 0 when it copies training images.
    """
    d_fake = nearest_neighbour_distance(fake, train).median()
    d_real = nearest_neighbour_distance(heldout, train).median()
    if d_real <= 0:
        raise ValueError("held-out images duplicate training images: the reference distance is 0")
    return float(d_fake / d_real)


def copying_z(fake: Tensor, train: Tensor, heldout: Tensor) -> float:
    """Meehan et al.'s data-copying statistic Z_U (one cell), a z-score.

    a_i = distance from fake i to its nearest training image (m of them), b_j = the
    same for held-out image j (n of them, none of them a training image or a fake).
    The Mann-Whitney count U = #{(i, j): a_i > b_j} + #{a_i = b_j} / 2 has mean mn/2
    and variance mn/12 (m + n + 1 - sum(t^3 - t) / ((m + n)(m + n - 1))) (t: the sizes
    of tied groups) when fakes are as far from the training set as new data is, and
    Z_U = (U - mn/2) / sd. Z_U << 0: the fakes sit closer to the training images than
    new data does (copying; the paper flags Z_U < -3); Z_U >> 0: farther (the fakes are
    off the data, e.g. noisy); about N(0, 1) for a generator of new data.
    """
    a = nearest_neighbour_distance(fake, train).numpy()  # (m,)
    b = nearest_neighbour_distance(heldout, train).numpy()  # (n,)
    m, n = len(a), len(b)
    if m < 2 or n < 2:
        raise ValueError(f"copying_z needs at least 2 fakes and 2 held-out images, got {m}, {n}")
    ranks = rankdata(np.concatenate([a, b]))  # average ranks for ties
    u = ranks[:m].sum() - m * (m + 1) / 2  # pairs with a_i > b_j, ties counted 1/2
    _, t = np.unique(np.concatenate([a, b]), return_counts=True)
    var = m * n / 12 * (m + n + 1 - (t**3 - t).sum() / ((m + n) * (m + n - 1)))
    if var <= 0:
        raise ValueError("every distance is tied: Z_U is undefined")
    return float((u - m * n / 2) / math.sqrt(var))
