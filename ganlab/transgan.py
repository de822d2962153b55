"""TransGAN: a GAN whose generator and discriminator are transformers, with no convolution.

Source: Jiang et al. 2021, "TransGAN: Two Pure Transformers Can Make One Strong GAN, Even
Scaling Up" (section 3). Both nets are stacks of pre-norm encoder blocks (Vaswani et al. 2017):
x <- x + MSA(LN(x)); x <- x + MLP(LN(x)), MLP = Linear, GELU, Linear (4x wider). G maps z
to a short sequence of tokens on a coarse grid (an MLP), adds learned position embeddings,
and grows the grid stage by stage: after each stage's blocks the tokens are reshaped to a
(C, H, W) map, pixel-shuffled to (C/4, 2H, 2W) (section 3.1, "upsampling"), and given new
position embeddings; a linear layer maps each final token to a pixel. D (section 3.1) cuts
the image into p x p patches, embeds each with a linear layer, prepends a [cls] token, adds
learned position embeddings, and a linear head on the [cls] token gives the logit.

Deviations, for 16x16 digits and a CPU budget: grids 4 -> 8 -> 16 with one block per stage
and a linear layer after each pixel shuffle to restore the width (the paper keeps C/4); no
grid self-attention, no multi-scale discriminator, no relative position encoding or data
augmentation (TransGAN's later versions); the non-saturating loss where the paper uses
WGAN-GP (an R1 penalty, Mescheder et al. 2018, is an option: attention is written out so
that double backward works). The query/key/value projection starts Xavier-uniform, as in
torch's MultiheadAttention: with the default Linear init D overpowered G in short runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import losses
from .options import opt
from .registry import Preset, d_phase_loss, r1_term, register
from .train import Game, Phase, Step, Team

__all__ = ["Attention", "Block", "TransGenerator", "TransDiscriminator", "patchify", "TransGANConfig",
           "CONV_TYPES"]

# what "no convolution" excludes: a test checks no module of either net is one of these
CONV_TYPES = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d,
              nn.ConvTranspose3d)


class Attention(nn.Module):
    """Multi-head self-attention (Vaswani et al. 2017, eq. 1), written out so that double
    backward (R1, gradient penalties) works: softmax(Q K^T / sqrt(d)) V per head."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"token width {dim} must be divisible by the {heads} heads")
        self.heads = heads
        self.qkv, self.out = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        nn.init.xavier_uniform_(self.qkv.weight)  # as torch's MultiheadAttention
        nn.init.zeros_(self.qkv.bias)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: Tensor) -> Tensor:
        b, n, c = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        a = (q @ k.transpose(-1, -2) / (c // self.heads) ** 0.5).softmax(-1)  # (B, h, N, N)
        return self.out((a @ v).transpose(1, 2).reshape(b, n, c))  # (B, N, C)


class Block(nn.Module):
    """Pre-norm transformer encoder block on tokens (B, N, C) -> (B, N, C)."""

    def __init__(self, dim: int, heads: int = 4, mlp_ratio: int = 4) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_ratio * dim), nn.GELU(),
                                 nn.Linear(mlp_ratio * dim, dim))

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln1(x))  # x + MSA(LN(x))
        return x + self.mlp(self.ln2(x))  # x + MLP(LN(x))


def patchify(x: Tensor, p: int) -> Tensor:
    """Non-overlapping p x p patches as tokens: (B, C, H, W) -> (B, HW/p^2, C p^2), row-major."""
    b, c, h, w = x.shape
    if h % p or w % p:
        raise ValueError(f"image size {h}x{w} is not divisible by the patch size {p}")
    x = x.reshape(b, c, h // p, p, w // p, p).permute(0, 2, 4, 1, 3, 5)  # (B, h', w', C, p, p)
    return x.reshape(b, (h // p) * (w // p), c * p * p)


class TransGenerator(nn.Module):
    """z (B, nz) -> images (B, C, size, size) in [-1, 1].

    Tokens on a `start` x `start` grid, doubled by pixel shuffle up to size/`unpatch`; each
    last token emits an `unpatch` x `unpatch` patch of pixels (a linear layer).
    """

    def __init__(self, nz: int = 64, size: int = 16, channels: int = 1, dim: int = 64,
                 heads: int = 4, depth: int = 1, start: int = 4, unpatch: int = 2) -> None:
        super().__init__()
        last = size // unpatch
        n_up = (last // start).bit_length() - 1
        if size % unpatch or start << n_up != last:
            raise ValueError(f"size {size} must be {start} * {unpatch} times a power of two")
        self.start, self.dim, self.unpatch = start, dim, unpatch
        self.fc = nn.Linear(nz, start * start * dim)  # z -> start^2 tokens
        self.pos = nn.ParameterList(nn.Parameter(0.02 * torch.randn(1, (start << i) ** 2, dim))
                                    for i in range(n_up + 1))
        self.stages = nn.ModuleList(nn.Sequential(*[Block(dim, heads) for _ in range(depth)])
                                    for _ in range(n_up + 1))
        self.widen = nn.ModuleList(nn.Linear(dim // 4, dim) for _ in range(n_up))
        self.to_pixels = nn.Linear(dim, channels * unpatch * unpatch)

    def forward(self, z: Tensor) -> Tensor:
        b, s = z.shape[0], self.start
        x = self.fc(z).view(b, s * s, self.dim)  # (B, N, C)
        for i, stage in enumerate(self.stages):
            x = stage(x + self.pos[i])  # (B, s^2, C)
            if i < len(self.widen):
                m = x.transpose(1, 2).reshape(b, self.dim, s, s)  # (B, C, s, s)
                m = F.pixel_shuffle(m, 2)  # (B, C/4, 2s, 2s)
                s *= 2
                x = self.widen[i](m.flatten(2).transpose(1, 2))  # (B, (2s)^2, C)
        pix = self.to_pixels(x).transpose(1, 2).reshape(b, -1, s, s)  # (B, C u^2, s, s)
        return torch.tanh(F.pixel_shuffle(pix, self.unpatch))  # (B, C, size, size)


class TransDiscriminator(nn.Module):
    """(B, C, size, size) -> logits (B,): patch tokens, [cls], position embeddings, blocks."""

    def __init__(self, size: int = 16, channels: int = 1, patch: int = 2, dim: int = 64,
                 heads: int = 4, depth: int = 2) -> None:
        super().__init__()
        if size % patch:
            raise ValueError(f"image size {size} is not divisible by the patch size {patch}")
        self.patch, self.size = patch, size
        self.embed = nn.Linear(channels * patch * patch, dim)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(0.02 * torch.randn(1, (size // patch) ** 2 + 1, dim))
        self.blocks = nn.Sequential(*[Block(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 1)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[-1] != self.size or x.shape[-2] != self.size:
            raise ValueError(f"expected images (B, C, {self.size}, {self.size}), got "
                             f"{tuple(x.shape)}")
        tok = self.embed(patchify(x, self.patch))  # (B, N, dim)
        tok = torch.cat([self.cls.expand(len(x), -1, -1), tok], 1) + self.pos  # (B, N + 1, dim)
        h = self.norm(self.blocks(tok))
        return self.head(h[:, 0]).squeeze(1)  # the [cls] token's logit (B,)


@dataclass
class TransGANConfig:
    """TransGAN options (images (C, H, H), H = 4 * a power of two)."""

    loss: str = opt("nonsaturating", "a key of ganlab.losses.LOSSES")
    nz: int = opt(64, "latent size")
    dim: int = opt(64, "token width of G and D")
    heads: int = opt(4, "attention heads")
    g_depth: int = opt(1, "G's blocks per stage")
    d_depth: int = opt(2, "D's blocks")
    patch: int = opt(4, "D's patch size")
    unpatch: int = opt(2, "G's last tokens each emit an unpatch x unpatch pixel patch")
    r1: float = opt(0.0, "R1 gamma on D (0: off)")
    lr_g: float = opt(2e-4, "Adam (0, 0.99), TTUR")
    lr_d: float = opt(4e-4, "D's learning rate (TTUR: 4 x G's)")


def _build_transgan(name: str, cfg: TransGANConfig, shape: tuple[int, ...], n_classes: int) -> Game:
    if len(shape) != 3 or shape[1] != shape[2]:
        raise ValueError(f"variant {name!r} needs square images (C, H, H), got item shape {shape}")
    d_fn, g_fn, relativistic = losses.LOSSES[cfg.loss]
    if relativistic:
        raise ValueError(f"loss {cfg.loss!r} pairs real and fake logits; use a per-logit loss")
    G = TransGenerator(cfg.nz, shape[1], shape[0], cfg.dim, cfg.heads, cfg.g_depth,
                       unpatch=cfg.unpatch)
    D = TransDiscriminator(shape[1], shape[0], cfg.patch, cfg.dim, cfg.heads, cfg.d_depth)

    d_phase = d_phase_loss(d_fn, penalties={"r1": r1_term(cfg.r1)} if cfg.r1 else None)

    def g_phase(ctx: Step) -> dict[str, Tensor]:
        return {"loss": g_fn(ctx.d(ctx.nets["G"](ctx.z())))}

    teams = {"G": Team(("G",), cfg.lr_g, (0.0, 0.99)), "D": Team(("D",), cfg.lr_d, (0.0, 0.99))}
    return Game(name, {"G": G, "D": D}, teams,
                [Phase("D", "D", d_phase), Phase("G", "G", g_phase)], nz=cfg.nz)


register("transgan", Preset("TransGAN: transformer G (4->8->16 token grids, pixel shuffle) and "
                            "ViT-style D on 2x2 patches; no convolutions",
                            TransGANConfig(), builder="transgan", data="images",
                            default_data="digits"), _build_transgan)
