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
#    real ones, and how its accuracy falls as the generator improves.

# %%
import copy
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from ganlab import data, detect, features, flowgan, metrics, rejection, variants, viz
from ganlab.budget import budget, pick
from ganlab.train import Trainer

T0 = time.perf_counter()
torch.manual_seed(0)
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
print(f"budget: {budget()}, device: {DEVICE}")

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
# both terms. Both runs below use the same flow, data (two moons), steps and seed.

# %%
FLOW_STEPS = pick(cpu=300, full=5000)
FLOW = dict(layers=6, hidden=pick(cpu=32, full=64))
moons_test = data.TWO_MOONS.sample(2000, generator=torch.Generator().manual_seed(123))

flow_runs = {}
for name in ("flowgan", "flow-mle"):
    t = time.perf_counter()
    game = variants.build(name, (2,), **FLOW)
    tr = Trainer(game, data.TWO_MOONS, steps=FLOW_STEPS, batch=128, device=DEVICE,
                 ema_decay=0, progress=False, log_every=25)
    tr.fit()
    flow = game.nets["G"].cpu().eval()
    with torch.no_grad():
        test_nll = float(flowgan.nll(flow, moons_test))
        samples = flow(torch.randn(2000, 2, generator=torch.Generator().manual_seed(1)))
    mmd = metrics.mmd2(samples, moons_test, bandwidth=0.2)
    flow_runs[name] = {"flow": flow, "nll": test_nll, "mmd": mmd, "samples": samples}
    print(f"{name:9s}: held-out NLL {test_nll:8.3f} nats/point, sample MMD^2 {mmd:.4f} "
          f"({time.perf_counter() - t:.1f} s)")

nll_adv, nll_mle = flow_runs["flowgan"]["nll"], flow_runs["flow-mle"]["nll"]
assert np.isfinite(nll_mle) and nll_adv > nll_mle, "adversarial training should give worse likelihood"

# %% [markdown]
# The flow's `log_prob` is exact, so we can also *look* at the density each objective
# learned. The left column shows samples over the data; the right column shows
# $\log p(x)$ on a grid.

# %%
lim = 2.0
xs = torch.linspace(-lim, lim, 120)
gx, gy = torch.meshgrid(xs, xs, indexing="xy")
pts = torch.stack([gx.flatten(), gy.flatten()], 1)  # (120*120, 2)
fig, axes = plt.subplots(2, 2, figsize=(8, 8))
for row, (name, run) in zip(axes, flow_runs.items()):
    viz.plot_points(run["samples"][:1000], moons_test[:1000], ax=row[0], lim=lim,
                    title=f"{name}: samples")
    with torch.no_grad():
        logp = run["flow"].log_prob(pts).reshape(120, 120).clamp(min=-10).numpy()
    im = row[1].imshow(logp, origin="lower", extent=(-lim, lim, -lim, lim), cmap="viridis")
    fig.colorbar(im, ax=row[1], fraction=0.046)
    row[1].set_title(f"{name}: log p(x), held-out NLL {run['nll']:.2f}")
plt.tight_layout()
plt.show()

# %%
print(f"Held-out negative log-likelihood: adversarial {nll_adv:.2f} vs maximum likelihood "
      f"{nll_mle:.2f} nats per point (lower is better), after {FLOW_STEPS} steps each. "
      f"Sample MMD^2 to the held-out moons (bandwidth 0.2): adversarial "
      f"{flow_runs['flowgan']['mmd']:.4f}, maximum likelihood {flow_runs['flow-mle']['mmd']:.4f}.")

# %% [markdown]
# The adversarial flow is never asked about the density of real points, only to make
# samples D cannot tell apart, and it is free to squeeze mass into thin sheets: a point of
# held-out data that falls just off one gets a very low density. That is the finding of
# Grover et al.: adversarially trained flows reach far worse log-likelihoods than
# maximum likelihood on the same architecture, whatever their samples look like. The
# MMD numbers are printed for comparison only; no claim about which objective gives better
# samples is asserted at this budget.

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
# The EBGAN run keeps copies of G after 0, N and 4N steps for section 4.

# %%
digits_train, digits_test = data.digits(16, split="train"), data.digits(16, split="test")
digits_net = features.load_digits_net()
E_STEPS = pick(cpu=200, full=5000)
E_NETS = dict(width=pick(cpu=16, full=32), nz=32)
LAMBDA_K = pick(cpu=0.05, full=0.001)
GAMMA = 0.75


def confidence(x):
    """Mean max-softmax of the digits classifier: how recognisable the samples are."""
    return float(digits_net.probs(x).max(1).values.mean())


t = time.perf_counter()
ebgan = variants.build("ebgan", (1, 16, 16), **E_NETS)
eb_tr = Trainer(ebgan, digits_train, steps=E_STEPS, batch=64, device=DEVICE, ema_decay=0,
                progress=False, log_every=10)
snapshots = {}
for s in (0, E_STEPS // 4, E_STEPS):
    eb_tr.fit(s)
    snapshots[s] = copy.deepcopy(ebgan.nets["G"]).cpu().eval()
print(f"EBGAN {E_STEPS} steps: {time.perf_counter() - t:.1f} s")

t = time.perf_counter()
began = variants.build("began", (1, 16, 16), gamma=GAMMA, lambda_k=LAMBDA_K, **E_NETS)
untrained_g = copy.deepcopy(began.nets["G"]).cpu().eval()
be_tr = Trainer(began, digits_train, steps=E_STEPS, batch=64, device=DEVICE, ema_decay=0,
                progress=False, log_every=5)
be_tr.fit()
print(f"BEGAN {E_STEPS} steps: {time.perf_counter() - t:.1f} s, final k_t = "
      f"{float(began.state['k']):.4f}")

# %%
z_eval = torch.randn(1000, E_NETS["nz"], generator=torch.Generator().manual_seed(5))
with torch.no_grad():
    x_untrained = untrained_g(z_eval)
    x_ebgan = snapshots[E_STEPS](z_eval)
    x_began = began.nets["G"].cpu().eval()(z_eval)
conf = {"untrained G": confidence(x_untrained), "EBGAN": confidence(x_ebgan),
        "BEGAN": confidence(x_began), "real held-out": confidence(digits_test.x)}
spread = {k: float(x.std(0).mean()) for k, x in (("untrained G", x_untrained), ("EBGAN", x_ebgan),
                                                  ("BEGAN", x_began), ("real held-out", digits_test.x))}
for k, v in conf.items():
    print(f"{k:13s}: digits classifier confidence {v:.3f}, per-pixel std across samples "
          f"{spread[k]:.3f}")

hist = be_tr.history
steps_logged = np.array([r["step"] for r in hist])
m_global = np.array([r["D/M_global"] for r in hist])
k_t = np.array([r["D/k"] for r in hist])
n_avg = max(1, len(hist) // 10)
m_start, m_end = m_global[:n_avg].mean(), m_global[-n_avg:].mean()
print(f"M_global: {m_start:.3f} over the first {n_avg} logged steps, {m_end:.3f} over the last; "
      f"k_t: max {k_t.max():.4f}, final {k_t[-1]:.4f}")
assert m_end < m_start, "M_global should fall over training"
assert conf["BEGAN"] > conf["untrained G"] and conf["EBGAN"] > conf["untrained G"]
assert 0.0 <= k_t.min() and k_t.max() <= 1.0

fig, axes = plt.subplots(1, 5, figsize=(18, 3.6))
axes[0].plot(steps_logged, m_global)
axes[0].set(title="BEGAN: M_global", xlabel="step")
axes[1].plot(steps_logged, k_t)
axes[1].set(title=f"BEGAN: k_t (gamma {GAMMA}, lambda_k {LAMBDA_K})", xlabel="step")
viz.show_images(x_untrained[:36], nrow=6, ax=axes[2], title=f"untrained G ({conf['untrained G']:.2f})")
viz.show_images(x_ebgan[:36], nrow=6, ax=axes[3], title=f"EBGAN ({conf['EBGAN']:.2f})")
viz.show_images(x_began[:36], nrow=6, ax=axes[4], title=f"BEGAN ({conf['BEGAN']:.2f})")
plt.tight_layout()
plt.show()

# %% [markdown]
# The printed confidence is the digits classifier's mean top probability on the samples
# (in brackets in the titles): an untrained G's flat images get low confidence, trained
# generators more. Confidence alone rewards a generator that draws one clean digit over
# and over, so the per-pixel standard deviation across samples is printed beside it (a
# collapsed generator's is near 0; compare with the real digits'). $k_t$ starts at 0 and
# rises while the generator's images are reconstructed better than $\gamma$ times the
# real ones, that is, when D must push the fakes' energy back up. $\gamma$ is BEGAN's
# *diversity ratio*: when this chapter was written, runs with the paper's default 0.5
# collapsed to one blurry digit with $k_t$ pinned at 0 (set `GAMMA = 0.5` to see what your
# run does), so it uses $\gamma = 0.75$, and under the
# CPU budget $\lambda_k$ is 50 times the paper's 0.001 so that $k_t$ moves within a few
# hundred steps.

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

# %%
DRS_STEPS = pick(cpu=1200, full=10_000)
mix = data.grid()
t = time.perf_counter()
gan = variants.build("gan", (2,), width=128, depth=3, lr_g=1e-3, lr_d=1e-3)
Trainer(gan, mix, steps=DRS_STEPS, batch=128, device=DEVICE, ema_decay=0, progress=False).fit()
Trainer(rejection.calibration_game(gan), mix, steps=DRS_STEPS // 5, batch=128, seed=1,
        device=DEVICE, ema_decay=0, progress=False).fit()
print(f"GAN {DRS_STEPS} steps + D calibration {DRS_STEPS // 5} steps: "
      f"{time.perf_counter() - t:.1f} s")

G, D = gan.nets["G"].cpu().eval(), gan.nets["D"].cpu().eval()
z_gen = torch.Generator().manual_seed(7)


def g_sample(m):
    return G(torch.randn(m, 2, generator=z_gen))


with torch.no_grad():
    before = g_sample(5000)
drs = {}
for label, gamma in (("gamma 0 (exact rule)", 0.0), ("gamma at 80th percentile of F", None)):
    x, stats = rejection.rejection_sample(g_sample, D, 5000, burn_in=10_000, gamma=gamma,
                                          q=80, generator=torch.Generator().manual_seed(8))
    drs[label] = (x, stats)
scores = {"no rejection": metrics.mode_metrics(before, mix.means, mix.sigma),
          **{k: metrics.mode_metrics(x, mix.means, mix.sigma) for k, (x, _) in drs.items()}}
for k, s in scores.items():
    acc = f", acceptance {drs[k][1]['acceptance']:.3f}, gamma {drs[k][1]['gamma']:.2f}" \
        if k in drs else ""
    print(f"{k:30s}: modes {s['modes']:2d}/25, high quality {100 * s['hq_fraction']:5.1f}%, "
          f"reverse KL {s['reverse_kl']:.3f}{acc}")
hq_before, hq_after = scores["no rejection"]["hq_fraction"], scores["gamma 0 (exact rule)"]["hq_fraction"]
assert hq_after > hq_before, "DRS should raise the fraction of high-quality samples"

fig, axes = plt.subplots(1, 3, figsize=(13, 4.4))
for ax, (k, x) in zip(axes, [("no rejection", before), *((k, v[0]) for k, v in drs.items())]):
    viz.plot_points(x[:2500], mix.sample(2500, generator=torch.Generator().manual_seed(9)), ax=ax,
                    lim=5, title=f"{k}\nHQ {100 * scores[k]['hq_fraction']:.1f}%")
plt.tight_layout()
plt.show()

# %% [markdown]
# Rejection cannot add modes G never produces; it can only re-weight what G makes. The
# printed numbers show by how much the fraction of samples within three standard
# deviations of a mode ("high quality") rises after rejection in this run, and what each
# accepted sample cost in draws.

# %% [markdown]
# ## 4. Detecting fakes
#
# A detector is a classifier trained on real images and a generator's images. Here it is a
# small CNN (`detect.FakeDetector`), trained for a fixed, small budget against each EBGAN
# snapshot of section 2 (after 0, N and 4N steps) and scored on held-out real digits and
# fresh samples of the same snapshot. Accuracy is balanced: the mean of the accuracy on
# real and on fake, 0.5 is chance.

# %%
DET = detect.DetectorConfig(steps=pick(cpu=40, full=100), batch=64, width=8)
n_fake = 2 * len(digits_test.x)
fakes = {}
for s, g in snapshots.items():
    with torch.no_grad():
        fakes[s] = g(torch.randn(n_fake, E_NETS["nz"], generator=torch.Generator().manual_seed(s)))
t = time.perf_counter()
det_acc = detect.detection_report(digits_train.x, digits_test.x, fakes, DET)
print(f"three detectors, {DET.steps} steps each: {time.perf_counter() - t:.1f} s")
for s, a in det_acc.items():
    print(f"G after {s:4d} steps: detector held-out accuracy {a:.3f}, "
          f"classifier confidence {confidence(fakes[s]):.3f}")
assert det_acc[0] > det_acc[E_STEPS], "a better G should be harder to detect"

plt.figure(figsize=(4.5, 3.2))
plt.plot(list(det_acc), list(det_acc.values()), "o-")
plt.axhline(0.5, ls="--", c="gray", label="chance")
plt.xlabel("generator training steps")
plt.ylabel("detector accuracy")
plt.legend()
plt.show()

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
# - **Detectors are not a fix.** As the numbers above show, a detector trained against one
#   generator weakens as that generator improves, and it may not transfer to another
#   generator, to resized or recompressed images, or to an adversary who trains against it.
#   A detector's "real" is evidence, not proof.
# - **Provenance.** Signing content at capture and recording its edits (e.g. the C2PA
#   standard), and watermarking generated content, move the question from "does this look
#   fake?" to "where did this come from?". Watermarks can be removed or forged too, so they
#   are one layer among several, alongside platform policy and law.

# %% [markdown]
# ## What this run measured

# %%
elapsed = time.perf_counter() - T0
hardware = torch.cuda.get_device_name() if DEVICE == "cuda" else "CPU"
summary = (
    f"Budget '{budget()}' on {hardware}. "
    f"Flow-GAN ({FLOW_STEPS} steps): held-out NLL adversarial {nll_adv:.2f}, maximum "
    f"likelihood {nll_mle:.2f} nats per point. "
    f"BEGAN ({E_STEPS} steps): M_global {m_start:.3f} -> {m_end:.3f}, final k_t "
    f"{k_t[-1]:.4f}; digits-classifier confidence untrained {conf['untrained G']:.2f}, EBGAN "
    f"{conf['EBGAN']:.2f}, BEGAN {conf['BEGAN']:.2f}; per-pixel std across samples EBGAN "
    f"{spread['EBGAN']:.3f}, BEGAN {spread['BEGAN']:.3f}, real {spread['real held-out']:.3f}. "
    f"DRS on the grid: high quality {100 * hq_before:.1f}% -> {100 * hq_after:.1f}%, modes "
    f"{scores['no rejection']['modes']} -> {scores['gamma 0 (exact rule)']['modes']}, reverse "
    f"KL {scores['no rejection']['reverse_kl']:.3f} -> "
    f"{scores['gamma 0 (exact rule)']['reverse_kl']:.3f}. "
    f"Detector accuracy vs G steps: "
    + ", ".join(f"{s}: {a:.3f}" for s, a in det_acc.items())
    + f". Notebook time {elapsed:.0f} s."
)
print(summary)

# %% [markdown]
# Under the CPU budget every run is short: the numbers above show the direction of each
# effect (worse likelihood from adversarial training, a falling $M_{\text{global}}$, more
# high-quality samples after rejection, a detector that weakens as G trains), which the
# cells assert, not the sizes the papers report after long training.
