"""Manifold-based precision/recall and density/coverage.

* Improved precision and recall, Kynkäänniemi et al. 2019 ("Improved precision
  and recall metric for assessing generative models", eq. 1-3): the real
  manifold is the union of balls around each real feature with radius the
  distance to its k-th nearest real neighbour (self excluded); precision is the
  fraction of fakes inside it (``<=``), recall the fraction of reals inside the
  fake manifold. Default k = 3.
* Density and coverage, Naeem et al. 2020 ("Reliable fidelity and diversity
  metrics for generative models", eq. 3-4), k = 5, with strict ``<`` as in their
  reference code: density = (1 / kM) sum_j sum_i 1[Y_j in B(X_i, NND_k(X_i))],
  coverage = (1 / N) sum_i 1[exists j: Y_j in B(X_i, NND_k(X_i))].

Distances are Euclidean in float64 and compared as squared distances; pairs are
processed in chunks so 10,000 x 10,000 sets fit in memory.
"""

from __future__ import annotations

import numpy as np
import torch

from ._checks import as_pair

__all__ = ["precision_recall", "density_coverage", "prdc"]

_CHUNK = 2048


def _sq_dist(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Squared Euclidean distances ``(len(a), len(b))``, clamped at 0 against rounding."""
    d2 = (a * a).sum(1, keepdim=True) + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return d2.clamp_(min=0.0)


def _kth_radius2(x: torch.Tensor, k: int) -> torch.Tensor:
    """Squared distance from each row of x to its k-th nearest other row, ``(N,)``."""
    out = []
    for s in range(0, x.shape[0], _CHUNK):
        d2 = _sq_dist(x[s:s + _CHUNK], x)  # (chunk, N), includes self at 0
        out.append(torch.kthvalue(d2, k + 1, dim=1).values)  # k+1: the self-distance comes first
    return torch.cat(out)


def _prepare(real, fake, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    why = f"the k-th neighbour (k={k}) excluding self needs k + 1 samples"
    r, f = as_pair(real, fake, min_samples=k + 1, why=why)
    return torch.from_numpy(r), torch.from_numpy(f)


def prdc(real, fake, k: int = 5, pr_k: int | None = None) -> dict[str, float]:
    """All four numbers: precision/recall with ``pr_k`` (default ``k``, ``<=``),
    density/coverage with ``k`` (strict ``<``)."""
    pr_k = k if pr_k is None else pr_k
    p, r = precision_recall(real, fake, k=pr_k)
    d, c = density_coverage(real, fake, k=k)
    return {"precision": p, "recall": r, "density": d, "coverage": c}


def precision_recall(real, fake, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019) of ``fake`` w.r.t. ``real``."""
    x, y = _prepare(real, fake, k)
    rx, ry = _kth_radius2(x, k), _kth_radius2(y, k)  # (N,), (M,)
    fake_in = torch.zeros(y.shape[0], dtype=torch.bool)
    real_in = []
    for s in range(0, x.shape[0], _CHUNK):
        d2 = _sq_dist(x[s:s + _CHUNK], y)  # (chunk, M)
        fake_in |= (d2 <= rx[s:s + _CHUNK, None]).any(0)  # fake inside a real ball
        real_in.append((d2 <= ry[None, :]).any(1))  # real inside a fake ball
    return float(fake_in.double().mean()), float(torch.cat(real_in).double().mean())


def density_coverage(real, fake, k: int = 5) -> tuple[float, float]:
    """Density and coverage (Naeem et al. 2020) of ``fake`` w.r.t. ``real``."""
    x, y = _prepare(real, fake, k)
    rx = _kth_radius2(x, k)
    count = torch.zeros(y.shape[0], dtype=torch.float64)  # balls containing each fake
    covered = []
    for s in range(0, x.shape[0], _CHUNK):
        inside = _sq_dist(x[s:s + _CHUNK], y) < rx[s:s + _CHUNK, None]  # (chunk, M)
        count += inside.sum(0)
        covered.append(inside.any(1))
    density = float(count.sum()) / (k * y.shape[0])
    return density, float(np.mean(torch.cat(covered).numpy()))
