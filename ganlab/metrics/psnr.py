"""Peak signal-to-noise ratio: the distortion measure of image restoration.

PSNR(x, y) = 10 log10(R^2 / MSE(x, y)) dB per image, with MSE the mean squared error over
channels and pixels and R the data range (2 for ganlab's [-1, 1] images, so the numbers
match those of the same images in [0, 1] with R = 1). Higher is closer to the reference.
Blum & Michaeli (2018, "The Perception-Distortion Tradeoff") show it cannot be pushed up
without making outputs less like real images, which is why it is read next to a
perceptual measure such as `high_frequency_energy`.

This is ganlab's one PSNR: StyleGAN3's equivariance metric (`ganlab.style.eq_t`) calls it with
the data range of its reference image.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["psnr"]


def psnr(x: Tensor, ref: Tensor, data_range: float = 2.0) -> Tensor:
    """PSNR in dB of each image of x (B, C, H, W) against ref (same shape): (B,).

    An image identical to its reference has MSE 0 and PSNR +inf.
    """
    if x.shape != ref.shape or x.dim() != 4:
        raise ValueError(f"expected two image batches (B, C, H, W) of one shape, got "
                         f"{tuple(x.shape)} and {tuple(ref.shape)}")
    if data_range <= 0:
        raise ValueError(f"data_range must be positive (2 for images in [-1, 1]), got {data_range}")
    mse = (x - ref).square().flatten(1).mean(1)  # (B,)
    return 10 * torch.log10(data_range**2 / mse)  # 10 log10(R^2 / MSE)
