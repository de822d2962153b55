"""Generators and discriminators shared by the chapters.

- MLP G/D for 1D/2D toys.
- DCGAN G/D: Radford et al. 2016, "Unsupervised Representation Learning with
  Deep Convolutional GANs", section 3 guidelines (strided convolutions, no
  pooling, BN in G and D except G's output and D's input, ReLU in G, LeakyReLU
  0.2 in D, tanh output). Sizes 16, 32 and 64 px (and any power of two >= 8).
  Deviation: D returns a raw logit (no sigmoid), see `ganlab.losses`.
- ResNet blocks: Miyato et al. 2018 / Gulrajani et al. 2017 (pre-activation,
  upsample in G, average-pool in D).
- Conditioning: G concatenates a learned label embedding to z (Mirza & Osindero
  2014); D either concatenates one-hot label maps to its input ("concat") or adds
  the projection term <embed(y), h(x)> to its logit (Miyato & Koyama 2018, eq. 3).
- Spectral normalisation: PyTorch's own parametrisation.

Every discriminator maps `(x, y=None)` to logits of shape `(B,)`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm as _sn

__all__ = [
    "MLP",
    "MLPGenerator",
    "MLPDiscriminator",
    "DCGANGenerator",
    "DCGANDiscriminator",
    "ResBlockUp",
    "ResBlockDown",
    "maybe_sn",
    "init_dcgan",
]


def maybe_sn(layer: nn.Module, on: bool) -> nn.Module:
    """Wrap `layer` in spectral normalisation when `on`."""
    return _sn(layer) if on else layer


def _check_labels(y: Tensor | None, n_classes: int, batch: int) -> Tensor:
    if n_classes == 0:
        if y is not None and (y >= 0).any():
            raise ValueError("this network is unconditional: pass y=None (built with n_classes=0)")
        return None
    if y is None:
        raise ValueError(f"this network is conditional on {n_classes} classes: pass labels y")
    if y.shape != (batch,):
        raise ValueError(f"labels must have shape ({batch},), got {tuple(y.shape)}")
    if (y < 0).any() or (y >= n_classes).any():
        raise ValueError(f"labels must lie in [0, {n_classes}); got min {y.min()}, max {y.max()}")
    return y


class MLP(nn.Sequential):
    """Linear layers with an activation and optional BatchNorm between them."""

    def __init__(
        self,
        d_in: int,
        d_out: int,
        hidden: int = 128,
        depth: int = 3,
        act: str = "relu",
        batchnorm: bool = False,
        sn: bool = False,
    ) -> None:
        acts = {"relu": nn.ReLU, "leaky": lambda: nn.LeakyReLU(0.2), "tanh": nn.Tanh}
        if act not in acts:
            raise ValueError(f"act must be one of {sorted(acts)}, got {act!r}")
        if depth < 1:
            raise ValueError(f"depth counts hidden layers and must be >= 1, got {depth}")
        layers: list[nn.Module] = []
        width = d_in
        for _ in range(depth):
            layers.append(maybe_sn(nn.Linear(width, hidden), sn))
            if batchnorm:
                layers.append(nn.BatchNorm1d(hidden))
            layers.append(acts[act]())
            width = hidden
        layers.append(maybe_sn(nn.Linear(width, d_out), sn))
        super().__init__(*layers)


class MLPGenerator(nn.Module):
    """z (B, nz) [+ label] -> x (B, d)."""

    def __init__(self, nz: int = 2, d: int = 2, hidden: int = 128, depth: int = 3,
                 batchnorm: bool = False, n_classes: int = 0) -> None:
        super().__init__()
        self.nz, self.n_classes = nz, n_classes
        self.embed = nn.Embedding(n_classes, n_classes) if n_classes else None
        self.net = MLP(nz + n_classes, d, hidden, depth, "relu", batchnorm)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        y = _check_labels(y, self.n_classes, z.shape[0])
        if y is not None:
            z = torch.cat([z, self.embed(y)], dim=1)  # (B, nz + K)
        return self.net(z)  # (B, d)


class MLPDiscriminator(nn.Module):
    """x (B, d) [+ label] -> logits (B,). Projection conditioning when n_classes > 0."""

    def __init__(self, d: int = 2, hidden: int = 128, depth: int = 3, act: str = "leaky",
                 sn: bool = False, n_classes: int = 0) -> None:
        super().__init__()
        self.n_classes = n_classes
        self.body = MLP(d, hidden, hidden, depth - 1, act, sn=sn) if depth > 1 else None
        width = hidden if depth > 1 else d
        self.act = nn.LeakyReLU(0.2) if act == "leaky" else nn.ReLU()
        self.head = maybe_sn(nn.Linear(width, 1), sn)
        self.embed = maybe_sn(nn.Embedding(n_classes, width), sn) if n_classes else None

    def features(self, x: Tensor) -> Tensor:
        return self.act(self.body(x)) if self.body is not None else x  # (B, F)

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        h = self.features(x)  # (B, F)
        out = self.head(h).squeeze(1)  # (B,)
        y = _check_labels(y, self.n_classes, x.shape[0])
        if y is not None:
            out = out + (self.embed(y) * h).sum(1)  # projection <e_y, h>
        return out


def _levels(size: int) -> int:
    n = int(math.log2(size)) - 2
    if size < 8 or 2 ** (n + 2) != size:
        raise ValueError(f"DCGAN image size must be a power of two >= 8, got {size}")
    return n  # number of stride-2 stages between 4x4 and size


class DCGANGenerator(nn.Module):
    """z (B, nz) [+ label] -> image (B, C, size, size) in [-1, 1]."""

    def __init__(self, nz: int = 64, size: int = 32, channels: int = 1, ngf: int = 64,
                 n_classes: int = 0, bias: bool = True) -> None:
        super().__init__()
        self.nz, self.size, self.channels, self.n_classes = nz, size, channels, n_classes
        n = _levels(size)
        width = ngf * 2 ** (n - 1)
        self.embed = nn.Embedding(n_classes, n_classes) if n_classes else None
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(nz + n_classes, width, 4, 1, 0, bias=False),  # (B, w, 4, 4)
            nn.BatchNorm2d(width),
            nn.ReLU(True),
        ]
        for _ in range(n - 1):
            layers += [
                nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False),  # doubles H, W
                nn.BatchNorm2d(width // 2),
                nn.ReLU(True),
            ]
            width //= 2
        layers += [nn.ConvTranspose2d(width, channels, 4, 2, 1, bias=bias), nn.Tanh()]  # no BN at output
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        y = _check_labels(y, self.n_classes, z.shape[0])
        if y is not None:
            z = torch.cat([z, self.embed(y)], dim=1)  # (B, nz + K)
        return self.net(z[:, :, None, None])  # (B, C, size, size)


class DCGANDiscriminator(nn.Module):
    """image (B, C, size, size) [+ label] -> logits (B,).

    `norm`: "batch" (DCGAN), "none" (WGAN-GP, whose penalty is per sample) or
    "layer"-free spectral norm via `sn=True`. `cond`: "projection" or "concat".
    """

    def __init__(self, size: int = 32, channels: int = 1, ndf: int = 64, norm: str = "batch",
                 sn: bool = False, n_classes: int = 0, cond: str = "projection", bias: bool = True) -> None:
        super().__init__()
        if norm not in ("batch", "none"):
            raise ValueError(f"norm must be 'batch' or 'none', got {norm!r}")
        if cond not in ("projection", "concat"):
            raise ValueError(f"cond must be 'projection' or 'concat', got {cond!r}")
        self.size, self.channels, self.n_classes, self.cond = size, channels, n_classes, cond
        n = _levels(size)
        c_in = channels + (n_classes if n_classes and cond == "concat" else 0)
        layers: list[nn.Module] = [maybe_sn(nn.Conv2d(c_in, ndf, 4, 2, 1, bias=bias), sn), nn.LeakyReLU(0.2)]
        width = ndf
        for _ in range(n - 1):
            layers.append(maybe_sn(nn.Conv2d(width, width * 2, 4, 2, 1, bias=norm == "none"), sn))
            if norm == "batch":
                layers.append(nn.BatchNorm2d(width * 2))
            layers.append(nn.LeakyReLU(0.2))
            width *= 2
        self.body = nn.Sequential(*layers)  # (B, width, 4, 4)
        self.head = maybe_sn(nn.Conv2d(width, 1, 4, 1, 0, bias=bias), sn)  # (B, 1, 1, 1)
        use_proj = n_classes and cond == "projection"
        self.embed = maybe_sn(nn.Embedding(n_classes, width * 16), sn) if use_proj else None

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        expected = (self.channels, self.size, self.size)
        if x.dim() != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"expected images (B, {expected[0]}, {expected[1]}, {expected[2]}), "
                             f"got {tuple(x.shape)}")
        y = _check_labels(y, self.n_classes, x.shape[0])
        if y is not None and self.cond == "concat":
            maps = F.one_hot(y, self.n_classes).to(x.dtype)[:, :, None, None]  # (B, K, 1, 1)
            x = torch.cat([x, maps.expand(-1, -1, self.size, self.size)], dim=1)
        h = self.body(x)  # (B, F, 4, 4)
        out = self.head(h).flatten()  # (B,)
        if y is not None and self.embed is not None:
            out = out + (self.embed(y) * h.flatten(1)).sum(1)  # projection <e_y, h>
        return out


@torch.no_grad()
def init_dcgan(module: nn.Module) -> None:
    """DCGAN's initialisation: conv weights N(0, 0.02), BN weights N(1, 0.02), biases 0,
    and a projection discriminator's class embedding N(0, 0.02)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            w = m.parametrizations.weight.original if hasattr(m, "parametrizations") else m.weight
            w.normal_(0.0, 0.02)
            if m.bias is not None:
                m.bias.zero_()
        elif isinstance(m, nn.BatchNorm2d):
            m.weight.normal_(1.0, 0.02)
            m.bias.zero_()
        elif isinstance(m, DCGANDiscriminator) and m.embed is not None:
            # the projection term <e_y, h> must start as small as the rest of D's logit;
            # with nn.Embedding's N(0, 1) it dominates and D wins from the first step
            w = m.embed.parametrizations.weight.original if hasattr(m.embed, "parametrizations") \
                else m.embed.weight
            w.normal_(0.0, 0.02)


class ResBlockUp(nn.Module):
    """Pre-activation residual block that doubles H and W: (B, c_in, H, W) -> (B, c_out, 2H, 2W)."""

    def __init__(self, c_in: int, c_out: int, sn: bool = False) -> None:
        super().__init__()
        self.bn1, self.bn2 = nn.BatchNorm2d(c_in), nn.BatchNorm2d(c_out)
        self.conv1 = maybe_sn(nn.Conv2d(c_in, c_out, 3, 1, 1), sn)
        self.conv2 = maybe_sn(nn.Conv2d(c_out, c_out, 3, 1, 1), sn)
        self.skip = maybe_sn(nn.Conv2d(c_in, c_out, 1), sn)

    def forward(self, x: Tensor) -> Tensor:
        h = F.interpolate(F.relu(self.bn1(x)), scale_factor=2.0, mode="nearest")
        h = self.conv2(F.relu(self.bn2(self.conv1(h))))
        return h + self.skip(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class ResBlockDown(nn.Module):
    """Residual block that halves H and W (no normalisation, as in SN-GAN's D)."""

    def __init__(self, c_in: int, c_out: int, sn: bool = True, first: bool = False) -> None:
        super().__init__()
        self.first = first
        self.conv1 = maybe_sn(nn.Conv2d(c_in, c_out, 3, 1, 1), sn)
        self.conv2 = maybe_sn(nn.Conv2d(c_out, c_out, 3, 1, 1), sn)
        self.skip = maybe_sn(nn.Conv2d(c_in, c_out, 1), sn)

    def forward(self, x: Tensor) -> Tensor:
        h = x if self.first else F.relu(x)  # no activation on raw pixels
        h = F.avg_pool2d(self.conv2(F.relu(self.conv1(h))), 2)
        return h + F.avg_pool2d(self.skip(x), 2)
