"""Feature networks for the metrics: small classifiers that ship with ganlab
and an Inception-v3 that loads weights the user supplies.

* ``DigitsNet``: a small CNN on 16x16 digits in [-1, 1] (10 classes). Its
  penultimate layer (64-d) gives features for FID/KID/PRDC, its softmax the
  Inception-style score. Weights: ``ganlab/weights/digits_net.pt``, trained by
  ``scripts/train_feature_nets.py`` (accuracy in ``digits_net.json``).
* ``FacesNet``: the same design on 32x32 grey images, trained to tell the 100
  LFW faces from the 100 non-faces (2 classes); 64-d features.
* ``InceptionFeatures(path)``: the FID variant of Inception-v3 (Szegedy et al.
  2016, "Rethinking the Inception architecture", fig. 5-7 and table 1; the FID
  port's pooling changes: average pools exclude padding, the last block's pool
  branch is a max pool), written here, loading a state_dict from a file. It
  never downloads. Images are resized to 299x299 with bilinear interpolation
  (``align_corners=False``, as pytorch-fid does; TensorFlow's original FID
  resize differs slightly, so numbers match pytorch-fid, not TF-FID, exactly),
  grey images are repeated to 3 channels, and the 2,048-d average-pool output is
  returned. The expected input range is ganlab's [-1, 1], which is the range the
  FID Inception weights expect after their own scaling.

Numbers computed with ``DigitsNet``/``FacesNet`` features are comparable only
with other numbers computed with the same network, never with published FIDs.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .metrics._checks import check_images

__all__ = [
    "DigitsNet", "FacesNet", "FeatureExtractor", "InceptionV3", "InceptionFeatures",
    "load_digits_net", "load_faces_net", "weights_path",
]


class SmallCNN(nn.Module):
    """conv-conv-pool x2 -> 64-d features -> logits; ``size`` is 16 or 32."""

    def __init__(self, size: int = 16, classes: int = 10, width: int = 16, feat: int = 64):
        super().__init__()
        self.size, self.classes = size, classes
        self.block1 = nn.Sequential(nn.Conv2d(1, width, 3, padding=1), nn.ReLU(),
                                    nn.Conv2d(width, width, 3, padding=1), nn.ReLU(),
                                    nn.MaxPool2d(2))  # (B, w, s/2, s/2)
        self.block2 = nn.Sequential(nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(),
                                    nn.Conv2d(2 * width, 2 * width, 3, padding=1), nn.ReLU(),
                                    nn.MaxPool2d(2))  # (B, 2w, s/4, s/4)
        self.pool = nn.AdaptiveAvgPool2d(4)  # (B, 2w, 4, 4) for any input size
        self.embed = nn.Sequential(nn.Flatten(), nn.Dropout(0.2),
                                   nn.Linear(2 * width * 16, feat), nn.ReLU())
        self.head = nn.Linear(feat, classes)
        self.num_features = feat  # read by torchmetrics' custom-feature interface

    def layers(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Activations after each block and the feature layer (for perceptual distances)."""
        h1 = self.block1(x)
        h2 = self.block2(h1)
        return [h1, h2, self.embed(self.pool(h2))]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.embed(self.pool(self.block2(self.block1(x))))  # (B, feat)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))  # (B, classes) logits


class DigitsNet(SmallCNN):
    def __init__(self):
        super().__init__(size=16, classes=10)


class FacesNet(SmallCNN):
    def __init__(self):
        super().__init__(size=32, classes=2)


class FeatureExtractor:
    """Wraps a trained network: validated, batched, no-grad ``features``/``probs``.

    ``features(x) -> (N, d)`` float32 and ``probs(x) -> (N, classes)``; ``x`` is
    ``(N, C, H, W)`` in [-1, 1] with the network's channel count and size.
    """

    def __init__(self, net: nn.Module, channels: int, size: int, name: str,
                 batch_size: int = 500, scale: float = 1.0):
        self.net = net.eval()
        self.channels, self.size, self.name, self.batch_size = channels, size, name, batch_size
        self.scale = scale  # features are multiplied by this (1 / RMS on the training images)

    @property
    def device(self) -> torch.device:
        return next(self.net.parameters()).device

    def to(self, device) -> FeatureExtractor:
        self.net.to(device)
        return self

    def _map(self, fn, x: torch.Tensor) -> torch.Tensor:
        check_images(x, channels=self.channels, size=self.size)
        with torch.no_grad():
            out = [fn(b.to(self.device, torch.float32)).cpu() for b in x.split(self.batch_size)]
        return torch.cat(out)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, d) features; the shipped nets' are scaled to unit RMS on their training images,
        so that KID's cubic kernel (x.y/d + 1)^3 sees O(1) inner products as with Inception's."""
        return self._map(self.net.features, x) * self.scale

    def probs(self, x: torch.Tensor) -> torch.Tensor:
        return self._map(lambda b: self.net(b).softmax(1), x)

    def layers(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Per-layer activations with gradients (used by the perceptual distance)."""
        check_images(x, channels=self.channels, size=self.size)
        return self.net.layers(x.to(self.device, torch.float32))


def weights_path(name: str) -> Path:
    """Path of a shipped weight file, e.g. ``weights_path("digits_net.pt")``."""
    return Path(str(resources.files("ganlab") / "weights" / name))


def _load(cls, name: str, channels: int, size: int) -> FeatureExtractor:
    path = weights_path(f"{name}.pt")
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; run scripts/train_feature_nets.py")
    net = cls()
    net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    rms = net_info(name).get("feature_rms")
    if rms is None:
        raise ValueError(f"{name}.json lacks feature_rms; rerun scripts/train_feature_nets.py")
    return FeatureExtractor(net, channels, size, name, scale=1.0 / rms)


def load_digits_net() -> FeatureExtractor:
    """The shipped digits classifier (16x16, 1 channel, 10 classes, 64-d features)."""
    return _load(DigitsNet, "digits_net", 1, 16)


def load_faces_net() -> FeatureExtractor:
    """The shipped faces-vs-non-faces classifier (32x32, 1 channel, 2 classes, 64-d)."""
    return _load(FacesNet, "faces_net", 1, 32)


def net_info(name: str) -> dict:
    """The training record (accuracies, seed, command) stored beside the weights."""
    return json.loads(weights_path(f"{name}.json").read_text())


# ------------------------------------------------------------------ Inception-v3 (FID variant)
class BasicConv2d(nn.Module):
    """conv (no bias) -> batch norm (eps 1e-3) -> ReLU."""

    def __init__(self, cin: int, cout: int, kernel_size, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel_size, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


def _avg3(x):
    return F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)  # FID variant


class InceptionA(nn.Module):  # 35x35 grid, out 224 + pool_features
    def __init__(self, cin: int, pool_features: int):
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 64, 1)
        self.branch5x5_1 = BasicConv2d(cin, 48, 1)
        self.branch5x5_2 = BasicConv2d(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, padding=1)
        self.branch_pool = BasicConv2d(cin, pool_features, 1)

    def forward(self, x):
        return torch.cat([
            self.branch1x1(x),
            self.branch5x5_2(self.branch5x5_1(x)),
            self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
            self.branch_pool(_avg3(x)),
        ], 1)


class InceptionB(nn.Module):  # grid reduction 35 -> 17, out 480 + cin
    def __init__(self, cin: int):
        super().__init__()
        self.branch3x3 = BasicConv2d(cin, 384, 3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, stride=2)

    def forward(self, x):
        return torch.cat([
            self.branch3x3(x),
            self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
            F.max_pool2d(x, 3, stride=2),
        ], 1)


class InceptionC(nn.Module):  # 17x17 grid with factorised 7x7, out 768
    def __init__(self, cin: int, c7: int):
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 192, 1)
        self.branch7x7_1 = BasicConv2d(cin, c7, 1)
        self.branch7x7_2 = BasicConv2d(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(cin, c7, 1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, (1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(cin, 192, 1)

    def forward(self, x):
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = x
        for i in range(1, 6):
            d = getattr(self, f"branch7x7dbl_{i}")(d)
        return torch.cat([self.branch1x1(x), b7, d, self.branch_pool(_avg3(x))], 1)


class InceptionD(nn.Module):  # grid reduction 17 -> 8, out 512 + cin
    def __init__(self, cin: int):
        super().__init__()
        self.branch3x3_1 = BasicConv2d(cin, 192, 1)
        self.branch3x3_2 = BasicConv2d(192, 320, 3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(cin, 192, 1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, 3, stride=2)

    def forward(self, x):
        b7 = x
        for i in range(1, 5):
            b7 = getattr(self, f"branch7x7x3_{i}")(b7)
        return torch.cat([self.branch3x3_2(self.branch3x3_1(x)), b7,
                          F.max_pool2d(x, 3, stride=2)], 1)


class InceptionE(nn.Module):  # 8x8 grid with expanded filter banks, out 2048
    def __init__(self, cin: int, max_pool: bool):
        super().__init__()
        self.max_pool = max_pool  # FID variant: the last block pools with max, not average
        self.branch1x1 = BasicConv2d(cin, 320, 1)
        self.branch3x3_1 = BasicConv2d(cin, 384, 1)
        self.branch3x3_2a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(cin, 448, 1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(cin, 192, 1)

    def forward(self, x):
        a = self.branch3x3_1(x)
        b = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        pooled = F.max_pool2d(x, 3, stride=1, padding=1) if self.max_pool else _avg3(x)
        return torch.cat([
            self.branch1x1(x),
            self.branch3x3_2a(a), self.branch3x3_2b(a),
            self.branch3x3dbl_3a(b), self.branch3x3dbl_3b(b),
            self.branch_pool(pooled),
        ], 1)


class InceptionV3(nn.Module):
    """Inception-v3 trunk up to the 2,048-d global average pool (no classifier).

    Parameter names follow the common PyTorch port, so a FID Inception
    state_dict loads directly (its ``fc.*`` classifier entries are ignored).
    Input: ``(N, 3, 299, 299)`` scaled to [-1, 1].
    """

    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, 3, stride=2)  # 149
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, 3)  # 147
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, 3, padding=1)  # 147 -> pool 73
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, 1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, 3)  # 71 -> pool 35
        self.Mixed_5b = InceptionA(192, 32)  # 256
        self.Mixed_5c = InceptionA(256, 64)  # 288
        self.Mixed_5d = InceptionA(288, 64)  # 288
        self.Mixed_6a = InceptionB(288)  # 768 at 17x17
        self.Mixed_6b = InceptionC(768, 128)
        self.Mixed_6c = InceptionC(768, 160)
        self.Mixed_6d = InceptionC(768, 160)
        self.Mixed_6e = InceptionC(768, 192)
        self.Mixed_7a = InceptionD(768)  # 1280 at 8x8
        self.Mixed_7b = InceptionE(1280, max_pool=False)  # 2048
        self.Mixed_7c = InceptionE(2048, max_pool=True)  # 2048
        self.num_features = 2048

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, 3, stride=2)
        x = F.max_pool2d(self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x)), 3, stride=2)
        for name in ("5b", "5c", "5d", "6a", "6b", "6c", "6d", "6e", "7a", "7b", "7c"):
            x = getattr(self, f"Mixed_{name}")(x)
        return x.mean((2, 3))  # (N, 2048) global average pool


def _check_value_range(r) -> tuple[float, float] | None:
    if r is None:
        return None
    r = tuple(float(v) for v in r)
    if r not in ((0.0, 1.0), (-1.0, 1.0)):
        raise ValueError(f"value_range must be (0, 1) or (-1, 1), got {r}")
    return r


def _to_unit_range(x: torch.Tensor, value_range: tuple[float, float] | None) -> torch.Tensor:
    """Images in [-1, 1]: checked, and converted from [0, 1] when value_range says so."""
    check_images(x)
    lo, hi = float(x.min()), float(x.max())
    if value_range == (0.0, 1.0):
        if lo < -1e-4:
            raise ValueError(f"value_range=(0, 1) but the images span [{lo:.3g}, {hi:.3g}]")
        return x * 2 - 1
    if value_range is None and lo >= 0.0:
        raise ValueError(
            f"images: every value lies in [{lo:.3g}, {hi:.3g}], which looks like images in "
            "[0, 1]; Inception expects [-1, 1]. Pass x * 2 - 1, or value_range=(0, 1) to have "
            "them converted, or value_range=(-1, 1) if [-1, 1] is really their range")
    return x


class InceptionFeatures(FeatureExtractor):
    """2,048-d FID Inception features from a weights file the user supplies.

    ``path``: a ``torch.save``d state_dict of the FID Inception (e.g. pytorch-fid's
    ``pt_inception-2015-12-05-*.pth``), loaded with ``weights_only=True``. Any
    (N, 1 or 3, H, W) batch in [-1, 1] is accepted: grey is repeated to RGB and
    every image is resized to 299x299 bilinearly (``align_corners=False``).
    """

    def __init__(self, path, batch_size: int = 50, value_range: tuple[float, float] | None = None):
        self.value_range = _check_value_range(value_range)
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(
                f"{path} not found. ganlab never downloads weights: obtain the FID Inception "
                "state_dict yourself (e.g. pytorch-fid's pt_inception-2015-12-05) and pass its path"
            )
        state = torch.load(path, map_location="cpu", weights_only=True)
        state = {k: v for k, v in state.items() if not k.startswith(("fc.", "AuxLogits."))}
        net = InceptionV3()
        net.load_state_dict(state)
        super().__init__(net, channels=3, size=299, name="inception", batch_size=batch_size)

    def _map(self, fn, x: torch.Tensor, value_range: tuple[float, float] | None = None) -> torch.Tensor:
        x = _to_unit_range(x, _check_value_range(value_range) or self.value_range)
        if x.shape[1] not in (1, 3):
            raise ValueError(f"Inception takes 1 or 3 channels, got {tuple(x.shape)}")
        with torch.no_grad():
            out = []
            for b in x.split(self.batch_size):
                b = b.to(self.device, torch.float32).expand(-1, 3, -1, -1)  # grey -> RGB
                b = F.interpolate(b, size=(299, 299), mode="bilinear", align_corners=False)
                out.append(fn(b).cpu())
        return torch.cat(out)

    def features(self, x: torch.Tensor, value_range: tuple[float, float] | None = None) -> torch.Tensor:
        """(N, 2048) features of images in [-1, 1]. A batch that lies in [0, 1] is refused
        (its features would be off by about a quarter) unless value_range says what it is:
        (0, 1) maps it to [-1, 1], (-1, 1) takes it as it is."""
        return self._map(self.net, x, value_range)

    def probs(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("the FID Inception here has no classifier head; use features")
