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
# (MLPs, the non-saturating loss) and `ganlab.train.Trainer` runs it. Every number the
# chapter states is a claim of the ledger (`ganlab.claims`): the measured value, the bar
# it must clear, and what a trivial model (an untrained one, a copy) scores on the same
# measurement; the table at the end collects them.

# %%
import copy

import matplotlib.pyplot as plt
import numpy as np
import torch

from ganlab import claims, collapse, data, ensemble, variants, viz
from ganlab.budget import budget, pick
from ganlab.metrics.modes import mode_metrics
from ganlab.train import Game, Team, Trainer
from ganlab.widgets import frame_strip, gan_lab_view, train_widget

print(f"budget: {budget()}")
ledger = claims.Ledger("ch02_training_2d")
SIGMA = 0.05
ring = data.ring(sigma=SIGMA)
MODES = len(ring.means)  # 8
STEPS = pick(cpu=1500, full=10_000)
LR_G, LR_D = 1e-4, 4e-4  # TTUR: D learns 4x faster than G


def make_trainer(lr_g=LR_G, lr_d=LR_D, steps=STEPS, seed=0):
    game = variants.build("gan", (2,), width=64, depth=3, lr_g=lr_g, lr_d=lr_d, seed=seed)
    return Trainer(game, ring, steps=steps, batch=256, seed=seed, progress=False, log_every=50)


# %% [markdown]
# ## Watching a run
#
# A frame strip of one run, with D learning 4 times faster than G. At step 0 the generator
# maps all of $z$ to a small blob and $D$ has no opinion. Then $D$ learns where the data is,
# the arrows pull the samples towards the blue regions, and the generator spreads around the
# ring; $D$ keeps repainting the plane around whatever the generator gets wrong. (One run
# is one seed: the section after the widget measures these statements on several.)

# %%
trainer = make_trainer()
frames = [0, STEPS // 8, STEPS // 3, 2 * STEPS // 3, STEPS]
fig, _ = frame_strip(trainer, frames)
plt.show()
m = mode_metrics(trainer.sample(2000, seed=1, ema=False), ring.means, SIGMA)
print(f"this run after {STEPS} steps: {m['modes']} of {MODES} modes, "
      f"{m['hq_fraction']:.1%} high-quality samples (within 3 sigma of a mode)")

# %% [markdown]
# ## Step by step
#
# In JupyterLab the widget below drives a fresh trainer: **step** runs one training step
# (a D update then a G update), **run 100** runs a hundred, **reset** starts again. (In
# the book and under test it draws the starting position once.)

# %%
_ = train_widget(make_trainer, run_steps=100)

# %% [markdown]
# ## Several seeds at once
#
# One run says little: another seed can end elsewhere. To train several seeds in one go,
# `ganlab.ensemble` stacks independent copies of the networks into one batched model
# (every weight gets a leading trial dimension) and the same `Trainer` runs it;
# `tests/test_ensemble.py` checks that a batched step equals the separate steps. The
# mode-collapse variant `collapse-gan` (chapter 3) is built on it; with the options below
# its networks are `make_trainer`'s: 3 hidden layers of 64 units, ReLU in G, LeakyReLU in
# D, no batch norm. Each setting trains `SEEDS` trials for `SEED_STEPS` steps, all from the
# same initial networks and batches, so the settings differ only in their learning rates.
#
# The score is `ganlab.metrics.modes.mode_metrics`: a sample is *high quality* (HQ) when it
# lies within 3 sigma of its nearest mode, and a mode is *captured* when at least one HQ
# sample lands on it.

# %%
SEEDS = pick(cpu=6, full=12)  # trials per setting, trained as one batched model
SEED_STEPS = 1500  # the comparisons' horizon (both budgets: the claims are about this length)
NETS = dict(width=64, depth=3, g_width=64, g_depth=3, g_batchnorm=False, pieces=1)
RATES = {"TTUR": (LR_G, LR_D), "equal, slow": (LR_G, LR_G), "equal, fast": (LR_D, LR_D)}


def seeded_run(lr_g, lr_d):
    game = variants.build("collapse-gan", (2,), trials=SEEDS, lr_g=lr_g, lr_d=lr_d, **NETS)
    return Trainer(game, ring, steps=SEED_STEPS, batch=256 * SEEDS, seed=0, progress=False,
                   log_every=50)


def per_seed(g, key):
    """One mode_metrics value per trial of the ensemble generator g (2000 samples each)."""
    return [mode_metrics(x, ring.means, SIGMA)[key] for x in collapse.trial_samples(g, 2000, seed=1)]


def spread(x):
    """Robust radius of each trial's samples: median distance to their median. (T, n, 2) -> (T,)"""
    return (x - x.median(dim=1, keepdim=True).values).norm(dim=2).median(dim=1).values


def d_prob(d, x):
    """sigmoid(D) of each trial's D on that trial's points: (T, n, 2) -> (T, n)."""
    with torch.no_grad():
        logits = d(ensemble.merge_trials(x).to(next(d.parameters()).device))  # (T*n,)
    return torch.sigmoid(ensemble.split_trials(logits.float().cpu(), x.shape[0]))


def real_points(n=2000):
    """n ring samples for each trial: (T, n, 2)."""
    return ring.sample(SEEDS * n, generator=torch.Generator().manual_seed(5)).reshape(SEEDS, n, 2)


lim = 1.6
axis = torch.linspace(-lim, lim, 81)
plane = torch.cartesian_prod(axis, axis).expand(SEEDS, -1, -1)  # (T, 81*81, 2)
runs = {name: seeded_run(*lr) for name, lr in RATES.items()}
ttur = runs["TTUR"]
untrained_modes = per_seed(ttur.game.nets["G"], "modes")
untrained_hq = per_seed(ttur.game.nets["G"], "hq_fraction")
untrained_spread = spread(collapse.trial_samples(ttur.game.nets["G"], 2000, seed=1))
untrained_opinion = (d_prob(ttur.game.nets["D"], plane) - 0.5).abs().amax(dim=1)  # (T,)
for run in runs.values():
    run.fit()
modes = {name: per_seed(run.game.nets["G"], "modes") for name, run in runs.items()}
hq = {name: per_seed(run.game.nets["G"], "hq_fraction") for name, run in runs.items()}
print(f"{'':>12} {'modes, per seed':>24} {'HQ fraction, per seed':>42}")
for name in RATES:
    print(f"{name:>12} {str(modes[name]):>24}   {' '.join(f'{v:.3f}' for v in hq[name])}")

# %% [markdown]
# First the starting position the frame strip showed, now on every seed: the untrained
# generator maps all of $z$ into a blob far narrower than the ring, and the untrained $D$
# has no opinion anywhere on the plane ($\sigma(D)$ stays close to one half). The nulls
# are the data's own spread and the trained $D$ of the same seed.

# %%
ledger.claim("at step 0 G maps all of z to a small blob (spread of its samples)",
             untrained_spread.tolist(), null=spread(real_points()).tolist(),
             bar=claims.at_most(0.25), null_name="the ring's samples", fmt=".3f")
ledger.claim("at step 0 D has no opinion: max over the plane of |sigmoid(D) - 1/2|",
             untrained_opinion.tolist(),
             null=(d_prob(ttur.game.nets["D"], plane) - 0.5).abs().amax(dim=1).tolist(),
             bar=claims.at_most(0.1), null_name="the trained D", fmt=".3f")

# %% [markdown]
# And the headline: with TTUR the GAN captures all 8 modes of the ring on every seed in
# `SEED_STEPS` steps, where the untrained generator (the same trials at step 0) captures
# none.

# %%
ledger.claim("with TTUR a GAN on the ring captures all 8 modes, on every seed",
             modes["TTUR"], null=untrained_modes, bar=claims.at_least(MODES),
             null_name="untrained G", fmt=".1f")

# %% [markdown]
# ## Two time-scales (TTUR)
#
# Heusel et al. (2017) proved that giving D a larger learning rate than G (the
# *two time-scale update rule*) makes the game converge to a local Nash equilibrium under
# their assumptions: D then tracks its best response to the current G, so G's arrows point
# somewhere useful. Comparing TTUR with "equal rates" needs care, because equal rates can be
# equal at either speed. The table above has both: *equal, slow* gives D the generator's
# rate (D slowed down), *equal, fast* gives G the discriminator's rate (G sped up).
#
# At G's slow rate the game is far behind TTUR at this budget: fewer modes and far fewer
# high-quality samples on average over the seeds (each bar asks TTUR for a margin over the
# equal-rate runs' mean; the null is the untrained G, the same trials at step 0).

# %%
ledger.claim("equal slow rates capture at least 3 fewer modes than TTUR (mean over seeds)",
             modes["TTUR"], null=untrained_modes, how="mean",
             bar=claims.margin_over(np.mean(modes["equal, slow"]), 3), null_name="untrained G",
             fmt=".1f")
ledger.claim("equal slow rates reach a far lower HQ fraction than TTUR (mean over seeds)",
             hq["TTUR"], null=untrained_hq, how="mean",
             bar=claims.margin_over(np.mean(hq["equal, slow"]), 0.2), null_name="untrained G",
             fmt=".3f")

# %% [markdown]
# At the fast rate the picture is mixed, and the per-seed numbers show why: the fast game
# is erratic. Its best seed keeps every mode, but its worst seed loses some, where TTUR's
# worst seed loses none; and on average over the seeds TTUR has more high-quality samples.
# So at this budget TTUR is the most reliable of the three settings. The views below show
# one seed under all three, the seed on which the fast game does worst.

# %%
ledger.claim("equal fast rates: the best seed still captures all 8 modes",
             max(modes["equal, fast"]), null=max(untrained_modes), bar=claims.at_least(MODES),
             null_name="untrained G, best seed", fmt=".0f")
ledger.claim("equal fast rates: the worst seed loses modes (TTUR's worst loses none)",
             min(modes["equal, fast"]), null=min(modes["TTUR"]), bar=claims.at_most(MODES - 1),
             null_name="TTUR, worst seed", fmt=".0f")
ledger.claim("equal fast rates reach a lower HQ fraction than TTUR (mean over seeds)",
             hq["TTUR"], null=untrained_hq, how="mean",
             bar=claims.margin_over(np.mean(hq["equal, fast"]), 0.05), null_name="untrained G",
             fmt=".3f")


def trial_trainers(game):
    """Each trial of an ensemble game as a one-trial game (ensemble.unstack_params) in a
    Trainer, so the GAN-Lab view can draw it."""
    singles = [variants.build("collapse-gan", (2,), trials=1, **NETS) for _ in range(SEEDS)]
    for net in ("G", "D"):
        ensemble.unstack_params(game.nets[net], [s.nets[net] for s in singles])
    return [Trainer(s, ring, steps=0, progress=False, ema_decay=0.0) for s in singles]


worst = int(np.argmin(hq["equal, fast"]))  # the fast game's worst seed, under all three settings
fig, axes = plt.subplots(1, 3, figsize=(12, 4))
for ax, (name, run) in zip(axes, runs.items()):
    gan_lab_view(trial_trainers(run.game)[worst], ax=ax, title=f"{name}, seed {worst}")
plt.show()

# %% [markdown]
# ## How much the settings matter
#
# TTUR changed one setting and moved the result a lot. GANs are known to be sensitive to
# their hyperparameters in general, and the claim worth checking is a comparative one: the
# result moves more when the settings change than when only the seed does. A small grid
# on the ring: G's learning rate (`1e-4` or `1e-3`), D's learning rate as a multiple of
# G's (the TTUR ratio, 1 or 4) and the batch per trial (64 or 256). Each cell trains
# `GRID_SEEDS` trials as one batched model for `GRID_STEPS` steps, shorter than the runs
# above, so the grid shows where each setting stands at a fixed budget.
#
# The statistic is `ensemble.grid_spread`: the standard deviation, over the cells, of each
# cell's mean over its seeds, divided by the pooled standard deviation over seeds within a
# cell. Above 1, the settings move the metric more than the seeds do. Its null is the same
# statistic on a grid whose cells all have the *same* settings (one setting of the grid,
# trained on as many trials as the grid has, split into as many cells): only the seeds
# differ between its cells, and its ratio sits near $1/\sqrt{\text{seeds}}$.

# %%
GRID_SEEDS = pick(cpu=4, full=8)  # trials per cell, trained as one batched model
GRID_STEPS = 500  # every cell's horizon (both budgets)
GRID_LR_G = (1e-4, 1e-3)  # rows: G's learning rate
GRID_COLS = ((1, 64), (1, 256), (4, 64), (4, 256))  # columns: (lr_d / lr_g, batch per trial)
NULL_CELL = (1e-4, 4, 64)  # the setting every cell of the null grid shares
GRID_BAR = 1.0  # spread across the grid's cells, in units of the spread across seeds


def grid_cell(lr_g, ratio, batch, trials=GRID_SEEDS):
    """(modes, HQ fraction) per trial of one setting, after GRID_STEPS steps."""
    game = variants.build("collapse-gan", (2,), trials=trials, lr_g=lr_g, lr_d=ratio * lr_g, **NETS)
    Trainer(game, ring, steps=GRID_STEPS, batch=batch * trials, seed=0, progress=False).fit()
    ms = [mode_metrics(x, ring.means, SIGMA) for x in collapse.trial_samples(game.nets["G"], 2000, seed=1)]
    return [m["modes"] for m in ms], [m["hq_fraction"] for m in ms]


cells = [[grid_cell(lr, ratio, b) for ratio, b in GRID_COLS] for lr in GRID_LR_G]
grid = {k: np.array([[c[i] for c in row] for row in cells]) for i, k in enumerate(("modes", "hq"))}
same = grid_cell(*NULL_CELL, trials=len(GRID_LR_G) * len(GRID_COLS) * GRID_SEEDS)
null_grid = {k: np.array(v).reshape(-1, GRID_SEEDS) for k, v in zip(("modes", "hq"), same)}

fig, axes = plt.subplots(1, 2, figsize=(12, 3))
cols = [f"lr_d = {r} lr_g\nbatch {b}" for r, b in GRID_COLS]
rows = [f"lr_g = {lr:g}" for lr in GRID_LR_G]
viz.plot_grid(grid["modes"].mean(-1), rows, cols, ax=axes[0], fmt=".1f", vmin=0, vmax=MODES,
              title=f"modes captured (mean of {GRID_SEEDS} seeds)")
viz.plot_grid(grid["hq"].mean(-1), rows, cols, ax=axes[1], fmt=".2f", vmin=0, vmax=1,
              title=f"HQ fraction (mean of {GRID_SEEDS} seeds)")
plt.show()
for k, name in (("modes", "modes"), ("hq", "HQ fraction")):
    g, n = ensemble.grid_spread(grid[k]), ensemble.grid_spread(null_grid[k])
    print(f"{name}: across cells {g['between']:.3f}, across seeds {g['within']:.3f}; "
          f"same-settings grid: {n['between']:.3f} and {n['within']:.3f}")

# %% [markdown]
# The ledger lines below state the comparison for both scores: the spread across the grid,
# in units of the spread across seeds, against the same ratio for the grid whose cells
# share one setting.

# %%
for k, name in (("modes", "modes captured"), ("hq", "HQ fraction")):
    ledger.claim(f"{name}: the grid's settings move it more than the seeds do "
                 "(spread across cells / spread across seeds)",
                 ensemble.grid_spread(grid[k])["ratio"], null=ensemble.grid_spread(null_grid[k])["ratio"],
                 null_name="a grid of one setting", bar=claims.at_least(GRID_BAR), fmt=".2f")


# %% [markdown]
# ## An exponential moving average of G's weights
#
# The trainer keeps a second copy of G whose weights are an exponential moving average of
# the trained ones, $\bar\theta \leftarrow \beta \bar\theta + (1-\beta)\theta$ with
# $\beta = 0.999$ (Karras et al. 2018; Yazıcı et al. 2019). The game makes G's weights
# circle around an equilibrium rather than settle; the average should sit nearer the
# middle. We measure it both ways on the TTUR seeds, continuing their training: how far
# the samples of fixed latents move between checkpoints 10 steps apart, and the quality of
# the samples at the end. The null for both is a copy of G ($\beta = 0$), which moves
# exactly as G does and scores exactly what G scores.

# %%
G, G_ema = ttur.game.nets["G"], ttur.ema["G"]
hq_before = per_seed(G, "hq_fraction")


def outputs(net):
    return collapse.trial_samples(net, 512, seed=3)  # fixed latents: (T, 512, 2)


moves_raw, moves_ema = [], []
prev_raw, prev_ema = outputs(G), outputs(G_ema)
for _ in range(pick(cpu=20, full=100)):
    ttur.run(10)
    raw, ema = outputs(G), outputs(G_ema)
    moves_raw.append((raw - prev_raw).norm(dim=2).mean(dim=1))  # (T,)
    moves_ema.append((ema - prev_ema).norm(dim=2).mean(dim=1))
    prev_raw, prev_ema = raw, ema
moves_raw, moves_ema = torch.stack(moves_raw), torch.stack(moves_ema)  # (checkpoints, T)
hq_raw, hq_ema = per_seed(G, "hq_fraction"), per_seed(G_ema, "hq_fraction")

ledger.claim("EMA's samples move at most half as far per 10 steps as G's (ratio, per seed)",
             (moves_ema.mean(0) / moves_raw.mean(0)).tolist(), null=1.0,
             bar=claims.at_most(0.5), null_name="a copy of G", fmt=".3f")
ledger.claim("the average keeps all 8 modes too, on every seed",
             per_seed(G_ema, "modes"), null=untrained_modes, bar=claims.at_least(MODES),
             null_name="untrained G", fmt=".1f")

fig, ax = plt.subplots(figsize=(6, 3))
after_steps = np.arange(1, len(moves_raw) + 1) * 10
ax.plot(after_steps, moves_raw.mean(1), label="trained G (mean over seeds)")
ax.plot(after_steps, moves_ema.mean(1), label="EMA of G (mean over seeds)")
ax.set_yscale("log")
ax.set_xlabel(f"steps after step {SEED_STEPS}")
ax.set_ylabel("mean move per 10 steps")
ax.legend()
plt.show()

# %% [markdown]
# So the average is smoother and covers the ring as well. It is **not** more precise at
# this budget: its HQ fraction is *lower* than the trained G's on average over the seeds.
# The reason is visible in the same run: G is still improving (its HQ fraction rises over
# the steps we just ran), and an average over its recent past lags behind a generator that
# improves. The average can be expected to help only once G stops improving and merely
# circles; the runs here are too short to get there.

# %%
ledger.claim("G is still improving: its HQ fraction rises over the extra steps (mean)",
             [a - b for a, b in zip(hq_raw, hq_before)], null=0.0, how="mean",
             bar=claims.at_least(0.005), null_name="a G that has stopped", fmt=".3f")
ledger.claim("at this budget EMA's HQ fraction is lower than G's (EMA minus G, mean)",
             [e - r for e, r in zip(hq_ema, hq_raw)], null=0.0, how="mean",
             bar=claims.at_most(-0.01), null_name="a copy of G", fmt=".3f")

# %% [markdown]
# ## The Helvetica scenario: G against a frozen D
#
# Goodfellow (2016) named the worst failure of the game after a TV show: if G trains too
# long without D updating, it learns to put *all* its samples where $D$ is most convinced,
# because for a fixed $D$ that is what minimises G's loss. We freeze each seed's trained D
# and run only the G phase of the same game with the same trainer (a `Game` with one
# phase, a large learning rate). Gradient descent finds *a* maximum of $D$, not
# necessarily the highest one, and the samples pile onto it.

# %%
nets = {k: copy.deepcopy(v) for k, v in ttur.game.nets.items()}
g_phase = [p for p in ttur.game.phases if p.team == "G"]
frozen = Game("helvetica", nets=nets, teams={"G": Team(("G",), lr=1e-2)}, phases=g_phase,
              nz=ttur.game.nz, ema=(), config=ttur.game.config)
helvetica = Trainer(frozen, ring, steps=pick(cpu=3000, full=5000), batch=256 * SEEDS, seed=0,
                    progress=False, ema_decay=0.0)
before = collapse.trial_samples(nets["G"], 2000, seed=1)  # (T, 2000, 2): the alternating game's G
helvetica.fit()
after = collapse.trial_samples(nets["G"], 2000, seed=1)
real = real_points()
print(f"spread per seed before: {' '.join(f'{v:.3f}' for v in spread(before))}")
print(f"spread per seed after {helvetica.step} G-only steps: "
      f"{' '.join(f'{v:.4f}' for v in spread(after))}")

# %% [markdown]
# The spread of the samples falls below the std of a single mode of the data on every
# seed, while the alternating game keeps its samples spread around the ring: G has
# collapsed onto a point. $D$ calls that point real: on average over the seeds its mean
# $\sigma(D)$ there is above one half, where it called the alternating game's samples
# fake. And on average $D$ scores the collapsed samples higher than the data it was
# trained on.

# %%
ledger.claim("against a frozen D, G collapses onto a point (spread below one mode's std)",
             spread(after).tolist(), null=spread(before).tolist(), bar=claims.at_most(SIGMA),
             null_name="the alternating game's G", fmt=".4f")
ledger.claim("D calls the collapsed samples real: mean sigmoid(D) above 1/2 (mean over seeds)",
             d_prob(nets["D"], after).mean(1).tolist(), how="mean",
             null=d_prob(nets["D"], before).mean(1).tolist(), bar=claims.at_least(0.5),
             null_name="the alternating game's G", fmt=".3f")
real_score = d_prob(nets["D"], real).mean(1)
ledger.claim("D scores the collapsed samples above the data (sigmoid(D) minus data's, mean)",
             (d_prob(nets["D"], after).mean(1) - real_score).tolist(), how="mean",
             null=(d_prob(nets["D"], before).mean(1) - real_score).tolist(),
             bar=claims.at_least(0.05), null_name="the alternating game's G", fmt=".3f")

fig, axes = plt.subplots(1, 2, figsize=(8, 4))
gan_lab_view(trial_trainers(ttur.game)[0], ax=axes[0], title="seed 0 before: the trained game")
gan_lab_view(trial_trainers(frozen)[0], ax=axes[1],
             title=f"after {helvetica.step} steps against a frozen D")
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
#
# ## The ledger
#
# Every claim of the chapter, with its measured value (mean ± spread over seeds where
# there are several), its null and its bar:

# %%
ledger.table()
