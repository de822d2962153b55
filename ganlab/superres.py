"""Single-image super-resolution with a GAN: SRResNet, SRGAN and the pixel-only baseline.

Source: Ledig et al. 2017, "Photo-Realistic Single Image Super-Resolution Using a Generative
Adversarial Network" (SRGAN). G maps a low-resolution image I^LR to I^SR with 4x as many rows
and columns; the perceptual loss (eq. 3) is a content loss plus 1e-3 times the adversarial
loss -log D(G(I^LR)) (eq. 6); the content loss is a pixel MSE (eq. 4) or the MSE between
feature maps phi of a fixed classifier (eq. 5, VGG's phi_{5,4}). G (fig. 4): a 9x9 conv,
residual blocks, two x2 pixel-shuffle upsamplers (Shi et al. 2016), a 9x9 conv.

The data (`sr_patches`): crops of scikit-image's photos (`ganlab.data.photo`), grey by
default; the low-resolution input is `downsample(hr)` = 4x4 **average pooling** (a box
filter, the "bicubic kernel" of the paper replaced by the simplest antialiasing filter, so
that the degradation is a one-line closed form). The data set holds only the HR crops: the
LR side of a pair is that pure function of them, computed in the phase.

The feature ("perceptual") loss uses ganlab's shipped `FacesNet` (`load_faces_net`, a small
CNN on 32x32 grey images), the output of its second conv block (32 channels at 8x8, after
ReLU and max pooling) -- the analogue of VGG's deep phi_{5,4}. HR crops are 32x32 to fit it;
RGB images are turned to luminance (BT.601) before it, since it is a grey network.

Deviations, for a CPU budget: G is narrow (width 32, 4 residual blocks) and has no batch norm
(as ESRGAN, Wang et al. 2018); G adds its output to a bicubic upsampling of the input (the
global residual of VDSR, Kim et al. 2016), so an untrained G already upsamples bicubically
and its output is unbounded (clamp to [-1, 1] to show or score it); G's last conv is 3x3,
not 9x9, and starts at zero (G starts as bicubic upsampling); the pixel term is L1
(as ESRGAN); D is a 6-conv version of SRGAN's (LeakyReLU 0.2, stride 2 halving, batch norm,
a dense head), and the adversarial weight is 1e-2, not 1e-3, so its effect shows in a few
hundred steps. SRGAN trains with the content loss of a pretrained SRResNet first; the `sr-l1`
variant is that pixel-only network and `srgan` may start from its weights.

ESRGAN (Wang et al. 2018, "ESRGAN: Enhanced Super-Resolution Generative Adversarial
Networks", `esrgan`) changes three things. G's basic block is the residual-in-residual dense
block (RRDB, fig. 4): three dense blocks of five 3x3 convs, each conv seeing the concatenation
of the block's input and every earlier conv's output (LeakyReLU 0.2 after the first four),
each dense block's output scaled by beta = 0.2 before it is added to its input, and the same
scaling on the RRDB's own skip; no batch norm anywhere. D is relativistic average (eq. 1-3):
D_Ra(x_r, x_f) = sigmoid(C(x_r) - E[C(x_f)]), trained with `losses.d_relativistic_avg`, and
G's adversarial loss `losses.g_relativistic_avg` is symmetric in the two terms, so G gets
gradients from the real images' scores too. The perceptual loss reads the features *before*
the activation (sec. 3.3: after ReLU the deep features are sparse and give weaker
supervision): here the second conv of FacesNet's second block, before its ReLU and pooling
(32 channels at 16x16). Deviations, as above: a bicubic global residual and a zero-started
last conv, nearest-neighbour x2 upsampling + conv (as ESRGAN) twice, a narrow trunk
(width 32, growth 16, 2 RRDBs: the paper's 64, 32, 23). The loss weights are the paper's
(eq. 3: L_percep + lambda L_G^Ra + eta L_1, lambda = 5e-3, eta = 1e-2), on FacesNet's
features rather than VGG's.

ESRGAN trains in two stages (sec. 4.1): first a PSNR-oriented RRDB network with the L1 loss
alone (the `esrgan-psnr` variant, ESRGAN's analogue of `sr-l1`), then the GAN, its G started
from that network's weights (`start_from`), at a smaller learning rate (the paper: 2e-4,
then 1e-4). The pre-training keeps G out of poor local optima and shows D relatively good
super-resolved images from the first step, so it can attend to texture.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import data, losses
from .data import ArrayDataset
from .options import opt
from .paired import luminance  # re-exported: ganlab's one BT.601 luma
from .registry import Preset, columns, d_phase_loss, register
from .train import Game, Phase, Step, Team

__all__ = ["downsample", "upsample_bicubic", "sr_patches", "SRResNet", "SRDiscriminator",
           "conv_features", "feature_loss", "SRConfig", "luminance", "DenseBlock", "RRDB",
           "RRDBNet", "ESRGANConfig", "start_from"]

FACTOR = 4  # the upscaling factor throughout


def downsample(hr: Tensor, factor: int = FACTOR) -> Tensor:
    """The degradation: factor x factor average pooling, (B, C, H, W) -> (B, C, H/f, W/f)."""
    if hr.dim() != 4 or hr.shape[-1] % factor or hr.shape[-2] % factor:
        raise ValueError(f"expected images (B, C, H, W) with H and W divisible by {factor}, "
                         f"got {tuple(hr.shape)}")
    return F.avg_pool2d(hr, factor)  # mean of each factor x factor block


def upsample_bicubic(lr: Tensor, factor: int = FACTOR) -> Tensor:
    """The classical baseline: bicubic interpolation, (B, C, h, w) -> (B, C, f h, f w)."""
    return F.interpolate(lr, scale_factor=factor, mode="bicubic", align_corners=False)


def sr_patches(size: int = 32, split: str = "train", grey: bool = True, photo_size: int = 128,
               stride: int = 8, names: tuple[str, ...] = data.PHOTOS) -> ArrayDataset:
    """HR crops x (N, C, size, size) in [-1, 1] of the photos; y = the photo's index.

    Train crops lie in the top 3/4 of each photo (resized to photo_size) and are also
    mirrored left-right; test crops lie in the bottom 1/4, so no test pixel is trained on.
    The LR input of a crop is `downsample(x)`.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if size % FACTOR or size > photo_size // 4:
        raise ValueError(f"size must be a multiple of {FACTOR} and at most photo_size/4 = "
                         f"{photo_size // 4}, got {size}")
    xs, ys = [], []
    cut = photo_size - photo_size // 4  # train rows [0, cut), test rows [cut, photo_size)
    for k, name in enumerate(names):
        img = data.photo(name, photo_size, grey=grey)  # (C, P, P)
        part = img[:, :cut] if split == "train" else img[:, cut:]
        crops = part.unfold(1, size, stride).unfold(2, size, stride)  # (C, nh, nw, s, s)
        crops = crops.permute(1, 2, 0, 3, 4).reshape(-1, img.shape[0], size, size)
        if split == "train":
            crops = torch.cat([crops, crops.flip(-1)])
        xs.append(crops)
        ys.append(torch.full((len(crops),), k))
    return ArrayDataset(torch.cat(xs).contiguous(), torch.cat(ys))


# --- networks ----------------------------------------------------------------------------


class _Residual(nn.Module):
    """conv 3x3, PReLU, conv 3x3, plus the input (SRResNet's block without batch norm)."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c, c, 3, padding=1), nn.PReLU(c),
                                  nn.Conv2d(c, c, 3, padding=1))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class SRResNet(nn.Module):
    """(B, C, h, w) -> (B, C, 4h, 4w): bicubic(x) + a residual from SRResNet's layers."""

    def __init__(self, channels: int = 1, width: int = 32, blocks: int = 4) -> None:
        super().__init__()
        self.head = nn.Sequential(nn.Conv2d(channels, width, 9, padding=4), nn.PReLU(width))
        self.blocks = nn.Sequential(*[_Residual(width) for _ in range(blocks)],
                                    nn.Conv2d(width, width, 3, padding=1))
        up = []
        for _ in range(2):  # two x2 sub-pixel convolutions: x4
            up += [nn.Conv2d(width, 4 * width, 3, padding=1), nn.PixelShuffle(2), nn.PReLU(width)]
        self.up = nn.Sequential(*up)
        self.tail = nn.Conv2d(width, channels, 3, padding=1)
        nn.init.zeros_(self.tail.weight)  # start as bicubic upsampling exactly
        nn.init.zeros_(self.tail.bias)

    def forward(self, lr: Tensor) -> Tensor:
        h = self.head(lr)  # (B, w, h, w)
        h = h + self.blocks(h)  # SRResNet's long skip
        return upsample_bicubic(lr) + self.tail(self.up(h))  # (B, C, 4h, 4w)


class SRDiscriminator(nn.Module):
    """SRGAN's D, shortened: (B, C, H, W) -> logits (B,). Conv 3x3 pairs (stride 1, 2)."""

    def __init__(self, channels: int = 1, width: int = 32, size: int = 32) -> None:
        super().__init__()
        chans = [width, width, 2 * width, 2 * width, 4 * width, 4 * width]
        layers: list[nn.Module] = [nn.Conv2d(channels, width, 3, padding=1), nn.LeakyReLU(0.2)]
        for i in range(1, len(chans)):
            stride = 2 if i % 2 else 1
            layers += [nn.Conv2d(chans[i - 1], chans[i], 3, stride, 1), nn.BatchNorm2d(chans[i]),
                       nn.LeakyReLU(0.2)]
        self.body = nn.Sequential(*layers)  # 3 stride-2 convs: (B, 4w, H/8, W/8)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(4 * width * (size // 8) ** 2, 128),
                                  nn.LeakyReLU(0.2), nn.Linear(128, 1))

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.body(x)).squeeze(1)  # (B,)


class DenseBlock(nn.Module):
    """ESRGAN's dense block: 5 convs 3x3, conv k sees [x, h_1, ..., h_{k-1}] (channels
    c + (k-1) g); LeakyReLU 0.2 after the first 4; out = x + beta * h_5. No batch norm."""

    def __init__(self, c: int, growth: int = 16, beta: float = 0.2) -> None:
        super().__init__()
        self.beta = beta
        self.convs = nn.ModuleList(
            nn.Conv2d(c + k * growth, growth if k < 4 else c, 3, padding=1) for k in range(5))

    def forward(self, x: Tensor) -> Tensor:
        feats = [x]  # (B, c, h, w), then (B, g, h, w) each
        for conv in self.convs[:-1]:
            feats.append(F.leaky_relu(conv(torch.cat(feats, 1)), 0.2))
        return x + self.beta * self.convs[-1](torch.cat(feats, 1))  # residual scaling


class RRDB(nn.Module):
    """Residual in residual dense block: x + beta * DB(DB(DB(x))), each DB with its own skip."""

    def __init__(self, c: int, growth: int = 16, beta: float = 0.2) -> None:
        super().__init__()
        self.beta = beta
        self.body = nn.Sequential(*[DenseBlock(c, growth, beta) for _ in range(3)])

    def forward(self, x: Tensor) -> Tensor:
        return x + self.beta * self.body(x)  # (B, c, h, w)


class RRDBNet(nn.Module):
    """ESRGAN's G, (B, C, h, w) -> (B, C, 4h, 4w): bicubic(x) + conv, RRDBs, conv (a long
    skip), two (nearest x2, conv 3x3, LeakyReLU) upsamplers, conv, LeakyReLU, conv."""

    def __init__(self, channels: int = 1, width: int = 32, blocks: int = 2, growth: int = 16,
                 beta: float = 0.2) -> None:
        super().__init__()
        self.head = nn.Conv2d(channels, width, 3, padding=1)
        self.trunk = nn.Sequential(*[RRDB(width, growth, beta) for _ in range(blocks)],
                                   nn.Conv2d(width, width, 3, padding=1))
        self.up = nn.ModuleList(nn.Conv2d(width, width, 3, padding=1) for _ in range(2))
        self.hr = nn.Conv2d(width, width, 3, padding=1)
        self.tail = nn.Conv2d(width, channels, 3, padding=1)
        nn.init.zeros_(self.tail.weight)  # start as bicubic upsampling exactly
        nn.init.zeros_(self.tail.bias)

    def forward(self, lr: Tensor) -> Tensor:
        h = self.head(lr)  # (B, w, h, w)
        h = h + self.trunk(h)  # the long skip over the RRDB trunk
        for conv in self.up:  # x2 twice: (B, w, 4h, 4w)
            h = F.leaky_relu(conv(F.interpolate(h, scale_factor=2, mode="nearest")), 0.2)
        return upsample_bicubic(lr) + self.tail(F.leaky_relu(self.hr(h), 0.2))  # (B, C, 4h, 4w)


def conv_features(net: nn.Module, x: Tensor, layer: int = 1, pre_activation: bool = False) -> Tensor:
    """phi: the output of conv block `layer` (0 or 1) of a shipped SmallCNN, i.e.
    `net.layers(x)[layer]` without the dense layer: (B, 16 or 32, H/2 or H/4, ...).

    pre_activation (ESRGAN): the block's last conv output before its ReLU and max pooling
    instead, (B, 16 or 32, H or H/2, ...): signed where the post-ReLU features are >= 0."""
    if layer not in (0, 1):
        raise ValueError(f"layer must be 0 (block 1) or 1 (block 2), got {layer}")
    h = luminance(x)  # (B, 1, H, W)
    if layer == 1:
        h = net.block1(h)  # (B, 16, H/2, W/2)
    block = net.block2 if layer == 1 else net.block1
    return block[:3](h) if pre_activation else block(h)  # conv, ReLU, conv [, ReLU, pool]


def feature_loss(sr: Tensor, hr: Tensor, net: nn.Module, layer: int = 1,
                 pre_activation: bool = False) -> Tensor:
    """SRGAN's feature content loss (eq. 5): the mean over elements of
    (phi(I^HR) - phi(I^SR))^2, phi = `conv_features(net, ., layer, pre_activation)`."""
    f_sr = conv_features(net, sr, layer, pre_activation)  # (B, C_l, H_l, W_l)
    with torch.no_grad():
        f_hr = conv_features(net, hr, layer, pre_activation)
    return (f_sr - f_hr).square().mean()


# --- the game --------------------------------------------------------------------------------


@dataclass
class SRConfig:
    """Super-resolution options; the data x are HR crops, the LR input is downsample(x)."""

    loss: str = opt("nonsaturating", "a key of ganlab.losses.LOSSES; SRGAN: -log D(G(I^LR))")
    width: int = opt(32, "G's and D's channels (SRGAN: 64)")
    blocks: int = opt(4, "G's residual blocks (SRGAN: 16)")
    pixel: float = opt(1.0, "weight of the L1 pixel loss")
    feature: float = opt(1.0, "weight of the FacesNet feature loss (0: off)")
    adversarial: float = opt(1e-2, "weight of G's adversarial loss (0: no D, the pixel baseline)")
    lr: float = opt(1e-4, "both teams, Adam (0.9, 0.999) as in the paper")


@dataclass
class ESRGANConfig(SRConfig):
    """ESRGAN's options: SRConfig's, an RRDB G, a relativistic average D, pre-ReLU features."""

    loss: str = opt("relativistic_avg", "a key of ganlab.losses.LOSSES; ESRGAN: relativistic "
                    "average (RaGAN)")
    blocks: int = opt(2, "G's RRDBs (ESRGAN: 23)")
    pixel: float = opt(1e-2, "weight of the L1 pixel loss (ESRGAN's eta)")
    adversarial: float = opt(5e-3, "weight of G's relativistic loss (ESRGAN's lambda; 0: no D)")
    growth: int = opt(16, "channels each dense-block conv adds (ESRGAN: 32)")
    beta: float = opt(0.2, "residual scaling of every dense block and RRDB")
    pre_activation: bool = opt(True, "feature loss before the ReLU (ESRGAN); False: after (SRGAN)")


def _frozen_faces_net() -> nn.Module:
    from .features import load_faces_net

    net = load_faces_net().net.eval()
    return net.requires_grad_(False)


def _no_sampling(nets, z, labels):
    raise ValueError("a super-resolution game maps LR images to HR images: call "
                     "game.nets['G'](downsample(x)) on HR images x")


def _build_sr(name: str, cfg: SRConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    if len(shape) != 3 or shape[0] not in (1, 3) or shape[1] != shape[2] or shape[1] % 8:
        raise ValueError(f"variant {name!r} needs square (1 or 3, H, H) HR crops with H a "
                         f"multiple of 8, got item shape {shape}")
    if cfg.feature and shape[1] != 32:
        raise ValueError(f"the feature loss uses FacesNet, a 32x32 network: use 32x32 HR crops "
                         f"(got {shape[1]}) or feature=0")
    d_fn, g_fn, relativistic = losses.LOSSES[cfg.loss]  # relativistic: G's loss reads D(x_r)
    esr = isinstance(cfg, ESRGANConfig)
    pre = esr and cfg.pre_activation
    nets = {"G": RRDBNet(shape[0], cfg.width, cfg.blocks, cfg.growth, cfg.beta) if esr
            else SRResNet(shape[0], cfg.width, cfg.blocks)}
    if cfg.adversarial:
        nets["D"] = SRDiscriminator(shape[0], cfg.width, shape[1])
    if cfg.feature:
        nets["F"] = _frozen_faces_net()  # no team: never updated

    def hr_vs_sr(ctx: Step):
        hr = ctx.real  # (B, C, H, W)
        return (hr,), (ctx.nets["G"](downsample(hr)),)  # D: real HR crops vs G's upscaling

    d_phase = d_phase_loss(d_fn, hr_vs_sr)

    def g_phase(ctx: Step) -> dict[str, Tensor]:
        hr = ctx.real
        sr = ctx.nets["G"](downsample(hr))  # (B, C, H, W)
        pix = (sr - hr).abs().mean()  # E |I^HR - G(I^LR)|
        out = {"pixel": pix.detach()}
        loss = cfg.pixel * pix
        if cfg.feature:
            feat = feature_loss(sr, hr, ctx.nets["F"], pre_activation=pre)
            loss, out["feature"] = loss + cfg.feature * feat, feat.detach()
        if cfg.adversarial and relativistic:  # ESRGAN's L_G^Ra, eq. 3: reals' scores too
            with torch.no_grad():
                real_s = ctx.d(hr)  # (B,)
            adv = g_fn(real_s, ctx.d(sr))
            loss, out["adv"] = loss + cfg.adversarial * adv, adv.detach()
        elif cfg.adversarial:
            adv = g_fn(ctx.d(sr))  # -log D(G(I^LR)) for the non-saturating loss
            loss, out["adv"] = loss + cfg.adversarial * adv, adv.detach()
        out["loss"] = loss
        return out

    teams = {"G": Team(("G",), cfg.lr, (0.9, 0.999))}
    phases = [Phase("G", "G", g_phase)]
    if cfg.adversarial:
        teams["D"] = Team(("D",), cfg.lr, (0.9, 0.999))
        phases.insert(0, Phase("D", "D", d_phase))
    return Game(name, nets, teams, phases, nz=1, ema=(), generate=_no_sampling)


def start_from(game: Game, psnr: Game) -> Game:
    """ESRGAN's second stage: load the trained PSNR-oriented G of `psnr` (an `esrgan-psnr`
    game) into `game`'s G (an `esrgan` game built with the same width, blocks, growth, beta);
    D and the optimisers start fresh. Returns `game`."""
    g, src = game.nets["G"], psnr.nets["G"]
    if not (isinstance(g, RRDBNet) and isinstance(src, RRDBNet)):
        raise ValueError(f"start_from copies an RRDBNet G into an RRDBNet G, got "
                         f"{type(src).__name__} -> {type(g).__name__}")
    want = {k: tuple(v.shape) for k, v in g.state_dict().items()}
    have = {k: tuple(v.shape) for k, v in src.state_dict().items()}
    if want != have:
        raise ValueError("the PSNR-oriented G and the GAN's G differ in shape: build both with "
                         "the same width, blocks and growth")
    g.load_state_dict(src.state_dict())
    return game


def _show_sr(cfg: SRConfig, nets: dict[str, nn.Module], hr: Tensor) -> Tensor:
    lr = downsample(hr)  # (B, C, H/4, W/4)
    near = F.interpolate(lr, size=hr.shape[-2:], mode="nearest")
    return columns(near, upsample_bicubic(lr), nets["G"](lr), hr)  # LR | bicubic | SR | HR


_SR = dict(data="sr", default_data="sr_photos", samples=False, show=_show_sr)
register("srgan", Preset("SRGAN: 4x super-resolution, SRResNet G, L1 + FacesNet feature + "
                         "1e-2 adversarial loss", SRConfig(), builder="superres", **_SR), _build_sr)
register("sr-l1", Preset("SRGAN's baseline: the same SRResNet G trained with L1 alone",
                         SRConfig(feature=0.0, adversarial=0.0), builder="superres", **_SR))


register("esrgan", Preset("ESRGAN: 4x super-resolution, RRDB G (no batch norm, residual scaling "
                          "0.2), relativistic average D, pre-ReLU FacesNet feature + 5e-3 "
                          "adversarial + 1e-2 L1 loss (the paper's weights)", ESRGANConfig(),
                          builder="superres", **_SR))
register("esrgan-psnr", Preset("ESRGAN's first stage: the same RRDB G trained with L1 alone (the "
                               "PSNR-oriented model that `superres.start_from` starts the GAN from)",
                               ESRGANConfig(pixel=1.0, feature=0.0, adversarial=0.0),
                               builder="superres", **_SR))
