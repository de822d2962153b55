"""GAN anomaly detection: train on normal data only, score how badly G can explain an image.

Sources: Schlegl et al. 2017, "Unsupervised Anomaly Detection with Generative Adversarial
Networks to Guide Marker Discovery" (AnoGAN), and Schlegl et al. 2019, "f-AnoGAN: Fast
unsupervised anomaly detection with generative adversarial networks".

- AnoGAN (2017, section 2.2): a GAN learns the normal images; for a query x, search the
  latent space for z with G(z) close to x, by gradient descent on
  L(z) = (1 - lambda) R(z) + lambda D_f(z) with the residual R(z) = sum |x - G(z)| (eq. 3) and
  the discrimination loss D_f(z) = sum |f(x) - f(G(z))| on an intermediate layer f of D
  (eq. 4, lambda = 0.1); the anomaly score is L at the end of the search (eq. 5).
  `search_z`, `anomaly_score`.
- f-AnoGAN (2019, section 2.3, "izi_f"): an encoder E maps x to z in one pass, trained with
  G fixed on ||x - G(E(x))||^2 / n + kappa ||f(x) - f(G(E(x)))||^2 / n_d; the same sum is the
  score. `Encoder`, `encoder_score`, the preset `anogan`.
- `auroc`: the area under the ROC curve of scores of normal vs anomalous items (the
  Mann-Whitney statistic, ties counted one half), the measure both papers report.
- `digits_without(k)`: the digits with class k held out, the normal data of the chapter.

Deviations: the residuals are means over pixels (and features), not sums, so lambda and
kappa do not depend on the image size; the search uses Adam (the paper: plain gradient
steps, 500 of them); f is the body of ganlab's DCGAN discriminator, flattened. In the preset,
E trains in the same game as G and D (a third phase each step, G and D frozen for it)
instead of after the GAN has converged, so one run of the one Trainer trains all three.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from . import data, losses, nets
from .data import ArrayDataset
from .options import opt
from .registry import Preset, register
from .train import Game, Phase, Step, Team

__all__ = ["auroc", "digits_without", "d_features", "anomaly_score", "search_z", "Encoder",
           "encoder_score", "AnoGANConfig"]


def _flat(v) -> np.ndarray:
    if torch.is_tensor(v):
        v = v.detach().cpu().double().numpy()
    return np.asarray(v, dtype=float).ravel()


def auroc(normal, anomalous) -> float:
    """P(score of an anomalous item > score of a normal one) + P(equal) / 2: the area under
    the ROC curve with anomalous as the positive class (0.5: chance, 1: perfect)."""
    from scipy.stats import rankdata

    a, b = _flat(normal), _flat(anomalous)
    if len(a) == 0 or len(b) == 0:
        raise ValueError(f"auroc needs scores of both groups, got {len(a)} normal and "
                         f"{len(b)} anomalous")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("auroc got a non-finite score")
    ranks = rankdata(np.concatenate([a, b]))  # average ranks for ties
    u = ranks[len(a):].sum() - len(b) * (len(b) + 1) / 2  # Mann-Whitney U of the anomalous
    return float(u / (len(a) * len(b)))


def digits_without(held_out: int, size: int = 16, split: str = "train", seed: int = 0) -> ArrayDataset:
    """The digits of `split` with class `held_out` removed (the normal data): x (N, 1, s, s)."""
    if not 0 <= held_out <= 9:
        raise ValueError(f"held_out must be a digit class 0-9, got {held_out}")
    d = data.digits(size, split, seed)
    keep = d.y != held_out
    return ArrayDataset(d.x[keep].clone(), d.y[keep].clone())


def d_features(d: nn.Module) -> Callable[[Tensor], Tensor]:
    """f: an intermediate layer of D, x (B, C, H, W) -> (B, F): the body of a DCGAN D, flattened."""
    if not hasattr(d, "body"):
        raise TypeError(f"d_features needs a discriminator with a .body (ganlab's DCGAN D), "
                        f"got {type(d).__name__}")
    return lambda x: d.body(x).flatten(1)


def anomaly_score(x: Tensor, x_hat: Tensor, features: Callable[[Tensor], Tensor] | None = None,
                  lam: float = 0.1, power: int = 1) -> Tensor:
    """(1 - lam) * mean |x - x_hat|^p + lam * mean |f(x) - f(x_hat)|^p per image: (B,).

    p = 1 is AnoGAN's score (eq. 5); p = 2 with lam = kappa / (1 + kappa) is f-AnoGAN's izi_f
    up to the factor 1 + kappa. Without `features` it is the residual alone."""
    if x.shape != x_hat.shape:
        raise ValueError(f"x and x_hat must have one shape, got {tuple(x.shape)} and "
                         f"{tuple(x_hat.shape)}")
    res = (x - x_hat).abs().pow(power).flatten(1).mean(1)  # (B,) residual R
    if features is None or lam == 0:
        return res
    disc = (features(x) - features(x_hat)).abs().pow(power).mean(1)  # (B,) D_f
    return (1 - lam) * res + lam * disc


def search_z(g: nn.Module, x: Tensor, z0: Tensor, steps: int = 100, lr: float = 0.05,
             features: Callable[[Tensor], Tensor] | None = None, lam: float = 0.1,
             power: int = 1) -> tuple[Tensor, Tensor]:
    """AnoGAN's latent search: minimise anomaly_score(x, G(z)) over z from z0 by Adam, every
    image of the batch on its own (the loss is a sum over images). Returns (z (B, nz), the
    final score (B,)). G (and f's net) are used as given: put them in eval mode first."""
    if z0.shape[0] != x.shape[0]:
        raise ValueError(f"one z0 per image: got {z0.shape[0]} latents for {x.shape[0]} images")
    z = z0.detach().clone().requires_grad_(True)
    opt_z = torch.optim.Adam([z], lr=lr)
    params = list(g.parameters())
    was = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        for _ in range(steps):
            opt_z.zero_grad(set_to_none=True)
            anomaly_score(x, g(z), features, lam, power).sum().backward()
            opt_z.step()
        with torch.no_grad():
            score = anomaly_score(x, g(z), features, lam, power)
    finally:
        for p, w in zip(params, was):
            p.requires_grad_(w)
    return z.detach(), score


class Encoder(nn.Module):
    """E: image (B, C, H, W) -> z (B, nz): DCGAN D's strided convs, then a 4x4 conv to nz."""

    def __init__(self, size: int = 16, channels: int = 1, width: int = 32, nz: int = 32) -> None:
        super().__init__()
        d = nets.DCGANDiscriminator(size, channels, width, norm="batch")
        self.body = d.body  # (B, F, 4, 4)
        self.head = nn.Conv2d(d.head.in_channels, nz, 4, 1, 0)  # (B, nz, 1, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.body(x)).flatten(1)  # (B, nz)


@torch.no_grad()
def encoder_score(g: nn.Module, e: nn.Module, x: Tensor,
                  features: Callable[[Tensor], Tensor] | None = None, kappa: float = 1.0) -> Tensor:
    """f-AnoGAN's izi_f score, mean (x - G(E(x)))^2 + kappa mean (f(x) - f(G(E(x))))^2: (B,)."""
    x_hat = g(e(x))
    return (1 + kappa) * anomaly_score(x, x_hat, features, kappa / (1 + kappa), power=2)


# --- the game --------------------------------------------------------------------------------


@dataclass
class AnoGANConfig:
    """A DCGAN on the normal data and f-AnoGAN's encoder, trained in one game."""

    nz: int = opt(32, "latent size")
    width: int = opt(32, "DCGAN ngf = ndf, and E's width")
    loss: str = opt("nonsaturating", "a key of ganlab.losses.LOSSES")
    lr: float = opt(2e-4, "Adam learning rate of G, D and E, betas (0.5, 0.999)")
    kappa: float = opt(1.0, "weight of the feature residual in E's loss (izi_f)")


def _phases(cfg: AnoGANConfig) -> list[Phase]:
    d_fn, g_fn, relativistic = losses.LOSSES[cfg.loss]
    if relativistic:
        raise ValueError(f"loss {cfg.loss!r} pairs real and fake logits; use a per-logit loss")

    def d_phase(ctx: Step) -> dict[str, Tensor]:
        with torch.no_grad():
            fake = ctx.nets["G"](ctx.z())  # (B, C, H, W)
        real_s, fake_s = ctx.d(ctx.real), ctx.d(fake)  # (B,)
        return {"loss": d_fn(real_s, fake_s), "real_score": real_s.mean().detach(),
                "fake_score": fake_s.mean().detach()}

    def g_phase(ctx: Step) -> dict[str, Tensor]:
        return {"loss": g_fn(ctx.d(ctx.nets["G"](ctx.z())))}

    def e_phase(ctx: Step) -> dict[str, Tensor]:
        x = ctx.real
        x_hat = ctx.nets["G"](ctx.nets["E"](x))  # G frozen: only E's weights move
        f = d_features(ctx.nets["D"])
        izi_f = (1 + cfg.kappa) * anomaly_score(x, x_hat, f, cfg.kappa / (1 + cfg.kappa), power=2)
        return {"loss": izi_f.mean()}

    return [Phase("D", "D", d_phase), Phase("G", "G", g_phase), Phase("E", "E", e_phase)]


def _build_anogan(name: str, cfg: AnoGANConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    if len(shape) != 3 or shape[1] != shape[2]:
        raise ValueError(f"variant {name!r} needs square images (C, H, H), got item shape {shape}")
    c, size = shape[0], shape[1]
    g = nets.DCGANGenerator(cfg.nz, size, c, cfg.width)
    d = nets.DCGANDiscriminator(size, c, cfg.width)
    e = Encoder(size, c, cfg.width, cfg.nz)
    for m in (g, d, e):
        nets.init_dcgan(m)
    teams = {k: Team((k,), cfg.lr, (0.5, 0.999)) for k in ("D", "G", "E")}
    return Game(name, {"G": g, "D": d, "E": e}, teams, _phases(cfg), nz=cfg.nz)


register("anogan", Preset("AnoGAN / f-AnoGAN: a DCGAN on normal digits (0 held out) and an "
                          "encoder E (izi_f); score = residual of G(E(x)) or of a z search",
                          AnoGANConfig(), builder="anogan", data="images",
                          default_data="digits_no0"), _build_anogan)
