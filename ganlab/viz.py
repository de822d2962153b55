"""Pictures: image grids, 2D sample and density plots, loss curves.

Functions return matplotlib figures (to show in a notebook) or write PNG files
(for run folders); nothing here trains or computes metrics.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import Tensor

__all__ = ["image_grid", "show_images", "plot_points", "plot_density", "plot_losses",
           "save_samples", "save_loss_plot", "d_heatmap", "plot_grid"]


def image_grid(x: Tensor, nrow: int | None = None, pad: int = 1) -> np.ndarray:
    """(N, C, H, W) in [-1, 1] -> one (rows*H, cols*W, C) array in [0, 1] (C = 1 or 3)."""
    if x.dim() != 4 or x.shape[1] not in (1, 3):
        raise ValueError(f"expected images (N, 1 or 3, H, W), got {tuple(x.shape)}")
    x = ((x.detach().float().cpu().clamp(-1, 1) + 1) / 2).numpy()  # display range only
    n, c, h, w = x.shape
    cols = nrow or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    grid = np.ones((rows * (h + pad) + pad, cols * (w + pad) + pad, c), dtype=np.float32)
    for i in range(n):
        r, k = divmod(i, cols)
        y0, x0 = pad + r * (h + pad), pad + k * (w + pad)
        grid[y0 : y0 + h, x0 : x0 + w] = x[i].transpose(1, 2, 0)
    return grid


def show_images(x: Tensor, nrow: int | None = None, title: str | None = None, ax=None):
    """Show a grid of images on `ax` (a new figure if None); returns the figure."""
    grid = image_grid(x, nrow)
    fig = ax.figure if ax is not None else plt.figure(figsize=(4, 4))
    ax = ax or fig.add_subplot(1, 1, 1)
    ax.imshow(grid[..., 0] if grid.shape[2] == 1 else grid, cmap="gray", vmin=0, vmax=1)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig


def plot_points(fake: Tensor, real: Tensor | None = None, ax=None, title: str | None = None,
                lim: float | None = None):
    """Scatter 2D (or 1D, as a histogram) generated samples over real ones."""
    fig = ax.figure if ax is not None else plt.figure(figsize=(4, 4))
    ax = ax or fig.add_subplot(1, 1, 1)
    fake = fake.detach().float().cpu()
    if fake.dim() == 2 and fake.shape[1] == 1:
        bins = 60
        if real is not None:
            ax.hist(real[:, 0].cpu().numpy(), bins=bins, density=True, alpha=0.5, label="real")
        ax.hist(fake[:, 0].numpy(), bins=bins, density=True, alpha=0.5, label="generated")
        ax.legend()
    else:
        if real is not None:
            r = real.detach().float().cpu()
            ax.scatter(r[:, 0], r[:, 1], s=2, c="tab:blue", alpha=0.4, label="real")
        ax.scatter(fake[:, 0], fake[:, 1], s=2, c="tab:orange", alpha=0.6, label="generated")
        if lim is not None:
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        ax.legend(loc="upper right", markerscale=4, fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def d_heatmap(d: Callable[[Tensor], Tensor], lim: float, n: int = 100) -> tuple[np.ndarray, ...]:
    """Evaluate sigmoid(D) on an n x n grid of [-lim, lim]^2 -> (xs, ys, values (n, n))."""
    xs = torch.linspace(-lim, lim, n)
    gx, gy = torch.meshgrid(xs, xs, indexing="xy")
    pts = torch.stack([gx.flatten(), gy.flatten()], 1)  # (n*n, 2)
    dev = next(iter(d.parameters())).device if hasattr(d, "parameters") else "cpu"
    with torch.no_grad():
        v = torch.sigmoid(d(pts.to(dev)).float()).cpu().reshape(n, n)
    return xs.numpy(), xs.numpy(), v.numpy()


def plot_density(values: np.ndarray, lim: float, ax=None, title: str | None = None,
                 cmap: str = "RdBu"):
    """Show a (n, n) field over [-lim, lim]^2 (e.g. D's output) as an image."""
    fig = ax.figure if ax is not None else plt.figure(figsize=(4, 4))
    ax = ax or fig.add_subplot(1, 1, 1)
    im = ax.imshow(values, origin="lower", extent=(-lim, lim, -lim, lim), cmap=cmap, vmin=0,
                   vmax=1, alpha=0.8)
    fig.colorbar(im, ax=ax, fraction=0.046)
    if title:
        ax.set_title(title)
    return fig


def plot_grid(values, rows: Sequence[str], cols: Sequence[str], ax=None, title: str | None = None,
              fmt: str = ".2f", cmap: str = "viridis", vmin: float | None = None,
              vmax: float | None = None, label: str | None = None):
    """Heat map of a (len(rows), len(cols)) table (e.g. a metric over a hyperparameter grid),
    each cell annotated with its value in format `fmt`; returns the figure."""
    v = np.asarray(values, dtype=np.float64)
    if v.shape != (len(rows), len(cols)):
        raise ValueError(f"values have shape {v.shape}, expected ({len(rows)}, {len(cols)}) "
                         f"for {len(rows)} row and {len(cols)} column labels")
    fig = ax.figure if ax is not None else plt.figure(figsize=(1.2 * len(cols) + 2, 0.8 * len(rows) + 1))
    ax = ax or fig.add_subplot(1, 1, 1)
    im = ax.imshow(v, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    lo, hi = im.get_clim()
    for (i, j), x in np.ndenumerate(v):  # dark text on the bright end of the colour map
        bright = hi > lo and (x - lo) / (hi - lo) > 0.6
        ax.text(j, i, format(x, fmt), ha="center", va="center", color="black" if bright else "white")
    ax.set_xticks(range(len(cols)), list(cols))
    ax.set_yticks(range(len(rows)), list(rows))
    fig.colorbar(im, ax=ax, fraction=0.046, label=label)
    if title:
        ax.set_title(title)
    return fig


def plot_losses(history: Sequence[dict[str, float]], keys: Sequence[str] | None = None, ax=None):
    """Loss curves from a trainer history (rows with a 'step' entry)."""
    fig = ax.figure if ax is not None else plt.figure(figsize=(6, 3))
    ax = ax or fig.add_subplot(1, 1, 1)
    keys = keys or sorted({k for row in history for k in row if k.endswith("loss")})
    steps = [row["step"] for row in history]
    for k in keys:
        ax.plot(steps, [row.get(k, np.nan) for row in history], label=k)
    ax.set_xlabel("step")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def save_samples(x: Tensor, path: str | Path, real=None, nrow: int | None = None) -> Path:
    """Write samples as a PNG: an image grid (B, C, H, W), curves of series (B, T, C) or clips
    (B, 1, L), or a scatter of points (B, d) over real points (the first two coordinates)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if x.dim() == 4:
        fig = show_images(x, nrow)
    elif x.dim() == 3:
        fig, ax = plt.subplots(figsize=(6, 3))
        curves = x[:8].detach().float().cpu()
        curves = curves[:, 0] if curves.shape[1] == 1 else curves[..., 0]  # (n, T)
        for i, c in enumerate(curves):
            ax.plot(c.numpy() + 2.5 * i, lw=0.8)
        ax.set_yticks([])
    else:
        ref = real.sample(2000, generator=torch.Generator().manual_seed(0)) if real is not None else None
        fig = plot_points(x, ref)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def save_loss_plot(history: Sequence[dict[str, float]], path: str | Path) -> Path:
    path = Path(path)
    fig = plot_losses(history)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path
