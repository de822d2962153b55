"""Every data set `ganlab train --data` offers, by the kind of data a variant trains on.

`ganlab.data` holds the toys, digits, faces, series, sounds and folders of images;
this module adds the sets the chapters build for the other kinds (paired and
unpaired images, label maps, super-resolution crops, a table) and the folder
layouts for the user's own pairs:

- paired: a folder with `input/` and `target/` holding images of the same file
  names (pix2pix's (A, B) pairs), joined along channels as `ganlab.paired` does;
- unpaired: a folder with `A/` and `B/` (CycleGAN's two domains), the B images
  drawn in a fixed random order, so a row pairs two unrelated images.

`load(name, kind=...)` returns what the Trainer draws from: a Dataset, or a sampler.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from . import anomaly, data, domain, paired, superres
from .data import ArrayDataset

__all__ = ["DATASETS", "load", "kind_of", "paired_folder", "unpaired_folder"]

# name -> (kind, description, loader(size, channels))
_EXTRA: dict[str, tuple[str, str, Any]] = {
    "photo_pairs": ("paired", "pix2pix colourisation: grey crop -> colour crop of the scikit-image "
                    "photos, 1+3 x 32x32", lambda size, ch: paired.photo_pairs(size or 32)),
    "edge_pairs": ("paired", "pix2pix edges -> photo: Sobel edges -> colour crop, 1+3 x 32x32",
                   lambda size, ch: paired.photo_pairs(size or 32, source="edges")),
    "detail_pairs": ("paired", "blurred texture crop -> sharp crop, 1+1 x 32x32",
                     lambda size, ch: paired.detail_pairs(size or 32)),
    "thin_thick_digits": ("unpaired", "CycleGAN's digits: thin strokes (A) and other digits, "
                          "thick (B), 1+1 x 16x16", lambda size, ch: paired.thin_thick_digits(size or 16)),
    "texture_domains": ("unpaired", "tinted grass (A) and gravel (B) patches, 3+3 x 32x32",
                        lambda size, ch: paired.texture_domains(size=size or 32)),
    "layouts": ("layouts", "SPADE: 512 random 4-region label maps (one-hot) + textured pictures, "
                "4+3 x 32x32", lambda size, ch: paired.layouts(size=size or 32)),
    "sr_photos": ("sr", "super-resolution: 32x32 grey HR crops of the photos (LR = 4x average "
                  "pooling)", lambda size, ch: superres.sr_patches(size or 32)),
    "digit_domains": ("domains", "DANN: source digits (labelled) + digits drawn over a texture, "
                      "max(digit, 0.6 texture) (target, unlabelled), 1+1 x 16x16",
                      lambda size, ch: domain.digit_domains(size or 16)),
    "digits_no0": ("labelled", "anomaly detection's normal data: the digits' train split without "
                   "the 0s, 1x16x16", lambda size, ch: anomaly.digits_without(0, size or 16)),
    "wine": ("table", "scikit-learn's wine data: 178 rows, 12 continuous + 2 discrete columns",
             lambda size, ch: data.wine_table()),
}

_KINDS = {"ring": "points", "grid": "points", "two_gaussians_1d": "points", "swiss_roll": "points",
          "two_moons": "points", "digits": "labelled", "digits32": "labelled",
          "stacked_digits": "labelled", "faces": "images", "non_faces": "images",
          "sines": "series", "ar1": "series", "sounds": "audio"}

DATASETS: dict[str, str] = {**{k: v for k, v in data.DATASETS.items() if not k.startswith("<")},
                            **{k: d for k, (_, d, _) in _EXTRA.items()},
                            **{k: v for k, v in data.DATASETS.items() if k.startswith("<")},
                            "<folder>/input + <folder>/target": "your own pairs (same file names) "
                            "for paired variants (pix2pix)",
                            "<folder>/A + <folder>/B": "your own two domains for unpaired variants "
                            "(CycleGAN)"}


def kind_of(name: str) -> str | None:
    """The kind of a named data set ('images' for a folder of images), or None if unknown."""
    if name in _EXTRA:
        return _EXTRA[name][0]
    if name in _KINDS:
        return _KINDS[name]
    p = Path(name)
    if p.is_dir():
        if (p / "input").is_dir() and (p / "target").is_dir():
            return "paired"
        if (p / "A").is_dir() and (p / "B").is_dir():
            return "unpaired"
        return "images"
    return "images" if p.is_file() else None


def _join(a: data.ImageFolder, b: data.ImageFolder, order: torch.Tensor) -> ArrayDataset:
    xa = torch.stack([a[i][0] for i in range(len(a))])  # (N, C_a, H, W)
    xb = torch.stack([b[int(i)][0] for i in order])  # (N, C_b, H, W)
    return ArrayDataset(torch.cat([xa, xb], 1))


def paired_folder(root: str | os.PathLike, size: int = 32, channels: int = 3,
                  strict: bool = False) -> ArrayDataset:
    """`root/input/` and `root/target/` images of the same file names -> x (N, 2C, size, size)."""
    root = Path(root)
    a = data.ImageFolder(root / "input", size, channels, strict_size=strict)
    b = data.ImageFolder(root / "target", size, channels, strict_size=strict)
    names_a = [p.relative_to(root / "input") for p in a.paths]
    names_b = {p.relative_to(root / "target"): i for i, p in enumerate(b.paths)}
    missing = [str(n) for n in names_a if n not in names_b]
    if missing or len(names_a) != len(names_b):
        raise ValueError(f"{root}: input/ and target/ must hold the same file names; "
                         f"{len(missing)} input images have no target (first: {missing[:3]})")
    return _join(a, b, torch.tensor([names_b[n] for n in names_a]))


def unpaired_folder(root: str | os.PathLike, size: int = 32, channels: int = 3,
                    strict: bool = False, seed: int = 0) -> ArrayDataset:
    """`root/A/` and `root/B/` images -> x (N, 2C, size, size), N = len(A), B drawn in a fixed
    random order (with repeats when B is smaller)."""
    root = Path(root)
    a = data.ImageFolder(root / "A", size, channels, strict_size=strict)
    b = data.ImageFolder(root / "B", size, channels, strict_size=strict)
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(max(len(a), len(b)), generator=g)[: len(a)] % len(b)
    return _join(a, b, order)


def load(name: str | os.PathLike, size: int | None = None, channels: int | None = None,
         strict: bool = False, kind: str | None = None):
    """The data set `name` (a key of DATASETS, or a folder or IDX file) for a variant of `kind`."""
    name = str(name)
    if name in _EXTRA:
        return _EXTRA[name][2](size, channels)
    p = Path(name)
    if name not in _KINDS and p.is_dir() and kind in ("paired", "unpaired"):
        sub = ("input", "target") if kind == "paired" else ("A", "B")
        if not all((p / s).is_dir() for s in sub):
            raise ValueError(f"a {kind} variant reads a folder holding {sub[0]}/ and {sub[1]}/; "
                             f"{p} has neither layout")
        fn = paired_folder if kind == "paired" else unpaired_folder
        return fn(p, size or 32, channels or 3, strict)
    return data.load(name, size=size, channels=channels, strict=strict)
