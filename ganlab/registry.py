"""The variant registry: what every family needs, and nothing that names a family.

A family module (collapse, style, translation, ...) imports this leaf module, declares
its config dataclass and `register`s its presets; `ganlab.variants` imports every family,
so the import graph has no cycle: families -> registry -> (losses, nets, regularizers,
train), and variants -> families.

- `GANConfig`: the options of the single-G, single-D variants, each field with its help
  in `metadata["help"]` (the CLI's `--help` reads it; `opt` writes it).
- `Preset`: one named variant as data: its config, its builder, the kind of data it
  trains on, the embedded data set it trains on by default, whether its game draws
  samples from noise, and which config fields it honours (`build` refuses the others).
- `register`, `build`, `variant_names`, `describe`: the registry itself.
- `gd_teams`, `adversarial_phases`: the D/G teams and the D, R1, G phases of a plain
  adversarial game, shared by the families that play one.
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

__all__ = ["opt", "GANConfig", "Preset", "DATA_KINDS", "PRESETS", "BUILDERS", "register", "build",
           "variant_names", "describe", "honoured", "gd_teams", "adversarial_phases",
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
}


class UnhonouredOptionError(ValueError):
    """An option that the chosen preset's config has, or another variant has, but this preset
    does not honour."""


@dataclass
class GANConfig:
    """Options shared by the single-generator, single-discriminator variants."""

    loss: str = opt("nonsaturating", "a key of ganlab.losses.LOSSES")
    nz: int | None = opt(None, "latent size; None: 2 for points, 64 for images")
    width: int = opt(64, "MLP hidden units, or DCGAN ngf = ndf")
    depth: int = opt(3, "MLP hidden layers (points only)")
    lr_g: float = opt(2e-4, "G's learning rate")
    lr_d: float = opt(2e-4, "D's learning rate (TTUR: larger than lr_g)")
    betas: tuple[float, float] = opt((0.5, 0.999), "Adam betas of both teams")
    optimizer: str = opt("adam", "'adam', 'rmsprop' or 'sgd'")
    n_critic: int = opt(1, "D steps per G step")
    gp: float = opt(0.0, "WGAN-GP weight lambda (0: off)")
    r1: float = opt(0.0, "R1 gamma (0: off)")
    r1_every: int = opt(1, "lazy R1 interval (StyleGAN2 uses 16)")
    clip: float = opt(0.0, "WGAN weight clipping c (0: off)")
    sn: bool = opt(False, "spectral norm in D")
    d_norm: str = opt("batch", "DCGAN D normalisation: 'batch' or 'none'")
    conditional: bool = opt(False, "condition G and D on labels (projection D)")
    conv_bias: bool = opt(True, "DCGAN: biases on G's last conv, D's first conv and head "
                          "(False: as torch's)")


@dataclass
class Preset:
    """A named variant as data."""

    description: str  # one line for `ganlab list`
    config: Any  # a dataclass instance; the fields it honours become the variant's CLI options
    builder: str = "gan"  # key in BUILDERS
    aliases: tuple[str, ...] = field(default_factory=tuple)
    data: str = "points"  # a key of DATA_KINDS: what the game trains on
    default_data: str = "ring"  # the embedded data set `ganlab train` uses without --data
    samples: bool = True  # the game draws samples from noise (False: it maps inputs to outputs)
    ignores: tuple[str, ...] = ()  # config fields this preset's builder does not read
    fixed: tuple[str, ...] = ()  # fields it reads but only at the preset's value (not options)
    train: dict[str, Any] = field(default_factory=dict)  # TrainConfig defaults (e.g. a batch size)
    show: Callable[..., Tensor] | None = None  # (cfg, nets, real batch) -> a picture
    # (rows, cols, C, H, W) of what a game that does not sample does (Game.show)
    prepare: Callable[[Any, int], tuple[Any, dict[str, Any]]] | None = None  # (data set, seed)
    # -> (what the Trainer draws from, build options the data fixes), e.g. a table's encoding

    def __post_init__(self) -> None:
        if self.data not in DATA_KINDS:
            raise ValueError(f"Preset data kind {self.data!r} is not one of {sorted(DATA_KINDS)}")
        names = {f.name for f in fields(self.config)}
        unknown = sorted((set(self.ignores) | set(self.fixed)) - names)
        if unknown:
            raise ValueError(f"Preset names fields {unknown}, which {type(self.config).__name__} "
                             f"lacks")


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


def gd_teams(cfg: GANConfig, g_nets: tuple[str, ...] = ("G",),
             lr_schedule: Callable[[int], float] | None = None) -> dict[str, Team]:
    """The usual two teams: D alone at cfg.lr_d, the generator side (`g_nets`) at cfg.lr_g."""
    return {
        "D": Team(("D",), lr=cfg.lr_d, betas=cfg.betas, optimizer=cfg.optimizer, lr_schedule=lr_schedule),
        "G": Team(g_nets, lr=cfg.lr_g, betas=cfg.betas, optimizer=cfg.optimizer, lr_schedule=lr_schedule),
    }


def adversarial_phases(cfg: GANConfig, conditional: bool) -> list[Phase]:
    """D and G phases for `cfg.loss` with the configured regularisers."""
    d_fn, g_fn, g_needs_real = losses.LOSSES[cfg.loss]

    def labels(ctx: Step, fake: bool) -> tuple[Tensor, ...]:
        if not conditional:
            return ()
        return (ctx.fake_labels(),) if fake else (ctx.labels,)

    def d_phase(ctx: Step) -> dict[str, Tensor]:
        y = labels(ctx, fake=False)  # fakes for D share the real batch's labels
        with torch.no_grad():
            fake = ctx.nets["G"](ctx.z(), *y)  # (B, ...)
        real_s, fake_s = ctx.d(ctx.real, *y), ctx.d(fake, *y)  # (B,)
        loss = d_fn(real_s, fake_s)
        out = {"adv": loss.detach(), "real_score": real_s.mean().detach(),
               "fake_score": fake_s.mean().detach()}
        if cfg.gp:
            gp = regularizers.gradient_penalty(ctx.d, ctx.real, fake, *y, weight=cfg.gp)
            loss, out["gp"] = loss + gp, gp.detach()
        out["loss"] = loss
        return out

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
