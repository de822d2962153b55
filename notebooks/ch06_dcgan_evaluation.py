# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 6. DCGAN and how to evaluate a generator
#
# Radford et al. (2016) made GANs train reliably on images with a handful of architecture
# rules ("Unsupervised representation learning with deep convolutional GANs", section 3).
# This chapter trains their DCGAN on the 16x16 digits that ship with ganlab, walks through
# its latent space, and then asks the question every later chapter depends on: **how good
# is a generator, as a number?** We measure the trained generator with FID and KID on the
# digits classifier's features, next to the score of *real* held-out digits (the floor to
# read every score against), and then build a set of deliberately broken generators to see
# which metric notices which failure, and which one notices a generator that copies its
# training set.
#
# Every claim goes through the claims ledger (`ganlab.claims`): each prints the measured
# value, the bar it must clear and the **null**, what an untrained, trivial or copying model
# scores on the same measurement, which must fail the bar. Where randomness matters (the
# training run, the draw of a broken generator's samples) there are three seeds. The table
# at the end collects the claims.

# %%
import time

import matplotlib.pyplot as plt
import torch
from IPython.display import Markdown, display
from scipy.stats import chi
from torch import nn

from ganlab import broken, claims, data, latent, metrics, variants, viz
from ganlab.budget import budget, pick
from ganlab.features import load_digits_net
from ganlab.train import Trainer

ledger = claims.Ledger("ch06_dcgan_evaluation")
print(f"budget: {budget()}")
torch.manual_seed(0)
SEEDS = [0, 1, 2]

# %% [markdown]
# ## The DCGAN guidelines
#
# The paper's rules, as ganlab's `DCGANGenerator` and `DCGANDiscriminator` implement them:
#
# 1. no pooling: the discriminator downsamples with strided convolutions, the generator
#    upsamples with strided transposed convolutions;
# 2. batch norm in both networks, except at the generator's output and the discriminator's
#    input;
# 3. no fully connected hidden layers;
# 4. ReLU in the generator with tanh at its output, LeakyReLU in the discriminator (the
#    slope the cell below prints);
# 5. Adam with the learning rate and $\beta_1$ the cell below prints.
#
# `variants.build("gan", shape, width=...)` returns the DCGAN game for image data (the
# non-saturating loss of chapter 4). The cell below reads the rules off the built networks
# rather than trusting this text: what the paper asks next to what the networks have.
# (These are facts of the code, not measurements: `tests/test_dcgan_guidelines.py` checks
# them.)

# %%
FULL = {"width": 64, "steps": 10_000}  # the full budget's run, for a GPU
WIDTH = pick(cpu=32, full=FULL["width"])  # ngf = ndf
STEPS = pick(cpu=400, full=FULL["steps"])
BATCH = 64
SHAPE = (1, 16, 16)
PAPER = {"lr": 2e-4, "beta1": 0.5, "leaky slope": 0.2}  # section 3 of Radford et al.

game = variants.build("gan", SHAPE, width=WIDTH)
G, D = game.nets["G"], game.nets["D"]
print(G)
print(D)


def kinds(layers):
    return " ".join(type(m).__name__ for m in layers)


pooling = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d, nn.Linear)
found = {
    "pooling or dense layers (none)": kinds(m for m in [*G.modules(), *D.modules()]
                                            if isinstance(m, pooling)) or "none",
    "G: strides of its transposed convs (2 after the first)":
        [m.stride[0] for m in G.net if isinstance(m, nn.ConvTranspose2d)],
    "D: strides of its convs (2)": [m.stride[0] for m in D.body if isinstance(m, nn.Conv2d)],
    "G: last two layers (no BN at the output)": kinds(list(G.net)[-2:]),
    "D: first two layers (no BN at the input)": kinds(list(D.body)[:2]),
    "G: BatchNorm2d layers / transposed convs": (sum(isinstance(m, nn.BatchNorm2d) for m in G.net),
                                                  sum(isinstance(m, nn.ConvTranspose2d) for m in G.net)),
    "D: BatchNorm2d layers / convs": (sum(isinstance(m, nn.BatchNorm2d) for m in D.body),
                                      sum(isinstance(m, nn.Conv2d) for m in D.body)),
    "G: activations (ReLU, Tanh)": sorted({type(m).__name__ for m in G.net
                                           if not isinstance(m, (nn.ConvTranspose2d, nn.BatchNorm2d))}),
    f"D: LeakyReLU slopes ({PAPER['leaky slope']})":
        sorted({m.negative_slope for m in D.body if isinstance(m, nn.LeakyReLU)}),
    f"Adam (lr, betas) per team (lr {PAPER['lr']}, beta1 {PAPER['beta1']})":
        {name: (team.lr, team.betas) for name, team in game.teams.items()},
}
for rule, built in found.items():
    print(f"{rule:70s} {built}")
n_g, n_d = (sum(p.numel() for p in m.parameters()) for m in (G, D))
print(f"G: {n_g:,} parameters, D: {n_d:,}")

# %% [markdown]
# ## The data and the floor
#
# The digits are scikit-learn's 1,797 handwritten 8x8 digits, resized to 16x16 and split
# (stratified by class, four fifths to one fifth) into a **train** split the GAN sees and a
# **test** split it never sees. We measure everything in the feature space of ganlab's
# shipped digits classifier (`load_digits_net().features`, 64 numbers per image), the way
# FID uses Inception on photographs. Numbers computed with this network are comparable with
# each other, not with published Inception FIDs.
#
# Before scoring a generator, score the data against itself. The held-out digits are as
# good as a generator can be, yet their FID to the training digits is not zero: two finite
# samples of one distribution differ. That **real-vs-real floor** is the number to read
# every other score against. It depends on the sample size: the same FID computed on half
# of the held-out digits (three random halves) comes out larger, so every FID below is
# compared with a reference of the same size.

# %%
train, test = data.digits(16, split="train"), data.digits(16, split="test")
net = load_digits_net()
f_train, f_test = net.features(train.x), net.features(test.x)  # (N, 64)
N_EVAL = len(test)
KID_ARGS = dict(subsets=50, subset_size=N_EVAL)


def scores(x):
    """FID and KID (mean, std over subsets) of images x against the training digits."""
    f = net.features(x)
    return metrics.fid(f_train, f), *metrics.kid(f_train, f, **KID_ARGS)


floor = scores(test.x)
halves = [metrics.fid(f_train, f_test[torch.randperm(N_EVAL, generator=torch.Generator()
                                                     .manual_seed(s))[:N_EVAL // 2]])
          for s in SEEDS]
print(f"train: {len(train)} digits, test: {len(test)}")
print(f"real-vs-real floor: FID {floor[0]:.3f}, KID {floor[1]:.4f} ± {floor[2]:.4f}")
ledger.claim("two samples of one distribution differ: FID of the held-out digits to the "
             "training digits", floor[0], null=metrics.fid(f_train, f_train),
             null_name="the training digits themselves", bar=claims.at_least(0.05), fmt=".3f")
ledger.claim("the floor grows as the sample shrinks: FID of half the held-out digits, bar "
             "1.5x the floor of all of them", halves, null=floor[0],
             null_name="all held-out digits", bar=claims.at_least(1.5 * floor[0]), fmt=".3f")

# %% [markdown]
# ## Training
#
# The one `Trainer` of ganlab runs the game: a D step and a G step per iteration on fresh
# batches of training digits, and an exponential moving average (EMA) of G's weights kept
# beside the raw G (`trainer.ema`, with a warm-up of its decay). Three seeds (the networks'
# initial weights, the data order and the latents) give three generators; before each run
# we keep samples of the same network untrained, the null of the next section. Under the
# CPU budget this is a short run; the full budget is meant for a GPU.

# %%
trainers, untrained = {}, {}
t0 = time.perf_counter()
for seed in SEEDS:
    tr = Trainer(variants.build("gan", SHAPE, width=WIDTH, seed=seed), train, steps=STEPS,
                 batch=BATCH, seed=seed, progress=False, log_every=20)
    untrained[seed] = tr.sample(N_EVAL, seed=1, ema=False)  # the same network before training
    tr.fit()
    trainers[seed] = tr
train_s = time.perf_counter() - t0
trainer = trainers[SEEDS[0]]
print(f"{len(SEEDS)} runs of {STEPS} steps of batch {BATCH} in {train_s:.0f} s on {trainer.device}")

fig, axes = plt.subplots(1, 3, figsize=(12, 4))
viz.show_images(test.x[:64], title="held-out digits", ax=axes[0])
viz.show_images(untrained[SEEDS[0]][:64], title="untrained G", ax=axes[1])
viz.show_images(trainer.sample(64), title=f"DCGAN (EMA) after {STEPS} steps", ax=axes[2])
plt.show()
viz.plot_losses(trainer.history)
plt.show()

# %% [markdown]
# ## Scoring the generator
#
# We draw as many samples as there are held-out digits, from each untrained generator, each
# trained raw generator and its EMA copy, and compare their FID and KID with the floor.
# FID is the Fréchet distance between Gaussians fitted to the two feature sets,
# $\lVert\mu_r - \mu_g\rVert^2 + \operatorname{Tr}(\Sigma_r + \Sigma_g - 2(\Sigma_r\Sigma_g)^{1/2})$;
# KID is an unbiased estimate of the squared MMD with the cubic kernel
# $k(x, y) = (x \cdot y / d + 1)^3$: for two independent samples of one distribution it
# averages 0, so a single estimate can be negative. The exercises of this chapter ask you
# to write both.

# %%
raw = {s: trainers[s].sample(N_EVAL, seed=1, ema=False) for s in SEEDS}
ema = {s: trainers[s].sample(N_EVAL, seed=1, ema=True) for s in SEEDS}
rows = {"real held-out (floor)": [floor], "untrained G": [scores(untrained[s]) for s in SEEDS],
        "trained G (raw)": [scores(raw[s]) for s in SEEDS],
        "trained G (EMA)": [scores(ema[s]) for s in SEEDS]}


def mean_sd(v):
    v = torch.tensor(v, dtype=torch.float64)
    return f"{v.mean():.3f} ± {v.std():.3f}" if len(v) > 1 else f"{v[0]:.3f}"


table = ("| images | FID | FID / floor | KID |\n|---|---|---|---|\n" + "\n".join(
    f"| {k} | {mean_sd([r[0] for r in v])} | {mean_sd([r[0] / floor[0] for r in v])} | "
    f"{mean_sd([r[1] for r in v])} |" for k, v in rows.items()))
display(Markdown(f"FID and KID over {len(SEEDS)} seeds (mean ± sd):\n\n" + table))

fid_un, fid_raw, fid_ema = ([r[0] for r in rows[k]] for k in ("untrained G", "trained G (raw)",
                                                                "trained G (EMA)"))
kid_un, kid_ema = ([r[1] for r in rows[k]] for k in ("untrained G", "trained G (EMA)"))
ledger.claim("training cuts FID at least tenfold: FID of the trained G (EMA), bar a tenth of "
             "the best untrained G's", fid_ema, null=fid_un, null_name="untrained G",
             bar=claims.at_most(0.1 * min(fid_un)), fmt=".3f")
ledger.claim("... and for the raw G: FID of the trained G (raw)", fid_raw, null=fid_un,
             null_name="untrained G", bar=claims.at_most(0.1 * min(fid_un)), fmt=".3f")
ledger.claim("KID agrees: KID of the trained G (EMA), bar a tenth of the best untrained G's",
             kid_ema, null=kid_un, null_name="untrained G", bar=claims.at_most(0.1 * min(kid_un)),
             fmt=".4f")
ema_decay = trainer.ema_decay_at(STEPS - 1)  # the decay of the last EMA update
print(f"the EMA's decay at the last step is {ema_decay:.3f}: an average over roughly the "
      f"last {1 / (1 - ema_decay):.0f} steps' weights")

# %% [markdown]
# Training takes the generators a long way from the untrained network towards the floor
# (the claims above); how far each budget's run still is from new real digits, the
# `FID / floor` column of the table shows. The EMA copy is kept for sampling;
# whether it beats the raw generator is measured properly in chapter 2, so this chapter
# claims nothing either way. The full-budget numbers were **not measured** when this
# chapter was written (no GPU was available); run the notebook with `GANLAB_BUDGET=full` on
# a GPU to check every claim at that budget.
#
# ## Walking the latent space
#
# ### Lerp or slerp?
#
# A latent $z \sim \mathcal{N}(0, I_{64})$ has norm close to $\sqrt{64} = 8$: nearly all the
# mass of a high-dimensional Gaussian lies on a thin shell. The straight line between two
# latents (`latent.lerp`) cuts inside the shell: its midpoint $(a + b)/2$ is
# $\mathcal{N}(0, I/2)$, whose mean norm is $1/\sqrt 2$ of the shell's
# ($8 / \sqrt 2 \approx 5.7$), where the generator was never trained. The spherical
# interpolation (`latent.slerp`, White 2016) follows the great circle and keeps the norm.
# The mean norm of $\mathcal{N}(0, I_{64})$ has a closed form, the mean of a $\chi$
# distribution with 64 degrees of freedom (`scipy.stats.chi(64).mean()`); we check both
# midpoints against it on 2,000 random pairs, three times.

# %%
N_PAIRS = 2000
chi_mean = chi(game.nz).mean()  # E|z| for z ~ N(0, I_nz)
ts = torch.linspace(0, 1, 11)
mid_lerp, mid_slerp, shell, shell_2d = [], [], [], []
for s in SEEDS:
    gz = torch.Generator().manual_seed(2 + s)
    a, b = torch.randn(2, N_PAIRS, game.nz, generator=gz)  # (N_PAIRS, 64) each
    norm_lerp = torch.stack([latent.lerp(a, b, t).norm(dim=1).mean() for t in ts])
    norm_slerp = torch.stack([latent.slerp(a, b, t).norm(dim=1).mean() for t in ts])
    mid_lerp.append(norm_lerp[5].item())
    mid_slerp.append(norm_slerp[5].item())
    shell.append((a.norm(dim=1).std() / a.norm(dim=1).mean()).item())
    a2 = torch.randn(N_PAIRS, 2, generator=gz)  # the same measurement in two dimensions
    shell_2d.append((a2.norm(dim=1).std() / a2.norm(dim=1).mean()).item())
print(f"E|z| = {chi_mean:.4f} (closed form); E|z| / sqrt 2 = {chi_mean / 2**0.5:.4f}")
ledger.claim("a 64-d Gaussian latent lives on a thin shell: sd |z| / mean |z|", shell,
             null=shell_2d, null_name="a 2-d Gaussian latent", bar=claims.at_most(0.1), fmt=".3f")
ledger.claim("lerp's midpoint falls inside the shell: mean |z| at t = 0.5, bar E|z| / sqrt 2",
             mid_lerp, null=mid_slerp, null_name="slerp's midpoint",
             bar=claims.near(chi_mean / 2**0.5, 0.05), fmt=".3f")
ledger.claim("slerp's midpoint stays on it: mean |z| at t = 0.5, bar E|z|", mid_slerp,
             null=mid_lerp, null_name="lerp's midpoint", bar=claims.near(chi_mean, 0.05),
             fmt=".3f")

fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(ts, norm_lerp, "o-", label="lerp")
ax.plot(ts, norm_slerp, "s-", label="slerp")
ax.axhline(chi_mean, color="grey", lw=0.5)
ax.set_xlabel("t")
ax.set_ylabel("mean |z|")
ax.legend()
plt.show()

# %% [markdown]
# Both walks through the trained (EMA) generator of the first seed, from one latent to
# another in 10 steps:

# %%
z0, z1 = torch.randn(2, game.nz, generator=torch.Generator().manual_seed(5))
G_ema = trainer.ema["G"].eval()
with torch.no_grad():
    walks = torch.cat([G_ema(latent.interpolate(z0, z1, 10, method=m)) for m in ("lerp", "slerp")])
viz.show_images(walks, nrow=10, title="top: lerp, bottom: slerp", ax=plt.subplots(figsize=(10, 2.4))[1])
plt.show()

# %% [markdown]
# ### Latent arithmetic
#
# Radford et al. averaged the latents of a few samples showing a concept and added and
# subtracted the averages ("smiling woman - neutral woman + neutral man"). On the digits a
# concept is a class: we label 2,000 generated digits with the classifier, average their
# latents per class (`latent.class_means`), and test two things the arithmetic promises.
# Decoding a class mean should give a digit of that class; and moving a sample by
# `latent.analogy(z, mean[its class], mean[c])`, its latent minus its class's mean plus
# class $c$'s mean, should turn it into a $c$. The null is the same arithmetic with the means
# of **shuffled labels** (groups of the same sizes, no class in them): if the latent space
# were not organised by class, class means would be no better than these.

# %%
N_LATENTS, N_MOVE = 2000, 500


def arithmetic(G_s, shuffle_seed=None):
    """(fraction of class means decoded as their class, fraction of moved samples that land
    in the class asked for); with shuffle_seed, for the means of shuffled labels."""
    zs = torch.randn(N_LATENTS, game.nz, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        labels = net.probs(G_s(zs)).argmax(1)  # (N_LATENTS,) the class of each generated digit
    counts = torch.bincount(labels, minlength=10)
    present = (counts >= 5).nonzero().flatten()  # classes with enough samples to average
    keep = torch.isin(labels, present)
    zk, idx = zs[keep], torch.searchsorted(present, labels[keep])  # idx: position in `present`
    group = idx
    if shuffle_seed is not None:
        group = idx[torch.randperm(len(idx), generator=torch.Generator().manual_seed(shuffle_seed))]
    means = latent.class_means(zk, group, len(present))  # (K, 64)
    shift = 1 + torch.arange(N_MOVE) % (len(present) - 1)  # never the sample's own class
    target = (idx[:N_MOVE] + shift) % len(present)
    moved = latent.analogy(zk[:N_MOVE], means[idx[:N_MOVE]], means[target])  # z - own + c
    with torch.no_grad():
        mean_hits = (net.probs(G_s(means)).argmax(1) == present).float().mean().item()
        moved_hits = (net.probs(G_s(moved)).argmax(1) == present[target]).float().mean().item()
    return mean_hits, moved_hits, zk, idx, means, present


G_emas = {s: trainers[s].ema["G"].eval() for s in SEEDS}
arith = {s: arithmetic(G_emas[s]) for s in SEEDS}
arith_null = {s: arithmetic(G_emas[s], shuffle_seed=4) for s in SEEDS}
ledger.claim("decoding a class's mean latent gives that class: fraction of the classes",
             [arith[s][0] for s in SEEDS], null=[arith_null[s][0] for s in SEEDS],
             null_name="means of shuffled labels", bar=claims.at_least(0.2), fmt=".2f")
ledger.claim("z - mean[own class] + mean[c] turns more than half the samples into a c",
             [arith[s][1] for s in SEEDS], null=[arith_null[s][1] for s in SEEDS],
             null_name="means of shuffled labels", bar=claims.at_least(0.5), fmt=".3f")

_, _, zk, idx, means, present = arith[SEEDS[0]]
with torch.no_grad():
    grid = G_ema(torch.cat([zk[:8], *(latent.analogy(zk[:8], means[idx[:8]], means[k].expand(8, -1))
                                      for k in range(min(len(present), 4)))]))
viz.show_images(grid, nrow=8, ax=plt.subplots(figsize=(6, 4))[1],
                title="top: samples; below: moved to classes "
                + ", ".join(str(int(c)) for c in present[:4]))
plt.show()

# %% [markdown]
# The analogy works in bulk: it moves samples into the class asked for far more often than
# the shuffled means do. Decoding a class's mean recovers the fraction of the classes the
# first ledger line shows, above the shuffled means; read it as evidence that the latent
# space is partly organised by class, not as a recipe that works for every class.
#
# ## What each metric misses: a table of broken generators
#
# One number cannot tell *how* a generator fails. To see what each metric measures, we build
# five "generators" whose failure we know, directly from data (`ganlab.broken`), and score
# them all against the training digits:
#
# | generator | built from | its flaw |
# |---|---|---|
# | good | held-out test digits | none: new samples from the data distribution |
# | mode-dropped | held-out digits of classes 0-4 | half the modes missing (diversity) |
# | blurred | held-out digits, Gaussian blur $\sigma = 1$ px | every sample off the manifold (fidelity) |
# | noisy | held-out digits + $\mathcal{N}(0, 0.3^2)$ pixel noise | fidelity, more subtly |
# | memorised | training digits + a little pixel noise | near-copies: no generalisation at all |
#
# The memoriser copies training digits in the good set's class counts (so the two sets
# differ in copying only, not in how many of each digit they hold) and jitters them with a
# little pixel noise (`COPY_NOISE` below), so that no sample is exactly a training image
# and nothing below holds by construction. All five sets have the same size (the number
# of held-out digits of classes 0-4), because FID, KID and the $k$-NN metrics are biased by
# the sample size. Three seeds draw three versions of every set. The metrics:
#
# - **FID** and **KID** compare the two feature distributions as a whole;
# - **precision** (are the fakes inside the real manifold?) and **recall** (are the reals
#   inside the fake manifold?) of Kynkäänniemi et al. 2019, $k = 3$;
# - **density** and **coverage** of Naeem et al. 2020, $k = 5$, the more outlier-robust
#   versions; coverage is capped here by having only a few hundred fakes for over a thousand
#   reals, so read it against the good row;
# - the **Inception-style score** (IS) from the digits classifier's probabilities;
# - a **classifier two-sample test** (C2ST): the held-out accuracy of a fresh MLP trained to
#   tell the real features from the fake ones (chance, one half, when it cannot);
# - two **memorisation checks** that use held-out digits the set did not draw
#   (`broken.heldout_rest`): the median distance (in pixels) from each sample to its nearest
#   training image, divided by the same median for those held-out digits (`NN ratio`), and
#   the data-copying test of Meehan et al. 2020 (`broken.copying_z`): the Mann-Whitney
#   z-score $Z_U$ of the two sets of nearest-neighbour distances, about $\mathcal{N}(0, 1)$
#   for a generator of new data, far below zero when the samples sit closer to the training
#   images than new data does (the paper flags $Z_U < -3$), far above when they sit farther.

# %%
COPY_NOISE = 0.1  # pixel noise std of the memoriser's near-copies (images live in [-1, 1])
sets = {s: broken.broken_generators(train.x, test.x, test.y, seed=s, train_y=train.y,
                                    copy_noise=COPY_NOISE) for s in SEEDS}
rest = {s: broken.heldout_rest(test.x, sets[s]["good"]) for s in SEEDS}  # held-out, not drawn
n_set = len(sets[SEEDS[0]]["good"])


def metric_row(x, s):
    f = net.features(x)
    kid_mean, _ = metrics.kid(f_train, f, subsets=50, subset_size=n_set, seed=s)
    p, r = metrics.precision_recall(f_train, f, k=3)
    dens, cov = metrics.density_coverage(f_train, f, k=5)
    return {"FID": metrics.fid(f_train, f), "KID": kid_mean, "precision": p, "recall": r,
            "density": dens, "coverage": cov, "IS": metrics.inception_score(net.probs(x))[0],
            "C2ST acc": metrics.classifier_two_sample_test(f_train, f, steps=200,
                                                           seed=s)["accuracy"],
            "NN ratio": broken.memorisation_ratio(x, train.x, rest[s]),
            "copying Z_U": broken.copying_z(x, train.x, rest[s])}


tab = {s: {name: metric_row(x, s) for name, x in sets[s].items()} for s in SEEDS}
cols = list(tab[SEEDS[0]]["good"])


def md_row(name, rows_by_seed):
    return f"| {name} | " + " | ".join(mean_sd([r[c] for r in rows_by_seed]) for c in cols) + " |"


md = ("| generator | " + " | ".join(cols) + " |\n|---|" + "---|" * len(cols) + "\n"
      + "\n".join(md_row(name, [tab[s][name] for s in SEEDS]) for name in broken.FAILURES))
display(Markdown(f"Each metric, mean ± sd over {len(SEEDS)} draws of the sets:\n\n" + md))

fig, axes = plt.subplots(1, 5, figsize=(15, 3.2))
for ax, (name, x) in zip(axes, sets[SEEDS[0]].items()):
    viz.show_images(x[:25], nrow=5, title=name, ax=ax)
plt.show()

# %% [markdown]
# ### Each row as claims, with the good generator as the reference
#
# Every cell is read against the good generator of the same draw: a ratio for FID, IS and
# the $k$-NN metrics, a difference for KID (which hovers around zero), and the C2ST accuracy
# and $Z_U$ as they are. "Metric X **catches** failure Y" is a claim whose null is
# *another draw of the good generator*, read against this one: the metric has to move
# further than resampling a good generator moves it. "Metric X **misses** failure Y" is a
# claim whose null is a failure the same metric *does* catch: the bar has to separate the
# two, or "misses" would mean nothing.

# %%
RATIO = ("FID", "IS", "precision", "recall", "density", "coverage")  # read as a ratio to good
TABLE_CLAIMS = [  # (failure, metric, what it does, bar, null: "good" = another good draw)
    ("mode-dropped", "recall", "catches", claims.at_most(0.75), "good"),
    ("mode-dropped", "coverage", "catches", claims.at_most(0.85), "good"),
    ("mode-dropped", "FID", "catches", claims.at_least(5), "good"),
    ("mode-dropped", "IS", "catches", claims.at_most(0.8), "good"),
    ("mode-dropped", "precision", "misses", claims.at_least(0.9), "blurred"),
    ("mode-dropped", "density", "misses", claims.at_least(0.9), "blurred"),
    ("blurred", "precision", "catches", claims.at_most(0.92), "good"),
    ("blurred", "density", "catches", claims.at_most(0.85), "good"),
    ("blurred", "FID", "catches", claims.at_least(3), "good"),
    ("blurred", "KID", "catches", claims.at_least(0.1), "good"),
    ("blurred", "C2ST acc", "catches", claims.at_least(0.75), "good"),
    ("blurred", "IS", "misses", claims.at_least(0.9), "mode-dropped"),
    ("noisy", "precision", "catches", claims.at_most(0.92), "good"),
    ("noisy", "density", "catches", claims.at_most(0.85), "good"),
    ("noisy", "FID", "sees, but mildly,", claims.between(1.3, 3), "good"),
    ("noisy", "recall", "misses", claims.at_least(0.9), "mode-dropped"),
    ("memorised", "FID", "misses", claims.at_most(1.5), "noisy"),
    ("memorised", "KID", "misses", claims.at_most(0.02), "noisy"),
    ("memorised", "precision", "misses", claims.at_least(0.9), "blurred"),
    ("memorised", "recall", "misses", claims.at_least(0.9), "mode-dropped"),
    ("memorised", "C2ST acc", "misses", claims.at_most(0.6), "blurred"),
    ("memorised", "copying Z_U", "catches", claims.at_most(-3), "good"),
    ("good", "copying Z_U", "does not flag", claims.between(-3, 3), "memorised"),
]


def versus_good(metric, row, good):
    if metric in RATIO:
        return row[metric] / good[metric]
    if metric == "KID":
        return row[metric] - good[metric]
    return row[metric]  # the C2ST accuracy and Z_U are read as they are


def how_read(metric):
    return (f"{metric} / good's" if metric in RATIO else "KID - good's" if metric == "KID"
            else metric)


for failure, metric, verdict, bar, null in TABLE_CLAIMS:
    value = [versus_good(metric, tab[s][failure], tab[s]["good"]) for s in SEEDS]
    other = {s: SEEDS[(i + 1) % len(SEEDS)] for i, s in enumerate(SEEDS)}  # another good draw
    null_rows = ({s: tab[other[s]]["good"] for s in SEEDS} if null == "good"
                 else {s: tab[s][null] for s in SEEDS})
    ledger.claim(f"{metric} {verdict} the {failure} generator: {how_read(metric)}", value,
                 null=[versus_good(metric, null_rows[s], tab[s]["good"]) for s in SEEDS],
                 null_name="another good draw" if null == "good" else f"{null} G", bar=bar,
                 fmt=".3f")

# %% [markdown]
# Reading the claims row by row:
#
# - **mode-dropped**: recall and coverage fall while precision and density hold: every sample
#   is a fine digit, half the digits are missing. FID rises many-fold, and the IS drops,
#   since only half the classes appear.
# - **blurred**: precision and density fall, and FID, KID and the two-sample critic all see
#   it. The IS barely moves: the classifier still recognises blurred digits, so **IS is
#   blind to this loss of fidelity**; its ratio stays above the bar that the mode-dropped
#   set, which IS does catch, falls below.
# - **noisy**: precision and density fall, recall does not; FID rises, but less than for
#   blur: its ratio stays under the bar that the blurred set clears, a mild failure for FID.
# - **memorised**: the generator that only copies is the one all the distribution metrics
#   claimed here miss. FID rises less than for the mildly noisy set, KID moves less than for it,
#   precision and recall stay at the good set's level (above the bars that the blurred and
#   mode-dropped sets fall below), and the two-sample critic stays near chance. Only the
#   held-out nearest-neighbour test catches it: its samples sit closer to the training
#   images than new digits do, $Z_U$ falls below Meehan's threshold, and the same test
#   leaves the good generator alone.
#
# So: FID and KID summarise fidelity and diversity together and cannot say which failed;
# precision/density measure fidelity, recall/coverage measure diversity; and **none of the
# metrics that compare the samples with the training distribution detects a generator that
# copies its training set**: that takes held-out data the generator never saw, and a test
# such as $Z_U$ that asks whether the samples are closer to the training images than new
# data is.
#
# ### The DCGAN in the same table
#
# The DCGANs trained above get the same row, each read against the good set of the same
# seed. At this budget their weaker side is fidelity: precision falls much further than
# recall (the null is another good draw, whose precision and recall move together). And
# the copying test clears them: their samples are not closer to the training digits than
# new digits are, so they are not copies.

# %%
gan_rows = {s: metric_row(ema[s][:n_set], s) for s in SEEDS}
display(Markdown("| generator | " + " | ".join(cols) + " |\n|---|" + "---|" * len(cols) + "\n"
                 + md_row("DCGAN (EMA)", [gan_rows[s] for s in SEEDS])))


def pr_gap(row, good):
    return versus_good("recall", row, good) - versus_good("precision", row, good)


other = {s: SEEDS[(i + 1) % len(SEEDS)] for i, s in enumerate(SEEDS)}
ledger.claim("the DCGAN's weaker side is fidelity: (recall / good's) - (precision / good's)",
             [pr_gap(gan_rows[s], tab[s]["good"]) for s in SEEDS],
             null=[pr_gap(tab[other[s]]["good"], tab[s]["good"]) for s in SEEDS],
             null_name="another good draw", bar=claims.at_least(0.2), fmt=".3f")
ledger.claim("the DCGAN does not copy its training digits: copying Z_U",
             [gan_rows[s]["copying Z_U"] for s in SEEDS],
             null=[tab[s]["memorised"]["copying Z_U"] for s in SEEDS], null_name="memorised G",
             bar=claims.at_least(-3), fmt=".2f")

# %% [markdown]
# ## Exercises
#
# In `exercises/ch06_dcgan_evaluation.ipynb` you implement FID from two feature sets and
# the unbiased estimator of KID, and check both against `ganlab.metrics`.
#
# ## The claims of this chapter

# %%
ledger.table()
