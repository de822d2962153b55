"""High-frequency energy: how much fine detail images carry (a sharpness measure).

The mean squared response of the 3x3 Laplacian [[0, 1, 0], [1, -4, 1], [0, 1, 0]] over the
valid region of each channel. Blurry samples (a VAE's) score low, noise and checkerboard
artefacts score high, so read it next to the real images' value, never alone.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["high_frequency_energy"]


def high_frequency_energy(x: Tensor) -> float:
    """Mean squared 3x3 Laplacian of images x (B, C, H, W), valid region, all channels."""
    if x.dim() != 4 or x.shape[-1] < 3 or x.shape[-2] < 3:
        raise ValueError(f"expected images (B, C, H, W) with H, W >= 3, got {tuple(x.shape)}")
    c = x.shape[1]
    k = torch.tensor([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=x.dtype, device=x.device)
    lap = F.conv2d(x, k.expand(c, 1, 3, 3), groups=c)  # (B, C, H - 2, W - 2)
    return float(lap.square().mean())
