"""Energy-based GANs: an autoencoder discriminator whose reconstruction error is an energy.

Sign convention: everywhere else in ganlab D returns "realness" logits (large = real). Here
D is an autoencoder and its *energy* is low for real data and high for fakes; the losses
below are functions of energies, one per sample.

Sources and deviations:
- EBGAN: Zhao, Mathieu & LeCun 2017, "Energy-based Generative Adversarial Network".
  Energy D(x) = ||Dec(Enc(x)) - x||^2 (section 2.3; here the mean over pixels).
  Eq. 1: L_D(x, z) = D(x) + [m - D(G(z))]^+; eq. 2: L_G(z) = D(G(z)). The pulling-away
  term (section 2.4, eq. 4) on the encoder's codes S of a batch of fakes,
  f_PT(S) = 1 / (N (N - 1)) sum_i sum_{j != i} (S_i^T S_j / (||S_i|| ||S_j||))^2,
  is added to G's loss with weight 0.1 (`pt_weight`).
- BEGAN: Berthelot, Schumm & Metz 2017, "BEGAN: Boundary Equilibrium Generative Adversarial
  Networks". Eq. 1 (eta = 1): L(v) = |v - D(v)|, here the mean over pixels. Section 3.4:
  L_D = L(x) - k_t L(G(z_D)), L_G = L(G(z_G)),
  k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z_G))), 0, 1), k_0 = 0, lambda_k = 0.001;
  section 3.4.1: M_global = L(x) + |gamma L(x) - L(G(z_G))|.
  k_t is the game's state (`Game.state["k"]`, kept in checkpoints); it is updated after
  each D step from that step's L(x) and L(G(z)) (the paper updates it after the joint step
  with the G step's L(G(z_G)); the two differ by one D update). M_global is logged from the
  same numbers.
- Deviations for both: G is ganlab's DCGAN generator (BEGAN's G mirrors its decoder with
  ELUs); the autoencoder is a small strided-conv encoder to a `code`-dim vector and a
  transposed-conv decoder ending in tanh, so reconstructions live in [-1, 1] like images.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .nets import DCGANGenerator, _levels, init_dcgan
from .options import opt
from .registry import NetPart, OptimPart, Preset, gd_teams, register
from .train import Game, Phase, Step

__all__ = ["AutoencoderD", "mse_energy", "l1_energy", "ebgan_d_loss", "ebgan_g_loss",
           "pulling_away", "began_k_update", "convergence_measure", "EBGANConfig",
           "BEGANConfig"]


# --- the autoencoder discriminator ----------------------------------------------------------


class AutoencoderD(nn.Module):
    """x (B, C, H, H) -> reconstruction (B, C, H, H); `encode` gives the code (B, code)."""

    def __init__(self, size: int = 16, channels: int = 1, width: int = 32, code: int = 32) -> None:
        super().__init__()
        n = _levels(size)  # stride-2 stages from size down to 4x4
        self.size, self.channels = size, channels
        enc: list[nn.Module] = []
        c = channels
        for i in range(n):
            enc += [nn.Conv2d(c, width * 2**i, 4, 2, 1), nn.ELU()]
            c = width * 2**i
        self.enc = nn.Sequential(*enc, nn.Flatten(), nn.Linear(c * 16, code))  # (B, code)
        self.dec_in = nn.Linear(code, c * 16)
        self.c4 = c
        dec: list[nn.Module] = []
        for i in reversed(range(n)):
            out = channels if i == 0 else width * 2 ** (i - 1)
            dec += [nn.ELU(), nn.ConvTranspose2d(c, out, 4, 2, 1)]
            c = out
        self.dec = nn.Sequential(*dec, nn.Tanh())

    def encode(self, x: Tensor) -> Tensor:
        expected = (self.channels, self.size, self.size)
        if x.dim() != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"expected images (B, {expected[0]}, {expected[1]}, {expected[2]}), "
                             f"got {tuple(x.shape)}")
        return self.enc(x)  # (B, code)

    def decode(self, h: Tensor) -> Tensor:
        return self.dec(self.dec_in(h).view(-1, self.c4, 4, 4))  # (B, C, H, H)

    def forward(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x))


def mse_energy(ae: nn.Module, x: Tensor) -> Tensor:
    """EBGAN's energy, mean over pixels of (AE(x) - x)^2: (B, ...) -> (B,)."""
    return (ae(x) - x).square().flatten(1).mean(1)


def l1_energy(ae: nn.Module, x: Tensor) -> Tensor:
    """BEGAN's L(v) = |v - AE(v)| (eta = 1), mean over pixels: (B, ...) -> (B,)."""
    return (x - ae(x)).abs().flatten(1).mean(1)


# --- the losses and BEGAN's controller, as pure functions ---------------------------------


def ebgan_d_loss(real_energy: Tensor, fake_energy: Tensor, margin: float) -> Tensor:
    """EBGAN eq. 1: E[D(x)] + E[max(0, m - D(G(z)))]."""
    if margin <= 0:
        raise ValueError(f"the EBGAN margin m must be > 0, got {margin}")
    return real_energy.mean() + F.relu(margin - fake_energy).mean()  # [m - D(G(z))]^+


def ebgan_g_loss(fake_energy: Tensor) -> Tensor:
    """EBGAN eq. 2: E[D(G(z))]."""
    return fake_energy.mean()


def pulling_away(s: Tensor) -> Tensor:
    """EBGAN eq. 4: mean over ordered pairs i != j of cos(S_i, S_j)^2; s (N, k), N >= 2."""
    if s.dim() != 2 or s.shape[0] < 2:
        raise ValueError(f"the pulling-away term needs codes (N >= 2, k), got {tuple(s.shape)}")
    u = F.normalize(s.flatten(1), dim=1)  # (N, k) unit rows
    cos2 = (u @ u.T).square()  # (N, N)
    n = s.shape[0]
    return (cos2.sum() - cos2.diagonal().sum()) / (n * (n - 1))


def _t(v: Tensor | float) -> Tensor:
    """A tensor as it is; a Python number as a float64 tensor (no rounding to float32)."""
    return v if isinstance(v, Tensor) else torch.tensor(float(v), dtype=torch.float64)


def began_k_update(k: Tensor | float, l_real: Tensor | float, l_fake: Tensor | float,
                   gamma: float, lambda_k: float) -> Tensor:
    """k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z))), 0, 1)."""
    if not 0 < gamma <= 1:
        raise ValueError(f"BEGAN's diversity ratio gamma must be in (0, 1], got {gamma}")
    k, l_real, l_fake = _t(k), _t(l_real), _t(l_fake)
    return torch.clamp(k + lambda_k * (gamma * l_real - l_fake), 0.0, 1.0)


def convergence_measure(l_real: Tensor | float, l_fake: Tensor | float, gamma: float) -> Tensor:
    """BEGAN's M_global = L(x) + |gamma L(x) - L(G(z))|."""
    l_real, l_fake = _t(l_real), _t(l_fake)
    return l_real + (gamma * l_real - l_fake).abs()


# --- the games --------------------------------------------------------------------------------


@dataclass
class EBGANConfig(OptimPart, NetPart):
    """EBGAN: margin m and the pulling-away weight (NetPart's width is G's ngf and D's width)."""

    margin: float = opt(1.0, "m in [m - D(G(z))]^+ (in units of the per-pixel energy)")
    pt_weight: float = opt(0.0, "weight of the pulling-away term (paper: 0.1 for EBGAN-PT)")
    code: int = opt(32, "autoencoder code size")


@dataclass
class BEGANConfig(OptimPart, NetPart):
    """BEGAN: diversity ratio gamma and the proportional gain lambda_k of k_t."""

    gamma: float = opt(0.5, "gamma = E L(G(z)) / E L(x) at equilibrium")
    lambda_k: float = opt(0.001, "learning rate of k_t")
    code: int = opt(32, "autoencoder code size")


def _image_nets(name: str, cfg: NetPart, shape: tuple[int, ...]) -> tuple[nn.Module, nn.Module]:
    if len(shape) != 3 or shape[1] != shape[2]:
        raise ValueError(f"variant {name!r} is for square images (C, H, H), got item shape {shape}")
    g = DCGANGenerator(cfg.nz or 64, shape[1], shape[0], cfg.width)
    init_dcgan(g)
    return g, AutoencoderD(shape[1], shape[0], cfg.width, cfg.code)


def _build_ebgan(name: str, cfg: EBGANConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    g, d = _image_nets(name, cfg, shape)
    if cfg.margin <= 0:
        raise ValueError(f"the EBGAN margin must be > 0, got {cfg.margin}")

    def d_phase(ctx: Step) -> dict[str, Tensor]:
        with torch.no_grad():
            fake = ctx.nets["G"](ctx.z())  # (B, C, H, W)
        e_real, e_fake = mse_energy(ctx.nets["D"], ctx.real), mse_energy(ctx.nets["D"], fake)  # (B,)
        return {"loss": ebgan_d_loss(e_real, e_fake, cfg.margin),
                "energy_real": e_real.mean().detach(), "energy_fake": e_fake.mean().detach()}

    def g_phase(ctx: Step) -> dict[str, Tensor]:
        fake = ctx.nets["G"](ctx.z())
        loss = ebgan_g_loss(mse_energy(ctx.nets["D"], fake))
        out = {"adv": loss.detach()}
        if cfg.pt_weight:
            pt = pulling_away(ctx.nets["D"].encode(fake))
            loss, out["pt"] = loss + cfg.pt_weight * pt, pt.detach()
        out["loss"] = loss
        return out

    phases = [Phase("D", "D", d_phase, repeats=cfg.n_critic), Phase("G", "G", g_phase)]
    return Game(name, {"G": g, "D": d}, gd_teams(cfg), phases, nz=cfg.nz or 64)


def _build_began(name: str, cfg: BEGANConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    g, d = _image_nets(name, cfg, shape)
    state = {"k": torch.zeros(())}  # k_0 = 0; the same dict becomes Game.state
    seen: dict[str, Tensor] = {}  # this D step's L(x) and L(G(z)), for the k update

    def d_phase(ctx: Step) -> dict[str, Tensor]:
        with torch.no_grad():
            fake = ctx.nets["G"](ctx.z())  # (B, C, H, W)
        l_real, l_fake = l1_energy(ctx.nets["D"], ctx.real).mean(), l1_energy(ctx.nets["D"], fake).mean()
        k = state["k"].to(l_real)
        seen["real"], seen["fake"] = l_real.detach(), l_fake.detach()
        return {"loss": l_real - k * l_fake,  # L_D = L(x) - k_t L(G(z_D))
                "L_real": seen["real"], "L_fake": seen["fake"], "k": k.detach(),
                "M_global": convergence_measure(seen["real"], seen["fake"], cfg.gamma)}

    def update_k(ctx: Step) -> None:
        state["k"] = began_k_update(state["k"].to(seen["real"]), seen["real"], seen["fake"],
                                    cfg.gamma, cfg.lambda_k)

    def g_phase(ctx: Step) -> dict[str, Tensor]:
        return {"loss": l1_energy(ctx.nets["D"], ctx.nets["G"](ctx.z())).mean()}  # L_G = L(G(z_G))

    phases = [Phase("D", "D", d_phase, repeats=cfg.n_critic, after=update_k),
              Phase("G", "G", g_phase)]
    return Game(name, {"G": g, "D": d}, gd_teams(cfg), phases, nz=cfg.nz or 64, state=state)


register("ebgan", Preset("EBGAN: autoencoder D, energy = reconstruction MSE, hinge margin m",
                         EBGANConfig(lr_g=5e-4, lr_d=5e-4), builder="ebgan", data="images",
                         default_data="digits"), _build_ebgan)
register("ebgan-pt", Preset("EBGAN with the pulling-away term (weight 0.1) on D's codes",
                            EBGANConfig(lr_g=5e-4, lr_d=5e-4, pt_weight=0.1), builder="ebgan",
                            data="images", default_data="digits"))
register("began", Preset("BEGAN: autoencoder D, L1 energy, k_t equilibrium control (gamma 0.5)",
                         BEGANConfig(lr_g=5e-4, lr_d=5e-4), builder="began", data="images",
                         default_data="digits"), _build_began)
