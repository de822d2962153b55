# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 5. Wasserstein GAN
#
# The Wasserstein-1 (earth mover's) distance between the data $P$ and the generator's $Q$
# is the cheapest way to move one pile of mass onto the other. By Kantorovich-Rubinstein
# duality it is also a supremum over 1-Lipschitz *critics*:
#
# $$
# W_1(P, Q) = \sup_{\|f\|_L \le 1} \mathbb{E}_{P}[f(x)] - \mathbb{E}_{Q}[f(x)] .
# $$
#
# A WGAN (Arjovsky et al. 2017) trains a critic $f$ to maximise the right-hand side
# (`losses.d_wasserstein` is its negation) and the generator to minimise it
# (`losses.g_wasserstein`). Everything hangs on keeping $f$ Lipschitz. `ganlab.regularizers`
# has the three classic ways: weight clipping (WGAN: RMSprop $5\cdot10^{-5}$, $c = 0.01$,
# 5 critic steps), the gradient penalty (WGAN-GP, Gulrajani et al. 2017: $\lambda = 10$, Adam
# $10^{-4}$, betas $(0, 0.9)$, 5 critic steps) and spectral normalisation (Miyato et al.
# 2018, PyTorch's own parametrisation).

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy.stats import norm

from ganlab import data, losses, regularizers, variants
from ganlab.budget import budget, pick
from ganlab.features import load_digits_net
from ganlab.metrics import fid, histogram_divergences, mode_metrics, w1_1d, w1_exact
from ganlab.nets import MLPDiscriminator
from ganlab.train import Trainer

print(f"budget: {budget()}")
T0 = time.perf_counter()

# %% [markdown]
# ## $W_1$ exactly in 1D, and what each critic estimates
#
# In one dimension the optimal transport is monotone: sort both samples and match them in
# order, or integrate the gap between the CDFs, $W_1 = \int |F_P(t) - F_Q(t)|\,dt$
# (`ganlab.metrics.w1_1d` does this on samples). Take $P = \mathcal{N}(0, 1)$ and
# $Q = \mathcal{N}(\mu, 0.5^2)$ for a few shifts $\mu$; the CDF integral on a grid gives
# the exact value and the sorted samples agree with it.
#
# Then train one critic per Lipschitz method, the same MLP (3 hidden layers of 64,
# LeakyReLU) and the same number of steps, on fresh samples, and read its estimate
# $\mathbb{E}_P f - \mathbb{E}_Q f$ on 20,000 new samples. The optimiser is the same for
# all three (Adam, $10^{-3}$, betas $(0, 0.9)$; a larger step than the papers' because
# a 1D critic alone is cheap to train), so only the constraint differs.
#
# One trap is particular to one dimension. The penalty pulls $|f'|$ to 1 within a few
# steps, whatever the sign of the slope the random initialisation happened to have. In
# 1D a critic with the wrong sign can only turn round through slope 0, where the penalty
# costs $\lambda = 10$, more than the $W_1$ it would gain: we saw it stall at
# $\mathbb{E}_P f - \mathbb{E}_Q f \approx -W_1$. (In 2D and above the gradient can
# rotate at constant norm.) So the penalised critic takes 20 unpenalised steps first,
# which find the direction; the penalty then fixes the scale.

# %%
SHIFTS = [0.5, 1.5, 3.0]
Q_SIGMA = 0.5
grid_t = np.linspace(-15, 15, 300_001)


def w1_gaussians(mu):
    """Exact W1 between N(0, 1) and N(mu, Q_SIGMA^2): the CDF gap, integrated."""
    return float(np.trapezoid(np.abs(norm.cdf(grid_t) - norm.cdf(grid_t, mu, Q_SIGMA)), grid_t))


g_eval = torch.Generator().manual_seed(123)
w1_true = {mu: w1_gaussians(mu) for mu in SHIFTS}
for mu in SHIFTS:
    xs = torch.randn(20_000, generator=g_eval)
    ys = mu + Q_SIGMA * torch.randn(20_000, generator=g_eval)
    w_sorted = w1_1d(xs, ys)
    print(f"mu = {mu}: W1 exact {w1_true[mu]:.4f}, from sorted samples {w_sorted:.4f}")
    assert abs(w_sorted - w1_true[mu]) < 0.03

# %%
C_STEPS = pick(cpu=250, full=3000)
METHODS = ["clip", "gp", "sn"]
GP_WARMUP = 20  # unpenalised steps first: see the note above


def train_critic(method, mu, steps=C_STEPS, seed=0):
    torch.manual_seed(seed)
    f = MLPDiscriminator(1, 64, 3, sn=(method == "sn"))
    opt = torch.optim.Adam(f.parameters(), lr=1e-3, betas=(0.0, 0.9))
    g = torch.Generator().manual_seed(seed)
    for step in range(steps):
        real = torch.randn(256, 1, generator=g)  # (B, 1) ~ P
        fake = mu + Q_SIGMA * torch.randn(256, 1, generator=g)  # (B, 1) ~ Q
        loss = losses.d_wasserstein(f(real), f(fake))  # -(E_P f - E_Q f)
        if method == "gp" and step >= GP_WARMUP:
            loss = loss + regularizers.gradient_penalty(f, real, fake, weight=10.0)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if method == "clip":
            regularizers.clip_weights(f, 0.01)
    return f


@torch.no_grad()
def critic_estimate(f, mu):
    g = torch.Generator().manual_seed(7)
    real, fake = torch.randn(20_000, 1, generator=g), mu + Q_SIGMA * torch.randn(20_000, 1, generator=g)
    return (f(real).mean() - f(fake).mean()).item()


estimate, critics = {}, {}
for method in METHODS:
    for mu in SHIFTS:
        critics[method, mu] = train_critic(method, mu)
        estimate[method, mu] = critic_estimate(critics[method, mu], mu)
ratio = {k: v / w1_true[k[1]] for k, v in estimate.items()}
print("estimate / W1     " + "  ".join(f"mu={mu:<4}" for mu in SHIFTS))
for method in METHODS:
    print(f"{method:>5} critic:     " + "  ".join(f"{ratio[method, mu]:7.4f}" for mu in SHIFTS))

# %% [markdown]
# The gradient-penalised critic's estimate is close to $W_1$: the ratios above are within
# 20% of 1, on either side. It is not a lower bound: the penalty is soft and only applied
# between the two samples, so the critic's slope can exceed 1 and the estimate overshoot.
# Spectral normalisation bounds every layer's Lipschitz constant by 1, so the
# product bound is loose: its estimate is a fixed fraction of $W_1$, still growing
# linearly with it. The clipped critic's estimate is tiny: with every weight in
# $[-0.01, 0.01]$ a 64-unit layer can scale its input by at most $0.64$, so the critic
# can express only functions of small slope. All three estimates grow with $W_1$ (the
# penalised and normalised ones in proportion to it), which is what a generator needs for
# the direction of its gradient; only the penalised critic gets the scale right.

# %%
for method in METHODS:
    est = np.array([estimate[method, mu] for mu in SHIFTS])
    assert np.all(np.diff(est) > 0), method  # the estimate grows with W1
for method in ["gp", "sn"]:  # and, for these two, in proportion to it
    est = np.array([estimate[method, mu] for mu in SHIFTS])
    assert np.corrcoef(est, [w1_true[mu] for mu in SHIFTS])[0, 1] > 0.99, method
gp_ratios = np.array([ratio["gp", mu] for mu in SHIFTS])
clip_ratios = np.array([ratio["clip", mu] for mu in SHIFTS])
assert np.all((gp_ratios > 0.8) & (gp_ratios < 1.2)), gp_ratios
assert np.all(clip_ratios < 0.2 * gp_ratios), clip_ratios
assert all(ratio["sn", mu] < 1.02 for mu in SHIFTS)

fig, ax = plt.subplots(figsize=(6, 4))
w = [w1_true[mu] for mu in SHIFTS]
ax.plot(w, w, "k--", label="exact $W_1$")
for method in METHODS:
    ax.plot(w, [estimate[method, mu] for mu in SHIFTS], "o-", label=f"{method} critic")
ax.set_xlabel("$W_1(P, Q)$")
ax.set_ylabel(r"$\mathbb{E}_P f - \mathbb{E}_Q f$")
ax.legend()
ax.set_title("Critic estimates against the exact distance")
plt.show()

# %% [markdown]
# ### The clipped critic's weights pile up at $\pm c$
#
# Clipping is a box constraint: gradient steps that want larger weights are cut back to
# the wall. A histogram of the clipped critic's weight matrices shows most entries at
# exactly $\pm 0.01$. (Part of the pile is there from the start: PyTorch initialises a
# 64-input layer's weights uniformly in $\pm 1/8$, far outside the box, and the first clip
# puts them on the walls; training keeps them there, since the critic wants more slope
# than the box allows.)

# %%
f_clip = critics["clip", SHIFTS[-1]]
weights = torch.cat([p.detach().flatten() for p in f_clip.parameters() if p.dim() >= 2])
at_wall = (weights.abs() >= 0.01 - 1e-6).float().mean().item()
print(f"{100 * at_wall:.1f}% of the clipped critic's weights are at +-0.01")
assert at_wall > 0.5

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.hist(weights.numpy(), bins=60)
ax.set_xlabel("weight value")
ax.set_ylabel("count")
ax.set_title("Clipped critic (c = 0.01): weights pile up at the walls")
plt.show()

# %% [markdown]
# ## Disjoint supports: the parallel lines
#
# Arjovsky et al.'s example 1: $P$ is uniform on the segment $\{0\} \times [0, 1]$ and the
# generator $Q_\theta$ uniform on $\{\theta\} \times [0, 1]$. For $\theta \ne 0$ the supports
# are disjoint, so $\mathrm{JSD}(P, Q_\theta) = \log 2$ whatever $\theta$, while
# $W_1(P, Q_\theta) = |\theta|$ shrinks smoothly as the generator approaches. On samples:
# the JS divergence of 2D histograms (bins narrower than the smallest $\theta$) and the exact
# $W_1$ of two point sets by optimal assignment (`metrics.w1_exact`).

# %%
def lines(theta, n, g):
    z = torch.rand(n, generator=g)
    return torch.stack([torch.full_like(z, theta), z], dim=1)  # (n, 2)


g_lines = torch.Generator().manual_seed(0)
thetas = np.round(np.linspace(-1, 1, 21), 10)
js_h, w1_s = [], []
for th in thetas:
    a, b = lines(0.0, 400, g_lines), lines(float(th), 400, g_lines)
    js_h.append(histogram_divergences(a, b, bins=80, range=[(-1.05, 1.05), (0, 1)])["js"])
    w1_s.append(w1_exact(a, b))
js_h, w1_s = np.array(js_h), np.array(w1_s)
off = thetas != 0
print(f"JS on histograms for theta != 0: min {js_h[off].min():.4f}, max {js_h[off].max():.4f}"
      f" (log 2 = {np.log(2):.4f}); at theta = 0: {js_h[~off][0]:.4f}")
print(f"max |W1 - |theta|| = {np.abs(w1_s - np.abs(thetas)).max():.4f}")
assert np.allclose(js_h[off], np.log(2), atol=1e-9)
assert np.abs(w1_s - np.abs(thetas)).max() < 0.05

# %% [markdown]
# What does each objective give the generator? For a few $\theta$ we train a discriminator
# (the original GAN's, `losses.d_loss`) and a gradient-penalised critic to convergence on
# $P$ against $Q_\theta$, freeze them, and differentiate the generator's loss with respect
# to $\theta$ itself. The GAN's discriminator separates the lines perfectly; its saturating
# generator loss $\mathbb{E}\log(1 - D)$ is then left with a small fraction of the
# critic's gradient (the ratio printed below; it shrinks further as $D$ trains longer).
# The critic's gradient is the slope of $W_1$, close to $\pm 1$.

# %%
L_STEPS = pick(cpu=200, full=2000)


def frozen_gradient(kind, theta):
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    d = MLPDiscriminator(2, 64, 3)
    opt = torch.optim.Adam(d.parameters(), lr=1e-3, betas=(0.5, 0.999) if kind == "gan" else (0.0, 0.9))
    for _ in range(L_STEPS):
        real, fake = lines(0.0, 256, g), lines(theta, 256, g)
        if kind == "gan":
            loss = losses.d_loss(d(real), d(fake))
        else:
            loss = losses.d_wasserstein(d(real), d(fake)) + regularizers.gradient_penalty(d, real, fake)
        opt.zero_grad()
        loss.backward()
        opt.step()
    th = torch.tensor(theta, requires_grad=True)
    z = torch.rand(4096, generator=g)
    fake_s = d(torch.stack([th.expand_as(z), z], dim=1))  # G(z) = (theta, z)
    g_loss = losses.g_minimax(fake_s) if kind == "gan" else losses.g_wasserstein(fake_s)
    (grad,) = torch.autograd.grad(g_loss, th)
    return grad.item(), torch.sigmoid(fake_s).mean().item()


GRAD_THETAS = [1.0, 0.25]
grads = {}
for theta in GRAD_THETAS:
    (gg, d_fake), (gw, _) = frozen_gradient("gan", theta), frozen_gradient("wgan-gp", theta)
    grads[theta] = (gg, gw)
    print(f"theta = {theta}: GAN (saturating) dL/dtheta = {gg:+.2e} (D(G(z)) = {d_fake:.1e}); "
          f"WGAN-GP critic dL/dtheta = {gw:+.3f}")
    print(f"    |GAN gradient| / |critic gradient| = {abs(gg) / abs(gw):.1e}")
    assert abs(gg) < 0.1 * abs(gw) and d_fake < 1e-2
    assert 0.7 < gw < 1.1  # descending moves theta towards 0 at about the slope of |theta|

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
axes[0].plot(thetas, js_h, "o-", label="JSD (histograms)")
axes[0].plot(thetas, w1_s, "s-", label="$W_1$ (optimal assignment)")
axes[0].set_xlabel(r"$\theta$")
axes[0].legend()
axes[0].set_title("Parallel lines: JSD is flat at log 2, $W_1 = |\\theta|$")
x = np.arange(len(GRAD_THETAS))
axes[1].bar(x - 0.2, [abs(grads[t][0]) for t in GRAD_THETAS], 0.4, label="GAN, saturating")
axes[1].bar(x + 0.2, [abs(grads[t][1]) for t in GRAD_THETAS], 0.4, label="WGAN-GP critic")
axes[1].set_yscale("log")
axes[1].set_xticks(x, [f"theta={t}" for t in GRAD_THETAS])
axes[1].set_ylabel(r"$|\partial L_G / \partial \theta|$")
axes[1].legend()
axes[1].set_title("The generator's gradient with a trained opponent")
plt.show()

# %% [markdown]
# ## WGAN, WGAN-GP and SN-GAN on the ring and on digits
#
# The three presets of `ganlab.variants`: `wgan` (clipping, RMSprop $5\cdot10^{-5}$, 5
# critic steps), `wgan-gp` (penalty, Adam $10^{-4}$ (0, 0.9), 5 critic steps) and
# `hinge-sn` (SN-GAN: spectral norm, hinge loss, TTUR $10^{-4}$/$4\cdot10^{-4}$, one critic
# step), each with the paper's settings and the same networks and step count.

# %%
SIGMA = 0.05
ring = data.ring(sigma=SIGMA)
TOYS = {"ring": ring} | pick(cpu={}, full={"grid": data.grid()})
RING_STEPS = pick(cpu=200, full=5000)
VARIANTS = ["wgan", "wgan-gp", "hinge-sn"]
toy_results = {}
for toy, dist in TOYS.items():
    for name in VARIANTS:
        game = variants.build(name, (2,), width=64, depth=3)
        trainer = Trainer(game, dist, steps=RING_STEPS, batch=128, seed=0, progress=False,
                          ema_decay=0, log_every=100)
        trainer.fit()
        toy_results[toy, name] = mode_metrics(trainer.sample(2000, seed=1, ema=False),
                                              dist.means, dist.sigma)
        m = toy_results[toy, name]
        print(f"{toy} {name:>9}: modes {m['modes']}/{dist.k}, HQ {100 * m['hq_fraction']:.1f}%, "
              f"reverse KL {m['reverse_kl']:.3f}")

# %% [markdown]
# On digits (16x16, DCGAN nets of width 16) we report the FID in the feature space of the
# shipped digits classifier (`ganlab.features.load_digits_net()`), for the untrained
# generator and after training, next to the floor: the FID between two disjoint halves of
# the real digits.

# %%
DIGIT_STEPS = pick(cpu=40, full=5000)
digits = data.digits(size=16)
extractor = load_digits_net()
half = len(digits) // 2
perm = torch.randperm(len(digits), generator=torch.Generator().manual_seed(0))
real_a, real_b = digits.x[perm[:half]], digits.x[perm[half:]]
feat_a = extractor.features(real_a)
floor = fid(feat_a, extractor.features(real_b))
print(f"real-vs-real FID floor: {floor:.2f}")
digit_fid = {}
for name in VARIANTS:
    game = variants.build(name, (1, 16, 16), width=16)
    trainer = Trainer(game, digits, steps=DIGIT_STEPS, batch=64, seed=0, progress=False,
                      ema_decay=0, log_every=20)
    before = fid(feat_a, extractor.features(trainer.sample(half, seed=1, ema=False)))
    trainer.fit()
    after = fid(feat_a, extractor.features(trainer.sample(half, seed=1, ema=False)))
    digit_fid[name] = (before, after)
    print(f"{name:>9}: FID {before:8.2f} untrained -> {after:8.2f} after {DIGIT_STEPS} steps")

assert all(after > floor for _, after in digit_fid.values())
assert digit_fid["wgan-gp"][1] < digit_fid["wgan-gp"][0]
assert digit_fid["hinge-sn"][1] < digit_fid["hinge-sn"][0]

# %% [markdown]
# ## Closing note

# %%
print(f"budget {budget()}:")
for mu in SHIFTS:
    print(f"- W1 = {w1_true[mu]:.3f}: critic / W1 = " + ", ".join(
        f"{m} {ratio[m, mu]:.3f}" for m in METHODS))
for (toy, name), m in toy_results.items():
    print(f"- {toy}, {name}: {m['modes']}/{TOYS[toy].k} modes, HQ {100 * m['hq_fraction']:.1f}%")
for name, (b, a) in digit_fid.items():
    print(f"- digits, {name}: FID {b:.1f} -> {a:.1f} (floor {floor:.2f})")
print(f"notebook time: {time.perf_counter() - T0:.0f} s")

# %% [markdown]
# Under the cpu budget the 2D and digits runs are a few hundred (resp. a few dozen)
# steps: far from converged, and the FIDs stay far above the real-vs-real floor. The
# clipped WGAN, with the paper's learning rate of $5\cdot10^{-5}$, has barely moved in that
# time; this is the cost of clipping the paper itself reports, not a verdict on the final
# quality. What the chapter asserts holds in any budget: the critics' estimates track
# $W_1$, only the penalised critic gets its scale, the clipped weights sit on the walls,
# the JSD is blind to the distance between disjoint supports while $W_1$ and the critic's
# gradient are not. The full budget (`GANLAB_BUDGET=full`, a GPU) trains the three
# variants long enough to compare their quality.
#
# ## Exercises
#
# `exercises/ch05_wasserstein.ipynb`: write the gradient penalty (checked against
# `ganlab.regularizers.gradient_penalty` on random critics) and $W_1$ in 1D (checked against
# `ganlab.metrics.w1_1d` and a closed form).
