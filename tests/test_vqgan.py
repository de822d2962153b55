"""ganlab.vqgan: the quantiser against brute force, its gradients, the losses, the games."""

import math

import pytest
import torch

from ganlab import data, variants
from ganlab import vqgan as V
from ganlab.train import Trainer


def test_nearest_code_is_brute_force():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(200, 5, generator=g, dtype=torch.float64)
    book = torch.randn(17, 5, generator=g, dtype=torch.float64)
    brute = torch.tensor([min(range(17), key=lambda j: float(((zi - book[j]) ** 2).sum()))
                          for zi in z])
    assert torch.equal(V.nearest_code(z, book), brute)
    with pytest.raises(ValueError, match="codebook"):
        V.nearest_code(z, book[:, :4])


def test_quantize_values_indices_and_straight_through():
    g = torch.Generator().manual_seed(1)
    z = torch.randn(2, 3, 4, 5, generator=g, dtype=torch.float64, requires_grad=True)
    book = torch.randn(9, 3, generator=g, dtype=torch.float64, requires_grad=True)
    z_q, idx, e = V.quantize(z, book)
    assert idx.shape == (2, 4, 5) and z_q.shape == z.shape
    flat = z.detach().permute(0, 2, 3, 1).reshape(-1, 3)
    assert torch.equal(idx.flatten(), V.nearest_code(flat, book.detach()))
    torch.testing.assert_close(z_q, book[idx].permute(0, 3, 1, 2))
    torch.testing.assert_close(e, z_q)
    w = torch.randn(z.shape, generator=g, dtype=torch.float64)
    gz, gb = torch.autograd.grad((w * z_q).sum(), (z, book), allow_unused=True)
    torch.testing.assert_close(gz, w)  # d z_q / d z = identity
    assert gb is None  # z_q reaches the codebook only through the codebook loss
    with pytest.raises(ValueError, match="latent map"):
        V.quantize(torch.randn(3, 3), book)


def test_vq_losses_by_formula_and_gradients():
    g = torch.Generator().manual_seed(2)
    z = torch.randn(2, 3, 4, 4, generator=g, dtype=torch.float64, requires_grad=True)
    e = torch.randn(2, 3, 4, 4, generator=g, dtype=torch.float64, requires_grad=True)
    out = V.vq_losses(z, e, beta=0.25)
    mse = ((z - e) ** 2).mean()
    torch.testing.assert_close(out["codebook"], mse)
    torch.testing.assert_close(out["commitment"], 0.25 * mse)
    gz_cb, ge_cb = torch.autograd.grad(out["codebook"], (z, e), allow_unused=True)
    assert gz_cb is None  # the codebook term moves only the codes
    torch.testing.assert_close(ge_cb, 2 * (e - z).detach() / z.numel())
    gz, ge = torch.autograd.grad(out["commitment"], (z, e), allow_unused=True)
    assert ge is None  # the commitment term moves only the encoder
    torch.testing.assert_close(gz, 0.25 * 2 * (z - e).detach() / z.numel())
    with pytest.raises(ValueError, match="one shape"):
        V.vq_losses(z, e[:1])


def test_codebook_usage_closed_form():
    frac, ppl = V.codebook_usage(torch.tensor([0, 0, 1, 3]), 8)
    p = torch.tensor([0.5, 0.25, 0.25], dtype=torch.float64)
    assert frac == 3 / 8
    assert math.isclose(ppl, float(torch.exp(-(p * p.log()).sum())), rel_tol=1e-12)
    assert math.isclose(V.codebook_usage(torch.arange(16), 16)[1], 16.0, rel_tol=1e-12)
    assert V.codebook_usage(torch.zeros(5, dtype=torch.long), 4) == (0.25, 1.0)
    with pytest.raises(ValueError, match="indices"):
        V.codebook_usage(torch.tensor([4]), 4)


def test_adaptive_weight_is_gradient_norm_ratio():
    w = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    x = torch.randn(4, dtype=torch.float64)
    rec, adv = (w @ x).square().sum(), (w.sin()).sum()
    lam = V.adaptive_weight(rec, adv, w, delta=0.0)
    g_rec = 2 * (w @ x).detach()[:, None] * x[None, :]
    g_adv = w.detach().cos()
    torch.testing.assert_close(lam, g_rec.norm() / g_adv.norm())
    assert not lam.requires_grad


def test_autoencoder_shapes_and_bad_input():
    ae = V.VQAutoencoder(1, 8, 4, 16)
    rec, idx, z, e = ae(torch.randn(3, 1, 16, 16))
    assert rec.shape == (3, 1, 16, 16) and idx.shape == (3, 4, 4) and z.shape == (3, 4, 4, 4)
    assert rec.abs().max() <= 1
    with pytest.raises(ValueError, match="divisible by 4"):
        ae(torch.randn(1, 1, 10, 10))


@pytest.mark.parametrize("name", ["vqgan", "vqgan-noadv"])
def test_one_step_changes_weights(name):
    digits = data.digits(16, "test")
    game = variants.build(name, (1, 16, 16), width=8)
    assert ("D" in game.nets) == (name == "vqgan")
    before = {k: [p.detach().clone() for p in m.parameters()] for k, m in game.nets.items()}
    tr = Trainer(game, digits, steps=1, batch=8, progress=False, ema_decay=0.0, device="cpu")
    tr.fit()
    for k, m in game.nets.items():
        changed = [not torch.equal(a, b) for a, b in zip(before[k], m.parameters())]
        assert any(changed), k
    names = [n for n, _ in game.nets["G"].named_parameters()]
    old_book = before["G"][names.index("quantizer.codebook")]
    assert not torch.equal(old_book, game.nets["G"].quantizer.codebook)  # the codebook loss


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match="divisible by 4"):
        variants.build("vqgan", (1, 10, 10))
    game = variants.build("vqgan-noadv", (1, 16, 16), width=8)
    with pytest.raises(ValueError, match="autoencoder"):
        game.generate(game.nets, torch.zeros(1, 1), None)
