# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 13c. GANs beside diffusion, and where the course's GANs came from
#
# Since about 2021 most new image generators are not GANs but **diffusion models**: Ho,
# Jain & Abbeel's DDPM (2020, "Denoising Diffusion Probabilistic Models"), its fast DDIM
# sampler (Song, Meng & Ermon 2021) and the work that followed ("Diffusion Models Beat GANs
# on Image Synthesis", Dhariwal & Nichol 2021). The texts behind this course describe the
# trade: a diffusion model is trained by plain regression, with no adversary, and covers
# the modes of its data, but it draws a sample by running a network many times, where a
# GAN runs its generator once.
#
# This chapter builds a small DDPM with ganlab's one `Trainer` (`ganlab.diffusion`, the
# `ddpm` preset) and **measures** that trade on the course's own data: modes on the ring
# and the grid of chapter 3, FID on the digits network of chapter 6, and the time per
# sample. It ends with the page of history and applications the texts list, each entry
# linking to the section of the course that implements it.
#
# Every claim goes through the claims ledger (`ganlab.claims`): the measured value on
# three seeds, its bar, and the **null** (an untrained model, the formula with a wrong
# factor, the GAN, the real held-out digits) which must fail the bar. The table at the end
# collects them. The digits models, and the longer toy runs, were trained by
# `scripts/train_ch13c_models.py` and ship in `ganlab/weights/ch13c_models.pt`; this
# notebook scores them live and trains a short run of its own.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from ganlab import claims, data, diffusion, metrics, variants, viz
from ganlab.budget import budget, pick
from ganlab.collapse import trial_samples
from ganlab.features import load_digits_net, weights_path
from ganlab.inference import load_pretrained
from ganlab.metrics.modes import mode_metrics
from ganlab.train import Trainer

ledger = claims.Ledger("ch13c_gans_and_diffusion")
print(f"budget: {budget()}")
T0, CPU0 = time.perf_counter(), time.process_time()
SEEDS = [0, 1, 2]
WEIGHTS = weights_path("ch13c_models.pt")
F64 = torch.float64

# %% [markdown]
# ## The forward process and its closed form
#
# DDPM destroys data by adding Gaussian noise in $T$ small steps,
# $q(x_t \mid x_{t-1}) = \mathcal{N}(\sqrt{1-\beta_t}\,x_{t-1}, \beta_t I)$, with the
# $\beta_t$ rising linearly (Ho et al. use $10^{-4}$ to $0.02$ over $T = 1000$ steps; with
# fewer steps ganlab scales both ends by $1000/T$). Because every step is Gaussian, any
# $x_t$ can be drawn from $x_0$ in one go (the paper's eq. 4):
#
# $$q(x_t \mid x_0) = \mathcal{N}\big(\sqrt{\bar\alpha_t}\,x_0,\ (1 - \bar\alpha_t) I\big),
# \qquad \bar\alpha_t = \prod_{s \le t} (1 - \beta_s).$$
#
# We check it the slow way: run the chain step by step for half of $T$ steps from one
# point, on three independent sets of chains, and compare the spread with the closed form.
# The null is the nearest wrong formula: the variance if each step only *added* noise
# without shrinking what was there, $\sum_s \beta_s$.

# %%
T_DEMO = 200
sched = diffusion.Schedule(diffusion.linear_betas(T_DEMO)).double()
N_CHAIN, X0, MID = 20_000, 1.5, T_DEMO // 2
gen = torch.Generator().manual_seed(0)
chain = torch.full((N_CHAIN, len(SEEDS)), X0, dtype=F64)  # one column per seed
for i in range(MID):
    b = sched.betas[i]
    chain = (1 - b).sqrt() * chain + b.sqrt() * torch.randn(chain.shape, generator=gen, dtype=F64)
q_mean, q_var = (v.item() for v in diffusion.q_mean_var(sched, torch.tensor([[X0]], dtype=F64),
                                                        torch.tensor([MID - 1])))
no_shrink = sched.betas[:MID].sum().item()  # the variance if no step shrank x
se_var = q_var * (2 / N_CHAIN) ** 0.5  # standard error of a sample variance
ledger.claim(f"the chain run step by step for {MID} steps has q's closed-form variance "
             "1 - abar_t (within 5 standard errors), per seed", chain.var(0).tolist(),
             null=no_shrink, bar=claims.near(q_var, 5 * se_var),
             null_name="sum of the betas (no shrinking)", fmt=".4f")
ledger.claim("... and its mean sqrt(abar_t) x_0 (within 5 standard errors), per seed",
             chain.mean(0).tolist(), null=X0, bar=claims.near(q_mean, 5 * (q_var / N_CHAIN) ** 0.5),
             null_name="x_0 (no shrinking)", fmt=".4f")

fig, ax = plt.subplots(1, 2, figsize=(10, 3))
ax[0].plot(sched.betas.numpy(), label=r"$\beta_t$")
ax[0].plot(sched.abar.numpy(), label=r"$\bar\alpha_t$")
ax[0].set(xlabel="step t", title=f"the linear schedule, T = {T_DEMO}")
ax[0].legend()
ax[1].hist(chain[:, 0].numpy(), bins=80, density=True, alpha=0.6, label=f"chain at t = {MID}")
u = np.linspace(-4, 4, 200)
ax[1].plot(u, np.exp(-(u - q_mean) ** 2 / (2 * q_var)) / np.sqrt(2 * np.pi * q_var), label="closed form")
ax[1].legend()
plt.show()

# %% [markdown]
# ## Reversing it: a denoiser, its loss and the sampler
#
# To generate, DDPM runs the chain backwards. A network $\epsilon_\theta(x_t, t)$ learns
# to predict the noise in $x_t$ with the "simple" loss (eq. 14)
# $\mathbb{E}\,\lVert \epsilon - \epsilon_\theta(\sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon,\ t)\rVert^2$,
# plain regression with no adversary. Sampling (algorithm 2) starts from
# $x_T \sim \mathcal{N}(0, I)$ and takes $T$ steps
# $x_{t-1} = \frac{1}{\sqrt{\alpha_t}}\big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\epsilon_\theta(x_t, t)\big) + \sigma_t z$.
#
# For Gaussian data the best denoiser has a closed form, $\mathbb{E}[\epsilon \mid x_t]$
# (`diffusion.gaussian_eps`): a network "trained by construction". With it the sampler
# should give back the data's variance. The null is the same sampler with the denoiser of
# a Gaussian whose variance is 1.3 times larger: the nearest wrong model.

# %%
G_MEAN, G_VAR, N_GAUSS = 0.5, 0.09, 5000


def recovered_var(var_used, seed):
    """Variance of the ancestral sampler's output, over the data's, with the exact denoiser of
    N(G_MEAN, var_used)."""
    eps_fn = diffusion.gaussian_eps(sched, G_MEAN, var_used)
    x_T = torch.randn(N_GAUSS, 1, generator=torch.Generator().manual_seed(seed), dtype=F64)
    x = diffusion.ancestral_sample(eps_fn, sched, x_T, generator=torch.Generator().manual_seed(100 + seed))
    return x.var().item() / G_VAR


ledger.claim(f"with the exact denoiser of a Gaussian, {T_DEMO} ancestral steps give back its "
             "variance (sample variance / true variance, within 0.1 of 1), per seed",
             [recovered_var(G_VAR, s) for s in SEEDS], null=[recovered_var(1.3 * G_VAR, s) for s in SEEDS],
             bar=claims.near(1.0, 0.1), null_name="the denoiser of 1.3x the variance", fmt=".3f")

# %% [markdown]
# ## DDPM through the one Trainer
#
# In ganlab a DDPM is a `Game` like any GAN, with one network and one phase: `G` is a
# `diffusion.DDPM` module (the noise predictor and its schedule) whose `forward(z)` runs the
# reverse chain from $x_T = z$, so `Trainer.sample` and `ganlab sample` work unchanged; the
# one phase draws $t$ and $\epsilon$ (the trainer's latents) and minimises the simple loss.
# There is no discriminator and no second team. From the command line:
# `ganlab train --variant ddpm` trains it on the ring.
#
# A short live run on the ring, three seeds, shows the mechanism: the simple loss on a
# fixed batch of $(x_0, t, \epsilon)$ falls well below that of the untrained network, which
# predicts $\epsilon = 0$ and so scores $\mathbb{E}\,\epsilon^2$, about 1.

# %%
ring, grid = data.ring(), data.grid()
LIVE_STEPS = pick(cpu=300, full=3000)
LIVE = dict(timesteps=100, width=128, lr=2e-3, decay_steps=LIVE_STEPS)
game = variants.build("ddpm", (2,), seed=0, **LIVE)
print("nets:", {k: type(v).__name__ for k, v in game.nets.items()}, "| teams:", list(game.teams),
      "| phases:", [p.name for p in game.phases])

g_fixed = torch.Generator().manual_seed(7)
x_fix = ring.sample(4096, generator=g_fixed)
t_fix = torch.randint(0, LIVE["timesteps"], (4096,), generator=g_fixed)
e_fix = torch.randn(4096, 2, generator=g_fixed)


def fixed_loss(model):
    with torch.no_grad():
        return model.loss(x_fix.to(model.schedule.betas.device), e_fix.to(model.schedule.betas.device),
                          t_fix.to(model.schedule.betas.device)).item()


live, before, after = {}, [], []
for s in SEEDS:
    g_s = variants.build("ddpm", (2,), seed=s, **LIVE)
    before.append(fixed_loss(g_s.nets["G"]))
    live[s] = Trainer(g_s, ring, steps=LIVE_STEPS, batch=256, seed=s, ema_decay=0, progress=False,
                      log_every=10)
    live[s].fit()
    after.append(fixed_loss(g_s.nets["G"]))
ledger.claim(f"{LIVE_STEPS} live steps cut the simple loss on a fixed batch below half the "
             "untrained network's, per seed", after, null=before, bar=claims.at_most(0.5),
             null_name="the untrained network (eps = 0)", fmt=".3f")
viz.plot_losses(live[0].history)
plt.show()

# %% [markdown]
# ## Modes on the ring and the grid: DDPM against a GAN
#
# Now the comparison, with chapter 3's protocol (`ganlab.metrics.modes`: a sample is high
# quality if within $3\sigma$ of its nearest mode, a mode is captured if one such sample
# falls on it, and the reverse KL compares the histogram of high-quality samples over the
# modes with the uniform one). The GAN is chapter 3's baseline (`collapse-gan`, its three
# trials as three seeds in one batched model); the DDPM an MLP noise predictor with
# $T = 100$. Both trained in the shipped script for the same number of steps, with the same
# batch and the same linearly decaying learning rate. Each draws the same number of samples.
# Each comparison is stated whichever way it falls: one model beats the other by a margin
# (the other is then the null), or the two are within it (the null is then the untrained
# DDPM, the same seeds' initial weights).

# %%
N_SAMPLES = 2000


def ddpm_points(key, mix, trained=True):
    """mode_metrics of each seed's DDPM samples, and the samples of the first seed."""
    out, first = [], None
    for s in SEEDS:
        model = load_pretrained(WEIGHTS, f"{key}-s{s}", shape=(2,), n_classes=0,
                                trained=trained).nets["G"]
        z = torch.randn(N_SAMPLES, 2, generator=torch.Generator().manual_seed(1))
        torch.manual_seed(s)  # the chain's fresh noise at every step
        with torch.no_grad():
            x = model(z).cpu()
        first = x if first is None else first
        out.append(mode_metrics(x.numpy(), mix.means.numpy(), mix.sigma))
    return out, first


def gan_points(key, mix):
    G = load_pretrained(WEIGHTS, key, shape=(2,), n_classes=0).nets["G"]
    xs = trial_samples(G, N_SAMPLES, seed=1)  # (3 trials, N, 2)
    return [mode_metrics(x.numpy(), mix.means.numpy(), mix.sigma) for x in xs], xs[0]


res, pics = {}, {}
for name, mix in (("ring", ring), ("grid", grid)):
    res[name, "ddpm"], pics[name, "ddpm"] = ddpm_points(f"ddpm-{name}", mix)
    res[name, "untrained"], _ = ddpm_points(f"ddpm-{name}", mix, trained=False)
    res[name, "gan"], pics[name, "gan"] = gan_points(f"gan-{name}", mix)


def col(name, model, key):
    return [r[key] for r in res[name, model]]


for (name, model), r in res.items():
    print(f"{name:4s} {model:9s} modes {col(name, model, 'modes')}, "
          f"HQ {[round(v, 3) for v in col(name, model, 'hq_fraction')]}, "
          f"reverse KL {[round(v, 3) for v in col(name, model, 'reverse_kl')]}")

fig, ax = plt.subplots(1, 4, figsize=(16, 4))
for k, (name, model) in enumerate([("ring", "ddpm"), ("ring", "gan"), ("grid", "ddpm"), ("grid", "gan")]):
    mix = ring if name == "ring" else grid
    ax[k].scatter(*pics[name, model][:1000].T, s=2)
    ax[k].scatter(*mix.means.T, c="k", marker="x")
    ax[k].set(aspect="equal", title=f"{model.upper()} on the {name} (seed 0)")
plt.show()

# %%
WORDS = {"modes": ("modes captured", True, 1.0, False),  # (what, higher is better, margin, rel)
         "hq_fraction": ("high-quality fraction", True, 0.5, True),
         "reverse_kl": ("reverse KL", False, 0.5, True)}


def versus(what, a_name, a, b_name, b, higher, margin, rel, null, null_name):
    """Model a against model b on one measure (values per seed), stated whichever way it falls:
    one beats the other by a margin (absolute, or a fraction of the other's mean if rel)
    beyond the other's mean, or the two are within that margin (null: an untrained model)."""
    ma, mb = float(np.mean(a)), float(np.mean(b))
    gap = (lambda base: abs(base) * margin) if rel else (lambda base: margin)
    by = f"{margin:.0%}" if rel else f"{margin:g}"
    side = "higher" if higher else "lower"

    def beats(x, y):
        return x >= y + gap(y) if higher else x <= y - gap(y)

    for (n1, v1, m1), (n2, v2, m2) in (((a_name, a, ma), (b_name, b, mb)),
                                       ((b_name, b, mb), (a_name, a, ma))):
        if beats(m1, m2):
            bar = (claims.margin_over if higher else claims.margin_under)(m2, margin, rel=rel)
            return ledger.claim(f"{what}: {n1}'s is {side} than {n2}'s by at least {by} (mean over "
                                "seeds)", v1, null=v2, bar=bar, how="mean", null_name=n2, fmt=".3f")
    return ledger.claim(f"{what}: {a_name}'s is within {by} of {b_name}'s (mean over seeds), no "
                        "difference at this budget", a, null=null, how="mean", null_name=null_name,
                        bar=claims.between(mb - gap(mb), mb + gap(mb)), fmt=".3f")


def compare(name, key):
    what, higher, margin, rel = WORDS[key]
    return versus(f"{WORDS[key][0]} on the {name}", "the DDPM", col(name, "ddpm", key), "the GAN",
                  col(name, "gan", key), higher, margin, rel, col(name, "untrained", key),
                  "untrained DDPM")


for name in ("ring", "grid"):
    for key in WORDS:
        compare(name, key)

# %% [markdown]
# ## Digits: FID on the digits network
#
# On the 16x16 digits we score with chapter 6's measurement: FID of as many samples as there
# are held-out digits, in the feature space of the shipped digits classifier, against the
# training digits. The real held-out digits give the floor (two samples of one distribution
# differ); an untrained DDPM, the null. At this budget the DDPM's noise predictor is an MLP
# on the flattened pixels ($T = 200$, the predicted $x_0$ clipped to the pixel range at each
# step as Ho et al.'s code does); the GAN is chapter 6's DCGAN. Both shipped as the EMA copy
# of their weights, three seeds each.

# %%
train, test = data.digits(16, split="train"), data.digits(16, split="test")
net = load_digits_net()
f_train = net.features(train.x)
N_EVAL = len(test)
floor = metrics.fid(f_train, net.features(test.x))


def fid(x):
    return metrics.fid(f_train, net.features(x.clamp(-1, 1)))


def sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def timed(fn, repeats=1):
    """(output, seconds) of fn(), the device synchronised around it; the fastest of `repeats`."""
    best = float("inf")
    for _ in range(repeats):
        sync()
        t = time.perf_counter()
        out = fn()
        sync()
        best = min(best, time.perf_counter() - t)
    return out, best


DDIM_STEPS = 20
digits, seconds = {}, {}
for s in SEEDS:
    z = torch.randn(N_EVAL, 256, generator=torch.Generator().manual_seed(10 + s))
    ddpm_m = load_pretrained(WEIGHTS, f"ddpm-digits-s{s}").nets["G"]
    untrained_m = load_pretrained(WEIGHTS, f"ddpm-digits-s{s}", trained=False).nets["G"]
    gan_G = load_pretrained(WEIGHTS, f"gan-digits-s{s}").nets["G"]
    torch.manual_seed(s)
    with torch.no_grad():
        digits["ddpm", s], seconds["ddpm", s] = timed(lambda: ddpm_m(z))
        digits["ddim", s], seconds["ddim", s] = timed(lambda: ddpm_m.sample(z, sampler="ddim",
                                                                            steps=DDIM_STEPS))
        digits["untrained", s], _ = timed(lambda: untrained_m(z))
        zg = torch.randn(N_EVAL, gan_G.nz, generator=torch.Generator().manual_seed(10 + s))
        digits["gan", s], seconds["gan", s] = timed(lambda: gan_G(zg), repeats=5)
        _, seconds["gan again", s] = timed(lambda: gan_G(zg), repeats=5)
fids = {k: [fid(digits[k, s]) for s in SEEDS] for k in ("ddpm", "ddim", "untrained", "gan")}
print(f"real held-out floor: FID {floor:.3f}")
for k, v in fids.items():
    print(f"{k:10s} FID {[round(x, 3) for x in v]}")

fig, axes = plt.subplots(1, 4, figsize=(16, 4))
for a, (k, title) in zip(axes, [("test", "held-out digits"), ("ddpm", "DDPM, ancestral"),
                                ("ddim", f"DDPM, DDIM {DDIM_STEPS} steps"), ("gan", "DCGAN")]):
    viz.show_images(test.x[:64] if k == "test" else digits[k, 0][:64].clamp(-1, 1), title=title, ax=a)
plt.show()

# %%
T_DIGITS = load_pretrained(WEIGHTS, "ddpm-digits-s0").nets["G"].schedule.T
ledger.claim("training lowers the DDPM's FID by at least a fifth: each seed's, bar 0.8x the best "
             "untrained DDPM's", fids["ddpm"], null=fids["untrained"],
             bar=claims.at_most(0.8 * min(fids["untrained"])), null_name="untrained DDPM", fmt=".3f")
versus("FID on the digits", "the DDPM", fids["ddpm"], "the GAN", fids["gan"], False, 0.5, True,
       fids["untrained"], "untrained DDPM")
versus(f"FID on the digits, DDIM ({DDIM_STEPS} steps) against the {T_DIGITS}-step chain", "DDIM",
       fids["ddim"], "the chain", fids["ddpm"], False, 0.25, True, fids["untrained"],
       "untrained DDPM")
_ = ledger.claim("neither model reaches the real-vs-real floor: FID of each seed of the DDPM and "
                 "the GAN, at least twice the floor", fids["ddpm"] + fids["gan"], null=floor,
                 bar=claims.at_least(2 * floor), null_name="real held-out digits", fmt=".3f")

# %% [markdown]
# ## Sampling time per sample
#
# The price of the diffusion model is paid at sampling time. The GAN draws a batch with one
# forward pass of its generator; the DDPM runs its noise predictor once per step of the
# chain. Both were timed above in the same run, on the same batch size, on this machine
# (wall-clock seconds, the device synchronised; the GAN's pass, which is short, as the
# fastest of a few repeats, and timed twice, so that its second timing is the null of the
# ratio). DDIM's deterministic sampler takes a subsequence of the steps: fewer network
# calls, with the quality that the FID lines above compare with the full chain's.

# %%
per = {k: [seconds[k, s] / N_EVAL for s in SEEDS] for k in ("ddpm", "ddim", "gan", "gan again")}
for k, v in per.items():
    print(f"{k:10s} {np.mean(v) * 1e3:.4f} ms per sample")
ratio = [per["ddpm"][i] / per["gan"][i] for i in range(len(SEEDS))]
ratio_null = [per["gan again"][i] / per["gan"][i] for i in range(len(SEEDS))]
ledger.claim(f"a DDPM sample ({T_DIGITS} denoising steps) costs at least 10x a GAN sample (one "
             "forward pass): time ratio, per seed", ratio, null=ratio_null, bar=claims.at_least(10),
             null_name="the GAN timed against itself", fmt=".0f")
ddim_speed = [per["ddpm"][i] / per["ddim"][i] for i in range(len(SEEDS))]
ledger.claim(f"DDIM with {DDIM_STEPS} steps samples at least 3x faster than the {T_DIGITS}-step "
             "chain: time ratio, per seed", ddim_speed, null=[1.0] * len(SEEDS),
             bar=claims.at_least(3), null_name="the chain against itself", fmt=".1f")

# %% [markdown]
# ## What this run measured
#
# Read the ledger lines above together: which model covers more of each toy's modes and
# which places its samples more precisely; how far training moves the DDPM on the digits,
# how its FID compares with the GAN's, and that neither reaches the floor of real digits;
# and how many GAN samples one DDPM sample costs, the trade the texts describe, measured.
# In this run the shipped GAN is ahead where precision counts (the high-quality fraction
# on both toys, FID on the digits) and on the grid's modes, while on the ring the two cover
# about as many modes; and DDIM's deterministic sampler, with a tenth of the network calls,
# scores a better FID than the full chain from the same noise predictor.
# At the scale of the papers the diffusion model's quality is what displaced GANs; at this
# budget (small networks, a few hundred to a thousand CPU steps) the ledger shows what is
# true here, not what the papers report after days of GPU training.

# %% [markdown]
# ## History and applications
#
# The milestones the course's texts list, in order, each linked to the section of this
# course that implements it:
#
# - **2014, the GAN** (Goodfellow et al.): the minimax game, the optimal discriminator and
#   the non-saturating loss, [chapter 1](ch01_minimax.ipynb#the-value-function); the
#   **conditional GAN** (Mirza & Osindero), [chapter 7](ch07_conditioning.ipynb#conditional-gan-the-label-to-both-players).
# - **2016, DCGAN** (Radford et al.): convolutional architecture rules,
#   [chapter 6](ch06_dcgan_evaluation.ipynb#the-dcgan-guidelines); **improved techniques**
#   (Salimans et al.: feature matching, minibatch discrimination) and the **unrolled GAN**
#   (Metz et al.), [chapter 3](ch03_mode_collapse.ipynb#the-fixes-on-the-grid-of-25);
#   **f-GAN** (Nowozin et al.), [chapter 4](ch04_objectives.ipynb#the-f-gan-view-each-objective-estimates-a-divergence);
#   **InfoGAN** (Chen et al.), [chapter 7](ch07_conditioning.ipynb#infogan-codes-nobody-labelled).
# - **2017, WGAN and WGAN-GP** (Arjovsky et al.; Gulrajani et al.),
#   [chapter 5](ch05_wasserstein.ipynb#what-each-critic-estimates); **TTUR and FID**
#   (Heusel et al.), [chapter 2](ch02_training_2d.ipynb#two-time-scales-ttur) and
#   [chapter 6](ch06_dcgan_evaluation.ipynb#scoring-the-generator); **pix2pix** (Isola et
#   al.) and **CycleGAN** (Zhu et al.), [chapter 8](ch08_image_to_image.ipynb#pix2pix-putting-back-the-detail-a-blur-removed);
#   **BiGAN / ALI** (Donahue et al.; Dumoulin et al.),
#   [chapter 7](ch07_conditioning.ipynb#bigan--ali-an-encoder-trained-adversarially);
#   **SRGAN** (Ledig et al.), [chapter 12a](ch12a_superres_vqgan_transgan.ipynb#super-resolution-the-perception-distortion-trade-off);
#   **EBGAN and BEGAN** (Zhao et al.; Berthelot et al.),
#   [chapter 12b](ch12b_flows_energy_rejection.ipynb#2-energy-based-gans-ebgan-and-began-on-digits).
# - **2018, Progressive GAN** (Karras et al.),
#   [chapter 10](ch10_growing_styles.ipynb#1-progressive-growing-fade-in-keeps-ds-loss-continuous);
#   **spectral normalisation** (Miyato et al.), [chapter 5](ch05_wasserstein.ipynb#the-critics-lipschitz-constants);
#   **PacGAN** (Lin et al.), [chapter 3](ch03_mode_collapse.ipynb#the-fixes-on-the-grid-of-25).
# - **2019, SAGAN** (Zhang et al.), [chapter 11](ch11_scale_attention.ipynb#sagan-self-attention);
#   **BigGAN** (Brock et al.), [chapter 11](ch11_scale_attention.ipynb#biggans-pieces);
#   **StyleGAN** (Karras et al.), [chapter 10](ch10_growing_styles.ipynb#4-style-mixing-noise-and-truncation);
#   **SinGAN** (Shaham et al.), [chapter 11](ch11_scale_attention.ipynb#singan-one-image);
#   **SPADE** (Park et al.), [chapter 8](ch08_image_to_image.ipynb#spade-pictures-from-label-maps);
#   **discriminator rejection sampling** (Azadi et al.),
#   [chapter 12b](ch12b_flows_energy_rejection.ipynb#3-discriminator-rejection-sampling-on-the-25-gaussian-grid).
# - **2020, StyleGAN2** (Karras et al.),
#   [chapter 10](ch10_growing_styles.ipynb#3-a-small-stylegan2-on-faces-and-lazy-regularisations-learning-rate-correction);
#   **ADA and DiffAugment** for little data (Karras et al.; Zhao et al.),
#   [chapter 9](ch09_little_data.ipynb#the-augmentation-pipeline-on-faces).
# - **2021, StyleGAN3** (Karras et al.),
#   [chapter 10](ch10_growing_styles.ipynb#8-translation-equivariance-stylegan2-style-vs-alias-free);
#   **VQGAN** (Esser et al.) and **TransGAN** (Jiang et al.),
#   [chapter 12a](ch12a_superres_vqgan_transgan.ipynb#vq-gan-a-codebook-a-straight-through-gradient-a-patch-critic).
# - **2020-2021, diffusion's displacement of GANs**: DDPM (Ho et al.) and DDIM (Song et al.),
#   [this chapter](#reversing-it-a-denoiser-its-loss-and-the-sampler), measured against
#   GANs on [modes](#modes-on-the-ring-and-the-grid-ddpm-against-a-gan),
#   [FID](#digits-fid-on-the-digits-network) and
#   [sampling time](#sampling-time-per-sample).
#
# The applications the texts list, and where the course shows each:
#
# - **image synthesis** from noise: chapters [6](ch06_dcgan_evaluation.ipynb#training),
#   [10](ch10_growing_styles.ipynb#3-a-small-stylegan2-on-faces-and-lazy-regularisations-learning-rate-correction)
#   and [11](ch11_scale_attention.ipynb#biggans-pieces);
# - **image editing** by projecting a photo into the latent space,
#   [chapter 10](ch10_growing_styles.ipynb#7-projection-of-a-held-out-face-into-w), and latent
#   arithmetic, [chapter 6](ch06_dcgan_evaluation.ipynb#walking-the-latent-space);
# - **image-to-image translation** (colourisation, domains, label maps to pictures),
#   [chapter 8](ch08_image_to_image.ipynb#cyclegan-on-textures-grass-to-gravel);
# - **super-resolution**, [chapter 12a](ch12a_superres_vqgan_transgan.ipynb#super-resolution-the-perception-distortion-trade-off);
# - **training with little data**, [chapter 9](ch09_little_data.ipynb#the-discriminator-overfits-and-augmentation-stops-it);
# - **synthetic tables, time series and sound**,
#   [chapter 12c](ch12c_tabular_series_audio.ipynb#1-tables-ctgan);
# - **representation learning** with an encoder, [chapter 7](ch07_conditioning.ipynb#bigan--ali-an-encoder-trained-adversarially);
# - **detecting generated images**, and the misuse it answers,
#   [chapter 12b](ch12b_flows_energy_rejection.ipynb#4-detecting-fakes).

# %%
print(f"budget '{budget()}': notebook wall time {time.perf_counter() - T0:.0f} s, "
      f"CPU time of this process {time.process_time() - CPU0:.0f} s")

# %%
ledger.table()
