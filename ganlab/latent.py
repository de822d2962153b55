"""Walks and arithmetic in a generator's latent space.

* Linear and spherical interpolation. For z ~ N(0, I_d) the norm concentrates
  at about sqrt(d), so almost all the probability mass sits on a thin shell.
  The straight line between two latents cuts through the inside of that shell:
  its midpoint has norm about sqrt(d / 2) for two independent latents, a region
  the generator never saw in training. White 2016 ("Sampling generative
  networks", section 2.2) proposed the spherical interpolation

      slerp(a, b; t) = sin((1 - t) W) / sin W * a + sin(t W) / sin W * b,
      cos W = a.b / (|a| |b|),

  which follows the great circle and keeps the norm when |a| = |b| (and moves it
  smoothly from |a| to |b| otherwise). Unlike
  `ganlab.metrics.perceptual.slerp_directions`, which walks between unit directions for
  the perceptual path length, these functions keep the latents' own norms.
* Vector arithmetic (Radford et al. 2016, "Unsupervised representation learning
  with deep convolutional GANs", section 6.3): average the latents of several
  samples that share a property, then add and subtract the averages,
  ``a - b + c``. On the digits the property is the class a classifier assigns.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["lerp", "slerp", "interpolate", "class_means", "analogy"]


def _check_pair(a: Tensor, b: Tensor) -> None:
    if a.shape != b.shape or a.dim() < 1:
        raise ValueError(f"a and b must be latents (..., d) of one shape, got {tuple(a.shape)} "
                         f"and {tuple(b.shape)}")


def _as_t(t: Tensor | float, like: Tensor) -> Tensor:
    """t as a tensor broadcastable against (..., d): a scalar, or (..., 1)."""
    return torch.as_tensor(t, dtype=like.dtype, device=like.device)


def lerp(a: Tensor, b: Tensor, t: Tensor | float) -> Tensor:
    """(1 - t) a + t b for latents a, b (..., d) and t a scalar or (..., 1)."""
    _check_pair(a, b)
    t = _as_t(t, a)
    return (1 - t) * a + t * b


def slerp(a: Tensor, b: Tensor, t: Tensor | float, eps: float = 1e-7) -> Tensor:
    """White's spherical interpolation of a, b (..., d); t a scalar or (..., 1).

    Where a and b are (anti)parallel to within ``eps`` in sin W the great circle is
    not unique or the formula divides by ~0; there it falls back to `lerp`.
    """
    _check_pair(a, b)
    t = _as_t(t, a)
    cos = (a * b).sum(-1, keepdim=True) / (a.norm(dim=-1, keepdim=True)
                                          * b.norm(dim=-1, keepdim=True))  # (..., 1)
    omega = torch.acos(cos.clamp(-1.0, 1.0))  # angle between a and b, (..., 1)
    so = torch.sin(omega)
    safe = so.abs() > eps
    so_safe = torch.where(safe, so, torch.ones_like(so))
    out = (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / so_safe
    return torch.where(safe, out, lerp(a, b, t))


def interpolate(a: Tensor, b: Tensor, steps: int, method: str = "slerp") -> Tensor:
    """A path of ``steps`` latents from a to b (both (d,)), ends included: (steps, d)."""
    if a.dim() != 1:
        raise ValueError(f"interpolate takes two latents (d,), got {tuple(a.shape)}; "
                         "use lerp/slerp with t of shape (..., 1) for batches")
    if steps < 2:
        raise ValueError(f"steps must be >= 2 (the two ends), got {steps}")
    fns = {"lerp": lerp, "slerp": slerp}
    if method not in fns:
        raise ValueError(f"method must be 'lerp' or 'slerp', got {method!r}")
    t = torch.linspace(0, 1, steps, dtype=a.dtype, device=a.device)[:, None]  # (steps, 1)
    return fns[method](a.expand(steps, -1), b.expand(steps, -1), t)


def class_means(z: Tensor, labels: Tensor, n_classes: int) -> Tensor:
    """Mean latent of each class: z (N, d), labels (N,) in [0, n_classes) -> (n_classes, d).

    Raises if a class has no sample: its mean does not exist (draw more samples).
    """
    if z.dim() != 2 or labels.shape != (z.shape[0],):
        raise ValueError(f"expected z (N, d) and labels (N,), got {tuple(z.shape)} and "
                         f"{tuple(labels.shape)}")
    counts = torch.bincount(labels, minlength=n_classes)  # (K,)
    if counts.numel() > n_classes:
        raise ValueError(f"labels must be < n_classes={n_classes}, got {int(labels.max())}")
    empty = (counts == 0).nonzero().flatten().tolist()
    if empty:
        raise ValueError(f"classes {empty} have no samples; draw more latents")
    sums = torch.zeros(n_classes, z.shape[1], dtype=z.dtype, device=z.device)
    sums.index_add_(0, labels, z)
    return sums / counts[:, None].to(z.dtype)


def analogy(a: Tensor, b: Tensor, c: Tensor) -> Tensor:
    """a - b + c: "a is to b as ? is to c", e.g. a sample's latent minus its class mean
    plus another class's mean (keep the style, change the class)."""
    _check_pair(a, b)
    _check_pair(a, c)
    return a - b + c
