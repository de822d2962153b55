"""Vectorised trials: T independent small networks run as one batched model.

Small MLPs on 2D toys spend their time in Python, not in arithmetic, so ten
trials trained one after another cost ten times one trial. Here every layer
carries a leading trial dimension T (weights `(T, in, out)`, applied with one
`torch.baddbmm`), so T trials cost about one Python step.

The trainer is not changed. Its batch is `T * B` rows, laid out trial-major:
rows `t*B .. (t+1)*B - 1` belong to trial t. Every ensemble net reshapes its
input `(T*B, d)` to `(T, B, d)` and returns `(T*B, ...)` again, so latents
`ctx.z()`, real batches `ctx.real` and per-sample regularisers (gradient
penalty: one interpolation and one gradient norm per row) keep their meaning.
A phase's loss must be the *sum over trials* of each trial's mean loss
(`trials * loss_fn(...)`, since the loss functions average over all T*B rows):
then each trial's gradient is exactly its own and Adam, which works element by
element, keeps the trials independent. `tests/test_ensemble.py` checks that a
T-trial step equals T separate one-trial steps.

- `EnsembleLinear`: T linear layers, x (T, B, in) -> (T, B, out).
- `EnsembleBatchNorm`: BatchNorm1d per trial over that trial's batch (Ioffe &
  Szegedy 2015), implemented as one BatchNorm1d over T*C features.
- `maxout`: Goodfellow et al. 2013, max over `pieces` linear units.
- `grid_spread`: how much a metric moves across a grid of settings (the spread of the
  per-cell seed means) against how much it moves across seeds within a cell (the pooled
  within-cell standard deviation): the one-way analysis-of-variance view of a
  hyperparameter sweep whose cells are batched trials.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

__all__ = ["EnsembleLinear", "EnsembleBatchNorm", "maxout", "split_trials", "merge_trials",
           "stack_params", "unstack_params", "grid_spread"]


def split_trials(x: Tensor, trials: int) -> Tensor:
    """(T*B, ...) trial-major rows -> (T, B, ...)."""
    if x.shape[0] % trials:
        raise ValueError(f"a batch of {x.shape[0]} rows does not split into {trials} trials: "
                         f"use a batch that is a multiple of the number of trials")
    return x.reshape(trials, x.shape[0] // trials, *x.shape[1:])


def merge_trials(x: Tensor) -> Tensor:
    """(T, B, ...) -> (T*B, ...) trial-major rows."""
    return x.reshape(x.shape[0] * x.shape[1], *x.shape[2:])


class EnsembleLinear(nn.Module):
    """T independent linear layers: x (T, B, in) -> x W_t + b_t (T, B, out).

    Initialised per trial like `nn.Linear` (uniform(-1/sqrt(in), 1/sqrt(in))). Use
    `bias=False` before batch norm, which removes a bias anyway (its gradient is
    rounding noise, which Adam would amplify into steps of size lr).
    """

    def __init__(self, trials: int, d_in: int, d_out: int, bias: bool = True) -> None:
        super().__init__()
        bound = 1.0 / math.sqrt(d_in)
        self.weight = nn.Parameter(torch.empty(trials, d_in, d_out).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(trials, 1, d_out).uniform_(-bound, bound)) if bias \
            else None

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 3 or x.shape[0] != self.weight.shape[0] or x.shape[2] != self.weight.shape[1]:
            raise ValueError(f"expected x of shape (T={self.weight.shape[0]}, B, "
                             f"{self.weight.shape[1]}), got {tuple(x.shape)}")
        if self.bias is None:
            return torch.bmm(x, self.weight)  # (T, B, out)
        return torch.baddbmm(self.bias, x, self.weight)  # (T, B, out)


class EnsembleBatchNorm(nn.Module):
    """Batch norm of each trial over its own batch: (T, B, C) -> (T, B, C)."""

    def __init__(self, trials: int, features: int) -> None:
        super().__init__()
        self.trials, self.features = trials, features
        self.bn = nn.BatchNorm1d(trials * features)  # feature t*C + c is trial t's feature c

    def forward(self, x: Tensor) -> Tensor:
        t, b, c = x.shape
        h = self.bn(x.transpose(0, 1).reshape(b, t * c))  # (B, T*C): stats over B only
        return h.reshape(b, t, c).transpose(0, 1)  # (T, B, C)


def maxout(x: Tensor, pieces: int) -> Tensor:
    """Maxout over groups of `pieces` consecutive units: (..., C*pieces) -> (..., C)."""
    if x.shape[-1] % pieces:
        raise ValueError(f"maxout: {x.shape[-1]} units do not split into groups of {pieces}")
    # max, not amax: max's backward scatters through the argmax indices, while amax's compares
    # with the output and divides among ties, about 3x slower here
    return x.unflatten(-1, (x.shape[-1] // pieces, pieces)).max(-1).values


@torch.no_grad()
def stack_params(ensemble: nn.Module, singles: list[nn.Module]) -> None:
    """Copy T one-trial ensembles' parameters and buffers into a T-trial ensemble of the same design.

    EnsembleLinear tensors are stacked on dim 0; EnsembleBatchNorm's T*C features are concatenated.
    """
    for name, dst in list(ensemble.named_parameters()) + list(ensemble.named_buffers()):
        srcs = [dict(list(m.named_parameters()) + list(m.named_buffers()))[name] for m in singles]
        if dst.dim() == 0:  # num_batches_tracked
            dst.copy_(srcs[0])
        else:
            dst.copy_(torch.cat(srcs, dim=0))


def unstack_params(ensemble: nn.Module, singles: list[nn.Module]) -> None:
    """The inverse of `stack_params`: trial t's tensors into singles[t]."""
    with torch.no_grad():
        for name, src in list(ensemble.named_parameters()) + list(ensemble.named_buffers()):
            parts = [src] * len(singles) if src.dim() == 0 else src.chunk(len(singles), dim=0)
            for m, part in zip(singles, parts):
                dict(list(m.named_parameters()) + list(m.named_buffers()))[name].copy_(part)


def grid_spread(values) -> dict[str, float]:
    """Spread across a grid's cells against the spread across seeds within a cell.

    values: (cells..., seeds), one metric value per seed of every cell (any leading grid
    shape; at least 2 cells and 2 seeds). Returns
    ``between``: the standard deviation (ddof=1) over cells of the per-cell seed means;
    ``within``: the pooled within-cell standard deviation, sqrt(mean over cells of each
    cell's seed variance, ddof=1); ``ratio``: between / within (inf when within is 0 and
    between is not, nan when both are 0). When every cell has the same settings, ``between``
    estimates within / sqrt(seeds), so ``ratio`` sits near 1 / sqrt(seeds).
    """
    import numpy as np

    v = np.asarray(values, dtype=np.float64)
    if v.ndim < 2:
        raise ValueError(f"values must be (cells..., seeds), got shape {v.shape}")
    v = v.reshape(-1, v.shape[-1])  # (cells, seeds)
    if v.shape[0] < 2 or v.shape[1] < 2:
        raise ValueError(f"need at least 2 cells and 2 seeds per cell, got {v.shape[0]} cells "
                         f"of {v.shape[1]} seeds")
    if not np.isfinite(v).all():
        raise ValueError("values contain NaN or inf")
    between = float(v.mean(1).std(ddof=1))
    within = float(np.sqrt(v.var(1, ddof=1).mean()))
    ratio = between / within if within > 0 else (float("inf") if between > 0 else float("nan"))
    return {"between": between, "within": within, "ratio": ratio}
