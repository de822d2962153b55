"""Image-to-image translation: U-Net, ResNet generator, PatchGAN, image pool, SPADE, and the
pix2pix, CycleGAN and SPADE games, registered with `variants.register`.

Sources and deviations:
- pix2pix: Isola et al. 2017, "Image-to-Image Translation with Conditional Adversarial
  Networks". Loss (eq. 4): G* = arg min_G max_D L_cGAN(G, D) + lambda L_L1(G), lambda = 100;
  D sees (input, output) pairs; D's loss halved (section 3.3). U-Net generator with skips
  (section 2.2.1), 70x70 PatchGAN (section 2.2.2). Deviations: no dropout as noise (the
  paper notes G learns to ignore z), and the nets are narrow and shallow for 32x32 crops.
- CycleGAN: Zhu et al. 2017, "Unpaired Image-to-Image Translation using Cycle-Consistent
  Adversarial Networks". Two generators G_AB, G_BA, two discriminators D_A, D_B; least-
  squares adversarial loss (section 4, "Training details"), cycle loss (eq. 2) with lambda
  = 10, identity loss 0.5 lambda = 5 (section 5.2; here its own weight, `identity_weight`,
  so that it does not vanish with the cycle loss as a fraction of lambda would), an image
  pool of 50 fakes for D (Shrivastava et al. 2017), lr constant for the first half of
  training then linearly to 0. ResNet generator of Johnson et al. 2016 with instance norm
  (Ulyanov et al. 2016).
  Deviations: fewer residual blocks and channels; LSGAN targets 1 / 0 (as the reference
  code), written with `losses.d_least_squares_01` / `g_least_squares_01`.
- SPADE: Park et al. 2019, "Semantic Image Synthesis with Spatially-Adaptive
  Normalization", eq. 1: gamma(m) * (h - mu) / sigma + beta(m), with gamma and beta per
  pixel from a small conv net on the label map m (the reference code uses 1 + gamma, as
  here). Hinge loss, a multi-scale PatchGAN (Wang et al. 2018, pix2pixHD) and D feature
  matching (lambda 10). Deviations: no VGG perceptual loss and no image encoder; z (the
  trainer's latent) feeds a linear layer to a 4x4 map, as in the paper's no-encoder setup.

The data of every game here is an `ArrayDataset` whose x joins source and target along
channels (`ganlab.paired`); a phase splits it with `paired.split_pair`.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import losses
from .nets import MultiScalePatchGAN, PatchGAN, receptive_field  # noqa: F401 (in nets: vqgan uses them)
from .nets import norm2d as _norm
from .options import opt
from .paired import split_pair
from .registry import Preset, columns, d_phase_loss, register
from .train import Game, Phase, Step, Team

__all__ = ["receptive_field", "PatchGAN", "MultiScalePatchGAN", "UNet", "ResnetGenerator",
           "ImagePool", "spade_norm", "SPADE", "SPADEGenerator", "cycle_loss",
           "cyclegan_decay", "Pix2PixConfig", "CycleGANConfig", "SPADEConfig"]


# --- generators ------------------------------------------------------------------------------


class UNet(nn.Module):
    """pix2pix's U-Net: `depth` stride-2 4x4 convs down, transposed convs up, skip connections
    joining mirrored layers. (B, in, H, W) -> (B, out, H, W) in [-1, 1]; H divisible by 2^depth.
    Instance norm by default: pix2pix uses batch norm with batch size 1 and batch statistics
    at test time, which is instance norm."""

    def __init__(self, in_channels: int, out_channels: int, ngf: int = 64, depth: int = 5,
                 norm: str = "instance") -> None:
        super().__init__()
        chans = [ngf * min(2 ** i, 8) for i in range(depth)]  # 64, 128, 256, 512, 512, ...
        self.depth = depth
        self.down = nn.ModuleList()
        for i in range(depth):
            c_in = in_channels if i == 0 else chans[i - 1]
            last = i == depth - 1
            self.down.append(nn.Sequential(
                nn.LeakyReLU(0.2) if i > 0 else nn.Identity(),
                nn.Conv2d(c_in, chans[i], 4, 2, 1),
                _norm(norm, chans[i]) if 0 < i and not last else nn.Identity()))  # 1x1: no norm
        self.up = nn.ModuleList()
        for i in reversed(range(depth)):
            c_in = chans[i] if i == depth - 1 else 2 * chans[i]  # the skip doubles the input
            c_out = out_channels if i == 0 else chans[i - 1]
            self.up.append(nn.Sequential(
                nn.ReLU(), nn.ConvTranspose2d(c_in, c_out, 4, 2, 1),
                nn.Tanh() if i == 0 else _norm(norm, c_out)))

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1] % 2 ** self.depth or x.shape[-2] % 2 ** self.depth:
            raise ValueError(f"UNet of depth {self.depth} needs H and W divisible by "
                             f"{2 ** self.depth}, got {tuple(x.shape)}")
        skips = []
        for d in self.down:
            x = d(x)
            skips.append(x)
        x = skips.pop()
        for u in self.up:
            x = u(x)
            if skips:
                x = torch.cat([x, skips.pop()], 1)  # (B, 2 c, h, w)
        return x


class _ResBlock(nn.Module):
    def __init__(self, c: int, norm: str) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), _norm(norm, c), nn.ReLU(),
            nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), _norm(norm, c))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """CycleGAN's generator (Johnson et al. 2016): 7x7 conv, `n_down` stride-2 convs,
    `n_blocks` residual blocks, as many transposed convs up, 7x7 conv, tanh.
    (B, in, H, W) -> (B, out, H, W); instance norm throughout."""

    def __init__(self, in_channels: int, out_channels: int, ngf: int = 64, n_blocks: int = 9,
                 n_down: int = 2, norm: str = "instance") -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(in_channels, ngf, 7),
                                   _norm(norm, ngf), nn.ReLU()]
        c = ngf
        for _ in range(n_down):
            layers += [nn.Conv2d(c, 2 * c, 3, 2, 1), _norm(norm, 2 * c), nn.ReLU()]
            c *= 2
        layers += [_ResBlock(c, norm) for _ in range(n_blocks)]
        for _ in range(n_down):
            layers += [nn.ConvTranspose2d(c, c // 2, 3, 2, 1, output_padding=1),
                       _norm(norm, c // 2), nn.ReLU()]
            c //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(c, out_channels, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


# --- the image pool ----------------------------------------------------------------------------


class ImagePool:
    """A history of generated images for D (Shrivastava et al. 2017; CycleGAN section 4).

    `query(fakes)` returns a batch of the same size: while the pool holds fewer than `size`
    images, each fake is stored and returned; after that each fake, with probability 1/2,
    is returned as it is, or else swapped for a random stored one (which it replaces).
    Draws come from `generator`, so the pool is reproducible. size = 0 returns fakes as is.
    With `state` (a game's `Game.state`), the stored images live in state[key] and the
    generator's state in state[rng_key], so a checkpoint holds them and resume is exact.
    """

    def __init__(self, size: int = 50, generator: torch.Generator | None = None,
                 state: dict[str, Tensor] | None = None, key: str = "pool",
                 rng_key: str = "pool_rng") -> None:
        if size < 0:
            raise ValueError(f"pool size must be >= 0, got {size}")
        self.size, self.generator = size, generator or torch.Generator().manual_seed(0)
        self.images: list[Tensor] = []
        self.state, self.key, self.rng_key = state, key, rng_key

    def _load(self) -> None:
        if self.state is None:
            return
        held = self.state.get(self.key)
        self.images = list(held.unbind(0)) if held is not None else []
        if self.rng_key in self.state:
            self.generator.set_state(self.state[self.rng_key].cpu())

    def _save(self) -> None:
        if self.state is None:
            return
        if self.images:
            self.state[self.key] = torch.stack(self.images)  # (n <= size, C, H, W)
        self.state[self.rng_key] = self.generator.get_state()

    def query(self, fakes: Tensor) -> Tensor:
        if self.size == 0:
            return fakes
        self._load()
        try:
            return self._query(fakes)
        finally:
            self._save()

    def _query(self, fakes: Tensor) -> Tensor:
        out = []
        for img in fakes.detach():
            if len(self.images) < self.size:
                self.images.append(img.clone())
                out.append(img)
            elif torch.rand((), generator=self.generator) < 0.5:
                i = int(torch.randint(len(self.images), (), generator=self.generator))
                out.append(self.images[i].clone())
                self.images[i] = img.clone()
            else:
                out.append(img)
        return torch.stack(out)  # (B, C, H, W)


# --- SPADE -----------------------------------------------------------------------------------


def spade_norm(h: Tensor, gamma: Tensor, beta: Tensor, eps: float = 1e-5) -> Tensor:
    """Spatially-adaptive normalisation (Park et al. 2019, eq. 1, with 1 + gamma):
    (1 + gamma) * (h - mu) / sigma + beta, mu and sigma per image and channel (instance
    norm, biased variance); h, gamma, beta all (B, C, H, W)."""
    mu = h.mean((2, 3), keepdim=True)  # (B, C, 1, 1)
    var = h.var((2, 3), keepdim=True, unbiased=False)
    return (1 + gamma) * (h - mu) / torch.sqrt(var + eps) + beta


class SPADE(nn.Module):
    """A SPADE layer: the label map (resized to h's size) goes through a shared 3x3 conv +
    ReLU, then two 3x3 convs give gamma and beta per pixel and channel."""

    def __init__(self, channels: int, label_channels: int, hidden: int = 32) -> None:
        super().__init__()
        self.shared = nn.Sequential(nn.Conv2d(label_channels, hidden, 3, padding=1), nn.ReLU())
        self.gamma = nn.Conv2d(hidden, channels, 3, padding=1)
        self.beta = nn.Conv2d(hidden, channels, 3, padding=1)

    def modulation(self, h: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
        m = F.interpolate(labels, size=h.shape[2:], mode="nearest")  # (B, L, H, W)
        a = self.shared(m)
        return self.gamma(a), self.beta(a)  # each (B, C, H, W)

    def forward(self, h: Tensor, labels: Tensor) -> Tensor:
        return spade_norm(h, *self.modulation(h, labels))


class _SPADEBlock(nn.Module):
    """SPADE, ReLU, 3x3 conv, twice, with a learned 1x1 shortcut (SPADE ResBlk)."""

    def __init__(self, c_in: int, c_out: int, label_channels: int, hidden: int) -> None:
        super().__init__()
        self.n1, self.c1 = SPADE(c_in, label_channels, hidden), nn.Conv2d(c_in, c_out, 3, padding=1)
        self.n2, self.c2 = SPADE(c_out, label_channels, hidden), nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1, bias=False)

    def forward(self, h: Tensor, m: Tensor) -> Tensor:
        y = self.c1(F.leaky_relu(self.n1(h, m), 0.2))
        y = self.c2(F.leaky_relu(self.n2(y, m), 0.2))
        return self.skip(h) + y


class SPADEGenerator(nn.Module):
    """z (B, nz) -> linear -> (B, C, 4, 4); SPADE blocks each followed by 2x upsampling up to
    `size`; 3x3 conv, tanh. Called as G(z, labels) with labels one-hot (B, L, size, size)."""

    def __init__(self, label_channels: int, out_channels: int = 3, nz: int = 32,
                 ngf: int = 32, size: int = 32, hidden: int = 32) -> None:
        super().__init__()
        n_up = int(math.log2(size)) - 2
        if 2 ** (n_up + 2) != size or n_up < 1:
            raise ValueError(f"SPADEGenerator size must be a power of two >= 8, got {size}")
        chans = [ngf * 2 ** max(n_up - i, 0) for i in range(n_up + 1)]  # halving to ngf
        self.fc = nn.Linear(nz, chans[0] * 16)
        self.blocks = nn.ModuleList(_SPADEBlock(chans[i], chans[i + 1], label_channels, hidden)
                                    for i in range(n_up))
        self.last = _SPADEBlock(chans[-1], chans[-1], label_channels, hidden)
        self.out = nn.Conv2d(chans[-1], out_channels, 3, padding=1)

    def forward(self, z: Tensor, labels: Tensor) -> Tensor:
        h = self.fc(z).view(z.shape[0], -1, 4, 4)  # (B, C0, 4, 4)
        for b in self.blocks:
            h = F.interpolate(b(h, labels), scale_factor=2, mode="nearest")
        h = self.last(h, labels)  # (B, ngf, size, size)
        return torch.tanh(self.out(F.leaky_relu(h, 0.2)))


# --- losses and schedules ------------------------------------------------------------------


def cycle_loss(x: Tensor, x_back: Tensor) -> Tensor:
    """CycleGAN's cycle-consistency term (eq. 2) for one direction: E ||F(G(x)) - x||_1,
    the mean absolute error per pixel (as the reference code's nn.L1Loss)."""
    return (x_back - x).abs().mean()


def cyclegan_decay(step: int, total: int) -> float:
    """CycleGAN's lr factor: 1 for the first half of `total` steps, then linearly to 0."""
    if total <= 0:
        return 1.0
    half = total // 2
    return 1.0 if step < half else max(0.0, 1.0 - (step - half) / max(total - half, 1))




def _patch_losses(name: str):
    d_fn, g_fn, relativistic = losses.LOSSES[name]
    if relativistic:
        raise ValueError(f"loss {name!r} pairs real and fake logits; translation games need "
                         f"a per-logit loss such as 'nonsaturating' or 'least_squares_01'")
    return d_fn, g_fn


def _no_sampling(nets, z, labels):
    raise ValueError("a translation game maps images to images: call its generator on an "
                     "input, e.g. game.nets['G'](x) or game.nets['G_AB'](x)")


# --- pix2pix ---------------------------------------------------------------------------------


@dataclass
class Pix2PixConfig:
    """pix2pix options; the data x is (source channels, target channels) along C."""

    loss: str = opt("nonsaturating", "a key of ganlab.losses.LOSSES, applied per patch")
    source_channels: int = opt(1, "channels of the input image; the rest of x is the target")
    width: int = opt(64, "ngf = ndf")
    depth: int = opt(5, "U-Net levels (H must be divisible by 2^depth)")
    d_layers: int = opt(3, "PatchGAN stride-2 layers (3: 70x70 receptive field)")
    l1: float = opt(100.0, "lambda of the L1 term")
    adversarial: float = opt(1.0, "weight of the cGAN term; 0: the L1-only baseline")
    lr: float = opt(2e-4, "both teams, Adam (0.5, 0.999)")


def _build_pix2pix(name: str, cfg: Pix2PixConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    c_a = cfg.source_channels
    c_b = shape[0] - c_a
    if c_b < 1:
        raise ValueError(f"data has {shape[0]} channels; source_channels={c_a} leaves no target")
    d_fn, g_fn = _patch_losses(cfg.loss)
    G = UNet(c_a, c_b, cfg.width, cfg.depth)
    D = PatchGAN(c_a + c_b, cfg.width, cfg.d_layers)

    def io_pairs(ctx: Step):
        src, tgt = split_pair(ctx.real, c_a)
        fake = ctx.nets["G"](src)
        return (torch.cat([src, tgt], 1),), (torch.cat([src, fake], 1),)  # (input, output) pairs

    d_phase = d_phase_loss(d_fn, io_pairs, scale=0.5)  # halved, as in the paper

    def g_phase(ctx: Step) -> dict[str, Tensor]:
        src, tgt = split_pair(ctx.real, c_a)
        fake = ctx.nets["G"](src)  # (B, c_b, H, W)
        l1 = (fake - tgt).abs().mean()  # E ||y - G(x)||_1
        adv = g_fn(ctx.d(torch.cat([src, fake], 1))) if cfg.adversarial else l1.new_zeros(())
        return {"loss": cfg.adversarial * adv + cfg.l1 * l1, "adv": adv.detach(), "l1": l1.detach()}

    phases = [Phase("D", "D", d_phase)] if cfg.adversarial else []
    phases.append(Phase("G", "G", g_phase))
    teams = {"G": Team(("G",), cfg.lr), "D": Team(("D",), cfg.lr)}
    return Game(name, {"G": G, "D": D}, teams, phases, nz=1, ema=(), generate=_no_sampling)


# --- CycleGAN --------------------------------------------------------------------------------


@dataclass
class CycleGANConfig:
    """CycleGAN options; the data x is (domain A channels, domain B channels) along C."""

    loss: str = opt("least_squares_01", "LSGAN with targets 1 (real) / 0 (fake)")
    channels_a: int = opt(3, "channels of domain A; the rest of x is domain B")
    width: int = opt(64, "ngf = ndf")
    n_blocks: int = opt(9, "residual blocks in each generator")
    n_down: int = opt(2, "stride-2 levels in each generator")
    d_layers: int = opt(3, "PatchGAN stride-2 layers")
    cycle: float = opt(10.0, "lambda of the cycle loss; 0 removes it (the identity loss stays)")
    identity_weight: float = opt(5.0, "weight of the identity loss, its own (the paper's 0.5 x cycle = 5); "
                                      "0 removes it (the cycle loss stays)")
    pool: int = opt(50, "image pool size (0: D sees only the latest fakes)")
    lr: float = opt(2e-4, "both teams, Adam (0.5, 0.999)")
    decay_steps: int = opt(0, "total training steps for the linear lr decay; 0: constant lr")


def cyclegan_generator_loss(nets: dict[str, nn.Module], a: Tensor, b: Tensor,
                            cfg: CycleGANConfig, d=None) -> dict[str, Tensor]:
    """The generators' total loss on a batch of a (domain A) and b (domain B), and the fakes.

    adv: g_fn(D_B(G_AB(a))) + g_fn(D_A(G_BA(b))); cycle: |G_BA(G_AB(a)) - a| + |G_AB(G_BA(b)) - b|;
    identity: |G_BA(a) - a| + |G_AB(b) - b| (only when A and B have as many channels).
    loss = adv + cfg.cycle * cycle + cfg.identity_weight * identity: the two weights are
    separate, so removing the cycle loss leaves the identity loss in place."""
    _, g_fn = _patch_losses(cfg.loss)
    d = d or (lambda x, net: nets[net](x))
    fake_b, fake_a = nets["G_AB"](a), nets["G_BA"](b)
    adv = g_fn(d(fake_b, "D_B")) + g_fn(d(fake_a, "D_A"))
    cyc = cycle_loss(a, nets["G_BA"](fake_b)) + cycle_loss(b, nets["G_AB"](fake_a))
    idt = a.new_zeros(())
    if cfg.identity_weight and a.shape[1] == b.shape[1]:
        idt = cycle_loss(a, nets["G_BA"](a)) + cycle_loss(b, nets["G_AB"](b))
    loss = adv + cfg.cycle * cyc + cfg.identity_weight * idt
    return {"loss": loss, "adv": adv.detach(), "cycle": cyc.detach(), "identity": idt.detach(),
            "fake_a": fake_a.detach(), "fake_b": fake_b.detach()}


def _build_cyclegan(name: str, cfg: CycleGANConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    c_a = cfg.channels_a
    c_b = shape[0] - c_a
    if c_b < 1:
        raise ValueError(f"data has {shape[0]} channels; channels_a={c_a} leaves no domain B")
    d_fn, _ = _patch_losses(cfg.loss)
    nets_ = {"G_AB": ResnetGenerator(c_a, c_b, cfg.width, cfg.n_blocks, cfg.n_down),
             "G_BA": ResnetGenerator(c_b, c_a, cfg.width, cfg.n_blocks, cfg.n_down),
             "D_A": PatchGAN(c_a, cfg.width, cfg.d_layers),
             "D_B": PatchGAN(c_b, cfg.width, cfg.d_layers)}
    g = torch.Generator().manual_seed(0)
    # the pools' images, their shared generator and the G phase's latest fakes live in
    # game.state, so a checkpoint holds them (resume is bit for bit)
    state: dict[str, Tensor] = {"pool_rng": g.get_state()}
    pools = {n: ImagePool(cfg.pool, g, state, key=f"pool_{n}") for n in ("D_A", "D_B")}
    latest = _StateView(state, "latest_")  # the G phase's fakes, for the D phase

    def g_phase(ctx: Step) -> dict[str, Tensor]:
        a, b = split_pair(ctx.real, c_a)
        out = cyclegan_generator_loss(ctx.nets, a, b, cfg, lambda x, n: ctx.d(x, net=n))
        latest["D_A"], latest["D_B"] = out.pop("fake_a"), out.pop("fake_b")
        return out

    def d_phase(ctx: Step) -> dict[str, Tensor]:
        a, b = split_pair(ctx.real, c_a)
        if not latest:  # a D phase before any G phase (e.g. a resumed run): fresh fakes
            with torch.no_grad():
                latest["D_A"], latest["D_B"] = ctx.nets["G_BA"](b), ctx.nets["G_AB"](a)
        la = d_fn(ctx.d(a, net="D_A"), ctx.d(pools["D_A"].query(latest["D_A"]), net="D_A"))
        lb = d_fn(ctx.d(b, net="D_B"), ctx.d(pools["D_B"].query(latest["D_B"]), net="D_B"))
        return {"loss": 0.5 * (la + lb), "D_A": la.detach(), "D_B": lb.detach()}  # halved

    decay = functools.partial(cyclegan_decay, total=cfg.decay_steps) if cfg.decay_steps else None
    phases = [Phase("G", "G", g_phase), Phase("D", "D", d_phase)]
    teams = {"G": Team(("G_AB", "G_BA"), cfg.lr, lr_schedule=decay),
             "D": Team(("D_A", "D_B"), cfg.lr, lr_schedule=decay)}
    return Game(name, nets_, teams, phases, nz=1, ema=(), generate=_no_sampling, state=state)


class _StateView:
    """A dict-like window on the keys of `state` that start with `prefix`."""

    def __init__(self, state: dict[str, Tensor], prefix: str) -> None:
        self.state, self.prefix = state, prefix

    def __getitem__(self, k: str) -> Tensor:
        return self.state[self.prefix + k]

    def __setitem__(self, k: str, v: Tensor) -> None:
        self.state[self.prefix + k] = v

    def __bool__(self) -> bool:
        return any(k.startswith(self.prefix) for k in self.state)


# --- SPADE -----------------------------------------------------------------------------------


@dataclass
class SPADEConfig:
    """SPADE options; the data x is (one-hot label map channels, image channels) along C."""

    loss: str = opt("hinge", "GauGAN's adversarial loss")
    label_channels: int = opt(4, "channels of the one-hot label map; the rest of x is the image")
    nz: int = opt(32, "latent size")
    width: int = opt(32, "G's ngf and D's ndf")
    hidden: int = opt(32, "channels of SPADE's shared conv")
    d_layers: int = opt(2, "stride-2 layers of each PatchGAN")
    scales: int = opt(2, "PatchGANs in the multi-scale D")
    feature_matching: float = opt(10.0, "lambda of D's feature-matching L1 loss")
    lr_g: float = opt(1e-4, "TTUR, Adam (0, 0.999) as in the paper")
    lr_d: float = opt(4e-4, "D's learning rate (TTUR: 4 x G's)")


def _build_spade(name: str, cfg: SPADEConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    c_l, (c_img, size) = cfg.label_channels, (shape[0] - cfg.label_channels, shape[1])
    if c_img < 1:
        raise ValueError(f"data has {shape[0]} channels; label_channels={c_l} leaves no image")
    d_fn, g_fn = _patch_losses(cfg.loss)
    G = SPADEGenerator(c_l, c_img, cfg.nz, cfg.width, size, cfg.hidden)
    D = MultiScalePatchGAN(c_l + c_img, cfg.width, cfg.d_layers, cfg.scales)

    def d_phase(ctx: Step) -> dict[str, Tensor]:
        m, img = split_pair(ctx.real, c_l)
        with torch.no_grad():
            fake = ctx.nets["G"](ctx.z(len(m)), m)
        real_s, fake_s = ctx.d(torch.cat([m, img], 1)), ctx.d(torch.cat([m, fake], 1))
        return {"loss": sum(d_fn(r, f) for r, f in zip(real_s, fake_s))}

    def g_phase(ctx: Step) -> dict[str, Tensor]:
        m, img = split_pair(ctx.real, c_l)
        fake = ctx.nets["G"](ctx.z(len(m)), m)
        f_fake = ctx.nets["D"].features(torch.cat([m, fake], 1))
        with torch.no_grad():
            f_real = ctx.nets["D"].features(torch.cat([m, img], 1))
        adv = sum(g_fn(s[-1]) for s in f_fake)
        fm = sum((a - b).abs().mean() for sa, sb in zip(f_fake, f_real)
                 for a, b in zip(sa[:-1], sb[:-1])) / len(f_fake)  # pix2pixHD eq. 4
        return {"loss": adv + cfg.feature_matching * fm, "adv": adv.detach(), "fm": fm.detach()}

    teams = {"G": Team(("G",), cfg.lr_g, (0.0, 0.999)), "D": Team(("D",), cfg.lr_d, (0.0, 0.999))}
    phases = [Phase("D", "D", d_phase), Phase("G", "G", g_phase)]
    return Game(name, {"G": G, "D": D}, teams, phases, nz=cfg.nz, ema=(),
                generate=_no_sampling)


# --- the presets: what each trains on and shows (Preset.show: (rows, cols, C, H, W)) ----------


def _show_pix2pix(cfg: Pix2PixConfig, nets: dict[str, nn.Module], x: Tensor) -> Tensor:
    src, tgt = split_pair(x, cfg.source_channels)
    return columns(src, nets["G"](src), tgt)  # input | output | target


def _show_cyclegan(cfg: CycleGANConfig, nets: dict[str, nn.Module], x: Tensor) -> Tensor:
    a, b = split_pair(x, cfg.channels_a)
    return columns(a, nets["G_AB"](a), b, nets["G_BA"](b))  # A | G_AB(A) | B | G_BA(B)


def _show_spade(cfg: SPADEConfig, nets: dict[str, nn.Module], x: Tensor) -> Tensor:
    labels, img = split_pair(x, cfg.label_channels)
    z = torch.randn(len(x), cfg.nz, generator=torch.Generator().manual_seed(0)).to(x)
    grey = labels.argmax(1, keepdim=True).float() / max(1, cfg.label_channels - 1) * 2 - 1
    return columns(grey, nets["G"](z, labels), img)  # label map | output | picture


_PAIRED = dict(data="paired", default_data="photo_pairs", samples=False, show=_show_pix2pix)
register("pix2pix", Preset("pix2pix: U-Net G, 70x70 PatchGAN on (input, output) pairs, "
                           "cGAN + 100 L1", Pix2PixConfig(), builder="pix2pix", **_PAIRED),
         _build_pix2pix)
register("pix2pix-l1", Preset("pix2pix's baseline: the same U-Net trained with L1 alone",
                              Pix2PixConfig(adversarial=0.0), builder="pix2pix", **_PAIRED))
register("cyclegan", Preset("CycleGAN: two ResNet Gs, two PatchGANs, LSGAN + 10 cycle + "
                            "5 identity, image pool 50", CycleGANConfig(), builder="cyclegan",
                            data="unpaired", default_data="texture_domains", samples=False,
                            show=_show_cyclegan), _build_cyclegan)
register("spade", Preset("SPADE/GauGAN: label-map-modulated G, multi-scale PatchGAN, hinge + "
                         "feature matching", SPADEConfig(), builder="spade", data="layouts",
                         default_data="layouts", samples=False, show=_show_spade), _build_spade)
