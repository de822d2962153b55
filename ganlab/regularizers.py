"""Regularisers of the discriminator (critic).

- weight clipping: Arjovsky et al. 2017, "Wasserstein GAN", algorithm 1 (c = 0.01).
- gradient penalty: Gulrajani et al. 2017, "Improved Training of Wasserstein GANs",
  eq. 3: lambda E[(||grad D(x_hat)||_2 - 1)^2], x_hat = eps x + (1 - eps) G(z),
  with one eps ~ U[0, 1] per sample and the norm over all non-batch dimensions.
- R1 / R2: Mescheder et al. 2018, "Which Training Methods for GANs do actually
  Converge?", eq. 9: gamma/2 E ||grad D(x)||^2 on real (R1) or fake (R2) data.
  Lazy regularisation (Karras et al. 2020, StyleGAN2, section 3.1) runs the
  penalty every k steps and multiplies it by k; the trainer's `Phase.every`
  provides the interval and `lazy_scale` the factor.

- spectral normalisation: Miyato et al. 2018; PyTorch's own parametrisation
  (`torch.nn.utils.parametrizations.spectral_norm`, one power iteration per forward),
  re-exported as `spectral_norm`.
- orthogonal regularisation: Brock et al. 2019, "Large Scale GAN Training" (BigGAN),
  eq. 3: beta ||W^T W (.) (1 - I)||_F^2, off-diagonal terms only. As in BigGAN's
  code, each weight is viewed as (out, fan_in) with one filter per row, so the Gram
  matrix is W W^T over filters (the paper's W^T W with filters as columns).

The settings of the papers (used by the `wgan` and `wgan-gp` presets of
`ganlab.variants`): WGAN, RMSprop lr 5e-5, clip c = 0.01, 5 critic steps per G
step; WGAN-GP, lambda = 10, Adam lr 1e-4 with betas (0, 0.9), 5 critic steps.

Each penalty returns a scalar to *add* to D's loss; the weight is applied here.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

__all__ = ["clip_weights", "gradient_penalty", "r1_penalty", "r2_penalty", "grad_norm",
           "spectral_norm", "orthogonal_penalty", "WGAN_CLIP", "WGAN_GP"]

# the papers' settings, as data (the presets in ganlab.variants use the same numbers)
WGAN_CLIP = {"optimizer": "rmsprop", "lr": 5e-5, "clip": 0.01, "n_critic": 5}
WGAN_GP = {"optimizer": "adam", "lr": 1e-4, "betas": (0.0, 0.9), "weight": 10.0, "n_critic": 5}


@torch.no_grad()
def clip_weights(module: nn.Module, c: float = 0.01) -> None:
    """Clamp every parameter of `module` into [-c, c] in place (WGAN's Lipschitz hack)."""
    if c <= 0:
        raise ValueError(f"clip value must be positive, got {c}")
    for p in module.parameters():
        p.clamp_(-c, c)


def grad_norm(d: Callable[..., Tensor], x: Tensor, *cond: Tensor) -> Tensor:
    """Per-sample L2 norm of dD/dx over all non-batch dims, keeping the graph. -> (B,)"""
    x = x.detach().requires_grad_(True)
    score = d(x, *cond)  # (B,) or (B, 1)
    (grad,) = torch.autograd.grad(score.sum(), x, create_graph=True)  # (B, ...)
    return grad.flatten(1).norm(dim=1)  # (B,)


def gradient_penalty(
    d: Callable[..., Tensor],
    real: Tensor,
    fake: Tensor,
    *cond: Tensor,
    weight: float = 10.0,
    target: float = 1.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    """WGAN-GP: weight * E (||grad D(x_hat)|| - target)^2 on per-sample interpolates."""
    if real.shape != fake.shape:
        raise ValueError(
            f"gradient penalty interpolates real and fake pairwise: shapes "
            f"{tuple(real.shape)} and {tuple(fake.shape)} differ"
        )
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)  # (B, 1, ..., 1)
    eps = torch.rand(shape, device=real.device, dtype=real.dtype, generator=generator)
    x_hat = eps * real.detach() + (1 - eps) * fake.detach()  # (B, ...)
    norms = grad_norm(d, x_hat, *cond)  # (B,)
    return weight * (norms - target).square().mean()


def r1_penalty(d: Callable[..., Tensor], real: Tensor, *cond: Tensor, gamma: float = 10.0) -> Tensor:
    """R1: gamma/2 E ||grad D(x)||^2 on real samples."""
    return 0.5 * gamma * grad_norm(d, real, *cond).square().mean()


def r2_penalty(d: Callable[..., Tensor], fake: Tensor, *cond: Tensor, gamma: float = 10.0) -> Tensor:
    """R2: gamma/2 E ||grad D(G(z))||^2 on generated samples."""
    return 0.5 * gamma * grad_norm(d, fake, *cond).square().mean()


def orthogonal_penalty(weights: nn.Module | Tensor | list[Tensor], beta: float = 1e-4) -> Tensor:
    """BigGAN's orthogonal regularisation: beta sum_W ||W W^T (.) (1 - I)||_F^2.

    `weights` is a module (every parameter with >= 2 dims is used, biases and gains are
    skipped), one weight tensor, or a list of them; each is viewed as (out, fan_in).
    """
    if isinstance(weights, nn.Module):
        ws = [p for p in weights.parameters() if p.dim() >= 2]
    elif torch.is_tensor(weights):
        ws = [weights]
    else:
        ws = list(weights)
    if not ws:
        raise ValueError("no weight matrices (parameters with >= 2 dims) to regularise")
    total = ws[0].new_zeros(())
    for w in ws:
        w = w.flatten(1)  # (out, fan_in): one filter per row
        gram = w @ w.T  # (out, out)
        off = gram * (1 - torch.eye(gram.shape[0], dtype=w.dtype, device=w.device))
        total = total + off.square().sum()  # ||W W^T (.) (1 - I)||_F^2
    return beta * total
