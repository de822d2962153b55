"""Gradient reversal by autograd (identity forward, -lambda times the gradient backward),
DANN's lambda schedule and loss against their formulas, the textured target domain, and
the preset trains."""

import math

import numpy as np
import pytest
import torch

from ganlab import catalog, domain, variants
from ganlab.train import TrainConfig, Trainer


@pytest.mark.parametrize("lam", [0.0, 0.3, 1.0, 2.5])
def test_grad_reverse_is_identity_forward_and_minus_lambda_backward(lam):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 3, dtype=torch.float64, generator=g, requires_grad=True)
    w = torch.randn(4, 3, dtype=torch.float64, generator=g)
    y = domain.grad_reverse(x, lam)
    torch.testing.assert_close(y, x, rtol=0, atol=0)
    (grad,) = torch.autograd.grad((w * y.square()).sum(), x)
    torch.testing.assert_close(grad, -lam * 2 * w * x.detach(), rtol=1e-12, atol=1e-12)
    (plain,) = torch.autograd.grad((w * x.square()).sum(), x)  # without R: the nearest wrong one
    assert (grad - plain).abs().max() > 1e-3


def test_grad_reverse_of_a_sum_is_minus_lambda_everywhere():
    x = torch.randn(3, 2, dtype=torch.float64, requires_grad=True)
    y = domain.grad_reverse(x, 0.7)
    (g,) = torch.autograd.grad(y.sum(), x)
    torch.testing.assert_close(g, torch.full_like(x, -0.7), rtol=1e-12, atol=1e-12)


def test_dann_lambda_schedule():
    for p in (0.0, 0.1, 0.5, 1.0):
        assert domain.dann_lambda(p) == pytest.approx(2 / (1 + math.exp(-10 * p)) - 1, abs=1e-15)
    assert domain.dann_lambda(0.0) == 0.0 and domain.dann_lambda(3.0) == domain.dann_lambda(1.0)
    assert 0.9999 < domain.dann_lambda(1.0) < 1.0


def test_dann_loss_matches_numpy():
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(5, 3, dtype=torch.float64, generator=g)
    y = torch.tensor([0, 2, 1, 1, 2])
    ds, dt = torch.randn(5, dtype=torch.float64, generator=g), torch.randn(4, dtype=torch.float64,
                                                                            generator=g)
    ce, dom = domain.dann_loss(logits, y, ds, dt)
    lg = logits.numpy()
    logp = lg - np.log(np.exp(lg).sum(1, keepdims=True))
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    np.testing.assert_allclose(float(ce), -logp[np.arange(5), y.numpy()].mean(), rtol=1e-12)
    ref = -np.log(1 - sig(ds.numpy())).mean() - np.log(sig(dt.numpy())).mean()
    np.testing.assert_allclose(float(dom), ref, rtol=1e-12)


def test_textured_digits_are_the_brighter_of_stroke_and_dimmed_texture():
    torch.manual_seed(0)
    d = torch.rand(6, 1, 16, 16) * 2 - 1
    t = (domain.textured(-torch.ones_like(d), seed=5) * 0.5 + 0.5) / domain.TEXTURE_GAIN
    assert float(t.min()) >= 0 and float(t.max()) <= 1 + 1e-6 and float(t.std()) > 0.05
    full = domain.textured(torch.ones_like(d), seed=5)  # full ink wins over any texture
    torch.testing.assert_close(full, torch.ones_like(full), rtol=0, atol=0)
    mixed = domain.textured(d, seed=5) * 0.5 + 0.5
    ref = np.maximum(d.numpy() * 0.5 + 0.5, domain.TEXTURE_GAIN * t.numpy())
    np.testing.assert_allclose(mixed.numpy(), ref, rtol=0, atol=1e-6)
    dom = catalog.load("digit_domains", kind="domains")
    assert dom.x.shape[1:] == (2, 16, 16) and len(dom) == len(dom.y)
    assert catalog.kind_of("digit_domains") == "domains"
    tgt = domain.target_digits(16, "test")
    assert tgt.x.shape[1:] == (1, 16, 16) and (tgt.y >= 0).all()
    src = catalog.data.digits(16, "test").x
    assert (tgt.x - src).abs().mean() > 0.3  # a real shift (mean |difference| 0.49 in [-1, 1])


@pytest.mark.parametrize("weight", [1.0, 0.0])
def test_dann_trains_a_few_steps(weight):
    ds = domain.digit_domains(16, "train")
    game = variants.build("dann", (2, 16, 16), 10, seed=0, width=4, hidden=8, domain_weight=weight)
    tr = Trainer(game, ds, TrainConfig(steps=3, batch=16, progress=False, device="cpu"))
    tr.fit()
    assert all(math.isfinite(float(v)) for v in tr._last.values())
    with pytest.raises(ValueError, match=r"\(2C, H, W\)"):
        variants.build("dann", (1, 16, 16), 10)
