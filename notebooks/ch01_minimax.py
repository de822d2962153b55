# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 1. The minimax game
#
# A generative adversarial network is a game between two players. The **generator** $G$
# turns noise $z \sim p_z$ into samples $G(z)$, whose distribution we call $p_g$. The
# **discriminator** $D$ looks at a point $x$ and returns $D(x) \in (0, 1)$, the probability
# that $x$ came from the data $p_{\text{data}}$ rather than from $G$. Goodfellow et al. (2014)
# wrote the game as one value function that $D$ maximises and $G$ minimises:
#
# $$
# V(D, G) = \mathbb{E}_{x \sim p_{\text{data}}}\big[\log D(x)\big]
#         + \mathbb{E}_{x \sim p_g}\big[\log\big(1 - D(x)\big)\big],
# \qquad \min_G \max_D V(D, G).
# $$
#
# In one dimension every quantity of the game can be computed exactly by quadrature, so
# this chapter checks each claim of the paper with a number: the optimal discriminator,
# the value of the game at that discriminator, and what the generator's gradient looks
# like when the discriminator wins. The integrals live in `ganlab.theory`; the losses a
# training loop minimises live in `ganlab.losses`. Every claim goes through the claims
# ledger (`ganlab.claims`): it prints the measured value, the bar it must clear, and the
# **null** — what a trivial, untrained or wrong answer scores on the same measurement,
# which must fail the bar. The table at the end collects them.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy.special import expit
from scipy.stats import norm
from torch import nn

from ganlab import claims, data, losses, theory
from ganlab.budget import budget, pick
from ganlab.nets import MLPDiscriminator
from ganlab.train import Game, Team, Trainer, cosine_decay
from ganlab.variants import GANConfig, adversarial_phases
from ganlab.widgets import Slider, slider_plot

ledger = claims.Ledger("ch01_minimax")
print(f"budget: {budget()}")

# %% [markdown]
# ## The value function
#
# Take the data to be $p_{\text{data}} = \mathcal{N}(0, 1)$ and a generator whose samples
# follow $p_g = \mathcal{N}(\mu_g, \sigma_g^2)$. `theory.value_function(d, p, q)` integrates
# $p \log D + q \log(1 - D)$ on a fine grid. A discriminator that cannot tell the two apart,
# $D \equiv \tfrac12$, scores $2 \log \tfrac12 = -\log 4$ whatever the generator does. We
# check it on a few generators; the null is the optimal discriminator of the next section,
# which *can* tell them apart and so scores above $-\log 4$.

# %%
MU_DATA, SIGMA_DATA = 0.0, 1.0
MU_G, SIGMA_G = 2.0, 0.5
GENERATORS = [(MU_G, SIGMA_G), (-3.0, 2.0), (5.0, 0.3)]  # (mu_g, sigma_g) of a few generators
p_data = theory.gaussian_pdf(MU_DATA, SIGMA_DATA)
p_g = theory.gaussian_pdf(MU_G, SIGMA_G)
x = theory.GRID


def d_half(x):
    return np.full_like(x, 0.5)


def v_optimal(q):
    """V(D*, G) for generator density q, integrated through D*'s logit (exact in the tails)."""
    return theory.value_function(theory.optimal_logit(p_data, q), p_data, q, logits=True)


v_half = theory.value_function(d_half, p_data, p_g)
print(f"V(D = 1/2, G) = {v_half:.10f},  -log 4 = {-theory.LOG4:.10f}")
off_half = max(abs(theory.value_function(d_half, p_data, theory.gaussian_pdf(m, s)) + theory.LOG4)
               for m, s in GENERATORS)
off_star = max(abs(v_optimal(theory.gaussian_pdf(m, s)) + theory.LOG4) for m, s in GENERATORS)
ledger.claim("D = 1/2 scores -log 4 whatever G is: max over generators of |V(1/2, G) + log 4|",
             off_half, null=off_star, null_name="D* of each G", bar=claims.at_most(1e-9),
             fmt=".2e")

# %% [markdown]
# ## The optimal discriminator
#
# For a fixed $G$, $V$ is an integral over $x$ of $p_{\text{data}}(x) \log D(x) + p_g(x) \log(1 - D(x))$.
# Maximising the integrand point by point ($a \log y + b \log(1-y)$ peaks at $y = a / (a + b)$)
# gives the optimal discriminator
#
# $$
# D^*_G(x) = \frac{p_{\text{data}}(x)}{p_{\text{data}}(x) + p_g(x)} .
# $$
#
# It is $\tfrac12$ where the densities are equal, close to 1 where only data lives and close
# to 0 where only the generator's samples land. Its logit is
# $\log p_{\text{data}}(x) - \log p_g(x)$; integrating $V$ through the logit
# (`logits=True`) keeps the far tails exact, where $D^*$ itself rounds to 1 in float64.

# %%
d_star = theory.optimal_d(p_data, p_g)
v_star = v_optimal(p_g)
print(f"V(D*, G) = {v_star:.6f},  V(1/2, G) = {v_half:.6f}")
ledger.claim("D* scores above the D that cannot tell: V(D*, G) >= V(1/2, G) + 0.1", v_star,
             null=v_half, null_name="D = 1/2", bar=claims.margin_over(v_half, 0.1), fmt=".4f")

fig, ax = plt.subplots(figsize=(8, 3.5))
xs = np.linspace(-4, 4, 801)
ax.plot(xs, p_data(xs), label=r"$p_{\mathrm{data}}$")
ax.plot(xs, p_g(xs), label=r"$p_g$")
ax.plot(xs, d_star(xs), "k--", label=r"$D^*(x)$")
ax.axhline(0.5, color="grey", lw=0.5)
ax.set_xlabel("x")
ax.legend()
ax.set_title("The optimal discriminator for a fixed generator")
plt.show()

# %% [markdown]
# ### A trained discriminator finds $D^*$
#
# The formula is what gradient ascent on $V$ converges to when $D$ is flexible enough. We
# train a small MLP (`ganlab.nets.MLPDiscriminator`, which returns logits) with ganlab's one
# training loop, `ganlab.train.Trainer`. The game has a single phase: the D phase of the
# plain GAN (`variants.adversarial_phases`), which draws fresh samples from both
# distributions each step and minimises `losses.d_loss`, that is $-V$ estimated on the
# batch: $-\log \sigma(D(x)) - \log(1 - \sigma(D(G(z))))$. The generator is the fixed map
# $G(z) = \mu_g + \sigma_g z$, a linear layer that no team updates. Three seeds (the
# initialisation of $D$ and its data) give three trained discriminators.
#
# We compare $D$ with $D^*$ on the **bulk**, the central 99% of the mass of
# $\tfrac12 (p_{\text{data}} + p_g)$ (`theory.bulk`): outside it $D$ is almost never shown a
# sample, so nothing pins it down. The null is the same network before training.

# %%
SEEDS = [0, 1, 2]
BULK_MASS = 0.99
steps = pick(cpu=1500, full=20_000)
batch = pick(cpu=512, full=4096)
bulk = theory.bulk(p_data, p_g, mass=BULK_MASS)
real = data.Mixture(torch.tensor([[MU_DATA]]), SIGMA_DATA)  # p_data as a one-component sampler
d_phase = [ph for ph in adversarial_phases(GANConfig(loss="nonsaturating"), False) if ph.team == "D"]


def fixed_generator(mu, sigma):
    g = nn.Linear(1, 1)  # G(z) = mu + sigma z, z ~ N(0, 1)
    with torch.no_grad():
        g.weight.fill_(sigma)
        g.bias.fill_(mu)
    return g.requires_grad_(False)


def logits_on_grid(D):
    dev = next(D.parameters()).device
    with torch.no_grad():
        return D(torch.from_numpy(x).float()[:, None].to(dev)).double().cpu().numpy()  # (N,)


def bulk_error(s):
    return np.abs(expit(s) - d_star(x))[bulk].max()  # max |D - D*| on the bulk


def v_of_logits(s):
    return theory.value_function(lambda t: np.interp(t, x, s), p_data, p_g, logits=True)


s_untrained, s_trained = [], []
for seed in SEEDS:
    torch.manual_seed(seed)
    D = MLPDiscriminator(d=1, hidden=32, depth=3)
    s_untrained.append(logits_on_grid(D))
    game = Game("ch01-optimal-d", nets={"G": fixed_generator(MU_G, SIGMA_G), "D": D},
                teams={"D": Team(("D",), lr=5e-3, betas=(0.9, 0.999),
                                 lr_schedule=cosine_decay(steps))},
                phases=d_phase, nz=1, ema=())
    Trainer(game, real, steps=steps, batch=batch, seed=seed, ema_decay=0.0, progress=False).fit()
    s_trained.append(logits_on_grid(D))

err_trained = [bulk_error(s) for s in s_trained]
err_untrained = [bulk_error(s) for s in s_untrained]
v_trained = [v_of_logits(s) for s in s_trained]
v_untrained = [v_of_logits(s) for s in s_untrained]
print(f"{steps} steps per seed; the bulk is [{x[bulk][0]:.2f}, {x[bulk][-1]:.2f}];"
      f" D = 1/2 is off by {bulk_error(np.zeros_like(x)):.3f} there")
ledger.claim("a trained D matches D* on the bulk: max |D - D*|", err_trained,
             null=err_untrained, null_name="untrained D", bar=claims.at_most(0.05))
ledger.claim("a trained D scores just below V(D*, G): V(D*, G) - V(D, G)",
             [v_star - v for v in v_trained], null=[v_star - v for v in v_untrained],
             null_name="untrained D", bar=claims.between(0.0, 1e-2))

# %%
fig, ax = plt.subplots(figsize=(8, 3.5))
ax.plot(xs, d_star(xs), "k--", label=r"$D^*$ (closed form)")
for seed, s in zip(SEEDS, s_trained):
    ax.plot(x, expit(s), lw=1, label=f"trained D, seed {seed}")
ax.axvspan(x[bulk][0], x[bulk][-1], color="C2", alpha=0.08, label="the bulk")
ax.set_xlim(-4, 4)
ax.set_xlabel("x")
ax.legend()
ax.set_title(f"Trained D after {steps} steps vs the optimal D*")
plt.show()

# %% [markdown]
# ### A stochastic discriminator never beats $D^*$
#
# The discriminator's strategy set is wider than functions $x \mapsto [0, 1]$: it could
# answer at random, drawing its verdict $Y \in [0, 1]$ from a distribution that depends on
# $x$ (a Markov kernel). The value of such a $D$ is the expectation over its draws,
# $\mathbb{E}_{p_{\text{data}}} \mathbb{E}_Y \log Y + \mathbb{E}_{p_g} \mathbb{E}_Y \log(1 - Y)$.
# Because $a \log y + b \log(1 - y)$ is concave in $y$, Jensen's inequality puts every draw's
# average below the value at the kernel's mean, and that in turn below the value at $D^*$:
# the optimal discriminator is deterministic, so restricting $D$ to functions loses nothing.
#
# We draw many random kernels: at each $x$ a Beta distribution whose mean has the logit
# $\log p_{\text{data}} - \log p_g + a + b x$ (a random shift and tilt of $D^*$'s logit, or
# none) and a random concentration, from very spread to tightly peaked.
# `theory.beta_kernel_value` integrates their value with the Beta's exact log-moments. The
# measurement is the best kernel's lead over a deterministic reference; with $D^*$ as the
# reference it must be at most zero. The null is the same kernels against the reference
# $D \equiv \tfrac12$, which the best of them beats by a wide margin: the kernels are strong
# players, just never stronger than $D^*$. A second claim checks the other end: a kernel tightly concentrated
# on $D^*$ scores $V(D^*, G)$ (null: a spread kernel with the same mean).

# %%
N_KERNELS = 200
rng = np.random.default_rng(0)
s_star = theory.optimal_logit(p_data, p_g)


def tilted_logit(a, b):
    return lambda t: s_star(t) + a + b * t  # D*'s logit, shifted by a and tilted by b


kernels = [(0.0, 0.0) if k % 4 == 0 else tuple(rng.normal(0.0, [1.0, 0.3]))
           for k in range(N_KERNELS)]  # (a, b) of each kernel's mean; a quarter centred on D*
concs = 10 ** rng.uniform(-0.5, 3.0, N_KERNELS)  # Beta concentrations, spread to peaked
v_kernels = np.array([theory.beta_kernel_value(tilted_logit(a, b), cc, p_data, p_g)
                      for (a, b), cc in zip(kernels, concs)])
print(f"{N_KERNELS} kernels: V from {v_kernels.min():.4f} to {v_kernels.max():.4f};"
      f" V(D*, G) = {v_star:.4f}, V(1/2, G) = {v_half:.4f}")
ledger.claim("no stochastic D beats D*: max over kernels of V(kernel, G) - V(D*, G)",
             (v_kernels - v_star).max(), null=(v_kernels - v_half).max(),
             null_name="the same kernels against D = 1/2", bar=claims.at_most(0.0), fmt=".4f")
CONC_PEAKED, CONC_SPREAD = 1e6, 10.0
ledger.claim("a kernel concentrated on D* scores V(D*, G): V(D*, G) - V(kernel, G)",
             v_star - theory.beta_kernel_value(s_star, CONC_PEAKED, p_data, p_g),
             null=v_star - theory.beta_kernel_value(s_star, CONC_SPREAD, p_data, p_g),
             null_name=f"concentration {CONC_SPREAD:g}", bar=claims.between(0.0, 1e-4),
             fmt=".2e")

# %% [markdown]
# ## The game at the optimal discriminator: $C(G) = -\log 4 + 2\,\mathrm{JSD}$
#
# Substituting $D^*$ into $V$ gives the generator's objective (Theorem 1 of the paper):
#
# $$
# C(G) = \max_D V(D, G)
#   = \mathbb{E}_{p_{\text{data}}} \log \frac{p_{\text{data}}}{p_{\text{data}} + p_g}
#   + \mathbb{E}_{p_g} \log \frac{p_g}{p_{\text{data}} + p_g}
#   = -\log 4 + 2\,\mathrm{JSD}(p_{\text{data}} \,\|\, p_g),
# $$
#
# with the Jensen–Shannon divergence
# $\mathrm{JSD}(p \| q) = \tfrac12 \mathrm{KL}(p \| m) + \tfrac12 \mathrm{KL}(q \| m)$,
# $m = \tfrac12 (p + q)$. Since $\mathrm{JSD} \ge 0$ with equality only when the two
# distributions agree, the global minimum of $C$ is $-\log 4$, reached at $p_g = p_{\text{data}}$.
# `theory.c_of_g` integrates the first form, `theory.jsd` the divergence: two independent
# computations. We compare them on a whole scan of Gaussian generators; the null is the
# identity with a wrong factor, $-\log 4 + \mathrm{JSD}$. And $C(G)$ is the value of the
# game at $D^*$: the null there is the trained discriminators, which come close but are not
# the maximiser.

# %%
c = theory.c_of_g(p_data, p_g)
j = theory.jsd(p_data, p_g)
print(f"C(G) = {c:.10f}")
print(f"-log 4 + 2 JSD = {-theory.LOG4 + 2 * j:.10f}  (JSD = {j:.6f} nats, log 2 = {np.log(2):.6f})")

mus = np.linspace(-2, 2, 21)
sigmas = np.linspace(0.2, 2.2, 21)
scan = [[theory.gaussian_pdf(m, s) for m in mus] for s in sigmas]  # rows: sigma_g, columns: mu_g
C = np.array([[theory.c_of_g(p_data, q) for q in row] for row in scan])
JSD = np.array([[theory.jsd(p_data, q) for q in row] for row in scan])
ledger.claim(f"C(G) = -log 4 + 2 JSD on all {C.size} scanned generators: max |difference|",
             np.abs(C - (-theory.LOG4 + 2 * JSD)).max(),
             null=np.abs(C - (-theory.LOG4 + JSD)).max(), null_name="-log 4 + JSD",
             bar=claims.at_most(1e-6), fmt=".2e")
ledger.claim("C(G) is the value at D*: |V(D*, G) - C(G)|", abs(v_star - c),
             null=[abs(v - c) for v in v_trained], null_name="trained D", bar=claims.at_most(1e-6),
             fmt=".2e")

# %% [markdown]
# In the scan the minimum of $C(G)$ sits where the generator matches the data, at the value
# $-\log 4$. $C$ re-fits the discriminator for every generator. The null shows why that
# matters: score every generator against *one* fixed discriminator instead (the $D^*$ of
# our starting generator, $\mathcal{N}(2, 0.5^2)$) and the best generator lands far from the
# data, where that discriminator is most sure of "real" (the white cross below; the first
# claim's null is its distance). The second claim's null is the nearest generator of the
# scan, one grid step from the data.

# %%
def s_fixed(t):
    return norm.logpdf(t, MU_DATA, SIGMA_DATA) - norm.logpdf(t, MU_G, SIGMA_G)  # the starting D*'s logit


i, k = np.unravel_index(C.argmin(), C.shape)
V_fixed = np.array([[theory.value_function(s_fixed, p_data, q, logits=True) for q in row]
                    for row in scan])
i0, k0 = np.unravel_index(V_fixed.argmin(), V_fixed.shape)
print(f"min C(G) = {C[i, k]:.8f} at mu_g = {mus[k]:.2f}, sigma_g = {sigmas[i]:.2f};"
      f" -log 4 = {-theory.LOG4:.8f}")
print(f"against the fixed D the best generator is mu_g = {mus[k0]:.2f}, sigma_g = {sigmas[i0]:.2f}")
ledger.claim("the scan's minimum of C(G) is at the data's (mu, sigma): distance",
             math.hypot(mus[k] - MU_DATA, sigmas[i] - SIGMA_DATA),
             null=math.hypot(mus[k0] - MU_DATA, sigmas[i0] - SIGMA_DATA),
             null_name="argmin against a fixed D", bar=claims.at_most(1e-9), fmt=".3g")
neighbours = [C[i + a, k + b] for a, b in ((-1, 0), (1, 0), (0, -1), (0, 1))]
ledger.claim("the minimum value is -log 4: |min C(G) + log 4|", abs(C[i, k] + theory.LOG4),
             null=min(abs(v + theory.LOG4) for v in neighbours), null_name="one grid step off",
             bar=claims.at_most(1e-6), fmt=".2e")

fig, ax = plt.subplots(figsize=(5.5, 4))
cs = ax.contourf(mus, sigmas, C, levels=30, cmap="viridis")
ax.plot([MU_DATA], [SIGMA_DATA], "r*", ms=12, label=r"$p_g = p_{\mathrm{data}}$")
ax.plot([mus[k0]], [sigmas[i0]], "wx", ms=10, label="best against a fixed D")
fig.colorbar(cs, label="C(G)")
ax.set_xlabel(r"$\mu_g$")
ax.set_ylabel(r"$\sigma_g$")
ax.legend()
ax.set_title("C(G) over Gaussian generators")
plt.show()

# %% [markdown]
# ## Three generator losses and the gradient each gives
#
# The generator only sees $D$ through $D(G(z))$. Write $s$ for the discriminator's logit,
# $D = \sigma(s)$. Three costs for $G$ (Goodfellow 2016, NIPS tutorial, fig. 16):
#
# | loss | $J(G)$ per sample | $\partial J / \partial s$ |
# |---|---|---|
# | saturating (minimax) `losses.g_minimax` | $\log(1 - D)$ | $-D$ |
# | non-saturating `losses.g_nonsaturating` | $-\log D$ | $-(1 - D)$ |
# | maximum likelihood `losses.g_maxlikelihood` | $-\tfrac12 e^{s}$ | $-\tfrac12 \frac{D}{1 - D}$ |
#
# Early in training the discriminator wins easily: $D(G(z)) \approx 0$. There the
# saturating loss's gradient is $-D \approx 0$ — the generator stops learning — and so is
# the maximum-likelihood one, $-\tfrac12 D / (1 - D) \approx -\tfrac12 D$, while the
# non-saturating loss pushes with a gradient close to $-1$. Autograd through the library's
# losses gives the same curves as the formulas (`theory.g_loss_grad`); the null is the
# classic slip of differentiating with respect to $D$ instead of the logit $s$, which
# forgets the factor $\sigma'(s) = D (1 - D)$.

# %%
d_vals = np.logspace(-4, np.log10(1 - 1e-4), 400)
logits = torch.logit(torch.tensor(d_vals)).requires_grad_(True)  # s with sigmoid(s) = D(G(z))
G_LOSSES = {
    "minimax": losses.g_minimax,
    "nonsaturating": losses.g_nonsaturating,
    "maxlikelihood": losses.g_maxlikelihood,
}
DJ_DD = {  # dJ/dD: the chain rule through D = sigmoid(s) forgotten
    "minimax": lambda d: -1 / (1 - d),
    "nonsaturating": lambda d: -1 / d,
    "maxlikelihood": lambda d: -0.5 / (1 - d) ** 2,
}
grads = {}
for name, fn in G_LOSSES.items():
    (g,) = torch.autograd.grad(fn(logits) * len(d_vals), logits)  # the losses are batch means
    grads[name] = g.numpy()


def max_rel_error(formula):
    return max(np.max(np.abs(grads[n] - formula(n, d_vals)) / np.abs(formula(n, d_vals)))
               for n in G_LOSSES)


ledger.claim("autograd through the losses gives dJ/ds of the table: max relative error",
             max_rel_error(theory.g_loss_grad), null=max_rel_error(lambda n, d: DJ_DD[n](d)),
             null_name="dJ/dD", bar=claims.at_most(1e-10), fmt=".2e")

fig, ax = plt.subplots(figsize=(7, 4))
for name, g in grads.items():
    ax.loglog(d_vals, np.abs(g), label=name)
ax.set_xlabel(r"$D(G(z))$")
ax.set_ylabel(r"$|\partial J / \partial s|$")
ax.legend()
ax.set_title("Generator gradient vs how real D finds the fake")
plt.show()

at = 1e-3
for name in G_LOSSES:
    print(f"{name:>14}: dJ/ds at D(G(z)) = {at:g} is {theory.g_loss_grad(name, np.array(at)):+.6f}")

# %% [markdown]
# ### The vanishing gradient in a real (1D) game
#
# Put the generator far from the data, $G(z) = \mu + \sigma_g z$ with $\mu = 5$, facing the
# optimal discriminator, whose logit is $s = \log p_{\text{data}}(x) - \log p_g(x)$. Autograd
# gives the gradient of each loss with respect to the generator's parameter $\mu$, on a
# batch of samples $z$ (three seeds). The discriminator's own pull is
# $\partial\, \mathbb{E}[s(G(z))] / \partial \mu$: how fast moving $\mu$ makes the fakes look
# real. Each loss passes on a share of that pull. The null of the two "vanishes" claims is
# the same ratio at our starting generator $\mu_g = 2$, where $D^*$ is far less sure; the
# null of the non-saturating claim is the saturating loss at the far generator.

# %%
MU_FAR = 5.0
data_dist = torch.distributions.Normal(MU_DATA, SIGMA_DATA)


def g_gradients(mu_g, seed, n=4096):
    """dJ/dmu of each loss, the logit's pull dE[s]/dmu and mean D*(G(z)), with D* fixed for mu_g."""
    g_dist = torch.distributions.Normal(mu_g, SIGMA_G)  # D* is built for this fixed p_g

    def optimal_logit(x):
        return data_dist.log_prob(x) - g_dist.log_prob(x)  # logit of D* = log p_data - log p_g

    mu = torch.tensor(mu_g, dtype=torch.float64, requires_grad=True)
    z = torch.randn(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    out = {}
    for name, fn in G_LOSSES.items():
        (g,) = torch.autograd.grad(fn(optimal_logit(mu + SIGMA_G * z)), mu)
        out[name] = g.item()
    (pull,) = torch.autograd.grad(optimal_logit(mu + SIGMA_G * z).mean(), mu)
    out["pull"] = pull.item()
    out["d_fake"] = torch.sigmoid(optimal_logit(mu_g + SIGMA_G * z)).mean().item()
    return out


far = [g_gradients(MU_FAR, seed) for seed in SEEDS]
near = [g_gradients(MU_G, seed) for seed in SEEDS]
for name in G_LOSSES:
    print(f"{name:>14}: dJ/dmu = {np.mean([r[name] for r in far]):+.3e} at mu = {MU_FAR:g},"
          f" {np.mean([r[name] for r in near]):+.3e} at mu = {MU_G:g}")


def ratio(rows, name):
    return [abs(r[name]) / abs(r["nonsaturating"]) for r in rows]


def share(rows, name):
    return [r[name] / -r["pull"] for r in rows]  # > 0: descending J moves mu the way D pulls


ledger.claim(f"at mu = {MU_FAR:g} D* wins: mean D*(G(z))", [r["d_fake"] for r in far],
             null=[r["d_fake"] for r in near], null_name=f"mu = {MU_G:g}", bar=claims.at_most(1e-3),
             fmt=".2e")
ledger.claim("where D wins the saturating gradient vanishes: |dJ_sat/dmu| / |dJ_NS/dmu|",
             ratio(far, "minimax"), null=ratio(near, "minimax"), null_name=f"mu = {MU_G:g}",
             bar=claims.at_most(1e-2), fmt=".2e")
ledger.claim("the maximum-likelihood gradient vanishes too: |dJ_ML/dmu| / |dJ_NS/dmu|",
             ratio(far, "maxlikelihood"), null=ratio(near, "maxlikelihood"),
             null_name=f"mu = {MU_G:g}", bar=claims.at_most(1e-2), fmt=".2e")
ledger.claim("the non-saturating loss passes on D's pull towards the data: share of dE[s]/dmu",
             share(far, "nonsaturating"), null=share(far, "minimax"), null_name="saturating",
             bar=claims.at_least(0.9), fmt=".4f")

# %% [markdown]
# The saturating and maximum-likelihood gradients are smaller than the non-saturating one by
# the ratios printed above: facing a confident discriminator, the generator barely moves.
# The non-saturating loss has the same fixed point (both are minimised by
# $p_g = p_{\text{data}}$ when $D = D^*$) but passes on nearly all of the discriminator's
# pull when the generator is bad. That is why Goodfellow et al. already recommended it in
# 2014 and why it is the common default (ganlab's `gan` variant uses it); it is not the only
# choice: least-squares, hinge and Wasserstein losses are widely used too, and chapter 4
# compares them where $D$ wins.

# %% [markdown]
# ## Move order and equilibria
#
# $\min_G \max_D V$ lets the generator move first and the discriminator answer;
# $\max_D \min_G V$ is the other order. Answering is an advantage, so in general
# $\min \max \ge \max \min$. In the original game, played over densities $p_g$ and functions
# $D$, $V$ is linear in $p_g$ and concave in $D$, and both orders meet at $p_g = p_{\text{data}}$,
# $D \equiv \tfrac12$ with value $-\log 4$: $D \equiv \tfrac12$ scores $-\log 4$ against every
# generator (the first claim of this chapter), so $\max_D \min_G V \ge -\log 4$, and the
# scan's minimum of $C(G) = \max_D V$ is $-\log 4$, so $\min_G \max_D V = -\log 4$; with
# $\min \max \ge \max \min$ the two are equal. Such a point,
# where neither player gains by deviating alone, is a **Nash equilibrium**: a saddle point
# of $V$.
#
# A small finite game shows both cases. Each player has a few pure strategies and the
# payoff matrix `A` pays the maximiser ("D"). Over pure strategies the order matters:
# `theory.pure_minmax` gives a min-max strictly above the max-min (null: the mixed game's
# gap). Over mixed strategies (probability vectors over the moves) von Neumann's minimax
# theorem says the two orders coincide; `theory.mixed_minmax` solves both linear programs
# with `scipy.optimize.linprog` (null: the pure gap). The mixed solution is a Nash
# equilibrium: `theory.exploitability`, the gain of the best unilateral deviation, is zero
# there (null: both players playing uniformly at random).

# %%
A = np.array([[3.0, -1.0, 0.0],
              [-2.0, 2.0, -1.0],
              [0.0, -1.0, 2.0]])  # rows: G's moves (minimiser), columns: D's (maximiser)
pure_gm, pure_dm = theory.pure_minmax(A)
mixed_gm, mixed_dm, x_eq, y_eq = theory.mixed_minmax(A)
uniform = np.full(3, 1 / 3)
print(f"pure:  min max = {pure_gm:+.4f}, max min = {pure_dm:+.4f}")
print(f"mixed: min max = {mixed_gm:+.6f}, max min = {mixed_dm:+.6f};"
      f" x* = {np.round(x_eq, 4)}, y* = {np.round(y_eq, 4)}")
ledger.claim("over pure strategies the order matters: min max - max min", pure_gm - pure_dm,
             null=mixed_gm - mixed_dm, null_name="mixed strategies", bar=claims.at_least(0.5),
             fmt=".4f")
ledger.claim("over mixed strategies the orders coincide: |min max - max min|",
             abs(mixed_gm - mixed_dm), null=pure_gm - pure_dm, null_name="pure strategies",
             bar=claims.at_most(1e-9), fmt=".2e")
ledger.claim("the mixed solution is a Nash equilibrium: exploitability",
             theory.exploitability(A, x_eq, y_eq), null=theory.exploitability(A, uniform, uniform),
             null_name="uniform play", bar=claims.at_most(1e-9), fmt=".2e")

# %% [markdown]
# ### Finding the saddle point by gradients
#
# A GAN does not solve a linear program; both players take gradient steps. The smallest
# game that shows what can go wrong is the bilinear $\min_x \max_y\, x y$, with its
# equilibrium at the origin. `theory.bilinear_dynamics` plays it three ways at the same
# step size: **simultaneous** gradient descent-ascent (both step from the same point),
# **alternating** updates ($x$ first, then $y$ against the new $x$, as a loop that runs one
# player's phase after the other's does) and **extragradient** (Korpelevich 1976: step
# to a look-ahead point, then update with the gradient there). The number is the distance
# to the equilibrium relative to the start, over three starting points. Simultaneous steps
# spiral outwards; alternating ones circle without leaving a band; extragradient converges.
# Each claim's null is the simultaneous run.

# %%
LR_GAME, STEPS_GAME = 0.1, 1000
angles = [0.3, 2.0, 4.4]  # starting points on the unit circle
paths = {m: [theory.bilinear_dynamics(m, LR_GAME, STEPS_GAME, (math.cos(t), math.sin(t)))
             for t in angles] for m in theory.BILINEAR_METHODS}
radius = {m: [np.hypot(*p.T) for p in ps] for m, ps in paths.items()}  # distance to (0, 0)
final = {m: [r[-1] for r in rs] for m, rs in radius.items()}
peak = {m: [r.max() for r in rs] for m, rs in radius.items()}
ledger.claim("simultaneous GDA spirals out: final distance / start", final["simultaneous"],
             null=final["extragradient"], null_name="extragradient", bar=claims.at_least(2.0))
ledger.claim("alternating updates stay bounded: max distance / start", peak["alternating"],
             null=peak["simultaneous"], null_name="simultaneous", bar=claims.at_most(1.5))
ledger.claim("extragradient converges: final distance / start", final["extragradient"],
             null=final["simultaneous"], null_name="simultaneous", bar=claims.at_most(0.01),
             fmt=".2e")

fig, axes = plt.subplots(1, 3, figsize=(11, 3.6), sharex=True, sharey=True)
for ax, m in zip(axes, theory.BILINEAR_METHODS):
    ax.plot(*paths[m][0][:300].T, lw=0.8)  # the first 300 steps from the first start
    ax.plot([0], [0], "r*", ms=10)
    ax.set_title(m)
    ax.set_xlabel("x (min)")
    ax.set_xlim(-5, 5)
    ax.set_ylim(-5, 5)
axes[0].set_ylabel("y (max)")
fig.suptitle(r"Gradient play on $\min_x \max_y\, xy$; the star is the equilibrium")
plt.show()

# %% [markdown]
# ## Noise-contrastive estimation: the discriminator as a density estimator
#
# Freeze the generator and the D phase alone is still useful. Noise-contrastive estimation
# (Gutmann & Hyvärinen 2010) fits an unnormalised density $p_\theta$ to data by training a
# logistic classifier of data against a *fixed* noise distribution $q$, with the logit
# $s(x) = \log p_\theta(x) - \log q(x)$ — exactly the GAN discriminator's loss
# (`losses.d_loss`, through the same one-phase game as above), with $q$ in the generator's
# seat. At the optimum $s$ is $D^*$'s logit, so $p_\theta = q\, e^{s}$
# (`theory.density_from_logit`) is the data density, and the normaliser $c$, a free
# parameter of $p_\theta(x) = \exp(-(x - \mu)^2 / 2\sigma^2 - c)$, is learned rather than
# computed. We fit a Gaussian $p_{\text{data}}$ against a wide Gaussian noise (three seeds)
# and measure the largest error of the fitted density on the grid, and how far its mass
# is from one. The nulls are the model at its initialisation and the noise density itself.

# %%
MU_NCE, SIGMA_NCE, SIGMA_NOISE = 1.0, 0.6, 2.0
p_nce = theory.gaussian_pdf(MU_NCE, SIGMA_NCE)
p_noise = theory.gaussian_pdf(0.0, SIGMA_NOISE)
nce_steps = pick(cpu=800, full=5000)
LOG_NOISE_NORM = math.log(SIGMA_NOISE * math.sqrt(2 * math.pi))


class NCELogit(nn.Module):
    """s(x) = log p_theta(x) - log q(x), p_theta(x) = exp(-(x - mu)^2 / (2 sigma^2) - c)."""

    def __init__(self):
        super().__init__()
        self.mu, self.log_sigma, self.c = (nn.Parameter(torch.zeros(())) for _ in range(3))

    def forward(self, x):  # (B, 1) -> (B,)
        x = x[:, 0]
        log_model = -0.5 * ((x - self.mu) / self.log_sigma.exp()) ** 2 - self.c
        log_noise = -0.5 * (x / SIGMA_NOISE) ** 2 - LOG_NOISE_NORM  # log q(x), q = N(0, 2^2)
        return log_model - log_noise


def fitted_density(D):
    s = logits_on_grid(D)
    return theory.density_from_logit(lambda t: np.interp(t, x, s), p_noise)(x)  # (N,)


real_nce = data.Mixture(torch.tensor([[MU_NCE]]), SIGMA_NCE)
nce_err, nce_err0, nce_mass, nce_mass0 = [], [], [], []
for seed in SEEDS:
    torch.manual_seed(seed)
    D = NCELogit()
    p0 = fitted_density(D)
    game = Game("ch01-nce", nets={"G": fixed_generator(0.0, SIGMA_NOISE), "D": D},
                teams={"D": Team(("D",), lr=3e-2, betas=(0.9, 0.999),
                                 lr_schedule=cosine_decay(nce_steps))},
                phases=d_phase, nz=1, ema=())
    Trainer(game, real_nce, steps=nce_steps, batch=batch, seed=seed, ema_decay=0.0,
            progress=False).fit()
    p_fit = fitted_density(D)
    nce_err.append(np.abs(p_fit - p_nce(x)).max())
    nce_err0.append(np.abs(p0 - p_nce(x)).max())
    nce_mass.append(abs(theory.integrate(p_fit) - 1))
    nce_mass0.append(abs(theory.integrate(p0) - 1))
noise_err = np.abs(p_noise(x) - p_nce(x)).max()
ledger.claim("NCE recovers the data density: max |p_theta - p_data| on the grid", nce_err,
             null=nce_err0 + [noise_err], null_name="initial model and the noise q",
             bar=claims.at_most(0.02), fmt=".4f")
ledger.claim("NCE learns the normaliser: |integral of p_theta - 1|", nce_mass, null=nce_mass0,
             null_name="initial model", bar=claims.at_most(0.02), fmt=".4f")

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(xs, p_nce(xs), label=r"$p_{\mathrm{data}}$")
ax.plot(xs, p_noise(xs), label="noise q")
ax.plot(x, p_fit, "k--", label=rf"NCE fit, seed {SEEDS[-1]}")
ax.set_xlim(-5, 5)
ax.set_xlabel("x")
ax.legend()
ax.set_title("A density fitted by the GAN discriminator's loss against fixed noise")
plt.show()

# %% [markdown]
# ## Move the generator yourself
#
# Drag the sliders to change $\mu_g$ and $\sigma_g$ and watch $D^*$, $V(D^*, G) = C(G)$
# and the JSD. (Without a live Jupyter front end, in the book or under test, the cell
# draws a single static figure at the starting values.)

# %%
def draw_game(fig, mu_g, sigma_g):
    q = theory.gaussian_pdf(mu_g, sigma_g)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(xs, p_data(xs), label=r"$p_{\mathrm{data}}$")
    ax.plot(xs, q(xs), label=r"$p_g$")
    ax.plot(xs, theory.optimal_d(p_data, q)(xs), "k--", label=r"$D^*$")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("x")
    ax.legend(loc="upper left")
    ax.set_title(f"V(D*, G) = {theory.c_of_g(p_data, q):.4f}    "
                 f"JSD = {theory.jsd(p_data, q):.4f}    (-log 4 = {-theory.LOG4:.4f})")


_ = slider_plot(draw_game, {  # assigned: the widget (or static figure) is shown once
    "mu_g": Slider(-4.0, 4.0, 0.1, MU_G, "mu_g"),
    "sigma_g": Slider(0.2, 3.0, 0.05, SIGMA_G, "sigma_g"),
})

# %% [markdown]
# ## Exercises
#
# `exercises/ch01_minimax.ipynb` asks you to write $D^*$, the JSD and the non-saturating
# loss; its check cells grade your answers against `ganlab.theory` and `ganlab.losses`.
# The worked answers are in `solutions/ch01_minimax.ipynb`.
#
# ## The claims of this chapter

# %%
ledger.table()
