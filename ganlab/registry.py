"""The variant registry: what every family needs, and nothing that names a family.

A family module (collapse, style, translation, ...) imports this leaf module, declares
its config dataclass and `register`s its presets; `ganlab.variants` imports every family,
so the import graph has no cycle: families -> registry -> (losses, nets, regularizers,
train), and variants -> families.

- The parts a config is composed of (`LossPart`, `NetPart`, `DepthPart`, `OptimPart`,
  `GPPart`, `R1ClipPart`, `SNPart`, `DNormPart`, `ConvBiasPart`): each a small dataclass
  whose fields carry their help in `metadata["help"]` (the CLI's `--help` reads it; `opt`
  writes it). A family's config lists the parts it honours as bases, plus its own fields.
- `GANConfig`: every part, the options of the plain single-G, single-D variants.
- `Preset`: one named variant as data: its config, its builder, the kind of data it
  trains on, the embedded data set it trains on by default, whether its game draws
  samples from noise, and which config fields it honours (`build` refuses the others).
- `register`, `build`, `variant_names`, `describe`: the registry itself; `stored_options`
  reads a stored game config (a checkpoint's) back into build options.
- `columns`: the picture (rows, cols, C, H, W) a `Preset.show` returns.
- `gd_teams`, `adversarial_phases`: the D/G teams and the D, R1, G phases of a plain
  adversarial game, shared by the families that play one.
- `d_phase_loss` (with `noise_pairs`, `gp_term`, `r1_term`): the one D-phase block (fakes
  under no_grad, D on real and fake, `d_fn`, in-phase penalties, logged scores) that
  `adversarial_phases` and the families with a D of their own build their D phase from.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields, replace
from typing import Any

import torch
from torch import Tensor

from . import losses, regularizers
from .options import opt
from .train import Game, Phase, Step, Team

__all__ = ["opt", "LossPart", "NetPart", "DepthPart", "OptimPart", "GPPart", "R1ClipPart", "SNPart",
           "DNormPart", "ConvBiasPart", "PARTS", "GANConfig", "FLAT_GANCONFIG", "stored_options",
           "columns", "Preset", "DATA_KINDS", "PRESETS", "BUILDERS", "register", "build",
           "variant_names", "describe", "honoured", "gd_teams", "adversarial_phases",
           "d_phase_loss", "noise_pairs", "gp_term", "r1_term",
           "OPTIMIZERS", "UnhonouredOptionError"]

OPTIMIZERS = ("adam", "rmsprop", "sgd")

# the kinds of data a preset trains on, with the item shape its game expects
DATA_KINDS: dict[str, str] = {
    "points": "points (d,): a 1D/2D toy distribution",
    "images": "images (C, H, W)",
    "labelled": "labelled images (C, H, W) with classes y",
    "paired": "paired images: input and target joined along channels (C_a + C_b, H, W)",
    "unpaired": "two unpaired image domains joined along channels (C_a + C_b, H, W)",
    "layouts": "one-hot label maps and pictures joined along channels (L + C, H, W)",
    "sr": "high-resolution crops (C, H, W); the low-resolution input is derived from them",
    "table": "table rows, encoded by the game's TableTransformer",
    "series": "time series (T, C)",
    "audio": "audio clips (1, L)",
    "domains": "labelled source images and unlabelled target images joined along channels (2C, H, W)",
}


class UnhonouredOptionError(ValueError):
    """An option that the chosen preset's config has, or another variant has, but this preset
    does not honour."""


# --- the parts a family's config is composed of -----------------------------------------------
#
# A family's config dataclass lists the parts it honours as bases, plus its own fields; an
# option it does not honour is then not one of its fields. Dataclass fields come in reverse
# base order (the last base's first), so configs list their parts last-to-first to keep
# `loss` and the network's size at the head of `--help`.


@dataclass
class LossPart:
    """The adversarial loss pair (D's and G's) the phases are built from."""

    loss: str = opt("nonsaturating", "a key of ganlab.losses.LOSSES")


@dataclass
class NetPart:
    """The latent and the networks' size."""

    nz: int | None = opt(None, "latent size; None: 2 for points, 64 for images")
    width: int = opt(64, "MLP hidden units, or DCGAN ngf = ndf")


@dataclass
class DepthPart:
    """MLP depth (points and table rows)."""

    depth: int = opt(3, "MLP hidden layers (points only)")


@dataclass
class OptimPart:
    """The D and G teams' optimisers (`gd_teams`) and D steps per G step."""

    lr_g: float = opt(2e-4, "G's learning rate")
    lr_d: float = opt(2e-4, "D's learning rate (TTUR: larger than lr_g)")
    betas: tuple[float, float] = opt((0.5, 0.999), "Adam betas of both teams")
    optimizer: str = opt("adam", "'adam', 'rmsprop' or 'sgd'")
    n_critic: int = opt(1, "D steps per G step")


@dataclass
class GPPart:
    """The gradient penalty in D's phase."""

    gp: float = opt(0.0, "WGAN-GP weight lambda (0: off)")


@dataclass
class R1ClipPart:
    """D's other regularisers in `adversarial_phases`: (lazy) R1 and weight clipping."""

    r1: float = opt(0.0, "R1 gamma (0: off)")
    r1_every: int = opt(1, "lazy R1 interval (StyleGAN2 uses 16)")
    clip: float = opt(0.0, "WGAN weight clipping c (0: off)")


@dataclass
class SNPart:
    """Spectral normalisation of D's layers."""

    sn: bool = opt(False, "spectral norm in D")


@dataclass
class DNormPart:
    """A DCGAN-style D's normalisation layers."""

    d_norm: str = opt("batch", "DCGAN D normalisation: 'batch' or 'none'")


@dataclass
class ConvBiasPart:
    """The biases of ganlab.nets' DCGAN pair."""

    conv_bias: bool = opt(True, "DCGAN: biases on G's last conv, D's first conv and head "
                          "(False: as torch's)")


PARTS = (LossPart, NetPart, DepthPart, OptimPart, GPPart, R1ClipPart, SNPart, DNormPart,
         ConvBiasPart)


@dataclass
class GANConfig(ConvBiasPart, DNormPart, SNPart, R1ClipPart, GPPart, OptimPart, DepthPart,
                NetPart, LossPart):
    """Every part: the options of the plain single-G, single-D variants (gan, wgan, ..., cgan)."""

    conditional: bool = opt(False, "condition G and D on labels (projection D)")


# The flat GANConfig of the ganlab before configs were composed from parts: a checkpoint
# (Game.config) of any variant whose config subclassed it held every one of these fields,
# honoured or not. `stored_options` reads such a config back.
FLAT_GANCONFIG: dict[str, Any] = {
    "loss": "nonsaturating", "nz": None, "width": 64, "depth": 3, "lr_g": 2e-4, "lr_d": 2e-4,
    "betas": (0.5, 0.999), "optimizer": "adam", "n_critic": 1, "gp": 0.0, "r1": 0.0,
    "r1_every": 1, "clip": 0.0, "sn": False, "d_norm": "batch", "conditional": False,
    "conv_bias": True,
}


@dataclass
class Preset:
    """A named variant as data."""

    description: str  # one line for `ganlab list`
    config: Any  # a dataclass instance; the fields it honours become the variant's CLI options
    builder: str = "gan"  # key in BUILDERS
    aliases: tuple[str, ...] = field(default_factory=tuple)
    data: str = "points"  # a key of DATA_KINDS: what the game trains on
    default_data: str = "ring"  # the embedded data set `ganlab train` uses without --data
    also: tuple[str, ...] = ()  # other data kinds its builder takes (gan: MLPs on points, DCGAN
    # on images; ddpm: an MLP or a U-Net noise predictor)
    samples: bool = True  # the game draws samples from noise (False: it maps inputs to outputs)
    ignores: tuple[str, ...] = ()  # config fields this preset's builder does not read (for an
    # exception within a family sharing one config class; a part a family never honours is
    # simply not one of its config's bases)
    fixed: tuple[str, ...] = ()  # fields it reads but only at the preset's value (not options)
    retired: dict[str, Any] = field(default_factory=dict)  # fields an earlier ganlab stored in
    # this preset's checkpoints but that are no longer its options, with the value they always
    # had, where it differs from FLAT_GANCONFIG's (see `stored_options`)
    train: dict[str, Any] = field(default_factory=dict)  # TrainConfig defaults (e.g. a batch size)
    show: Callable[..., Tensor] | None = None  # (cfg, nets, real batch) -> a picture
    # (rows, cols, C, H, W) of what a game that does not sample does (Game.show)
    prepare: Callable[[Any, int], tuple[Any, dict[str, Any]]] | None = None  # (data set, seed)
    # -> (what the Trainer draws from, build options the data fixes), e.g. a table's encoding

    def __post_init__(self) -> None:
        if unknown_kinds := sorted({self.data, *self.also} - set(DATA_KINDS)):
            raise ValueError(f"Preset data kinds {unknown_kinds} are not among {sorted(DATA_KINDS)}")
        if self.data not in DATA_KINDS:
            raise ValueError(f"Preset data kind {self.data!r} is not one of {sorted(DATA_KINDS)}")
        names = {f.name for f in fields(self.config)}
        unknown = sorted((set(self.ignores) | set(self.fixed)) - names)
        if unknown:
            raise ValueError(f"Preset names fields {unknown}, which {type(self.config).__name__} "
                             f"lacks")
        current = sorted(set(self.retired) & names)
        if current:
            raise ValueError(f"Preset retires fields {current}, which {type(self.config).__name__} "
                             f"still has")


# builder key -> fn(name, cfg, shape, n_classes) -> Game; families add theirs with register()
BUILDERS: dict[str, Callable[..., Game]] = {}
PRESETS: dict[str, Preset] = {}


def register(name: str, preset: Preset, builder: Callable[..., Game] | None = None) -> None:
    """Add a variant (and its build function, under preset.builder) to the registry."""
    if builder is not None:
        BUILDERS[preset.builder] = builder
    if preset.builder not in BUILDERS:
        raise ValueError(f"variant {name!r}: no builder {preset.builder!r} registered yet")
    PRESETS[name] = preset


def load_builtins() -> None:
    """Make sure every built-in family has registered, whatever the caller imported.

    `ganlab.variants` imports all families and declares their data kinds; it is imported
    here by name, at lookup time, so that this module stays a leaf of the import graph
    while a caller that imported one family (say `ganlab.inference`) still finds every
    variant, with its data kind, by name.
    """
    importlib.import_module("ganlab.variants")


def variant_names() -> list[str]:
    load_builtins()
    return sorted(PRESETS)


def describe() -> dict[str, str]:
    load_builtins()
    return {k: p.description for k, p in sorted(PRESETS.items())}


def honoured(name: str) -> list[str]:
    """The config fields variant `name` reads, in declaration order."""
    load_builtins()
    return honoured_by(PRESETS[name])


def honoured_by(p: Preset) -> list[str]:
    return [f.name for f in fields(p.config) if f.name not in p.ignores and f.name not in p.fixed]


def field_default(f: Any) -> Any:
    if f.default is not MISSING:
        return f.default
    return f.default_factory() if f.default_factory is not MISSING else MISSING


_STORED_SPEC = ("variant", "shape", "n_classes", "data")  # Game.config keys that are not options


def _plain(v: Any) -> Any:
    """Tuples as lists, all the way down (a stored config may have been through JSON)."""
    return [_plain(x) for x in v] if isinstance(v, (list, tuple)) else v


def stored_options(config: dict[str, Any]) -> dict[str, Any]:
    """The build options of a stored game config (`Game.config`: a checkpoint's, a weight file's).

    The preset's honoured options pass (lists as tuples). Any other key is accepted only at the
    value it always had for this preset, and dropped: a field the preset ignores or fixes, or a
    class constant such as `conditional = True`, at the preset's value; a field an earlier
    ganlab stored that is no longer one of the preset's (a config written before configs were
    composed from parts), at `Preset.retired`'s value or else `FLAT_GANCONFIG`'s. Another
    value, or a key this preset never had, is refused (ValueError naming the keys and the
    preset's options).
    """
    load_builtins()
    name = config.get("variant")
    if name not in PRESETS:
        raise ValueError(f"unknown variant {name!r}; valid variants: {', '.join(variant_names())}")
    preset, ok = PRESETS[name], set(honoured(name))
    names = {f.name for f in fields(preset.config)}
    opts, bad = {}, []
    for k, v in config.items():
        if k in _STORED_SPEC:
            continue
        if k in ok:
            opts[k] = tuple(_tuple(x) for x in v) if isinstance(v, list) else v
            continue
        kind = type(preset.config)
        if k in names or (hasattr(kind, k) and not callable(getattr(kind, k))):  # or a ClassVar
            expected = getattr(preset.config, k)
        else:
            expected = preset.retired.get(k, FLAT_GANCONFIG.get(k, MISSING))
        if expected is MISSING:
            bad.append(f"{k}={_plain(v)!r} (a field it never had)")
        elif _plain(v) != _plain(expected):
            bad.append(f"{k}={_plain(v)!r} (not an option: always {_plain(expected)!r})")
    if bad:
        raise ValueError(f"config of variant {name!r} holds {', '.join(bad)}; its options: "
                         f"{', '.join(honoured(name))}")
    return opts


def _tuple(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


def columns(*imgs: Tensor) -> Tensor:
    """Batches of images side by side, for a `Preset.show`: (rows, cols, C, H, W); a grey
    batch is repeated over the channels where another batch has colour."""
    c = max(x.shape[1] for x in imgs)
    return torch.stack([x.expand(-1, c, -1, -1) if x.shape[1] == 1 else x for x in imgs], 1)


def build(name: str, shape: tuple[int, ...], n_classes: int = 0, seed: int | None = 0,
          **overrides: Any) -> Game:
    """Build variant `name` for data items of `shape` ((d,) points or (C, H, W) images).

    The networks' initial weights come from `seed` (drawn in a forked RNG, so the caller's
    random state is untouched); `seed=None` draws them from torch's global RNG instead.
    An option the preset does not honour is refused (UnhonouredOptionError, a ValueError).
    """
    load_builtins()
    if name not in PRESETS:
        raise ValueError(f"unknown variant {name!r}; valid variants: {', '.join(variant_names())}")
    preset = PRESETS[name]
    ok = honoured(name)
    bad = sorted(set(overrides) - set(ok))
    if bad:
        raise UnhonouredOptionError(f"variant {name!r} does not honour {', '.join(bad)}; "
                                    f"its options: {', '.join(ok)}")
    cfg = replace(preset.config, **overrides)
    if "loss" in ok and cfg.loss not in losses.LOSSES:
        raise ValueError(f"unknown loss {cfg.loss!r}; valid: {sorted(losses.LOSSES)}")
    if "optimizer" in ok and cfg.optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {cfg.optimizer!r}")
    conditional = getattr(cfg, "conditional", False)  # the preset's, or the caller's if honoured
    if conditional and n_classes < 2:
        raise ValueError(f"variant {name!r} is conditional and needs labelled data; "
                         f"this data has {n_classes} classes")
    builder = BUILDERS[preset.builder]
    k = n_classes if conditional else 0
    if seed is None:
        game = builder(name, cfg, tuple(shape), k)
    else:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            game = builder(name, cfg, tuple(shape), k)
    game.samples = game.samples and preset.samples
    if preset.show is not None:
        game.show = functools.partial(preset.show, cfg)
    game.config = {"variant": name, "shape": list(shape), "n_classes": n_classes,
                   **{k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(cfg).items()}}
    return game


# --- the teams and phases of a plain adversarial game ----------------------------------------


def gd_teams(cfg: OptimPart, g_nets: tuple[str, ...] = ("G",),
             lr_schedule: Callable[[int], float] | None = None) -> dict[str, Team]:
    """The usual two teams: D alone at cfg.lr_d, the generator side (`g_nets`) at cfg.lr_g."""
    return {
        "D": Team(("D",), lr=cfg.lr_d, betas=cfg.betas, optimizer=cfg.optimizer, lr_schedule=lr_schedule),
        "G": Team(g_nets, lr=cfg.lr_g, betas=cfg.betas, optimizer=cfg.optimizer, lr_schedule=lr_schedule),
    }


# D's inputs for one phase run: (args of D on the real side, args of D on the fake side)
Pairs = tuple[tuple[Tensor, ...], tuple[Tensor, ...]]
Penalty = Callable[[Step, tuple[Tensor, ...], tuple[Tensor, ...]], Tensor]


def noise_pairs(conditional: bool = False) -> Callable[[Step], Pairs]:
    """D's inputs of a plain GAN: (x, *y) against (G(z, *y), *y); with labels, the fakes
    share the real batch's labels y. Unconditional, G runs before the real batch is drawn."""

    def pairs(ctx: Step) -> Pairs:
        y = (ctx.labels,) if conditional else ()
        fake = ctx.nets["G"](ctx.z(), *y)  # (B, ...)
        return (ctx.real, *y), (fake, *y)

    return pairs


def gp_term(weight: float) -> Penalty:
    """WGAN-GP on the interpolates of D's first real and fake inputs (the rest: conditions)."""
    return lambda ctx, real, fake: regularizers.gradient_penalty(ctx.d, real[0], fake[0], *real[1:],
                                                                 weight=weight)


def r1_term(gamma: float) -> Penalty:
    """R1 on D's real inputs, inside the D phase (not lazy: for that, a Phase of its own)."""
    return lambda ctx, real, fake: regularizers.r1_penalty(ctx.d, real[0], *real[1:], gamma=gamma)


def d_phase_loss(d_fn: Callable[[Tensor, Tensor], Tensor],
                 pairs: Callable[[Step], Pairs] | None = None, *,
                 penalties: dict[str, Penalty] | None = None, scale: float = 1.0,
                 score: Callable[..., Tensor] | None = None,
                 joint: bool = False) -> Callable[[Step], dict[str, Tensor]]:
    """The one D phase of the adversarial families: a `Phase.loss` for D's team.

    `pairs(ctx)` makes D's real and fake inputs under no_grad (default: `noise_pairs()`);
    D scores both (`score(ctx, *args)`, default `ctx.d`, real side first; `joint`: one
    pass over real and fake concatenated along the batch, e.g. a recurrent D);
    loss = scale * d_fn(real scores, fake scores) + scale * each of `penalties`
    (name -> fn(ctx, real inputs, fake inputs), e.g. `gp_term`, `r1_term`). Logs `adv`
    (the scaled adversarial loss), `real_score` and `fake_score` (mean logits) and each
    penalty under its name.
    """
    make = pairs or noise_pairs()
    terms = penalties or {}

    def loss_fn(ctx: Step) -> dict[str, Tensor]:
        with torch.no_grad():  # D's phase does not differentiate G (or E)
            real_in, fake_in = make(ctx)
        d = score or (lambda c, *args: c.d(*args))
        if joint:  # one pass over both halves, split after
            n = len(real_in[0])
            both = d(ctx, torch.cat([real_in[0], fake_in[0]]), *real_in[1:])
            real_s, fake_s = both[:n], both[n:]
        else:
            real_s, fake_s = d(ctx, *real_in), d(ctx, *fake_in)  # (B,) or per patch / step
        loss = d_fn(real_s, fake_s)
        loss = loss if scale == 1 else scale * loss
        out = {"adv": loss.detach(), "real_score": real_s.mean().detach(),
               "fake_score": fake_s.mean().detach()}
        for name, term in terms.items():
            pen = term(ctx, real_in, fake_in)
            pen = pen if scale == 1 else scale * pen
            loss, out[name] = loss + pen, pen.detach()
        out["loss"] = loss
        return out

    return loss_fn


def adversarial_phases(cfg: GANConfig, conditional: bool) -> list[Phase]:
    """D and G phases for `cfg.loss` with the configured regularisers."""
    d_fn, g_fn, g_needs_real = losses.LOSSES[cfg.loss]

    def labels(ctx: Step, fake: bool) -> tuple[Tensor, ...]:
        if not conditional:
            return ()
        return (ctx.fake_labels(),) if fake else (ctx.labels,)

    d_phase = d_phase_loss(d_fn, noise_pairs(conditional),
                           penalties={"gp": gp_term(cfg.gp)} if cfg.gp else None)

    def g_phase(ctx: Step) -> dict[str, Tensor]:
        yf = labels(ctx, fake=True)
        fake_s = ctx.d(ctx.nets["G"](ctx.z(), *yf), *yf)  # (B,)
        if g_needs_real:
            with torch.no_grad():
                real_s = ctx.d(ctx.real, *labels(ctx, fake=False))
            return {"loss": g_fn(real_s, fake_s)}
        return {"loss": g_fn(fake_s)}

    after = (lambda ctx: regularizers.clip_weights(ctx.nets["D"], cfg.clip)) if cfg.clip else None
    phases = [Phase("D", "D", d_phase, repeats=cfg.n_critic, after=after)]
    if cfg.r1:
        def r1_phase(ctx: Step) -> dict[str, Tensor]:
            pen = regularizers.r1_penalty(ctx.d, ctx.real, *labels(ctx, False), gamma=cfg.r1)
            return {"loss": pen * ctx.lazy_scale}

        phases.append(Phase("R1", "D", r1_phase, every=cfg.r1_every))
    phases.append(Phase("G", "G", g_phase))
    return phases
