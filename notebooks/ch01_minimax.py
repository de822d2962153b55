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
# training loop minimises live in `ganlab.losses`.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from ganlab import losses, theory
from ganlab.budget import budget, pick
from ganlab.nets import MLPDiscriminator
from ganlab.widgets import Slider, slider_plot

print(f"budget: {budget()}")

# %% [markdown]
# ## The value function
#
# Take the data to be $p_{\text{data}} = \mathcal{N}(0, 1)$ and a generator whose samples
# follow $p_g = \mathcal{N}(\mu_g, \sigma_g^2)$. `theory.value_function(d, p, q)` integrates
# $p \log D + q \log(1 - D)$ on a fine grid. A discriminator that cannot tell the two apart,
# $D \equiv \tfrac12$, scores $2 \log \tfrac12 = -\log 4$ whatever the generator does.

# %%
MU_DATA, SIGMA_DATA = 0.0, 1.0
MU_G, SIGMA_G = 2.0, 0.5
p_data = theory.gaussian_pdf(MU_DATA, SIGMA_DATA)
p_g = theory.gaussian_pdf(MU_G, SIGMA_G)
x = theory.GRID

def d_half(x):
    return np.full_like(x, 0.5)

v_half = theory.value_function(d_half, p_data, p_g)
print(f"V(D = 1/2, G) = {v_half:.10f},  -log 4 = {-np.log(4):.10f}")
assert abs(v_half + np.log(4)) < 1e-9

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
v_star = theory.value_function(theory.optimal_logit(p_data, p_g), p_data, p_g, logits=True)
print(f"V(D*, G) = {v_star:.6f} > V(1/2, G) = {v_half:.6f}")
assert v_star > v_half

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
# train a small MLP (`ganlab.nets.MLPDiscriminator`, which returns logits) on fresh samples
# from both distributions each step, minimising `losses.d_loss`, which is $-V$ estimated on
# the batch: $-\log \sigma(D(x)) - \log(1 - \sigma(D(G(z))))$. The generator stays fixed.

# %%
torch.manual_seed(0)
gen = torch.Generator().manual_seed(0)
steps = pick(cpu=1500, full=20_000)
batch = pick(cpu=512, full=4096)

D = MLPDiscriminator(d=1, hidden=32, depth=3)
opt = torch.optim.Adam(D.parameters(), lr=5e-3)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
for _ in range(steps):
    real = MU_DATA + SIGMA_DATA * torch.randn(batch, 1, generator=gen)  # (B, 1) ~ p_data
    fake = MU_G + SIGMA_G * torch.randn(batch, 1, generator=gen)  # (B, 1) ~ p_g
    loss = losses.d_loss(D(real), D(fake))  # -V(D, G) on the batch
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()

with torch.no_grad():
    s_trained = D(torch.from_numpy(x).float()[:, None]).double().numpy()  # (N,) logits
d_trained = 1 / (1 + np.exp(-s_trained))

# the bulk: the central 99% of the mass of (p_data + p_g) / 2
mix = 0.5 * (p_data(x) + p_g(x))
cdf = np.cumsum(mix) * (x[1] - x[0])
bulk = (cdf > 0.005) & (cdf < 0.995)
err = np.abs(d_trained - d_star(x))[bulk].max()
v_trained = theory.value_function(lambda t: np.interp(t, x, s_trained), p_data, p_g, logits=True)
print(f"{steps} steps: max |D - D*| on the bulk [{x[bulk][0]:.2f}, {x[bulk][-1]:.2f}] = {err:.4f}")
print(f"V(D_trained, G) = {v_trained:.5f}  <=  V(D*, G) = {v_star:.5f}")
assert err < 0.05
assert v_trained <= v_star + 1e-9 and v_star - v_trained < 1e-2

# %%
fig, ax = plt.subplots(figsize=(8, 3.5))
ax.plot(xs, d_star(xs), "k--", label=r"$D^*$ (closed form)")
ax.plot(x, d_trained, label="trained D")
ax.axvspan(x[bulk][0], x[bulk][-1], color="C2", alpha=0.08, label="bulk (99% of the mass)")
ax.set_xlim(-4, 4)
ax.set_xlabel("x")
ax.legend()
ax.set_title(f"Trained D after {steps} steps vs the optimal D*")
plt.show()

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
# computations.

# %%
c = theory.c_of_g(p_data, p_g)
j = theory.jsd(p_data, p_g)
print(f"C(G) = {c:.10f}")
print(f"-log 4 + 2 JSD = {-np.log(4) + 2 * j:.10f}  (JSD = {j:.6f} nats, log 2 = {np.log(2):.6f})")
assert abs(c - (-np.log(4) + 2 * j)) < 1e-6
assert abs(c - v_star) < 1e-6

# %% [markdown]
# Scan the generator's two parameters and the minimum of $C(G)$ sits where the generator
# matches the data.

# %%
mus = np.linspace(-2, 2, 21)
sigmas = np.linspace(0.2, 2.2, 21)
C = np.array([[theory.c_of_g(p_data, theory.gaussian_pdf(m, s)) for m in mus] for s in sigmas])
i, k = np.unravel_index(C.argmin(), C.shape)
print(f"min C(G) = {C[i, k]:.8f} at mu_g = {mus[k]:.2f}, sigma_g = {sigmas[i]:.2f};"
      f" -log 4 = {-np.log(4):.8f}")
assert abs(mus[k] - MU_DATA) < 1e-9 and abs(sigmas[i] - SIGMA_DATA) < 1e-9
assert abs(C[i, k] + np.log(4)) < 1e-6 and (C >= -np.log(4) - 1e-9).all()

fig, ax = plt.subplots(figsize=(5.5, 4))
cs = ax.contourf(mus, sigmas, C, levels=30, cmap="viridis")
ax.plot([MU_DATA], [SIGMA_DATA], "r*", ms=12, label=r"$p_g = p_{\mathrm{data}}$")
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
# saturating loss's gradient is $-D \approx 0$ — the generator stops learning — while the
# non-saturating loss pushes with a gradient close to $-1$. Autograd through the library's
# losses gives the same curves as the formulas.

# %%
d_vals = np.logspace(-4, np.log10(1 - 1e-4), 400)
logits = torch.logit(torch.tensor(d_vals)).requires_grad_(True)  # s with sigmoid(s) = D(G(z))
G_LOSSES = {
    "minimax": losses.g_minimax,
    "nonsaturating": losses.g_nonsaturating,
    "maxlikelihood": losses.g_maxlikelihood,
}
grads = {}
for name, fn in G_LOSSES.items():
    (g,) = torch.autograd.grad(fn(logits) * len(d_vals), logits)  # the losses are batch means
    grads[name] = g.numpy()
    assert np.allclose(grads[name], theory.g_loss_grad(name, d_vals), rtol=1e-10, atol=1e-12)

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
# optimal discriminator, whose logit is $\log p_{\text{data}}(x) - \log p_g(x)$. The gradient
# of each loss with respect to the generator's parameter $\mu$:

# %%
MU_FAR = 5.0
mu = torch.tensor(MU_FAR, dtype=torch.float64, requires_grad=True)
z = torch.randn(4096, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
data_dist = torch.distributions.Normal(MU_DATA, SIGMA_DATA)
g_dist = torch.distributions.Normal(MU_FAR, SIGMA_G)  # D* is built for this fixed p_g


def optimal_logit(x):
    return data_dist.log_prob(x) - g_dist.log_prob(x)  # logit of D* = log p_data - log p_g


d_fake = torch.sigmoid(optimal_logit(MU_FAR + SIGMA_G * z)).mean().item()
mu_grad = {}
for name, fn in G_LOSSES.items():
    (g,) = torch.autograd.grad(fn(optimal_logit(mu + SIGMA_G * z)), mu)
    mu_grad[name] = g.item()
    print(f"{name:>14}: dJ/dmu = {mu_grad[name]:+.3e}")
print(f"mean D*(G(z)) = {d_fake:.2e}: the discriminator is confident")
ratio = abs(mu_grad["minimax"]) / abs(mu_grad["nonsaturating"])
print(f"|saturating| / |non-saturating| = {ratio:.2e}")
assert d_fake < 1e-3 and ratio < 1e-2
assert mu_grad["nonsaturating"] > 0  # descending J moves mu down, towards the data at 0

# %% [markdown]
# The saturating loss's gradient is smaller by the ratio printed above: the generator
# barely moves. The non-saturating loss has the same fixed point (both are minimised by
# $p_g = p_{\text{data}}$ when $D = D^*$) but keeps a useful gradient when the generator is
# bad, which is why every GAN since 2014 trains with it.
#
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
                 f"JSD = {theory.jsd(p_data, q):.4f}    (-log 4 = {-np.log(4):.4f})")


slider_plot(draw_game, {
    "mu_g": Slider(-4.0, 4.0, 0.1, MU_G, "mu_g"),
    "sigma_g": Slider(0.2, 3.0, 0.05, SIGMA_G, "sigma_g"),
})

# %% [markdown]
# ## Exercises
#
# `exercises/ch01_minimax.ipynb` asks you to write $D^*$, the JSD and the non-saturating
# loss; its check cells grade your answers against `ganlab.theory` and `ganlab.losses`.
# The worked answers are in `solutions/ch01_minimax.ipynb`.
