"""Shared input validation for the metrics.

Every metric takes features as ``(N, d)`` tensors or arrays, or images as
``(N, C, H, W)`` float tensors in [-1, 1] (the ganlab image convention). A bad
input raises ``ValueError`` saying what was expected and what to do; nothing is
silently clipped or reshaped.
"""

from __future__ import annotations

import numpy as np
import torch


def as_features(x, name: str = "features", min_samples: int = 1, why: str = "") -> np.ndarray:
    """Return ``x`` as a finite float64 ``(N, d)`` numpy array with ``N >= min_samples``."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    x = np.asarray(x)
    if x.dtype.kind not in "fiub":
        raise ValueError(f"{name}: expected a numeric (N, d) array, got dtype {x.dtype}")
    if x.ndim != 2:
        raise ValueError(
            f"{name}: expected a 2-D (N, d) array of features, got shape {tuple(x.shape)}; "
            "flatten images or pass them through a feature extractor first"
        )
    if x.ndim == 2 and x.shape[1] == 0:
        raise ValueError(f"{name}: zero-width features, shape {tuple(x.shape)}; a metric needs "
                         "d >= 1 numbers per sample (did a slice or a feature layer come out empty?)")
    x = x.astype(np.float64, copy=False)
    if not np.isfinite(x).all():
        bad = int((~np.isfinite(x)).any(axis=1).sum())
        raise ValueError(
            f"{name}: {bad} of {x.shape[0]} rows contain NaN or inf; "
            "drop or fix them (a diverged generator?) before computing a metric"
        )
    if x.shape[0] < min_samples:
        reason = f" ({why})" if why else ""
        raise ValueError(
            f"{name}: got {x.shape[0]} samples, need at least {min_samples}{reason}"
        )
    return x


def as_pair(real, fake, min_samples: int = 1, why: str = "") -> tuple[np.ndarray, np.ndarray]:
    """Validate two feature sets and check that their dimensions match."""
    real = as_features(real, "real", min_samples, why)
    fake = as_features(fake, "fake", min_samples, why)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(
            f"feature dimensions differ: real has d={real.shape[1]}, fake has d={fake.shape[1]}; "
            "extract both sets with the same feature network"
        )
    return real, fake


def check_images(x: torch.Tensor, channels: int | None = None, size: int | None = None,
                 name: str = "images") -> torch.Tensor:
    """Check a float ``(N, C, H, W)`` batch in [-1, 1]; return it unchanged."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name}: expected a torch.Tensor (N, C, H, W), got {type(x).__name__}")
    if x.ndim != 4:
        raise ValueError(f"{name}: expected shape (N, C, H, W), got {tuple(x.shape)}")
    if not x.is_floating_point():
        raise ValueError(
            f"{name}: expected a float tensor in [-1, 1], got dtype {x.dtype}; "
            "convert uint8 images with x.float() / 127.5 - 1"
        )
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{name}: expected {channels} channel(s), got shape {tuple(x.shape)}")
    if size is not None and tuple(x.shape[-2:]) != (size, size):
        raise ValueError(
            f"{name}: expected {size}x{size} images, got {tuple(x.shape[-2:])}; "
            "resize them (e.g. torch.nn.functional.interpolate) or use the matching network"
        )
    if not torch.isfinite(x).all():
        raise ValueError(f"{name}: contains NaN or inf")
    lo, hi = float(x.min()), float(x.max())
    if lo < -1.0 - 1e-4 or hi > 1.0 + 1e-4:
        raise ValueError(
            f"{name}: values must lie in [-1, 1], got [{lo:.3g}, {hi:.3g}]; "
            "images in [0, 1] need x * 2 - 1, images in [0, 255] need x / 127.5 - 1"
        )
    return x


def check_finite_result(value: float, what: str, x: np.ndarray) -> float:
    """Return `value`, or refuse it when the arithmetic overflowed (features far from O(1))."""
    if not np.isfinite(value):
        raise ValueError(
            f"{what} overflowed to {value} (features up to |x| = {np.abs(x).max():.3g}); "
            "standardise the features (subtract the mean, divide by the std) first"
        )
    return value


def check_probs(p, name: str = "probs") -> np.ndarray:
    """Check an ``(N, K)`` matrix of class probabilities (rows sum to 1)."""
    p = as_features(p, name)
    if (p < 0).any() or not np.allclose(p.sum(axis=1), 1.0, atol=1e-4):
        raise ValueError(
            f"{name}: expected rows of probabilities (>= 0, summing to 1); "
            "apply softmax to logits first"
        )
    return p
