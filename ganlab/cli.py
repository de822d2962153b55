"""The `ganlab` command line: train, sample, eval, list (and exercises).

Flags are built from the dataclasses: `TrainConfig` gives the run's flags and the
chosen variant's config gives the model's, only the fields its preset honours
(`ganlab train --variant X --help` lists them), each with its type from the
annotations (`typing.get_type_hints`), its default, and its help from the field's
`metadata["help"]`. An option of another variant is refused (exit status 2) with
the list of the ones this variant takes. A new field appears on the command line
without editing this file.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["main", "build_parser"]

# TrainConfig fields the CLI sets by hand (with their own flags or from the data)
_RUN_FIELDS_BY_HAND = {"out", "progress"}
# options a resumed run may change (applied and logged); any other difference is refused
_SAFE_TO_CHANGE = {"steps", "device", "amp", "ema_decay", "ckpt_every", "log_every", "sample_every",
                   "check_finite_every", "channels_last", "fused_optimizer", "compile", "cuda_graphs",
                   "lr_g", "lr_d", "betas", "n_critic", "gp", "r1", "r1_every", "clip", "info_weight",
                   "cont_weight", "metrics"}
# the files a run writes into its folder (--overwrite removes these and nothing else)
_RUN_FILES = ("last.pt", "last.tmp", "history.jsonl", "metrics.json", "samples.png", "losses.png")


class CLIError(Exception):
    """A user error: printed without a traceback, exit status 2."""


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _field_help(cls: type, name: str) -> str:
    """A field's `metadata["help"]`, looked up through the dataclass's bases (a subclass may
    override a default without repeating the help)."""
    for klass in cls.__mro__:
        f = getattr(klass, "__dataclass_fields__", {}).get(name)
        if f is not None and f.metadata.get("help"):
            return f.metadata["help"]
    return ""


def _or_none(conv):
    def parse(s: str):
        return None if s.lower() == "none" else conv(s)
    parse.__name__ = getattr(conv, "__name__", "value")
    return parse


def _argument(hint: Any) -> dict[str, Any] | None:
    """argparse keywords for a field of type `hint`, or None when the type has no flag form."""
    import types
    import typing

    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        inner = _argument(rest[0]) if len(rest) == 1 else None
        if inner is None or "type" not in inner:
            return None
        return {**inner, "type": _or_none(inner["type"]), "metavar": hint_name(rest[0]) + "|none"}
    if hint is bool:
        return {"action": argparse.BooleanOptionalAction}
    if hint in (int, float, str):
        return {"type": hint, "metavar": hint.__name__}
    if typing.get_origin(hint) is tuple and args and Ellipsis not in args \
            and all(a in (int, float, str) for a in args) and len(set(args)) == 1:
        return {"type": args[0], "nargs": len(args), "metavar": args[0].__name__}
    return None


def hint_name(hint: Any) -> str:
    return getattr(hint, "__name__", str(hint))


def config_flags(cls: type, names: list[str] | None = None) -> list[tuple[str, dict[str, Any]]]:
    """(field name, argparse keywords) for the fields `names` of dataclass `cls` (all if None)
    that have a flag form: bool, int, float, str, an optional one, or a tuple of one of them."""
    import typing

    from .registry import field_default

    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        if names is not None and f.name not in names:
            continue
        kw = _argument(hints[f.name])
        if kw is None:
            continue
        default = field_default(f)
        kw["help"] = f"{_field_help(cls, f.name)} (default: {default})".replace("%", "%%")
        out.append((f.name, kw))
    return out


def _add_dataclass_flags(p, cls: type, skip: set[str] = frozenset(), title: str | None = None,
                         group=None, names: list[str] | None = None) -> None:
    group = group or (p.add_argument_group(title) if title else p)
    for name, kw in config_flags(cls, names):
        if name not in skip:
            group.add_argument(_flag(name), default=None, **kw)  # None: not given


def _variant_of(argv: list[str] | None) -> str:
    """The variant a `train` command line names (--variant X or --variant=X); with --resume and
    no --variant, the checkpoint's in --out; else gan."""
    argv = list(sys.argv[1:] if argv is None else argv)
    for i, tok in enumerate(argv):
        if tok == "--variant" and i + 1 < len(argv):
            return argv[i + 1]
        if tok.startswith("--variant="):
            return tok.split("=", 1)[1]
    if "--resume" in argv and "--out" in argv and argv.index("--out") + 1 < len(argv):
        try:
            from .train import load_checkpoint

            ck = load_checkpoint(Path(argv[argv.index("--out") + 1]) / "last.pt")
            return ck["game_config"]["variant"]
        except Exception:  # noqa: BLE001 (the train command reports an unreadable checkpoint)
            return "gan"
    return "gan"


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; `train`'s model options are those of the variant `argv` names (gan if none)."""
    from .train import TrainConfig
    from .variants import PRESETS, honoured

    p = argparse.ArgumentParser(prog="ganlab", description="Train, sample and evaluate GANs.")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a variant on a dataset or a folder of images")
    t.add_argument("--variant", default=None, help="a variant name (see `ganlab list`; default: "
                   "gan, or the checkpoint's with --resume)")
    t.add_argument("--data", default=None, help="a dataset name (see `ganlab list`) or a folder; "
                   "a folder with input/ + target/ (paired) or A/ + B/ (unpaired) for translation "
                   "variants (default: the variant's embedded data set, or the checkpoint's)")
    t.add_argument("--size", type=int, default=None, help="image size for image data")
    t.add_argument("--channels", type=int, default=None, help="1 (grey) or 3 (RGB) for folders")
    t.add_argument("--strict-images", action="store_true", help="refuse folder images that cannot "
                   "be read, or whose size or channels differ from --size/--channels, instead of "
                   "skipping, resizing or converting them")
    t.add_argument("--out", default=None, help="run folder (default: runs/<variant>-<data>)")
    t.add_argument("--resume", action="store_true", help="continue from <out>/last.pt; options left "
                   "out are the checkpoint's, learning rates and other safe ones may change")
    t.add_argument("--overwrite", action="store_true", help="replace the run in --out (its "
                   "checkpoint, history, metrics and plots) instead of refusing")
    t.add_argument("--metrics", default=None, help="comma-separated metrics at the end "
                   "(default: modes for mixtures, fid,kid for digits)")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_dataclass_flags(t, TrainConfig, skip=_RUN_FIELDS_BY_HAND, title="run")
    variant = _variant_of(argv)
    if variant in PRESETS:
        preset = PRESETS[variant]
        model = t.add_argument_group(f"model options of {variant} (defaults: its preset's; "
                                     f"data: {preset.data}, default --data {preset.default_data})")
        run_names = {f.name for f in dataclasses.fields(TrainConfig)}
        for name, kw in config_flags(type(preset.config), honoured(variant)):
            if name not in run_names:
                kw["help"] = f"{_field_help(type(preset.config), name)} (default: " \
                             f"{getattr(preset.config, name)})".replace("%", "%%")
                model.add_argument(_flag(name), default=None, **kw)

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

    b = sub.add_parser("book", help="build the course website from the chapters (in a clone of the "
                       "repository): executed copies reused when current, stale chapters executed")
    b.add_argument("--jobs", type=int, default=2, help="chapters executed at a time (default: 2)")
    b.add_argument("--no-execute", action="store_true",
                   help="leave stale chapters to jupyter-book (not kept for the next build)")
    return p


# --- data and games ------------------------------------------------------------------------


def _load_data(name: str, size: int | None, channels: int | None, strict: bool = False,
               kind: str | None = None):
    from . import catalog

    try:
        return catalog.load(name, size=size, channels=channels, strict=strict, kind=kind)
    except (ValueError, FileNotFoundError, NotADirectoryError) as err:
        raise CLIError(str(err)) from None


# the data kinds a preset of each kind can train on (a folder of images is "images")
_FITS = {"points": {"points"}, "images": {"images", "labelled"}, "labelled": {"labelled"},
         "sr": {"sr", "images", "labelled"}}


def _check_data_kind(variant: str, data_name: str) -> None:
    from . import catalog, variants

    preset = variants.PRESETS[variant]
    kind = catalog.kind_of(data_name)
    fits = set().union(*(_FITS.get(k, {k}) for k in (preset.data, *preset.also)))
    if kind is not None and kind not in fits:
        raise CLIError(f"variant {variant!r} trains on {catalog_kind(preset.data)}; --data "
                       f"{data_name} is {catalog_kind(kind)} (default for it: --data "
                       f"{preset.default_data})")


def catalog_kind(kind: str) -> str:
    from .registry import DATA_KINDS

    return DATA_KINDS.get(kind, kind)


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
    """Rebuild a checkpoint's game from its stored config (`registry.stored_options`: a field an
    earlier ganlab stored is accepted at the value it always had, anything else is refused)."""
    from . import registry, variants

    preset = variants.PRESETS.get(cfg["variant"])
    if preset is None:
        raise CLIError(f"checkpoint variant {cfg['variant']!r} is unknown to this ganlab")
    try:
        opts = registry.stored_options(cfg)
    except ValueError as err:
        raise CLIError(f"the checkpoint's {err}") from None
    game = variants.build(cfg["variant"], tuple(cfg["shape"]), cfg["n_classes"], seed=None, **opts)
    game.config["data"] = cfg.get("data")
    return game


# --- commands --------------------------------------------------------------------------------


def _cmd_train(a: argparse.Namespace) -> int:
    from . import variants
    from .train import NonFiniteLossError, TrainConfig, Trainer

    if a.variant is not None and a.variant not in variants.PRESETS:
        raise CLIError(f"unknown variant {a.variant!r}; valid: {', '.join(variants.variant_names())}")
    default = variants.PRESETS[a.variant or "gan"].default_data
    out = Path(a.out or f"runs/{a.variant or 'gan'}-{Path(str(a.data or default)).name}")
    _check_run_folder(out, a)
    ck = _checkpoint_or_error(out / "last.pt") if a.resume else None
    spec, opts, run, notes = _settings(a, ck)
    if spec["variant"] not in variants.PRESETS:
        raise CLIError(f"unknown variant {spec['variant']!r}; valid: "
                       f"{', '.join(variants.variant_names())}")
    preset = variants.PRESETS[spec["variant"]]
    _check_data_kind(spec["variant"], spec["data"])
    if run["steps"] < 0:
        raise CLIError(f"--steps must be >= 0, got {run['steps']}")
    if ck is not None and ck["step"] >= run["steps"]:
        done = "is complete at" if ck["step"] == run["steps"] else "is already past --steps, at"
        raise CLIError(f"the run in {out} {done} step {ck['step']}: pass --steps larger than "
                       f"{ck['step']} to train further")
    ds = _load_data(spec["data"], spec["size"], spec["channels"], a.strict_images, preset.data)
    if preset.prepare is not None:  # e.g. a table's encoding, which fixes build options
        ds, fixed = preset.prepare(ds, run["seed"])
        opts.update(fixed)
    opts.update(_split_from_data(spec, preset, ds, opts))
    shape, n_classes = _data_spec(ds)
    if not preset.samples and a.metrics:
        raise CLIError(f"variant {spec['variant']!r} maps inputs to outputs and draws no samples "
                       f"from noise: metrics of samples do not apply (leave out --metrics)")
    names = ([] if not preset.samples else _default_metrics(ds)) if a.metrics is None \
        else _split(a.metrics)
    _check_metrics(names, ds)  # before training, not after it
    try:
        game = variants.build(spec["variant"], shape, n_classes, seed=run["seed"], **opts)
        cfg = TrainConfig(**run, out=str(out), progress=not a.no_progress)
    except (ValueError, TypeError) as err:
        raise CLIError(str(err)) from None
    game.config["data"] = {"name": spec["data"], "size": spec["size"], "channels": spec["channels"]}
    with _distributed(cfg.device) as rank:
        if a.overwrite and rank == 0:
            _remove_run_files(out)
        try:
            trainer = Trainer(game, ds, cfg)
            resumed = a.resume and trainer.resume()
        except ValueError as err:  # fewer items than one batch, a mismatched checkpoint
            raise CLIError(str(err)) from None
        if resumed and rank == 0:
            print(f"resumed {out / 'last.pt'} at step {trainer.step}")
            for line in notes + trainer.resume_notes:
                print(f"  {line}")
        t0 = time.perf_counter()
        try:
            trainer.fit()
        except NonFiniteLossError as err:
            raise CLIError(f"{err} (e.g. ganlab train --out {out} --resume --lr-d <smaller>)") \
                from None
        took = time.perf_counter() - t0
        if rank != 0:
            return 0
        results = (_evaluate(names, ds, trainer.sample(2000, seed=cfg.seed)) if names else {})
    results.update(steps=trainer.step, seconds=round(took, 2))
    (out / "metrics.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nrun folder: {out}")
    for f in ("samples.png", "losses.png", "history.jsonl", "metrics.json", "last.pt"):
        if (out / f).exists():
            print(f"  {out / f}")
    print("metrics: " + ", ".join(f"{k}={_fmt(v)}" for k, v in results.items()))
    return 0


def _split_from_data(spec: dict[str, Any], preset, ds, opts: dict[str, Any]) -> dict[str, Any]:
    """For a folder of the user's own pairs (input/ + target/, A/ + B/): the option that says
    where x splits into its two sides, if not given: half the channels."""
    from . import catalog, registry

    if spec["data"] in catalog.DATASETS or preset.data not in ("paired", "unpaired"):
        return {}
    key = next((k for k in ("source_channels", "channels_a") if k in registry.honoured_by(preset)),
               None)
    if key is None or key in opts:
        return {}
    return {key: int(_data_spec(ds)[0][0]) // 2}


def _check_run_folder(out: Path, a: argparse.Namespace) -> None:
    """Refuse, before anything is loaded, a run folder that would mix or lose a run."""
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out {out} is a file, not a folder: choose another --out")
    if a.resume and a.overwrite:
        raise CLIError("--resume continues the run in --out and --overwrite replaces it: pass one")
    held = _run_files(out)
    if a.resume and not (out / "last.pt").is_file():
        has = f" (it holds {', '.join(p.name for p in held)})" if held else ""
        raise CLIError(f"--resume: there is no checkpoint {out / 'last.pt'}{has}; drop --resume "
                       f"to start a new run there, or pass the --out of the run to continue")
    if held and not a.resume and not a.overwrite:
        what = "a checkpoint" if (out / "last.pt").exists() else "another run's files"
        raise CLIError(f"{out} already holds {what} ({', '.join(p.name for p in held[:4])}): pass "
                       f"--resume to continue it, --overwrite to replace it, or choose another --out")


def _run_files(out: Path) -> list[Path]:
    if not out.is_dir():
        return []
    return [out / f for f in _RUN_FILES if (out / f).exists()] + sorted(out.glob("samples_*.png"))


def _remove_run_files(out: Path) -> None:
    for p in _run_files(out):
        p.unlink()


def _checkpoint_or_error(path: Path) -> dict[str, Any]:
    from .train import CheckpointError, load_checkpoint

    try:
        return load_checkpoint(path)
    except (FileNotFoundError, CheckpointError) as err:
        raise CLIError(str(err)) from None


def _data_name(name: str) -> str:
    """A registry name as it is; a folder or file as an absolute path (eval from anywhere)."""
    from . import data

    if name in data.DATASETS or not Path(name).exists():
        return name
    return str(Path(name).resolve())


def _settings(a: argparse.Namespace, ck: dict[str, Any] | None):
    """(spec, model options, run options, notes): the command line's, and for a resumed run the
    checkpoint's where an option is left out. A resumed run may change only _SAFE_TO_CHANGE
    options (each noted); any other difference is refused, all of them listed."""
    from . import variants
    from .train import TrainConfig

    stored = ck["game_config"] if ck else {}
    stored_data = stored.get("data") or {}
    stored_run = ck["train_config"] if ck else {}
    given = {"variant": a.variant, "data": _data_name(a.data) if a.data is not None else None,
             "size": a.size, "channels": a.channels}
    old = {"variant": stored.get("variant"), "data": stored_data.get("name"),
           "size": stored_data.get("size"), "channels": stored_data.get("channels")}
    if old["data"] is not None:
        old["data"] = _data_name(old["data"])
    spec = {k: (v if v is not None else old[k]) for k, v in given.items()}
    spec["variant"] = spec["variant"] or "gan"
    preset = variants.PRESETS.get(spec["variant"])
    spec["data"] = spec["data"] or (preset.default_data if preset else "ring")
    if ck is not None and preset is not None and stored.get("variant") == spec["variant"]:
        from .registry import stored_options

        try:  # a field an earlier ganlab stored: only at the value it always had
            stored_options(stored)
        except ValueError as err:
            raise CLIError(f"--resume: the checkpoint's {err}") from None
    model_fields = variants.honoured(spec["variant"]) if preset else []
    opts = {f: getattr(a, f) for f in model_fields if getattr(a, f, None) is not None}
    opts = {k: tuple(v) if isinstance(v, list) else v for k, v in opts.items()}
    run_fields = [f.name for f in dataclasses.fields(TrainConfig) if f.name not in _RUN_FIELDS_BY_HAND]
    run = {f: getattr(a, f) for f in run_fields if getattr(a, f) is not None}
    run = {k: tuple(v) if isinstance(v, list) else v for k, v in run.items()}
    if ck is None:
        preset_run = preset.train if preset else {}
        return spec, opts, {f: run.get(f, preset_run.get(f, getattr(TrainConfig, f)))
                            for f in run_fields}, []
    world = int(os.environ.get("WORLD_SIZE", "1"))
    global_batch = stored_run["batch"] * ck.get("world", 1)  # --batch is per process
    if run.get("batch", 0) * world == global_batch:
        del run["batch"]
    changed, refused = [], []
    for key, new, before in ([(k, given[k], old[k]) for k in given]
                             + [(k, v, _tuple(stored.get(k))) for k, v in opts.items()]
                             + [(k, v, _tuple(stored_run.get(k))) for k, v in run.items()]):
        if new is None or new == before:
            continue
        (changed if key in _SAFE_TO_CHANGE else refused).append(f"{_flag(key)} {before} -> {new}")
    if refused:
        raise CLIError(f"--resume: this run differs from the checkpoint's in {'; '.join(refused)}. "
                       f"Leave these options out (or as they were) to continue the run, or train a "
                       f"new one into another --out")
    opts = {**{k: _tuple(stored[k]) for k in model_fields if k in stored}, **opts}
    run = {**{k: _tuple(stored_run[k]) for k in run_fields if k in stored_run}, **run}
    if global_batch % world:
        raise CLIError(f"--resume: the checkpoint's global batch of {global_batch} does not split "
                       f"over {world} processes: use a process count that divides it")
    run["batch"] = global_batch // world
    return spec, opts, run, [f"{c} (applied)" for c in changed]


def _tuple(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


@contextlib.contextmanager
def _distributed(device: str):
    """Under torchrun (WORLD_SIZE > 1): a process group (nccl on CUDA, gloo on CPU), destroyed
    on exit or error; yields this process's rank (0 without torchrun)."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        yield 0
        return
    import torch
    import torch.distributed as dist

    cuda = torch.cuda.is_available() and not str(device).startswith(("cpu", "mps"))
    if cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group("nccl" if cuda else "gloo")
    try:
        yield dist.get_rank()
    finally:
        dist.destroy_process_group()


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


def _check_metrics(names: list[str], ds) -> None:
    """Refuse unknown metrics, or metrics this data cannot have, before any work is done."""
    from . import data

    unknown = [n for n in names if n not in metric_names()]
    if unknown:
        raise CLIError(f"unknown metrics {unknown}; valid: {', '.join(sorted(metric_names()))}")
    for name in names:
        if name == "modes":
            if not isinstance(ds, data.Mixture):
                raise CLIError("the 'modes' metric needs a Gaussian-mixture dataset (ring, grid)")
        elif name == "c2st":
            continue  # a fresh critic on raw samples: any data
        elif hasattr(ds, "sample"):
            raise CLIError(f"metric {name!r} compares images; this data set is not images "
                           f"(for it: modes or c2st)")
        elif _extractor_for(ds) is None:
            raise CLIError(f"no shipped feature network for images of shape {_data_spec(ds)[0]}: "
                           f"metrics on features need 1x16x16 (digits) or 1x32x32 (faces); "
                           f"c2st works on any images")


def _real_samples(ds, n: int):
    """Real data to compare with: the images (at most n of a folder) or n draws of a sampler."""
    import torch

    if hasattr(ds, "sample"):
        return ds.sample(n, generator=torch.Generator().manual_seed(0))
    if hasattr(ds, "x"):
        return ds.x
    return torch.stack([ds[i][0] for i in range(min(len(ds), n))])  # (N, C, H, W)


def _evaluate(names: list[str], ds, fake) -> dict[str, Any]:
    """Metrics `names` of generated samples `fake` against the data `ds`."""
    from . import metrics

    _check_metrics(names, ds)
    out: dict[str, Any] = {}
    try:
        for name in names:
            if name == "modes":
                m = metrics.mode_metrics(fake, ds.means, ds.sigma)
                out.update({k: (float(v) if isinstance(v, float) else v) for k, v in m.items()
                            if isinstance(v, (int, float))})
                continue
            ex = None if name == "c2st" else _extractor_for(ds)
            real = _real_samples(ds, len(fake))
            out.update(metrics.evaluate(name, real, fake, ex))
    except ValueError as err:
        raise CLIError(str(err)) from None
    return {k: float(v) if hasattr(v, "item") else v for k, v in out.items()}


def _load_game(ckpt: str, device: str, ema: bool = True):
    from .train import resolve_device

    ck = _checkpoint_or_error(Path(ckpt))  # refuses unreadable files and non-finite weights
    game = game_from_config(ck["game_config"])
    try:
        for n, m in game.nets.items():
            m.load_state_dict(ck["ema"][n] if ema and n in ck["ema"] else ck["nets"][n])
        dev = resolve_device(device)
    except (RuntimeError, KeyError, ValueError) as err:
        raise CLIError(f"{ckpt} does not fit the networks its config describes ({err}); was it "
                       f"written by another ganlab version?") from None
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
    if not game.samples:
        raise CLIError(f"variant {game.name!r} maps inputs to outputs and draws no samples from "
                       f"noise: its run folder's samples.png shows what it does")
    x = sample_game(game, game.nets, a.n, dev, seed=a.seed)
    viz.save_samples(x, out)
    torch.save(x, out.with_suffix(".pt"))
    print(f"wrote {out} and {out.with_suffix('.pt')} ({tuple(x.shape)})")
    return 0


def _cmd_eval(a: argparse.Namespace) -> int:
    from .train import sample_game

    game, dev = _load_game(a.ckpt, a.device)
    if not game.samples:
        raise CLIError(f"variant {game.name!r} maps inputs to outputs: there are no samples to "
                       f"evaluate")
    spec = game.config.get("data") or {}
    if not spec.get("name"):
        raise CLIError("the checkpoint does not record its data set; train it with `ganlab train`")
    names = _split(a.metrics) if a.metrics else None
    if names:
        unknown = [n for n in names if n not in metric_names()]
        if unknown:  # before the data set is loaded
            raise CLIError(f"unknown metrics {unknown}; valid: {', '.join(sorted(metric_names()))}")
    if a.n < 2:
        raise CLIError(f"--n must be >= 2, got {a.n}")
    ds = _load_data(spec["name"], spec.get("size"), spec.get("channels"))
    names = names or _default_metrics(ds)
    if not names:
        raise CLIError("no default metrics for this data: pass --metrics (see `ganlab list`)")
    _check_metrics(names, ds)
    fake = sample_game(game, game.nets, a.n, dev, seed=a.seed)
    results = _evaluate(names, ds, fake)
    print(json.dumps(results, indent=2))
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


def _cmd_list(a: argparse.Namespace) -> int:
    from . import catalog, variants

    print("variants (trains on [kind, default --data]):")
    for k, v in variants.describe().items():
        p = variants.PRESETS[k]
        print(f"  {k:<18} {v} [{p.data}, {p.default_data}]")
    print("datasets:")
    for k, v in catalog.DATASETS.items():
        print(f"  {k:<18} {v}")
    print("metrics:")
    for k, v in metric_names().items():
        print(f"  {k:<18} {v}")
    return 0


def _cmd_exercises(a: argparse.Namespace) -> int:
    from . import exercises

    return exercises.main(a.args)


def _cmd_book(a: argparse.Namespace) -> int:
    """Run book/build.py of the checkout this ganlab comes from (or of the current folder)."""
    import subprocess

    here = Path(__file__).resolve().parent.parent
    script = next((d / "book" / "build.py" for d in (here, Path.cwd()) if (d / "book" / "build.py").exists()),
                  None)
    if script is None:
        raise CLIError("the book is built from a clone of the ganlab repository (book/build.py); "
                       "run `ganlab book` in one, after `bash scripts/setup.sh`")
    argv = ["--jobs", str(a.jobs)] + (["--no-execute"] if a.no_execute else [])
    return subprocess.call([sys.executable, str(script), *argv], cwd=script.parent.parent)


def _refuse_options(extra: list[str], argv: list[str] | None) -> int:
    """`train` got options its variant does not take: one line naming the ones it does."""
    from .variants import PRESETS, honoured

    variant = _variant_of(argv)
    if variant not in PRESETS:
        print(f"ganlab train: error: unknown variant {variant!r}; valid: {', '.join(sorted(PRESETS))}",
              file=sys.stderr)
        return 2
    flags = [t.split("=", 1)[0] for t in extra if t.startswith("--")] or extra
    names = [_flag(n) for n in honoured(variant)]
    print(f"ganlab train: error: variant {variant!r} does not take {', '.join(flags)}; its model "
          f"options: {', '.join(names)} (and the run options in `ganlab train --help`)",
          file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    """Run one command. A user error prints one line `ganlab <cmd>: error: ...` and returns 2;
    Ctrl-C returns 130 and SIGTERM 143, after the training loop saved a checkpoint."""
    parser = build_parser(argv)
    args, extra = parser.parse_known_args(argv)
    if extra:
        if args.command != "train":
            parser.parse_args(argv)  # argparse's own message and exit status 2
        return _refuse_options(extra, argv)
    cmd = {"train": _cmd_train, "sample": _cmd_sample, "eval": _cmd_eval, "list": _cmd_list,
           "exercises": _cmd_exercises, "book": _cmd_book}[args.command]
    from .train import CheckpointError, NonFiniteLossError, TrainingInterrupted

    rank = int(os.environ.get("RANK", "0"))
    who = f"ganlab {args.command}" + (f" [rank {rank}]" if rank else "")
    try:
        return cmd(args)
    except BrokenPipeError:  # `ganlab list | head`: the reader left; not an error of ours
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (Python flushes stdout again at exit)
        return 0
    except (CLIError, CheckpointError, NonFiniteLossError, OSError) as err:
        print(f"{who}: error: {err}", file=sys.stderr)
        return 2
    except TrainingInterrupted as stop:
        import signal

        saved = (f"; checkpoint saved to {stop.path}: continue with --resume"
                 if stop.path is not None else "")
        print(f"{who}: {signal.Signals(stop.signum).name} at step {stop.step}{saved}",
              file=sys.stderr)
        return 128 + stop.signum
    except KeyboardInterrupt:
        print(f"{who}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
