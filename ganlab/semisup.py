"""A discriminator that is also a classifier: the semi-supervised GAN and CatGAN.

Sign convention as everywhere in ganlab: D returns raw logits, never probabilities. Here
D returns K class logits (B, K), and its "realness" is a function of all of them.

Sources and deviations:
- SSGAN: Salimans et al. 2016, "Improved Techniques for Training GANs", section 5. D is a
  K+1-class classifier whose extra class means "generated". The softmax is over-parameterised
  by one logit, so the fake class's logit is fixed at 0: with Z(x) = sum_k exp l_k(x),
  p(fake | x) = 1 / (Z + 1) and D(x) = Z / (Z + 1) = sigmoid(logsumexp_k l_k(x)), so the
  real/fake logit of ganlab's losses is `realness(l) = logsumexp_k l_k`. The loss is
  L = L_sup + L_unsup with L_sup = -E_{x,y} log p(y | x, y < K+1) (cross-entropy over the K
  logits) and L_unsup = -E_x log D(x) - E_z log(1 - D(G(z))). G uses feature matching
  (section 3.1): ||E f(x) - E f(G(z))||^2 on D's last hidden layer.
  Deviations: D is a small MLP with Gaussian noise on its input and hidden layers (the
  paper's MNIST D has widths 1000-500-250-250-250 and weight normalisation; here fewer,
  narrower layers and no weight normalisation). The labelled set is the first
  `labels_per_class` items of each class in the training stream (every batch any phase
  draws; a stratified random draw, since the stream is shuffled by the run's seed), kept
  in `Game.state`; once it is full, no other label is read. Each D step draws its
  supervised batch from that set, with replacement.
- CatGAN: Springenberg 2016, "Unsupervised and Semi-supervised Learning with Categorical
  Generative Adversarial Networks", eq. 7 (unsupervised). With p(y | x) = softmax of D's K
  logits, H the entropy and the marginals taken over the batch,
  L_D = -H[E_x p(y | x)] + E_x H[p(y | x)] - E_z H[p(y | G(z))]
  (D certain on data, uncertain on fakes, all classes used on data) and
  L_G = -H[E_z p(y | G(z))] + E_z H[p(y | G(z))]
  (fakes that D classifies confidently, all classes used). The clusters are argmax_k l_k(x).
  Deviation: the same MLP D as the SSGAN (the paper uses conv nets on MNIST/CIFAR).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .nets import MLP
from .options import opt
from .registry import Preset, register
from .train import Game, Phase, Step, Team

__all__ = ["kplus1_log_probs", "realness", "ssgan_d_loss", "entropy", "marginal_entropy",
           "catgan_d_loss", "catgan_g_loss", "ClassifierD", "ImageMLPGenerator",
           "fill_label_pool", "SSGANConfig", "CatGANConfig"]


# --- losses: pure functions of D's K class logits ---------------------------------------------


def _check_logits(*ls: Tensor) -> None:
    for lg in ls:
        if lg.dim() != 2 or lg.shape[1] < 2:
            raise ValueError(f"expected class logits (B, K) with K >= 2, got {tuple(lg.shape)}")


def kplus1_log_probs(logits: Tensor) -> Tensor:
    """log p(k | x) over K real classes and the fake class (logit 0): (B, K) -> (B, K+1)."""
    _check_logits(logits)
    zero = logits.new_zeros(len(logits), 1)  # the fake class's fixed logit
    return torch.log_softmax(torch.cat([logits, zero], 1), 1)


def realness(logits: Tensor) -> Tensor:
    """The real/fake logit log Z = logsumexp_k l_k, so D(x) = sigmoid(log Z): (B, K) -> (B,)."""
    _check_logits(logits)
    return torch.logsumexp(logits, 1)


def ssgan_d_loss(lab_logits: Tensor, labels: Tensor, real_logits: Tensor,
                 fake_logits: Tensor) -> tuple[Tensor, Tensor]:
    """(L_sup, L_unsup) of the K+1-class D (Salimans et al. 2016, section 5)."""
    _check_logits(lab_logits, real_logits, fake_logits)
    sup = F.cross_entropy(lab_logits, labels) if len(labels) else lab_logits.sum() * 0
    # -log D(x) - log(1 - D(G(z))) with D = sigmoid(log Z)
    unsup = F.softplus(-realness(real_logits)).mean() + F.softplus(realness(fake_logits)).mean()
    return sup, unsup


def entropy(logits: Tensor) -> Tensor:
    """H[p(y | x)] of each row's softmax, in nats: (B, K) -> (B,)."""
    _check_logits(logits)
    logp = torch.log_softmax(logits, 1)
    return -(logp.exp() * logp).sum(1)


def marginal_entropy(logits: Tensor) -> Tensor:
    """H[mean_b p(y | x_b)], the entropy of the batch's class marginal: (B, K) -> ()."""
    _check_logits(logits)
    logp = torch.log_softmax(logits, 1)  # (B, K)
    log_marg = torch.logsumexp(logp, 0) - math.log(len(logits))  # (K,) log mean_b p
    return -(log_marg.exp() * log_marg).sum()


def catgan_d_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """CatGAN's L_D (Springenberg 2016, eq. 7): -H_X[p(y|D)] + E_x H[p(y|x)] - E_z H[p(y|G(z))]."""
    return (-marginal_entropy(real_logits) + entropy(real_logits).mean()
            - entropy(fake_logits).mean())


def catgan_g_loss(fake_logits: Tensor) -> Tensor:
    """CatGAN's L_G (eq. 7): -H_G[p(y|D)] + E_z H[p(y|G(z))]."""
    return -marginal_entropy(fake_logits) + entropy(fake_logits).mean()


# --- networks ----------------------------------------------------------------------------------


class ClassifierD(nn.Module):
    """Images (B, C, H, W) -> K class logits (B, K); an MLP with Gaussian noise while training.

    `features` is the last hidden layer (B, hidden), the one G matches in feature matching.
    """

    def __init__(self, shape: tuple[int, ...], classes: int = 10, hidden: int = 256,
                 depth: int = 2, noise: float = 0.3) -> None:
        super().__init__()
        self.shape, self.noise = tuple(shape), noise
        self.body = MLP(math.prod(shape), hidden, hidden, depth - 1, "leaky")
        self.act = nn.LeakyReLU(0.2)
        self.head = nn.Linear(hidden, classes)

    def _noisy(self, h: Tensor, std: float) -> Tensor:
        return h + std * torch.randn_like(h) if self.training and std > 0 else h

    def features(self, x: Tensor) -> Tensor:
        if tuple(x.shape[1:]) != self.shape:
            raise ValueError(f"expected images (B, {', '.join(map(str, self.shape))}), "
                             f"got {tuple(x.shape)}")
        h = self._noisy(x.flatten(1), self.noise)  # (B, C*H*W)
        return self._noisy(self.act(self.body(h)), self.noise)  # (B, hidden)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))  # (B, K)


class ImageMLPGenerator(nn.Module):
    """z (B, nz) -> images (B, C, H, W) in [-1, 1]: an MLP with batch norm, then tanh."""

    def __init__(self, nz: int, shape: tuple[int, ...], hidden: int = 256, depth: int = 2) -> None:
        super().__init__()
        self.shape = tuple(shape)
        self.net = MLP(nz, math.prod(shape), hidden, depth, "relu", batchnorm=True)

    def forward(self, z: Tensor) -> Tensor:
        return torch.tanh(self.net(z)).view(len(z), *self.shape)  # (B, C, H, W)


# --- the labelled pool -----------------------------------------------------------------------


@torch.no_grad()
def fill_label_pool(state: dict[str, Tensor], x: Tensor, y: Tensor | None, per_class: int,
                    classes: int) -> None:
    """Add items of `x` (B, ...) with labels `y` (B,) to `state`'s pool ("pool_x", "pool_y")
    while their class has fewer than `per_class` items; -1 labels are skipped."""
    if y is None or ("pool_y" in state and len(state["pool_y"]) >= per_class * classes):
        return
    if (y >= classes).any():
        raise ValueError(f"labels must lie in [0, {classes}): got max {int(y.max())}; "
                         f"pass --classes {int(y.max()) + 1}")
    px = state.get("pool_x", x[:0])
    py = state.get("pool_y", y[:0])
    counts = torch.bincount(py, minlength=classes).tolist()
    keep = []
    for i, c in enumerate(y.tolist()):
        if 0 <= c and counts[c] < per_class:
            counts[c] += 1
            keep.append(i)
    if keep:
        idx = torch.tensor(keep, device=x.device)
        state["pool_x"], state["pool_y"] = torch.cat([px, x[idx]]), torch.cat([py, y[idx]])


def _pool_batch(state: dict[str, Tensor], n: int) -> tuple[Tensor, Tensor]:
    """n items drawn with replacement from the pool (torch's global RNG)."""
    py = state["pool_y"]
    i = torch.randint(0, len(py), (n,), device=py.device) if len(py) else py[:0]
    return state["pool_x"][i], py[i]


# --- configs and games --------------------------------------------------------------------------


@dataclass
class SSGANConfig:
    """Semi-supervised GAN: K+1-class D, few labels, feature matching for G."""

    classes: int = opt(10, "K, the real classes of D (the fake class is the K+1-th)")
    labels_per_class: int = opt(10, "labelled items per class; every other item is unlabelled")
    unsup_weight: float = opt(1.0, "weight of the unsupervised real/fake terms; 0: D is a "
                              "classifier trained on the labels alone (no G phase)")
    nz: int = opt(64, "latent size")
    width: int = opt(256, "hidden units of D's and G's MLPs")
    noise: float = opt(0.3, "std of the Gaussian noise D adds to its input and hidden layer")
    lr_g: float = opt(1e-3, "G's learning rate")
    lr_d: float = opt(1e-3, "D's learning rate")
    betas: tuple[float, float] = opt((0.5, 0.999), "Adam betas of both teams")


@dataclass
class CatGANConfig:
    """CatGAN: a K-class D trained with entropy terms, no labels."""

    classes: int = opt(10, "K, the clusters D's softmax spreads data over")
    nz: int = opt(64, "latent size")
    width: int = opt(256, "hidden units of D's and G's MLPs")
    noise: float = opt(0.3, "std of the Gaussian noise D adds to its input and hidden layer")
    lr_g: float = opt(1e-3, "G's learning rate")
    lr_d: float = opt(1e-3, "D's learning rate")
    betas: tuple[float, float] = opt((0.5, 0.999), "Adam betas of both teams")


def _gd_nets(cfg, shape: tuple[int, ...]) -> dict[str, nn.Module]:
    if len(shape) != 3:
        raise ValueError(f"this variant trains on images (C, H, W); got item shape {shape}")
    return {"G": ImageMLPGenerator(cfg.nz, shape, cfg.width),
            "D": ClassifierD(shape, cfg.classes, cfg.width, noise=cfg.noise)}


def _teams(cfg) -> dict[str, Team]:
    return {"D": Team(("D",), lr=cfg.lr_d, betas=cfg.betas),
            "G": Team(("G",), lr=cfg.lr_g, betas=cfg.betas)}


def _build_ssgan(name: str, cfg: SSGANConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    if cfg.labels_per_class < 1:
        raise ValueError(f"labels_per_class must be >= 1, got {cfg.labels_per_class}")
    state: dict[str, Tensor] = {}  # the labelled pool, Game.state (kept in checkpoints)

    def d_phase(ctx: Step) -> dict[str, Tensor]:
        fill_label_pool(state, ctx.real, ctx.labels, cfg.labels_per_class, cfg.classes)
        if "pool_y" not in state:
            raise ValueError("the semi-supervised GAN needs labelled data (labels y >= 0)")
        xl, yl = _pool_batch(state, ctx.batch)
        d = ctx.nets["D"]
        if not cfg.unsup_weight:
            sup = F.cross_entropy(d(xl), yl)
            return {"loss": sup, "sup": sup.detach()}
        with torch.no_grad():
            fake = ctx.nets["G"](ctx.z())  # (B, C, H, W)
        sup, unsup = ssgan_d_loss(d(xl), yl, d(ctx.real), d(fake))
        return {"loss": sup + cfg.unsup_weight * unsup, "sup": sup.detach(),
                "unsup": unsup.detach()}

    def g_phase(ctx: Step) -> dict[str, Tensor]:
        # every batch drawn feeds the pool, so it is the same with or without this phase
        fill_label_pool(state, ctx.real, ctx.labels, cfg.labels_per_class, cfg.classes)
        d = ctx.nets["D"]
        with torch.no_grad():
            real_f = d.features(ctx.real)  # (B, F)
        fake_f = d.features(ctx.nets["G"](ctx.z()))  # (B, F)
        fm = (real_f.mean(0) - fake_f.mean(0)).square().sum()  # ||E f(x) - E f(G(z))||^2
        return {"loss": fm}

    phases = [Phase("D", "D", d_phase)]
    if cfg.unsup_weight:
        phases.append(Phase("G", "G", g_phase))
    return Game(name, _gd_nets(cfg, shape), _teams(cfg), phases, nz=cfg.nz, state=state)


def _build_catgan(name: str, cfg: CatGANConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    def d_phase(ctx: Step) -> dict[str, Tensor]:
        with torch.no_grad():
            fake = ctx.nets["G"](ctx.z())
        real_l, fake_l = ctx.d(ctx.real), ctx.d(fake)  # (B, K)
        return {"loss": catgan_d_loss(real_l, fake_l),
                "H_real": entropy(real_l).mean().detach(),
                "H_marginal": marginal_entropy(real_l).detach()}

    def g_phase(ctx: Step) -> dict[str, Tensor]:
        return {"loss": catgan_g_loss(ctx.d(ctx.nets["G"](ctx.z())))}

    return Game(name, _gd_nets(cfg, shape), _teams(cfg),
                [Phase("D", "D", d_phase), Phase("G", "G", g_phase)], nz=cfg.nz)


register("ssgan", Preset("semi-supervised GAN: K+1-class D (fake logit 0), 10 labels per class, "
                         "feature matching G", SSGANConfig(), builder="ssgan", data="labelled",
                         default_data="digits"), _build_ssgan)
register("catgan", Preset("CatGAN: K-class D with entropy terms (certain on data, uncertain on "
                          "fakes, balanced classes), no labels", CatGANConfig(), builder="catgan",
                          data="images", default_data="digits"), _build_catgan)
