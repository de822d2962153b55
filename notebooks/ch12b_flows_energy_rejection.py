# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 12b. Beyond the image GAN (2 of 3): likelihood, energy, rejection sampling and detecting fakes
#
# Four short pieces, each a small ganlab module trained through the one `Trainer`:
#
# 1. **Flow-GAN** (`ganlab.flowgan`): a generator with an exact density. Train the same
#    RealNVP flow adversarially and by maximum likelihood and compare held-out
#    log-likelihood, which a GAN never lets us measure.
# 2. **Energy-based GANs** (`ganlab.energy`): EBGAN and BEGAN replace the classifier D by an
#    autoencoder whose reconstruction error is an energy; BEGAN adds a controller $k_t$
#    and a convergence measure $M_{\text{global}}$.
# 3. **Discriminator rejection sampling** (`ganlab.rejection`): after training, use D to
#    throw away generated samples it finds unlikely.
# 4. **Detecting fakes** (`ganlab.detect`): a classifier that tells generated digits from
#    real ones, whether its accuracy falls as the generator trains, and whether it
#    transfers to a generator it was not trained against.
#
# Every claim goes through the claims ledger (`ganlab.claims`): the measured value on
# three seeds, its bar, and the **null** (an untrained model, the other objective, a
# generator that copies real digits) which must fail the bar. The table at the end
# collects them.

# %%
import copy
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from ganlab import claims, data, detect, energy, features, flowgan, metrics, rejection, variants, viz
from ganlab.budget import budget, pick
from ganlab.train import Trainer

ledger = claims.Ledger("ch12b_flows_energy_rejection")
T0, CPU0 = time.perf_counter(), time.process_time()
SEEDS = [0, 1, 2]
print(f"budget: {budget()}, seeds {SEEDS}")


def fit(game, dataset, steps, batch, seed, **kw):
    """Train a game with the one trainer from `seed`; return its trainer (nets stay put)."""
    tr = Trainer(game, dataset, steps=steps, batch=batch, ema_decay=0, progress=False, seed=seed,
                 **kw)
    tr.fit()
    return tr


# %% [markdown]
# ## 1. Flow-GAN: the same generator, two ways to train it
#
# A normalising flow is an invertible map $x = f(z)$ with $z \sim \mathcal N(0, I)$, so
# its density is exact by the change of variables,
# $\log p(x) = \log \mathcal N(f^{-1}(x); 0, I) + \log\lvert\det \partial f^{-1}/\partial x\rvert$.
# RealNVP (Dinh et al. 2017) builds $f$ from *affine couplings*: half of the coordinates
# pass through, the other half are scaled by $e^{s}$ and shifted by $t$, functions of the
# first half. The Jacobian is triangular, so its log-determinant is just $\sum s$.
#
# Grover et al. (2018, Flow-GAN) use such a flow as a GAN generator. `flowgan` trains it
# against a discriminator, `flow-mle` by maximum likelihood (no D), `flowgan-hybrid` with
# both terms. Both runs below use the same flow, data (two moons), steps and seeds; the
# untrained flow (the same architecture at its initial weights, which make it the
# identity map, so its density is the standard normal's) is the null.

# %%
FLOW_STEPS = pick(cpu=300, full=5000)
FLOW = dict(layers=6, hidden=pick(cpu=32, full=64))
FLOW_GAP = 2.0  # nats per point: how much worse the adversarial flow's likelihood must be
moons_test = data.TWO_MOONS.sample(2000, generator=torch.Generator().manual_seed(123))


@torch.no_grad()
def flow_scores(flow):
    flow = flow.cpu().eval()
    samples = flow(torch.randn(2000, 2, generator=torch.Generator().manual_seed(1)))
    return {"flow": flow, "nll": float(flowgan.nll(flow, moons_test)), "samples": samples,
            "mmd": metrics.mmd2(samples, moons_test, bandwidth=0.2)}


t = time.perf_counter()
flow_runs = {"untrained": [], "flowgan": [], "flow-mle": []}
for seed in SEEDS:
    flow_runs["untrained"].append(flow_scores(variants.build("flow-mle", (2,), seed=seed, **FLOW).nets["G"]))
    for name in ("flowgan", "flow-mle"):
        game = variants.build(name, (2,), seed=seed, **FLOW)
        fit(game, data.TWO_MOONS, FLOW_STEPS, 128, seed, log_every=25)
        flow_runs[name].append(flow_scores(game.nets["G"]))
nll = {k: [r["nll"] for r in v] for k, v in flow_runs.items()}
mmd = {k: [r["mmd"] for r in v] for k, v in flow_runs.items()}
for k in flow_runs:
    print(f"{k:9s}: held-out NLL {np.round(nll[k], 2)} nats/point, sample MMD^2 {np.round(mmd[k], 4)}")
print(f"six flows, {FLOW_STEPS} steps each: {time.perf_counter() - t:.1f} s")

ledger.claim("maximum likelihood fits the moons: held-out NLL (nats/point) half a nat below "
             "the untrained flow's",
             nll["flow-mle"], null=nll["untrained"], null_name="untrained flow",
             bar=claims.margin_under(min(nll["untrained"]), 0.5), fmt=".2f")
ledger.claim(f"adversarial training gives a held-out NLL at least {FLOW_GAP:.0f} nats/point worse "
             "than maximum likelihood on the same flow", nll["flowgan"], null=nll["flow-mle"],
             null_name="maximum likelihood", bar=claims.at_least(max(nll["flow-mle"]) + FLOW_GAP),
             fmt=".2f")
ledger.claim("...while its samples move towards the moons: MMD^2 at least 10% under the untrained flow's",
             mmd["flowgan"], null=mmd["untrained"], null_name="untrained flow",
             bar=claims.margin_under(min(mmd["untrained"]), 0.1, rel=True), fmt=".4f")

# %% [markdown]
# The flow's `log_prob` is exact, so we can also *look* at the density each objective
# learned (seed 0). The left column shows samples over the data; the right column shows
# $\log p(x)$ on a grid.

# %%
lim = 2.0
xs = torch.linspace(-lim, lim, 120)
gx, gy = torch.meshgrid(xs, xs, indexing="xy")
pts = torch.stack([gx.flatten(), gy.flatten()], 1)  # (120*120, 2)
fig, axes = plt.subplots(2, 2, figsize=(8, 8))
for row, name in zip(axes, ("flowgan", "flow-mle")):
    run = flow_runs[name][0]
    viz.plot_points(run["samples"][:1000], moons_test[:1000], ax=row[0], lim=lim,
                    title=f"{name}: samples")
    with torch.no_grad():
        logp = run["flow"].log_prob(pts).reshape(120, 120).clamp(min=-10).numpy()
    im = row[1].imshow(logp, origin="lower", extent=(-lim, lim, -lim, lim), cmap="viridis")
    fig.colorbar(im, ax=row[1], fraction=0.046)
    row[1].set_title(f"{name}: log p(x), held-out NLL {run['nll']:.2f}")
plt.tight_layout()
plt.show()

# %% [markdown]
# The adversarial flow is never asked about the density of real points, only to make
# samples D cannot tell apart, and it is free to squeeze mass into thin sheets: a point of
# held-out data that falls just off one gets a very low density. That is the finding of
# Grover et al.: adversarially trained flows reach far worse log-likelihoods than
# maximum likelihood on the same architecture, whatever their samples look like. The
# ledger lines above show both halves on three seeds: the likelihood gap, and samples
# that have nonetheless moved towards the data by MMD. Which objective gives the
# *better* samples is not claimed at this budget (the MMDs are printed above).

# %% [markdown]
# ## 2. Energy-based GANs: EBGAN and BEGAN on digits
#
# An **EBGAN** (Zhao et al. 2017) discriminator is an autoencoder. Its energy is the
# reconstruction error $D(x) = \lVert \mathrm{Dec}(\mathrm{Enc}(x)) - x\rVert^2$: low on
# real data, high elsewhere. D minimises $D(x) + [m - D(G(z))]^+$ (push real energy down,
# fake energy up to the margin $m$), G minimises $D(G(z))$. `ebgan-pt` adds the
# pulling-away term, the mean squared cosine between the codes of different fakes.
#
# **BEGAN** (Berthelot et al. 2017) uses $L(v) = \lvert v - \mathrm{AE}(v)\rvert$ and keeps
# the two losses in balance with a proportional controller:
# $L_D = L(x) - k_t L(G(z))$, $L_G = L(G(z))$,
# $k_{t+1} = \operatorname{clip}(k_t + \lambda_k(\gamma L(x) - L(G(z))), 0, 1)$.
# $k_t$ is state of the game (`game.state["k"]`, saved in checkpoints). The sum
# $M_{\text{global}} = L(x) + \lvert\gamma L(x) - L(G(z))\rvert$ is the paper's convergence
# measure: it falls as the autoencoder learns real digits and the two losses balance.
#
# Each EBGAN run keeps copies of G after 0, N and 4N steps for section 4 (the copy at 0
# steps is the untrained G, the null of this section).

# %%
digits_train, digits_test = data.digits(16, split="train"), data.digits(16, split="test")
digits_net = features.load_digits_net()
E_STEPS = pick(cpu=150, full=5000)
E_NETS = dict(width=pick(cpu=16, full=32), nz=32)
LAMBDA_K = pick(cpu=0.05, full=0.001)
GAMMA = 0.75
CONF_BAR = 0.5  # mean top probability of the digits classifier (0.1 = uniform over 10)


def confidence(x):
    """Mean max-softmax of the digits classifier: how recognisable the samples are."""
    return float(digits_net.probs(x).max(1).values.mean())


@torch.no_grad()
def m_global(nets, z):
    """BEGAN's convergence measure on held-out digits and fresh fakes."""
    l_real = energy.l1_energy(nets["D"], digits_test.x).mean()
    l_fake = energy.l1_energy(nets["D"], nets["G"](z)).mean()
    return float(energy.convergence_measure(l_real, l_fake, GAMMA))


z_eval = torch.randn(1000, E_NETS["nz"], generator=torch.Generator().manual_seed(5))
t = time.perf_counter()
runs = []
for seed in SEEDS:
    ebgan = variants.build("ebgan", (1, 16, 16), seed=seed, **E_NETS)
    eb_tr = Trainer(ebgan, digits_train, steps=E_STEPS, batch=64, ema_decay=0, progress=False,
                    seed=seed, log_every=10)
    snapshots = {}
    for s in (0, E_STEPS // 4, E_STEPS):
        eb_tr.fit(s)
        snapshots[s] = copy.deepcopy(ebgan.nets["G"]).cpu().eval()
    began = variants.build("began", (1, 16, 16), seed=seed, gamma=GAMMA, lambda_k=LAMBDA_K, **E_NETS)
    began_init = {k: copy.deepcopy(m).eval() for k, m in began.nets.items()}
    be_tr = fit(began, digits_train, E_STEPS, 64, seed, log_every=5)
    be_nets = {k: m.cpu().eval() for k, m in began.nets.items()}
    runs.append({"snapshots": snapshots, "began": be_nets["G"], "history": be_tr.history,
                 "m_global": m_global(be_nets, z_eval), "m_global_init": m_global(began_init, z_eval)})
print(f"EBGAN and BEGAN, {E_STEPS} steps each, {len(SEEDS)} seeds: {time.perf_counter() - t:.1f} s")

# %%
with torch.no_grad():
    samples = {"untrained G": [r["snapshots"][0](z_eval) for r in runs],
               "EBGAN": [r["snapshots"][E_STEPS](z_eval) for r in runs],
               "BEGAN": [r["began"](z_eval) for r in runs]}
conf = {k: [confidence(x) for x in v] for k, v in samples.items()}
spread = {k: [float(x.std(0).mean()) for x in v] for k, v in samples.items()}
conf_real, spread_real = confidence(digits_test.x), float(digits_test.x.std(0).mean())
for k in samples:
    print(f"{k:13s}: digits classifier confidence {np.round(conf[k], 3)}, per-pixel std across "
          f"samples {np.round(spread[k], 3)}")
print(f"real held-out: confidence {conf_real:.3f}, per-pixel std {spread_real:.3f}")
k_max = [max(r["D/k"] for r in run["history"]) for run in runs]

for name in ("EBGAN", "BEGAN"):
    ledger.claim(f"{name}'s samples are recognisable digits: classifier confidence",
                 conf[name], null=conf["untrained G"], null_name="untrained G",
                 bar=claims.at_least(CONF_BAR), fmt=".3f")
    how, words = ("each", "on every seed") if name == "BEGAN" else ("mean", "on average over seeds")
    ledger.claim(f"...but {name}'s samples vary far less than real digits {words} (partial collapse): "
                 "per-pixel std across samples under half the held-out digits'", spread[name],
                 null=spread_real, null_name="real held-out digits", how=how,
                 bar=claims.at_most(0.5 * spread_real), fmt=".3f")
ledger.claim("BEGAN's M_global (held-out digits) falls to under half its value at initialisation",
             [r["m_global"] for r in runs], null=[r["m_global_init"] for r in runs],
             null_name="untrained D and G",
             bar=claims.margin_under(min(r["m_global_init"] for r in runs), 0.5, rel=True),
             fmt=".3f")
ledger.claim("the controller moves: k_t rises from k_0 = 0 (its largest value in training)", k_max,
             null=0.0, null_name="k_0", bar=claims.at_least(0.01), fmt=".3f")

hist = runs[0]["history"]
steps_logged = np.array([r["step"] for r in hist])
fig, axes = plt.subplots(1, 5, figsize=(18, 3.6))
axes[0].plot(steps_logged, [r["D/M_global"] for r in hist])
axes[0].set(title="BEGAN: M_global (seed 0)", xlabel="step")
axes[1].plot(steps_logged, [r["D/k"] for r in hist])
axes[1].set(title=f"BEGAN: k_t (gamma {GAMMA}, lambda_k {LAMBDA_K})", xlabel="step")
for ax, k in zip(axes[2:], samples):
    viz.show_images(samples[k][0][:36], nrow=6, ax=ax, title=f"{k} ({conf[k][0]:.2f})")
plt.tight_layout()
plt.show()

# %% [markdown]
# The confidence is the digits classifier's mean top probability on the samples (in
# brackets in the titles, seed 0): an untrained G's flat images get low confidence,
# trained generators more. Confidence alone rewards a generator that draws one clean
# digit over and over, so the per-pixel standard deviation across samples is measured
# beside it (a collapsed generator's is near 0, the untrained G's flat images are close to
# that): after this short run both generators vary far less than real digits do, BEGAN on
# every seed, EBGAN on average (one of its three seeds is far more diverse than the other
# two; the per-seed values are printed above), so confident samples here largely come
# from partly collapsed generators. More steps (the full budget) are what diversity needs.
# $k_t$ starts at 0 and rises while the generator's images are reconstructed better than
# $\gamma$ times the real ones, that is, when D must push the fakes' energy back up; the
# clip to $[0, 1]$ holds by construction and is no claim. $\gamma$ is BEGAN's *diversity
# ratio*; this chapter uses $\gamma = 0.75$, a choice for this small setting and not
# compared here with the paper's default 0.5 (set `GAMMA = 0.5` to see what your run
# does). Under the CPU budget $\lambda_k$ is 50 times the paper's 0.001 so that $k_t$
# moves within a few hundred steps.

# %% [markdown]
# ## 3. Discriminator rejection sampling on the 25-Gaussian grid
#
# If D were optimal, $e^{\tilde D(x)} = p_{\text{data}}(x)/p_g(x)$ for its logit
# $\tilde D$, and accepting a sample $x \sim p_g$ with probability
# $e^{\tilde D(x) - \tilde D_M}$, $\tilde D_M = \max \tilde D$, would be exact rejection
# sampling from $p_{\text{data}}$. DRS (Azadi et al. 2019) estimates $\tilde D_M$ over a
# burn-in sample and accepts with probability $\sigma(F(x))$,
# $F(x) = \tilde D(x) - \tilde D_M - \log(1 - e^{\tilde D(x) - \tilde D_M - \epsilon}) - \gamma$;
# at $\gamma = 0$ that is the exact rule, larger $\gamma$ accepts less. Before sampling, D
# is trained a little more with G frozen (`rejection.calibration_game`), so that it is
# close to the optimal D for the final G.
#
# Comparisons must be fair in what each side is given. DRS returns `N_KEEP` accepted
# samples but *draws* many more from G; so we score G's raw samples twice: at the same
# number of samples (`N_KEEP`), and at the same number of draws DRS consumed.

# %%
DRS_STEPS = pick(cpu=1200, full=10_000)
N_KEEP, BURN_IN = 5000, 10_000
mix = data.grid()


def scores(x):
    return metrics.mode_metrics(x, mix.means, mix.sigma)


t = time.perf_counter()
drs = []
for seed in SEEDS:
    gan = variants.build("gan", (2,), seed=seed, width=64, depth=3, lr_g=1e-3, lr_d=1e-3)
    fit(gan, mix, DRS_STEPS, 128, seed)
    fit(rejection.calibration_game(gan), mix, DRS_STEPS, 128, seed + 100)  # D alone, G frozen
    G, D = gan.nets["G"].cpu().eval(), gan.nets["D"].cpu().eval()
    z_gen = torch.Generator().manual_seed(7 + seed)

    def g_sample(m, G=G, z_gen=z_gen):
        return G(torch.randn(m, 2, generator=z_gen))

    with torch.no_grad():
        raw, raw_again = g_sample(N_KEEP), g_sample(N_KEEP)  # G alone; a second draw (accept-all)
    run = {"raw": scores(raw), "accept all": scores(raw_again), "x": {"no rejection": raw}}
    for label, gamma in (("gamma 0 (exact rule)", 0.0), ("gamma at 80th percentile of F", None)):
        x, stats = rejection.rejection_sample(g_sample, D, N_KEEP, burn_in=BURN_IN, gamma=gamma,
                                              q=80, generator=torch.Generator().manual_seed(8 + seed))
        run[label], run["x"][label] = {**scores(x), **stats}, x
    with torch.no_grad():  # G alone, given every draw the exact rule made (burn-in included)
        run["equal draws"] = scores(g_sample(int(run["gamma 0 (exact rule)"]["draws"]) + BURN_IN))
    drs.append(run)
print(f"{len(SEEDS)} GANs, {DRS_STEPS} steps + D calibration {DRS_STEPS} steps each, with DRS: "
      f"{time.perf_counter() - t:.1f} s")
for k in ("raw", "accept all", "gamma 0 (exact rule)", "gamma at 80th percentile of F", "equal draws"):
    extra = (f", acceptance {np.round([r[k]['acceptance'] for r in drs], 3)}"
             if "acceptance" in drs[0][k] else "")
    print(f"{k:30s}: modes {[r[k]['modes'] for r in drs]}, high quality "
          f"{np.round([100 * r[k]['hq_fraction'] for r in drs], 1)}%, reverse KL "
          f"{np.round([r[k]['reverse_kl'] for r in drs], 3)}{extra}")

# %%
exact = "gamma 0 (exact rule)"
ratio = lambda k, m: [r[k][m] / r["raw"][m] for r in drs]  # noqa: E731
ledger.claim(f"at equal sample counts ({N_KEEP}), DRS at least 1.5 times G's high-quality fraction",
             ratio(exact, "hq_fraction"), null=ratio("accept all", "hq_fraction"),
             null_name="accepting every draw", bar=claims.at_least(1.5), fmt=".2f")
ledger.claim("...and at most 0.85 times G's reverse KL to the uniform mode distribution",
             ratio(exact, "reverse_kl"), null=ratio("accept all", "reverse_kl"),
             null_name="accepting every draw", bar=claims.at_most(0.85), fmt=".2f")
ledger.claim("rejection adds no mode: given as many draws as DRS made, G alone covers at least as "
             "many modes (G alone's modes minus DRS's)",
             [r["equal draws"]["modes"] - r[exact]["modes"] for r in drs],
             null=[r["raw"]["modes"] - r[exact]["modes"] for r in drs],
             null_name=f"G alone at {N_KEEP} samples", bar=claims.at_least(0), fmt=".0f")

fig, axes = plt.subplots(1, 3, figsize=(13, 4.4))
for ax, (k, x) in zip(axes, drs[0]["x"].items()):
    hq = drs[0]["raw" if k == "no rejection" else k]["hq_fraction"]
    viz.plot_points(x[:2500], mix.sample(2500, generator=torch.Generator().manual_seed(9)), ax=ax,
                    lim=5, title=f"{k} (seed 0)\nHQ {100 * hq:.1f}%")
plt.tight_layout()
plt.show()

# %% [markdown]
# Rejection cannot add modes G never produces; it can only re-weight what G makes. The
# ledger shows both halves. At equal sample counts the accepted samples are more often
# within three standard deviations of a mode ("high quality") and spread more evenly over
# the modes (a lower reverse KL) than G's own. Their mode *count* at equal sample counts is
# not claimed: with so few high-quality samples it is noisy (compare G's two raw sets of
# the same size, printed as `raw` and `accept all`). And DRS paid for
# its samples with many more draws (the acceptance rates printed above): G alone, given
# the same number of draws, covers at least as many modes on every seed, so the modes the
# accepted samples show come from drawing more, not from the rejection.

# %% [markdown]
# ## 4. Detecting fakes
#
# A detector is a classifier trained on real images and a generator's images. Here it is a
# small CNN (`detect.FakeDetector`), trained for a fixed, small budget against each EBGAN
# snapshot of section 2 (after 0, N and 4N steps) and scored on held-out real digits and
# fresh samples of the same snapshot. Accuracy is balanced: the mean of the accuracy on
# real and on fake, 0.5 is chance. The null is a "generator" that copies real digits (the
# other half of the training digits): no detector can beat chance on it by more than its
# noise.
#
# Then transfer: the detector trained against the final EBGAN is scored on samples of the
# BEGAN of the same seed, a generator it never saw, and the one trained against BEGAN on
# the EBGAN's; each is compared with the detector trained on that generator itself.

# %%
DET = detect.DetectorConfig(steps=pick(cpu=150, full=300), batch=64, width=8)
real_fit, copies = digits_train.x[::2], digits_train.x[1::2]  # the copying "generator": real digits
n_fake, half = 2 * len(digits_test.x), len(digits_test.x)
t = time.perf_counter()
det_acc, transfer, own = [], [], []
for seed, run in zip(SEEDS, runs):
    with torch.no_grad():
        fakes = {s: g(torch.randn(n_fake, E_NETS["nz"], generator=torch.Generator().manual_seed(s)))
                 for s, g in run["snapshots"].items()}
        began_fakes = run["began"](torch.randn(n_fake, E_NETS["nz"],
                                               generator=torch.Generator().manual_seed(99)))
    det_acc.append(detect.detection_report(real_fit, digits_test.x, {**fakes, "copy": copies},
                                           DET, seed=seed))
    ebgan_fakes = fakes[E_STEPS]
    det_eb = detect.train_detector(real_fit, ebgan_fakes[:half], DET, seed)  # as in the report
    det_be = detect.train_detector(real_fit, began_fakes[:half], DET, seed)
    own += [det_acc[-1][E_STEPS], detect.detector_accuracy(det_be, digits_test.x, began_fakes[half:])]
    transfer += [detect.detector_accuracy(det_be, digits_test.x, ebgan_fakes[half:]),
                 detect.detector_accuracy(det_eb, digits_test.x, began_fakes[half:])]
acc = {k: [a[k] for a in det_acc] for k in det_acc[0]}
print(f"{len(SEEDS) * 6} detectors, {DET.steps} steps each: {time.perf_counter() - t:.1f} s")
for k, v in acc.items():
    name = "copies of real digits" if k == "copy" else f"EBGAN after {k:4d} steps"
    print(f"{name:24s}: detector held-out accuracy {np.round(v, 3)}")
print(f"per seed, (EBGAN, BEGAN): accuracy of the detector trained on that generator "
      f"{np.round(own, 3)}, of the one trained on the other generator {np.round(transfer, 3)}")

# %%
ledger.claim("a detector spots an untrained G's images: held-out balanced accuracy", acc[0],
             null=acc["copy"], null_name="a G that copies real digits", bar=claims.at_least(0.9),
             fmt=".3f")
ledger.claim(f"...and, at this budget, still the trained EBGAN's ({E_STEPS} steps) and BEGAN's "
             "fresh samples (detectors trained on their own generator)", own,
             null=acc["copy"], null_name="a G that copies real digits", bar=claims.at_least(0.9),
             fmt=".3f")
ledger.claim("a detector does not transfer: on the other generator's samples its accuracy is on "
             "average at least 0.2 lower", transfer, null=own, how="mean",
             null_name="detector trained on that generator", bar=claims.at_most(np.mean(own) - 0.2),
             fmt=".3f")

fig, ax = plt.subplots(figsize=(4.5, 3.2))
steps = list(runs[0]["snapshots"])
for seed, a in zip(SEEDS, det_acc):
    ax.plot(steps, [a[s] for s in steps], "o-", label=f"seed {seed}")
ax.axhline(0.5, ls="--", c="gray", label="chance")
ax.set(xlabel="EBGAN training steps", ylabel="detector accuracy")
ax.legend()
plt.show()

# %% [markdown]
# What the run shows. An untrained G is caught every time, and so, after this short run,
# are the trained generators: the accuracy against the EBGAN snapshots does not fall
# steadily as it trains (the curve above, one line per seed; a partly collapsed
# generator is, if anything, easy to detect). The literature's trend, detectors that
# weaken as generators improve, needs generators far better than these and is not shown
# here. Transfer is what fails: a detector trained against one generator, scored on the
# other generator's samples (both directions, every seed), loses much of its accuracy on
# average, and on some pairs is no better than chance (the per-seed values are printed
# above), while a detector trained on that generator itself stays near perfect.

# %% [markdown]
# ### A note on misuse
#
# The methods of this course also make *deepfakes*: images, voices or videos of real people
# doing or saying what they never did. The harms are concrete: sexual images of people who
# never consented (the large majority of deepfakes found online), fraud by impersonation,
# and disinformation, including the "liar's dividend", where genuine recordings are dismissed
# as fake. Three things follow.
#
# - **Consent.** Do not train on, or generate, a recognisable person without their consent;
#   data sets scraped from the web rarely carry it.
# - **Detectors are not a fix.** As the ledger lines above show, a detector that catches
#   the generator it was trained against can fail on another one, down to chance; the
#   literature adds that detectors weaken as generators improve (not shown at this budget),
#   and none was tested here on resized or recompressed images, or against an adversary
#   who trains against it. A detector's "real" is evidence, not proof.
# - **Provenance.** Signing content at capture and recording its edits (e.g. the C2PA
#   standard), and watermarking generated content, move the question from "does this look
#   fake?" to "where did this come from?". Watermarks can be removed or forged too, so they
#   are one layer among several, alongside platform policy and law.

# %% [markdown]
# ## What this run measured
#
# Under the CPU budget every run is short: the claims show the direction of each effect on
# three seeds (worse likelihood from adversarial training, a falling $M_{\text{global}}$,
# more high-quality samples after rejection at equal sample counts but no extra modes at
# equal draws, detectors that do not transfer between generators), not the sizes the
# papers report after long training; two expected effects are not shown at this budget
# and are said so above (diverse energy-based samples, detectors weakening as G trains).

# %%
print(f"budget '{budget()}': notebook wall time {time.perf_counter() - T0:.0f} s, "
      f"CPU time of this process {time.process_time() - CPU0:.0f} s")

# %%
ledger.table()
