"""Adversarial inpainting: a context encoder fills a masked square from what surrounds it.

Source: Pathak et al. 2016, "Context Encoders: Feature Learning by Inpainting". A network
F sees an image with a region removed and predicts the region; its loss (eq. 3) is
lambda_rec * L_rec + lambda_adv * L_adv, with L_rec = ||M * (x - F((1 - M) * x))||^2 the
squared error on the hole M (eq. 1) and L_adv the GAN loss of a D that tells real images
from completed ones (eq. 2). The L2 term alone predicts the mean of the plausible fills,
which is blurred; the adversarial term pushes the fill towards one sharp completion.

Here:

- `square_mask` / `random_square_masks`: the hole, 1 inside and 0 outside, (B, 1, H, W);
- `context_input(x, m)`: what F sees, the masked image with the mask as an extra channel;
- `fill_hole(x, fill, m)`: the completed image, x outside the hole and the fill inside;
- `masked_mse(a, b, m)`: the mean squared error over the hole's pixels (L_rec per pixel);
- `diffusion_fill(x, m)`: a classical blur fill, the hole's harmonic interpolation of its
  border (the null that a learned fill must beat);
- `hole_box` / `hole_sharpness`: the high-frequency energy (`ganlab.metrics`) of a fixed
  hole, the Laplacian read at the hole's pixels only;
- `ContextEncoder`: the encoder-decoder F; the presets `inpaint` (L2 + adversarial) and
  `inpaint-l2` (its L2-only baseline).

Deviations, for a CPU budget: 16x16 digits and a small convolutional F (two stride-2
convs, a 4x4 bottleneck conv, a mirrored decoder; Pathak's channel-wise fully connected
layer is a plain conv here); D (the DCGAN discriminator of `ganlab.nets`) judges the whole
completed image, as Pathak's D does for random-region masks, rather than the hole alone; the
loss weights are 1 and `adversarial` (Pathak: 0.999 and 0.001) and there is no 10x weight
on a border overlapping the context, since the fill is pasted into the true context.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from . import losses, nets
from .options import opt
from .registry import Preset, register
from .train import Game, Phase, Step, Team

__all__ = ["square_mask", "random_square_masks", "context_input", "fill_hole", "masked_mse",
           "diffusion_fill", "hole_box", "hole_sharpness", "ContextEncoder", "InpaintConfig",
           "show_inpainting"]


# --- masks and the losses on them ------------------------------------------------------------


def _check_hole(size: int, hole: int) -> None:
    if not 0 < hole < size:
        raise ValueError(f"the hole must be between 1 and {size - 1} pixels wide, got {hole}")


def square_mask(size: int, hole: int, top: int | None = None, left: int | None = None) -> Tensor:
    """A hole x hole square of ones in a size x size map of zeros, centred by default: (1, 1, H, W)."""
    _check_hole(size, hole)
    top = (size - hole) // 2 if top is None else top
    left = (size - hole) // 2 if left is None else left
    if not (0 <= top <= size - hole and 0 <= left <= size - hole):
        raise ValueError(f"a {hole}x{hole} hole at ({top}, {left}) leaves a {size}x{size} image")
    m = torch.zeros(1, 1, size, size)
    m[..., top : top + hole, left : left + hole] = 1.0
    return m


def random_square_masks(n: int, size: int, hole: int, generator: torch.Generator | None = None,
                        device: torch.device | str | None = None) -> Tensor:
    """n square holes at uniform random positions inside the image: (n, 1, H, W)."""
    _check_hole(size, hole)
    corner = torch.randint(0, size - hole + 1, (n, 2), generator=generator)  # (n, 2) top, left
    rows = torch.arange(size)
    inside_r = (rows >= corner[:, :1]) & (rows < corner[:, :1] + hole)  # (n, H)
    inside_c = (rows >= corner[:, 1:]) & (rows < corner[:, 1:] + hole)  # (n, W)
    m = (inside_r[:, :, None] & inside_c[:, None, :]).float()[:, None]  # (n, 1, H, W)
    return m.to(device) if device is not None else m


def context_input(x: Tensor, m: Tensor) -> Tensor:
    """What the context encoder sees: (1 - M) * x and M, joined along channels: (B, C + 1, H, W)."""
    m = m.expand(x.shape[0], 1, *x.shape[-2:]).to(x)
    return torch.cat([x * (1 - m), m], 1)


def fill_hole(x: Tensor, fill: Tensor, m: Tensor) -> Tensor:
    """The completed image: x outside the hole, the fill inside it: (B, C, H, W)."""
    m = m.to(x)
    return x * (1 - m) + fill * m


def masked_mse(a: Tensor, b: Tensor, m: Tensor, per_image: bool = False) -> Tensor:
    """The mean of (a - b)^2 over the hole's pixels and channels (L_rec per pixel): a scalar,
    or (B,) with per_image."""
    m = m.expand(a.shape[0], 1, *a.shape[-2:]).to(a)
    err = ((a - b).square() * m).flatten(1).sum(1)  # (B,) squared error inside the hole
    count = m.flatten(1).sum(1) * a.shape[1]  # (B,) hole pixels x channels
    if (count == 0).any():
        raise ValueError("a mask has an empty hole: masked_mse needs at least one hole pixel")
    per = err / count
    return per if per_image else per.mean()


@torch.no_grad()
def diffusion_fill(x: Tensor, m: Tensor, iters: int = 200) -> Tensor:
    """The hole filled by diffusing its border inwards (Jacobi iterations of Laplace's equation,
    replicate padding at the image edge): each hole pixel becomes the mean of its 4 neighbours,
    started from the context's mean. A linear ramp is harmonic, so it is filled exactly."""
    m = m.expand(x.shape[0], 1, *x.shape[-2:]).to(x)
    ctx = 1 - m
    mean = (x * ctx).flatten(2).sum(2) / ctx.flatten(2).sum(2).clamp_min(1)  # (B, C)
    y = fill_hole(x, mean[:, :, None, None].expand_as(x), m)
    for _ in range(iters):
        p = torch.nn.functional.pad(y, (1, 1, 1, 1), mode="replicate")
        avg = (p[..., :-2, 1:-1] + p[..., 2:, 1:-1] + p[..., 1:-1, :-2] + p[..., 1:-1, 2:]) / 4
        y = fill_hole(x, avg, m)
    return y


def hole_box(m: Tensor) -> tuple[int, int, int, int]:
    """(top, left, height, width) of the one hole of a mask (1, 1, H, W) or (H, W)."""
    rows = m.reshape(m.shape[-2:]).sum(1).nonzero().flatten()
    cols = m.reshape(m.shape[-2:]).sum(0).nonzero().flatten()
    if len(rows) == 0:
        raise ValueError("the mask has no hole")
    top, left = int(rows[0]), int(cols[0])
    return top, left, int(rows[-1]) - top + 1, int(cols[-1]) - left + 1


def hole_sharpness(x: Tensor, m: Tensor) -> float:
    """High-frequency energy (`ganlab.metrics.high_frequency_energy`, the mean squared 3x3
    Laplacian) at the pixels of one fixed hole: the Laplacian of the hole grown by one pixel,
    over its valid region, which is the hole itself (it reads the context on the border)."""
    from .metrics import high_frequency_energy

    top, left, h, w = hole_box(m)
    if top < 1 or left < 1 or top + h >= x.shape[-2] or left + w >= x.shape[-1]:
        raise ValueError("hole_sharpness needs a one-pixel context border around the hole")
    return high_frequency_energy(x[..., top - 1 : top + h + 1, left - 1 : left + w + 1])


# --- the context encoder ---------------------------------------------------------------------


class ContextEncoder(nn.Module):
    """F: (B, C + 1, H, W) masked image and mask -> (B, C, H, W) in [-1, 1] (use it in the hole).

    Encoder: stride-2 4x4 convs from H down to 4 (LeakyReLU 0.2, batch norm after the first),
    a 4x4 conv to a (B, 4w, 1, 1) code; the decoder mirrors it with transposed convs (ReLU,
    batch norm) and a tanh, as in Pathak et al.'s fig. 2 (their AlexNet encoder made small).
    """

    def __init__(self, size: int = 16, channels: int = 1, width: int = 32) -> None:
        super().__init__()
        levels = size.bit_length() - 3  # stride-2 convs from size down to 4
        if size < 8 or 4 * 2 ** levels != size:
            raise ValueError(f"ContextEncoder needs a power-of-two size >= 8, got {size}")
        down: list[nn.Module] = [nn.Conv2d(channels + 1, width, 4, 2, 1), nn.LeakyReLU(0.2)]
        w = width
        for _ in range(levels - 1):
            down += [nn.Conv2d(w, 2 * w, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * w),
                     nn.LeakyReLU(0.2)]
            w *= 2
        down += [nn.Conv2d(w, 2 * w, 4, 1, 0), nn.LeakyReLU(0.2)]  # (B, 2w, 1, 1) the code
        up: list[nn.Module] = [nn.ConvTranspose2d(2 * w, w, 4, 1, 0, bias=False),
                               nn.BatchNorm2d(w), nn.ReLU(True)]  # (B, w, 4, 4)
        for _ in range(levels - 1):
            up += [nn.ConvTranspose2d(w, w // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(w // 2),
                   nn.ReLU(True)]
            w //= 2
        up += [nn.ConvTranspose2d(w, channels, 4, 2, 1), nn.Tanh()]
        self.encode, self.decode = nn.Sequential(*down), nn.Sequential(*up)
        self.size, self.channels = size, channels

    def forward(self, xm: Tensor) -> Tensor:
        if xm.dim() != 4 or tuple(xm.shape[1:]) != (self.channels + 1, self.size, self.size):
            raise ValueError(f"expected a context input (B, {self.channels + 1}, {self.size}, "
                             f"{self.size}) from context_input(x, m), got {tuple(xm.shape)}")
        return self.decode(self.encode(xm))  # (B, C, H, W)

    def fill(self, x: Tensor, m: Tensor) -> Tensor:
        """The completed image fill_hole(x, F(context), m): (B, C, H, W)."""
        return fill_hole(x, self(context_input(x, m)), m)


# --- the game --------------------------------------------------------------------------------


@dataclass
class InpaintConfig:
    """Context-encoder options; the data are whole images, the hole is cut in the phase."""

    hole: int = opt(6, "side of the square hole, pixels")
    random_holes: bool = opt(False, "holes at random positions (False: the centre square)")
    width: int = opt(32, "channels of F's first conv and of D (DCGAN ndf)")
    adversarial: float = opt(0.01, "weight of F's adversarial loss (0: no D, the L2 baseline)")
    loss: str = opt("nonsaturating", "a key of ganlab.losses.LOSSES for the adversarial term")
    lr: float = opt(2e-4, "Adam learning rate of both teams, betas (0.5, 0.999)")


def _masks(cfg: InpaintConfig, x: Tensor) -> Tensor:
    size = x.shape[-1]
    if cfg.random_holes:  # torch's global RNG, which the Trainer seeds
        return random_square_masks(len(x), size, cfg.hole, device=x.device)
    return square_mask(size, cfg.hole).to(x.device)


def _no_sampling(nets, z, labels):
    raise ValueError("an inpainting game fills holes in given images: call "
                     "game.nets['G'].fill(x, ganlab.inpaint.square_mask(H, hole)) on images x")


def _build_inpaint(name: str, cfg: InpaintConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    if len(shape) != 3 or shape[1] != shape[2]:
        raise ValueError(f"variant {name!r} needs square images (C, H, H), got item shape {shape}")
    _check_hole(shape[1], cfg.hole)
    d_fn, g_fn, relativistic = losses.LOSSES[cfg.loss] if cfg.adversarial else (None, None, False)
    if relativistic:
        raise ValueError(f"loss {cfg.loss!r} pairs real and fake logits; use a per-logit loss")
    c, size = shape[0], shape[1]
    g = ContextEncoder(size, c, cfg.width)
    nets.init_dcgan(g)
    game_nets: dict[str, nn.Module] = {"G": g}
    if cfg.adversarial:
        game_nets["D"] = nets.DCGANDiscriminator(size, c, cfg.width)
        nets.init_dcgan(game_nets["D"])

    def d_phase(ctx: Step) -> dict[str, Tensor]:
        x = ctx.real  # (B, C, H, W)
        m = _masks(cfg, x)
        with torch.no_grad():
            filled = ctx.nets["G"].fill(x, m)
        real_s, fake_s = ctx.d(x), ctx.d(filled)  # (B,)
        return {"loss": d_fn(real_s, fake_s), "real_score": real_s.mean().detach(),
                "fake_score": fake_s.mean().detach()}

    def g_phase(ctx: Step) -> dict[str, Tensor]:
        x = ctx.real
        m = _masks(cfg, x)
        out = ctx.nets["G"](context_input(x, m))  # (B, C, H, W)
        rec = masked_mse(out, x, m)  # L_rec per hole pixel
        logs = {"rec": rec.detach()}
        loss = rec
        if cfg.adversarial:
            adv = g_fn(ctx.d(fill_hole(x, out, m)))  # -log D(completed) for the non-saturating loss
            loss, logs["adv"] = loss + cfg.adversarial * adv, adv.detach()
        return {"loss": loss, **logs}

    teams = {"G": Team(("G",), cfg.lr, (0.5, 0.999))}
    phases = [Phase("G", "G", g_phase)]
    if cfg.adversarial:
        teams["D"] = Team(("D",), cfg.lr, (0.5, 0.999))
        phases.insert(0, Phase("D", "D", d_phase))
    return Game(name, game_nets, teams, phases, nz=1, ema=(), generate=_no_sampling)


def show_inpainting(cfg: InpaintConfig, nets_: dict[str, nn.Module], x: Tensor) -> Tensor:
    """masked | filled | real for a batch of images: (rows, 3, C, H, W); the hole shown as 0."""
    m = square_mask(x.shape[-1], cfg.hole).to(x)
    return torch.stack([fill_hole(x, torch.zeros_like(x), m), nets_["G"].fill(x, m), x], 1)


register("inpaint", Preset("context encoder (Pathak et al. 2016): fill a square hole, L2 on the "
                           "hole + adversarial loss of a D on the completed image",
                           InpaintConfig(), builder="inpaint", data="images", default_data="digits",
                           samples=False, show=show_inpainting), _build_inpaint)
register("inpaint-l2", Preset("the context encoder's baseline: the same F trained with L2 on the "
                              "hole alone (blurry fills)", InpaintConfig(adversarial=0.0),
                              builder="inpaint", data="images", default_data="digits",
                              samples=False, show=show_inpainting, ignores=("loss",),
                              fixed=("adversarial",)))
