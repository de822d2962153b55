"""Domain-adversarial training (DANN): features a domain discriminator cannot tell apart.

Source: Ganin & Lempitsky 2015, "Unsupervised Domain Adaptation by Backpropagation"
(and Ganin et al. 2016, JMLR). A feature extractor F feeds a label classifier C, trained on
labelled source images, and a domain classifier D, trained to tell source features from
target features. Between F and D sits the gradient reversal layer R_lambda (section 3.2):
R(x) = x forward, dR/dx = -lambda I backward, so one minimisation of
L = CE(C(F(x_s)), y_s) + BCE(D(R(F(x_s))), source) + BCE(D(R(F(x_t))), target)
trains D to separate the domains and F to confuse it (the saddle point of eq. 1).
lambda rises as 2 / (1 + exp(-10 p)) - 1 with training progress p in [0, 1] (section 5.1).
D's logit is "target-ness" (large: target), ganlab's sign convention for a logit.

Data: the target domain is the digits drawn over a texture, in the spirit of MNIST-M
(section 5.1, which blends a digit d with a colour photo patch t as |t - d|): here the
brighter of the stroke and a grey texture patch, max(d, TEXTURE_GAIN t) with the texture at
full strength, d and t in [0, 1] (scikit-image's grass, gravel and brick; the 8x8 digits,
upsampled). Pilots (chapter 13a's weights script): at gain 0.6 a source-only classifier
already transfers almost fully; the MNIST-M-style |t - d| and inverted digits leave
source-only near or below chance and DANN's domain classifier saturates at once (its
loss 0, no gradient reaches F); at full gain source-only keeps roughly two thirds. An item of
the "domains" kind joins a source digit and an unrelated target image along channels,
(2, H, W), with the source's label; the target's label is never in the training set
(`target_digits` holds it, for evaluation only). Whether this shift is one DANN bridges
better than training on the source alone: on the mean of three seeds, yes, by a margin
that varies widely between seeds (chapter 13a, section 3).
Deviations: Adam at a constant rate instead of the paper's annealed SGD; a small conv F.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import data
from .data import ArrayDataset
from .options import opt
from .registry import Preset, register
from .train import Game, Phase, Step, Team

__all__ = ["grad_reverse", "dann_lambda", "dann_loss", "DigitFeatures", "TEXTURE_GAIN", "textured",
           "target_digits", "digit_domains", "DANNConfig"]


class _GradReverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: Tensor, lam: float) -> Tensor:
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None]:
        return -ctx.lam * grad, None  # dR/dx = -lambda I


def grad_reverse(x: Tensor, lam: float = 1.0) -> Tensor:
    """The gradient reversal layer R_lambda: identity forward, gradient times -lambda backward."""
    return _GradReverse.apply(x, float(lam))


def dann_lambda(progress: float, gamma: float = 10.0) -> float:
    """lambda_p = 2 / (1 + exp(-gamma p)) - 1 (Ganin & Lempitsky 2015, section 5.1), p in [0, 1]."""
    p = min(max(float(progress), 0.0), 1.0)
    return 2.0 / (1.0 + math.exp(-gamma * p)) - 1.0


def dann_loss(class_logits: Tensor, labels: Tensor, dom_source: Tensor,
              dom_target: Tensor) -> tuple[Tensor, Tensor]:
    """(classification CE on source, domain BCE) from C's logits (B, K) and D's target-ness
    logits on source (B,) and target (B,) features (already through the reversal layer)."""
    ce = F.cross_entropy(class_logits, labels)
    # -log(1 - sigmoid(d_s)) - log sigmoid(d_t): source labelled 0, target 1
    dom = F.softplus(dom_source).mean() + F.softplus(-dom_target).mean()
    return ce, dom


# --- networks ----------------------------------------------------------------------------------


class DigitFeatures(nn.Module):
    """F: images (B, C, H, W) -> features (B, width * 2 * (H/4)^2), two conv + max-pool stages."""

    def __init__(self, channels: int = 1, width: int = 32) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(channels, width, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten())

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


def _head(d_in: int, d_out: int, hidden: int) -> nn.Module:
    return nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, d_out))


# --- data --------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _texture_bank() -> Tensor:
    """The grey textures at 128x128 in [0, 1]: (3, 128, 128)."""
    return torch.cat([data.texture(n, 128) for n in data.TEXTURES]) * 0.5 + 0.5


TEXTURE_GAIN = 1.0  # the texture's brightness under the digit: max(d, 1.0 t)


def textured(digits: Tensor, seed: int = 0) -> Tensor:
    """Digits (N, 1, H, W) in [-1, 1] drawn over random texture patches t: max(d, gain t) in
    [0, 1] units, returned in [-1, 1]: (N, 1, H, W)."""
    n, _, h, w = digits.shape
    bank = _texture_bank()  # (3, 128, 128)
    g = torch.Generator().manual_seed(seed)
    k = torch.randint(0, len(bank), (n,), generator=g)
    top = torch.randint(0, 128 - h + 1, (n,), generator=g)
    left = torch.randint(0, 128 - w + 1, (n,), generator=g)
    patches = torch.stack([bank[k[i], top[i]:top[i] + h, left[i]:left[i] + w]
                           for i in range(n)])[:, None]  # (N, 1, H, W) in [0, 1]
    d = digits * 0.5 + 0.5  # [0, 1]
    return torch.maximum(d, TEXTURE_GAIN * patches) * 2 - 1


def target_digits(size: int = 16, split: str = "test", seed: int = 0) -> ArrayDataset:
    """The target domain with its labels (for evaluation): textured digits of `split`."""
    ds = data.digits(size, split)
    return ArrayDataset(textured(ds.x, seed=1000 + seed), ds.y.clone())


def digit_domains(size: int = 16, split: str = "train", seed: int = 0) -> ArrayDataset:
    """Source digits beside unrelated textured target digits: x (N, 2, H, W), y the source's
    class. The target half is another, randomly chosen, item of the same split."""
    ds = data.digits(size, split)
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(ds), generator=g)
    target = textured(ds.x[order], seed=seed)  # (N, 1, H, W)
    return ArrayDataset(torch.cat([ds.x, target], 1), ds.y.clone())


# --- the game ----------------------------------------------------------------------------------


@dataclass
class DANNConfig:
    """DANN: feature extractor F, label classifier C, domain classifier D behind R_lambda."""

    classes: int = opt(10, "classes of the source labels")
    domain_weight: float = opt(1.0, "weight of the domain loss; 0: train on the source alone")
    ramp_steps: int = opt(2000, "steps over which lambda rises from 0 to ~1 (p = step / ramp)")
    width: int = opt(32, "channels of F's first conv (the second has twice as many)")
    hidden: int = opt(128, "hidden units of C and D")
    lr: float = opt(1e-3, "Adam learning rate of F, C and D (one team)")


def _build_dann(name: str, cfg: DANNConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    if len(shape) != 3 or shape[0] % 2:
        raise ValueError(f"DANN trains on source and target images joined along channels "
                         f"(2C, H, W); got item shape {shape}")
    c, h, w = shape[0] // 2, shape[1], shape[2]
    feat = DigitFeatures(c, cfg.width)
    with torch.no_grad():
        f_dim = feat(torch.zeros(2, c, h, w)).shape[1]
    nets = {"F": feat, "C": _head(f_dim, cfg.classes, cfg.hidden), "D": _head(f_dim, 1, cfg.hidden)}

    def phase(ctx: Step) -> dict[str, Tensor]:
        if ctx.labels is None:
            raise ValueError("DANN needs the source's labels (y) in its data")
        xs, xt = ctx.real[:, :c], ctx.real[:, c:]  # (B, C, H, W) each
        fs, ft = ctx.nets["F"](xs), ctx.nets["F"](xt)  # (B, f_dim)
        lam = dann_lambda(ctx.step / cfg.ramp_steps)
        ds = ctx.nets["D"](grad_reverse(fs, lam)).squeeze(1)  # (B,)
        dt = ctx.nets["D"](grad_reverse(ft, lam)).squeeze(1)
        ce, dom = dann_loss(ctx.nets["C"](fs), ctx.labels, ds, dt)
        return {"loss": ce + cfg.domain_weight * dom, "ce": ce.detach(), "domain": dom.detach(),
                "lambda": torch.tensor(lam)}

    teams = {"FCD": Team(("F", "C", "D"), lr=cfg.lr, betas=(0.9, 0.999))}
    return Game(name, nets, teams, [Phase("DANN", "FCD", phase)], nz=1, ema=(), samples=False)


def _show_domains(cfg: DANNConfig, nets: dict[str, nn.Module], x: Tensor) -> Tensor:
    c = x.shape[1] // 2
    return torch.stack([x[:, :c], x[:, c:]], 1)  # source | target: (rows, 2, C, H, W)


register("dann", Preset("DANN: conv features, label classifier on source digits, domain "
                        "classifier behind a gradient reversal layer (target: textured digits)",
                        DANNConfig(), builder="dann", data="domains", default_data="digit_domains",
                        samples=False, show=_show_domains), _build_dann)
