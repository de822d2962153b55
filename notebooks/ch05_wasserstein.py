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
# 2018, PyTorch's own parametrisation). It also has the R1 and R2 penalties of Mescheder et
# al. 2018, which are not about Lipschitz constants at all: the last part of the chapter
# shows what they do to a game that otherwise never settles.
#
# Every number the chapter states is a claim of the ledger (`ganlab.claims`): the measured
# value (over three seeds where the seed matters), the bar it clears, and the *null* --
# what an untrained, unconstrained or otherwise wrong model scores on the same
# measurement -- which must fail that bar. The table at the end collects them. All
# training runs through the one `Trainer` of `ganlab.train`; a critic trained alone is a
# `Game` with a single phase.

# %%
import copy
import math
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy.stats import norm
from torch import nn

from ganlab import claims, data, losses, regularizers, variants
from ganlab.budget import budget, pick
from ganlab.collapse import linear_decay
from ganlab.features import load_digits_net
from ganlab.metrics import fid, histogram_divergences, w1_1d, w1_exact
from ganlab.nets import MLPDiscriminator
from ganlab.train import Game, Phase, Team, Trainer

ledger = claims.Ledger("ch05_wasserstein")
SEEDS = [0, 1, 2]  # every claim that depends on a seed is measured on each of these
print(f"budget: {budget()}")
T0, CPU0 = time.perf_counter(), time.process_time()

# %% [markdown]
# ## $W_1$ exactly in 1D
#
# In one dimension the optimal transport is monotone: sort both samples and match them in
# order, or integrate the gap between the CDFs, $W_1 = \int |F_P(t) - F_Q(t)|\,dt$
# (`ganlab.metrics.w1_1d` does this on samples). Take $P = \mathcal{N}(0, 1)$ and
# $Q = \mathcal{N}(\mu, 0.5^2)$ for a few shifts $\mu$; the CDF integral on a fine grid gives
# the exact value. Matching 20,000 samples of each in sorted order recovers it; matching
# them in the order they were drawn (another coupling, so another transport plan) costs
# more, which is why the sorted matching is the one that measures $W_1$.

# %%
SHIFTS = [0.5, 1.5, 3.0]
Q_SIGMA = 0.5
N_EVAL = 20_000  # fresh samples for every evaluation below
SORTED_TOL = 0.03  # the sorted-sample estimate must be this close to the exact W1
grid_t = np.linspace(-15, 15, 300_001)


def w1_gaussians(mu):
    """Exact W1 between N(0, 1) and N(mu, Q_SIGMA^2): the CDF gap, integrated."""
    return float(np.trapezoid(np.abs(norm.cdf(grid_t) - norm.cdf(grid_t, mu, Q_SIGMA)), grid_t))


def eval_samples(mu, seed=123):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(N_EVAL, 1, generator=g), mu + Q_SIGMA * torch.randn(N_EVAL, 1, generator=g)


w1_true = {mu: w1_gaussians(mu) for mu in SHIFTS}
err_sorted, err_drawn = [], []
for mu in SHIFTS:
    xs, ys = eval_samples(mu)
    w_sorted = w1_1d(xs[:, 0], ys[:, 0])
    w_drawn = (xs - ys).abs().mean().item()  # the coupling "i-th with i-th as drawn"
    err_sorted.append(abs(w_sorted - w1_true[mu]))
    err_drawn.append(abs(w_drawn - w1_true[mu]))
    print(f"mu = {mu}: W1 exact {w1_true[mu]:.4f}, sorted samples {w_sorted:.4f}, "
          f"drawn order {w_drawn:.4f}")
ledger.claim(f"matched in sorted order, {N_EVAL} samples give the exact W1 to within "
             f"{SORTED_TOL} on every shift (worst shift)", max(err_sorted), null=max(err_drawn),
             bar=claims.at_most(SORTED_TOL), null_name="matched in the order drawn")

# %% [markdown]
# ## What each critic estimates
#
# Now train one critic per Lipschitz method: the same MLP (3 hidden layers of 64,
# LeakyReLU), the same steps, fresh samples of $P$ and $Q$ every step, and read its estimate
# $\mathbb{E}_P f - \mathbb{E}_Q f$ on 20,000 new samples. The optimiser is the same for all
# (Adam, $10^{-3}$, betas $(0, 0.9)$, the learning rate decaying linearly to 0 so that the
# last iterate is not left bouncing; a larger step than the papers' because a 1D critic
# alone is cheap to train), so only the constraint differs. Next to them: the untrained
# critic (its initial weights) and an *unconstrained* critic trained the same way with no
# constraint at all, which shows what the constraints are holding back.
#
# One trap is particular to one dimension. The penalty pulls $|f'|$ to 1 within a few
# steps, whatever the sign of the slope the random initialisation happened to have. In
# 1D a critic with the wrong sign can only turn round through slope 0, where the penalty
# costs $\lambda$, more than the $W_1$ it would gain, so such a critic can be held with its
# sign wrong, near $\mathbb{E}_P f - \mathbb{E}_Q f = -W_1$. (In 2D and above the gradient
# can rotate at constant norm.) So the penalised critic takes 20 unpenalised steps first,
# which find the direction; the penalty then fixes the scale.

# %%
C_STEPS = pick(cpu=250, full=3000)
C_BATCH = 256
METHODS = ["clip", "gp", "sn"]
CLIP = 0.01  # WGAN's c
GP_WEIGHT = 10.0  # WGAN-GP's lambda
GP_WARMUP = 20  # unpenalised steps first: see the note above
P_1D = data.two_gaussians_1d(mu=(0.0,), sigma=1.0)  # N(0, 1), a mixture of one Gaussian


def critic_game(method, mu, seed):
    """A Game with one phase: the critic alone, P against Q = N(mu, Q_SIGMA^2) (nz = 1)."""
    torch.manual_seed(seed)
    f = MLPDiscriminator(1, 64, 3, sn=(method == "sn"))

    def critic_phase(ctx):
        real, fake = ctx.real, mu + Q_SIGMA * ctx.z()  # (B, 1) ~ P, (B, 1) ~ Q
        loss = losses.d_wasserstein(ctx.d(real), ctx.d(fake))  # -(E_P f - E_Q f)
        if method == "gp" and ctx.step >= GP_WARMUP:
            loss = loss + regularizers.gradient_penalty(ctx.d, real, fake, weight=GP_WEIGHT)
        return {"loss": loss}

    clip = (lambda ctx: regularizers.clip_weights(ctx.nets["D"], CLIP)) if method == "clip" else None
    team = Team(("D",), lr=1e-3, betas=(0.0, 0.9), lr_schedule=linear_decay(C_STEPS))
    return Game(f"critic-{method}", {"D": f}, {"D": team},
                [Phase("D", "D", critic_phase, after=clip)], nz=1, ema=())


def critic_estimate(f, mu, device):
    real, fake = eval_samples(mu, seed=7)
    with torch.no_grad():
        return (f(real.to(device)).mean() - f(fake.to(device)).mean()).item()


def slopes_on_data(f, mu, device):
    """|f'(t)| on a fine grid over the data of both P and Q: (2001,)."""
    t = torch.linspace(-3.0, mu + 3 * Q_SIGMA, 2001).unsqueeze(1).to(device)  # (2001, 1)
    f.eval()  # spectral norm: use the stored estimate, no power iteration
    s = regularizers.grad_norm(f, t).detach().cpu()
    f.train()
    return s


def slopes_at_interpolates(f, mu, device):
    """|f'| where the penalty acts: x_hat = eps x + (1 - eps) y, one eps per pair. (N_EVAL,)"""
    real, fake = eval_samples(mu, seed=11)
    eps = torch.rand(N_EVAL, 1, generator=torch.Generator().manual_seed(12))
    f.eval()
    s = regularizers.grad_norm(f, (eps * real + (1 - eps) * fake).to(device)).detach().cpu()
    f.train()
    return s


estimate, slope, slope_hat, start = {}, {}, {}, {}
for method in METHODS + ["none"]:
    for mu in SHIFTS if method != "none" else SHIFTS[-1:]:
        for seed in SEEDS:
            game = critic_game(method, mu, seed)
            trainer = Trainer(game, P_1D, steps=C_STEPS, batch=C_BATCH, seed=seed, progress=False,
                              ema_decay=0, log_every=C_STEPS)
            f, dev = game.nets["D"], trainer.device
            if method == "clip":  # the same net clipped once, before any training
                f0 = copy.deepcopy(f)
                regularizers.clip_weights(f0, CLIP)
                start["clipped", mu, seed] = slopes_on_data(f0, mu, dev).max().item()
                start["clipped estimate", mu, seed] = critic_estimate(f0, mu, dev)
            if method == "none":  # its initial weights are the untrained critic's
                for mu_u in SHIFTS:
                    start["untrained", mu_u, seed] = critic_estimate(f, mu_u, dev)
            trainer.fit()
            estimate[method, mu, seed] = critic_estimate(f, mu, dev)
            slope[method, mu, seed] = slopes_on_data(f, mu, dev)
            slope_hat[method, mu, seed] = slopes_at_interpolates(f, mu, dev).mean().item()
ratio = {k: v / w1_true[k[1]] for k, v in estimate.items()}
print("estimate / W1, mean over seeds   " + "  ".join(f"mu={mu:<4}" for mu in SHIFTS))
for method in METHODS:
    print(f"{method:>5} critic:                    " + "  ".join(
        f"{np.mean([ratio[method, mu, s] for s in SEEDS]):7.4f}" for mu in SHIFTS))
print(f"unconstrained critic at mu = {SHIFTS[-1]}: "
      f"{np.mean([ratio['none', SHIFTS[-1], s] for s in SEEDS]):.1f}")

untrained_ratio = [start["untrained", mu, s] / w1_true[mu] for mu in SHIFTS for s in SEEDS]
unconstrained_ratio = [ratio["none", SHIFTS[-1], s] for s in SEEDS]
ledger.claim("the gradient-penalised critic estimates W1 within 20% on every shift and seed "
             "(estimate / W1)", [ratio["gp", mu, s] for mu in SHIFTS for s in SEEDS],
             null=untrained_ratio, bar=claims.near(1.0, 0.2), null_name="untrained critic",
             fmt=".3f")

# %% [markdown]
# The penalised critic is close to $W_1$ but not a lower bound: the penalty is soft. Where
# the best critic is linear, $f(x) = -s\,x$ (large shifts: the two CDFs cross only far in
# the tail), the critic gains $s\,\mu$ and pays $\lambda (s - 1)^2$ at every interpolate, so
# it settles at $s = 1 + \mu / (2\lambda)$ and its estimate overshoots $W_1 \approx \mu$ by
# that factor. At the smallest shift the CDFs cross near the data, the best critic's slope
# changes sign there, and the turn through slope 0 costs penalty (the 1D trap again), so
# the estimate falls short instead.

# %%
LINEAR = [mu for mu in SHIFTS if mu >= 1.5]  # shifts whose CDF crossing is far in the tail
ledger.claim(f"where the best critic is linear (mu in {LINEAR}), the penalised estimate is "
             f"mu (1 + mu / 2 lambda), the soft penalty's optimum (estimate / prediction)",
             [estimate["gp", mu, s] / (mu * (1 + mu / (2 * GP_WEIGHT))) for mu in LINEAR
              for s in SEEDS],
             null=[ratio["gp", mu, s] for mu in LINEAR for s in SEEDS],
             bar=claims.near(1.0, 0.02), null_name="a hard constraint's prediction, W1 itself",
             fmt=".4f")
small = SHIFTS[0]
ledger.claim(f"at mu = {small}, where the CDFs cross near the data, the penalised critic falls "
             "short of W1 instead (estimate / W1 <= 1)", [ratio["gp", small, s] for s in SEEDS],
             null=1 + small / (2 * GP_WEIGHT), bar=claims.at_most(1.0),
             null_name="the linear critic's overshoot 1 + mu / 2 lambda", fmt=".3f")
ledger.claim("the spectrally normalised critic never overestimates W1: its estimate lies "
             "between half of W1 and W1 (up to 2% sampling noise)",
             [ratio["sn", mu, s] for mu in SHIFTS for s in SEEDS], null=unconstrained_ratio,
             bar=claims.between(0.5, 1.02), null_name="unconstrained critic", fmt=".3f")

fig, ax = plt.subplots(figsize=(6, 4))
w = [w1_true[mu] for mu in SHIFTS]
ax.plot(w, w, "k--", label="exact $W_1$")
for method in METHODS:
    ax.plot(w, [np.mean([estimate[method, mu, s] for s in SEEDS]) for mu in SHIFTS], "o-",
            label=f"{method} critic")
ax.set_xlabel("$W_1(P, Q)$")
ax.set_ylabel(r"$\mathbb{E}_P f - \mathbb{E}_Q f$")
ax.legend()
ax.set_title("Critic estimates against the exact distance (mean of 3 seeds)")
plt.show()

# %% [markdown]
# ## The critics' Lipschitz constants
#
# What each method does to the critic shows in its slope. In 1D the Lipschitz constant on
# the data is $\max_t |f'(t)|$; we read $|f'|$ on a fine grid covering both $P$ and $Q$
# (`regularizers.grad_norm`).
#
# The clipped critic's weights all lie in $[-c, c]$, so with 64-unit layers its slope is at
# most $c \cdot (64c)^3$ (one factor per layer: a row of 64 weights of size $c$ scales its
# input by at most $64c$), far below 1; that bound holds by construction and proves nothing.
# What training does is different: PyTorch initialises a 64-input layer's weights uniformly
# in $\pm 1/8$, so the very first clip already puts most of them on the walls $\pm c$, but
# with random signs, which cancel. Training aligns the signs, and the slope climbs to a
# good part of the cap. The gradient penalty holds the slope near 1 where it is applied,
# between the samples; spectral normalisation bounds every layer's spectral norm by 1, so
# the whole critic is 1-Lipschitz, with room to spare since the product bound is loose.

# %%
CAP = CLIP * (64 * CLIP) ** 3  # the clipped critic's largest possible slope
top = SHIFTS[-1]
L = {k: s.max().item() for k, s in slope.items()}  # Lipschitz constant on the data
print(f"Lipschitz constant on the data at mu = {top} (mean of seeds): " + ", ".join(
    f"{m} {np.mean([L[m, top, s] for s in SEEDS]):.4g}" for m in METHODS + ["none"]))
ledger.claim("training aligns the clipped weights' signs: the clipped critic's Lipschitz "
             "constant reaches at least a quarter of the cap c (64c)^3 (L / cap)",
             [L["clip", mu, s] / CAP for mu in SHIFTS for s in SEEDS],
             null=[start["clipped", mu, s] / CAP for mu in SHIFTS for s in SEEDS],
             bar=claims.at_least(0.25), null_name="the same critic clipped once, untrained",
             fmt=".3f")
ledger.claim("the gradient penalty holds the slope near 1 where it acts: mean |f'| at the "
             "interpolates within 0.2 of 1", [slope_hat["gp", mu, s] for mu in SHIFTS for s in SEEDS],
             null=[slope_hat["none", top, s] for s in SEEDS], bar=claims.near(1.0, 0.2),
             null_name="unconstrained critic", fmt=".3f")
ledger.claim("the spectrally normalised critic is 1-Lipschitz on the data: max |f'| <= 1",
             [L["sn", mu, s] for mu in SHIFTS for s in SEEDS],
             null=[L["none", top, s] for s in SEEDS], bar=claims.at_most(1.0),
             null_name="unconstrained critic", fmt=".3f")

fig, ax = plt.subplots(figsize=(7, 3.8))
bins = np.logspace(-5, 4, 90)
for m in METHODS + ["none"]:
    ax.hist(torch.cat([slope[m, top, s] for s in SEEDS]).numpy(), bins=bins, alpha=0.6,
            label={"none": "unconstrained"}.get(m, m))
ax.axvline(CAP, color="k", ls=":", label="clipping's cap $c(64c)^3$")
ax.axvline(1.0, color="k", ls="--", label="slope 1")
ax.set_xscale("log")
ax.set_xlabel(r"$|f'(t)|$ on the data")
ax.set_ylabel("count")
ax.legend(fontsize=8)
ax.set_title(f"The critics' slopes ($\\mu$ = {top}, 3 seeds)")
plt.show()

# %% [markdown]
# So the clipped critic's estimate is tiny for a reason that has nothing to do with
# training going badly. A critic whose slope is at most the cap can estimate at most the
# cap times $W_1$, and the clipped critic gets a good part of that, with the right sign
# (the claim below), which is what a generator's gradient needs. Its scale is off by the
# cap, orders of magnitude below 1, which is what the learning rate then has to absorb.

# %%
ledger.claim("the clipped critic's estimate is a good part of the most its box allows: "
             "estimate / (cap W1) in [0.25, 1]",
             [estimate["clip", mu, s] / (CAP * w1_true[mu]) for mu in SHIFTS for s in SEEDS],
             null=[start["clipped estimate", mu, s] / (CAP * w1_true[mu]) for mu in SHIFTS
                   for s in SEEDS],
             bar=claims.between(0.25, 1.0), null_name="the same critic clipped once, untrained",
             fmt=".3f")

# %% [markdown]
# ## Disjoint supports: the parallel lines
#
# Arjovsky et al.'s example 1: $P$ is uniform on the segment $\{0\} \times [0, 1]$ and the
# generator $Q_\theta$ uniform on $\{\theta\} \times [0, 1]$. For $\theta \ne 0$ the supports
# are disjoint, so $\mathrm{JSD}(P, Q_\theta) = \log 2$ whatever $\theta$, while
# $W_1(P, Q_\theta) = |\theta|$ shrinks smoothly as the generator approaches. On samples:
# the JS divergence of 2D histograms (bins narrower than the smallest $\theta$) and the exact
# $W_1$ of two point sets by optimal assignment (`metrics.w1_exact`), on three seeds. The
# null of the JSD claim is the same histogram JSD at $\theta = 0$, where the supports
# overlap; the null of the $W_1$ claim is the JSD read as if it were a distance.

# %%
class Line:
    """Uniform on the segment {theta} x [0, 1] (has .sample, so the Trainer can use it)."""

    def __init__(self, theta):
        self.theta = theta

    def sample(self, n, generator=None):
        u = torch.rand(n, generator=generator)
        return torch.stack([torch.full_like(u, self.theta), u], dim=1)  # (n, 2)


thetas = np.round(np.linspace(-1, 1, 21), 10)
off = thetas != 0
js_h, w1_s = {}, {}
for seed in SEEDS:
    g_lines = torch.Generator().manual_seed(seed)
    for th in thetas:
        a, b = Line(0.0).sample(400, g_lines), Line(float(th)).sample(400, g_lines)
        js_h[seed, th] = histogram_divergences(a, b, bins=80, range=[(-1.05, 1.05), (0, 1)])["js"]
        w1_s[seed, th] = w1_exact(a, b)
js_gap = [max(abs(js_h[s, th] - np.log(2)) for th in thetas[off]) for s in SEEDS]
js_gap_overlap = [abs(js_h[s, 0.0] - np.log(2)) for s in SEEDS]
ledger.claim("on disjoint supports the histogram JSD is log 2 at every theta != 0 "
             "(largest |JSD - log 2|)", js_gap, null=js_gap_overlap, bar=claims.at_most(1e-9),
             null_name="theta = 0, overlapping supports", fmt=".2e")


def slope_vs_abs_theta(values):
    return float(np.polyfit(np.abs(thetas), values, 1)[0])


ledger.claim("W1 grows with |theta| at slope 1 (least-squares slope over theta)",
             [slope_vs_abs_theta([w1_s[s, th] for th in thetas]) for s in SEEDS],
             null=[slope_vs_abs_theta([js_h[s, th] for th in thetas]) for s in SEEDS],
             bar=claims.near(1.0, 0.05), null_name="the JSD's slope", fmt=".3f")

# %% [markdown]
# What does each objective give the generator? For a few $\theta$ we train a discriminator
# (the original GAN's, `losses.d_loss`) and a gradient-penalised critic on $P$ against
# $Q_\theta$ (each a one-phase `Game`), freeze them, and differentiate the generator's loss
# with respect to $\theta$ itself, with $G(z) = (\theta, \Phi(z))$ for $z \sim \mathcal{N}(0, 1)$
# and $\Phi$ the normal CDF. The GAN's discriminator separates the lines; its saturating
# generator loss $\mathbb{E}\log(1 - D)$ is then left with almost no gradient. The critic's
# gradient is the slope of $W_1$, close to 1, pointing $\theta$ towards 0.

# %%
L_STEPS = pick(cpu=200, full=2000)
GRAD_THETAS = [1.0, 0.25]


def line_points(theta, z):
    """G(z) = (theta, Phi(z)): uniform on {theta} x [0, 1] for z ~ N(0, 1). (B, 2)"""
    u = 0.5 * (1 + torch.erf(z[:, 0] / math.sqrt(2.0)))  # (B,)
    return torch.stack([theta * torch.ones_like(u), u], dim=1)


def lines_game(kind, theta, seed):
    torch.manual_seed(seed)
    d = MLPDiscriminator(2, 64, 3)

    def d_phase(ctx):
        real, fake = ctx.real, line_points(theta, ctx.z())
        if kind == "gan":
            return {"loss": losses.d_loss(ctx.d(real), ctx.d(fake))}
        return {"loss": losses.d_wasserstein(ctx.d(real), ctx.d(fake))
                + regularizers.gradient_penalty(ctx.d, real, fake, weight=GP_WEIGHT)}

    betas = (0.5, 0.999) if kind == "gan" else (0.0, 0.9)
    return Game(f"lines-{kind}", {"D": d}, {"D": Team(("D",), lr=1e-3, betas=betas)},
                [Phase("D", "D", d_phase)], nz=1, ema=())


def generator_gradient(kind, d, theta, device):
    """dL_G/dtheta against the frozen d, and the mean sigmoid(d) on the fakes."""
    th = torch.tensor(theta, requires_grad=True, device=device)
    z = torch.randn(4096, 1, generator=torch.Generator().manual_seed(3)).to(device)
    fake_s = d(line_points(th, z))  # (4096,) logits on G(z)
    g_loss = losses.g_minimax(fake_s) if kind == "gan" else losses.g_wasserstein(fake_s)
    (grad,) = torch.autograd.grad(g_loss, th)
    return grad.item(), torch.sigmoid(fake_s).mean().item()


grads, d_fake, d_fake0 = {}, {}, {}
for theta in GRAD_THETAS:
    for seed in SEEDS:
        for kind in ["gan", "wgan-gp"]:
            game = lines_game(kind, theta, seed)
            trainer = Trainer(game, Line(0.0), steps=L_STEPS, batch=256, seed=seed,
                              progress=False, ema_decay=0, log_every=L_STEPS)
            if kind == "gan":
                d_fake0[theta, seed] = generator_gradient(kind, game.nets["D"], theta,
                                                          trainer.device)[1]
            trainer.fit()
            grads[kind, theta, seed], df = generator_gradient(kind, game.nets["D"], theta,
                                                              trainer.device)
            if kind == "gan":
                d_fake[theta, seed] = df
    print(f"theta = {theta}: GAN (saturating) dL/dtheta = "
          f"{np.mean([grads['gan', theta, s] for s in SEEDS]):+.2e}, WGAN-GP critic dL/dtheta = "
          f"{np.mean([grads['wgan-gp', theta, s] for s in SEEDS]):+.3f} (means of 3 seeds)")

runs = [(t, s) for t in GRAD_THETAS for s in SEEDS]
ledger.claim("the GAN's discriminator separates the lines: mean D(G(z)) <= 0.01",
             [d_fake[r] for r in runs], null=[d_fake0[r] for r in runs], bar=claims.at_most(0.01),
             null_name="untrained D", fmt=".1e")
ledger.claim("against it the saturating generator loss has almost no gradient: "
             "|dL_G/dtheta| <= 0.1", [abs(grads[("gan", *r)]) for r in runs],
             null=[abs(grads[("wgan-gp", *r)]) for r in runs], bar=claims.at_most(0.1),
             null_name="WGAN-GP critic's gradient", fmt=".2e")
ledger.claim("the critic's gradient is the slope of W1 = |theta|: dL_G/dtheta within 0.2 of 1",
             [grads[("wgan-gp", *r)] for r in runs], null=[grads[("gan", *r)] for r in runs],
             bar=claims.near(1.0, 0.2), null_name="saturating GAN's gradient", fmt=".3f")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
axes[0].plot(thetas, [js_h[0, th] for th in thetas], "o-", label="JSD (histograms)")
axes[0].plot(thetas, [w1_s[0, th] for th in thetas], "s-", label="$W_1$ (optimal assignment)")
axes[0].set_xlabel(r"$\theta$")
axes[0].legend()
axes[0].set_title("Parallel lines: JSD is flat at log 2, $W_1 = |\\theta|$")
x = np.arange(len(GRAD_THETAS))
for dx, kind, label in [(-0.2, "gan", "GAN, saturating"), (0.2, "wgan-gp", "WGAN-GP critic")]:
    axes[1].bar(x + dx, [np.mean([abs(grads[kind, t, s]) for s in SEEDS]) for t in GRAD_THETAS],
                0.4, label=label)
axes[1].set_yscale("log")
axes[1].set_xticks(x, [f"theta={t}" for t in GRAD_THETAS])
axes[1].set_ylabel(r"$|\partial L_G / \partial \theta|$")
axes[1].legend()
axes[1].set_title("The generator's gradient with a trained opponent")
plt.show()

# %% [markdown]
# ## R1 and R2: penalties at the data
#
# Mescheder et al. (2018) asked a different question: not "is the critic Lipschitz?" but
# "does training converge to the equilibrium where $G$ matches the data?". Their answer
# is to penalise the discriminator's gradient *at the data*: R1 is
# $\tfrac{\gamma}{2}\mathbb{E}_{P}\|\nabla_x D(x)\|^2$ on real samples, R2 the same on the
# generator's samples (`regularizers.r1_penalty`, `regularizers.r2_penalty`). At the
# equilibrium $D$ should be flat on the data, so that it gives $G$ no reason to move away;
# the penalties push it there.
#
# First what they do to $D$: the same non-saturating GAN on the ring (8 Gaussians of
# standard deviation 0.05) three ways, without a penalty, with R1 (the `gan` preset's `r1`
# option) and with R2 (one more phase added to the same game), $\gamma = 10$, three seeds
# each, and the mean $\|\nabla_x D\|$ read at real samples and at the generator's.

# %%
SIGMA = 0.05
ring = data.ring(sigma=SIGMA)
R_STEPS = pick(cpu=400, full=3000)
GAMMA = 10.0


def ring_game(reg, seed):
    game = variants.build("gan", (2,), width=64, depth=3, seed=seed,
                          r1=GAMMA if reg == "r1" else 0.0)
    if reg == "r2":
        def r2_phase(ctx):
            with torch.no_grad():
                fake = ctx.nets["G"](ctx.z())  # (B, 2)
            return {"loss": regularizers.r2_penalty(ctx.d, fake, gamma=GAMMA)}

        game.phases.insert(1, Phase("R2", "D", r2_phase))  # after D's phase, before G's
    return game


def d_grad_norms(trainer):
    """Mean ||grad_x D|| at 2,000 real samples and at 2,000 of G's."""
    real = ring.sample(2000, generator=torch.Generator().manual_seed(5)).to(trainer.device)
    fake = trainer.sample(2000, seed=6, ema=False).to(trainer.device)
    d = trainer.game.nets["D"]
    return (regularizers.grad_norm(d, real).mean().item(),
            regularizers.grad_norm(d, fake).mean().item())


at_real, at_fake = {}, {}
for reg in ["none", "r1", "r2"]:
    for seed in SEEDS:
        trainer = Trainer(ring_game(reg, seed), ring, steps=R_STEPS, batch=128, seed=seed,
                          progress=False, ema_decay=0, log_every=100)
        trainer.fit()
        at_real[reg, seed], at_fake[reg, seed] = d_grad_norms(trainer)
    print(f"{reg:>4}: mean ||grad D|| at real {np.mean([at_real[reg, s] for s in SEEDS]):.4f}, "
          f"at fake {np.mean([at_fake[reg, s] for s in SEEDS]):.4f} (means of 3 seeds)")

none_real = [at_real["none", s] for s in SEEDS]
none_fake = [at_fake["none", s] for s in SEEDS]
ledger.claim("R1 flattens D at the data: mean ||grad D|| at real samples at most a fifth of "
             "the unregularised D's", [at_real["r1", s] for s in SEEDS], null=none_real,
             bar=claims.margin_under(np.mean(none_real), 0.8, rel=True),
             null_name="no penalty", fmt=".4f")
ledger.claim("R2 flattens D at the generator's samples: mean ||grad D|| there at most a fifth "
             "of the unregularised D's", [at_fake["r2", s] for s in SEEDS], null=none_fake,
             bar=claims.margin_under(np.mean(none_fake), 0.8, rel=True),
             null_name="no penalty", fmt=".4f")

# %% [markdown]
# ### A game that never settles: the Dirac-GAN
#
# Mescheder et al.'s smallest example. The data is a point mass at 0; the generator is one
# number, $G = \theta$; the discriminator is linear, $D(x) = \psi x$. The equilibrium is
# $(\theta, \psi) = (0, 0)$, and there the game's Jacobian has purely imaginary eigenvalues:
# the updates rotate around the equilibrium instead of approaching it. The `Trainer`
# alternates the updates (D's phase, then G's), plain gradient descent (SGD, step 0.1),
# the saturating game of chapter 1, starting on the unit circle at an angle drawn from
# the seed. The measure is the distance $\sqrt{\theta^2 + \psi^2}$ to the equilibrium after
# the last step.
#
# For this linear $D$, $\nabla_x D = \psi$ everywhere, so R1 and R2 are the same penalty,
# $\tfrac{\gamma}{2}\psi^2$: it damps $\psi$, and the rotation turns into a spiral inwards.
# We run both anyway, each through its own library function, with $\gamma = 1$.

# %%
DIRAC_STEPS = 300
DIRAC_LR = 0.1
DIRAC_GAMMA = 1.0


class PointMass:
    """The data: every sample is 0. (n, 1)"""

    def sample(self, n, generator=None):
        return torch.zeros(n, 1)


class DiracG(nn.Module):
    """G(z) = theta, whatever z. (B, 1)"""

    def __init__(self, theta):
        super().__init__()
        self.theta = nn.Parameter(torch.tensor(float(theta)))

    def forward(self, z):
        return self.theta.expand(z.shape[0], 1)


class LinearD(nn.Module):
    """D(x) = psi x, a logit. (B, 1) -> (B,)"""

    def __init__(self, psi):
        super().__init__()
        self.psi = nn.Parameter(torch.tensor(float(psi)))

    def forward(self, x):
        return self.psi * x[:, 0]


def dirac_game(reg, seed):
    angle = 2 * math.pi * torch.rand((), generator=torch.Generator().manual_seed(seed)).item()

    def d_phase(ctx):
        fake = ctx.nets["G"](ctx.z()).detach()  # (B, 1)
        loss = losses.d_loss(ctx.d(ctx.real), ctx.d(fake))
        if reg == "r1":
            loss = loss + regularizers.r1_penalty(ctx.d, ctx.real, gamma=DIRAC_GAMMA)
        if reg == "r2":
            loss = loss + regularizers.r2_penalty(ctx.d, fake, gamma=DIRAC_GAMMA)
        return {"loss": loss, "psi": ctx.nets["D"].psi.detach()}

    def g_phase(ctx):
        return {"loss": losses.g_minimax(ctx.d(ctx.nets["G"](ctx.z()))),
                "theta": ctx.nets["G"].theta.detach()}

    teams = {n: Team((n,), lr=DIRAC_LR, optimizer="sgd") for n in ("D", "G")}
    return Game(f"dirac-{reg}", {"G": DiracG(math.cos(angle)), "D": LinearD(math.sin(angle))},
                teams, [Phase("D", "D", d_phase), Phase("G", "G", g_phase)], nz=1, ema=())


paths, dist = {}, {}
for reg in ["none", "r1", "r2"]:
    for seed in SEEDS:
        game = dirac_game(reg, seed)
        trainer = Trainer(game, PointMass(), steps=DIRAC_STEPS, batch=1, seed=seed,
                          progress=False, ema_decay=0, log_every=1)
        hist = trainer.fit()
        paths[reg, seed] = np.array([[row["G/theta"], row["D/psi"]] for row in hist])
        dist[reg, seed] = math.hypot(game.nets["G"].theta.item(), game.nets["D"].psi.item())
    print(f"{reg:>4}: distance to (0, 0) after {DIRAC_STEPS} steps: "
          + ", ".join(f"{dist[reg, s]:.2e}" for s in SEEDS))

none_d = [dist["none", s] for s in SEEDS]
ledger.claim(f"unregularised, the Dirac-GAN circles: after {DIRAC_STEPS} steps it is as far "
             "from the equilibrium as it started (distance within 0.1 of 1)", none_d,
             null=[dist["r1", s] for s in SEEDS], bar=claims.near(1.0, 0.1),
             null_name="with R1", fmt=".3f")
ledger.claim(f"with R1 it converges: distance to the equilibrium after {DIRAC_STEPS} steps "
             "<= 0.01", [dist["r1", s] for s in SEEDS], null=none_d, bar=claims.at_most(0.01),
             null_name="no penalty", fmt=".1e")
ledger.claim("with R2 (the same penalty for a linear D) it converges too: distance <= 0.01",
             [dist["r2", s] for s in SEEDS], null=none_d, bar=claims.at_most(0.01),
             null_name="no penalty", fmt=".1e")

fig, ax = plt.subplots(figsize=(4.6, 4.6))
for reg, color in [("none", "C0"), ("r1", "C1")]:
    for i, seed in enumerate(SEEDS):
        p = paths[reg, seed]
        ax.plot(p[:, 0], p[:, 1], color=color, lw=1,
                label={"none": "no penalty", "r1": f"R1, gamma = {DIRAC_GAMMA}"}[reg] if i == 0 else None)
        ax.plot(*p[0], "o", color=color, ms=4)
ax.plot(0, 0, "k*", ms=10, label="equilibrium")
ax.set_xlabel(r"$\theta$ (generator)")
ax.set_ylabel(r"$\psi$ (discriminator)")
ax.set_aspect("equal")
ax.legend(fontsize=8, loc="lower left")
ax.set_title("Dirac-GAN, alternating gradient descent")
plt.show()

# %% [markdown]
# ## WGAN, WGAN-GP and SN-GAN on digits
#
# The three presets of `ganlab.variants`: `wgan` (clipping, RMSprop $5\cdot10^{-5}$, 5
# critic steps), `wgan-gp` (penalty, Adam $10^{-4}$ (0, 0.9), 5 critic steps) and
# `hinge-sn` (SN-GAN: spectral norm, hinge loss, TTUR $10^{-4}$/$4\cdot10^{-4}$, one critic
# step), each with the paper's settings, on digits (16x16, DCGAN nets of width 16), three
# seeds each. We report the FID in the feature space of the shipped digits classifier
# (`ganlab.features.load_digits_net()`) for the untrained generator and after training,
# next to the floor: the FID between two disjoint halves of the real digits. (On the ring
# these presets need far longer runs than this budget holds; chapter 3's benchmark
# measures them there.)

# %%
DIGIT_STEPS = pick(cpu=40, full=5000)
VARIANTS = ["wgan", "wgan-gp", "hinge-sn"]
digits = data.digits(size=16)
extractor = load_digits_net()
half = len(digits) // 2
perm = torch.randperm(len(digits), generator=torch.Generator().manual_seed(0))
real_a, real_b = digits.x[perm[:half]], digits.x[perm[half:]]
feat_a = extractor.features(real_a)
floor = fid(feat_a, extractor.features(real_b))
print(f"real-vs-real FID floor: {floor:.2f}")


def g_weights(game):
    return torch.cat([p.detach().flatten().cpu() for p in game.nets["G"].parameters()])


fid_before, fid_after, g_moved = {}, {}, {}
for name in VARIANTS:
    for seed in SEEDS:
        game = variants.build(name, (1, 16, 16), width=16, seed=seed)
        trainer = Trainer(game, digits, steps=DIGIT_STEPS, batch=64, seed=seed, progress=False,
                          ema_decay=0, log_every=20)
        w0 = g_weights(game)
        fid_before[name, seed] = fid(feat_a, extractor.features(trainer.sample(half, seed=1, ema=False)))
        trainer.fit()
        fid_after[name, seed] = fid(feat_a, extractor.features(trainer.sample(half, seed=1, ema=False)))
        g_moved[name, seed] = (g_weights(game) - w0).norm().item()
    print(f"{name:>9}: FID {np.mean([fid_before[name, s] for s in SEEDS]):7.2f} untrained -> "
          f"{np.mean([fid_after[name, s] for s in SEEDS]):7.2f} after {DIGIT_STEPS} steps; "
          f"G moved {np.mean([g_moved[name, s] for s in SEEDS]):.3f} (means of 3 seeds)")

for name in VARIANTS:
    before = [fid_before[name, s] for s in SEEDS]
    ledger.claim(f"{name} lowers the FID below its untrained generator's (by at least 1)",
                 [fid_after[name, s] for s in SEEDS], null=before,
                 bar=claims.margin_under(np.mean(before), 1.0), null_name="untrained G", fmt=".2f")

# %% [markdown]
# Under the cpu budget (a few dozen steps) the clipped WGAN, for all its tiny critic, is
# the one that has moved furthest: its FID fell the most and its generator's weights have
# travelled furthest from their initialisation. The optimiser may be part of the reason,
# rather than the constraint: RMSprop has no bias correction, so its running average of
# squared gradients starts at 0 and its first steps are up to ten times its learning rate,
# while Adam's are about its learning rate (we have not separated the two effects here).
# None of the three is near the data yet: every FID is
# still many times the real-vs-real floor. The full budget (`GANLAB_BUDGET=full`, a GPU)
# trains long enough to compare their quality; the two claims below are made for the cpu
# budget only.

# %%
if budget() == "cpu":
    best_other = min(VARIANTS[1:], key=lambda n: np.mean([fid_after[n, s] for s in SEEDS]))
    other = [fid_after[best_other, s] for s in SEEDS]
    ledger.claim(f"in {DIGIT_STEPS} steps the clipped WGAN's FID fell the most (at least 2 below "
                 f"the best other preset's, {best_other})", [fid_after["wgan", s] for s in SEEDS],
                 null=other, bar=claims.margin_under(np.mean(other), 2.0), null_name=best_other,
                 fmt=".2f")
    moved_other = [max(g_moved[n, s] for n in VARIANTS[1:]) for s in SEEDS]
    ledger.claim(f"in {DIGIT_STEPS} steps the clipped WGAN's generator moved furthest from its "
                 "initial weights (L2 distance, at least 20% beyond the others')",
                 [g_moved["wgan", s] for s in SEEDS], null=moved_other,
                 bar=claims.margin_over(max(moved_other), 0.2, rel=True),
                 null_name="the furthest of the other two", fmt=".3f")
    ledger.claim(f"after {DIGIT_STEPS} steps every preset is still far from the data: FID at "
                 "least 10 times the real-vs-real floor",
                 [fid_after[n, s] for n in VARIANTS for s in SEEDS], null=floor,
                 bar=claims.at_least(10 * floor), null_name="real vs real", fmt=".2f")

# %% [markdown]
# ## Closing note
#
# What the chapter measured holds in either budget: the sorted coupling gives $W_1$ in 1D;
# the penalised critic's estimate tracks $W_1$ (overshooting by the factor its soft penalty
# predicts), the normalised critic's stays below it, and the clipped critic's is scaled
# down by the box it lives in (training takes its slope to a good part of the box's cap,
# far below 1); on disjoint supports the
# JSD is blind to the distance that $W_1$ and the critic's gradient see; R1 and R2 flatten
# the discriminator where they are applied and turn a game that circles forever into one
# that converges. The table below is every claim of the chapter, with its null.
#
# ## Exercises
#
# `exercises/ch05_wasserstein.ipynb`: write the gradient penalty (checked against
# `ganlab.regularizers.gradient_penalty` on random critics) and $W_1$ in 1D (checked against
# `ganlab.metrics.w1_1d` and a closed form).

# %%
print(f"budget {budget()}: notebook time {time.perf_counter() - T0:.0f} s wall, "
      f"{time.process_time() - CPU0:.0f} s CPU")

# %%
ledger.table()
