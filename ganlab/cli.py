"""The `ganlab` command line: train, sample, eval, list (and exercises).

Flags are built from the dataclasses: `TrainConfig` gives the run's flags and
the variant configs (`GANConfig`, `InfoGANConfig`) give the model's, so a new
field appears on the command line without editing this file.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["main", "build_parser"]

# TrainConfig fields the CLI sets by hand (with their own flags or from the data)
_RUN_FIELDS_BY_HAND = {"out", "progress"}


class CLIError(Exception):
    """A user error: printed without a traceback, exit status 2."""


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _field_comments(cls: type) -> dict[str, str]:
    """The `# comment` after each field of a dataclass (and its bases): the flags' help."""
    import inspect
    import re

    out: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        try:
            src = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        for m in re.finditer(r"^\s+(\w+):[^#\n]*#\s*(.+)$", src, flags=re.M):
            out[m.group(1)] = m.group(2).strip()
    return out


def _add_dataclass_flags(p, cls: type, skip: set[str] = frozenset(), defaults_none: bool = False,
                         title: str | None = None, group=None) -> None:
    group = group or (p.add_argument_group(title) if title else p)
    comments = _field_comments(cls)
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        default = None if defaults_none else f.default
        t = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        help_ = f"{comments.get(f.name, '')} (default: {f.default})".replace("%", "%%")
        if "bool" in t:
            group.add_argument(_flag(f.name), action=argparse.BooleanOptionalAction, default=default,
                               help=help_)
        elif "tuple" in t:
            group.add_argument(_flag(f.name), type=float, nargs=2, default=default, help=help_)
        elif "int" in t and "float" not in t:
            group.add_argument(_flag(f.name), type=int, default=default, help=help_)
        elif "float" in t:
            group.add_argument(_flag(f.name), type=float, default=default, help=help_)
        else:
            group.add_argument(_flag(f.name), type=str, default=default, help=help_)


def build_parser() -> argparse.ArgumentParser:
    from .train import TrainConfig
    from .variants import PRESETS

    p = argparse.ArgumentParser(prog="ganlab", description="Train, sample and evaluate GANs.")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a variant on a dataset or a folder of images")
    t.add_argument("--variant", default="gan", help="a variant name (see `ganlab list`)")
    t.add_argument("--data", default="ring", help="a dataset name (see `ganlab list`) or a folder")
    t.add_argument("--size", type=int, default=None, help="image size for image data")
    t.add_argument("--channels", type=int, default=None, help="1 (grey) or 3 (RGB) for folders")
    t.add_argument("--strict-images", action="store_true", help="refuse folder images whose size or "
                   "channels differ from --size/--channels instead of resizing/converting them")
    t.add_argument("--out", default=None, help="run folder (default: runs/<variant>-<data>)")
    t.add_argument("--resume", action="store_true", help="continue from <out>/last.pt")
    t.add_argument("--metrics", default=None, help="comma-separated metrics at the end "
                   "(default: modes for mixtures, fid,kid for digits)")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_dataclass_flags(t, TrainConfig, skip=_RUN_FIELDS_BY_HAND, title="run")
    model = t.add_argument_group("model (defaults: the variant's; each applies to the variants that have it)")
    seen = {f.name for f in dataclasses.fields(TrainConfig)}
    for cls in dict.fromkeys(type(p.config) for p in PRESETS.values()):  # every config class once
        _add_dataclass_flags(t, cls, skip=set(seen), defaults_none=True, group=model)
        seen |= {f.name for f in dataclasses.fields(cls)}

    s = sub.add_parser("sample", help="draw samples from a checkpoint")
    s.add_argument("--ckpt", required=True)
    s.add_argument("--n", type=int, default=64)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", required=True, help="PNG file; the raw samples go beside it as .pt")
    s.add_argument("--no-ema", action="store_true", help="use the raw generator, not its EMA")
    s.add_argument("--device", default="auto")

    e = sub.add_parser("eval", help="evaluate a checkpoint with metrics")
    e.add_argument("--ckpt", required=True)
    e.add_argument("--metrics", default=None, help="comma-separated names (see `ganlab list`)")
    e.add_argument("--n", type=int, default=2000, help="generated samples")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--device", default="auto")
    e.add_argument("--json", default=None, help="also write the results to this JSON file")

    sub.add_parser("list", help="variants, datasets and metrics, one line each")

    x = sub.add_parser("exercises", help="generate or check exercises/ and solutions/")
    x.add_argument("args", nargs=argparse.REMAINDER)
    return p


# --- data and games ------------------------------------------------------------------------


def _load_data(name: str, size: int | None, channels: int | None, strict: bool = False):
    from . import data

    try:
        return data.load(name, size=size, channels=channels, strict=strict)
    except (ValueError, FileNotFoundError, NotADirectoryError) as err:
        raise CLIError(str(err)) from None


def _data_spec(ds) -> tuple[tuple[int, ...], int]:
    """(item shape, number of classes) of a dataset or sampler."""
    if hasattr(ds, "sample"):
        x = ds.sample(2)
        return tuple(x.shape[1:]), 0
    x, _ = ds[0]
    y = getattr(ds, "y", None)
    n_classes = int(y.max()) + 1 if y is not None and (y >= 0).any() else 0
    return tuple(x.shape), n_classes


def game_from_config(cfg: dict[str, Any]):
    """Rebuild a checkpoint's game from its stored config."""
    from . import variants

    opts = {k: (tuple(v) if isinstance(v, list) else v) for k, v in cfg.items()
            if k not in ("variant", "shape", "n_classes", "data")}
    preset = variants.PRESETS.get(cfg["variant"])
    if preset is None:
        raise CLIError(f"checkpoint variant {cfg['variant']!r} is unknown to this ganlab")
    valid = {f.name for f in dataclasses.fields(preset.config)}
    opts = {k: v for k, v in opts.items() if k in valid}
    game = variants.build(cfg["variant"], tuple(cfg["shape"]), cfg["n_classes"], seed=None, **opts)
    game.config["data"] = cfg.get("data")
    return game


# --- commands --------------------------------------------------------------------------------


def _cmd_train(a: argparse.Namespace) -> int:
    from . import variants
    from .train import TrainConfig, Trainer

    if a.variant not in variants.PRESETS:
        raise CLIError(f"unknown variant {a.variant!r}; valid: {', '.join(variants.variant_names())}")
    if a.steps < 0:
        raise CLIError(f"--steps must be >= 0, got {a.steps}")
    ds = _load_data(a.data, a.size, a.channels, a.strict_images)
    shape, n_classes = _data_spec(ds)
    preset_fields = {f.name for f in dataclasses.fields(variants.PRESETS[a.variant].config)}
    opts = {f: getattr(a, f) for f in preset_fields if getattr(a, f, None) is not None}
    opts = {k: tuple(v) if isinstance(v, list) else v for k, v in opts.items()}
    try:
        game = variants.build(a.variant, shape, n_classes, seed=a.seed, **opts)
        run_fields = {f.name for f in dataclasses.fields(TrainConfig)} - _RUN_FIELDS_BY_HAND
        out = Path(a.out or f"runs/{a.variant}-{Path(str(a.data)).name}")
        cfg = TrainConfig(**{f: getattr(a, f) for f in run_fields}, out=str(out),
                          progress=not a.no_progress)
    except (ValueError, TypeError) as err:
        raise CLIError(str(err)) from None
    game.config["data"] = {"name": str(a.data), "size": a.size, "channels": a.channels}
    if (out / "last.pt").exists() and not a.resume:
        raise CLIError(f"{out} already holds a checkpoint: pass --resume to continue it, "
                       f"or choose another --out")
    trainer = Trainer(game, ds, cfg)
    if a.resume and trainer.resume():
        print(f"resumed {out / 'last.pt'} at step {trainer.step}")
    t0 = time.perf_counter()
    trainer.fit()
    took = time.perf_counter() - t0
    names = _default_metrics(ds) if a.metrics is None else _split(a.metrics)
    results = _evaluate(names, ds, trainer.sample(2000, seed=a.seed)) if names else {}
    results.update(steps=trainer.step, seconds=round(took, 2))
    (out / "metrics.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nrun folder: {out}")
    for f in ("samples.png", "losses.png", "history.jsonl", "metrics.json", "last.pt"):
        print(f"  {out / f}")
    print("metrics: " + ", ".join(f"{k}={_fmt(v)}" for k, v in results.items()))
    return 0


def _fmt(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _split(s: str) -> list[str]:
    return [m.strip() for m in s.split(",") if m.strip()]


def _default_metrics(ds) -> list[str]:
    from . import data

    if isinstance(ds, data.Mixture) and ds.dim == 2:
        return ["modes"]
    if _extractor_for(ds) is not None:
        return ["fid", "kid"]
    return []


def _extractor_for(ds):
    """The shipped feature network matching the data's images, or None."""
    from . import features

    shape = tuple(ds.x.shape[1:]) if hasattr(ds, "x") else None
    if shape == (1, 16, 16):
        return features.load_digits_net()
    if shape == (1, 32, 32):
        return features.load_faces_net()
    return None


def metric_names() -> dict[str, str]:
    """Metric names the CLI accepts, with one line each."""
    from . import metrics

    names = {k: m.description for k, m in metrics.REGISTRY.items()}
    names["modes"] = "2D mixtures: modes captured, % high-quality samples, reverse KL"
    return names


def _evaluate(names: list[str], ds, fake) -> dict[str, Any]:
    """Metrics `names` of generated samples `fake` against the data `ds`."""
    from . import data, metrics

    unknown = [n for n in names if n not in metric_names()]
    if unknown:
        raise CLIError(f"unknown metrics {unknown}; valid: {', '.join(sorted(metric_names()))}")
    out: dict[str, Any] = {}
    try:
        for name in names:
            if name == "modes":
                if not isinstance(ds, data.Mixture):
                    raise CLIError("the 'modes' metric needs a Gaussian-mixture dataset (ring, grid)")
                m = metrics.mode_metrics(fake, ds.means, ds.sigma)
                out.update({k: (float(v) if isinstance(v, float) else v) for k, v in m.items()
                            if isinstance(v, (int, float))})
                continue
            if not hasattr(ds, "x"):
                raise CLIError(f"metric {name!r} compares images; this data set is not images")
            ex = _extractor_for(ds)
            if ex is None:
                raise CLIError(f"no shipped feature network for images of shape "
                               f"{tuple(ds.x.shape[1:])}: metrics on features need 1x16x16 "
                               f"(digits) or 1x32x32 (faces)")
            out.update(metrics.evaluate(name, ds.x, fake, ex))
    except ValueError as err:
        raise CLIError(str(err)) from None
    return {k: float(v) if hasattr(v, "item") else v for k, v in out.items()}


def _load_game(ckpt: str, device: str, ema: bool = True):
    from .train import CheckpointMismatchError, load_checkpoint, resolve_device

    try:
        ck = load_checkpoint(ckpt)
    except (FileNotFoundError, CheckpointMismatchError) as err:
        raise CLIError(str(err)) from None
    game = game_from_config(ck["game_config"])
    for n, m in game.nets.items():
        m.load_state_dict(ck["ema"][n] if ema and n in ck["ema"] else ck["nets"][n])
    dev = resolve_device(device)
    for m in game.nets.values():
        m.to(dev)
    return game, dev


def _cmd_sample(a: argparse.Namespace) -> int:
    import torch

    from . import viz
    from .train import sample_game

    if a.n < 1:
        raise CLIError(f"--n must be >= 1, got {a.n}")
    out = Path(a.out)
    if out.suffix.lower() != ".png":
        raise CLIError(f"--out must be a .png file, got {out}")
    game, dev = _load_game(a.ckpt, a.device, ema=not a.no_ema)
    x = sample_game(game, game.nets, a.n, dev, seed=a.seed)
    viz.save_samples(x, out)
    torch.save(x, out.with_suffix(".pt"))
    print(f"wrote {out} and {out.with_suffix('.pt')} ({tuple(x.shape)})")
    return 0


def _cmd_eval(a: argparse.Namespace) -> int:
    from .train import sample_game

    game, dev = _load_game(a.ckpt, a.device)
    spec = game.config.get("data") or {}
    if not spec.get("name"):
        raise CLIError("the checkpoint does not record its data set; train it with `ganlab train`")
    ds = _load_data(spec["name"], spec.get("size"), spec.get("channels"))
    names = _split(a.metrics) if a.metrics else _default_metrics(ds)
    if not names:
        raise CLIError("no default metrics for this data: pass --metrics (see `ganlab list`)")
    fake = sample_game(game, game.nets, a.n, dev, seed=a.seed)
    results = _evaluate(names, ds, fake)
    print(json.dumps(results, indent=2))
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


def _cmd_list(a: argparse.Namespace) -> int:
    from . import data, variants

    print("variants:")
    for k, v in variants.describe().items():
        print(f"  {k:<18} {v}")
    print("datasets:")
    for k, v in data.DATASETS.items():
        print(f"  {k:<18} {v}")
    print("metrics:")
    for k, v in metric_names().items():
        print(f"  {k:<18} {v}")
    return 0


def _cmd_exercises(a: argparse.Namespace) -> int:
    from . import exercises

    return exercises.main(a.args)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    cmd = {"train": _cmd_train, "sample": _cmd_sample, "eval": _cmd_eval, "list": _cmd_list,
           "exercises": _cmd_exercises}[args.command]
    try:
        return cmd(args)
    except CLIError as err:
        print(f"ganlab {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
