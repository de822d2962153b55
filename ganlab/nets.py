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
from collections.abc import Sequence

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
    "minibatch_stddev",
    "norm2d",
    "receptive_field",
    "PatchGAN",
    "MultiScalePatchGAN",
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


# --- blocks shared by several families ------------------------------------------------------

def minibatch_stddev(h: Tensor, eps: float = 1e-8) -> Tensor:
    """Append the minibatch standard deviation: (..., B, C) -> (..., B, C + 1).

    s = mean_c sqrt(Var_b h[b, c] + eps), with the biased variance over the batch
    (Karras et al. 2018, section 3); the same s is appended to every sample.
    """
    if h.shape[-2] < 2:
        raise ValueError("minibatch stddev needs at least 2 samples per batch")
    var = (h - h.mean(-2, keepdim=True)).square().mean(-2)  # (..., C) biased variance over B
    s = (var + eps).sqrt().mean(-1, keepdim=True)  # (..., 1)
    s = s.unsqueeze(-2).expand(*h.shape[:-1], 1)  # (..., B, 1)
    return torch.cat([h, s], dim=-1)

def receptive_field(layers: Sequence[tuple[int, int]]) -> int:
    """Side of the input square one output unit sees, for a stack of (kernel, stride) convs.

    r_0 = 1, j_0 = 1; layer l adds (k_l - 1) j_{l-1} and multiplies the jump j by s_l:
    r = 1 + sum_l (k_l - 1) prod_{m<l} s_m. 70 for pix2pix's 3-layer PatchGAN.
    """
    r, jump = 1, 1
    for k, s in layers:
        if k < 1 or s < 1:
            raise ValueError(f"kernel and stride must be >= 1, got ({k}, {s})")
        r += (k - 1) * jump
        jump *= s
    return r


def norm2d(kind: str, c: int) -> nn.Module:
    if kind == "instance":
        return nn.InstanceNorm2d(c, affine=False)  # per image and channel, as in CycleGAN
    if kind == "batch":
        return nn.BatchNorm2d(c)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"norm must be 'instance', 'batch' or 'none', got {kind!r}")


class PatchGAN(nn.Module):
    """pix2pix's PatchGAN (Isola et al. 2017, section 2.2.2): n_layers stride-2 4x4 convs, one
    stride-1 conv, a 1-channel conv.

    (B, C, H, W) -> realness logits per patch (B, 1, H', W'); each logit sees a
    `receptive_field` x `receptive_field` patch (70 for n_layers=3).
    """

    def __init__(self, in_channels: int, ndf: int = 64, n_layers: int = 3,
                 norm: str = "instance") -> None:
        super().__init__()
        chans = [in_channels] + [ndf * min(2 ** i, 8) for i in range(n_layers + 1)]
        blocks: list[nn.Module] = []
        for i in range(n_layers + 1):
            stride = 2 if i < n_layers else 1
            blocks.append(nn.Sequential(
                nn.Conv2d(chans[i], chans[i + 1], 4, stride, 1),
                norm2d(norm, chans[i + 1]) if i > 0 else nn.Identity(),  # none on the first
                nn.LeakyReLU(0.2)))
        blocks.append(nn.Conv2d(chans[-1], 1, 4, 1, 1))
        self.blocks = nn.ModuleList(blocks)

    def layer_specs(self) -> list[tuple[int, int]]:
        """(kernel, stride) of every conv, input to output."""
        convs = [m for m in self.modules() if isinstance(m, nn.Conv2d)]
        return [(m.kernel_size[0], m.stride[0]) for m in convs]

    @property
    def receptive_field(self) -> int:
        return receptive_field(self.layer_specs())

    def features(self, x: Tensor) -> list[Tensor]:
        """Every block's output, the last being the logits (B, 1, H', W')."""
        out = []
        for b in self.blocks:
            x = b(x)
            out.append(x)
        return out

    def forward(self, x: Tensor) -> Tensor:
        return self.features(x)[-1]


class MultiScalePatchGAN(nn.Module):
    """PatchGANs on the image and on 2x, 4x ... average-pooled copies (pix2pixHD, SPADE)."""

    def __init__(self, in_channels: int, ndf: int = 64, n_layers: int = 3, scales: int = 2,
                 norm: str = "instance") -> None:
        super().__init__()
        self.nets = nn.ModuleList(PatchGAN(in_channels, ndf, n_layers, norm) for _ in range(scales))

    def features(self, x: Tensor) -> list[list[Tensor]]:
        out = []
        for i, d in enumerate(self.nets):
            out.append(d.features(x))
            if i + 1 < len(self.nets):
                x = F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)  # (B, C, H/2, W/2)
        return out

    def forward(self, x: Tensor) -> list[Tensor]:
        """One logit map per scale."""
        return [f[-1] for f in self.features(x)]
