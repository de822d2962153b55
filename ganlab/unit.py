"""Unpaired translation through a latent space: UNIT (one shared latent) and MUNIT (a content
code shared by both domains, a style code of each domain's own), registered with `register`.

Sources and deviations:
- UNIT: Liu, Breuel & Kautz 2017, "Unsupervised Image-to-Image Translation Networks".
  Encoders E_A, E_B and generators G_A, G_B with the *shared-latent* assumption: the last
  layer of E_A and E_B is one layer, and so is the first layer of G_A and G_B (section 2,
  "weight-sharing"), so both domains are coded in one space. The encoder gives the mean of
  q(z | x) = N(mu(x), I); z = mu + eps, eps ~ N(0, I) (section 2, "VAEs"), so that
  KL(q || N(0, I)) = ||mu||^2 / 2 exactly (`unit_kl`, here per latent dimension). The
  generator loss (eqs. 3-6) is adversarial (G_B(z_A) judged by D_B, G_A(z_B) by D_A) +
  the VAE terms (L1 reconstruction within each domain, KL) + the cycle through the latent
  (A -> z -> B -> z -> A, L1 and KL). Weights as the reference code: 1 (GAN), 10 (L1
  reconstruction), 0.01 (KL), 10 (cycle L1), 0.01 (cycle KL); LSGAN targets 1 / 0 as in
  the reference code (the paper's eq. 4 is the log loss).
  Deviations: tiny nets (one stride-2 level, one private and one shared residual block on
  each side, width 8 for 16x16 digits); a single-scale PatchGAN (the reference code uses a
  multi-scale D); no weight decay.
- MUNIT: Huang, Liu, Belongie & Kautz 2018, "Multimodal Unsupervised Image-to-Image
  Translation". Per domain a content encoder (convs with instance norm: a spatial code
  both domains share the space of), a style encoder (convs without normalisation, global
  average pooling, a 1x1 conv to `style_dim` numbers) and a decoder whose residual blocks
  use AdaIN (Huang & Belongie 2017) with scales and biases computed from the style code by
  an MLP (section 3.2; `ganlab.style.adain` through `AdaINLayer`, one affine per AdaIN on
  the MLP's last hidden layer). Losses (eqs. 1-5): L1 image reconstruction (lambda_x = 10),
  translation x_AB = G_B(c_A, s_B) with s_B ~ N(0, I) judged by D_B, and L1 reconstruction
  of its content (lambda_c = 1) and of the sampled style (lambda_s = 1) from x_AB; an
  optional explicit cycle (section 5.1's style-augmented cycle, `cycle`, default 0 as in
  the paper's main runs). LSGAN, as the reference code.
  Deviations: one stride-2 level, `n_res` AdaIN blocks, width 8, a single-scale PatchGAN;
  the upsampling conv uses layer norm (GroupNorm with one group), as the paper's decoder.

The data of both games is an unpaired `ArrayDataset` whose x joins domain A and domain B
along channels (`ganlab.paired.thin_thick_digits`); a phase splits it with `split_pair`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from . import losses
from .nets import PatchGAN
from .nets import norm2d as _norm
from .options import opt
from .paired import split_pair
from .registry import Preset, columns, register
from .style import AdaINLayer
from .train import Game, Phase, Step, Team

__all__ = ["UNITGenerator", "MUNITAutoEncoder", "unit_kl", "unit_generator_loss",
           "munit_generator_loss", "munit_translate", "UNITConfig", "MUNITConfig"]

DOMAINS = ("A", "B")


def _conv(c_in: int, c_out: int, k: int, stride: int = 1, norm: str = "instance") -> nn.Module:
    """Reflection-padded k x k conv, norm, ReLU: (B, c_in, H, W) -> (B, c_out, H / stride, W / stride)."""
    pad = (k - stride + 1) // 2
    return nn.Sequential(nn.ReflectionPad2d(pad), nn.Conv2d(c_in, c_out, k, stride),
                         _norm(norm, c_out), nn.ReLU())


class _Res(nn.Module):
    """x + (3x3 conv, instance norm, ReLU, 3x3 conv, instance norm)(x)."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.body = nn.Sequential(_conv(c, c, 3), nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3),
                                  nn.InstanceNorm2d(c))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


def _up(c_in: int, c_out: int, norm: str = "instance") -> nn.Module:
    """2x nearest upsampling, 5x5 conv, norm, ReLU (MUNIT's decoder; UNIT's too, here)."""
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.ReflectionPad2d(2),
                         nn.Conv2d(c_in, c_out, 5),
                         nn.GroupNorm(1, c_out) if norm == "layer" else _norm(norm, c_out), nn.ReLU())


def _to_image(c_in: int, c_out: int) -> nn.Module:
    return nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(c_in, c_out, 7), nn.Tanh())


# --- UNIT ------------------------------------------------------------------------------------


class UNITGenerator(nn.Module):
    """UNIT's four nets in one module, so that the shared layers are one set of Parameters.

    encoder[d] = (private layers of domain d, then the shared layer): (B, C_d, H, W) -> mu
    (B, 2 width, H/2, W/2); decoder[d] = (the shared layer, then private layers of d). The
    shared layers are the *same* module objects in both branches: `encoder["A"][-1] is
    encoder["B"][-1]` and `decoder["A"][0] is decoder["B"][0]`, and a gradient from either
    domain lands in their one set of parameters.
    """

    def __init__(self, channels_a: int, channels_b: int, width: int = 8) -> None:
        super().__init__()
        c = 2 * width
        # the last encoder layer (a residual block, then a 1x1 conv free of normalisation so that
        # mu can outgrow the unit noise) and the first decoder layer
        shared_e, shared_g = nn.Sequential(_Res(c), nn.Conv2d(c, c, 1)), _Res(c)
        self.encoder = nn.ModuleDict({d: nn.Sequential(_conv(ch, width, 7), _conv(width, c, 4, 2),
                                                       _Res(c), shared_e)
                                      for d, ch in zip(DOMAINS, (channels_a, channels_b))})
        self.decoder = nn.ModuleDict({d: nn.Sequential(shared_g, _Res(c), _up(c, width),
                                                       _to_image(width, ch))
                                      for d, ch in zip(DOMAINS, (channels_a, channels_b))})

    def encode(self, x: Tensor, domain: str) -> Tensor:
        return self.encoder[domain](x)  # mu (B, 2 width, H/2, W/2)

    def decode(self, z: Tensor, domain: str) -> Tensor:
        return self.decoder[domain](z)  # (B, C_domain, H, W) in [-1, 1]

    def translate(self, x: Tensor, src: str, dst: str, noise: Tensor | None = None) -> Tensor:
        """G_dst(mu(x) + noise): with noise None the mean latent (deterministic)."""
        mu = self.encode(x, src)
        return self.decode(mu if noise is None else mu + noise, dst)

    def forward(self, x: Tensor) -> Tensor:
        return self.translate(x, "A", "B")


def unit_kl(mu: Tensor) -> Tensor:
    """KL(N(mu, I) || N(0, I)) = ||mu||^2 / 2, per latent dimension: mean of mu^2 / 2 over all
    entries of mu (B, ...). (UNIT's encoder has unit variance, so this is exact.)"""
    return 0.5 * mu.square().mean()


def _l1(x: Tensor, y: Tensor) -> Tensor:
    return (x - y).abs().mean()  # E |x - y|, per pixel


@dataclass
class UNITConfig:
    """UNIT options; the data x is (domain A channels, domain B channels) along C."""

    channels_a: int = opt(1, "channels of domain A; the rest of x is domain B")
    width: int = opt(8, "channels of the first conv (the latent has 2 x width)")
    d_layers: int = opt(2, "PatchGAN stride-2 layers (D_A and D_B)")
    recon: float = opt(10.0, "weight of the L1 reconstruction within each domain (VAE)")
    kl: float = opt(0.01, "weight of the KL term ||mu||^2 / 2 of the encodings")
    cycle: float = opt(10.0, "weight of the L1 cycle A -> z -> B -> z -> A (and B's)")
    cycle_kl: float = opt(0.01, "weight of the KL term of the re-encoded translations")
    lr: float = opt(1e-4, "both teams, Adam (0.5, 0.999)")


def unit_generator_loss(G: UNITGenerator, a: Tensor, b: Tensor, cfg: UNITConfig,
                        d: Callable[[Tensor, str], Tensor],
                        noise: Callable[[Tensor], Tensor] = torch.randn_like) -> dict[str, Tensor]:
    """UNIT's generator loss (eqs. 3-6) on a batch a of domain A and b of domain B.

    z_a = mu_a + eps, z_b = mu_b + eps (eps = noise(mu)); adv: g(D_B(G_B(z_a))) + g(D_A(G_A(z_b)));
    recon: |G_A(z_a) - a| + |G_B(z_b) - b|; kl: kl(mu_a) + kl(mu_b); the cycle re-encodes the
    translations, z_ab = E_B(G_B(z_a)) + eps: |G_A(z_ab) - a| + |G_B(z_ba) - b| and its KL.
    Also returns the translations (detached) for the D phase."""
    mu_a, mu_b = G.encode(a, "A"), G.encode(b, "B")  # (B, 2w, h, w)
    z_a, z_b = mu_a + noise(mu_a), mu_b + noise(mu_b)
    ab, ba = G.decode(z_a, "B"), G.decode(z_b, "A")  # the translations
    recon = _l1(G.decode(z_a, "A"), a) + _l1(G.decode(z_b, "B"), b)
    mu_ab, mu_ba = G.encode(ab, "B"), G.encode(ba, "A")
    cyc = _l1(G.decode(mu_ab + noise(mu_ab), "A"), a) + _l1(G.decode(mu_ba + noise(mu_ba), "B"), b)
    adv = losses.g_least_squares_01(d(ab, "D_B")) + losses.g_least_squares_01(d(ba, "D_A"))
    kl, cyc_kl = unit_kl(mu_a) + unit_kl(mu_b), unit_kl(mu_ab) + unit_kl(mu_ba)
    loss = adv + cfg.recon * recon + cfg.kl * kl + cfg.cycle * cyc + cfg.cycle_kl * cyc_kl
    return {"loss": loss, "adv": adv.detach(), "recon": recon.detach(), "kl": kl.detach(),
            "cycle": cyc.detach(), "cycle_kl": cyc_kl.detach(),
            "fake_a": ba.detach(), "fake_b": ab.detach()}


def _d_phase(c_a: int, fresh: Callable[[Step, Tensor, Tensor], tuple[Tensor, Tensor]],
             latest: dict[str, Tensor]) -> Callable[[Step], dict[str, Tensor]]:
    """The D phase of both games: LSGAN on real a vs the latest fake a (D_A), the same for B."""

    def d_phase(ctx: Step) -> dict[str, Tensor]:
        a, b = split_pair(ctx.real, c_a)
        if "fake_a" not in latest:  # a D phase before any G phase (a resumed run): fresh fakes
            with torch.no_grad():
                latest["fake_a"], latest["fake_b"] = fresh(ctx, a, b)
        la = losses.d_least_squares_01(ctx.d(a, net="D_A"), ctx.d(latest["fake_a"], net="D_A"))
        lb = losses.d_least_squares_01(ctx.d(b, net="D_B"), ctx.d(latest["fake_b"], net="D_B"))
        return {"loss": 0.5 * (la + lb), "D_A": la.detach(), "D_B": lb.detach()}

    return d_phase


def _no_sampling(nets, z, labels):
    raise ValueError("UNIT and MUNIT map images to images: call e.g. game.nets['G'].translate(x, "
                     "'A', 'B') or unit.munit_translate(game.nets, x, 'A', 'B', style)")


def _channels(c_a: int, shape: tuple[int, ...]) -> int:
    c_b = shape[0] - c_a
    if c_b < 1:
        raise ValueError(f"data has {shape[0]} channels; channels_a={c_a} leaves no domain B")
    return c_b


def _build_unit(name: str, cfg: UNITConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    c_a = cfg.channels_a
    c_b = _channels(c_a, shape)
    nets_ = {"G": UNITGenerator(c_a, c_b, cfg.width), "D_A": PatchGAN(c_a, cfg.width, cfg.d_layers),
             "D_B": PatchGAN(c_b, cfg.width, cfg.d_layers)}
    state: dict[str, Tensor] = {}  # the G phase's latest fakes, for the D phase (checkpointed)

    def g_phase(ctx: Step) -> dict[str, Tensor]:
        a, b = split_pair(ctx.real, c_a)
        out = unit_generator_loss(ctx.nets["G"], a, b, cfg, lambda x, n: ctx.d(x, net=n))
        state["fake_a"], state["fake_b"] = out.pop("fake_a"), out.pop("fake_b")
        return out

    def fresh(ctx: Step, a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
        G = ctx.nets["G"]
        return G.translate(b, "B", "A"), G.translate(a, "A", "B")

    teams = {"G": Team(("G",), cfg.lr), "D": Team(("D_A", "D_B"), cfg.lr)}
    phases = [Phase("G", "G", g_phase), Phase("D", "D", _d_phase(c_a, fresh, state))]
    return Game(name, nets_, teams, phases, nz=1, ema=(), generate=_no_sampling, state=state)


# --- MUNIT -----------------------------------------------------------------------------------


class _AdaINRes(nn.Module):
    """x + (3x3 conv, AdaIN, ReLU, 3x3 conv, AdaIN)(x), the AdaIN parameters from h."""

    def __init__(self, c: int, h_dim: int) -> None:
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(c, c, 3), nn.Conv2d(c, c, 3)
        self.n1, self.n2 = AdaINLayer(c, h_dim), AdaINLayer(c, h_dim)
        self.pad = nn.ReflectionPad2d(1)

    def forward(self, x: Tensor, h: Tensor) -> Tensor:
        y = torch.relu(self.n1(self.c1(self.pad(x)), h))
        return x + self.n2(self.c2(self.pad(y)), h)


class MUNITAutoEncoder(nn.Module):
    """One domain of MUNIT: `content(x)` (B, 2 width, H/2, W/2), `style(x)` (B, style_dim),
    `decode(c, s)` (B, C, H, W) in [-1, 1]; forward(x) reconstructs x from its own codes."""

    def __init__(self, channels: int, width: int = 8, style_dim: int = 8, n_res: int = 2,
                 mlp_dim: int = 32) -> None:
        super().__init__()
        c = 2 * width
        self.content_encoder = nn.Sequential(_conv(channels, width, 7), _conv(width, c, 4, 2), _Res(c))
        self.style_encoder = nn.Sequential(  # no normalisation: it would remove the style
            _conv(channels, width, 7, norm="none"), _conv(width, c, 4, 2, norm="none"),
            _conv(c, c, 4, 2, norm="none"), nn.AdaptiveAvgPool2d(1), nn.Conv2d(c, style_dim, 1))
        self.mlp = nn.Sequential(nn.Linear(style_dim, mlp_dim), nn.ReLU(),
                                 nn.Linear(mlp_dim, mlp_dim), nn.ReLU())
        self.blocks = nn.ModuleList(_AdaINRes(c, mlp_dim) for _ in range(n_res))
        self.out = nn.Sequential(_up(c, width, norm="layer"), _to_image(width, channels))
        self.style_dim = style_dim

    def content(self, x: Tensor) -> Tensor:
        return self.content_encoder(x)  # (B, 2w, H/2, W/2)

    def style(self, x: Tensor) -> Tensor:
        return self.style_encoder(x).flatten(1)  # (B, style_dim)

    def decode(self, c: Tensor, s: Tensor) -> Tensor:
        h = self.mlp(s)  # (B, mlp_dim): every AdaIN's scale and bias are affine maps of h
        for blk in self.blocks:
            c = blk(c, h)
        return self.out(c)

    def forward(self, x: Tensor) -> Tensor:
        return self.decode(self.content(x), self.style(x))


def munit_translate(nets: dict[str, nn.Module], x: Tensor, src: str, dst: str, style: Tensor) -> Tensor:
    """G_dst(content of x in domain src, `style` (B, style_dim) of domain dst)."""
    return nets[f"G_{dst}"].decode(nets[f"G_{src}"].content(x), style)


@dataclass
class MUNITConfig:
    """MUNIT options; the data x is (domain A channels, domain B channels) along C."""

    channels_a: int = opt(1, "channels of domain A; the rest of x is domain B")
    width: int = opt(8, "channels of the first conv (the content code has 2 x width)")
    style_dim: int = opt(8, "numbers in a style code, s ~ N(0, I)")
    n_res: int = opt(2, "AdaIN residual blocks in each decoder")
    mlp_dim: int = opt(32, "hidden width of the MLP from the style code to the AdaIN parameters")
    d_layers: int = opt(2, "PatchGAN stride-2 layers (D_A and D_B)")
    recon: float = opt(10.0, "lambda_x: L1 reconstruction of each image from its own codes")
    content: float = opt(1.0, "lambda_c: L1 reconstruction of the content code from the translation")
    style: float = opt(1.0, "lambda_s: L1 reconstruction of the sampled style from the translation")
    cycle: float = opt(0.0, "weight of the style-augmented cycle A -> B -> A (0: off, as the paper)")
    lr: float = opt(1e-4, "both teams, Adam (0.5, 0.999)")


def munit_generator_loss(nets: dict[str, nn.Module], a: Tensor, b: Tensor, s_a: Tensor, s_b: Tensor,
                         cfg: MUNITConfig, d: Callable[[Tensor, str], Tensor]) -> dict[str, Tensor]:
    """MUNIT's generator loss (eq. 5) on batches a, b and sampled styles s_a, s_b (B, style_dim).

    recon: |G_A(c_a, s(a)) - a| + the same for b; the translations ab = G_B(c_a, s_b) and
    ba = G_A(c_b, s_a); adv: g(D_B(ab)) + g(D_A(ba)); content: |c(ab) - c_a| + |c(ba) - c_b|;
    style: |s(ab) - s_b| + |s(ba) - s_a|; cycle (if cfg.cycle): |G_A(c(ab), s(a)) - a| + b's."""
    GA, GB = nets["G_A"], nets["G_B"]
    c_a, c_b, own_a, own_b = GA.content(a), GB.content(b), GA.style(a), GB.style(b)
    recon = _l1(GA.decode(c_a, own_a), a) + _l1(GB.decode(c_b, own_b), b)
    ab, ba = GB.decode(c_a, s_b), GA.decode(c_b, s_a)  # (B, C, H, W) each
    c_ab, c_ba = GB.content(ab), GA.content(ba)
    content = _l1(c_ab, c_a) + _l1(c_ba, c_b)
    style = _l1(GB.style(ab), s_b) + _l1(GA.style(ba), s_a)
    cyc = a.new_zeros(())
    if cfg.cycle:
        cyc = _l1(GA.decode(c_ab, own_a), a) + _l1(GB.decode(c_ba, own_b), b)
    adv = losses.g_least_squares_01(d(ab, "D_B")) + losses.g_least_squares_01(d(ba, "D_A"))
    loss = adv + cfg.recon * recon + cfg.content * content + cfg.style * style + cfg.cycle * cyc
    return {"loss": loss, "adv": adv.detach(), "recon": recon.detach(), "content": content.detach(),
            "style": style.detach(), "cycle": cyc.detach(), "fake_a": ba.detach(), "fake_b": ab.detach()}


def _build_munit(name: str, cfg: MUNITConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    c_a = cfg.channels_a
    c_b = _channels(c_a, shape)
    ae = dict(width=cfg.width, style_dim=cfg.style_dim, n_res=cfg.n_res, mlp_dim=cfg.mlp_dim)
    nets_ = {"G_A": MUNITAutoEncoder(c_a, **ae), "G_B": MUNITAutoEncoder(c_b, **ae),
             "D_A": PatchGAN(c_a, cfg.width, cfg.d_layers), "D_B": PatchGAN(c_b, cfg.width, cfg.d_layers)}
    state: dict[str, Tensor] = {}

    def g_phase(ctx: Step) -> dict[str, Tensor]:
        a, b = split_pair(ctx.real, c_a)
        s_a, s_b = ctx.z(2 * len(a)).chunk(2)  # s ~ N(0, I), (B, style_dim) each
        out = munit_generator_loss(ctx.nets, a, b, s_a, s_b, cfg, lambda x, n: ctx.d(x, net=n))
        state["fake_a"], state["fake_b"] = out.pop("fake_a"), out.pop("fake_b")
        return out

    def fresh(ctx: Step, a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
        s_a, s_b = ctx.z(2 * len(a)).chunk(2)
        return (munit_translate(ctx.nets, b, "B", "A", s_a), munit_translate(ctx.nets, a, "A", "B", s_b))

    teams = {"G": Team(("G_A", "G_B"), cfg.lr), "D": Team(("D_A", "D_B"), cfg.lr)}
    phases = [Phase("G", "G", g_phase), Phase("D", "D", _d_phase(c_a, fresh, state))]
    return Game(name, nets_, teams, phases, nz=cfg.style_dim, ema=(), generate=_no_sampling, state=state)


# --- the presets' pictures: (rows, cols, C, H, W) --------------------------------------------


def _show_unit(cfg: UNITConfig, nets: dict[str, nn.Module], x: Tensor) -> Tensor:
    a, b = split_pair(x, cfg.channels_a)
    G = nets["G"]
    return columns(a, G.translate(a, "A", "B"), b, G.translate(b, "B", "A"))  # A | A->B | B | B->A


def _show_munit(cfg: MUNITConfig, nets: dict[str, nn.Module], x: Tensor) -> Tensor:
    a, b = split_pair(x, cfg.channels_a)
    g = torch.Generator().manual_seed(0)
    styles = [torch.randn(1, cfg.style_dim, generator=g).to(x).expand(len(x), -1) for _ in range(3)]
    return columns(a, *(munit_translate(nets, a, "A", "B", s) for s in styles), b)  # A | 3 styles | B


_UNPAIRED = dict(data="unpaired", default_data="thin_thick_digits", samples=False)
register("unit", Preset("UNIT: VAE-GAN pair with a shared latent (shared last encoder and first "
                        "decoder layers), L1 + KL + latent cycle + LSGAN", UNITConfig(),
                        builder="unit", show=_show_unit, **_UNPAIRED), _build_unit)
register("munit", Preset("MUNIT: content (instance norm) and style (8 numbers) codes, AdaIN decoder, "
                         "image + content + style reconstruction + LSGAN", MUNITConfig(),
                         builder="munit", show=_show_munit, **_UNPAIRED), _build_munit)
