"""Detecting generated images: a small real-vs-fake classifier and its held-out accuracy.

The setting of e.g. Wang et al. 2020 ("CNN-generated images are surprisingly easy to spot...
for now") and Frank et al. 2020 (frequency artefacts), reduced to 16x16 digits: a CNN is
trained to output a logit that is large for real images, on one set of real and generated
images, and scored on held-out real images and fresh generated ones. The chapter's point
is the trend, not the detector: the better the generator, the lower the accuracy. A GAN's
own D is such a detector, trained against the *current* G only; this one is trained from
scratch on a frozen G's samples, so it can be retrained against any checkpoint.

Deviations: no pretrained backbone, no augmentation (blur/JPEG) as in Wang et al.; a
detector this small only shows how detection degrades as a generator improves.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .metrics._checks import check_images
from .metrics.two_sample import fit_real_fake_classifier, real_fake_accuracy

__all__ = ["FakeDetector", "DetectorConfig", "train_detector", "detector_accuracy",
           "detection_report"]


class FakeDetector(nn.Module):
    """x (B, C, H, W) in [-1, 1] -> logit (B,), large = real."""

    def __init__(self, channels: int = 1, width: int = 16) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(channels, width, 3, padding=1), nn.LeakyReLU(0.2), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.LeakyReLU(0.2), nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(8 * width, 1))  # (B, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).squeeze(1)  # (B,)


@dataclass
class DetectorConfig:
    """How the detector is trained."""

    steps: int = 300  # Adam steps
    batch: int = 64  # real and fake images per step (each)
    lr: float = 1e-3  # Adam learning rate
    width: int = 16  # channels of the first conv


def _check_pair(real: Tensor, fake: Tensor) -> None:
    check_images(real)
    check_images(fake)
    if real.shape[1:] != fake.shape[1:]:
        raise ValueError(f"real images are {tuple(real.shape[1:])} but fakes are "
                         f"{tuple(fake.shape[1:])}: give both the same (C, H, W)")


def train_detector(real: Tensor, fake: Tensor, cfg: DetectorConfig | None = None,
                   seed: int = 0) -> FakeDetector:
    """A detector trained on real (N, C, H, W) vs fake (M, C, H, W) by logistic regression.

    Each step: `cfg.batch` real and as many fake images, loss (softplus(-D(x)) + softplus(D(G(z))))
    / 2, i.e. the mean binary cross-entropy (`ganlab.metrics.fit_real_fake_classifier`).
    """
    cfg = cfg or DetectorConfig()
    _check_pair(real, fake)
    if min(len(real), len(fake)) < cfg.batch:
        raise ValueError(f"need at least {cfg.batch} real and fake images, got {len(real)} and "
                         f"{len(fake)}: lower DetectorConfig.batch")
    g = torch.Generator().manual_seed(seed)
    t = torch.cat([torch.ones(cfg.batch), torch.zeros(cfg.batch)])

    def batch() -> tuple[Tensor, Tensor]:
        xr = real[torch.randint(len(real), (cfg.batch,), generator=g)]  # (B, C, H, W)
        xf = fake[torch.randint(len(fake), (cfg.batch,), generator=g)]
        return torch.cat([xr, xf]), t

    return fit_real_fake_classifier(lambda: FakeDetector(real.shape[1], cfg.width), batch,
                                    cfg.steps, cfg.lr, seed)


@torch.no_grad()
def detector_accuracy(det: nn.Module, real: Tensor, fake: Tensor) -> float:
    """Balanced accuracy: (fraction of real with logit > 0 + fraction of fake with logit <= 0) / 2."""
    _check_pair(real, fake)
    return real_fake_accuracy(det, real, fake)


def detection_report(real_train: Tensor, real_test: Tensor, fakes: dict[str, Tensor],
                     cfg: DetectorConfig | None = None, seed: int = 0) -> dict[str, float]:
    """For each named set of fakes: train on its first half, test on the other half.

    Returns {name: held-out balanced accuracy} (0.5 = chance, 1 = every image right).
    """
    out = {}
    for name, fake in fakes.items():
        half = len(fake) // 2
        det = train_detector(real_train, fake[:half], cfg, seed)
        out[name] = detector_accuracy(det, real_test, fake[half:])
    return out
