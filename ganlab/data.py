"""Data that ships with ganlab, and loaders for data on the user's disk.

Nothing here downloads anything. Every image tensor is float32 ``(C, H, W)`` (or
``(N, C, H, W)``) in [-1, 1]; every 2D toy sample is ``(n, 2)``.

Sources
- Toy mixtures: the ring of 8 Gaussians (radius 1, sigma 0.01) and the grid of 25
  ({-4, -2, 0, 2, 4}^2, sigma 0.05) follow the protocol of VEEGAN (Srivastava et al.,
  NeurIPS 2017, Sec. 5.1) as reused by PacGAN (Lin et al., NeurIPS 2018, Sec. 5.1).
  The papers' own code differs in details (the grid's sigma, the ring's radius); we
  take the values stated in ganlab's course map.
- Swiss roll and two moons follow scikit-learn's ``make_swiss_roll`` / ``make_moons``
  curves, re-implemented in torch so that a ``torch.Generator`` controls them.
  Deviations: the swiss roll keeps only the plane (x, z), is scaled by 1/(3 pi) so it lies
  in about [-1.5, 1.5]^2; the moons take random (not evenly spaced) angles and are
  centred at the origin.
- Digits: scikit-learn ``load_digits`` (1,797 8x8 images, values 0..16, UCI optical
  recognition of handwritten digits), upsampled bilinearly.
- Stacked digits: three digits as R, G, B channels, 1,000 modes (the "stacked MNIST"
  protocol of VEEGAN / PacGAN, built from the small digits instead of MNIST).
- Faces: scikit-image ``data.lfw_subset()`` (200 images 25x25; by its docstring the
  first 100 are faces and the last 100 non-faces, cropped from LFW backgrounds).
- Photos and textures: scikit-image ``data`` (astronaut, coffee, chelsea, rocket;
  grass, gravel, brick).
- MNIST IDX files: the format described at http://yann.lecun.com/exdb/mnist/ .
- Wine table: scikit-learn ``load_wine`` (178 wines, 13 measurements, 3 cultivars, UCI),
  with magnesium replaced by a derived discrete column (its terciles) for chapter 12.
- Time series (sines with random amplitude, frequency and phase; stationary AR(1)) and
  sounds (tones, linear chirps, Karplus-Strong plucked strings, Karplus & Strong 1983,
  "Digital Synthesis of Plucked-String and Drum Timbres") are generated here, seeded.
"""

from __future__ import annotations

import functools
import gzip
import logging
import math
import os
import re
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import Dataset

__all__ = [
    "Mixture", "ring", "grid", "two_gaussians_1d",
    "Sampler", "swiss_roll", "two_moons", "SWISS_ROLL", "TWO_MOONS",
    "ArrayDataset", "digits", "stacked_digits", "faces", "non_faces",
    "PHOTOS", "TEXTURES", "photo", "texture",
    "ImageFolder", "IMAGE_EXTENSIONS", "read_idx", "mnist_idx",
    "Table", "wine_table", "sines", "ar1", "SeriesSampler", "SINES", "AR1",
    "SOUND_KINDS", "karplus_strong", "sounds",
    "DATASETS", "load",
]

SPLITS = ("all", "train", "test")
DIGIT_SIZES = (8, 16, 32, 64)
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")
TEXTURES = ("grass", "gravel", "brick")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp")
log = logging.getLogger("ganlab.data")  # warnings reach stderr without any logging set-up


# --------------------------------------------------------------------------- toys

@dataclass(frozen=True, eq=False)  # eq=False: compare by identity, tensors have no bool ==
class Mixture:
    """Equal-weight isotropic Gaussian mixture: p(x) = 1/K sum_k N(x; means[k], sigma^2 I)."""

    means: Tensor  # (K, d) float32 component means
    sigma: float  # standard deviation of every component, per coordinate

    def __post_init__(self) -> None:
        if self.means.ndim != 2 or self.means.shape[0] < 1:
            raise ValueError(f"Mixture means must be (K, d) with K >= 1, got shape "
                             f"{tuple(self.means.shape)}; reshape them to (K, d).")
        if not self.sigma > 0:
            raise ValueError(f"Mixture sigma must be > 0, got {self.sigma}.")

    @property
    def k(self) -> int:
        return self.means.shape[0]

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Draw n points: a component uniformly at random, then Gaussian noise. (n, d)"""
        _check_n(n)
        dev = self.means.device
        idx = torch.randint(self.k, (n,), generator=generator, device=dev)  # (n,)
        noise = torch.randn(n, self.dim, generator=generator, device=dev)  # (n, d)
        return self.means[idx] + self.sigma * noise  # (n, d)

    def log_prob(self, x: Tensor) -> Tensor:
        """Exact log density of each row of x (n, d) -> (n,)."""
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(f"log_prob expects x of shape (n, {self.dim}), got "
                             f"{tuple(x.shape)}.")
        sq = (x[:, None, :] - self.means.to(x)[None]).pow(2).sum(-1)  # (n, K) |x - mu_k|^2
        log_norm = -0.5 * self.dim * math.log(2 * math.pi * self.sigma**2) - math.log(self.k)
        # log p(x) = logsumexp_k(-|x - mu_k|^2 / (2 sigma^2)) - log K - d/2 log(2 pi sigma^2)
        return torch.logsumexp(-sq / (2 * self.sigma**2), dim=1) + log_norm  # (n,)


def ring(modes: int = 8, radius: float = 1.0, sigma: float = 0.01) -> Mixture:
    """`modes` Gaussians evenly spaced on a circle, mean k at angle 2 pi k / modes."""
    angles = 2 * math.pi * torch.arange(modes, dtype=torch.float64) / modes  # (K,)
    means = radius * torch.stack([angles.cos(), angles.sin()], dim=1)  # (K, 2)
    return Mixture(means.float(), float(sigma))


def grid(side: int = 5, spacing: float = 2.0, sigma: float = 0.05) -> Mixture:
    """side x side Gaussians on a centred square grid; defaults give {-4,-2,0,2,4}^2."""
    coords = (torch.arange(side, dtype=torch.float64) - (side - 1) / 2) * spacing  # (side,)
    gx, gy = torch.meshgrid(coords, coords, indexing="ij")
    means = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)  # (side^2, 2)
    return Mixture(means.float(), float(sigma))


def two_gaussians_1d(mu: Sequence[float] = (-2.0, 2.0), sigma: float = 0.5) -> Mixture:
    """A 1D mixture of equal-weight Gaussians at `mu` (d = 1)."""
    return Mixture(torch.tensor(list(mu), dtype=torch.float32).reshape(-1, 1), float(sigma))


def swiss_roll(n: int, noise: float = 0.05,
               generator: torch.Generator | None = None) -> Tensor:
    """2D swiss roll (sklearn's curve t (cos t, sin t), t in [1.5 pi, 4.5 pi]) / (3 pi). (n, 2)"""
    _check_n(n)
    t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=generator))  # (n,)
    x = torch.stack([t * t.cos(), t * t.sin()], dim=1) / (3 * math.pi)  # (n, 2) in [-1.5, 1.5]
    return x + noise * torch.randn(n, 2, generator=generator)


def two_moons(n: int, noise: float = 0.05,
              generator: torch.Generator | None = None) -> Tensor:
    """sklearn's two interleaved half circles, centred at the origin. (n, 2)"""
    _check_n(n)
    theta = math.pi * torch.rand(n, generator=generator)  # (n,)
    inner = torch.rand(n, generator=generator) < 0.5  # (n,) which moon
    outer_xy = torch.stack([theta.cos(), theta.sin()], dim=1)  # (n, 2)
    inner_xy = torch.stack([1 - theta.cos(), 0.5 - theta.sin()], dim=1)  # (n, 2)
    x = torch.where(inner[:, None], inner_xy, outer_xy) - torch.tensor([0.5, 0.25])
    return x + noise * torch.randn(n, 2, generator=generator)


@dataclass(frozen=True)
class Sampler:
    """A named toy distribution with no closed-form density: anything with `.sample`."""

    name: str  # registry name, e.g. "swiss_roll"
    fn: Callable[..., Tensor]  # fn(n, noise=..., generator=...) -> (n, dim)
    noise: float = 0.05  # std of the Gaussian noise added to the curve
    dim: int = 2  # dimension of one sample

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        return self.fn(n, noise=self.noise, generator=generator)  # (n, dim)


SWISS_ROLL = Sampler("swiss_roll", swiss_roll)
TWO_MOONS = Sampler("two_moons", two_moons)


def _check_n(n: int) -> None:
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}.")


# ----------------------------------------------------------------- array datasets

class ArrayDataset(Dataset):
    """A Dataset over in-memory tensors: ds[i] -> (x[i], y[i]); y is -1 when unlabelled."""

    def __init__(self, x: Tensor, y: Tensor | None = None) -> None:
        if not isinstance(x, Tensor) or x.ndim < 1:
            raise ValueError("ArrayDataset expects x as a tensor (N, ...); convert arrays "
                             "with torch.as_tensor first.")
        if y is None:
            y = torch.full((len(x),), -1, dtype=torch.long)
        y = torch.as_tensor(y).long()
        if y.shape[:1] != x.shape[:1]:
            raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}.")
        self.x = x  # (N, ...)
        self.y = y  # (N,)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        return self.x[i], self.y[i]

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of one item's x, e.g. (1, 16, 16)."""
        return tuple(self.x.shape[1:])


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}.")


def _split_indices(y: np.ndarray, split: str, seed: int) -> np.ndarray:
    """Sorted indices of a stratified 80/20 split (or all indices for 'all')."""
    _check_split(split)
    idx = np.arange(len(y))
    if split == "all":
        return idx
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(idx, test_size=0.2, stratify=y, random_state=seed)
    return np.sort(train if split == "train" else test)


def _resize(x: Tensor, size: int) -> Tensor:
    """Bilinear resize of (N, C, h, w) to (N, C, size, size); antialiased when shrinking."""
    if x.shape[-2:] == (size, size):
        return x
    shrink = size < min(x.shape[-2:])
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False,
                         antialias=shrink)


@functools.lru_cache(maxsize=1)
def _digits_base() -> tuple[Tensor, Tensor]:
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.images, dtype=torch.float32)[:, None]  # (1797, 1, 8, 8) in 0..16
    return x, torch.tensor(d.target, dtype=torch.long)  # (1797,)


def digits(size: int = 16, split: str = "all", seed: int = 0) -> ArrayDataset:
    """scikit-learn's 8x8 digits, bilinearly resized, x (N, 1, size, size) in [-1, 1]."""
    if size not in DIGIT_SIZES:
        raise ValueError(f"digits size must be one of {DIGIT_SIZES}, got {size!r}.")
    x, y = _digits_base()
    idx = torch.from_numpy(_split_indices(y.numpy(), split, seed))
    x = F.interpolate(x[idx], size=(size, size), mode="bilinear", align_corners=False,
                      antialias=False)  # (N, 1, size, size), still in 0..16
    return ArrayDataset(x / 8 - 1, y[idx].clone())  # 0 -> -1, 16 -> 1


def stacked_digits(n: int = 10000, size: int = 16, seed: int = 0) -> ArrayDataset:
    """n images whose R, G, B channels are three random training digits; y = 100 d0 + 10 d1 + d2.

    The digits come from ``digits(size, "train", seed=0)`` whatever `seed` is, so a
    classifier trained on that split can count modes; `seed` picks the triples.
    """
    _check_n(n)
    base = digits(size, "train", seed=0)
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(len(base), (n, 3), generator=g)  # (n, 3)
    x = base.x[idx].reshape(n, 3, size, size)  # (n, 3, size, size)
    d = base.y[idx]  # (n, 3)
    return ArrayDataset(x, 100 * d[:, 0] + 10 * d[:, 1] + d[:, 2])


@functools.lru_cache(maxsize=1)
def _lfw() -> Tensor:
    from skimage.data import lfw_subset

    return torch.tensor(lfw_subset(), dtype=torch.float32)[:, None]  # (200, 1, 25, 25) in [0,1]


def faces(size: int = 32, split: str = "all", seed: int = 0) -> ArrayDataset:
    """The 100 LFW face crops, grey, x (N, 1, size, size) in [-1, 1]; split 80/20 by seed."""
    _check_size(size)
    idx = torch.from_numpy(_split_indices(np.zeros(100), split, seed))
    return ArrayDataset(_resize(_lfw()[:100][idx], size) * 2 - 1)


def non_faces(size: int = 32) -> ArrayDataset:
    """The 100 LFW background (non-face) crops, x (100, 1, size, size) in [-1, 1]."""
    _check_size(size)
    return ArrayDataset(_resize(_lfw()[100:], size) * 2 - 1)


def _check_size(size: int | None) -> None:
    if size is not None and (not isinstance(size, int) or size < 1):
        raise ValueError(f"size must be a positive int (or None for native size), got {size!r}.")


# ------------------------------------------------------------------------ images

def _resize_crop(img, size: int | None):
    """PIL image -> shorter side resized to `size` (bicubic, antialiased), centre square crop."""
    if size is None:
        return img
    from PIL import Image

    w, h = img.size
    scale = size / min(w, h)
    nw, nh = max(size, round(w * scale)), max(size, round(h * scale))
    if (nw, nh) != (w, h):
        img = img.resize((nw, nh), Image.BICUBIC)
    left, top = (nw - size) // 2, (nh - size) // 2
    return img.crop((left, top, left + size, top + size))


def _pil_to_tensor(img) -> Tensor:
    """PIL 'L' or 'RGB' image -> (C, H, W) float32 in [-1, 1]."""
    a = np.asarray(img, dtype=np.float32)  # (H, W) or (H, W, 3) in 0..255
    t = torch.from_numpy(a.copy())
    t = t[None] if t.ndim == 2 else t.permute(2, 0, 1)  # (C, H, W)
    return t / 127.5 - 1


def _skimage_image(name: str, valid: tuple[str, ...], kind: str):
    if name not in valid:
        raise ValueError(f"unknown {kind} {name!r}; valid names: {', '.join(valid)}.")
    import skimage.data
    from PIL import Image

    return Image.fromarray(getattr(skimage.data, name)())


def photo(name: str, size: int | None = None, grey: bool = False) -> Tensor:
    """A scikit-image photo as (3, H, W) (or (1, H, W) if grey) in [-1, 1]."""
    _check_size(size)
    img = _skimage_image(name, PHOTOS, "photo").convert("L" if grey else "RGB")
    return _pil_to_tensor(_resize_crop(img, size))


def texture(name: str, size: int | None = None) -> Tensor:
    """A grey scikit-image texture as (1, H, W) in [-1, 1]."""
    _check_size(size)
    img = _skimage_image(name, TEXTURES, "texture").convert("L")
    return _pil_to_tensor(_resize_crop(img, size))


_GREY_MODES = ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F")
_DEEP_MODES = {"I;16": 65535.0, "I;16B": 65535.0, "I;16L": 65535.0, "I": 65535.0}  # full scale


class ImageFolder(Dataset):
    """Images found recursively under `root`, loaded lazily: ds[i] -> (x (C, size, size), -1).

    Each image is converted to 'L' (channels=1) or 'RGB' (channels=3), its shorter side
    resized to `size` (bicubic, antialiased) and centre-cropped to size x size. 16-bit grey
    images are scaled by their bit depth (0..65535 -> [-1, 1]), not clipped to 8 bits.

    Every file's header is read when the dataset is built: files that are not readable
    images are skipped (`skipped` names them, and a warning gives their count), and a file
    whose pixels turn out unreadable when first decoded is skipped then, ds[i] giving the
    next readable image instead. With strict_size=True every file is decoded when the
    dataset is built, and an unreadable file, or an image whose native size is not
    size x size or whose channel count is not `channels`, is refused.
    """

    def __init__(self, root: str | os.PathLike, size: int, channels: int = 3,
                 extensions: Sequence[str] = IMAGE_EXTENSIONS,
                 strict_size: bool = False) -> None:
        _check_size(size)
        if size is None:
            raise ValueError("ImageFolder needs an int size, got None.")
        if channels not in (1, 3):
            raise ValueError(f"channels must be 1 (grey) or 3 (RGB), got {channels!r}.")
        self.root = Path(root)
        if not self.root.is_dir():
            raise ValueError(f"image folder {str(self.root)!r} does not exist or is not a "
                             "directory; pass a path to a folder of images.")
        exts = tuple(e.lower() for e in extensions)
        self.paths = sorted(p for p in self.root.rglob("*")
                            if p.is_file() and p.suffix.lower() in exts)
        if not self.paths:
            raise ValueError(f"no images found under {str(self.root)!r} (searched "
                             f"recursively for {', '.join(exts)}); add images or pass "
                             "extensions=...")
        self.size, self.channels = size, channels
        self.skipped: list[Path] = []  # unreadable files, left out
        self._bad: set[int] = set()  # indices whose pixels failed to decode on first use
        self._strict = strict_size
        if strict_size:
            for p in self.paths:
                self._check_strict(p)
        else:
            self._skip_unreadable()

    def _skip_unreadable(self) -> None:
        """Read every file's header (fast: no pixels decoded); leave out those that fail."""
        from PIL import Image

        good = []
        for p in self.paths:
            try:
                with Image.open(p) as img:
                    img.size  # noqa: B018  the header is parsed by open
                good.append(p)
            except (OSError, ValueError, SyntaxError):
                self.skipped.append(p)
        if not good:
            raise ValueError(f"no readable images under {str(self.root)!r}: all {len(self.paths)} "
                             f"files failed to open (e.g. {str(self.paths[0])!r})")
        if self.skipped:
            self.paths = good
            log.warning("skipped %d unreadable image(s) under %s: %s%s", len(self.skipped),
                        self.root, ", ".join(p.name for p in self.skipped[:10]),
                        " ..." if len(self.skipped) > 10 else "")

    def _open(self, path: Path):
        from PIL import Image

        try:
            img = Image.open(path)
            img.load()
        except (OSError, ValueError, SyntaxError) as e:
            raise ValueError(f"cannot read image file {str(path)!r}: {e}") from e
        return img

    def _check_strict(self, path: Path) -> None:
        img = self._open(path)
        c = 1 if img.mode in _GREY_MODES else 3
        if img.size != (self.size, self.size) or c != self.channels:
            raise ValueError(f"image {str(path)!r} is {img.size[0]}x{img.size[1]} with {c} "
                             f"channel(s); expected {self.size}x{self.size} with "
                             f"{self.channels}. Resize the images or drop strict_size.")

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> tuple[Tensor, int]:
        n = len(self.paths)
        for j in [(i + k) % n for k in range(n)]:  # i, or the next readable image after it
            if j in self._bad:
                continue
            try:
                return self._decode(self.paths[j]), -1  # (C, size, size)
            except ValueError as err:
                if self._strict:  # every file was decoded at build time: this is new
                    raise
                self._bad.add(j)
                self.skipped.append(self.paths[j])
                log.warning("skipping an unreadable image (%d skipped so far): %s", len(self.skipped), err)
        raise ValueError(f"no image under {str(self.root)!r} can be decoded")

    def _decode(self, path: Path) -> Tensor:
        img = self._open(path)
        if img.mode in _DEEP_MODES:  # 16-bit grey: scale by the bit depth in float, then resize
            from PIL import Image

            a = np.asarray(img, dtype=np.float32) / _DEEP_MODES[img.mode]  # (H, W) in [0, 1]
            img = _resize_crop(Image.fromarray(np.clip(a, 0.0, 1.0)), self.size)
            t = torch.from_numpy(np.asarray(img, dtype=np.float32).copy()).clamp(0, 1)[None]
            return (t * 2 - 1).expand(self.channels, -1, -1).contiguous()  # (C, size, size)
        img = img.convert("L" if self.channels == 1 else "RGB")
        return _pil_to_tensor(_resize_crop(img, self.size))  # (C, size, size)

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.channels, self.size, self.size)


# ------------------------------------------------------------------------ IDX files

_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Parse an IDX file (MNIST's format; gzip-compressed or not) into a numpy array.

    Layout: two zero bytes, a dtype code (0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int,
    0x0D float, 0x0E double), the number of dims, then each dim as a big-endian uint32,
    then the data, big-endian.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"IDX file {str(path)!r} does not exist.")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":  # gzip magic
        import zlib

        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise ValueError(f"{str(path)!r} is a corrupt or truncated gzip file ({err}); "
                             f"download or copy it again") from None
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{str(path)!r} is not an IDX file: bad magic number "
                         f"{raw[:4].hex() or '(empty)'}; expected 0000 then a dtype code in "
                         f"{sorted(hex(c) for c in _IDX_DTYPES)} then the number of dims.")
    dtype, ndim = np.dtype(_IDX_DTYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{str(path)!r}: truncated IDX header ({len(raw)} bytes, {ndim} dims).")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    expected = header + math.prod(dims) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(f"{str(path)!r}: IDX header says shape {dims} of {dtype.str} "
                         f"({expected} bytes in all) but the file has {len(raw)} bytes; "
                         "it is truncated or corrupt.")
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return data.astype(dtype.newbyteorder("="))  # native byte order, writable copy


def mnist_idx(images_path: str | os.PathLike, labels_path: str | os.PathLike | None = None,
              size: int | None = None) -> ArrayDataset:
    """MNIST-style IDX images (N, H, W) uint8 -> x (N, 1, H, W) in [-1, 1] (resized to size)."""
    _check_size(size)
    imgs = read_idx(images_path)
    if imgs.ndim != 3 or imgs.dtype != np.uint8:
        raise ValueError(f"{str(images_path)!r}: expected uint8 images (N, H, W), got "
                         f"{imgs.dtype} {imgs.shape}; is this an images (idx3-ubyte) file?")
    x = torch.from_numpy(imgs).float()[:, None] / 127.5 - 1  # (N, 1, H, W)
    if size is not None:
        x = _resize(x, size)
    y = None
    if labels_path is not None:
        labels = read_idx(labels_path)
        if labels.shape != (len(x),):
            raise ValueError(f"{str(labels_path)!r}: expected {len(x)} labels (N,), got "
                             f"shape {labels.shape}; do images and labels belong together?")
        y = torch.from_numpy(labels.astype(np.int64))
    return ArrayDataset(x, y)


# ------------------------------------------------------ tables, time series and sounds

@dataclass(frozen=True, eq=False)  # eq=False: arrays have no bool ==
class Table:
    """A small table in numpy: discrete columns hold category codes 0..k-1 (as floats)."""

    x: np.ndarray  # (N, d) float64
    columns: tuple[str, ...]  # d column names
    categories: dict[int, int]  # column index -> number of categories, for discrete columns
    label: int  # index of the column a classifier predicts (a discrete column)

    def __post_init__(self) -> None:
        if self.x.ndim != 2 or self.x.shape[1] != len(self.columns):
            raise ValueError(f"expected x (N, {len(self.columns)}) for columns {self.columns}, "
                             f"got shape {self.x.shape}")
        if self.label not in self.categories:
            raise ValueError(f"the label column {self.label} must be discrete; discrete "
                             f"columns: {sorted(self.categories)}")

    def rows(self, idx: np.ndarray) -> Table:
        """The same table restricted to rows idx."""
        return Table(self.x[idx], self.columns, self.categories, self.label)

    @property
    def features(self) -> np.ndarray:
        """Every column but the label: (N, d - 1)."""
        return np.delete(self.x, self.label, axis=1)

    @property
    def y(self) -> np.ndarray:
        """The label column as int64 codes: (N,)."""
        return self.x[:, self.label].astype(np.int64)


def wine_table(split: str = "all", seed: int = 0) -> Table:
    """scikit-learn's wine data (178 rows) as a mixed table: 12 continuous, 2 discrete columns.

    The 13 measurements are kept except magnesium, which is replaced by a *derived*
    discrete column, magnesium_level (0, 1, 2: the terciles over all 178 wines), so that
    the table has a categorical column besides the label. The label, cultivar (0, 1, 2),
    is the last column. Splits are stratified 80/20 on the cultivar, as `digits`.
    """
    from sklearn.datasets import load_wine

    w = load_wine()
    names = list(w.feature_names)
    mg = names.index("magnesium")
    cuts = np.quantile(w.data[:, mg], [1 / 3, 2 / 3])
    level = np.searchsorted(cuts, w.data[:, mg], side="right").astype(np.float64)  # 0, 1, 2
    cont = np.delete(w.data, mg, axis=1)  # (178, 12)
    x = np.column_stack([cont, level, w.target.astype(np.float64)])  # (178, 14)
    columns = tuple(n for n in names if n != "magnesium") + ("magnesium_level", "cultivar")
    table = Table(x, columns, {12: 3, 13: 3}, label=13)
    return table.rows(_split_indices(w.target, split, seed))


def sines(n: int, length: int = 24, channels: int = 1, noise: float = 0.0,
          generator: torch.Generator | None = None) -> Tensor:
    """Random sine waves x_t = a sin(2 pi f t + phi) + noise e_t, t = 0..length-1: (n, length, channels).

    Per series and channel: amplitude a ~ U(0.3, 1), frequency f ~ U(0.02, 0.12) cycles per
    step (periods of about 8 to 50 steps), phase phi ~ U(0, 2 pi); e_t ~ N(0, 1). With
    noise 0 every value lies in [-1, 1].
    """
    _check_n(n)
    if length < 2 or channels < 1:
        raise ValueError(f"need length >= 2 and channels >= 1, got {length}, {channels}")
    amp = 0.3 + 0.7 * torch.rand(n, 1, channels, generator=generator)
    freq = 0.02 + 0.1 * torch.rand(n, 1, channels, generator=generator)
    phase = 2 * math.pi * torch.rand(n, 1, channels, generator=generator)
    t = torch.arange(length, dtype=torch.float32)[None, :, None]  # (1, length, 1)
    x = amp * torch.sin(2 * math.pi * freq * t + phase)  # (n, length, channels)
    return x + noise * torch.randn(x.shape, generator=generator) if noise else x


def ar1(n: int, length: int = 24, phi: float = 0.8, std: float = 0.5,
        generator: torch.Generator | None = None) -> Tensor:
    """Stationary AR(1) series x_t = phi x_{t-1} + sigma e_t, e_t ~ N(0, 1): (n, length, 1).

    sigma = std sqrt(1 - phi^2) and x_0 ~ N(0, std^2), so every x_t has variance std^2
    and corr(x_t, x_{t+k}) = phi^k.
    """
    _check_n(n)
    if not -1 < phi < 1:
        raise ValueError(f"a stationary AR(1) needs |phi| < 1, got {phi}")
    if length < 1:
        raise ValueError(f"length must be >= 1, got {length}")
    e = torch.randn(n, length, generator=generator)  # (n, length)
    sigma = std * math.sqrt(1 - phi * phi)
    x = torch.empty(n, length)
    x[:, 0] = std * e[:, 0]
    for t in range(1, length):
        x[:, t] = phi * x[:, t - 1] + sigma * e[:, t]
    return x[:, :, None]  # (n, length, 1)


@dataclass(frozen=True)
class SeriesSampler:
    """A named distribution of time series: `.sample(n, generator)` -> (n, length, channels)."""

    name: str  # registry name, e.g. "sines"
    fn: Callable[..., Tensor]  # fn(n, length=..., generator=...) -> (n, length, channels)
    length: int = 24  # steps per series

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        return self.fn(n, length=self.length, generator=generator)  # (n, length, channels)


SINES = SeriesSampler("sines", sines)
AR1 = SeriesSampler("ar1", ar1)
SOUND_KINDS = ("tone", "chirp", "pluck")


def karplus_strong(f0: float, length: int, rate: int, decay: float = 0.996,
                   rng: np.random.Generator | None = None) -> np.ndarray:
    """A plucked string (Karplus & Strong 1983): (length,) float64.

    A delay line of N = round(rate / f0) samples starts as white noise in [-1, 1] and
    feeds back through a two-tap average: y[n] = decay (y[n - N] + y[n - N - 1]) / 2
    (y[-1] = 0). Filled one period at a time: each block reads only the previous one.
    """
    period = int(round(rate / f0))
    if not 2 <= period < length:
        raise ValueError(f"f0 = {f0} Hz at {rate} Hz gives a period of {period} samples; "
                         f"need 2 <= period < length ({length})")
    rng = rng or np.random.default_rng(0)
    y = np.zeros(length + period)
    y[:period] = rng.uniform(-1, 1, period)
    prev = np.concatenate([[0.0], y[:period - 1]])  # y[n - N - 1] for the first block
    for start in range(period, length, period):
        y[start:start + period] = decay * 0.5 * (y[start - period:start] + prev)
        prev = y[start - 1:start + period - 1]
    return y[:length]


def _sound(kind: str, length: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(length) / rate  # seconds
    if kind == "tone":
        f0 = np.exp(rng.uniform(np.log(150), np.log(1000)))
        return np.sin(2 * np.pi * f0 * t + rng.uniform(0, 2 * np.pi))
    if kind == "chirp":  # linear sweep f0 -> f1 over the clip: phase 2 pi (f0 t + (f1 - f0) t^2 / 2T)
        f0, f1 = rng.uniform(150, 1000, 2)
        dur = length / rate
        return np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * dur)))
    f0 = np.exp(rng.uniform(np.log(110), np.log(440)))
    y = karplus_strong(f0, length, rate, rng=rng)
    return y / np.abs(y).max()


def sounds(n: int = 512, length: int = 2048, rate: int = 8000,
           kinds: Sequence[str] = SOUND_KINDS, seed: int = 0) -> ArrayDataset:
    """n synthetic clips x (n, 1, length) in [-1, 1], y = index of the kind in `kinds`.

    Kinds (cycled, so each has n / len(kinds) clips): "tone", a sine of 150-1000 Hz
    (log-uniform) with a random phase; "chirp", a linear sweep between two frequencies in
    150-1000 Hz; "pluck", a Karplus-Strong string of 110-440 Hz. Each clip's peak
    amplitude is drawn from U(0.5, 0.9).
    """
    _check_n(n)
    bad = [k for k in kinds if k not in SOUND_KINDS]
    if bad or not kinds:
        raise ValueError(f"kinds must be a non-empty subset of {SOUND_KINDS}, got {tuple(kinds)}")
    if length < 64 or rate < 2000:
        raise ValueError(f"need length >= 64 samples and rate >= 2000 Hz, got {length}, {rate}")
    rng = np.random.default_rng(seed)
    y = np.arange(n) % len(kinds)
    x = np.stack([_sound(kinds[k], length, rate, rng) * rng.uniform(0.5, 0.9) for k in y])
    return ArrayDataset(torch.from_numpy(x).float()[:, None], torch.from_numpy(y))


# ------------------------------------------------------------------------ registry

DATASETS: dict[str, str] = {
    "ring": "8 Gaussians on a circle of radius 1, sigma 0.01 (2D toy, Mixture)",
    "grid": "25 Gaussians on {-4,-2,0,2,4}^2, sigma 0.05 (2D toy, Mixture)",
    "two_gaussians_1d": "two Gaussians at -2 and 2, sigma 0.5 (1D toy, Mixture)",
    "swiss_roll": "2D swiss roll in about [-1.5, 1.5]^2, noise 0.05 (2D toy, Sampler)",
    "two_moons": "two interleaved half circles, noise 0.05 (2D toy, Sampler)",
    "digits": "1,797 handwritten digits (sklearn), 1x16x16 by default, labels 0-9",
    "digits32": "the same digits at 1x32x32",
    "stacked_digits": "10,000 images of 3 digits as RGB channels, 1,000 modes, labels 0-999",
    "faces": "100 grey LFW face crops (scikit-image lfw_subset), 1x32x32 by default",
    "non_faces": "100 grey LFW background crops, 1x32x32 by default",
    "sines": "random sine waves, 24 steps, 1 channel, amplitude 0.3-1 (time series, SeriesSampler)",
    "ar1": "stationary AR(1) series, phi 0.8, std 0.5, 24 steps (time series, SeriesSampler)",
    "sounds": "512 synthetic 8 kHz clips of 2048 samples: tones, chirps, plucked strings",
    "<folder>": "any path to a folder of .png/.jpg/.jpeg/.bmp images (size 32, 3 channels)",
    "<file>-idx3-ubyte[.gz]": "an MNIST IDX images file (labels read from the matching "
                              "-labels-idx1-ubyte file when it sits beside it)",
}

_TOYS: dict[str, Callable[[], Mixture | Sampler | SeriesSampler]] = {
    "ring": ring, "grid": grid, "two_gaussians_1d": two_gaussians_1d,
    "swiss_roll": lambda: SWISS_ROLL, "two_moons": lambda: TWO_MOONS,
    "sines": lambda: SINES, "ar1": lambda: AR1,
}
_IDX_IMAGES = re.compile(r"idx3-ubyte(\.gz)?$")


def _check_channels(name: str, channels: int | None, native: int) -> None:
    if channels is not None and channels != native:
        raise ValueError(f"{name!r} has {native} channel(s), got channels={channels}; "
                         f"pass channels=None or {native}.")


def _labels_beside(images: Path) -> Path | None:
    """MNIST naming: train-images-idx3-ubyte[.gz] -> train-labels-idx1-ubyte[.gz]."""
    name = images.name.replace("images", "labels").replace("idx3", "idx1")
    cand = images.with_name(name)
    return cand if cand != images and cand.is_file() else None


def load(name_or_path: str | os.PathLike, size: int | None = None,
         channels: int | None = None,
         strict: bool = False) -> Dataset | Mixture | Sampler | SeriesSampler:
    """A dataset by registry name (see DATASETS), folder path, or IDX file path.

    Toys return a Mixture, Sampler or SeriesSampler (size and channels are ignored);
    "sounds" returns an ArrayDataset of clips (1, length); embedded image sets
    return an ArrayDataset; a directory returns an ImageFolder (size 32, channels 3 unless
    given). Registry names win over a same-named folder: write "./digits" for the folder.
    With ``strict`` a folder's images must already have the size and channels asked for
    (a ValueError names the first that does not) instead of being resized and converted.
    """
    name = str(name_or_path)
    if name in _TOYS:
        return _TOYS[name]()
    if name in ("digits", "digits32"):
        _check_channels(name, channels, 1)
        return digits(size or (32 if name == "digits32" else 16))
    if name == "stacked_digits":
        _check_channels(name, channels, 3)
        return stacked_digits(size=size or 16)
    if name == "sounds":
        _check_channels(name, channels, 1)
        return sounds()
    if name in ("faces", "non_faces"):
        _check_channels(name, channels, 1)
        return (faces if name == "faces" else non_faces)(size or 32)
    path = Path(name_or_path)
    if path.is_dir():
        return ImageFolder(path, size or 32, channels or 3, strict_size=strict)
    if path.is_file() and _IDX_IMAGES.search(path.name):
        _check_channels(name, channels, 1)
        return mnist_idx(path, _labels_beside(path), size)
    names = [k for k in DATASETS if not k.startswith("<")]
    raise ValueError(f"unknown dataset {name!r}; valid names: {', '.join(names)}. "
                     "A path to an existing folder of images, or to an MNIST "
                     "*-idx3-ubyte[.gz] file, also works.")
