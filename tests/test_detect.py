"""The fake detector: its accuracy by hand, that it separates easy fakes and sits at chance
when the "fakes" are real images."""

import pytest
import torch
from torch import nn

from ganlab import data, detect

CFG = detect.DetectorConfig(steps=80, batch=32, width=8)


class _MeanPixel(nn.Module):
    def forward(self, x):
        return x.flatten(1).mean(1)  # (B,) "real" when the mean pixel is positive


def test_balanced_accuracy_by_hand():
    real = torch.stack([torch.full((1, 4, 4), v) for v in (0.5, 0.2, -0.1, 0.3)])  # 3 of 4 > 0
    fake = torch.stack([torch.full((1, 4, 4), v) for v in (-0.5, 0.4)])  # 1 of 2 < 0
    assert detect.detector_accuracy(_MeanPixel(), real, fake) == pytest.approx(0.5 * (3 / 4 + 1 / 2))


def test_detector_shape():
    det = detect.FakeDetector(1, 4)
    assert det(torch.zeros(5, 1, 16, 16)).shape == (5,)


def test_detects_noise_and_is_at_chance_on_real_vs_real():
    train, test = data.digits(16, split="train"), data.digits(16, split="test")
    g = torch.Generator().manual_seed(0)
    noise = torch.rand(2 * len(test.x), 1, 16, 16, generator=g) * 2 - 1
    acc = detect.detection_report(train.x, test.x, {"noise": noise}, CFG)
    assert acc["noise"] > 0.95
    # "fakes" that are real digits: nothing to detect, held-out accuracy is chance
    half = len(train.x) // 2
    det = detect.train_detector(train.x[:half], train.x[half:], CFG)
    chance = detect.detector_accuracy(det, test.x[: len(test.x) // 2], test.x[len(test.x) // 2:])
    assert abs(chance - 0.5) < 0.12, chance


def test_bad_inputs_raise():
    x = torch.zeros(40, 1, 16, 16)
    with pytest.raises(ValueError, match="same"):
        detect.train_detector(x, torch.zeros(40, 1, 8, 8), CFG)
    with pytest.raises(ValueError, match="at least 32"):
        detect.train_detector(x[:10], x, CFG)
