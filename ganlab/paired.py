"""Datasets for image-to-image translation, built from images that ship (no downloads).

Every dataset is an `ArrayDataset` whose x joins the two sides of a pair (or of an
unpaired draw) along channels, `(N, C_a + C_b, H, W)` in [-1, 1]; `split_pair(x, c_a)`
takes them apart. The trainer draws x as one tensor, so a phase sees both sides.

- `photo_pairs`: pix2pix's paired tasks (Isola et al. 2017): crops of scikit-image's
  photos, the grey level (colourisation) or the Sobel edge magnitude ("edges -> photo")
  -> the colour crop. Train and test come from
  disjoint regions of each photo (the top 3/4 of rows / the bottom 1/4), so no test pixel
  is ever seen in training.
- `detail_pairs`: a paired task whose answer is high-frequency and multi-modal: a texture
  crop blurred (`blur`: averaged over factor x factor blocks, then bilinear upsampling)
  -> the sharp crop. The fine detail is gone from the input, so many sharp crops fit one
  blurred one; an L1-trained G predicts their blurry median, which pix2pix's adversarial
  term is meant to sharpen. Train and test come from disjoint rows, as in `photo_pairs`.
- `layouts`: semantic label maps for SPADE (Park et al. 2019), random scenes of four
  regions (sky, grass, gravel, brick), each filled with a crop of its (tinted) texture.
  x = one-hot label map (4 channels) + the composed picture (3 channels).
- `thin_thick_digits`: CycleGAN's unpaired task on the digits: domain A the digits as
  they are, domain B dilated (thick strokes); the B image of a row is a *different*
  digit (a random permutation), so the pairs carry no correspondence. y is A's label,
  which lets a classifier measure whether translation keeps the class.
- `texture_domains`: unpaired patches of two tinted textures (grass <-> gravel).

The textures in `ganlab.data` are grey; here each gets a colour (`TINTS`) so that colour
statistics can tell regions apart.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from . import data
from .data import ArrayDataset

__all__ = ["split_pair", "luminance", "sobel_edges", "photo_pairs", "LABELS", "TINTS", "tinted_texture",
           "random_layout", "compose", "blur", "detail_pairs", "one_hot", "layouts", "dilate",
           "thin_thick_digits", "texture_domains"]

LABELS = ("sky", "grass", "gravel", "brick")  # label k of a layout map is LABELS[k]
TINTS = {"sky": (0.45, 0.65, 0.95), "grass": (0.35, 0.75, 0.25),
         "gravel": (0.70, 0.66, 0.60), "brick": (0.85, 0.40, 0.30)}  # RGB in [0, 1]


def split_pair(x: Tensor, c_a: int) -> tuple[Tensor, Tensor]:
    """(B, C_a + C_b, H, W) -> the A side (B, C_a, H, W) and the B side (B, C_b, H, W)."""
    if x.dim() != 4 or not 0 < c_a < x.shape[1]:
        raise ValueError(f"expected (B, C, H, W) with more than {c_a} channels, got "
                         f"{tuple(x.shape)}")
    return x[:, :c_a], x[:, c_a:]


def luminance(x: Tensor) -> Tensor:
    """ITU-R BT.601 luma: (B, 3, H, W) -> (B, 1, H, W), in [-1, 1] if x is; grey (B, 1, H, W)
    passes through. (ganlab's one luminance: `ganlab.superres` re-exports it.)"""
    if x.shape[1] == 1:
        return x
    if x.shape[1] != 3:
        raise ValueError(f"expected 1 or 3 channels, got {tuple(x.shape)}")
    return 0.299 * x[:, :1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:]


def sobel_edges(rgb: Tensor) -> Tensor:
    """Sobel gradient magnitude of the luminance: (B, 3, H, W) -> (B, 1, H, W) in [-1, 1]."""
    grey = luminance(rgb)  # (B, 1, H, W)
    kx = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]]) / 8
    k = torch.stack([kx, kx.T])[:, None].to(rgb)  # (2, 1, 3, 3)
    g = F.conv2d(F.pad(grey, (1, 1, 1, 1), mode="replicate"), k)  # (B, 2, H, W)
    mag = g.square().sum(1, keepdim=True).sqrt()  # (B, 1, H, W), at most ~0.71 for [-1, 1]
    return (mag / 0.25).clamp(max=1.0) * 2 - 1  # strong edges white; saturates above 0.25


def _crops(img: Tensor, size: int, stride: int, rows: tuple[int, int]) -> Tensor:
    """All size x size crops of img (C, H, W) whose top row lies in [rows[0], rows[1] - size]."""
    top = torch.arange(rows[0], rows[1] - size + 1, stride)
    left = torch.arange(0, img.shape[2] - size + 1, stride)
    return torch.stack([img[:, t:t + size, s:s + size] for t in top for s in left])


def _split_crops(images: list[Tensor], size: int, stride: int, split: str) -> tuple[Tensor, Tensor]:
    """Crops of each image (C, P, P) for a split, and each crop's image index: (N, C, size,
    size), (N,). Train crops lie in the top 3/4 of an image and are also mirrored left-right;
    test crops lie in the bottom 1/4, so no test pixel is seen in training."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    side = images[0].shape[-1]
    cut = side * 3 // 4
    if side - cut < size:
        raise ValueError(f"an image of {side} pixels leaves a test band of {side - cut} rows, "
                         f"less than one {size}-pixel crop: raise its size")
    xs, ys = [], []
    for k, img in enumerate(images):
        c = _crops(img, size, stride, (0, cut) if split == "train" else (cut, side))
        if split == "train":
            c = torch.cat([c, c.flip(3)])
        xs.append(c)
        ys.append(torch.full((len(c),), k))
    return torch.cat(xs), torch.cat(ys)


def photo_pairs(size: int = 32, split: str = "train", source: str = "grey",
                photo_size: int = 128, stride: int = 8,
                names: tuple[str, ...] = data.PHOTOS) -> ArrayDataset:
    """x (N, 1 + 3, size, size): the source (grey level, or Sobel edges) then the colour crop;
    y = index of the photo in `names`.

    Train crops lie in the top 3/4 of each photo (resized to photo_size), test crops in
    the bottom 1/4; train crops are also mirrored left-right.
    """
    if source not in ("grey", "edges"):
        raise ValueError(f"source must be 'grey' or 'edges', got {source!r}")
    photos, labels = _split_crops([data.photo(name, photo_size) for name in names], size, stride,
                                  split)  # (N, 3, size, size) in [-1, 1]
    src = sobel_edges(photos) if source == "edges" else luminance(photos)
    return ArrayDataset(torch.cat([src, photos], 1), labels)


def blur(x: Tensor, factor: int = 4) -> Tensor:
    """Remove detail finer than `factor` pixels: the mean of each factor x factor block, then
    bilinear upsampling back (B, C, H, W) -> (B, C, H, W). A linear ramp comes back unchanged
    away from the borders; detail within a block is lost."""
    if factor < 2 or x.shape[-1] % factor or x.shape[-2] % factor:
        raise ValueError(f"blur needs a factor >= 2 dividing H and W, got {factor} for "
                         f"{tuple(x.shape)}")
    coarse = F.avg_pool2d(x, factor)  # (B, C, H / factor, W / factor)
    return F.interpolate(coarse, scale_factor=factor, mode="bilinear", align_corners=False)


def detail_pairs(size: int = 32, split: str = "train", factor: int = 4, texture_size: int = 128,
                 stride: int = 8, names: tuple[str, ...] = data.TEXTURES) -> ArrayDataset:
    """x (N, 1 + 1, size, size): a grey texture crop blurred by `factor`, then the sharp crop;
    y = index of the texture in `names`.

    Train crops lie in the top 3/4 of each texture (resized to texture_size) and are also
    mirrored left-right; test crops lie in the bottom 1/4 (so no test pixel is seen in
    training).
    """
    sharp, labels = _split_crops([data.texture(name, texture_size) for name in names], size,
                                 stride, split)  # (N, 1, size, size)
    return ArrayDataset(torch.cat([blur(sharp, factor), sharp], 1), labels)


def tinted_texture(name: str, size: int = 128) -> Tensor:
    """A texture of LABELS as a colour image (3, size, size) in [-1, 1]; sky is a smooth gradient."""
    tint = torch.tensor(TINTS[name])[:, None, None]  # (3, 1, 1)
    if name == "sky":
        shade = torch.linspace(0.75, 1.0, size)[:, None].expand(size, size)  # lighter downwards
    else:
        shade = 0.35 + 0.65 * (data.texture(name, size)[0] + 1) / 2  # (size, size) in [0.35, 1]
    return (tint * shade) * 2 - 1  # (3, size, size)


def random_layout(size: int, generator: torch.Generator | None = None) -> Tensor:
    """A random scene label map (size, size) of ints: sky above a wavy horizon, below it
    grass, gravel and brick in vertical bands of random widths (some may be absent)."""
    g = generator
    u = torch.rand(6, generator=g)
    yy = torch.arange(size)[:, None].float()
    xx = torch.arange(size)[None, :].float()
    horizon = size * (0.2 + 0.35 * u[0]) + 2 * torch.sin(xx / size * 6.28 * (1 + u[1]) + 6 * u[2])
    cuts = sorted([size * u[3].item(), size * u[4].item()])
    order = torch.randperm(3, generator=g) + 1  # which ground texture goes in which band
    band = (xx >= cuts[0]).long() + (xx >= cuts[1]).long()  # (1, size) in 0..2
    ground = order[band].expand(size, size)  # (size, size)
    return torch.where(yy < horizon, torch.zeros_like(ground), ground)  # (size, size)


def one_hot(labels: Tensor, k: int = len(LABELS)) -> Tensor:
    """Label maps (B, H, W) of ints -> one-hot maps (B, k, H, W) of 0s and 1s."""
    if labels.dim() != 3:
        raise ValueError(f"expected label maps (B, H, W), got {tuple(labels.shape)}")
    return F.one_hot(labels.long(), k).permute(0, 3, 1, 2).float()  # (B, k, H, W)


def compose(labels: Tensor, generator: torch.Generator | None = None,
            texture_size: int = 128) -> Tensor:
    """Pictures (B, 3, H, W) for label maps (B, H, W): each region filled with a random crop
    of its tinted texture (the same crop position for the whole region)."""
    b, h, w = labels.shape
    tex = {k: tinted_texture(n, texture_size) for k, n in enumerate(LABELS)}
    out = torch.empty(b, 3, h, w)
    for i in range(b):
        for k, t in tex.items():
            top, left = (int(v) for v in torch.randint(0, texture_size - max(h, w) + 1, (2,),
                                                        generator=generator))
            crop = t[:, top:top + h, left:left + w]  # (3, h, w)
            mask = labels[i] == k  # (h, w)
            out[i][:, mask] = crop[:, mask]
    return out


def layouts(n: int = 512, size: int = 32, seed: int = 0) -> ArrayDataset:
    """x (n, 4 + 3, size, size): one-hot label map then the composed picture; y = -1."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.stack([random_layout(size, g) for _ in range(n)])  # (n, size, size)
    return ArrayDataset(torch.cat([one_hot(labels), compose(labels, g)], 1))


def dilate(x: Tensor, k: int = 3) -> Tensor:
    """Grey-level morphological dilation with a k x k square (white strokes on black grow)."""
    return F.max_pool2d(x, k, stride=1, padding=k // 2)  # (B, C, H, W)


def thin_thick_digits(size: int = 16, split: str = "train", seed: int = 0) -> ArrayDataset:
    """x (N, 2, size, size): a digit as it is (A) and a *different* digit dilated (B);
    y = the label of A. The B column is a random permutation of the A images, dilated."""
    d = data.digits(size, split, seed)
    perm = torch.randperm(len(d), generator=torch.Generator().manual_seed(seed + 1))
    return ArrayDataset(torch.cat([d.x, dilate(d.x[perm])], 1), d.y.clone())


def texture_domains(a: str = "grass", b: str = "gravel", size: int = 32, n: int = 512,
                    seed: int = 0, texture_size: int = 128) -> ArrayDataset:
    """x (n, 3 + 3, size, size): random crops of tinted texture a and (independently) of b."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for name in (a, b):
        t = tinted_texture(name, texture_size)
        pos = torch.randint(0, texture_size - size + 1, (n, 2), generator=g)
        out.append(torch.stack([t[:, i:i + size, j:j + size] for i, j in pos.tolist()]))
    return ArrayDataset(torch.cat(out, 1))
