# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 11. Attention, scale and a single image
#
# Three ideas that carried GANs from digits to photographs, each a small ganlab module run
# by the one trainer (`ganlab.train`):
#
# | variant | what is new | ganlab |
# |---|---|---|
# | SAGAN | a self-attention block in G and D; SN in both, hinge loss, TTUR | `sagan` (`ganlab.attention`) |
# | BigGAN | shared-embedding CBN, hierarchical z, projection D, ortho. reg., truncation | `biggan` |
# | SinGAN | a pyramid of small GANs learnt from one image, coarse to fine | `ganlab.singan` |
#
# Every number this chapter states is a claim of the ledger (`ganlab.claims`): the measured
# value, the bar it clears and a **null** (an untrained, chance, trivial or ablated model on
# the same measurement) that fails the bar; where the seed matters, three seeds. The cpu
# budget cannot train the SAGAN probe and the BigGANs far enough for their effects to show,
# so `scripts/train_ch11_models.py` trained them (three seeds each, CPU, one thread; the
# command, sizes and times are in `ganlab/weights/ch11_*.json` and `benchmarks/README.md`)
# and this chapter **evaluates those weights live**; short live runs show each mechanism.

# %%
import json

import matplotlib.pyplot as plt
import torch
from scipy.stats import spearmanr

from ganlab import attention, claims, data, regularizers, singan, variants, viz
from ganlab.budget import budget, pick
from ganlab.earlystop import fit_tracked
from ganlab.features import load_digits_net, weights_path
from ganlab.inference import load_pretrained
from ganlab.metrics.prdc import precision_recall
from ganlab.train import Game, Phase, Team, Trainer

print(f"budget: {budget()}")
ledger = claims.Ledger("ch11_scale_attention")
SEEDS = (0, 1, 2)
digits = data.digits(16, "train")
judge = load_digits_net()

# %% [markdown]
# ## SAGAN: self-attention
#
# Convolutions only mix neighbours; Zhang et al. (2019) add a block in which every pixel
# $j$ attends to every pixel $i$: $\beta_{j,i} = \mathrm{softmax}_i(f(x_j)^\top g(x_i))$,
# $o_j = W_v \sum_i \beta_{j,i} h(x_i)$ and $y = x + \gamma\, o$ with $\gamma$ **learned and
# starting at 0**, so the network begins as a plain convnet and lets attention in as it
# learns (`attention.SelfAttention`). The `sagan` preset puts one such block at 8x8 in G and
# in D, spectrally normalises both, and trains with the hinge loss and the two-timescale
# rule (D at $4\cdot 10^{-4}$, G at $10^{-4}$).
#
# **What the block adds: a long-range probe.** A conv stack of depth $L$ (3x3 kernels) sees
# a $(2L+1)$-wide window; a pixel further away cannot influence its output. The probe task
# makes the dependency long-range on purpose: images whose right half is the **mirror** of
# the left half (`attention.mirror_images`, smoothed noise of unit variance), shown with the
# right half hidden; the net must fill it in. Column $c$ of the right half copies column
# $15 - c$, so the far columns (12 to 15) copy from 9 to 15 pixels away, beyond the reach of
# the conv-only net (`attention.CompletionNet`, four 3x3 convs and fixed Fourier position
# channels). The attention net is the same net with a `SelfAttention` block in the middle:
# the only difference. Each is trained by the `Trainer` as a one-phase `Game` (a regression,
# not a GAN: the probe isolates the block). First a short live run of the mechanism:

# %%
FAR = slice(12, 16)  # the far columns: their sources lie 9 to 15 pixels away
mirror_train = data.ArrayDataset(attention.mirror_images(2000, seed=0))
mirror_test = attention.mirror_images(500, seed=99)  # held out


def far_error(net, x=mirror_test):
    """Mean squared error of the filled-in far columns (the images have unit variance)."""
    with torch.no_grad():
        out = net(attention.hide_right_half(x))
    return float((out - x)[..., FAR].square().mean())


def mirror_game(att: bool, seed: int) -> Game:
    torch.manual_seed(seed)
    net = attention.CompletionNet(width=32, depth=4, attention=att, freqs=(1, 2))
    return Game("mirror", {"G": net}, {"G": Team(("G",), lr=2e-3, betas=(0.9, 0.999))},
                [Phase("G", "G", attention.mirror_phase)], nz=1, ema=())


live_steps = pick(cpu=150, full=800)
live = {}
for att in (True, False):
    game = mirror_game(att, seed=0)
    hist = Trainer(game, mirror_train, steps=live_steps, batch=16, ema_decay=0.0,
                   progress=False, seed=0, log_every=10).fit()
    live[att] = game.nets["G"].eval()
    plt.plot([r["step"] for r in hist], [r["G/loss"] for r in hist],
             label="with attention" if att else "conv only")
plt.xlabel("step")
plt.ylabel("training MSE (whole image)")
plt.legend()
plt.title("live run of the mirror probe")
plt.show()
print(f"live run, {live_steps} steps: far-column MSE {far_error(live[True]):.3f} with attention, "
      f"{far_error(live[False]):.3f} conv only")

# %% [markdown]
# The shipped nets (three seeds each, trained longer by the script) are scored on 500
# held-out images. The null is the conv-only net of the same seed: it cannot see the source
# columns, so the best it can do there is predict the mean, an error near the images'
# variance.

# %%
mirror_meta = json.loads(weights_path("ch11_mirror.json").read_text())
mirror_blobs = torch.load(weights_path("ch11_mirror.pt"), map_location="cpu", weights_only=True)


def shipped_mirror(att: bool, seed: int):
    net = mirror_game(att, seed).nets["G"]
    net.load_state_dict({k: v.float() for k, v in
                         mirror_blobs[f"{'attention' if att else 'conv'}-s{seed}"].items()})
    return net.eval()


att_nets = [shipped_mirror(True, s) for s in SEEDS]
conv_nets = [shipped_mirror(False, s) for s in SEEDS]
err_att, err_conv = [far_error(n) for n in att_nets], [far_error(n) for n in conv_nets]
ledger.claim("with self-attention the net fills in the far mirrored columns; conv-only cannot "
             "(far-column MSE, unit-variance images)", err_att, null=err_conv,
             bar=claims.at_most(0.2), null_name="same net without attention", fmt=".3f")

# %% [markdown]
# **Where it looks.** For a query pixel in a far column, row $j$ of $\beta$ should put its
# mass on the mirror pixel. The measurement: the attention mass that far-column queries put
# on the 3x3 neighbourhood of their mirror pixel, averaged over queries and images; the null
# is the same net before training (its attention is near uniform).

# %%
H = W = 16
rows, cols = torch.meshgrid(torch.arange(H), torch.arange(W), indexing="ij")
near_mirror = ((rows[:, :, None, None] - rows).abs() <= 1) & \
              ((cols[:, :, None, None] - (W - 1 - cols)).abs() <= 1)  # (H, W, H, W) query, key
near_mirror = near_mirror.reshape(H * W, H * W)  # [j, i]: key i is near query j's mirror pixel
far_queries = (cols.flatten() >= FAR.start)


def mirror_mass(net, x=mirror_test[:100]):
    with torch.no_grad():
        beta = net.attention_map(attention.hide_right_half(x))  # (B, N, N)
    return float((beta * near_mirror).sum(-1)[:, far_queries].mean())


mass = [mirror_mass(n) for n in att_nets]
mass_untrained = [mirror_mass(mirror_game(True, s).nets["G"].eval()) for s in SEEDS]
ledger.claim("far-column queries attend to their mirror pixel's 3x3 neighbourhood "
             "(attention mass there)", mass, null=mass_untrained, bar=claims.at_least(0.5),
             null_name="the same net untrained", fmt=".3f")

x = mirror_test[:1]
query = (5, 14)
with torch.no_grad():
    beta = att_nets[0].attention_map(attention.hide_right_half(x))[0]  # (N, N)
    filled = att_nets[0](attention.hide_right_half(x))
fig, ax = plt.subplots(1, 4, figsize=(10, 2.8))
for a, img, t in zip(ax, [x[0, 0], attention.hide_right_half(x)[0, 0], filled[0, 0],
                          beta[query[0] * W + query[1]].view(H, W)],
                     ["image", "input (right half hidden)", "filled in (attention)",
                      "attention of the red query"]):
    a.imshow(img, cmap="viridis" if t.startswith("attention") else "gray")
    a.set_title(t, fontsize=9)
    a.axis("off")
ax[3].scatter([query[1]], [query[0]], c="r", s=15)
plt.show()

# %% [markdown]
# ## BigGAN's pieces
#
# Brock et al. (2019) scale a SAGAN-like model up and add, among others:
#
# * **class-conditional BN** with a **shared embedding**: each BN of G has no affine of its
#   own; its gain $1 + W_\gamma c$ and bias $W_\beta c$ are linear in $c$, where $c$
#   concatenates one class embedding shared by every block with
# * a **hierarchical latent**: $z$ split into chunks, one for the first layer and one per
#   block (`attention.split_latent`);
# * a **projection D** (Miyato & Koyama 2018) and **orthogonal regularisation** of G,
#   $\beta \lVert W W^\top \odot (1 - I) \rVert_F^2$ (`regularizers.orthogonal_penalty`);
# * the **truncation trick**: at sampling time, entries of $z$ with $|z| > t$ are redrawn
#   (`attention.truncate_z`), so samples come from the dense centre of the latent;
# * and, since large runs eventually **collapse**, training is stopped early at the best
#   checkpoint by a sample metric (`ganlab.earlystop`).
#
# The shipped BigGANs (width 16, three seeds) come in two versions: the `biggan` preset
# (orthogonal regularisation at the paper's $\beta = 10^{-4}$) and the same with it off.
# **Class-conditional BN**: G's only class input is the shared embedding fed to its BNs, so
# if the digits net (the judge, trained on real digits only) reads the asked class off the
# samples, the CBN carries the class. The null: the same samples scored against a random
# permutation of the asked labels (chance).

# %%
bg_path = weights_path("ch11_biggan.pt")
bg_meta = json.loads(bg_path.with_suffix(".json").read_text())
biggan = {s: load_pretrained(bg_path, f"biggan-s{s}").nets["G"] for s in SEEDS}
noortho = {s: load_pretrained(bg_path, f"biggan-noortho-s{s}").nets["G"] for s in SEEDS}
NZ = biggan[0].nz
N_EVAL = 1000
y_eval = torch.arange(N_EVAL) % 10
z_eval = torch.randn(N_EVAL, NZ, generator=torch.Generator().manual_seed(2))
real_feats = judge.features(digits.x[:N_EVAL])


def class_accuracy(g, z=z_eval, y=y_eval):
    with torch.no_grad():
        return float((judge.probs(g(z, y)).argmax(1) == y).float().mean())


perm = y_eval[torch.randperm(N_EVAL, generator=torch.Generator().manual_seed(3))]
acc = [class_accuracy(biggan[s]) for s in SEEDS]
with torch.no_grad():
    acc_perm = [float((judge.probs(biggan[s](z_eval, y_eval)).argmax(1) == perm).float().mean())
                for s in SEEDS]
ledger.claim("class-conditional BN steers G to the asked digit (judge's accuracy on the samples)",
             acc, null=acc_perm, bar=claims.at_least(0.5), null_name="labels permuted (chance)",
             fmt=".3f")
with torch.no_grad():
    viz.show_images(biggan[0](z_eval[:100], y_eval[:100]), nrow=10,
                    title="BigGAN (shipped, seed 0, no truncation): one column per class")
plt.show()

# %% [markdown]
# **Orthogonal regularisation.** The measurement is the quantity the penalty acts on,
# $\sum_W \lVert W W^\top \odot (1 - I) \rVert_F^2$ over G's weight matrices (the shared
# embedding excluded, as in the authors' code), on the trained weights of each seed; the
# null is the same G trained without the penalty.

# %%
def off_diagonal(g) -> float:
    shared = {id(p) for p in g.shared.parameters()}
    ws = [p for p in g.parameters() if p.dim() >= 2 and id(p) not in shared]
    return float(regularizers.orthogonal_penalty(ws, beta=1.0))


off_on, off_off = [off_diagonal(biggan[s]) for s in SEEDS], [off_diagonal(noortho[s]) for s in SEEDS]
print("off-diagonal energy with the penalty:", [f"{v:.3g}" for v in off_on],
      "without:", [f"{v:.3g}" for v in off_off])
ledger.claim("orthogonal regularisation lowers G's off-diagonal Gram energy",
             off_on, null=off_off, bar=claims.margin_under(min(off_off), 0.2, rel=True),
             null_name="trained without it",
             fmt=".3g")

# %% [markdown]
# **Truncation: fidelity against diversity.** Smaller $t$, samples from the dense centre:
# higher fidelity, lower diversity. Brock et al. plot Inception score (a classifier's
# confidence) against FID; here fidelity is the judge's mean top-class probability and
# diversity the spread within each asked class: the mean distance between the judge's
# features of two samples of the same class (a class-conditional G's diversity; the improved
# recall of Kynkaanniemi et al. 2019 is printed too, but at this size it is zero at the
# smallest thresholds, so it cannot order them). The same
# latents are truncated at every threshold (entries inside $[-t, t]$ are kept), so the curve
# moves only through truncation. The claims: each curve is **monotone** in $t$ (Spearman's
# rank correlation between $t$ and the metric, per seed); the null is the same statistic on
# five untruncated draws of the same size (a flat curve plus sampling noise).

# %%
THRESHOLDS = (0.25, 0.5, 1.0, 2.0, float("inf"))


def within_class_spread(feats, y=y_eval) -> float:
    """Mean feature distance between two samples of the same asked class, averaged over classes."""
    d = [torch.pdist(feats[y == c]).mean() for c in range(10)]
    return float(torch.stack(d).mean())


def curve_point(g, z):
    with torch.no_grad():
        xb = g(z, y_eval)
    feats = judge.features(xb)
    _, rec = precision_recall(real_feats, feats, k=3)
    return judge.probs(xb).max(1).values.mean().item(), within_class_spread(feats), rec


def spearman(a, b) -> float:
    """Spearman's rank correlation (ties get their average rank: recall can be 0 twice)."""
    return float(spearmanr(a, b).statistic)


curves, flat = {}, {}
for s in SEEDS:
    z0 = torch.randn(N_EVAL, NZ, generator=torch.Generator().manual_seed(10 + s))
    curves[s] = [curve_point(biggan[s], attention.truncate_z(z0, t, torch.Generator().manual_seed(s))
                             if t != float("inf") else z0) for t in THRESHOLDS]
    flat[s] = [curve_point(biggan[s], torch.randn(N_EVAL, NZ, generator=torch.Generator()
                                                  .manual_seed(100 * s + k))) for k in range(5)]
ranks = list(range(len(THRESHOLDS)))
rho_conf = [spearman(ranks, [p[0] for p in curves[s]]) for s in SEEDS]
rho_div = [spearman(ranks, [p[1] for p in curves[s]]) for s in SEEDS]
rho_conf0 = [spearman(ranks, [p[0] for p in flat[s]]) for s in SEEDS]
rho_div0 = [spearman(ranks, [p[1] for p in flat[s]]) for s in SEEDS]
for t, (c, d, r) in zip(THRESHOLDS, curves[0]):
    print(f"seed 0, t = {t}: confidence {c:.3f}, within-class spread {d:.3f}, recall {r:.3f}")
ledger.claim("truncation: the judge's confidence falls monotonically as t grows "
             "(Spearman rho of t and confidence)", rho_conf, null=rho_conf0,
             bar=claims.at_most(-0.9), null_name="five untruncated draws", fmt=".2f")
ledger.claim("truncation: within-class diversity rises monotonically as t grows "
             "(Spearman rho of t and feature spread)", rho_div, null=rho_div0,
             bar=claims.at_least(0.9), null_name="five untruncated draws", fmt=".2f")
for s in SEEDS:
    plt.plot([p[1] for p in curves[s]], [p[0] for p in curves[s]], "o-", label=f"seed {s}")
for t, (c, d, _) in zip(THRESHOLDS, curves[0]):
    plt.annotate(str(t), (d, c))
plt.xlabel("within-class feature spread (diversity)")
plt.ylabel("judge confidence (fidelity)")
plt.title("truncation: fidelity vs diversity")
plt.legend()
plt.show()

# %% [markdown]
# **Collapse late, stop early.** BigGAN's large runs improve for a while and then collapse;
# Brock et al. keep the checkpoint from before the collapse. To see it on a small model, the
# script provokes a late collapse in a documented way: no spectral norm, no orthogonal
# regularisation, and both learning rates raised geometrically by a large factor over a
# window of steps late in the run (the ramp is printed below). `earlystop.fit_tracked`
# trains in chunks, scores the judge's class accuracy after each (on a fixed set of
# latents), and keeps an in-memory copy of G at the best evaluation (`BestCheckpoint`). The
# curve the script recorded:

# %%
tracked = {s: bg_meta[f"collapse-last-s{s}"] for s in SEEDS}
print("lr ramp of the collapse runs:", tracked[0]["lr_ramp"])
for s in SEEDS:
    st, v = zip(*tracked[s]["curve"])
    plt.plot(st, v, label=f"seed {s} (best at step {tracked[s]['best_step']})")
plt.xlabel("step")
plt.ylabel("judge's class accuracy on samples")
plt.title("a provoked late collapse, tracked")
plt.legend()
plt.show()

# %% [markdown]
# The claim is measured live on **fresh latents** (not the ones the tracker chose the
# checkpoint on, so the choice is not rewarded for its own noise): the early-stopped G
# against the last G of the same run, the null.

# %%
z_fresh = torch.randn(N_EVAL, NZ, generator=torch.Generator().manual_seed(7))
acc_best = [class_accuracy(load_pretrained(bg_path, f"collapse-best-s{s}").nets["G"], z_fresh)
            for s in SEEDS]
acc_last = [class_accuracy(load_pretrained(bg_path, f"collapse-last-s{s}").nets["G"], z_fresh)
            for s in SEEDS]
ledger.claim("early stopping's checkpoint beats the last one after the collapse "
             "(judge's class accuracy, fresh latents)", acc_best, null=acc_last,
             bar=claims.margin_over(max(acc_last), 0.1), null_name="the last checkpoint", fmt=".3f")

# %% [markdown]
# The same helper in a short live run (the `biggan` preset under this budget; it has no time
# to collapse, so here it only shows the API):

# %%
game = variants.build("biggan", (1, 16, 16), n_classes=10, width=16)
tr = Trainer(game, digits, steps=pick(cpu=200, full=3000), batch=16, ema_decay=0.0,
             progress=False, seed=0)


def tracked_accuracy(nets) -> float:
    """The tracked metric: class accuracy on 200 fixed latents, with G in eval mode."""
    g = nets["G"].eval()
    value = class_accuracy(g, z_eval[:200], y_eval[:200])
    g.train()  # back to training mode (BN batch statistics) for the next chunk
    return value


best = fit_tracked(tr, tracked_accuracy, every=pick(cpu=50, full=250))
print("live tracked accuracy (step, value):", [(s, round(v, 3)) for s, v in best.history],
      "best step:", best.best_step)

# %% [markdown]
# ## SinGAN: one image
#
# Shaham et al. (2019) learn a generative model of the patches of a single image. A pyramid
# of scales runs coarse to fine; at scale $n$, $x_n = G_n(\sigma_n z_n + \uparrow x_{n-1}) +
# \uparrow x_{n-1}$ (**upsample and add**), where each $G_n$ and patch discriminator $D_n$
# is a stack of five 3x3 convolutions. Scale $n$ is its own `Game` trained by its own
# `Trainer`, the coarser generators frozen. Besides the adversarial loss (WGAN-GP), $G_n$
# must **reconstruct** the image from a fixed noise map $z^*$ at the coarsest scale and zero
# noise elsewhere; the reconstruction error also sets the noise amplitude $\sigma_n$ of the
# next scale. Three pyramids (seeds) on the same photo:

# %%
image = data.photo("chelsea", pick(cpu=32, full=128))
cfgs = [singan.SinGANConfig(scales=pick(cpu=3, full=6), min_size=12, width=pick(cpu=16, full=32),
                            steps=pick(cpu=150, full=2000), seed=s) for s in SEEDS]
models = [singan.SinGAN(image, c).fit() for c in cfgs]
real = models[0].reals[-1]
samples = [m.generate(8, generator=torch.Generator().manual_seed(3)) for m in models]
viz.show_images(torch.cat([real, models[0].reconstruct(), samples[0]]), nrow=5,
                title="real, reconstruction, random samples at the finest scale (seed 0)")
plt.show()

# %% [markdown]
# **Reconstruction at the coarsest scale.** $G_0(z^*)$ must give back the coarsest image;
# random noise maps must not (they are the model's diversity). The measurement: the mean
# squared error to the coarsest real image; the null, the same $G_0$ on fresh noise maps.

# %%
def coarse_mse(m, z=None):
    z = m.z_rec if z is None else z
    with torch.no_grad():
        x0 = m.gens[0](z * m.sigmas[0], torch.zeros_like(z))
    return float((x0 - m.reals[0]).square().mean())


rec0 = [coarse_mse(m) for m in models]
rec0_null = [sum(coarse_mse(m, torch.randn(m.z_rec.shape, generator=torch.Generator()
                                           .manual_seed(1000 + k))) for k in range(4)) / 4
             for m in models]  # seeds 1000+: not the seeds z* was drawn with
ledger.claim("SinGAN's coarsest scale reconstructs the image from z* (MSE)", rec0,
             null=rec0_null, bar=claims.at_most(0.25 * min(rec0_null)),
             null_name="fresh noise maps", fmt=".4f")

# %% [markdown]
# **Patch statistics.** The distance between the sets of 7x7 patches of two images (sliced
# Wasserstein, `singan.patch_distance`) tells how well samples reproduce the image's
# patches. Two nulls: uniform noise, and the coarsest scale of the pyramid upsampled to full
# size (right colours and layout, no fine detail), which the finer generators must beat.

# %%
d_samples = [singan.patch_distance(x, real) for x in samples]
d_noise = [singan.patch_distance(torch.rand(8, *real.shape[1:], generator=torch.Generator()
                                            .manual_seed(5 + s)) * 2 - 1, real) for s in SEEDS]
d_blur = [singan.patch_distance(singan.upsample(m.reals[0], tuple(real.shape[-2:])), real)
          for m in models]
ledger.claim("SinGAN's samples match the image's 7x7 patches far better than noise",
             d_samples, null=d_noise, bar=claims.at_most(0.5 * min(d_noise)),
             null_name="uniform noise", fmt=".3f")
ledger.claim("the finer scales add the detail the upsampled coarsest image lacks "
             "(7x7 patch distance)", d_samples, null=d_blur,
             bar=claims.margin_under(min(d_blur), 0.1, rel=True),
             null_name="coarsest scale upsampled",
             fmt=".3f")

# %% [markdown]
# **Editing.** Paste a block of the image elsewhere (a crude edit), downsample the result to
# the second scale and run the pyramid from there: the finer generators blend the paste into
# the image's patch statistics.

# %%
model = models[0]
edit = real.clone()
h = real.shape[-1]
edit[..., h // 2:h // 2 + 10, 2:12] = real[..., 4:14, h - 12:h - 2]
coarse = singan.upsample(edit, tuple(model.reals[1].shape[-2:]))
with torch.no_grad():
    edited = model.generate(1, generator=torch.Generator().manual_seed(4), start=2,
                            x_start=coarse) if len(model.gens) > 2 else edit
viz.show_images(torch.cat([edit, edited]), nrow=2, title="naive paste, after SinGAN")
plt.show()

# %% [markdown]
# ## Closing note
#
# The table lists every claim with its measured value (mean ± spread over seeds), its null
# and its bar. The shipped weights: `ganlab/weights/ch11_mirror.*` and `ch11_biggan.*`, with
# each run's steps, batch, CPU and wall seconds in the JSON files.

# %%
ledger.table()
