"""A perceptual distance and perceptual path length on ganlab's own network.

``perceptual_distance`` follows the recipe of LPIPS (Zhang et al. 2018, "The
unreasonable effectiveness of deep features...", eq. 1): activations of each
layer are unit-normalised along channels, squared differences are averaged over
space and summed over layers. Deviation: it uses the shipped digits (or faces)
network with uniform layer weights, not LPIPS's VGG/AlexNet features and their
calibrated linear weights, so its values are *not* LPIPS values; compare them
only with each other.

``perceptual_path_length`` follows StyleGAN (Karras et al. 2019, section 4.2,
eq. 2-3): PPL = E[d(G(slerp(z1, z2; t)), G(slerp(z1, z2; t + eps))) / eps^2]
with eps = 1e-4, t ~ U(0, 1), slerp in Z (or lerp in W with a mapping network),
and samples outside the 1st-99th percentile of the per-pair values dropped (as
in the official implementation).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from ..latent import slerp as _slerp

__all__ = ["perceptual_distance", "perceptual_path_length", "slerp_directions"]


def _unit(h: torch.Tensor) -> torch.Tensor:
    return h / (h.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)  # unit length along channels


def perceptual_distance(x: torch.Tensor, y: torch.Tensor, extractor=None) -> torch.Tensor:
    """Per-pair distance ``(N,)`` between image batches ``(N, C, H, W)`` in [-1, 1].

    ``extractor`` defaults to ``ganlab.features.load_digits_net()``; it must offer
    ``layers(x) -> list of (N, C_l, ...)`` activations. Differentiable.
    """
    if extractor is None:
        from ..features import load_digits_net

        extractor = load_digits_net()
    if x.shape != y.shape:
        raise ValueError(f"x and y must have one shape, got {tuple(x.shape)} and {tuple(y.shape)}")
    total = 0.0
    for hx, hy in zip(extractor.layers(x), extractor.layers(y)):
        diff = (_unit(hx) - _unit(hy)).pow(2).sum(1)  # (N, ...) squared distance per position
        total = total + diff.reshape(len(x), -1).mean(1)  # spatial mean, summed over layers
    return total


def slerp_directions(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """The unit vector `ganlab.latent.slerp` gives between the directions of a, b ``(N, d)``;
    t ``(N, 1)``. (The one slerp is latent's; this only normalises around it.)"""
    a = a / a.norm(dim=-1, keepdim=True)
    b = b / b.norm(dim=-1, keepdim=True)
    out = _slerp(a, b, t)  # (N, d)
    return out / out.norm(dim=-1, keepdim=True)


@torch.no_grad()
def perceptual_path_length(generator: Callable, latent_dim: int, n: int = 1000,
                           space: str = "z", mapping: Callable | None = None,
                           epsilon: float = 1e-4, extractor=None, batch: int = 100,
                           generator_seed: int = 0) -> float:
    """PPL of ``generator`` (images in [-1, 1]) over ``n`` latent pairs.

    ``space="z"``: z ~ N(0, I), slerp between directions, rescaled to norm
    sqrt(latent_dim) (StyleGAN feeds unit vectors to a mapping network that
    normalises; ganlab generators take raw N(0, I) codes), images = generator(z). ``space="w"``: needs
    ``mapping``; w = mapping(z), lerp in W, images = generator(w) (the synthesis).
    """
    if space not in ("z", "w"):
        raise ValueError(f"space must be 'z' or 'w', got {space!r}")
    if space == "w" and mapping is None:
        raise ValueError("space='w' needs mapping=<callable z -> w>")
    g = torch.Generator().manual_seed(generator_seed)
    values = []
    for s in range(0, n, batch):
        m = min(batch, n - s)
        z = torch.randn(2 * m, latent_dim, generator=g)
        t = torch.rand(m, 1, generator=g)
        if space == "z":  # on the sphere of radius sqrt(d), where N(0, I) concentrates
            r = latent_dim**0.5
            a = r * slerp_directions(z[:m], z[m:], t)
            b = r * slerp_directions(z[:m], z[m:], t + epsilon)
        else:
            w = mapping(z)
            a = torch.lerp(w[:m], w[m:], t)
            b = torch.lerp(w[:m], w[m:], t + epsilon)
        d = perceptual_distance(generator(a), generator(b), extractor)
        values.append(d.double() / epsilon**2)
    v = torch.cat(values).numpy()
    lo, hi = np.percentile(v, [1, 99])
    return float(v[(v >= lo) & (v <= hi)].mean())
