# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 2. Training a GAN in 2D
#
# Chapter 1 solved the game on paper. Here two small networks play it on a plane, and we
# watch every part of it at once, as [GAN Lab](https://poloclub.github.io/ganlab/) (Kahng
# et al. 2019) does in the browser:
#
# - the **discriminator's output** $\sigma(D(x))$ over the plane as a heatmap (blue: "real",
#   red: "fake");
# - the **real data** (black) and the **generator's samples** $G(z)$ (orange);
# - **arrows** on the samples: $-\nabla_x J_G$, the direction in which the generator's loss
#   pushes each sample. With the non-saturating loss $J_G = -\log \sigma(D(G(z)))$ they
#   point uphill on $D$, towards what $D$ currently calls real.
#
# The data is `ganlab.data.ring`: 8 Gaussians of std 0.05 on the unit circle. The networks,
# losses and loop are the library's: `ganlab.variants.build("gan", ...)` makes the game
# (MLPs, the non-saturating loss) and `ganlab.train.Trainer` runs it.

# %%
import copy

import matplotlib.pyplot as plt
import numpy as np
import torch

from ganlab import data, variants, viz
from ganlab.budget import budget, pick
from ganlab.metrics.modes import mode_metrics
from ganlab.train import Game, Team, Trainer
from ganlab.widgets import frame_strip, gan_lab_view, train_widget

print(f"budget: {budget()}")
SIGMA = 0.05
ring = data.ring(sigma=SIGMA)
STEPS = pick(cpu=1500, full=10_000)
LR_G, LR_D = 1e-4, 4e-4  # TTUR: D learns 4x faster than G


def make_trainer(lr_g=LR_G, lr_d=LR_D, steps=STEPS, seed=0):
    game = variants.build("gan", (2,), width=64, depth=3, lr_g=lr_g, lr_d=lr_d, seed=seed)
    return Trainer(game, ring, steps=steps, batch=256, seed=seed, progress=False, log_every=50)


def quality(trainer, ema=False):
    """Modes captured, fraction of high-quality samples, reverse KL (ganlab.metrics.modes)."""
    return mode_metrics(trainer.sample(2000, seed=1, ema=ema), ring.means, SIGMA)


# %% [markdown]
# ## Watching a run
#
# A frame strip of one run, with D learning 4 times faster than G. At step 0 the generator
# maps all of $z$ to a small blob and $D$ has no opinion. Then $D$ learns where the data is,
# the arrows pull the samples towards the blue regions, and the generator spreads around the
# ring; $D$ keeps repainting the plane around whatever the generator gets wrong.

# %%
trainer = make_trainer()
frames = [0, STEPS // 8, STEPS // 3, 2 * STEPS // 3, STEPS]
fig, _ = frame_strip(trainer, frames)
plt.show()
ttur = quality(trainer)
print(f"after {STEPS} steps: {ttur['modes']}/8 modes, {ttur['hq_fraction']:.1%} high-quality samples")
assert ttur["modes"] >= 6

# %% [markdown]
# ## Step by step
#
# In JupyterLab the widget below drives a fresh trainer: **step** runs one training step
# (a D update then a G update), **run 100** runs a hundred, **reset** starts again. (In
# the book and under test it draws the starting position once.)

# %%
_ = train_widget(make_trainer, run_steps=100)

# %% [markdown]
# ## Two time-scales (TTUR)
#
# Heusel et al. (2017) showed that giving D a larger learning rate than G (the
# *two time-scale update rule*) makes the game converge to a local Nash equilibrium under
# their assumptions. In practice D then tracks its best response to the current G, so G's
# arrows point somewhere useful. Same networks, same seed, same G learning rate; only D's
# rate changes:

# %%
equal = make_trainer(lr_d=LR_G)
equal.fit()
eq = quality(equal)
print(f"{'':>22} {'modes':>6} {'HQ samples':>11} {'reverse KL':>11}")
for name, m in [(f"TTUR (D {LR_D:g}, G {LR_G:g})", ttur), (f"equal (both {LR_G:g})", eq)]:
    print(f"{name:>22} {m['modes']:>6} {m['hq_fraction']:>11.1%} {m['reverse_kl']:>11.3f}")
assert ttur["modes"] >= eq["modes"] and ttur["hq_fraction"] > eq["hq_fraction"]

fig, axes = plt.subplots(1, 2, figsize=(8, 4))
gan_lab_view(trainer, ax=axes[0], title=f"TTUR, step {trainer.step}")
gan_lab_view(equal, ax=axes[1], title=f"equal rates, step {equal.step}")
plt.show()

# %% [markdown]
# ## An exponential moving average of G's weights
#
# The trainer keeps a second copy of G whose weights are an exponential moving average of
# the trained ones, $\bar\theta \leftarrow \beta \bar\theta + (1-\beta)\theta$ with
# $\beta = 0.999$ (Karras et al. 2018; Yazıcı et al. 2019). The game makes G's weights
# circle around an equilibrium rather than settle; the average sits nearer the middle. One
# number shows it: how far the samples of fixed latents move between checkpoints 10 steps
# apart, for the trained G and for its average.

# %%
z = torch.randn(512, trainer.game.nz, generator=torch.Generator().manual_seed(3))
G, G_ema = trainer.game.nets["G"], trainer.ema["G"]


def outputs(net):
    with torch.no_grad():
        return net(z.to(trainer.device)).cpu()


moves_raw, moves_ema = [], []
prev_raw, prev_ema = outputs(G), outputs(G_ema)
for _ in range(pick(cpu=20, full=100)):
    trainer.run(10)
    raw, ema = outputs(G), outputs(G_ema)
    moves_raw.append((raw - prev_raw).norm(dim=1).mean().item())
    moves_ema.append((ema - prev_ema).norm(dim=1).mean().item())
    prev_raw, prev_ema = raw, ema
jitter_raw, jitter_ema = np.mean(moves_raw), np.mean(moves_ema)
q_raw, q_ema = quality(trainer, ema=False), quality(trainer, ema=True)
print(f"mean move of a sample per 10 steps: trained G {jitter_raw:.4f}, EMA of G {jitter_ema:.4f}")
print(f"quality at step {trainer.step}: trained G {q_raw['modes']} modes, "
      f"{q_raw['hq_fraction']:.1%} HQ; EMA {q_ema['modes']} modes, {q_ema['hq_fraction']:.1%} HQ")
assert jitter_ema < 0.5 * jitter_raw

fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(np.arange(1, len(moves_raw) + 1) * 10, moves_raw, label="trained G")
ax.plot(np.arange(1, len(moves_ema) + 1) * 10, moves_ema, label="EMA of G")
ax.set_xlabel("steps after the run above")
ax.set_ylabel("mean move per 10 steps")
ax.legend()
plt.show()

# %% [markdown]
# ## The Helvetica scenario: G against a frozen D
#
# Goodfellow (2016) named the worst failure of the game after a TV show: if G trains too
# long without D updating, it learns to put *all* its samples where $D$ is most convinced,
# because for a fixed $D$ that is what minimises G's loss. We freeze the trained D and run
# only the G phase of the same game with the same trainer (a `Game` with one phase, a large
# learning rate). Gradient descent finds *a* maximum of $D$ — a nearby high peak, not
# necessarily the global one, since $D$ gives all 8 modes similar scores — so the samples
# pile onto few modes, where $D$ scores them higher than the data it was trained on.

# %%
nets = {k: copy.deepcopy(v) for k, v in trainer.game.nets.items()}
g_phase = [p for p in trainer.game.phases if p.team == "G"]
frozen = Game("helvetica", nets=nets, teams={"G": Team(("G",), lr=1e-2)}, phases=g_phase,
              nz=trainer.game.nz, ema=(), config=trainer.game.config)
helvetica = Trainer(frozen, ring, steps=pick(cpu=1000, full=5000), batch=256, seed=0,
                    progress=False, ema_decay=0.0)
before = helvetica.sample(2000, seed=1, ema=False)
helvetica.fit()
after = helvetica.sample(2000, seed=1, ema=False)


def spread(s):
    return (s - s.median(dim=0).values).norm(dim=1).median().item()  # robust radius


def d_prob(x):
    with torch.no_grad():
        return torch.sigmoid(nets["D"](x)).float()


xs, ys, v = viz.d_heatmap(nets["D"], 1.6, 321)  # sigmoid(D) on a 321 x 321 grid
m_before, m_after = mode_metrics(before, ring.means, SIGMA), mode_metrics(after, ring.means, SIGMA)
print(f"spread of the samples: {spread(before):.3f} before, {spread(after):.4f} after "
      f"{helvetica.step} G-only steps; modes {m_before['modes']} -> {m_after['modes']}")
print(f"mean sigmoid(D) on the samples: {d_prob(before).mean():.3f} before, "
      f"{d_prob(after).mean():.3f} after; max over the plane {v.max():.3f}")
assert m_after["modes"] <= m_before["modes"] // 2 and spread(after) < spread(before)
assert d_prob(after).mean() > d_prob(before).mean() + 0.1

fig, axes = plt.subplots(1, 2, figsize=(8, 4))
gan_lab_view(trainer, ax=axes[0], title="before: the trained game")
gan_lab_view(helvetica, ax=axes[1], title=f"after {helvetica.step} steps against a frozen D")
plt.show()

# %% [markdown]
# Alternating the updates is what stops this: as soon as the samples pile up on one point,
# an updated D marks that point fake and the arrows turn around. Chapter 3 measures what
# happens when that correction is too slow — mode collapse.
#
# ## Exercises
#
# `exercises/ch02_training_2d.ipynb` asks you to write one training step by hand — the D
# update, then the G update — and checks it against the trainer's own step, parameter for
# parameter.
