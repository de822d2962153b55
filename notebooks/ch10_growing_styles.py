# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 10. Growing and styles
#
# Four papers from one group turned the DCGAN into the generators behind photorealistic faces.
# Each piece below lives once in `ganlab.style` and is trained, when it is trained, by the one
# loop of `ganlab.train`:
#
# - **Progressive GAN** (Karras et al. 2018): grow from 4x4 with fade-in, equalised lr, pixel
#   norm, minibatch stddev: `ProGenerator`, `ProDiscriminator`, variant `progan`.
# - **StyleGAN** (2019): mapping z -> w, constant input, AdaIN, noise, style mixing,
#   truncation in W: `MappingNetwork`, `adain`, `NoiseInput`, `mix_styles`, `truncate_w`.
# - **StyleGAN2** (2020): modulated/demodulated conv, skip G, residual D, path length,
#   lazy R1 with its learning-rate correction: `modulated_conv2d`, `StyleGenerator`,
#   `ResidualDiscriminator`, `lazy_regularization`, variant `stylegan2`.
# - **StyleGAN3** (2021): Fourier-feature input, filtered non-linearity, EQ-T:
#   `fourier_features`, `filtered_lrelu`, `AliasFreeGenerator`, `eq_t`.
#
# Which generator carries which claim: style mixing, noise and truncation are measured on
# StyleGAN2's modulated generator (`StyleGenerator`; ganlab has no StyleGAN(1) generator that
# feeds `AdaINLayer`, so AdaIN appears only as the operation of section 2). The generator that
# ships (`style.load_pretrained_faces()`) and the small generators of
# `scripts/train_ch10_models.py` (`ganlab/weights/ch10_models.pt`: a StyleGAN2 generator without
# path-length regularisation, the alias-free and the pointwise generator, seeds 0, 1 and 2
# each) were trained on this CPU
# beforehand; they are judged live here, and short live runs show the mechanisms. Every number
# is a claim of the ledger, printed with its null, and tabled at the end.

# %%
import json
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from ganlab import claims, data, losses, metrics, regularizers, style, variants, viz
from ganlab.budget import budget, pick
from ganlab.features import load_faces_net, weights_path
from ganlab.train import Game, Trainer
from ganlab.widgets import Slider, slider_plot

print(f"budget: {budget()}")
ledger = claims.Ledger("ch10_growing_styles")
SEEDS = [0, 1, 2]
torch.manual_seed(0)
faces_train, faces_test = data.faces(16, "train"), data.faces(16, "test")
print(f"{len(faces_train)} training and {len(faces_test)} held-out faces, 16x16")

# %% [markdown]
# ## 1. Progressive growing: fade-in keeps D's loss continuous
#
# ProGAN trains at 4x4 first, then adds an 8x8 block to G and D. A new block starts random;
# switched on at once it would hand D images it has never seen. Instead it is blended in,
# $x = (1-\alpha)\,\mathrm{up}(\text{old}) + \alpha\,\text{new}$, with $\alpha$ going from 0 to 1.
# At $\alpha = 0$ the grown G outputs the upsampled old image and the grown D sees the
# pooled input through its old path, so D's loss cannot jump. We train the `progan` variant at
# 4x4 and measure D's loss (`losses.d_loss`) on one fixed batch across the growth step.

# %%
pro = variants.build("progan", (1, 16, 16), width=16, phase_steps=10_000)
Trainer(pro, faces_train, steps=pick(cpu=100, full=1000), batch=32, ema_decay=0.0,
        progress=False).fit()
G, D = pro.nets["G"].cpu().eval(), pro.nets["D"].cpu().eval()
g = torch.Generator().manual_seed(1)
z, real = torch.randn(64, pro.nz, generator=g), faces_train.x[:64]


@torch.no_grad()
def d_loss_at(stage, alpha):
    for net in (G, D):
        net.stage.fill_(stage)
        net.alpha.fill_(alpha)
    return float(losses.d_loss(D(real), D(G(z))))


before = d_loss_at(0, 1.0)
alphas = np.linspace(0, 1, 11)
after = [d_loss_at(1, a) for a in alphas]
jump_fade, jump_switch = abs(after[0] - before), abs(after[-1] - before)
plt.figure(figsize=(4, 3))
plt.plot(alphas, after, "o-", label="grown to 8x8, loss vs alpha")
plt.axhline(before, color="k", ls="--", label="at 4x4 before growing")
plt.xlabel("alpha")
plt.ylabel("D loss")
plt.legend()
plt.show()
ledger.claim("growing with fade-in (alpha = 0) leaves D's loss where it was: |jump|",
             jump_fade, null=jump_switch, null_name="the new block switched on at once",
             bar=claims.at_most(1e-4), fmt=".2e")

# %% [markdown]
# At the growth step ($\alpha = 0$) D's loss moves by rounding only (the ledger line above);
# switching the new block on at once, the null on the same measurement, moves it far more.
# Equalised learning rate (weights drawn from N(0, 1) and scaled by $\sqrt{2/\text{fan-in}}$ at
# run time, so Adam's step is the same size for every layer) and pixel norm are in
# `style.EqualConv2d` and `style.pixel_norm`.
#
# ## 2. AdaIN and weight demodulation
#
# StyleGAN's AdaIN normalises each feature map of each sample and then applies the style's
# scale and bias, $\mathrm{AdaIN}(x_i, y) = y_{s,i}\,(x_i - \mu(x_i))/\sigma(x_i) + y_{b,i}$. It erases
# the magnitudes of the maps, and G learned to smuggle information past it in a spike: the
# "blob" artefact. StyleGAN2 moves the style into the weights (modulation,
# $w'_{ijk} = s_i w_{ijk}$) and rescales each output map by the expected norm instead of the
# measured one (demodulation, $w''_{ijk} = w'_{ijk}/\sqrt{\sum_{i,k} w'^2_{ijk} + \epsilon}$).
# On unit-variance random inputs the output variance is then 1 whatever the style.

# %%
scales = [0.1, 0.3, 1.0, 3.0, 10.0]
Y_S = 3.0  # AdaIN's style scale
var_mod, var_demod, var_ada, var_in = [], [], [], []
for seed in SEEDS:
    torch.manual_seed(seed)
    x = torch.randn(32, 32, 12, 12)  # (B, I, H, W)
    w = torch.randn(32, 32, 3, 3)  # (O, I, k, k)
    for sc in scales:
        s = sc * (0.5 + torch.rand(32, 32))  # styles (B, I)
        var_mod.append(style.modulated_conv2d(x, w, s, False)[..., 1:-1, 1:-1].var().item())
        var_demod.append(style.modulated_conv2d(x, w, s, True)[..., 1:-1, 1:-1].var().item())
    x_ada = 5 * torch.randn(32, 32, 12, 12) + 2  # any input statistics
    var_ada.append(style.adain(x_ada, Y_S * torch.ones(32, 32), torch.zeros(32, 32)).var().item())
    var_in.append(x_ada.var().item())
plt.figure(figsize=(4, 3))
plt.loglog(scales, var_mod[: len(scales)], "o-", label="modulated only")
plt.loglog(scales, var_demod[: len(scales)], "s-", label="modulated + demodulated")
plt.xlabel("style scale")
plt.ylabel("output variance (interior)")
plt.legend()
plt.show()
ledger.claim("demodulated output variance is 1 at every style scale (3 seeds x 5 scales)",
             var_demod, null=var_mod, null_name="modulated only", bar=claims.near(1.0, 0.1))
ledger.claim("AdaIN's output variance is y_s^2 = 9 whatever the input's",
             var_ada, null=var_in, null_name="the input's variance", bar=claims.near(Y_S**2, 0.05))

# %% [markdown]
# ## 3. A small StyleGAN2 on faces, and lazy regularisation's learning-rate correction
#
# The `stylegan2` variant is data for the one trainer: D and G phases with the logistic loss,
# an R1 phase with `every=16` (lazy regularisation, its loss multiplied by `ctx.lazy_scale`),
# and a path-length phase with `every=4`. The generator maps z to w with a 2-layer mapping
# network (8 in the paper), starts from a learned constant, and mixes the styles of two
# latents in a fraction `mix_prob` of the training batches. A lazy regulariser is its own
# optimiser step, so a team regularised every $k$ steps takes $k + 1$ steps per $k$; StyleGAN2
# compensates by running that team's Adam at $c = k/(k+1)$ times the learning rate and with
# betas $\beta^c$ (`style.lazy_regularization`, applied by the variant). The live run below is
# short: it shows the phases; the measurements use generators trained longer.

# %%
STEPS, WIDTH = pick(cpu=150, full=20_000), pick(cpu=16, full=64)
sg = variants.build("stylegan2", (1, 16, 16), width=WIDTH, w_dim=32)
cfg = sg.config
t0 = time.perf_counter()
trainer = Trainer(sg, faces_train, steps=STEPS, batch=pick(cpu=16, full=32), ema_decay=0.99,
                  progress=False, log_every=25)
hist = trainer.fit()
train_s = time.perf_counter() - t0
Gs = trainer.ema["G"].cpu().eval()  # the EMA copy; its w_avg buffer follows the trained G's
print("phases:", ", ".join(f"{ph.name} (team {ph.team}, every {ph.every})" for ph in sg.phases))
print(f"{STEPS} steps in {train_s:.0f} s; mix_prob {cfg['mix_prob']}")
viz.show_images(Gs(torch.randn(32, sg.nz, generator=torch.Generator().manual_seed(0))).clamp(-1, 1),
                nrow=8, title=f"StyleGAN2 samples (EMA) after {STEPS} steps")
plt.show()
c_d = cfg["r1_every"] / (cfg["r1_every"] + 1)
ledger.claim("D's Adam runs at beta2 = 0.99^(16/17) (StyleGAN2's lazy-R1 correction)",
             sg.teams["D"].betas[1], null=cfg["betas"][1], null_name="uncorrected beta2",
             bar=claims.near(cfg["betas"][1] ** c_d, 1e-6), fmt=".6f")
ledger.claim("D's learning rate is 16/17 of the configured one",
             sg.teams["D"].lr / cfg["lr_d"], null=1.0, null_name="uncorrected",
             bar=claims.near(c_d, 1e-6), fmt=".5f")

# %% [markdown]
# ## 4. Style mixing, noise and truncation
#
# Each layer takes its own copy of w. Below, on the generator that ships, rows take the coarse
# styles (the 4x4 and the first 8x8 layer, `CROSSOVER` of the generator's `num_ws` styles) from
# one latent, columns the fine styles from another.

# %%
G_shipped = style.load_pretrained_faces()
print("shipped generator:", {k: v for k, v in style.pretrained_record().items()
                             if k in ("steps", "seconds", "bytes", "fid_faces_net")})
CROSSOVER = 2
g = torch.Generator().manual_seed(3)
with torch.no_grad():
    wa, wb = (G_shipped.map(torch.randn(4, G_shipped.nz, generator=g)) for _ in range(2))
    grid = [G_shipped.synthesis(style.mix_styles(G_shipped.broadcast(wa[i : i + 1]),
                                                 G_shipped.broadcast(wb[j : j + 1]), CROSSOVER))
            for i in range(4) for j in range(4)]
viz.show_images(torch.cat(grid).clamp(-1, 1), nrow=4,
                title=f"coarse from rows, fine from columns ({G_shipped.num_ws} styles)")
plt.show()

# %% [markdown]
# **A measured split.** Split each image into its coarse part (means over 4x4 blocks) and its
# fine part (the rest). For a mixed image M of parents A (coarse styles) and B (fine styles),
# the share of A in a part is $d_B / (d_A + d_B)$ with $d_A$ the distance of M's part to A's:
# 1 when M's part is A's, 0 when it is B's. The split is the share of A in the coarse part minus
# its share in the fine part. The null takes the same number of styles from A at every choice
# of layers (averaged over all of them), which is what "the coarse layers carry the coarse
# attributes" is measured against.

# %%
N_PAIRS = 64


def coarse(x):
    return F.interpolate(F.avg_pool2d(x, 4), scale_factor=4, mode="nearest")  # (B, C, H, W)


def share_of_a(m, a, b, part):
    da, db = ((part(m) - part(p)).flatten(1).norm(dim=1) for p in (a, b))
    return (db / (da + db)).mean().item()


def split(m, a, b):
    return share_of_a(m, a, b, coarse) - share_of_a(m, a, b, lambda x: x - coarse(x))


@torch.no_grad()
def mixing_split(G, seed, crossover):
    g = torch.Generator().manual_seed(seed)
    wsa, wsb = (G.broadcast(G.map(torch.randn(N_PAIRS, G.nz, generator=g))) for _ in range(2))
    A, B = G.synthesis(wsa), G.synthesis(wsb)
    coarse_first = split(G.synthesis(style.mix_styles(wsa, wsb, crossover)), A, B)
    others = []
    for layers in torch.combinations(torch.arange(G.num_ws), crossover):
        keep = torch.zeros(G.num_ws, dtype=torch.bool)
        keep[layers] = True
        others.append(split(G.synthesis(torch.where(keep[None, :, None], wsa, wsb)), A, B))
    return coarse_first, float(np.mean(others))


mix = [mixing_split(G_shipped, seed, CROSSOVER) for seed in SEEDS]
ledger.claim("style mixing: coarse styles from A give M A's coarse part and B's fine part (split)",
             [m[0] for m in mix], null=[m[1] for m in mix],
             null_name="as many styles from A, any layers", bar=claims.at_least(0.08))

# %% [markdown]
# **Noise inputs.** Each layer adds per-pixel Gaussian noise times a learned per-channel
# strength (`style.NoiseInput`). Drawing new noise for the same w should change only the
# stochastic detail; we measure the fraction of the change's energy that lies in the fine part
# (above the 4x4-block means), against the same fraction when w is drawn anew.

# %%
@torch.no_grad()
def fine_fraction(d):
    return (d - coarse(d)).square().sum().item() / d.square().sum().item()


noise_frac, w_frac = [], []
for seed in SEEDS:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        ws1, ws2 = (G_shipped.broadcast(G_shipped.map(torch.randn(N_PAIRS, G_shipped.nz, generator=g)))
                    for _ in range(2))
        torch.manual_seed(seed)
        n1, n2 = (G_shipped.synthesis(ws1, noise_mode="random") for _ in range(2))
        noise_frac.append(fine_fraction(n1 - n2))
        w_frac.append(fine_fraction(G_shipped.synthesis(ws1, "const") - G_shipped.synthesis(ws2, "const")))
ledger.claim("new noise changes the image in its fine detail: fine-part fraction of the change",
             noise_frac, null=w_frac, null_name="a new w", bar=claims.at_least(0.6))

# %% [markdown]
# **Truncation** pulls w towards the average $\bar w$ (tracked during training):
# $w' = \bar w + \psi (w - \bar w)$. As $\psi \to 0$ samples should get more typical (precision,
# the fraction of samples inside the real faces' neighbourhoods, up) and less varied (recall,
# the fraction of real faces inside the samples' neighbourhoods, down), with k = 3 neighbours in
# the shipped faces network's features (32x32, so images are upsampled), against the 80
# training faces. "Trades" is counted step by step on the grid of psi: a step up in psi is a
# trade when recall rises and precision does not. The null is the same generator untrained,
# truncated the same way.

# %%
net = load_faces_net()
up = lambda t: F.interpolate(t, size=32, mode="bilinear", align_corners=False).clamp(-1, 1)  # noqa: E731
real_f = net.features(up(faces_train.x)).numpy()
psis = [0.0, 0.25, 0.5, 0.75, 1.0]
N_TRUNC = pick(cpu=200, full=2000)


@torch.no_grad()
def pr_curve(G, seed):
    z = torch.randn(N_TRUNC, G.nz, generator=torch.Generator().manual_seed(seed))
    pr = [metrics.precision_recall(real_f, net.features(up(G(z, psi=psi))).numpy(), k=3)
          for psi in psis]
    return np.array(pr)  # (len(psis), 2): precision, recall


def trades(pr):
    dp, dr = np.diff(pr[:, 0]), np.diff(pr[:, 1])
    return int(((dr > 0) & (dp <= 0)).sum())


curves = [pr_curve(G_shipped, s) for s in SEEDS]
untrained = style.pretrained_game().nets["G"].eval()
null_curves = [pr_curve(untrained, s) for s in SEEDS]
with torch.no_grad():
    rows = [G_shipped(torch.randn(8, G_shipped.nz, generator=torch.Generator().manual_seed(5)),
                      psi=psi).clamp(-1, 1) for psi in psis]
viz.show_images(torch.cat(rows), nrow=8, title="psi = 0, 0.25, 0.5, 0.75, 1 (rows)")
plt.show()
fig, ax = plt.subplots(figsize=(4.5, 3))
for i, c in enumerate(curves):
    ax.plot(psis, c[:, 0], "o-", color="C0", label="precision (quality)" if i == 0 else None)
    ax.plot(psis, c[:, 1], "s-", color="C1", label="recall (coverage)" if i == 0 else None)
ax.set_xlabel("psi")
ax.legend()
plt.show()
ledger.claim(f"truncation trades recall for precision at every step of psi (of {len(psis) - 1})",
             [trades(c) for c in curves], null=[trades(c) for c in null_curves],
             null_name="untrained G", bar=claims.at_least(len(psis) - 1), fmt=".0f")

# %% [markdown]
# With a live notebook, the sliders below redraw at once: `psi` truncates eight samples,
# `crossover` sets how many styles (from the coarsest) come from the first latent of each
# mixed pair, on the generator that ships. Without a front end (nbval, the book) the figure is
# drawn once at the defaults.

# %%
zw = torch.randn(16, G_shipped.nz, generator=torch.Generator().manual_seed(11))


def draw_styles(fig, psi, crossover):
    G = G_shipped
    with torch.no_grad():
        w1, w2 = G.map(zw[:8], psi=psi), G.map(zw[8:], psi=psi)
        mixed = G.synthesis(style.mix_styles(G.broadcast(w1), G.broadcast(w2), int(crossover)))
        rows = torch.cat([G.synthesis(G.broadcast(w1)), mixed, G.synthesis(G.broadcast(w2))])
    viz.show_images(rows.clamp(-1, 1), nrow=8, ax=fig.add_subplot(111),
                    title=f"psi={psi:.2f}; middle row: {int(crossover)} coarse styles from the top row")


_ = slider_plot(draw_styles, {"psi": Slider(0.0, 1.0, 0.05, 0.7, "psi"),
                          "crossover": Slider(0, G_shipped.num_ws, 1, 3, "crossover")}, figsize=(8, 3.5))

# %% [markdown]
# ## 5. Lazy R1: the same gradient norm at the data, for a fraction of the cost
#
# R1 penalises $\frac{\gamma}{2}\,\mathbb{E}\,\|\nabla_x D(x)\|^2$ on real images. StyleGAN2 runs it
# every 16 steps with the loss multiplied by 16. To isolate D, we train `stylegan2`'s D
# (its D and R1 phases, its corrected D team) against the fixed generator that ships, three
# ways: R1 every step, R1 every 16 steps, and no R1 (the null), three seeds each, and measure
# the mean gradient norm of D at the training faces and the CPU time of each run.

# %%
R1_STEPS, R1_BATCH = pick(cpu=100, full=1000), 16
G_fixed = style.load_pretrained_faces().requires_grad_(False)


def d_only(r1_every, r1, seed):
    """stylegan2's D phases and D team, against the shipped G (not trained)."""
    full_game = variants.build("stylegan2", (1, 16, 16), seed=seed, width=16, w_dim=32, r1=r1,
                               r1_every=r1_every)
    phases = [ph for ph in full_game.phases if ph.team == "D"]
    return Game(f"d-r1-{r1_every}", {"G": G_fixed, "D": full_game.nets["D"]},
                {"D": full_game.teams["D"]}, phases, nz=full_game.nz, ema=())


runs = {}
for seed in SEEDS:
    for key, (every, r1) in {"every": (1, 1.0), "lazy": (16, 1.0), "none": (16, 0.0)}.items():
        game = d_only(every, r1, seed)
        c0 = time.process_time()
        Trainer(game, faces_train, steps=R1_STEPS, batch=R1_BATCH, ema_decay=0.0, seed=seed,
                progress=False).fit()
        cpu_s = time.process_time() - c0
        D_r1 = game.nets["D"].cpu()
        gn = regularizers.grad_norm(D_r1, faces_train.x).mean().item()
        runs[key, seed] = (gn, cpu_s)
ratio = lambda key, i: [runs[key, s][i] / runs["every", s][i] for s in SEEDS]  # noqa: E731
cost = lambda key: [runs[key, s][1] / runs["none", s][1] for s in SEEDS]  # noqa: E731
ledger.claim("lazy R1 (every 16) holds D's gradient norm at the data where R1 every step does "
             "(ratio)", ratio("lazy", 0), null=ratio("none", 0), null_name="no R1",
             bar=claims.near(1.0, 0.3))
ledger.claim("lazy R1 costs little over no R1 (CPU time ratio)", cost("lazy"),
             null=cost("every"), null_name="R1 every step", bar=claims.at_most(1.3))

# %% [markdown]
# ## 6. Path-length regularisation
#
# StyleGAN2 asks a fixed-size step in W to move the image by a fixed amount in every direction:
# it penalises $(\|J_w^\top y\|_2 - a)^2$ with $y \sim N(0, I/(HW))$ and $a$ the running mean
# of the lengths (`style.path_lengths`, `style.path_length_penalty`). A regularised G should then
# have path lengths that vary less from one w to another: we measure the coefficient of
# variation (std / mean) of $\|J_w^\top y\|_2$ over 256 latents. The generators are the ones of
# `scripts/train_ch10_models.py` trained without the regulariser (three seeds); each is then
# trained on the `stylegan2` game's path-length phase alone (every step, weight `pl_weight`,
# $a$ started at the generator's mean length) for a few steps here. The claim is the ratio of
# the CV after those steps to the CV before; the null is the same ratio for the untouched
# generator measured a second time on new latents and directions y (how far the estimate moves
# by chance). (Trained from scratch with the regulariser for the few
# hundred steps this CPU allows, the generators did not separate from the unregularised ones on
# this measurement, so the chapter does not claim that; see `benchmarks/README.md`.)

# %%
STATES = torch.load(weights_path("ch10_models.pt"), map_location="cpu", weights_only=True)
PL_STEPS = pick(cpu=200, full=500)


def shipped(kind, seed, trained=True):
    """The EMA generator `kind` ('nopl', 'af', 'afp') of seed `seed` (or its untrained init)."""
    if kind == "nopl":
        game = variants.build("stylegan2", (1, 16, 16), seed=seed, width=16, w_dim=32, pl_weight=0.0)
    else:
        game = style.aliasfree_game((1, 16, 16), kind == "af", seed=seed, width=16, w_dim=32,
                                    pl_weight=0.0)
    G = game.nets["G"]
    if trained:
        G.load_state_dict(STATES[f"{kind}{seed}"])
    return G.eval()


def path_lengths_of(G, n=256, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        ws = G.broadcast(G.map(torch.randn(n, G.nz, generator=g)))
    y = torch.randn(n, 1, 16, 16, generator=g) / 16  # N(0, I / (H W))
    return style.path_lengths(G, ws.clone().requires_grad_(True), y).detach()  # (n,)


def cv(lengths):
    return (lengths.std() / lengths.mean()).item()


def pl_only(seed, pl_weight=2.0):
    """The trained G of `seed`, then PL_STEPS steps of the stylegan2 game's path-length phase."""
    full_game = variants.build("stylegan2", (1, 16, 16), seed=seed, width=16, w_dim=32,
                               pl_weight=pl_weight, pl_every=1)
    G = full_game.nets["G"]
    G.load_state_dict(STATES[f"nopl{seed}"])
    full_game.state["pl_mean"].fill_(path_lengths_of(G.eval()).mean().item())
    game = Game("pl-only", {"G": G.train(), "D": full_game.nets["D"]}, {"G": full_game.teams["G"]},
                [ph for ph in full_game.phases if ph.name == "PL"], nz=full_game.nz, ema=(),
                state=full_game.state)
    Trainer(game, faces_train, steps=PL_STEPS, batch=16, ema_decay=0.0, seed=seed,
            progress=False).fit()
    return G.cpu().eval()


len_before = [path_lengths_of(shipped("nopl", s)) for s in SEEDS]
len_after = [path_lengths_of(pl_only(s)) for s in SEEDS]
remeasured = [cv(path_lengths_of(shipped("nopl", s), seed=1)) for s in SEEDS]  # new latents and y
cv_before, cv_after = [cv(v) for v in len_before], [cv(v) for v in len_after]
plt.figure(figsize=(4, 3))
plt.hist(len_before[0].numpy(), 30, alpha=0.6, label="trained, no path-length reg.")
plt.hist(len_after[0].numpy(), 30, alpha=0.6, label=f"then {PL_STEPS} path-length steps")
plt.xlabel("path length ||J^T y||")
plt.legend()
plt.show()
ledger.claim("path-length regularisation lowers the spread of a trained G's path lengths "
             "(CV after / CV before)", [a / b for a, b in zip(cv_after, cv_before)],
             null=[r / b for r, b in zip(remeasured, cv_before)],
             null_name="the same G, measured again on new latents", bar=claims.at_most(0.9),
             fmt=".3f")

# %% [markdown]
# ## 7. Projection of a held-out face into W
#
# `style.project` starts at $\bar w$ and runs Adam on the pixel error of G(w) (the paper uses
# LPIPS and optimises the noise maps too). The faces below were never shown to G; PSNR is
# `ganlab.metrics.psnr` (range 2 for images in [-1, 1]), against $G(\bar w)$, the one average
# face, as the null.

# %%
psnr_proj, psnr_avg, recons = [], [], []
for i in range(len(SEEDS)):
    target = faces_test.x[i : i + 1]  # (1, 1, 16, 16)
    w_hat, _ = style.project(G_shipped, target, steps=pick(cpu=100, full=1000), lr=0.05)
    with torch.no_grad():
        recon = G_shipped.synthesis(G_shipped.broadcast(w_hat), "const")
        avg = G_shipped.synthesis(G_shipped.broadcast(G_shipped.w_avg[None]), "const")
    psnr_proj.append(metrics.psnr(recon, target).item())
    psnr_avg.append(metrics.psnr(avg, target).item())
    recons += [target, recon.clamp(-1, 1)]
viz.show_images(torch.cat(recons), nrow=2, title="held-out faces (left), projections (right)")
plt.show()
ledger.claim("projection reconstructs held-out faces better than the average face (PSNR, dB)",
             psnr_proj, null=psnr_avg, null_name="G(w_avg)",
             bar=claims.margin_over(max(psnr_avg), 1.0), fmt=".2f")

# %% [markdown]
# ## 8. Translation equivariance: StyleGAN2-style vs alias-free
#
# StyleGAN3 asks a generator to be equivariant: translate the input by $t$ and the image
# translates by $t$. A pointwise leaky ReLU creates frequencies above Nyquist that alias back,
# so sub-pixel translations of the input are not translations of the output. The filtered
# non-linearity upsamples 2x, applies the leaky ReLU, low-passes and downsamples. EQ-T is the
# PSNR between G(translated input) and translated G(input). First the mechanism, on a toy stack
# of circular 3x3 convolutions with random weights, run with each non-linearity.

# %%
shifts = [(0.5, 0.0), (0.0, 0.5), (0.25, 0.75), (1.5, 2.25)]
toy = style.ToyStack(seed=0)
eqt_plain = style.eq_t(toy, shifts)
toy.filtered = True
eqt_free = style.eq_t(toy, shifts)
ledger.claim("toy stack, random weights: the filtered non-linearity's EQ-T (dB)", eqt_free,
             null=eqt_plain, null_name="pointwise leaky ReLU",
             bar=claims.margin_over(eqt_plain, 20.0), fmt=".1f")

# %% [markdown]
# Then trained generators: `style.AliasFreeGenerator` (Fourier-feature input, modulated
# circular 3x3 convs, one resolution) with the filtered or the pointwise leaky ReLU, each trained
# by the `stylegan2` game (same D, losses and schedule) in `scripts/train_ch10_models.py`, three
# seeds. EQ-T (`style.eq_t_generator`) is measured over 64 latents and the same shifts. The
# pointwise generator is the StyleGAN2-style one: same architecture, same training, only the
# non-linearity differs.

# %%
def eqt_of(G, seed):
    with torch.no_grad():
        ws = G.broadcast(G.map(torch.randn(64, G.nz, generator=torch.Generator().manual_seed(seed))))
    return style.eq_t_generator(G, ws, shifts)


eqt_af = [eqt_of(shipped("af", s), s) for s in SEEDS]
eqt_afp = [eqt_of(shipped("afp", s), s) for s in SEEDS]
with torch.no_grad():
    zs = torch.randn(8, 32, generator=torch.Generator().manual_seed(0))
    pics = torch.cat([shipped(k, 0)(zs).clamp(-1, 1) for k in ("af", "afp")])
viz.show_images(pics, nrow=8, title="trained, seed 0: alias-free (top), pointwise (bottom)")
plt.show()
ledger.claim("trained generators: the alias-free G's EQ-T beats the StyleGAN2-style G's (dB)",
             eqt_af, null=eqt_afp, null_name="pointwise G, same training",
             bar=claims.margin_over(max(eqt_afp), 10.0), fmt=".1f")

# %% [markdown]
# A generator that ignored its input and drew one flat image would be perfectly equivariant,
# so the EQ-T claim needs its generators to have learned something: the FID (faces network) of
# each trained generator, alias-free and pointwise, against the same generator at its
# initialisation.

# %%
FID_BAR = 10.0  # the trained generators must score below it, their initialisations above it


@torch.no_grad()
def fid_faces(G, n=200):
    x = G(torch.randn(n, G.nz, generator=torch.Generator().manual_seed(7)))
    return metrics.fid(real_f, net.features(up(x)).numpy())


fid_trained = [fid_faces(shipped(k, s)) for k in ("af", "afp") for s in SEEDS]
fid_init = [fid_faces(shipped(k, s, trained=False)) for k in ("af", "afp") for s in SEEDS]
ledger.claim("both periodic generators, alias-free and pointwise, learned faces: FID (3 seeds each)",
             fid_trained, null=fid_init, null_name="their untrained init",
             bar=claims.at_most(FID_BAR), fmt=".2f")

# %%
record = json.loads(weights_path("ch10_models.json").read_text())
print(f"""Shipped for this chapter (budget {budget()}):
- style.load_pretrained_faces(): {style.pretrained_record()['steps']} steps,
  {style.pretrained_record()['seconds']} s, {style.pretrained_record()['bytes']} bytes.
- ganlab/weights/ch10_models.pt: {len(record['models'])} EMA generators, {record['bytes']} bytes,
  {record['cpu_seconds']} s of CPU in all ({record['command']}).""")

# %%
ledger.table()
