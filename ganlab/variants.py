"""Variants: each is a typed config plus a function that turns it into a `Game`.

A variant never copies the training loop; it chooses networks, losses,
regularisers and phases. Presets are data (`PRESETS`), the CLI lists them.

- gan: Goodfellow et al. 2014 with the non-saturating G loss; MLPs on points,
  DCGAN (Radford et al. 2016) on images.
- wgan: Arjovsky et al. 2017 (RMSprop 5e-5, clip 0.01, n_critic 5).
- wgan-gp: Gulrajani et al. 2017 (lambda 10, Adam 1e-4, betas (0, 0.9), n_critic 5,
  no batch norm in the critic).
- lsgan, hinge-sn: Mao et al. 2017; Miyato et al. 2018 (spectral norm, hinge loss).
- cgan: Mirza & Osindero 2014 with the projection discriminator of Miyato &
  Koyama 2018.
- infogan: Chen et al. 2016. Q shares D's body; G and Q are one team that
  minimises the mutual-information loss. The codes are read off z itself: the
  categorical code is argmax of the first `n_cat` coordinates (uniform over
  the classes, since the coordinates are iid) and each continuous code is
  erf(z / sqrt 2), uniform on (-1, 1). So the latent stays z ~ N(0, I).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import losses, nets
from .paired import split_pair
from .registry import (  # noqa: F401
    BUILDERS,
    PRESETS,
    GANConfig,
    Preset,
    UnhonouredOptionError,
    adversarial_phases,
    build,
    describe,
    gd_teams,
    honoured,
    opt,
    register,
    variant_names,
)
from .train import Game, Phase, Step

__all__ = ["GANConfig", "InfoGANConfig", "PRESETS", "build", "variant_names", "describe"]


@dataclass
class InfoGANConfig(GANConfig):
    """InfoGAN: a categorical and continuous codes recovered by a Q head on D's body."""

    n_cat: int = opt(10, "categories of the categorical code")
    n_cont: int = opt(2, "continuous codes, uniform on (-1, 1)")
    info_weight: float = opt(1.0, "lambda of the mutual-information term")
    cont_weight: float = opt(0.1, "weight of the continuous codes' Gaussian log-likelihood")




# --- networks ----------------------------------------------------------------------------


def _nets_for(cfg: GANConfig, shape: tuple[int, ...], n_classes: int, nz: int,
              g_in: int | None = None) -> tuple[nn.Module, nn.Module]:
    if len(shape) == 1:
        g = nets.MLPGenerator(g_in or nz, shape[0], cfg.width, cfg.depth, n_classes=n_classes)
        d = nets.MLPDiscriminator(shape[0], cfg.width, cfg.depth, sn=cfg.sn, n_classes=n_classes)
        return g, d
    if len(shape) != 3 or shape[1] != shape[2]:
        raise ValueError(f"image data must be square (C, H, H); got item shape {shape}")
    c, size = shape[0], shape[1]
    g = nets.DCGANGenerator(g_in or nz, size, c, cfg.width, n_classes=n_classes, bias=cfg.conv_bias)
    d = nets.DCGANDiscriminator(size, c, cfg.width, norm=cfg.d_norm, sn=cfg.sn, n_classes=n_classes,
                                bias=cfg.conv_bias)
    nets.init_dcgan(g)
    nets.init_dcgan(d)
    return g, d


def _build_gan(name: str, cfg: GANConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    nz = cfg.nz or (2 if len(shape) == 1 else 64)
    g, d = _nets_for(cfg, shape, n_classes, nz)
    return Game(name, {"G": g, "D": d}, gd_teams(cfg), adversarial_phases(cfg, n_classes > 0),
                nz=nz, n_classes=n_classes)


# --- InfoGAN ---------------------------------------------------------------------------------


class InfoQ(nn.Module):
    """Q head on D's features: (B, F) -> categorical logits (B, n_cat), continuous means (B, n_cont)."""

    def __init__(self, features: int, n_cat: int, n_cont: int, hidden: int = 128) -> None:
        super().__init__()
        self.n_cat, self.n_cont = n_cat, n_cont
        self.net = nn.Sequential(nn.Linear(features, hidden), nn.LeakyReLU(0.2),
                                 nn.Linear(hidden, n_cat + n_cont))

    def forward(self, h: Tensor) -> tuple[Tensor, Tensor]:
        out = self.net(h)  # (B, n_cat + n_cont)
        return out[:, : self.n_cat], out[:, self.n_cat :]


def info_codes(z: Tensor, n_cat: int, n_cont: int) -> tuple[Tensor, Tensor]:
    """Codes carried by z: categorical argmax of z[:, :n_cat] (B,), continuous erf(z/sqrt2) (B, n_cont)."""
    cat = z[:, :n_cat].argmax(1)  # uniform over n_cat classes
    cont = torch.erf(z[:, n_cat : n_cat + n_cont] / math.sqrt(2.0))  # uniform on (-1, 1)
    return cat, cont


class InfoGenerator(nn.Module):
    """Wraps a generator so that z's first coordinates act as InfoGAN's codes."""

    def __init__(self, g: nn.Module, n_cat: int, n_cont: int) -> None:
        super().__init__()
        self.g, self.n_cat, self.n_cont = g, n_cat, n_cont

    def forward(self, z: Tensor) -> Tensor:
        cat, cont = info_codes(z, self.n_cat, self.n_cont)
        onehot = F.one_hot(cat, self.n_cat).to(z.dtype)  # (B, n_cat)
        rest = z[:, self.n_cat + self.n_cont :]  # incompressible noise
        return self.g(torch.cat([onehot, cont, rest], dim=1))


def _d_features(d: nn.Module, x: Tensor) -> Tensor:
    if isinstance(d, nets.DCGANDiscriminator):
        return d.body(x).flatten(1)  # (B, F)
    return d.features(x)


def _d_score(d: nn.Module, h: Tensor) -> Tensor:
    if isinstance(d, nets.DCGANDiscriminator):
        return d.head(h.view(h.shape[0], -1, 4, 4)).flatten()  # (B,)
    return d.head(h).squeeze(1)


def mutual_information_loss(q_cat: Tensor, q_cont: Tensor, cat: Tensor, cont: Tensor,
                            cont_weight: float) -> Tensor:
    """Negative variational lower bound of I(c; G(z, c)) up to H(c): CE + weighted Gaussian NLL."""
    ce = F.cross_entropy(q_cat, cat)  # -E log Q(c_cat | x)
    nll = 0.5 * (q_cont - cont).square().sum(1).mean()  # -E log N(c_cont; mu, 1) + const
    return ce + cont_weight * nll


def _build_infogan(name: str, cfg: InfoGANConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    nz = cfg.nz or (2 if len(shape) == 1 else 64)
    nz_total = cfg.n_cat + cfg.n_cont + nz
    g, d = _nets_for(cfg, shape, 0, nz, g_in=nz_total)
    with torch.no_grad():
        feat = _d_features(d, torch.zeros((2,) + shape)).shape[1]
    q = InfoQ(feat, cfg.n_cat, cfg.n_cont)
    d_fn, g_fn, _ = losses.LOSSES[cfg.loss]
    G = InfoGenerator(g, cfg.n_cat, cfg.n_cont)

    def info(ctx: Step, x: Tensor, z: Tensor) -> tuple[Tensor, Tensor]:
        h = _d_features(ctx.nets["D"], x)
        q_cat, q_cont = ctx.nets["Q"](h)
        cat, cont = info_codes(z, cfg.n_cat, cfg.n_cont)
        return h, mutual_information_loss(q_cat, q_cont, cat, cont, cfg.cont_weight)

    def d_phase(ctx: Step) -> dict[str, Tensor]:
        with torch.no_grad():
            fake = ctx.nets["G"](ctx.z())
        real_s = _d_score(ctx.nets["D"], _d_features(ctx.nets["D"], ctx.real))
        fake_s = _d_score(ctx.nets["D"], _d_features(ctx.nets["D"], fake))
        loss = d_fn(real_s, fake_s)
        return {"loss": loss, "real_score": real_s.mean().detach(),
                "fake_score": fake_s.mean().detach()}

    def g_phase(ctx: Step) -> dict[str, Tensor]:
        z = ctx.z()
        fake = ctx.nets["G"](z)
        h, mi = info(ctx, fake, z)
        adv = g_fn(_d_score(ctx.nets["D"], h))
        return {"loss": adv + cfg.info_weight * mi, "adv": adv.detach(), "mi": mi.detach()}

    phases = [Phase("D", "D", d_phase, repeats=cfg.n_critic), Phase("G", "G", g_phase)]
    return Game(name, {"G": G, "D": d, "Q": q}, gd_teams(cfg, ("G", "Q")), phases, nz=nz_total)



BUILDERS.update(gan=_build_gan, infogan=_build_infogan)
for _name, _preset in {
    "gan": Preset("the original GAN, non-saturating G loss (MLP on points, DCGAN on images)",
                  GANConfig()),
    "wgan": Preset("Wasserstein GAN with weight clipping (RMSprop 5e-5, c=0.01, 5 critic steps)",
                   GANConfig(loss="wasserstein", optimizer="rmsprop", lr_g=5e-5, lr_d=5e-5,
                             clip=0.01, n_critic=5, d_norm="none")),
    "wgan-gp": Preset("WGAN with gradient penalty (lambda 10, Adam 1e-4 (0, 0.9), 5 critic steps)",
                      GANConfig(loss="wasserstein", lr_g=1e-4, lr_d=1e-4, betas=(0.0, 0.9),
                                gp=10.0, n_critic=5, d_norm="none")),
    "lsgan": Preset("least-squares GAN (a=-1, b=1, c=0)", GANConfig(loss="least_squares")),
    "hinge-sn": Preset("hinge loss with a spectrally normalised D, TTUR 1e-4 / 4e-4",
                       GANConfig(loss="hinge", sn=True, d_norm="none", lr_g=1e-4, lr_d=4e-4,
                                 betas=(0.0, 0.9))),
    "cgan": Preset("conditional GAN: label embedding in G, projection D",
                   GANConfig(conditional=True), data="labelled", default_data="digits"),
    "infogan": Preset("InfoGAN: categorical + continuous codes, Q head on D's body (G+Q team)",
                      InfoGANConfig(), builder="infogan", data="images", default_data="digits",
                      ignores=("conditional", "gp", "r1", "r1_every", "clip")),
}.items():
    register(_name, _preset)

# Variant families defined in their own modules register themselves on import; add one
# line per module here.
from . import attention as _attention  # noqa: E402,F401
from . import audio as _audio  # noqa: E402,F401
from . import collapse as _collapse  # noqa: E402,F401
from . import energy as _energy  # noqa: E402,F401
from . import flowgan as _flowgan  # noqa: E402,F401
from . import inference as _inference  # noqa: E402,F401
from . import style as _style  # noqa: E402,F401
from . import (
    superres,  # noqa: E402
    tabular,  # noqa: E402
)
from . import timeseries as _timeseries  # noqa: E402,F401
from . import transgan as _transgan  # noqa: E402,F401
from . import translation as _translation  # noqa: E402,F401
from . import vqgan as _vqgan  # noqa: E402,F401

# --- what each family's preset trains on, shows and honours ----------------------------------


def _columns(*imgs: Tensor) -> Tensor:
    """Images side by side, grey ones shown in colour where others are: (rows, cols, C, H, W)."""
    c = max(x.shape[1] for x in imgs)
    return torch.stack([x.expand(-1, c, -1, -1) if x.shape[1] == 1 else x for x in imgs], 1)


def _show_pix2pix(cfg: Any, nets: dict[str, nn.Module], x: Tensor) -> Tensor:
    src, tgt = split_pair(x, cfg.source_channels)
    return _columns(src, nets["G"](src), tgt)  # input | output | target


def _show_cyclegan(cfg: Any, nets: dict[str, nn.Module], x: Tensor) -> Tensor:
    a, b = split_pair(x, cfg.channels_a)
    return _columns(a, nets["G_AB"](a), b, nets["G_BA"](b))  # A | G_AB(A) | B | G_BA(B)


def _show_spade(cfg: Any, nets: dict[str, nn.Module], x: Tensor) -> Tensor:
    labels, img = split_pair(x, cfg.label_channels)
    z = torch.randn(len(x), cfg.nz, generator=torch.Generator().manual_seed(0)).to(x)
    grey = labels.argmax(1, keepdim=True).float() / max(1, cfg.label_channels - 1) * 2 - 1
    return _columns(grey, nets["G"](z, labels), img)  # label map | output | picture


def _show_sr(cfg: Any, nets: dict[str, nn.Module], hr: Tensor) -> Tensor:
    lr = superres.downsample(hr)  # (B, C, H/4, W/4)
    near = torch.nn.functional.interpolate(lr, size=hr.shape[-2:], mode="nearest")
    return _columns(near, superres.upsample_bicubic(lr), nets["G"](lr), hr)  # LR | bicubic | SR | HR


def _show_vq(cfg: Any, nets: dict[str, nn.Module], x: Tensor) -> Tensor:
    return _columns(x, nets["G"](x)[0])  # image | reconstruction


def _prepare_table(table: Any, seed: int) -> tuple[Any, dict[str, Any]]:
    """A Table -> CTGAN's training-by-sampling data and the layout and frequencies to build with."""
    tt = tabular.TableTransformer().fit(table)
    sampler = tabular.ConditionalSampler.from_table(tt, table, np.random.default_rng(seed))
    return sampler, tt.options()


_FAMILY_DATA: dict[str, dict[str, Any]] = {
    "aae": dict(data="images", default_data="digits",
          ignores=('depth', 'optimizer', 'n_critic', 'gp', 'r1', 'r1_every', 'clip', 'd_norm',
                   'conditional', 'conv_bias')),
    "acgan": dict(data="labelled", default_data="digits",
          ignores=('depth', 'gp', 'r1', 'r1_every', 'clip', 'conditional', 'conv_bias')),
    "began": dict(data="images", default_data="digits",
          ignores=('loss', 'depth', 'gp', 'r1', 'r1_every', 'clip', 'sn', 'd_norm', 'conditional',
                   'conv_bias')),
    "bigan": dict(data="images", default_data="digits",
          ignores=('depth', 'gp', 'r1', 'r1_every', 'clip', 'conditional', 'conv_bias')),
    "biggan": dict(data="labelled", default_data="digits",
          ignores=('loss', 'depth', 'n_critic', 'gp', 'r1', 'r1_every', 'clip', 'd_norm',
                   'conditional', 'conv_bias')),
    "cgan-concat": dict(data="labelled", default_data="digits",
          ignores=('depth', 'conditional', 'conv_bias')),
    "cgan-projection": dict(data="labelled", default_data="digits",
          ignores=('depth', 'conditional', 'conv_bias')),
    "collapse-gan": dict(data="points", default_data="ring",
          ignores=('r1', 'r1_every', 'clip', 'sn', 'd_norm', 'conditional', 'conv_bias')),
    "collapse-wgan-gp": dict(data="points", default_data="ring",
          ignores=('r1', 'r1_every', 'clip', 'sn', 'd_norm', 'conditional', 'conv_bias')),
    "ctgan": dict(data="table", default_data="wine", prepare=_prepare_table,
          ignores=('r1', 'r1_every', 'clip', 'sn', 'd_norm', 'conditional', 'conv_bias')),
    "cyclegan": dict(data="unpaired", default_data="texture_domains", samples=False, show=_show_cyclegan,
          ignores=()),
    "ebgan": dict(data="images", default_data="digits",
          ignores=('loss', 'depth', 'gp', 'r1', 'r1_every', 'clip', 'sn', 'd_norm', 'conditional',
                   'conv_bias')),
    "ebgan-pt": dict(data="images", default_data="digits",
          ignores=('loss', 'depth', 'gp', 'r1', 'r1_every', 'clip', 'sn', 'd_norm', 'conditional',
                   'conv_bias')),
    "flow-mle": dict(data="points", default_data="ring",
          ignores=('width', 'depth', 'lr_d', 'n_critic', 'gp', 'r1', 'r1_every', 'clip', 'sn',
                   'd_norm', 'conditional', 'conv_bias')),
    "flowgan": dict(data="points", default_data="ring",
          ignores=('gp', 'r1', 'r1_every', 'clip', 'd_norm', 'conditional', 'conv_bias')),
    "flowgan-hybrid": dict(data="points", default_data="ring",
          ignores=('gp', 'r1', 'r1_every', 'clip', 'd_norm', 'conditional', 'conv_bias')),
    "fm-gan": dict(data="points", default_data="ring",
          ignores=('r1', 'r1_every', 'clip', 'sn', 'd_norm', 'conditional', 'conv_bias')),
    "mbdisc-gan": dict(data="points", default_data="ring",
          ignores=('r1', 'r1_every', 'clip', 'sn', 'd_norm', 'conditional', 'conv_bias')),
    "mbstd-gan": dict(data="points", default_data="ring",
          ignores=('r1', 'r1_every', 'clip', 'sn', 'd_norm', 'conditional', 'conv_bias')),
    "pacgan2": dict(data="points", default_data="ring",
          ignores=('r1', 'r1_every', 'clip', 'sn', 'd_norm', 'conditional', 'conv_bias')),
    "pacgan3": dict(data="points", default_data="ring", train={"batch": 63},
          ignores=('r1', 'r1_every', 'clip', 'sn', 'd_norm', 'conditional', 'conv_bias')),
    "pacgan4": dict(data="points", default_data="ring",
          ignores=('r1', 'r1_every', 'clip', 'sn', 'd_norm', 'conditional', 'conv_bias')),
    "pix2pix": dict(data="paired", default_data="photo_pairs", samples=False, show=_show_pix2pix,
          ignores=()),
    "pix2pix-l1": dict(data="paired", default_data="photo_pairs", samples=False, show=_show_pix2pix,
          ignores=()),
    "progan": dict(data="images", default_data="digits",
          fixed=("gp",),  # its D sees real and fake at different stages' sizes
          ignores=('depth', 'sn', 'd_norm', 'conditional', 'conv_bias')),
    "rgan": dict(data="series", default_data="sines",
          ignores=('nz', 'depth', 'gp', 'r1', 'r1_every', 'clip', 'sn', 'd_norm', 'conditional',
                   'conv_bias')),
    "sagan": dict(data="images", default_data="digits",
          ignores=('loss', 'depth', 'n_critic', 'gp', 'r1', 'r1_every', 'clip', 'd_norm',
                   'conditional', 'conv_bias')),
    "spade": dict(data="layouts", default_data="layouts", samples=False, show=_show_spade,
          ignores=()),
    "sr-l1": dict(data="sr", default_data="sr_photos", samples=False, show=_show_sr,
          ignores=()),
    "srgan": dict(data="sr", default_data="sr_photos", samples=False, show=_show_sr,
          ignores=()),
    "stylegan2": dict(data="images", default_data="digits",
          ignores=('depth', 'sn', 'd_norm', 'conditional', 'conv_bias')),
    "transgan": dict(data="images", default_data="digits",
          ignores=()),
    "unrolled-gan": dict(data="points", default_data="ring",
          fixed=("optimizer",),  # the unrolled D steps are Adam's
          ignores=('r1', 'r1_every', 'clip', 'sn', 'd_norm', 'conditional', 'conv_bias')),
    "vae": dict(data="images", default_data="digits",
          ignores=('loss', 'depth', 'lr_d', 'betas', 'optimizer', 'n_critic', 'gp', 'r1',
                   'r1_every', 'clip', 'sn', 'd_norm', 'conditional', 'conv_bias', 'gamma',
                   'pixel_weight')),
    "vaegan": dict(data="images", default_data="digits",
          ignores=('depth', 'optimizer', 'n_critic', 'gp', 'r1', 'r1_every', 'clip', 'conditional',
                   'conv_bias')),
    "vqgan": dict(data="images", default_data="digits", samples=False, show=_show_vq,
          ignores=()),
    "vqgan-noadv": dict(data="images", default_data="digits", samples=False, show=_show_vq,
          ignores=()),
    "wavegan": dict(data="audio", default_data="sounds",
          ignores=('depth', 'sn', 'd_norm', 'conditional', 'conv_bias')),
}
for _name, _kw in _FAMILY_DATA.items():
    PRESETS[_name] = replace(PRESETS[_name], **_kw)
