"""Context-encoder inpainting (ganlab.inpaint): masks, the hole's losses and fills, the game."""

import pytest
import torch

from ganlab import inpaint as IP
from ganlab import variants
from ganlab.metrics import high_frequency_energy
from ganlab.train import Trainer


def test_square_mask_is_the_centred_square_and_random_masks_are_squares_inside():
    m = IP.square_mask(8, 2)
    assert m.shape == (1, 1, 8, 8) and m.sum() == 4
    assert m[0, 0, 3:5, 3:5].eq(1).all() and m[0, 0, :3].eq(0).all()
    assert IP.hole_box(m) == (3, 3, 2, 2)
    assert IP.hole_box(IP.square_mask(8, 3, top=1, left=4)) == (1, 4, 3, 3)
    r = IP.random_square_masks(50, 10, 4, generator=torch.Generator().manual_seed(0))
    assert r.shape == (50, 1, 10, 10) and r.flatten(1).sum(1).eq(16).all()
    for k in range(50):  # each a 4x4 square: its bounding box holds exactly its 16 ones
        top, left, h, w = IP.hole_box(r[k])
        assert (h, w) == (4, 4) and r[k, 0, top : top + 4, left : left + 4].eq(1).all()
    with pytest.raises(ValueError, match="between 1 and"):
        IP.square_mask(8, 8)
    with pytest.raises(ValueError, match="leaves"):
        IP.square_mask(8, 3, top=6)


def test_masked_mse_against_a_hand_computation():
    a = torch.zeros(2, 1, 4, 4, dtype=torch.float64)
    b = torch.arange(32, dtype=torch.float64).view(2, 1, 4, 4)
    m = IP.square_mask(4, 2)  # rows 1-2, cols 1-2
    by_hand = [(5.0**2 + 6**2 + 9**2 + 10**2) / 4, (21.0**2 + 22**2 + 25**2 + 26**2) / 4]
    torch.testing.assert_close(IP.masked_mse(a, b, m, per_image=True),
                               torch.tensor(by_hand, dtype=torch.float64))
    torch.testing.assert_close(IP.masked_mse(a, b, m), torch.tensor(sum(by_hand) / 2,
                                                                    dtype=torch.float64))
    # two channels: the mean runs over channels too; pixels outside the hole never count
    a2, b2 = torch.zeros(1, 2, 4, 4), torch.ones(1, 2, 4, 4)
    b2[0, 1, 1:3, 1:3] = 3.0
    b2[0, :, 0, 0] = 100.0
    assert IP.masked_mse(a2, b2, m).item() == pytest.approx((4 * 1 + 4 * 9) / 8)


def test_context_input_and_fill_hole():
    x = torch.randn(3, 1, 6, 6)
    m = IP.square_mask(6, 2)
    ci = IP.context_input(x, m)
    assert ci.shape == (3, 2, 6, 6)
    torch.testing.assert_close(ci[:, 1:], m.expand(3, 1, 6, 6))
    assert ci[:, 0, 2:4, 2:4].eq(0).all() and torch.equal(ci[:, 0, 0], x[:, 0, 0])
    fill = torch.full_like(x, 7.0)
    y = IP.fill_hole(x, fill, m)
    assert y[:, :, 2:4, 2:4].eq(7).all() and torch.equal(y[:, :, 0], x[:, :, 0])


def test_diffusion_fill_recovers_a_harmonic_ramp_and_has_no_laplacian_inside():
    i = torch.arange(12, dtype=torch.float64)
    ramp = (0.3 * i[:, None] - 0.2 * i[None, :])[None, None]  # linear: harmonic
    m = IP.square_mask(12, 4)
    filled = IP.diffusion_fill(ramp, m, iters=2000)
    torch.testing.assert_close(filled, ramp, atol=1e-8, rtol=0)
    # a non-harmonic image: the fill differs from it, but its Laplacian vanishes in the hole
    bump = (-(i[:, None] - 5.5) ** 2 - (i[None, :] - 5.5) ** 2)[None, None] / 30
    f2 = IP.diffusion_fill(bump, m, iters=2000)
    assert IP.masked_mse(f2, bump, m).item() > 1e-3
    assert IP.hole_sharpness(f2, m) < 1e-12 < IP.hole_sharpness(bump, m)


def test_hole_sharpness_is_the_laplacian_energy_at_the_hole_pixels():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 1, 10, 10, generator=g, dtype=torch.float64)
    m = IP.square_mask(10, 4)  # rows, cols 3-6
    k = x[..., 2:6, 3:7] + x[..., 4:8, 3:7] + x[..., 3:7, 2:6] + x[..., 3:7, 4:8] - 4 * x[..., 3:7, 3:7]
    assert IP.hole_sharpness(x, m) == pytest.approx(k.square().mean().item(), rel=1e-12)
    assert IP.hole_sharpness(x, m) == pytest.approx(high_frequency_energy(x[..., 2:8, 2:8]))
    with pytest.raises(ValueError, match="border"):
        IP.hole_sharpness(x, IP.square_mask(10, 4, top=0))


def test_context_encoder_shapes_and_the_fill_keeps_the_context():
    f = IP.ContextEncoder(16, 1, 8)
    x = torch.rand(5, 1, 16, 16) * 2 - 1
    m = IP.square_mask(16, 6)
    out = f(IP.context_input(x, m))
    assert out.shape == (5, 1, 16, 16) and out.abs().max() <= 1
    filled = f.fill(x, m)
    assert torch.equal(filled * (1 - m), x * (1 - m))
    with pytest.raises(ValueError, match="context input"):
        f(x)
    assert IP.ContextEncoder(32, 3, 4)(torch.zeros(2, 4, 32, 32)).shape == (2, 3, 32, 32)


def test_the_fill_does_not_see_the_hole():
    f = IP.ContextEncoder(16, 1, 8).eval()
    m = IP.square_mask(16, 6)
    x = torch.rand(2, 1, 16, 16) * 2 - 1
    y = x.clone()
    y[..., 5:11, 5:11] = torch.rand(2, 1, 6, 6)  # change only the hole
    with torch.no_grad():
        torch.testing.assert_close(f(IP.context_input(x, m)), f(IP.context_input(y, m)))


def test_presets_train_and_the_l2_baseline_has_no_discriminator():
    from ganlab import data

    ds = data.digits(16, "train")
    for name, nets_ in (("inpaint", {"G", "D"}), ("inpaint-l2", {"G"})):
        game = variants.build(name, (1, 16, 16), width=8)
        assert set(game.nets) == nets_ and not game.samples
        hist = Trainer(game, ds, steps=3, batch=8, progress=False, device="cpu", log_every=1).fit()
        assert "G/rec" in hist[-1] and ("D/loss" in hist[-1]) == (name == "inpaint")
        pic = game.show({k: v.eval() for k, v in game.nets.items()}, ds.x[:4])
        assert pic.shape == (4, 3, 1, 16, 16)
    with pytest.raises(ValueError, match="does not honour adversarial"):
        variants.build("inpaint-l2", (1, 16, 16), adversarial=0.1)
    game = variants.build("inpaint", (1, 16, 16), width=8, random_holes=True, hole=4)
    Trainer(game, ds, steps=2, batch=8, progress=False, device="cpu").fit()
