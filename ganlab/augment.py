"""Differentiable augmentation for the discriminator: the ADA pipeline, DiffAugment, the
ADA p controller, and the "four arrows" invertibility example.

Sources:
- Karras et al. 2020, "Training Generative Adversarial Networks with Limited Data" (ADA):
  section 2 (leaking and invertible augmentations, the rotated-arrows example), section
  3 (the overfitting heuristic r_t = E[sign(D_train)], eq. (1), and the controller that
  moves p by a fixed step every 4 minibatches), appendix B (the 18 transforms as one
  affine sampling matrix and one 4x4 colour matrix, their parameter distributions).
- Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training"
  (DiffAugment, policy "color,translation,cutout"), following the authors' reference code.
- Invertibility beyond the four arrows (ADA, section 2; Bora et al. 2018, AmbientGAN): Gaussian
  noise is undone by dividing the characteristic function by the noise's (a regularised
  deconvolution, `deconvolve_gaussian`); a composition is invertible iff each part is,
  checked numerically on a finite space of images (`composition_matrix`).

Conventions: images (B, C, H, W) in [-1, 1]; every op is differentiable in the images
(the geometric ops are a bilinear `grid_sample`, the colour ops a matrix, cutout a
mask), so the generator gets gradients through whatever D sees. Randomness comes from an
optional explicit `torch.Generator` (on the images' device), else torch's global RNG.

`augment(x, p)` applies each enabled op independently per sample with probability p.
Deviations from ADA, appendix B:
- the geometric ops are resampled once with bilinear `grid_sample` and reflection
  padding; ADA upsamples 2x with a wavelet filter before and downsamples after, to limit
  aliasing. Exact 90-degree rotations and flips still land on pixel centres.
- additive RGB noise and the image-space filters (ADA's 'filter' and 'noise' groups) are
  left out; the issue names the other 13 ops.
- grey images (C = 1): a grey value g is treated as the RGB pixel (g, g, g) on the luma
  axis. Brightness, contrast and luma flip act on it (g -> c g + b, g -> -g); hue
  rotation and saturation leave the luma axis fixed, so for C = 1 they are the identity.
- cutout (DeVries & Taylor 2017) fills with 0, mid-grey in [-1, 1], as ADA does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["GEOMETRIC", "COLOUR", "OPS", "BGC", "Strengths", "augment", "geometric_matrix",
           "colour_matrix", "apply_affine", "apply_colour", "cutout", "diff_augment",
           "DiffAugment", "Augment", "ADA", "four_arrows", "is_invertible", "deconvolve_gaussian",
           "DISCRETE", "op_invertible", "composition_invertible", "finite_space", "op_matrix",
           "composition_matrix"]

GEOMETRIC = ("xflip", "rotate90", "xint", "scale", "rotate", "aniso", "xfrac")
COLOUR = ("brightness", "contrast", "lumaflip", "hue", "saturation")
OPS = GEOMETRIC + COLOUR + ("cutout",)
BGC = GEOMETRIC + COLOUR  # ADA's recommended "bgc" pipeline (blit + geometric + colour)


@dataclass(frozen=True)
class Strengths:
    """Parameter scales of the ops (ADA appendix B defaults)."""

    xint_max: float = 0.125  # integer translation, uniform in +-0.125 of the image size
    scale_std: float = 0.2  # isotropic scale, log2 std
    rotate_max: float = 1.0  # arbitrary rotation, uniform in +-rotate_max * pi
    aniso_std: float = 0.2  # anisotropic scale, log2 std
    xfrac_std: float = 0.125  # fractional translation, std as a fraction of the size
    brightness_std: float = 0.2  # additive brightness, std
    contrast_std: float = 0.5  # contrast, log2 std
    hue_max: float = 1.0  # hue rotation, uniform in +-hue_max * pi
    saturation_std: float = 1.0  # saturation, log2 std
    cutout_size: float = 0.5  # cutout square side as a fraction of the image size


def _check_images(x: Tensor) -> None:
    if x.dim() != 4:
        raise ValueError(f"expected images (B, C, H, W), got shape {tuple(x.shape)}")
    if x.shape[1] not in (1, 3):
        raise ValueError(f"expected 1 (grey) or 3 (RGB) channels, got {x.shape[1]}")


def _check_ops(ops: Sequence[str]) -> None:
    bad = [o for o in ops if o not in OPS]
    if bad:
        raise ValueError(f"unknown augmentation ops {bad}; valid: {list(OPS)}")


def _rand(shape, x: Tensor, gen: torch.Generator | None) -> Tensor:
    return torch.rand(shape, generator=gen, device=x.device, dtype=x.dtype)


def _randn(shape, x: Tensor, gen: torch.Generator | None) -> Tensor:
    return torch.randn(shape, generator=gen, device=x.device, dtype=x.dtype)


def _gate(value: Tensor, identity: float, p: Tensor, x: Tensor, gen) -> Tensor:
    """value where a per-sample coin with P(heads) = p lands heads, else `identity`: (B,)."""
    on = _rand(value.shape, x, gen) < p
    return torch.where(on, value, torch.full_like(value, identity))


# --- geometric ops: one (B, 3, 3) sampling matrix in normalised coordinates -------------------


def _eye(b: int, n: int, x: Tensor) -> Tensor:
    return torch.eye(n, device=x.device, dtype=x.dtype).repeat(b, 1, 1)  # (B, n, n)


def _scale2d(sx: Tensor, sy: Tensor) -> Tensor:
    m = _eye(sx.shape[0], 3, sx)
    m[:, 0, 0], m[:, 1, 1] = sx, sy
    return m


def _translate2d(tx: Tensor, ty: Tensor) -> Tensor:
    m = _eye(tx.shape[0], 3, tx)
    m[:, 0, 2], m[:, 1, 2] = tx, ty
    return m


def _rotate2d(cos: Tensor, sin: Tensor) -> Tensor:
    m = _eye(cos.shape[0], 3, cos)
    m[:, 0, 0], m[:, 0, 1], m[:, 1, 0], m[:, 1, 1] = cos, -sin, sin, cos
    return m


def geometric_matrix(x: Tensor, p: Tensor | float, ops: Sequence[str] = GEOMETRIC,
                     s: Strengths = Strengths(), generator: torch.Generator | None = None) -> Tensor:
    """The per-sample sampling matrix (B, 3, 3): output coords -> input coords in [-1, 1].

    Composed in ADA's order (appendix B): xflip, rotate90, xint, scale, rotate, aniso,
    rotate, xfrac. The arbitrary rotation is applied before and after the anisotropic
    scale, each with probability 1 - sqrt(1 - p), so that P(any rotation) = p.
    """
    b, h, w = x.shape[0], x.shape[2], x.shape[3]
    p = torch.as_tensor(p, device=x.device, dtype=x.dtype)
    g, gen = _eye(b, 3, x), generator
    if "xflip" in ops:  # i ~ U{0, 1}: scale2d(1 - 2i, 1)
        i = torch.floor(_rand(b, x, gen) * 2)
        g = g @ _scale2d(_gate(1 - 2 * i, 1.0, p, x, gen), torch.ones_like(i))
    if "rotate90" in ops:  # i ~ U{0..3}: rotate by i * 90 degrees, exact cos/sin in {-1, 0, 1}
        i = torch.floor(_rand(b, x, gen) * 4)
        i = _gate(i, 0.0, p, x, gen)
        cos = torch.tensor([1.0, 0.0, -1.0, 0.0], device=x.device, dtype=x.dtype)[i.long()]
        sin = torch.tensor([0.0, 1.0, 0.0, -1.0], device=x.device, dtype=x.dtype)[i.long()]
        g = g @ _rotate2d(cos, sin)
    if "xint" in ops:  # t ~ U(-0.125, 0.125)^2, rounded to whole pixels (2 / W per pixel)
        t = (_rand((2, b), x, gen) * 2 - 1) * s.xint_max
        tx = torch.round(t[0] * w) * 2 / w
        ty = torch.round(t[1] * h) * 2 / h
        on = _rand(b, x, gen) < p
        g = g @ _translate2d(torch.where(on, tx, 0 * tx), torch.where(on, ty, 0 * ty))
    if "scale" in ops:  # s ~ 2^N(0, 0.2^2)
        sc = _gate(torch.exp2(_randn(b, x, gen) * s.scale_std), 1.0, p, x, gen)
        g = g @ _scale2d(sc, sc)
    p_rot = 1 - torch.sqrt((1 - p).clamp(min=0))
    for k in range(2):  # pre- and post-rotation around the anisotropic scale
        if "rotate" in ops:  # theta ~ U(-pi, pi)
            th = _gate((_rand(b, x, gen) * 2 - 1) * math.pi * s.rotate_max, 0.0, p_rot, x, gen)
            g = g @ _rotate2d(torch.cos(th), torch.sin(th))
        if k == 0 and "aniso" in ops:  # s ~ 2^N(0, 0.2^2): scale2d(s, 1/s)
            sc = _gate(torch.exp2(_randn(b, x, gen) * s.aniso_std), 1.0, p, x, gen)
            g = g @ _scale2d(sc, 1 / sc)
    if "xfrac" in ops:  # t ~ N(0, 0.125^2)^2 as a fraction of the size
        t = _randn((2, b), x, gen) * s.xfrac_std * 2
        on = _rand(b, x, gen) < p
        g = g @ _translate2d(torch.where(on, t[0], 0 * t[0]), torch.where(on, t[1], 0 * t[1]))
    return g


def apply_affine(x: Tensor, g: Tensor) -> Tensor:
    """Resample x (B, C, H, W) at g @ (u, v, 1) for every output pixel (u, v) in [-1, 1].

    Bilinear with reflection padding; align_corners=False, so a matrix with entries in
    {-1, 0, 1} maps pixel centres of a square image onto pixel centres (exact flips and
    90-degree rotations up to float rounding of the coordinates).
    """
    grid = F.affine_grid(g[:, :2, :], list(x.shape), align_corners=False)  # (B, H, W, 2)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


# --- colour ops: one (B, 4, 4) matrix on homogeneous RGB ----------------------------------


def _luma_axis(x: Tensor) -> Tensor:
    return torch.tensor([1.0, 1.0, 1.0, 0.0], device=x.device, dtype=x.dtype) / math.sqrt(3)


def colour_matrix(x: Tensor, p: Tensor | float, ops: Sequence[str] = COLOUR,
                  s: Strengths = Strengths(), generator: torch.Generator | None = None) -> Tensor:
    """The per-sample colour matrix (B, 4, 4) acting on (r, g, b, 1) (ADA appendix B)."""
    b, gen = x.shape[0], generator
    p = torch.as_tensor(p, device=x.device, dtype=x.dtype)
    c = _eye(b, 4, x)
    v = _luma_axis(x)
    vv = torch.outer(v, v)  # projection on the luma axis (4, 4)
    if "brightness" in ops:  # b ~ N(0, 0.2^2): translate3d(b, b, b)
        br = _gate(_randn(b, x, gen) * s.brightness_std, 0.0, p, x, gen)
        m = _eye(b, 4, x)
        m[:, :3, 3] = br[:, None]
        c = m @ c
    if "contrast" in ops:  # c ~ 2^N(0, 0.5^2): scale3d(c, c, c)
        ct = _gate(torch.exp2(_randn(b, x, gen) * s.contrast_std), 1.0, p, x, gen)
        m = _eye(b, 4, x)
        m[:, :3, :3] *= ct[:, None, None]
        c = m @ c
    if "lumaflip" in ops:  # i ~ U{0, 1}: I - 2 v v^T i
        i = _gate(torch.floor(_rand(b, x, gen) * 2), 0.0, p, x, gen)
        c = (_eye(b, 4, x) - 2 * vv * i[:, None, None]) @ c
    if "hue" in ops:  # theta ~ U(-pi, pi): rotation about the luma axis (Rodrigues)
        th = _gate((_rand(b, x, gen) * 2 - 1) * math.pi * s.hue_max, 0.0, p, x, gen)
        k = torch.zeros(4, 4, device=x.device, dtype=x.dtype)  # cross-product matrix of v
        k[0, 1], k[0, 2], k[1, 2] = -v[2], v[1], -v[0]
        k = k - k.T
        cos, sin = torch.cos(th)[:, None, None], torch.sin(th)[:, None, None]
        m = _eye(b, 4, x) + sin * k + (1 - cos) * (k @ k)
        c = m @ c
    if "saturation" in ops:  # s ~ 2^N(0, 1^2): v v^T + (I - v v^T) s
        sat = _gate(torch.exp2(_randn(b, x, gen) * s.saturation_std), 1.0, p, x, gen)
        i3 = _eye(b, 4, x)
        i3[:, 3, 3] = 0
        m = vv + (i3 - vv) * sat[:, None, None]
        m[:, 3, 3] = 1
        c = m @ c
    return c


def apply_colour(x: Tensor, c: Tensor) -> Tensor:
    """Apply (B, 4, 4) colour matrices to x (B, C, H, W); C = 1 is the grey pixel (g, g, g)."""
    b, ch, h, w = x.shape
    rgb = x.expand(b, 3, h, w) if ch == 1 else x  # grey value on the luma axis
    flat = rgb.reshape(b, 3, h * w)  # (B, 3, HW)
    out = c[:, :3, :3] @ flat + c[:, :3, 3:]  # (B, 3, HW)
    out = out.reshape(b, 3, h, w)
    return out.mean(1, keepdim=True) if ch == 1 else out  # back to grey: luma of the result


def cutout(x: Tensor, p: Tensor | float, size: float = 0.5,
           generator: torch.Generator | None = None) -> Tensor:
    """Zero a square of side size * H at a uniform centre, per sample with probability p."""
    b, _, h, w = x.shape
    p = torch.as_tensor(p, device=x.device, dtype=x.dtype)
    centre = _rand((2, b), x, generator)  # (2, B) in [0, 1)
    on = _rand(b, x, generator) < p
    ys = (torch.arange(h, device=x.device, dtype=x.dtype) + 0.5) / h  # pixel centres (H,)
    xs = (torch.arange(w, device=x.device, dtype=x.dtype) + 0.5) / w
    inside_y = (ys[None, :] - centre[1][:, None]).abs() < size / 2  # (B, H)
    inside_x = (xs[None, :] - centre[0][:, None]).abs() < size / 2  # (B, W)
    hole = inside_y[:, :, None] & inside_x[:, None, :] & on[:, None, None]  # (B, H, W)
    return x * (~hole)[:, None].to(x.dtype)


def augment(x: Tensor, p: Tensor | float, ops: Sequence[str] = BGC, s: Strengths = Strengths(),
            generator: torch.Generator | None = None) -> Tensor:
    """ADA's pipeline: each op in `ops` on each sample with probability p; x (B, C, H, W)."""
    _check_images(x)
    _check_ops(ops)
    p_val = float(p)
    if not 0.0 <= p_val or not math.isfinite(p_val):
        raise ValueError(f"p must be a finite number >= 0, got {p_val}")
    if p_val == 0.0:
        return x  # identity, exactly
    geo = [o for o in ops if o in GEOMETRIC]
    col = [o for o in ops if o in COLOUR]
    if geo:
        x = apply_affine(x, geometric_matrix(x, p, geo, s, generator))
    if col:
        x = apply_colour(x, colour_matrix(x, p, col, s, generator))
    if "cutout" in ops:
        x = cutout(x, p, s.cutout_size, generator)
    return x


class Augment:
    """`augment` with fixed p and ops, usable as `Game.augment` (the non-adaptive case)."""

    def __init__(self, p: float, ops: Sequence[str] = BGC, strengths: Strengths = Strengths()):
        _check_ops(ops)
        self.p, self.ops, self.strengths = p, tuple(ops), strengths

    def __call__(self, x: Tensor) -> Tensor:
        return augment(x, self.p, self.ops, self.strengths)


# --- DiffAugment (Zhao et al. 2020) -------------------------------------------------------


def diff_augment(x: Tensor, policy: str = "color,translation,cutout",
                 generator: torch.Generator | None = None) -> Tensor:
    """DiffAugment, always on: the authors' reference code, ops in policy order.

    color: brightness + U(-0.5, 0.5), saturation x U(0, 2) around the channel mean,
    contrast x U(0.5, 1.5) around the image mean; translation: whole pixels,
    U{-H/8..H/8}, zero padding; cutout: a square of side H/2, zero fill.
    """
    _check_images(x)
    gen = generator
    for op in [o.strip() for o in policy.split(",") if o.strip()]:
        if op == "color":
            b = x.shape[0]
            x = x + (_rand((b, 1, 1, 1), x, gen) - 0.5)  # brightness
            m = x.mean(1, keepdim=True)
            x = (x - m) * (_rand((b, 1, 1, 1), x, gen) * 2) + m  # saturation (identity for C=1)
            m = x.mean((1, 2, 3), keepdim=True)
            x = (x - m) * (_rand((b, 1, 1, 1), x, gen) + 0.5) + m  # contrast
        elif op == "translation":
            x = _translate_pixels(x, 0.125, gen)
        elif op == "cutout":
            x = _cutout_pixels(x, 0.5, gen)
        else:
            raise ValueError(f"unknown DiffAugment op {op!r}; use color, translation, cutout")
    return x


def _translate_pixels(x: Tensor, ratio: float, gen) -> Tensor:
    b, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    ty = torch.randint(-sh, sh + 1, (b, 1, 1), generator=gen, device=x.device)
    tx = torch.randint(-sw, sw + 1, (b, 1, 1), generator=gen, device=x.device)
    gy = torch.arange(h, device=x.device)[None, :, None] + ty  # (B, H, 1) source rows
    gx = torch.arange(w, device=x.device)[None, None, :] + tx  # (B, 1, W) source columns
    pad = F.pad(x, [1, 1, 1, 1])  # zeros around: out-of-range sources read 0
    gy, gx = (gy + 1).clamp(0, h + 1), (gx + 1).clamp(0, w + 1)
    bi = torch.arange(b, device=x.device)[:, None, None]
    return pad.permute(0, 2, 3, 1)[bi, gy, gx].permute(0, 3, 1, 2)  # (B, C, H, W)


def _cutout_pixels(x: Tensor, ratio: float, gen) -> Tensor:
    b, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    oy = torch.randint(0, h + (1 - ch % 2), (b, 1, 1), generator=gen, device=x.device)
    ox = torch.randint(0, w + (1 - cw % 2), (b, 1, 1), generator=gen, device=x.device)
    gy = (torch.arange(ch, device=x.device)[None, :, None] + oy - ch // 2).clamp(0, h - 1)
    gx = (torch.arange(cw, device=x.device)[None, None, :] + ox - cw // 2).clamp(0, w - 1)
    mask = torch.ones(b, h, w, device=x.device, dtype=x.dtype)
    mask[torch.arange(b, device=x.device)[:, None, None], gy, gx] = 0
    return x * mask[:, None]


class DiffAugment:
    """`diff_augment` as a callable for `Game.augment`."""

    def __init__(self, policy: str = "color,translation,cutout"):
        self.policy = policy

    def __call__(self, x: Tensor) -> Tensor:
        return diff_augment(x, self.policy)


# --- ADA: the overfitting heuristic and the p controller ----------------------------------


class ADA:
    """Adaptive discriminator augmentation (Karras et al. 2020, section 3).

    Call it on images to augment them with the current p; call `observe(real_logits)`
    with D's logits on (augmented) real images in every D step. Every `interval` D steps
    it computes r_t = E[sign(D(x_real))] over those steps (eq. 1) and moves p by
        sign(r_t - target) * (images observed) / speed_images,
    clamped at p >= 0 (ADA does not clamp above: p > 1 acts like 1). ADA's defaults:
    interval 4, target 0.6, speed_images 500_000 (p can go 0 -> 1 in 500k images).

    State (p, the running sign sum and count, updates so far) lives in `self.state`, a
    dict of tensors read by key on every use; `attach(game)` makes it `game.state`, which
    the trainer saves in checkpoints and restores by key.
    """

    def __init__(self, target: float = 0.6, interval: int = 4, speed_images: float = 500_000,
                 ops: Sequence[str] = BGC, p: float = 0.0, strengths: Strengths = Strengths()):
        _check_ops(ops)
        if interval < 1 or speed_images <= 0 or p < 0:
            raise ValueError("need interval >= 1, speed_images > 0 and p >= 0")
        self.target, self.interval, self.speed_images = target, interval, speed_images
        self.ops, self.strengths = tuple(ops), strengths
        self.state: dict[str, Tensor] = {
            "ada_p": torch.tensor(float(p)), "ada_sign_sum": torch.tensor(0.0),
            "ada_count": torch.tensor(0.0), "ada_steps": torch.tensor(0),
            "ada_rt": torch.tensor(0.0),
        }

    @property
    def p(self) -> float:
        return float(self.state["ada_p"])

    def __call__(self, x: Tensor) -> Tensor:
        return augment(x, self.state["ada_p"].to(x.device), self.ops, self.strengths)

    def attach(self, game) -> ADA:
        """Make this ADA the game's augmentation and its state part of the game's state."""
        game.state.update(self.state)
        self.state = game.state
        game.augment = self
        return self

    @torch.no_grad()
    def observe(self, real_logits: Tensor) -> bool:
        """Accumulate sign(D(x_real)) (B,); every `interval` calls update p. True if updated."""
        st = self.state
        dev = real_logits.device
        st["ada_sign_sum"] = st["ada_sign_sum"].to(dev) + torch.sign(real_logits.float()).sum()
        st["ada_count"] = st["ada_count"].to(dev) + real_logits.numel()
        st["ada_steps"] = st["ada_steps"].to(dev) + 1
        if int(st["ada_steps"]) % self.interval:
            return False
        r_t = st["ada_sign_sum"] / st["ada_count"]  # eq. (1): E[sign(D(x_real))]
        adjust = torch.sign(r_t - self.target) * st["ada_count"] / self.speed_images
        st["ada_p"] = (st["ada_p"].to(dev) + adjust).clamp(min=0.0)
        st["ada_rt"] = r_t
        st["ada_sign_sum"], st["ada_count"] = torch.zeros_like(r_t), torch.zeros_like(r_t)
        return True

    def wrap_phase(self, phase):
        """A copy of D's `Phase` whose loss also feeds D's logits on the real batch to
        `observe` and logs `ada_p` and `ada_rt`. The loss is unchanged; the real batch is
        recognised as the tensor `ctx.real` passed to `ctx.d`."""
        from dataclasses import replace

        inner: Callable = phase.loss

        def loss(ctx):
            seen: list[Tensor] = []
            d = ctx.d

            def recording_d(x, *cond, **kw):
                out = d(x, *cond, **kw)
                if x is ctx.real:
                    seen.append(out.detach())
                return out

            ctx.d = recording_d
            out = inner(ctx)
            if seen:
                self.observe(seen[0])
            out.update(ada_p=self.state["ada_p"].detach().clone(),
                       ada_rt=self.state["ada_rt"].detach().clone())
            return out

        return replace(phase, loss=loss)


# --- invertibility: the "four arrows" example (ADA, section 2) ----------------------------


def four_arrows(p: float) -> np.ndarray:
    """The 4x4 stochastic matrix of "rotate by 90/180/270 degrees with probability p each,
    keep with 1 - 3p" on the four orientations of an arrow: T[i, j] = P(out j | in i)."""
    if not 0.0 <= p <= 1.0 / 3.0:
        raise ValueError(f"need 0 <= p <= 1/3 so that 1 - 3p >= 0, got {p}")
    return np.array([[1 - 3 * p if j == i else p for j in range(4)] for i in range(4)])


def is_invertible(t: np.ndarray, tol: float = 1e-9) -> bool:
    """Whether the augmentation's stochastic matrix can be undone: its smallest singular
    value is above tol (then the augmented distribution determines the clean one)."""
    t = np.asarray(t, dtype=np.float64)
    if t.ndim != 2 or t.shape[0] != t.shape[1]:
        raise ValueError(f"expected a square matrix, got shape {t.shape}")
    return bool(np.linalg.svd(t, compute_uv=False).min() > tol)


# --- invertibility beyond one matrix: Gaussian noise, and compositions ---------------------


def deconvolve_gaussian(density: np.ndarray, dx: float, sigma: float,
                        reg: float = 1e-8) -> np.ndarray:
    """Recover a density p from its Gaussian-noised version q = p * N(0, sigma^2 I).

    `density` is q on a uniform grid (1D, or n-d with the same spacing `dx` on every
    axis), wide enough that q is ~0 at its edges (the FFT wraps around). Adding noise
    multiplies the characteristic function by H(w) = exp(-sigma^2 |w|^2 / 2), which is
    never 0, so q determines p (running the heat equation backwards); dividing by H
    amplifies the rounding at high frequencies, so the division is regularised
    (Tikhonov / Wiener): P = Q H / (H^2 + reg). The result is clipped at 0 and rescaled
    to q's mass. reg -> 0 is the exact inverse on a band-limited grid.
    """
    q = np.asarray(density, dtype=np.float64)
    if not (dx > 0 and sigma >= 0 and reg > 0):
        raise ValueError(f"need dx > 0, sigma >= 0 and reg > 0, got {dx}, {sigma}, {reg}")
    if q.ndim < 1 or min(q.shape) < 2 or not np.isfinite(q).all():
        raise ValueError(f"expected a finite density on a grid, got shape {q.shape}")
    w2 = sum(np.meshgrid(*[(2 * np.pi * np.fft.fftfreq(n, dx)) ** 2 for n in q.shape],
                         indexing="ij"))  # |w|^2 on the FFT grid, q.shape
    h = np.exp(-0.5 * sigma**2 * w2)  # the noise's characteristic function
    p = np.real(np.fft.ifftn(np.fft.fftn(q) * h / (h**2 + reg))).clip(min=0.0)
    mass, got = q.sum(), p.sum()
    return p * (mass / got) if got > 0 else p


# Declared invertibility of an op applied with probability p. The discrete ops' stochastic
# matrices are (1 - p) I + p M with M averaging over the op's group, eigenvalues 1 and
# 1 - p: invertible iff p < 1. Gaussian noise with probability p has the characteristic
# function (1 - p) + p exp(-sigma^2 w^2 / 2) > 0: invertible for every p.
DISCRETE = ("xflip", "rotate90", "lumaflip")


def op_invertible(op: str, p: float) -> bool:
    """Whether `op` applied with probability p (as `augment` applies it) is invertible."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}")
    if op == "noise":
        return True
    if op in DISCRETE:
        return p < 1.0
    raise ValueError(f"no declared invertibility for {op!r}; known: {[*DISCRETE, 'noise']}")


def composition_invertible(ops: Sequence[tuple[str, float]]) -> bool:
    """The rule: a composition of augmentations is invertible iff each part is (for square
    matrices det(AB) = det(A) det(B); an injective map followed by one is injective)."""
    return all(op_invertible(op, p) for op, p in ops)


def _actions(op: str) -> list[Callable[[Tensor], Tensor]]:
    """The deterministic maps of a discrete op on one image (C, H, W), identity first."""
    if op == "xflip":
        return [lambda t: t, lambda t: t.flip(-1)]
    if op == "rotate90":
        return [lambda t, k=k: torch.rot90(t, k, (-2, -1)) for k in range(4)]
    if op == "lumaflip":
        return [lambda t: t, lambda t: -t]
    raise ValueError(f"{op!r} is not a discrete op; use one of {list(DISCRETE)}")


def _law(op: str, p: float) -> list[float]:
    """Probabilities of the op's maps, as `augment` draws them (gate p, then uniform)."""
    n = len(_actions(op))
    return [1 - p + p / n] + [p / n] * (n - 1)


def finite_space(x: Tensor, ops: Sequence[str]) -> list[Tensor]:
    """Every image reachable from x (C, H, W) under the discrete ops' maps: a finite space
    on which augmentations are stochastic matrices. Use an x without symmetries."""
    space, keys, frontier = [x], {x.numpy().round(5).tobytes()}, [x]
    while frontier:
        nxt = []
        for t in frontier:
            for op in ops:
                for f in _actions(op)[1:]:
                    y = f(t)
                    key = y.numpy().round(5).tobytes()
                    if key not in keys:
                        keys.add(key)
                        space.append(y)
                        nxt.append(y)
        frontier = nxt
    return space


def _index(space: list[Tensor], y: Tensor) -> int:
    d = torch.stack([(s - y).abs().max() for s in space])
    i = int(d.argmin())
    if float(d[i]) > 1e-4:
        raise ValueError("the image left the finite space: add the op to finite_space's ops")
    return i


def op_matrix(op: str, p: float, space: list[Tensor]) -> np.ndarray:
    """T[i, j] = P(out = space[j] | in = space[i]) for `op` applied with probability p."""
    t = np.zeros((len(space), len(space)))
    for i, s in enumerate(space):
        for f, w in zip(_actions(op), _law(op, p)):
            t[i, _index(space, f(s))] += w
    return t


def composition_matrix(ops: Sequence[tuple[str, float]], space: list[Tensor]) -> np.ndarray:
    """The stochastic matrix of applying ops[0], then ops[1], ...: a row distribution q
    becomes q @ T. Its invertibility (`is_invertible`) is the numerical check of the rule."""
    t = np.eye(len(space))
    for op, p in ops:
        t = t @ op_matrix(op, p, space)
    return t
