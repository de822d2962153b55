"""VQ-GAN: a vector-quantised autoencoder whose decoder is also trained adversarially.

Sources:
- VQ-VAE, van den Oord et al. 2017, "Neural Discrete Representation Learning". The encoder's
  output z_e(x) is replaced by its nearest codebook vector, z_q(x) = e_k with
  k = argmin_j ||z_e(x) - e_j||_2 (eq. 1-2), per spatial position. The argmin has no
  gradient, so the decoder's gradient is copied straight through to the encoder: in code
  z_q = z_e + sg[e_k - z_e], whose value is e_k and whose gradient w.r.t. z_e is the
  identity. Loss (eq. 3): log p(x | z_q) + ||sg[z_e] - e||^2 + beta ||z_e - sg[e]||^2, the
  codebook term moving codes to the encodings and the commitment term (beta = 0.25) keeping
  the encodings near their codes.
- VQGAN, Esser et al. 2021, "Taming Transformers for High-Resolution Image Synthesis",
  section 3.2: the reconstruction term is joined by a patch-based adversarial loss on the
  decoder's output (eq. 5-6), weighted by the adaptive weight of eq. 7,
  lambda = ||grad_{G_L}[L_rec]|| / (||grad_{G_L}[L_GAN]|| + delta), delta = 1e-6, with G_L
  the decoder's last layer (`adaptive_weight`).

Deviations, for 16x16 digits and a CPU budget: a small conv encoder/decoder (16x16 -> a
4x4 grid of 8-d codes, 64 codes); the reconstruction term is L1 alone (no LPIPS perceptual
term); the adaptive weight is multiplied by `adversarial` = 0.3 (the reference code's
disc_weight) and there is no delayed discriminator start; the D is pix2pix's PatchGAN
(`ganlab.translation.PatchGAN`) with one stride-2 layer (6x6 logits, each seeing a 16x16
patch) and VQGAN's hinge loss; codes start uniform in (-1/K, 1/K) as in VQ-VAE, with no
k-means init or dead-code restarts, so codebook usage is what the losses alone give.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from . import losses
from .nets import PatchGAN
from .options import opt
from .registry import Preset, columns, d_phase_loss, register
from .train import Game, Phase, Step, Team

__all__ = ["nearest_code", "quantize", "vq_losses", "codebook_usage", "adaptive_weight",
           "VectorQuantizer", "VQAutoencoder", "VQGANConfig"]


# --- the quantiser as pure functions ---------------------------------------------------------


def nearest_code(z: Tensor, codebook: Tensor) -> Tensor:
    """Index of the nearest code for each vector: z (N, D), codebook (K, D) -> (N,) long.

    ||z - e||^2 = ||z||^2 - 2 z.e + ||e||^2; ties go to the lower index.
    """
    if z.dim() != 2 or codebook.dim() != 2 or z.shape[1] != codebook.shape[1]:
        raise ValueError(f"expected z (N, D) and a codebook (K, D) of one D, got "
                         f"{tuple(z.shape)} and {tuple(codebook.shape)}")
    d2 = (z.square().sum(1, keepdim=True) - 2 * z @ codebook.T
          + codebook.square().sum(1))  # (N, K) squared distances
    return d2.argmin(1)


def quantize(z: Tensor, codebook: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Quantise a map z (B, D, H, W) with codebook (K, D).

    Returns (z_q, indices, e): z_q = z + sg[e - z] (value e, straight-through gradient to
    z), the code indices (B, H, W) and the codes e (B, D, H, W) with their gradient to the
    codebook.
    """
    if z.dim() != 4:
        raise ValueError(f"expected a latent map (B, D, H, W), got {tuple(z.shape)}")
    b, d, h, w = z.shape
    flat = z.permute(0, 2, 3, 1).reshape(-1, d)  # (B*H*W, D)
    idx = nearest_code(flat.detach(), codebook.detach())  # (B*H*W,)
    e = codebook[idx].view(b, h, w, d).permute(0, 3, 1, 2)  # (B, D, H, W)
    z_q = z + (e - z).detach()  # straight-through estimator
    return z_q, idx.view(b, h, w), e


def vq_losses(z: Tensor, e: Tensor, beta: float = 0.25) -> dict[str, Tensor]:
    """VQ-VAE's codebook and commitment terms (eq. 3), means over all elements.

    codebook = mean (sg[z] - e)^2 (moves codes), commitment = beta mean (z - sg[e])^2.
    """
    if z.shape != e.shape:
        raise ValueError(f"z and e must have one shape, got {tuple(z.shape)} and {tuple(e.shape)}")
    codebook = (z.detach() - e).square().mean()  # ||sg[z_e] - e||^2
    commitment = beta * (z - e.detach()).square().mean()  # beta ||z_e - sg[e]||^2
    return {"codebook": codebook, "commitment": commitment}


def codebook_usage(indices: Tensor, k: int) -> tuple[float, float]:
    """(fraction of the k codes used at least once, perplexity exp(-sum_j p_j log p_j)),
    p_j the frequency of code j among `indices`. Perplexity is k for uniform use, 1 for one."""
    if indices.numel() == 0 or int(indices.min()) < 0 or int(indices.max()) >= k:
        raise ValueError(f"expected a non-empty tensor of code indices in [0, {k}), got "
                         f"{indices.numel()} values")
    p = torch.bincount(indices.flatten(), minlength=k).double() / indices.numel()  # (k,)
    nz = p[p > 0]
    return float((p > 0).double().mean()), float(torch.exp(-(nz * nz.log()).sum()))


def adaptive_weight(rec: Tensor, adv: Tensor, last: Tensor, delta: float = 1e-6) -> Tensor:
    """VQGAN eq. 7: ||grad_last rec|| / (||grad_last adv|| + delta), detached (a constant)."""
    g_rec = torch.autograd.grad(rec, last, retain_graph=True)[0]
    g_adv = torch.autograd.grad(adv, last, retain_graph=True)[0]
    return (g_rec.norm() / (g_adv.norm() + delta)).detach()


# --- networks ----------------------------------------------------------------------------------


class VectorQuantizer(nn.Module):
    """A codebook of k vectors of size d: z (B, d, H, W) -> (z_q, indices, e); see `quantize`."""

    def __init__(self, k: int = 64, d: int = 8) -> None:
        super().__init__()
        self.codebook = nn.Parameter(torch.empty(k, d).uniform_(-1 / k, 1 / k))  # VQ-VAE's init

    def forward(self, z: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        return quantize(z, self.codebook)


class VQAutoencoder(nn.Module):
    """Encoder -> quantiser -> decoder, (B, C, H, W) -> (B, C, H, W) in [-1, 1].

    Each of the `down` stride-2 levels halves H and W (16x16 -> 4x4 for down=2).
    """

    def __init__(self, channels: int = 1, width: int = 32, code_dim: int = 8, codes: int = 64,
                 down: int = 2) -> None:
        super().__init__()
        self.down = down
        enc: list[nn.Module] = [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU()]
        for _ in range(down):
            enc += [nn.Conv2d(width, width, 4, 2, 1), nn.ReLU()]
        enc += [nn.Conv2d(width, code_dim, 1)]
        self.encoder = nn.Sequential(*enc)
        self.quantizer = VectorQuantizer(codes, code_dim)
        dec: list[nn.Module] = [nn.Conv2d(code_dim, width, 3, padding=1), nn.ReLU()]
        for _ in range(down):
            dec += [nn.ConvTranspose2d(width, width, 4, 2, 1), nn.ReLU()]
        self.decoder = nn.Sequential(*dec)
        self.last = nn.Conv2d(width, channels, 3, padding=1)  # G_L of eq. 7

    def encode(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[-1] % 2**self.down or x.shape[-2] % 2**self.down:
            raise ValueError(f"expected images (B, C, H, W) with H and W divisible by "
                             f"{2 ** self.down}, got {tuple(x.shape)}")
        return self.encoder(x)  # z_e (B, d, H/4, W/4)

    def decode(self, z_q: Tensor) -> Tensor:
        return torch.tanh(self.last(self.decoder(z_q)))  # (B, C, H, W)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """(reconstruction, code indices (B, h, w), z_e, e)."""
        z = self.encode(x)
        z_q, idx, e = self.quantizer(z)
        return self.decode(z_q), idx, z, e


# --- the game --------------------------------------------------------------------------------


@dataclass
class VQGANConfig:
    """VQGAN options; the data are images (C, H, W) with H, W divisible by 4."""

    loss: str = opt("hinge", "D's and G's adversarial loss (VQGAN: hinge)")
    width: int = opt(32, "encoder/decoder and D channels")
    codes: int = opt(64, "codebook size K")
    code_dim: int = opt(8, "code vector size")
    beta: float = opt(0.25, "commitment weight")
    adversarial: float = opt(0.3, "factor on the adaptive weight (0: the VQ-VAE, no D)")
    lr: float = opt(2e-4, "both teams, Adam (0.5, 0.9) as VQGAN")


def _no_sampling(nets, z, labels):
    raise ValueError("a VQ-GAN is an autoencoder (sampling needs a prior over codes): "
                     "reconstruct images with game.nets['G'](x)[0]")


def _build_vqgan(name: str, cfg: VQGANConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    if len(shape) != 3 or shape[1] % 4 or shape[2] % 4:
        raise ValueError(f"variant {name!r} needs images (C, H, W) with H, W divisible by 4, "
                         f"got item shape {shape}")
    d_fn, g_fn, relativistic = losses.LOSSES[cfg.loss]
    if relativistic:
        raise ValueError(f"loss {cfg.loss!r} pairs real and fake logits; use a per-logit loss")
    nets = {"G": VQAutoencoder(shape[0], cfg.width, cfg.code_dim, cfg.codes)}
    if cfg.adversarial:
        nets["D"] = PatchGAN(shape[0], cfg.width // 2, n_layers=1)

    def g_phase(ctx: Step) -> dict[str, Tensor]:
        g = ctx.nets["G"]
        rec, idx, z, e = g(ctx.real)  # (B, C, H, W)
        l1 = (rec - ctx.real).abs().mean()  # L_rec: E |x - x_hat|
        vq = vq_losses(z, e, cfg.beta)
        loss = l1 + vq["codebook"] + vq["commitment"]
        out = {"l1": l1.detach(), **{k: v.detach() for k, v in vq.items()},
               "used": torch.tensor(idx.unique().numel() / cfg.codes)}
        if cfg.adversarial:
            adv = g_fn(ctx.d(rec))  # per-patch logits (B, 1, h, w)
            lam = cfg.adversarial * adaptive_weight(l1, adv, g.last.weight)
            loss, out["adv"], out["lambda"] = loss + lam * adv, adv.detach(), lam
        out["loss"] = loss
        return out

    # D: images against their reconstructions
    d_phase = d_phase_loss(d_fn, lambda ctx: ((ctx.real,), (ctx.nets["G"](ctx.real)[0],)))

    teams = {"G": Team(("G",), cfg.lr, (0.5, 0.9))}
    phases = [Phase("G", "G", g_phase)]
    if cfg.adversarial:
        teams["D"] = Team(("D",), cfg.lr, (0.5, 0.9))
        phases.append(Phase("D", "D", d_phase))
    return Game(name, nets, teams, phases, nz=1, ema=(), generate=_no_sampling)


def _show_vq(cfg: VQGANConfig, nets: dict[str, nn.Module], x: Tensor) -> Tensor:
    return columns(x, nets["G"](x)[0])  # image | reconstruction


_VQ = dict(data="images", default_data="digits", samples=False, show=_show_vq)
register("vqgan", Preset("VQ-GAN: VQ autoencoder (straight-through codebook, beta 0.25) + "
                         "PatchGAN hinge loss with VQGAN's adaptive weight",
                         VQGANConfig(), builder="vqgan", **_VQ), _build_vqgan)
register("vqgan-noadv", Preset("VQ-VAE: the same autoencoder and codebook without the "
                               "adversarial term", VQGANConfig(adversarial=0.0), builder="vqgan",
                               **_VQ))
