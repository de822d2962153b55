"""Variants: each is a typed config plus a function that turns it into a `Game`.

A variant never copies the training loop; it chooses networks, losses,
regularisers and phases. Presets are data (`PRESETS`), the CLI lists them.
This module holds the plain presets below and imports every family module, each
of which registers its own presets (config, data kind, default data, picture).

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

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import losses, nets
from .registry import (  # noqa: F401
    BUILDERS,
    PRESETS,
    ConvBiasPart,
    DepthPart,
    DNormPart,
    GANConfig,
    LossPart,
    NetPart,
    OptimPart,
    Preset,
    SNPart,
    UnhonouredOptionError,
    adversarial_phases,
    build,
    d_phase_loss,
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
class InfoGANConfig(ConvBiasPart, DNormPart, SNPart, OptimPart, DepthPart, NetPart, LossPart):
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

    # D's score through its shared features (Q reads the same features)
    d_phase = d_phase_loss(d_fn, score=lambda ctx, x: _d_score(ctx.nets["D"],
                                                               _d_features(ctx.nets["D"], x)))

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
                      InfoGANConfig(), builder="infogan", data="images", default_data="digits"),
}.items():
    # the gan builder: MLPs on points, DCGAN on images (cgan's "needs labelled data" comes from build)
    register(_name, replace(_preset, also=("points", "images", "labelled")))

# Variant families defined in their own modules register themselves on import; add one
# line per module here.
from . import anomaly as _anomaly  # noqa: E402,F401
from . import attention as _attention  # noqa: E402,F401
from . import audio as _audio  # noqa: E402,F401
from . import collapse as _collapse  # noqa: E402,F401
from . import coulomb as _coulomb  # noqa: E402,F401
from . import diffusion as _diffusion  # noqa: E402,F401
from . import domain as _domain  # noqa: E402,F401
from . import energy as _energy  # noqa: E402,F401
from . import flowgan as _flowgan  # noqa: E402,F401
from . import inference as _inference  # noqa: E402,F401
from . import inpaint as _inpaint  # noqa: E402,F401
from . import semisup as _semisup  # noqa: E402,F401
from . import style as _style  # noqa: E402,F401
from . import superres as _superres  # noqa: E402,F401
from . import tabular as _tabular  # noqa: E402,F401
from . import timeseries as _timeseries  # noqa: E402,F401
from . import transgan as _transgan  # noqa: E402,F401
from . import translation as _translation  # noqa: E402,F401
from . import unit as _unit  # noqa: E402,F401
from . import vqgan as _vqgan  # noqa: E402,F401
