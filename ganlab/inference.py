"""Conditioning and inference variants: nets and phases, registered with `variants.register`.

Every variant here is a `Game` for the one trainer (`ganlab.train`); none copies the loop.

- cgan-concat: Mirza & Osindero 2014, D sees the label as one-hot maps concatenated to its
  input (`nets.DCGANDiscriminator(cond="concat")`).
- cgan-projection: the projection discriminator of Miyato & Koyama 2018, eq. 3, as the
  preset `cgan` of `variants`, except that D's class embedding starts from N(0, 0.02)
  (DCGAN's initialisation of every other weight) instead of nn.Embedding's N(0, 1), with
  which the projection term dominates D's logit from the first step and D wins at once.
- acgan: Odena et al. 2017, "Conditional Image Synthesis with Auxiliary Classifier GANs",
  eqs. 2-3: D has a second head, a classifier; D maximises L_S + L_C, G maximises
  L_C - L_S (here: G minimises its non-saturating adversarial loss plus the class
  cross-entropy of its samples).
- bigan: Donahue et al. 2017, "Adversarial Feature Learning" / Dumoulin et al. 2017 (ALI):
  an encoder E on G's team; D sees pairs (x, E(x)) as real and (G(z), z) as fake. G and E
  minimise the swapped-label (non-saturating) loss of both pairs, as in the papers' code.
  Option `cycle_weight`: the explicit cycle-consistency term of ALICE (Li et al. 2017,
  "ALICE: Towards Understanding Adversarial Learning for Joint Distribution Matching",
  section 4, the l2 form of the conditional-entropy bound): G and E also minimise the
  mean squared error of x - G(E(x)). Off (0) by default: plain BiGAN/ALI.
- bigbigan: Donahue & Simonyan 2019, "Large Scale Adversarial Representation Learning",
  section 2: BiGAN whose joint D scores a pair as the sum of three heads, a unary x term
  s_x = theta_x . F(x), a unary z term s_z = theta_z . H(z) and the joint term
  s_xz = theta_xz . J(F(x), H(z)) (`BigBiDiscriminator.scores`). D minimises the hinge loss
  of each head separately; G and E minimise y (s_x + s_z + s_xz), y = +1 for the pairs
  (x, E(x)) and -1 for (G(z), z). Option `stochastic_e`: the paper's Gaussian encoder,
  the pair's code sampled from N(mu, sigma^2) (`sample_code`), mu the code of x (off by
  default: a deterministic encoder). Deviations: DCGAN-sized nets, and the x head reads
  F(x) directly.
- bigan and bigbigan share their setup (`_encoder_game`). Option `lr_e` (both): E in a
  team of its own at that learning rate, BigBiGAN's decoupled encoder optimiser (section
  3.1 uses ten times G's); G's phase then minimises the fake pair's term, E's the real
  pair's (each side's gradient reaches only its own net). Unset: E on G's team at lr_g.
- aae: Makhzani et al. 2016, "Adversarial Autoencoders", section 2: a reconstruction
  phase (E and G), then a regularisation phase in two parts: D tells prior samples
  z ~ N(0, I) from codes E(x), and E alone fools D. Deviation: a deterministic encoder
  and a mean-squared reconstruction error.
- vae: Kingma & Welling 2014, a Gaussian encoder q(z|x) = N(mu, diag(exp(logvar))), the
  decoder is G; loss = 0.5 ||x - G(z)||^2 (sum over pixels, a unit-variance Gaussian
  decoder) + KL(q(z|x) || N(0, I)), averaged over the batch.
- vaegan: Larsen et al. 2016, "Autoencoding beyond pixels using a learned similarity
  metric", algorithm 1: the VAE's decoder is G; the reconstruction error is measured on
  D's last convolutional features (L_llike^Dis_l); E minimises KL + L_llike, G minimises
  gamma L_llike + L_GAN (on reconstructions and prior samples), D minimises L_GAN.
  Deviations: D without batch norm (so that the features of x and of its reconstruction
  do not depend on which batch they were computed in); G's GAN term uses the
  non-saturating form; an optional small pixel term (`pixel_weight`, 0 by default).

InfoGAN lives in `ganlab.variants` (`mutual_information_loss`, `info_codes`).

Measuring what the variants learned (chapter 7):

- `matched_accuracy`: the accuracy of unsupervised codes under the best one-to-one
  matching of codes to classes (the Hungarian algorithm on the confusion matrix, as in
  the clustering accuracy InfoGAN's paper reports for MNIST, section 7.2).
- `linear_probe`: held-out accuracy of a logistic regression on standardised features,
  the usual measure of an encoder's representation (BiGAN, section 4.2).
- `save_pretrained` / `load_pretrained`: the small trained games chapter 7 ships in
  `ganlab/weights/` (float16 state dicts of the nets it evaluates, and the options that
  rebuild them with `variants.build`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import losses, nets
from .options import opt
from .registry import (
    DNormPart,
    GPPart,
    LossPart,
    NetPart,
    OptimPart,
    Preset,
    R1ClipPart,
    SNPart,
    adversarial_phases,
    build,
    d_phase_loss,
    gd_teams,
    register,
)
from .train import Game, Phase, Step, Team

__all__ = ["CondGANConfig", "ACGANConfig", "BiGANConfig", "BigBiGANConfig", "AAEConfig", "VAEConfig",
           "VAEGANConfig",
           "ACDiscriminator", "ConvEncoder", "JointDiscriminator", "BigBiDiscriminator",
           "EncoderLRPart", "bigbigan_d_loss", "bigbigan_ge_loss", "bigan_pairs", "sample_code",
           "reparameterize", "kl_standard_normal", "feature_distance", "encode",
           "matched_accuracy", "linear_probe", "save_pretrained", "load_pretrained"]


# --- configs -------------------------------------------------------------------------------


@dataclass
class CondGANConfig(DNormPart, SNPart, R1ClipPart, GPPart, OptimPart, NetPart, LossPart):
    """A conditional GAN whose D is conditioned by concatenation or projection."""

    conditional: ClassVar[bool] = True  # always (not an option): `build` passes the classes
    cond: str = opt("projection", "D's conditioning: 'projection' or 'concat'")


@dataclass
class ACGANConfig(DNormPart, SNPart, OptimPart, NetPart, LossPart):
    """ACGAN: D's auxiliary classifier head and its loss weight."""

    conditional: ClassVar[bool] = True  # always (not an option): `build` passes the classes
    aux_weight: float = opt(1.0, "weight of the class cross-entropy in D's and G's losses")


@dataclass
class EncoderLRPart:
    """E's own optimiser: BigBiGAN's decoupled encoder learning rate (section 3.1)."""

    lr_e: float | None = opt(None, "E's learning rate, E in a team of its own (None: E in G's team, lr_g)")


@dataclass
class BiGANConfig(EncoderLRPart, DNormPart, SNPart, OptimPart, NetPart, LossPart):
    """BiGAN / ALI: an encoder on G's team, a joint D over (x, z)."""

    nz: int | None = opt(32, "latent size (E's output size)")
    d_norm: str = opt("none", "the x branch of D: no batch norm (D sees two kinds of pairs)")
    dropout: float = opt(0.2, "dropout in D's joint layers (ALI uses dropout in D)")
    cycle_weight: float = opt(0.0, "ALICE's explicit cycle term: weight of mean (x - G(E(x)))^2")


@dataclass
class BigBiGANConfig(EncoderLRPart, DNormPart, SNPart, OptimPart, NetPart):
    """BigBiGAN: a BiGAN whose joint D adds unary x and z heads; hinge loss on each head."""

    nz: int | None = opt(32, "latent size (E's output size)")
    d_norm: str = opt("none", "the x branch of D: no batch norm (D sees two kinds of pairs)")
    dropout: float = opt(0.2, "dropout in D's joint layers")
    stochastic_e: bool = opt(False, "E outputs a Gaussian (mu, log variance) and the pair's code "
                             "is sampled from it (the paper's E); the code of x is mu")


@dataclass
class AAEConfig(SNPart, OptimPart, NetPart, LossPart):
    """Adversarial autoencoder: D on the codes, the prior N(0, I)."""

    nz: int | None = opt(8, "code size")
    lr_ae: float = opt(1e-3, "learning rate of the reconstruction phase (E and G)")
    d_hidden: int = opt(128, "hidden units of the MLP discriminator on codes")
    e_norm: str = opt("batch", "E's normalisation, 'batch' or 'none' (codes collapse at small scale)")


@dataclass
class VAEConfig(NetPart):
    """VAE: Gaussian encoder, decoder = G, one team (E, G) trained on the ELBO."""

    nz: int | None = opt(16, "latent size")
    lr_g: float = opt(1e-3, "the VAE team's (E and G) learning rate")
    kl_weight: float = opt(1.0, "beta in front of KL(q(z|x) || N(0, I))")


@dataclass
class VAEGANConfig(DNormPart, SNPart, OptimPart, LossPart, VAEConfig):
    """VAE-GAN: the VAE whose decoder G also plays against a D; reconstruction in D's features."""

    lr_g: float = opt(1e-3, "E's and G's learning rate")
    gamma: float = opt(1.0, "VAE-GAN: weight of the feature reconstruction in G's loss")
    pixel_weight: float = opt(0.0, "VAE-GAN: optional pixel reconstruction term in E's and G's loss")
    d_norm: str = opt("none", "VAE-GAN: D without batch norm (see the module docstring)")


# --- networks ------------------------------------------------------------------------------


def _image_shape(name: str, shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) != 3 or shape[1] != shape[2]:
        raise ValueError(f"variant {name!r} needs square images (C, H, H); got item shape {shape}")
    return shape[0], shape[1]


class ACDiscriminator(nn.Module):
    """DCGAN D with an auxiliary classifier head: x -> realness (B,); `both` adds class logits."""

    def __init__(self, size: int, channels: int, ndf: int, n_classes: int, norm: str = "batch",
                 sn: bool = False) -> None:
        super().__init__()
        self.d = nets.DCGANDiscriminator(size, channels, ndf, norm=norm, sn=sn)
        feat = self.d.head.in_channels * 16
        self.classifier = nets.maybe_sn(nn.Linear(feat, n_classes), sn)

    def both(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h = self.d.body(x)  # (B, F, 4, 4)
        return self.d.head(h).flatten(), self.classifier(h.flatten(1))  # (B,), (B, K)

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        return self.both(x)[0]  # the label is not an input of ACGAN's D


class ConvEncoder(nn.Module):
    """image (B, C, size, size) -> (B, out): strided convolutions (a DCGAN D body), then linear."""

    def __init__(self, size: int, channels: int, width: int, out: int, norm: str = "batch") -> None:
        super().__init__()
        self.body = nets.DCGANDiscriminator(size, channels, width, norm=norm).body
        with torch.no_grad():
            feat = self.body(torch.zeros(2, channels, size, size)).flatten(1).shape[1]
        self.fc = nn.Linear(feat, out)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.body(x).flatten(1))  # (B, out)


class GaussianEncoder(ConvEncoder):
    """image -> (mu, logvar), each (B, nz): the VAE's q(z|x)."""

    def __init__(self, size: int, channels: int, width: int, nz: int) -> None:
        super().__init__(size, channels, width, 2 * nz)
        self.nz = nz

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:  # type: ignore[override]
        out = super().forward(x)  # (B, 2 nz)
        return out[:, : self.nz], out[:, self.nz :]


class JointDiscriminator(nn.Module):
    """BiGAN/ALI D over pairs: (x (B, C, H, W), z (B, nz)) -> logits (B,).

    x_body: a DCGAN D body on x (F(x)); z_body: `z_layers` linear layers on z (H(z));
    joint: an MLP on [F(x), H(z)].
    """

    def __init__(self, size: int, channels: int, ndf: int, nz: int, hidden: int = 256,
                 norm: str = "none", dropout: float = 0.2, sn: bool = False, z_layers: int = 1) -> None:
        super().__init__()
        self.x_body = nets.DCGANDiscriminator(size, channels, ndf, norm=norm, sn=sn).body
        with torch.no_grad():
            self.x_features = self.x_body(torch.zeros(2, channels, size, size)).flatten(1).shape[1]
        layers: list[nn.Module] = []
        for i in range(z_layers):
            layers += [nets.maybe_sn(nn.Linear(nz if i == 0 else hidden, hidden), sn), nn.LeakyReLU(0.2)]
        self.z_body = nn.Sequential(*layers)
        self.joint = nn.Sequential(
            nn.Dropout(dropout), nets.maybe_sn(nn.Linear(self.x_features + hidden, hidden), sn),
            nn.LeakyReLU(0.2), nn.Dropout(dropout), nets.maybe_sn(nn.Linear(hidden, 1), sn))
        self.nz = nz

    def branches(self, x: Tensor, z: Tensor) -> tuple[Tensor, Tensor]:
        """(F(x), H(z)): (B, x_features), (B, hidden)."""
        if z.dim() != 2 or z.shape != (x.shape[0], self.nz):
            raise ValueError(f"z must have shape ({x.shape[0]}, {self.nz}), got {tuple(z.shape)}")
        return self.x_body(x).flatten(1), self.z_body(z)

    def joint_score(self, fx: Tensor, hz: Tensor) -> Tensor:
        return self.joint(torch.cat([fx, hz], dim=1)).squeeze(1)  # (B,)

    def forward(self, x: Tensor, z: Tensor) -> Tensor:
        return self.joint_score(*self.branches(x, z))  # (B,)


class BigBiDiscriminator(JointDiscriminator):
    """BigBiGAN's D: (x (B, C, H, W), z (B, nz)) -> s_x + s_z + s_xz (B,); `scores` gives each head.

    BiGAN's joint D with a two-layer H and two unary heads: s_x reads only F(x) and s_z
    only H(z), so each unary head's gradient reaches only its own input and branch.
    """

    def __init__(self, size: int, channels: int, ndf: int, nz: int, hidden: int = 256,
                 norm: str = "none", dropout: float = 0.2, sn: bool = False) -> None:
        super().__init__(size, channels, ndf, nz, hidden, norm, dropout, sn, z_layers=2)
        self.x_head = nets.maybe_sn(nn.Linear(self.x_features, 1), sn)  # theta_x
        self.z_head = nets.maybe_sn(nn.Linear(hidden, 1), sn)  # theta_z

    def scores(self, x: Tensor, z: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(s_x, s_z, s_xz), each (B,)."""
        fx, hz = self.branches(x, z)  # (B, F), (B, hidden)
        return self.x_head(fx).squeeze(1), self.z_head(hz).squeeze(1), self.joint_score(fx, hz)

    def forward(self, x: Tensor, z: Tensor) -> Tensor:
        s_x, s_z, s_xz = self.scores(x, z)
        return s_x + s_z + s_xz  # (B,)


def bigbigan_d_loss(real: tuple[Tensor, Tensor, Tensor], fake: tuple[Tensor, Tensor, Tensor]) -> Tensor:
    """D's loss: the hinge loss of each head on its own, summed over the three heads."""
    return sum(losses.d_hinge(r, f) for r, f in zip(real, fake))


def bigbigan_ge_loss(real: tuple[Tensor, Tensor, Tensor] | None,
                     fake: tuple[Tensor, Tensor, Tensor] | None) -> Tensor:
    """G's and E's loss: E s(x, E(x)) - E s(G(z), z), s the sum of the heads (y = +1 / -1).

    None for a side leaves its term out (E's own phase needs only the real side, G's the fake).
    """
    if real is None and fake is None:
        raise ValueError("bigbigan_ge_loss needs the real scores, the fake scores or both")
    loss = sum(real).mean() if real is not None else 0.0
    return loss - sum(fake).mean() if fake is not None else loss


def _generator(cfg: NetPart, size: int, channels: int, nz: int, n_classes: int = 0) -> nn.Module:
    g = nets.DCGANGenerator(nz, size, channels, cfg.width, n_classes=n_classes)
    nets.init_dcgan(g)
    return g


# --- conditional GAN with a choice of D conditioning ----------------------------------------


def _build_cgan(name: str, cfg: CondGANConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    c, size = _image_shape(name, shape)
    nz = cfg.nz or 64
    g = _generator(cfg, size, c, nz, n_classes)
    d = nets.DCGANDiscriminator(size, c, cfg.width, norm=cfg.d_norm, sn=cfg.sn,
                                n_classes=n_classes, cond=cfg.cond)
    nets.init_dcgan(d)  # includes the class embedding e_y: N(0, 0.02)
    return Game(name, {"G": g, "D": d}, gd_teams(cfg, ("G",)), adversarial_phases(cfg, True),
                nz=nz, n_classes=n_classes)


# --- ACGAN ---------------------------------------------------------------------------------


def _build_acgan(name: str, cfg: ACGANConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    c, size = _image_shape(name, shape)
    nz = cfg.nz or 64
    g = _generator(cfg, size, c, nz, n_classes)
    d = ACDiscriminator(size, c, cfg.width, n_classes, norm=cfg.d_norm, sn=cfg.sn)
    nets.init_dcgan(d)
    d_fn, g_fn, _ = losses.LOSSES[cfg.loss]

    def d_phase(ctx: Step) -> dict[str, Tensor]:
        y, yf = ctx.labels, ctx.fake_labels()
        with torch.no_grad():
            fake = ctx.nets["G"](ctx.z(), yf)  # (B, C, H, W)
        real_s, real_c = ctx.nets["D"].both(ctx.real)  # (B,), (B, K)
        fake_s, fake_c = ctx.nets["D"].both(fake)
        adv = d_fn(real_s, fake_s)
        aux = F.cross_entropy(real_c, y) + F.cross_entropy(fake_c, yf)  # -L_C on both
        return {"loss": adv + cfg.aux_weight * aux, "adv": adv.detach(), "aux": aux.detach(),
                "real_acc": (real_c.argmax(1) == y).float().mean()}

    def g_phase(ctx: Step) -> dict[str, Tensor]:
        yf = ctx.fake_labels()
        fake_s, fake_c = ctx.nets["D"].both(ctx.nets["G"](ctx.z(), yf))
        adv, aux = g_fn(fake_s), F.cross_entropy(fake_c, yf)  # fool D, be classified as yf
        return {"loss": adv + cfg.aux_weight * aux, "adv": adv.detach(), "aux": aux.detach()}

    phases = [Phase("D", "D", d_phase, repeats=cfg.n_critic), Phase("G", "G", g_phase)]
    return Game(name, {"G": g, "D": d}, gd_teams(cfg, ("G",)), phases, nz=nz, n_classes=n_classes)


# --- BiGAN / ALI ---------------------------------------------------------------------------


def bigan_pairs(G: nn.Module, E: nn.Module, x: Tensor, z: Tensor
                ) -> tuple[tuple[Tensor, Tensor], tuple[Tensor, Tensor]]:
    """D's inputs: the real pair (x, E(x)) and the fake pair (G(z), z).

    A Gaussian E (output (mu, logvar)) gives a code sampled from N(mu, e^logvar) in the pair.
    """
    return (x, sample_code(E(x))), (G(z), z)


def sample_code(e_out: Tensor | tuple[Tensor, Tensor]) -> Tensor:
    """An encoder's code for D's pair: itself, or a sample for a Gaussian's (mu, logvar)."""
    return reparameterize(*e_out) if isinstance(e_out, tuple) else e_out


# G's and E's loss restricted to some of its two sides: "fake", the pair (G(z), z), whose
# gradient reaches G alone, and "real", the pair (x, E(x)), whose gradient reaches E alone
GELoss = Callable[[Step, tuple[str, ...]], dict[str, Tensor]]


def _encoder_game(name: str, cfg: BiGANConfig | BigBiGANConfig, shape: tuple[int, ...],
                  joint_d: type[nn.Module], d_phase: Callable[[Step], dict[str, Tensor]],
                  ge_loss: GELoss, encoder: type[ConvEncoder] = ConvEncoder) -> Game:
    """BiGAN's setup, shared by bigan and bigbigan: G, the encoder E, a joint D (`joint_d`).

    With cfg.lr_e unset, E is on G's team and one phase minimises both sides of `ge_loss`;
    set, E has its own team at lr_e (BigBiGAN, section 3.1: E's learning rate ten times
    G's) and its own phase on the real side, G's phase keeping the fake side.
    """
    c, size = _image_shape(name, shape)
    nz = cfg.nz or 32
    g = _generator(cfg, size, c, nz)
    e = encoder(size, c, cfg.width, nz)
    d = joint_d(size, c, cfg.width, nz, norm=cfg.d_norm, dropout=cfg.dropout, sn=cfg.sn)
    for m in (e, d):
        nets.init_dcgan(m)
    phases = [Phase("D", "D", d_phase, repeats=cfg.n_critic)]
    if cfg.lr_e is None:
        teams = gd_teams(cfg, ("G", "E"))
        phases.append(Phase("G", "G", lambda ctx: ge_loss(ctx, ("fake", "real"))))
    else:
        teams = {**gd_teams(cfg, ("G",)),
                 "E": Team(("E",), lr=cfg.lr_e, betas=cfg.betas, optimizer=cfg.optimizer)}
        phases += [Phase("G", "G", lambda ctx: ge_loss(ctx, ("fake",))),
                   Phase("E", "E", lambda ctx: ge_loss(ctx, ("real",)))]
    return Game(name, {"G": g, "E": e, "D": d}, teams, phases, nz=nz, ema=("G", "E"))


def _build_bigan(name: str, cfg: BiGANConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    d_fn, g_fn, _ = losses.LOSSES[cfg.loss]
    # D judges joint pairs: (x, E(x)) real against (G(z), z) fake
    d_phase = d_phase_loss(d_fn, lambda ctx: bigan_pairs(ctx.nets["G"], ctx.nets["E"], ctx.real,
                                                         ctx.z()))

    def ge_loss(ctx: Step, sides: tuple[str, ...]) -> dict[str, Tensor]:
        G, E, terms = ctx.nets["G"], ctx.nets["E"], {}
        if "fake" in sides:
            z = ctx.z()
            terms["g_adv"] = g_fn(ctx.d(G(z), z))  # G wants (G(z), z) called real
        if "real" in sides or cfg.cycle_weight > 0:
            x = ctx.real
            ex = E(x)  # (B, nz)
        if "real" in sides:
            terms["e_adv"] = F.softplus(ctx.d(x, ex)).mean()  # E wants (x, E(x)) called fake: -log(1 - D)
        out = {"loss": sum(terms.values())} | {k: v.detach() for k, v in terms.items()}
        if cfg.cycle_weight > 0:  # ALICE: ||x - G(E(x))||^2, mean over pixels and batch (both sides)
            cycle = F.mse_loss(G(ex), x)
            out["loss"] = out["loss"] + cfg.cycle_weight * cycle
            out["cycle"] = cycle.detach()
        return out

    return _encoder_game(name, cfg, shape, JointDiscriminator, d_phase, ge_loss)


def _build_bigbigan(name: str, cfg: BigBiGANConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    def d_phase(ctx: Step) -> dict[str, Tensor]:
        with torch.no_grad():
            (x, ex), (gz, z) = bigan_pairs(ctx.nets["G"], ctx.nets["E"], ctx.real, ctx.z())
        real_s, fake_s = ctx.nets["D"].scores(x, ex), ctx.nets["D"].scores(gz, z)
        return {"loss": bigbigan_d_loss(real_s, fake_s), "real_score": sum(real_s).mean().detach(),
                "fake_score": sum(fake_s).mean().detach()}

    def ge_loss(ctx: Step, sides: tuple[str, ...]) -> dict[str, Tensor]:
        D, loss = ctx.nets["D"], 0.0
        if "real" in sides:  # y = +1: E lowers the score of (x, E(x))
            x = ctx.real
            loss = loss + bigbigan_ge_loss(D.scores(x, sample_code(ctx.nets["E"](x))), None)
        if "fake" in sides:  # y = -1: G raises the score of (G(z), z)
            z = ctx.z()
            loss = loss + bigbigan_ge_loss(None, D.scores(ctx.nets["G"](z), z))
        return {"loss": loss}

    return _encoder_game(name, cfg, shape, BigBiDiscriminator, d_phase, ge_loss,
                         GaussianEncoder if cfg.stochastic_e else ConvEncoder)


# --- adversarial autoencoder ----------------------------------------------------------------


def _build_aae(name: str, cfg: AAEConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    c, size = _image_shape(name, shape)
    nz = cfg.nz or 8
    g = _generator(cfg, size, c, nz)
    e = ConvEncoder(size, c, cfg.width, nz, norm=cfg.e_norm)
    nets.init_dcgan(e)
    d = nets.MLPDiscriminator(nz, cfg.d_hidden, 3, sn=cfg.sn)
    d_fn, g_fn, _ = losses.LOSSES[cfg.loss]

    def recon_phase(ctx: Step) -> dict[str, Tensor]:
        x = ctx.real
        rec = F.mse_loss(ctx.nets["G"](ctx.nets["E"](x)), x)  # mean over pixels
        return {"loss": rec}

    def prior_vs_code(ctx: Step):
        code = ctx.nets["E"](ctx.real)  # (B, nz)
        return (ctx.z(),), (code,)  # prior samples are "real", the codes of data "fake"

    d_phase = d_phase_loss(d_fn, prior_vs_code)

    def e_phase(ctx: Step) -> dict[str, Tensor]:
        return {"loss": g_fn(ctx.d(ctx.nets["E"](ctx.real)))}  # E fools D

    teams = {"AE": Team(("E", "G"), lr=cfg.lr_ae, betas=(0.9, 0.999)),
             "D": Team(("D",), lr=cfg.lr_d, betas=cfg.betas, optimizer=cfg.optimizer),
             "E": Team(("E",), lr=cfg.lr_g, betas=cfg.betas, optimizer=cfg.optimizer)}
    phases = [Phase("AE", "AE", recon_phase), Phase("D", "D", d_phase, repeats=cfg.n_critic),
              Phase("E", "E", e_phase)]
    return Game(name, {"G": g, "E": e, "D": d}, teams, phases, nz=nz, ema=())


# --- VAE and VAE-GAN ------------------------------------------------------------------------


def reparameterize(mu: Tensor, logvar: Tensor) -> Tensor:
    """z = mu + exp(logvar / 2) * eps, eps ~ N(0, I) (Kingma & Welling 2014, eq. 10)."""
    return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)


def kl_standard_normal(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(N(mu, diag e^logvar) || N(0, I)), summed over dims, batch mean (Kingma & Welling, app. B)."""
    return 0.5 * (mu.square() + logvar.exp() - 1.0 - logvar).sum(1).mean()


def feature_distance(d: nets.DCGANDiscriminator, x: Tensor, x_rec: Tensor) -> Tensor:
    """L_llike^Dis_l: 0.5 ||f(x) - f(x_rec)||^2 on D's last conv features, batch mean."""
    f_x, f_r = d.body(x).flatten(1), d.body(x_rec).flatten(1)  # (B, F)
    return 0.5 * (f_x - f_r).square().sum(1).mean()


def _pixel(x: Tensor, x_rec: Tensor) -> Tensor:
    return 0.5 * (x - x_rec).square().flatten(1).sum(1).mean()  # -log N(x; x_rec, I) + const


@torch.no_grad()
def encode(nets_: dict[str, nn.Module], x: Tensor) -> Tensor:
    """The code of x under a game's encoder E (the mean for a Gaussian encoder): (B, nz)."""
    out = nets_["E"](x)
    return out[0] if isinstance(out, tuple) else out


def _build_vae(name: str, cfg: VAEConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    c, size = _image_shape(name, shape)
    nz = cfg.nz or 16
    g, e = _generator(cfg, size, c, nz), GaussianEncoder(size, c, cfg.width, nz)
    nets.init_dcgan(e)

    def vae_phase(ctx: Step) -> dict[str, Tensor]:
        x = ctx.real
        mu, logvar = ctx.nets["E"](x)
        rec = _pixel(x, ctx.nets["G"](reparameterize(mu, logvar)))
        kl = kl_standard_normal(mu, logvar)
        return {"loss": rec + cfg.kl_weight * kl, "rec": rec.detach(), "kl": kl.detach()}

    teams = {"VAE": Team(("E", "G"), lr=cfg.lr_g, betas=(0.9, 0.999))}
    return Game(name, {"G": g, "E": e}, teams, [Phase("VAE", "VAE", vae_phase)], nz=nz, ema=())


def _build_vaegan(name: str, cfg: VAEGANConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    c, size = _image_shape(name, shape)
    nz = cfg.nz or 16
    g, e = _generator(cfg, size, c, nz), GaussianEncoder(size, c, cfg.width, nz)
    d = nets.DCGANDiscriminator(size, c, cfg.width, norm=cfg.d_norm, sn=cfg.sn)
    for m in (e, d):
        nets.init_dcgan(m)
    d_fn, g_fn, _ = losses.LOSSES[cfg.loss]

    def recon(ctx: Step) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        x = ctx.real
        mu, logvar = ctx.nets["E"](x)
        return x, mu, logvar, ctx.nets["G"](reparameterize(mu, logvar))

    def e_phase(ctx: Step) -> dict[str, Tensor]:
        x, mu, logvar, x_rec = recon(ctx)
        kl, llike = kl_standard_normal(mu, logvar), feature_distance(ctx.nets["D"], x, x_rec)
        loss = cfg.kl_weight * kl + llike + cfg.pixel_weight * _pixel(x, x_rec)
        return {"loss": loss, "kl": kl.detach(), "llike": llike.detach()}

    def g_phase(ctx: Step) -> dict[str, Tensor]:
        x, _, _, x_rec = recon(ctx)
        llike = feature_distance(ctx.nets["D"], x, x_rec)
        adv = g_fn(ctx.d(x_rec)) + g_fn(ctx.d(ctx.nets["G"](ctx.z())))  # recon and prior samples
        loss = cfg.gamma * llike + adv + cfg.pixel_weight * _pixel(x, x_rec)
        return {"loss": loss, "adv": adv.detach(), "llike": llike.detach()}

    def d_phase(ctx: Step) -> dict[str, Tensor]:
        with torch.no_grad():
            x, _, _, x_rec = recon(ctx)
            x_p = ctx.nets["G"](ctx.z())
        real_s = ctx.d(x)
        loss = 0.5 * (d_fn(real_s, ctx.d(x_rec)) + d_fn(real_s, ctx.d(x_p)))
        return {"loss": loss, "real_score": real_s.mean().detach()}

    teams = {k: Team((k,), lr=cfg.lr_d if k == "D" else cfg.lr_g, betas=cfg.betas,
                     optimizer=cfg.optimizer) for k in ("E", "G", "D")}
    phases = [Phase("E", "E", e_phase), Phase("G", "G", g_phase),
              Phase("D", "D", d_phase, repeats=cfg.n_critic)]
    return Game(name, {"G": g, "E": e, "D": d}, teams, phases, nz=nz, ema=())


# --- measuring what was learned -------------------------------------------------------------


def _labels(a, name: str) -> np.ndarray:
    a = np.asarray(a.cpu() if isinstance(a, Tensor) else a)
    if a.ndim != 1 or not np.issubdtype(a.dtype, np.integer) or (a < 0).any():
        raise ValueError(f"{name} must be a 1-D array of non-negative integers, got dtype "
                         f"{a.dtype} and shape {a.shape}")
    return a.astype(np.int64)


def matched_accuracy(codes, labels) -> float:
    """Accuracy of `codes` as `labels` under the best one-to-one map from codes to labels.

    codes, labels: (N,) integers. The map maximises the trace of the confusion matrix
    (Hungarian algorithm, scipy's `linear_sum_assignment`); codes left unmatched (more codes
    than labels) count as errors. Independent codes score above 1/K: the matching picks the
    best of K! maps, so chance must be measured on the same N, not assumed.
    """
    from scipy.optimize import linear_sum_assignment

    c, y = _labels(codes, "codes"), _labels(labels, "labels")
    if len(c) != len(y) or len(c) == 0:
        raise ValueError(f"codes and labels need the same non-zero length, got {len(c)} and {len(y)}")
    confusion = np.zeros((c.max() + 1, y.max() + 1))
    np.add.at(confusion, (c, y), 1)  # (K_codes, K_labels)
    rows, cols = linear_sum_assignment(-confusion)
    return float(confusion[rows, cols].sum() / len(c))


def linear_probe(train_x, train_y, test_x, test_y, max_iter: int = 2000) -> float:
    """Held-out accuracy of a logistic regression fitted on standardised (N, d) features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    as_np = lambda a: np.asarray(a.cpu() if isinstance(a, Tensor) else a, dtype=np.float64)  # noqa: E731
    xs = [as_np(a).reshape(len(a), -1) for a in (train_x, test_x)]
    ys = [_labels(a, n) for a, n in ((train_y, "train_y"), (test_y, "test_y"))]
    for x, y in zip(xs, ys):
        if len(x) != len(y):
            raise ValueError(f"features and labels differ in length: {len(x)} and {len(y)}")
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=max_iter))
    return float(clf.fit(xs[0], ys[0]).score(xs[1], ys[1]))


def save_pretrained(path: str | Path, games: dict[str, dict], nets_kept: dict[str, tuple[str, ...]],
                    merge: bool = False) -> None:
    """Write trained games as float16 state dicts of `nets_kept[key]`, plus a JSON of options.

    games: key -> {"variant": name, "options": build options, "seed": s, "game": Game,
    "record": anything JSON (steps, seconds, ...)}. `path` ends in `.pt`; the JSON sits
    beside it with the same stem. merge=True keeps the file's other games.
    """
    path = Path(path)
    blobs, meta = {}, {}
    if merge and path.exists():  # keep the games of the file that this call does not rewrite
        blobs = torch.load(path, map_location="cpu", weights_only=True)
        meta = json.loads(path.with_suffix(".json").read_text())
    for key, g in games.items():
        sd = {}
        for n in nets_kept[key]:
            for k, v in g["game"].nets[n].state_dict().items():
                sd[f"{n}.{k}"] = v.detach().cpu().half() if v.is_floating_point() else v.cpu()
        blobs[key] = sd
        meta[key] = {"variant": g["variant"], "options": g["options"], "seed": g["seed"],
                     "nets": list(nets_kept[key]), **g.get("record", {})}
    torch.save(blobs, path)
    path.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")


def load_pretrained(path: str | Path, key: str, shape: tuple[int, ...] = (1, 16, 16),
                    n_classes: int = 10, trained: bool = True) -> Game:
    """Rebuild game `key` of a `save_pretrained` file, load its nets (float32), eval mode.

    trained=False returns the same game as built before training (same options, same
    seed's initial weights): the untrained null of a claim about the trained one.
    """
    path = Path(path)
    meta = json.loads(path.with_suffix(".json").read_text())
    if key not in meta:
        raise KeyError(f"{path.name} has no game {key!r}; it has {sorted(meta)}")
    m = meta[key]
    game = build(m["variant"], shape, n_classes=n_classes, seed=m["seed"], **m["options"])
    sd = torch.load(path, map_location="cpu", weights_only=True)[key] if trained else {}
    for n in m["nets"] if trained else []:
        part = {k[len(n) + 1:]: v.float() if v.is_floating_point() else v
                for k, v in sd.items() if k.startswith(f"{n}.")}
        game.nets[n].load_state_dict(part)
    for net in game.nets.values():
        net.eval()
    return game


# --- registry ------------------------------------------------------------------------------

_LABELLED = dict(data="labelled", default_data="digits")  # trains on digits and their classes
_DIGITS = dict(data="images", default_data="digits")
register("cgan-concat", Preset("conditional GAN: label embedding in G, one-hot label maps "
                               "concatenated to D's input", CondGANConfig(cond="concat"),
                               builder="cgan-cond", **_LABELLED), _build_cgan)
register("cgan-projection", Preset("conditional GAN: label embedding in G, projection D with "
                                   "a N(0, 0.02) class embedding", CondGANConfig(),
                                   builder="cgan-cond", **_LABELLED), _build_cgan)
register("acgan", Preset("ACGAN: conditional G, D with an auxiliary classifier head",
                         ACGANConfig(), builder="acgan", **_LABELLED), _build_acgan)
register("bigan", Preset("BiGAN / ALI: encoder E on G's team, D on (x, z) pairs",
                         BiGANConfig(), builder="bigan", **_DIGITS), _build_bigan)
register("bigbigan", Preset("BigBiGAN: BiGAN whose joint D adds unary x and z score heads "
                            "(hinge loss on each head)", BigBiGANConfig(), builder="bigbigan",
                            **_DIGITS), _build_bigbigan)
register("aae", Preset("adversarial autoencoder: D tells codes E(x) from N(0, I) samples",
                       AAEConfig(), builder="aae", **_DIGITS), _build_aae)
register("vae", Preset("variational autoencoder (decoder = G), one team, the VAE-GAN baseline",
                       VAEConfig(), builder="vae", **_DIGITS,
                       retired={"d_norm": "none", "gamma": 1.0, "pixel_weight": 0.0}), _build_vae)
register("vaegan", Preset("VAE-GAN: VAE whose decoder is G, reconstruction in D's features",
                          VAEGANConfig(), builder="vaegan", **_DIGITS), _build_vaegan)
