"""SinGAN (ganlab.singan): pyramid, upsample-and-add, reconstruction path, one Trainer per scale."""

import pytest
import torch

from ganlab import singan
from ganlab.train import Trainer


def test_pyramid_sizes():
    img = torch.rand(3, 32, 32) * 2 - 1
    p = singan.pyramid(img, 3, 8)
    assert [tuple(x.shape[-2:]) for x in p] == [(8, 8), (16, 16), (32, 32)]
    torch.testing.assert_close(p[-1][0], img)


def test_next_scale_is_upsample_and_add():
    torch.manual_seed(0)
    g = singan.Generator(3, 8)
    coarse, noise = torch.randn(2, 3, 8, 8), torch.randn(2, 3, 13, 13)
    out = singan.next_scale(g, coarse, noise)
    assert out.shape == (2, 3, 13, 13)
    up = torch.nn.functional.interpolate(coarse, size=(13, 13), mode="bilinear", align_corners=False)
    torch.testing.assert_close(out, up + g.net(noise + up))


def test_training_and_reconstruction_path():
    img = torch.rand(3, 16, 16) * 2 - 1
    model = singan.SinGAN(img, singan.SinGANConfig(scales=2, min_size=8, width=8, steps=3)).fit()
    assert len(model.gens) == 2 and len(model.sigmas) == 2 and model.sigmas[0] == 1.0
    rec = model.reconstruct()
    assert rec.shape == (1, 3, 16, 16)
    coarse = model.gens[0](model.z_rec * model.sigmas[0], torch.zeros_like(model.z_rec))
    torch.testing.assert_close(rec, singan.next_scale(model.gens[1], coarse, torch.zeros(1, 3, 16, 16)))
    g = torch.Generator().manual_seed(0)
    assert model.generate(4, generator=g).shape == (4, 3, 16, 16)
    # D steps leave G untouched
    game = model.game(1)
    assert game.config["sigma"] > 0
    tr = Trainer(game, singan._Single(model.reals[1]), steps=1, batch=1, ema_decay=0.0, progress=False)
    before = [p.clone() for p in game.nets["G"].parameters()]
    tr._run_phase(game.phases[0])
    for a, b in zip(before, game.nets["G"].parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_patch_distance_zero_on_itself():
    x = torch.rand(1, 3, 16, 16)
    assert singan.patch_distance(x, x) == 0.0
    assert singan.patch_distance(x, torch.zeros_like(x)) > 0.1


def test_fit_trains_on_the_device_it_is_given(monkeypatch):
    """fit(device=...) reaches every scale's Trainer (no hard-coded CPU) and the pyramid stays
    there; "cpu:0" is a device string a hard-coded "cpu" would not pass on."""
    seen = []

    class Recording(Trainer):
        def __init__(self, game, data, cfg=None, **overrides):
            super().__init__(game, data, cfg, **overrides)
            seen.append((self.cfg.device, self.device))

    monkeypatch.setattr(singan, "Trainer", Recording)
    img = torch.rand(3, 16, 16) * 2 - 1
    cfg = singan.SinGANConfig(scales=2, min_size=8, width=4, steps=1)
    model = singan.SinGAN(img, cfg).fit(device="cpu:0")
    assert seen == [("cpu:0", torch.device("cpu", 0))] * 2 and model.device == torch.device("cpu", 0)
    seen.clear()
    assert singan.SinGAN(img, cfg).fit().device == torch.device("cpu")  # the default: CPU
    assert seen == [("cpu", torch.device("cpu"))] * 2


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_fit_on_cuda_keeps_the_pyramid_there():
    img = torch.rand(3, 16, 16) * 2 - 1
    model = singan.SinGAN(img, singan.SinGANConfig(scales=2, min_size=8, width=4, steps=2))
    model.fit(device="cuda")
    assert all(p.is_cuda for g in model.gens for p in g.parameters())
    assert model.generate(2, generator=torch.Generator().manual_seed(0)).is_cuda
    assert model.reconstruct().is_cuda
