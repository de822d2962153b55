"""Interactive figures that fall back to a static figure when no front end is attached.

A notebook calls ``slider_plot(draw, sliders)``. With a live Jupyter front end it
returns ipywidgets sliders wired to a figure redrawn on every change; otherwise it
calls ``draw`` once at the sliders' initial values and shows that figure, so nbval,
the book build and a plain ``python`` run all get a picture and no widget state.

"No front end" is decided by, in order:
1. ``GANLAB_STATIC=1`` in the environment (the test command and the book build set it:
   a kernel started by nbval or nbclient cannot tell that nobody is watching);
2. ipywidgets not importable, or not running inside an IPython kernel
   (``get_ipython()`` is None or has no ``kernel``: a script or a terminal IPython).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

ENV_VAR = "GANLAB_STATIC"


@dataclass(frozen=True)
class Slider:
    """A float slider: its range, step, starting value and label."""

    min: float
    max: float
    step: float
    value: float
    description: str = ""


def has_frontend() -> bool:
    """True when widgets can be shown to someone (see the module docstring)."""
    if os.environ.get(ENV_VAR, "").strip() not in ("", "0"):
        return False
    try:
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def slider_plot(
    draw: Callable[..., plt.Figure],
    sliders: dict[str, Slider],
    figsize: tuple[float, float] = (9, 4),
    interactive: bool | None = None,
):
    """Show ``draw(fig, **values)`` with a slider per entry of ``sliders``.

    ``draw`` receives a fresh figure and the slider values by name and draws into it.
    Returns the ipywidgets box when interactive, else the static figure (already shown).
    ``interactive=None`` decides with ``has_frontend()``.
    """
    values = {name: s.value for name, s in sliders.items()}
    if interactive is None:
        interactive = has_frontend()
    if not interactive:
        fig = plt.figure(figsize=figsize)
        draw(fig, **values)
        plt.show()
        return fig

    import ipywidgets as w
    from IPython.display import display

    controls = {
        name: w.FloatSlider(
            min=s.min, max=s.max, step=s.step, value=s.value,
            description=s.description or name, continuous_update=False,
        )
        for name, s in sliders.items()
    }
    out = w.Output()

    def redraw(**kw):
        with out:
            out.clear_output(wait=True)
            fig = plt.figure(figsize=figsize)
            draw(fig, **kw)
            plt.show()

    w.interactive_output(redraw, controls)
    box = w.VBox([w.HBox(list(controls.values())), out])
    display(box)
    return box


# --- GAN-Lab-style view of a 2D game (Kahng et al. 2019, "GAN Lab") ----------------------


def generator_arrows(trainer, x):
    """-d(G's loss)/dx at generated points x (N, 2): where G's update pushes each sample.

    Uses the generator loss of the trainer's game (``game.config["loss"]``, a key of
    ``ganlab.losses.LOSSES``), with D frozen. Returns (N, 2) on the CPU.
    """
    import torch

    from . import losses

    name = trainer.game.config.get("loss", "nonsaturating")
    _, g_fn, needs_real = losses.LOSSES[name]
    if needs_real:
        raise ValueError(f"arrows need a G loss of fake scores only; {name!r} also needs real ones")
    d = trainer.game.nets["D"]
    x = x.detach().to(trainer.device).requires_grad_(True)
    (grad,) = torch.autograd.grad(g_fn(d(x)) * len(x), x)  # the loss is a batch mean
    return -grad.cpu()


def gan_lab_view(trainer, ax=None, lim: float = 1.6, n: int = 512, n_arrows: int = 64,
                 res: int = 80, seed: int = 0, title: str | None = None):
    """D's output over the plane, real points, G's samples and G's gradient arrows.

    The heatmap is sigmoid(D(x)) (blue: D says real, red: D says fake); real samples are
    black dots, generated ones orange; arrows (normalised to a common largest length)
    show the direction each generated sample is pushed by G's loss.
    """
    import torch

    from . import viz

    ax = ax or plt.figure(figsize=(4.5, 4)).add_subplot(1, 1, 1)
    _, _, v = viz.d_heatmap(trainer.game.nets["D"], lim, res)  # (res, res)
    ax.imshow(v, origin="lower", extent=(-lim, lim, -lim, lim), cmap="RdBu", vmin=0, vmax=1,
              alpha=0.75)
    g = torch.Generator().manual_seed(seed)
    real = trainer.data.sample(n, generator=g)  # (n, 2)
    fake = trainer.sample(n, seed=seed, ema=False)  # (n, 2)
    ax.scatter(real[:, 0], real[:, 1], s=3, c="k", alpha=0.5, label="real")
    ax.scatter(fake[:, 0], fake[:, 1], s=3, c="tab:orange", alpha=0.8, label="G(z)")
    arrows = generator_arrows(trainer, fake[:n_arrows])
    scale = arrows.norm(dim=1).max().clamp_min(1e-12)
    u = 0.25 * lim * arrows / scale  # (n_arrows, 2)
    ax.quiver(fake[:n_arrows, 0], fake[:n_arrows, 1], u[:, 0], u[:, 1], angles="xy",
              scale_units="xy", scale=1, width=0.004, color="tab:green")
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_title(title or f"step {trainer.step}")
    return ax


def frame_strip(trainer, steps, lim: float = 1.6, size: float = 3.2):
    """Train ``trainer`` up to each of ``steps`` in turn and draw the view at each: (fig, axes)."""
    fig, axes = plt.subplots(1, len(steps), figsize=(size * len(steps), size))
    for ax, s in zip(np.atleast_1d(axes), steps):
        trainer.fit(s)
        gan_lab_view(trainer, ax=ax, lim=lim)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig, axes


def train_widget(make_trainer, lim: float = 1.6, run_steps: int = 100,
                 interactive: bool | None = None):
    """Buttons: one step, run ``run_steps`` steps, reset (``make_trainer()`` afresh).

    Drives the real trainer (``Trainer.run``). Without a front end: draws the view of a
    fresh trainer once and returns the trainer.
    """
    trainer = make_trainer()
    if interactive is None:
        interactive = has_frontend()
    if not interactive:
        gan_lab_view(trainer, lim=lim)
        plt.show()
        return trainer

    import ipywidgets as w
    from IPython.display import display

    state = {"trainer": trainer}
    out = w.Output()
    buttons = [w.Button(description="step"), w.Button(description=f"run {run_steps}"),
               w.Button(description="reset")]

    def redraw():
        with out:
            out.clear_output(wait=True)
            gan_lab_view(state["trainer"], lim=lim)
            plt.show()

    def on_click(b):
        if b is buttons[2]:
            state["trainer"] = make_trainer()
        else:
            state["trainer"].run(1 if b is buttons[0] else run_steps)
        redraw()

    for b in buttons:
        b.on_click(on_click)
    redraw()
    display(w.VBox([w.HBox(buttons), out]))
    return state["trainer"]
