"""GAN objectives as pure functions of the discriminator's raw logits.

Sign convention (stated once, used everywhere): the discriminator returns a
raw score ("realness"); large means real. For the probabilistic objectives the
score is a logit, D(x) = sigmoid(score). Every function returns the mean loss
that the named player *minimises*.

Sources:
- minimax and non-saturating: Goodfellow et al. 2014, "Generative Adversarial
  Nets", eq. 1 and section 3.
- maximum likelihood: Goodfellow 2014, "On distinguishability criteria for
  estimating generative models" (J(G) = -1/2 E exp(sigma^-1(D(G(z))))).
- least squares: Mao et al. 2017, "Least Squares GANs", eq. 2 (a, b, c).
- hinge: Lim & Ye 2017 / Miyato et al. 2018.
- Wasserstein: Arjovsky et al. 2017, eq. 3.
- relativistic (standard and average): Jolicoeur-Martineau 2018, eqs. 12 and 15
  (the average variant with the non-saturating form, RaSGAN).
- the f-GAN family (KL, reverse KL, Jensen-Shannon, Pearson chi^2, squared Hellinger):
  Nowozin et al. 2016, in `ganlab.fgan` and re-exported here as `FGAN`.

All losses use `softplus` rather than `log(sigmoid(.))` so that they stay
finite for confident discriminators: -log sigmoid(s) = softplus(-s) and
-log(1 - sigmoid(s)) = softplus(s).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from .fgan import FGAN, FDivergence

__all__ = [
    "d_loss",
    "g_minimax",
    "g_nonsaturating",
    "g_maxlikelihood",
    "d_least_squares",
    "g_least_squares",
    "d_hinge",
    "g_hinge",
    "d_wasserstein",
    "g_wasserstein",
    "d_relativistic",
    "g_relativistic",
    "d_relativistic_avg",
    "g_relativistic_avg",
    "d_least_squares_01",
    "g_least_squares_01",
    "FGAN",
    "FDivergence",
    "LOSSES",
]


def _check(*scores: Tensor) -> None:
    for s in scores:
        if not torch.is_tensor(s) or not s.is_floating_point():
            raise TypeError(f"expected a floating-point tensor of D scores, got {type(s)!r}")


# --- the original game (D is a logistic classifier) ---------------------------------------


def d_loss(real: Tensor, fake: Tensor) -> Tensor:
    """D's loss of the original game: -E log D(x) - E log(1 - D(G(z)))."""
    _check(real, fake)
    return F.softplus(-real).mean() + F.softplus(fake).mean()  # -log s(r) - log(1 - s(f))


def g_minimax(fake: Tensor) -> Tensor:
    """Saturating G loss: minimise E log(1 - D(G(z))) (the game's value for G)."""
    _check(fake)
    return -F.softplus(fake).mean()  # log(1 - sigmoid(f)) = -softplus(f)


def g_nonsaturating(fake: Tensor) -> Tensor:
    """Non-saturating G loss: minimise -E log D(G(z))."""
    _check(fake)
    return F.softplus(-fake).mean()  # -log sigmoid(f)


def g_maxlikelihood(fake: Tensor) -> Tensor:
    """Maximum-likelihood G loss: -1/2 E exp(sigma^-1(D(G(z)))) = -1/2 E exp(logit).

    With the optimal D, exp(logit) = p_data / p_g, so this is the importance-weighted
    likelihood gradient (Goodfellow 2014).
    """
    _check(fake)
    return -0.5 * torch.exp(fake).mean()  # -1/2 exp(sigma^-1(D)) = -1/2 D/(1-D)


# --- least squares ---------------------------------------------------------------------------


def d_least_squares(real: Tensor, fake: Tensor, a: float = -1.0, b: float = 1.0) -> Tensor:
    """LSGAN D loss: 1/2 E (D(x) - b)^2 + 1/2 E (D(G(z)) - a)^2.

    Defaults are the paper's recommended a=-1, b=1 (with c=0 for G); the "0-1"
    variant is a=0, b=1, c=1.
    """
    _check(real, fake)
    return 0.5 * (real - b).square().mean() + 0.5 * (fake - a).square().mean()


def g_least_squares(fake: Tensor, c: float = 0.0) -> Tensor:
    """LSGAN G loss: 1/2 E (D(G(z)) - c)^2."""
    _check(fake)
    return 0.5 * (fake - c).square().mean()


def d_least_squares_01(real: Tensor, fake: Tensor) -> Tensor:
    """LSGAN D loss, the 0-1 coding (a=0, b=1): 1/2 E (D(x) - 1)^2 + 1/2 E D(G(z))^2."""
    return d_least_squares(real, fake, a=0.0, b=1.0)


def g_least_squares_01(fake: Tensor) -> Tensor:
    """LSGAN G loss, the 0-1 coding (c=1): 1/2 E (D(G(z)) - 1)^2."""
    return g_least_squares(fake, c=1.0)


# --- hinge and Wasserstein -------------------------------------------------------------------


def d_hinge(real: Tensor, fake: Tensor) -> Tensor:
    """Hinge D loss: E relu(1 - D(x)) + E relu(1 + D(G(z)))."""
    _check(real, fake)
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()


def g_hinge(fake: Tensor) -> Tensor:
    """Hinge G loss: -E D(G(z))."""
    _check(fake)
    return -fake.mean()


def d_wasserstein(real: Tensor, fake: Tensor) -> Tensor:
    """WGAN critic loss: E D(G(z)) - E D(x) (the negated W1 estimate)."""
    _check(real, fake)
    return fake.mean() - real.mean()


def g_wasserstein(fake: Tensor) -> Tensor:
    """WGAN G loss: -E D(G(z))."""
    _check(fake)
    return -fake.mean()


# --- relativistic ----------------------------------------------------------------------------


def _paired(real: Tensor, fake: Tensor) -> None:
    if real.shape != fake.shape:
        raise ValueError(
            f"relativistic losses pair real and fake scores one to one; got shapes "
            f"{tuple(real.shape)} and {tuple(fake.shape)}: use equal batch sizes"
        )


def d_relativistic(real: Tensor, fake: Tensor) -> Tensor:
    """RSGAN D loss: -E log sigmoid(D(x) - D(G(z)))."""
    _check(real, fake)
    _paired(real, fake)
    return F.softplus(-(real - fake)).mean()


def g_relativistic(real: Tensor, fake: Tensor) -> Tensor:
    """RSGAN G loss: -E log sigmoid(D(G(z)) - D(x))."""
    _check(real, fake)
    _paired(real, fake)
    return F.softplus(-(fake - real)).mean()


def d_relativistic_avg(real: Tensor, fake: Tensor) -> Tensor:
    """RaSGAN D loss: -E log s(D(x) - E D(G(z))) - E log(1 - s(D(G(z)) - E D(x)))."""
    _check(real, fake)
    r, f = real - fake.mean(), fake - real.mean()
    return F.softplus(-r).mean() + F.softplus(f).mean()


def g_relativistic_avg(real: Tensor, fake: Tensor) -> Tensor:
    """RaSGAN G loss: the D loss with the roles of real and fake swapped."""
    _check(real, fake)
    r, f = real - fake.mean(), fake - real.mean()
    return F.softplus(-f).mean() + F.softplus(r).mean()


# name -> (D loss, G loss, whether the G loss needs the real scores too); the f-GAN
# members are added below as "fgan_<name>" with the non-saturating G loss.
LOSSES = {
    "minimax": (d_loss, g_minimax, False),
    "nonsaturating": (d_loss, g_nonsaturating, False),
    "maxlikelihood": (d_loss, g_maxlikelihood, False),
    "least_squares": (d_least_squares, g_least_squares, False),
    "least_squares_01": (d_least_squares_01, g_least_squares_01, False),
    "hinge": (d_hinge, g_hinge, False),
    "wasserstein": (d_wasserstein, g_wasserstein, False),
    "relativistic": (d_relativistic, g_relativistic, True),
    "relativistic_avg": (d_relativistic_avg, g_relativistic_avg, True),
}
LOSSES.update({f"fgan_{name}": (div.d_loss, div.g_loss, False)
               for name, div in FGAN.items() if name != "gan"})
