"""Latent interpolation and arithmetic against closed forms."""

import math

import pytest
import torch
from torch.testing import assert_close

from ganlab import latent


def test_lerp_is_affine():
    a, b = torch.randn(2, 5, 8, dtype=torch.float64)
    for t in (0.0, 0.25, 1.0):
        assert_close(latent.lerp(a, b, t), a + t * (b - a))
    t = torch.rand(5, 1, dtype=torch.float64)
    assert_close(latent.lerp(a, b, t), (1 - t) * a + t * b)


def test_slerp_on_a_circle_is_rotation():
    # unit vectors at angle W in a plane: slerp(t) is the unit vector at angle t W
    w = 1.2
    a = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    b = torch.tensor([math.cos(w), math.sin(w), 0.0], dtype=torch.float64)
    for t in (0.0, 0.3, 0.5, 1.0):
        want = torch.tensor([math.cos(t * w), math.sin(t * w), 0.0], dtype=torch.float64)
        assert_close(latent.slerp(a, b, t), want)


def test_slerp_keeps_equal_norms_and_lerp_shrinks_them():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(2, 1000, 64, generator=g, dtype=torch.float64)
    b = b / b.norm(dim=1, keepdim=True) * a.norm(dim=1, keepdim=True)  # |a| = |b| row by row
    mid_s, mid_l = latent.slerp(a, b, 0.5), latent.lerp(a, b, 0.5)
    assert_close(mid_s.norm(dim=1), a.norm(dim=1))
    cos = (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1))
    assert_close(mid_l.norm(dim=1), a.norm(dim=1) * torch.sqrt((1 + cos) / 2))  # |a+b|/2


def test_slerp_endpoints_and_parallel_fallback():
    a, b = torch.randn(2, 4, 16, dtype=torch.float64)
    assert_close(latent.slerp(a, b, 0.0), a)
    assert_close(latent.slerp(a, b, 1.0), b)
    c = 2 * a  # parallel: falls back to lerp, stays finite
    out = latent.slerp(a, c, 0.5)
    assert torch.isfinite(out).all()
    assert_close(out, 1.5 * a)


def test_interpolate_path():
    a, b = torch.randn(2, 8)
    for method in ("lerp", "slerp"):
        path = latent.interpolate(a, b, 5, method=method)
        assert path.shape == (5, 8)
        assert_close(path[0], a)
        assert_close(path[-1], b)
    assert_close(latent.interpolate(a, b, 3, "lerp")[1], (a + b) / 2)
    with pytest.raises(ValueError, match="method"):
        latent.interpolate(a, b, 5, method="cubic")
    with pytest.raises(ValueError, match="steps"):
        latent.interpolate(a, b, 1)
    with pytest.raises(ValueError, match="one shape"):
        latent.lerp(a, b[:4], 0.5)


def test_class_means_and_analogy():
    z = torch.arange(12, dtype=torch.float64).reshape(6, 2)
    labels = torch.tensor([0, 1, 0, 2, 1, 2])
    means = latent.class_means(z, labels, 3)
    want = torch.stack([z[labels == k].mean(0) for k in range(3)])
    assert_close(means, want)
    assert_close(latent.analogy(z[0], means[0], means[2]), z[0] - means[0] + means[2])
    with pytest.raises(ValueError, match=r"classes \[3\] have no samples"):
        latent.class_means(z, labels, 4)
    with pytest.raises(ValueError, match="n_classes"):
        latent.class_means(z, labels, 2)
