"""SinGAN: a pyramid of small GANs learnt from one image.

Shaham, Dekel & Michaeli 2019, "SinGAN: Learning a Generative Model from a Single Natural
Image". Scales n = 0 (coarsest) .. N (finest). At the coarsest scale G_0 maps a noise map
to an image; at each finer scale (eq. 2, written coarse to fine here)

    x_n = G_n(sigma_n z_n + up(x_{n-1})) + up(x_{n-1})        (upsample-and-add)

with `up` a bilinear resize to the next scale's size. D_n is a fully convolutional patch
discriminator (its receptive field, 11x11 here, is the patch size). Training is coarse to
fine: scale n is trained with every coarser generator frozen, by its own `Game` run by the
one `Trainer`. G_n's loss is adversarial plus alpha times the reconstruction loss (eq. 5):
with a fixed noise map z* at the coarsest scale and zero noise elsewhere the pyramid must
give back the image. The noise amplitude sigma_n is 0.1 times the RMSE between the real
image at scale n and the upsampled reconstruction from scale n - 1 (section 4 of the paper).

Deviations: WGAN-GP as in the paper but with 2 critic steps per G step (the paper: 3 and 3),
no batch norm (the nets are 5 convolutions of width 16-32 with zero padding "same"), a
fixed number of steps per scale.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import losses
from .registry import d_phase_loss, gp_term
from .train import Game, Phase, Step, Team, Trainer, resolve_device

__all__ = ["SinGANConfig", "ConvNet", "Generator", "pyramid", "upsample", "next_scale",
           "SinGAN", "patch_distance"]


@dataclass
class SinGANConfig:
    """Options of a SinGAN pyramid."""

    scales: int = 4  # number of scales
    min_size: int = 12  # side of the coarsest image
    width: int = 32  # channels of every conv
    alpha: float = 10.0  # weight of the reconstruction loss
    gp: float = 0.1  # gradient-penalty weight (SinGAN's code: 0.1)
    lr: float = 5e-4  # Adam lr of G and D, betas (0.5, 0.999)
    n_critic: int = 2  # D steps per G step
    steps: int = 150  # training steps per scale
    seed: int = 0
    sigmas: list[float] = field(default_factory=list)  # filled during training


def _conv_stack(c_in: int, c_out: int, width: int) -> list[nn.Module]:
    layers: list[nn.Module] = []
    c = c_in
    for _ in range(4):
        layers += [nn.Conv2d(c, width, 3, 1, 1), nn.LeakyReLU(0.2)]
        c = width
    return layers + [nn.Conv2d(c, c_out, 3, 1, 1)]


class ConvNet(nn.Module):
    """SinGAN's patch discriminator: 5 3x3 convs -> a map of patch logits, flattened (B, H W)."""

    def __init__(self, channels: int, width: int) -> None:
        super().__init__()
        self.net = nn.Sequential(*_conv_stack(channels, 1, width))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).flatten(1)  # (B, H W): one realness logit per 11x11 patch


class Generator(nn.Module):
    """G_n(noise, prev) = prev + tanh(convs(noise + prev)): noise and prev (B, C, H, W)."""

    def __init__(self, channels: int, width: int) -> None:
        super().__init__()
        self.net = nn.Sequential(*_conv_stack(channels, channels, width), nn.Tanh())

    def forward(self, noise: Tensor, prev: Tensor) -> Tensor:
        return prev + self.net(noise + prev)  # residual: G_n adds the missing detail


def upsample(x: Tensor, size: tuple[int, int]) -> Tensor:
    """Bilinear resize of (B, C, h, w) to (B, C, *size)."""
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


def next_scale(g: nn.Module, x_coarser: Tensor, noise: Tensor) -> Tensor:
    """SinGAN's upsample-and-add step: x_n = G_n(noise + up(x_{n-1}), ...) + up(x_{n-1}).

    x_coarser (B, C, h, w), noise (B, C, H, W) (already scaled by sigma_n) -> (B, C, H, W).
    """
    up = upsample(x_coarser, tuple(noise.shape[-2:]))  # (B, C, H, W)
    return g(noise, up)


def pyramid(image: Tensor, scales: int, min_size: int) -> list[Tensor]:
    """(C, H, W) image -> `scales` images (1, C, h_n, w_n) coarse to fine, the last the image,
    sizes geometric between min_size and the image's (bicubic, antialiased)."""
    if image.dim() != 3:
        raise ValueError(f"expected one image (C, H, W), got {tuple(image.shape)}")
    h, w = image.shape[1:]
    if scales < 2 or min_size >= min(h, w):
        raise ValueError(f"need scales >= 2 and min_size < {min(h, w)}; got {scales}, {min_size}")
    r = (min_size / min(h, w)) ** (1.0 / (scales - 1))  # scale factor per level, < 1
    out = []
    for n in range(scales):
        f = r ** (scales - 1 - n)
        size = (max(1, round(h * f)), max(1, round(w * f)))
        x = F.interpolate(image[None], size=size, mode="bicubic", antialias=True,
                          align_corners=False) if n < scales - 1 else image[None]
        out.append(x.clamp(-1, 1))
    return out


class _Single:
    """A data source for the Trainer: every batch is the one image (B copies)."""

    def __init__(self, x: Tensor) -> None:
        self.x = x  # (1, C, H, W)

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        return self.x.expand(n, -1, -1, -1).clone()


class SinGAN:
    """The pyramid: generators, noise amplitudes, the reconstruction noise z*."""

    def __init__(self, image: Tensor, cfg: SinGANConfig | None = None) -> None:
        self.cfg = cfg = cfg or SinGANConfig()
        self.reals = pyramid(image, cfg.scales, cfg.min_size)
        self.channels = image.shape[0]
        self.gens: list[Generator] = []
        self.sigmas: list[float] = []
        g = torch.Generator().manual_seed(cfg.seed)
        self.z_rec = torch.randn(self.reals[0].shape, generator=g)  # z*, fixed
        self.history: list[list[dict[str, float]]] = []
        self.device = torch.device("cpu")  # where the pyramid lives; `fit(device=...)` moves it

    @torch.no_grad()
    def generate(self, n: int = 1, generator: torch.Generator | None = None, start: int = 0,
                 x_start: Tensor | None = None, upto: int | None = None) -> Tensor:
        """Random samples at scale `upto` (default the finest). With x_start (B, C, h, w) at
        scale `start` > 0 the pyramid is injected there (harmonisation, editing)."""
        upto = len(self.gens) - 1 if upto is None else upto
        x = None if x_start is None else x_start
        for k in range(start, upto + 1):
            shape = (n if x is None else x.shape[0], self.channels, *self.reals[k].shape[-2:])
            # drawn on the CPU (the same noise on every device), then moved
            noise = torch.randn(shape, generator=generator).to(self.device) * self.sigmas[k]
            x = (self.gens[k](noise, torch.zeros(shape, device=self.device)) if x is None
                 else next_scale(self.gens[k], x, noise))
        return x

    @torch.no_grad()
    def reconstruct(self, upto: int | None = None) -> Tensor:
        """The reconstruction path: z* at the coarsest scale, zero noise at the others."""
        upto = len(self.gens) - 1 if upto is None else upto
        x = self.gens[0](self.z_rec * self.sigmas[0], torch.zeros_like(self.z_rec))
        for k in range(1, upto + 1):
            x = next_scale(self.gens[k], x, torch.zeros_like(self.reals[k]))
        return x

    def game(self, n: int) -> Game:
        """The Game of scale n (coarser scales already trained and frozen); its noise
        amplitude sigma_n is in game.config["sigma"]."""
        cfg, real = self.cfg, self.reals[n]
        shape = real.shape[1:]  # (C, H, W)
        if n == 0:
            sigma = 1.0
        else:
            sigma = 0.1 * float((upsample(self.reconstruct(n - 1), shape[-2:]) - real)
                                .square().mean().sqrt())
        g_net, d_net = Generator(self.channels, cfg.width), ConvNet(self.channels, cfg.width)

        def fake_from(ctx: Step, b: int) -> Tensor:
            noise = ctx.z(b).view(b, *shape) * sigma  # (B, C, H, W)
            if n == 0:
                return ctx.nets["G"](noise, torch.zeros_like(noise))
            coarse = self.generate(b, upto=n - 1, generator=None)  # frozen coarser scales
            return next_scale(ctx.nets["G"], coarse, noise)

        def pairs(ctx: Step):
            fake = fake_from(ctx, ctx.batch)  # drawn before the real image
            return (ctx.real,), (fake,)

        # scores (B, patches): a patch critic
        d_phase = d_phase_loss(losses.d_wasserstein, pairs, penalties={"gp": gp_term(cfg.gp)})

        def g_phase(ctx: Step) -> dict[str, Tensor]:
            adv = losses.g_wasserstein(ctx.d(fake_from(ctx, ctx.batch)))
            if n == 0:
                rec = ctx.nets["G"](self.z_rec * sigma, torch.zeros_like(self.z_rec))
            else:
                rec = next_scale(ctx.nets["G"], self.reconstruct(n - 1), torch.zeros_like(real))
            rec_loss = (rec - real).square().mean()  # ||G_n(z*, ...) - x_n||^2 (eq. 5)
            return {"loss": adv + cfg.alpha * rec_loss, "adv": adv.detach(), "rec": rec_loss.detach()}

        teams = {t: Team((t,), lr=cfg.lr, betas=(0.5, 0.999)) for t in ("D", "G")}
        phases = [Phase("D", "D", d_phase, repeats=cfg.n_critic), Phase("G", "G", g_phase)]
        return Game(f"singan-{n}", {"G": g_net, "D": d_net}, teams, phases,
                    nz=real[0].numel(), ema=(), config={"scale": n, "sigma": sigma})

    def to(self, device: str | torch.device) -> SinGAN:
        """Move the pyramid (images, z*, trained generators) to `device` ("auto" as the Trainer)."""
        self.device = resolve_device(device)
        self.reals = [x.to(self.device) for x in self.reals]
        self.z_rec = self.z_rec.to(self.device)
        self.gens = [g.to(self.device) for g in self.gens]
        return self

    def fit(self, batch: int = 1, progress: bool = False,
            device: str | torch.device = "cpu") -> SinGAN:
        """Train every scale, coarse to fine, each with its own Trainer on `device` (a
        `TrainConfig.device`: "cpu", "cuda", "auto", ...); the pyramid stays there."""
        self.to(device)
        for n in range(len(self.gens), self.cfg.scales):
            game = self.game(n)
            tr = Trainer(game, _Single(self.reals[n]), steps=self.cfg.steps, batch=batch,
                         ema_decay=0.0, progress=progress, seed=self.cfg.seed + n,
                         device=str(self.device), log_every=max(1, self.cfg.steps // 10))
            self.history.append(tr.fit())
            self.gens.append(game.nets["G"].eval().requires_grad_(False))
            self.sigmas.append(game.config["sigma"])
        self.cfg.sigmas = list(self.sigmas)
        return self


def patch_distance(x: Tensor, y: Tensor, patch: int = 7, projections: int = 128,
                   seed: int = 0) -> float:
    """Sliced Wasserstein-1 distance between the patch sets of images x and y (B, C, H, W):
    the mean over random unit directions of W1 between the projected patch distributions,
    a statistic of patch appearance in the spirit of SinGAN's SIFID (Shaham et al. 2019, sec. 5)."""
    px = F.unfold(x, patch).transpose(1, 2).reshape(-1, x.shape[1] * patch * patch)  # (P, d)
    py = F.unfold(y, patch).transpose(1, 2).reshape(-1, y.shape[1] * patch * patch)  # (Q, d)
    g = torch.Generator().manual_seed(seed)
    dirs = torch.randn(px.shape[1], projections, generator=g, dtype=px.dtype)
    dirs = dirs / dirs.norm(dim=0, keepdim=True)  # (d, K) unit directions
    qs = torch.linspace(0, 1, 256, dtype=px.dtype)
    a = torch.quantile(px @ dirs, qs, dim=0)  # (256, K) quantiles of each projection
    b = torch.quantile(py @ dirs, qs, dim=0)
    return float((a - b).abs().mean())  # W1 in 1D = integral of |F^-1 - G^-1|
