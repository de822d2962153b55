"""Shipped feature networks, the Inception path and the perceptual metrics."""

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from ganlab import data
from ganlab.features import (
    InceptionFeatures,
    InceptionV3,
    load_digits_net,
    load_faces_net,
    net_info,
    weights_path,
)
from ganlab.metrics import (
    REGISTRY,
    evaluate,
    fid,
    kid,
    perceptual_distance,
    perceptual_path_length,
)


@pytest.fixture(scope="module")
def digits_net():
    return load_digits_net()


def test_shipped_weights_small_and_recorded():
    for name in ("digits_net", "faces_net"):
        assert weights_path(f"{name}.pt").stat().st_size < 1_000_000
    assert net_info("digits_net")["test_accuracy"] >= 0.97


def test_digits_net_accuracy_on_held_out_split(digits_net):
    te = data.digits(16, split="test")
    acc = (digits_net.probs(te.x).argmax(1) == te.y).float().mean().item()
    assert acc >= 0.97
    assert_close(torch.tensor(acc), torch.tensor(net_info("digits_net")["test_accuracy"]),
                 rtol=0, atol=1e-6)


def test_extractor_shapes_and_probs(digits_net):
    x = data.digits(16, split="test").x[:7]
    assert digits_net.features(x).shape == (7, 64)
    p = digits_net.probs(x)
    assert p.shape == (7, 10)
    assert_close(p.sum(1), torch.ones(7), rtol=0, atol=1e-5)
    faces = load_faces_net()
    assert faces.features(data.faces(32).x[:3]).shape == (3, 64)


def test_extractor_rejects_bad_images(digits_net):
    x = data.digits(16, split="test").x[:4]
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        digits_net.features((x + 1) * 127.5)
    with pytest.raises(ValueError, match="16x16"):
        digits_net.features(torch.zeros(2, 1, 32, 32))
    with pytest.raises(ValueError, match="channel"):
        digits_net.features(torch.zeros(2, 3, 16, 16))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        digits_net.features(torch.zeros(16, 16))
    with pytest.raises(ValueError, match="float"):
        digits_net.features(torch.zeros(2, 1, 16, 16, dtype=torch.uint8))


def test_inception_shapes_and_state_dict_round_trip(tmp_path):
    torch.manual_seed(0)
    net = InceptionV3().eval()
    state = net.state_dict()
    state["fc.weight"] = torch.zeros(1008, 2048)  # FID weight files carry a classifier
    path = tmp_path / "inception.pt"
    torch.save(state, path)
    ex = InceptionFeatures(path, batch_size=2)
    x = torch.rand(2, 1, 16, 16) * 2 - 1  # grey, small: repeated and resized to 299
    f = ex.features(x)
    assert f.shape == (2, 2048) and torch.isfinite(f).all()
    with torch.no_grad():
        direct = net(torch.nn.functional.interpolate(x.expand(-1, 3, -1, -1), size=(299, 299),
                                                     mode="bilinear", align_corners=False))
    assert_close(f, direct, rtol=1e-5, atol=1e-6)
    with pytest.raises(FileNotFoundError, match="never downloads"):
        InceptionFeatures(tmp_path / "missing.pt")


class _Wrap(torch.nn.Module):
    """Custom feature module for torchmetrics: our digits features in float64."""

    def __init__(self, ex):
        super().__init__()
        self.net, self.scale = ex.net, ex.scale
        self.num_features = 64

    def forward(self, x):
        return (self.net.features(x) * self.scale).double()


def test_fid_kid_match_torchmetrics(digits_net):
    from torchmetrics.image.fid import FrechetInceptionDistance
    from torchmetrics.image.kid import KernelInceptionDistance

    real = data.digits(16, split="train").x[:300]
    fake = data.digits(16, split="test").x[:300].flip(-1)  # mirrored digits
    fr, ff = digits_net.features(real).double(), digits_net.features(fake).double()
    tm_fid = FrechetInceptionDistance(feature=_Wrap(digits_net), normalize=True)
    tm_fid.update(real, real=True)
    tm_fid.update(fake, real=False)
    ours = torch.tensor(fid(fr, ff), dtype=torch.float64)
    assert_close(ours, tm_fid.compute().double().cpu(), rtol=1e-4, atol=0)
    tm_kid = KernelInceptionDistance(feature=_Wrap(digits_net), subsets=1, subset_size=300,
                                     normalize=True)
    tm_kid.update(real, real=True)
    tm_kid.update(fake, real=False)
    mean, _ = tm_kid.compute()
    assert_close(torch.tensor(kid(fr, ff, subsets=1, subset_size=300)[0], dtype=torch.float64),
                 mean.double(),
                 rtol=1e-4, atol=0)


def test_registry_evaluates_images(digits_net):
    real = data.digits(16, split="train").x[:200]
    fake = data.digits(16, split="test").x[:200]
    assert set(REGISTRY) >= {"fid", "kid", "is", "pr", "dc", "c2st"}
    out = evaluate("fid", real, fake, digits_net)
    assert_close(torch.tensor(out["fid"]),
                 torch.tensor(fid(digits_net.features(real), digits_net.features(fake))))
    assert 1.0 <= evaluate("is", real, fake, digits_net)["is"] <= 10.0
    with pytest.raises(ValueError, match="unknown metric"):
        evaluate("nope", real, fake)


def test_perceptual_distance_properties(digits_net):
    x = data.digits(16, split="test").x[:6]
    d_same = perceptual_distance(x, x, digits_net)
    assert_close(d_same, torch.zeros(6), rtol=0, atol=1e-6)
    d_xy = perceptual_distance(x, x.flip(0), digits_net)
    assert_close(d_xy, perceptual_distance(x.flip(0), x, digits_net))  # symmetric
    assert (d_xy > 0).all()


def test_ppl_zero_for_constant_generator_and_positive_otherwise(digits_net):
    const = data.digits(16, split="test").x[:1]
    g_const = lambda z: const.expand(len(z), -1, -1, -1)  # noqa: E731
    assert perceptual_path_length(g_const, 8, n=20, extractor=digits_net, batch=10) == 0.0
    torch.manual_seed(0)
    lin = torch.nn.Linear(8, 256)
    g = lambda z: torch.tanh(lin(z)).view(-1, 1, 16, 16)  # noqa: E731
    val = perceptual_path_length(g, 8, n=20, extractor=digits_net, batch=10)
    assert np.isfinite(val) and val > 0
    val_w = perceptual_path_length(g, 8, n=20, space="w", mapping=lambda z: z,
                                   extractor=digits_net, batch=10)
    assert np.isfinite(val_w) and val_w > 0
