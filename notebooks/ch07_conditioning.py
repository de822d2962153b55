# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 7. Conditioning and inference
#
# A plain GAN maps noise to images and offers no handle on *which* image comes out, nor a
# way back from an image to its noise. This chapter adds both, one variant at a time, each a
# small module of networks, losses and phases run by the same trainer (`ganlab.train`):
#
# | variant | what is new | ganlab |
# |---|---|---|
# | conditional GAN | the label goes to G and D | `cgan-concat`, `cgan-projection` |
# | ACGAN | D also classifies | `acgan` |
# | InfoGAN | unsupervised codes, recovered by a Q head on D's body | `infogan` |
# | BiGAN / ALI | an encoder E on G's team; D judges (x, z) pairs | `bigan` |
# | adversarial autoencoder | D pushes the codes E(x) towards N(0, I) | `aae` |
# | VAE-GAN | a VAE whose decoder is G, reconstruction in D's features | `vaegan` (baseline `vae`) |
#
# Every check uses the digits classifier that ships with ganlab
# (`ganlab.features.load_digits_net()`), trained on real digits, as a judge: it never sees
# a generator during its training. Every number in the text below is computed by this
# notebook under the active budget.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from sklearn.linear_model import LogisticRegression

from ganlab import data, inference, metrics, variants, viz
from ganlab.budget import budget, pick
from ganlab.features import load_digits_net
from ganlab.metrics.fid import fid
from ganlab.train import Trainer

print(f"budget: {budget()}")
train_set, test_set = data.digits(16, "train"), data.digits(16, "test")
judge = load_digits_net()
WIDTH = pick(cpu=16, full=64)  # DCGAN width (ngf = ndf)
BATCH = pick(cpu=64, full=128)
print(f"{len(train_set)} training and {len(test_set)} test digits, 16x16")


def train(name, steps, **options):
    """Build variant `name` on the digits, train it `steps` steps, return the game on CPU."""
    torch.manual_seed(0)  # the nets' initial weights
    game = variants.build(name, (1, 16, 16), n_classes=10, width=WIDTH, **options)
    Trainer(game, train_set, steps=steps, batch=BATCH, ema_decay=0.0, progress=False,
            seed=0).fit()
    for m in game.nets.values():
        m.cpu().eval()
    return game


def class_accuracy(x, y):
    """Fraction of images x that the judge classifies as y."""
    return (judge.probs(x).argmax(1) == y).float().mean().item()


results = {}  # check -> number, for the closing table

# %% [markdown]
# ## Conditional GAN: the label to both players
#
# Mirza & Osindero (2014) give G and D the label $y$. G concatenates a learned embedding of
# $y$ to $z$. D can take $y$ in two ways (`nets.DCGANDiscriminator(cond=...)`):
#
# * **concatenation**: one-hot label maps, $K$ extra input channels, so the first
#   convolution sees $[x, \mathbb{1}_y]$;
# * **projection** (Miyato & Koyama 2018, eq. 3): the logit is
#   $\psi(\phi(x)) + \langle e_y, \phi(x) \rangle$ with $\phi$ D's body and $e_y$ a learned
#   class embedding; this is the form the log-density ratio takes when $p(y \mid x)$ is a
#   log-linear model of $\phi(x)$.
#
# The phases are those of the plain GAN (`variants.adversarial_phases`); the only change
# is that real images come with their labels and fakes with random ones. One detail
# matters at this scale: the class embedding $e_y$ starts from DCGAN's $\mathcal{N}(0, 0.02)$
# (`cgan-projection`); with `nn.Embedding`'s default $\mathcal{N}(0, 1)$ the inner product
# over D's 512 features dominates the logit from the first step and D wins at once. The check: ask for
# each class, let the judge classify the samples.

# %%
cgan_steps = pick(cpu=300, full=5000)
acc_cgan = {}
for name in ("cgan-concat", "cgan-projection"):
    game = train(name, cgan_steps, nz=32)
    y = torch.arange(1000) % 10
    with torch.no_grad():
        x = game.nets["G"](torch.randn(1000, game.nz, generator=torch.Generator().manual_seed(1)), y)
    acc_cgan[name] = class_accuracy(x, y)
    viz.show_images(x[:100],
                    nrow=10, title=f"{name}: one column per class")
    plt.show()
results["cGAN concat: class accuracy"] = acc_cgan["cgan-concat"]
results["cGAN projection: class accuracy"] = acc_cgan["cgan-projection"]
print(f"class accuracy after {cgan_steps} steps: concat {acc_cgan['cgan-concat']:.1%}, "
      f"projection {acc_cgan['cgan-projection']:.1%} (chance 10%)")
assert min(acc_cgan.values()) > 0.25  # chance is 0.1; goal 0.9 under the full budget

# %% [markdown]
# ## ACGAN: D also classifies
#
# Odena et al. (2017) keep D unconditional and give it a second head that predicts the class
# (`inference.ACDiscriminator`). D minimises its adversarial loss plus the cross-entropy of
# the class of real images *and* of fakes (with the labels G was asked for); G minimises its
# adversarial loss plus the cross-entropy of its samples' requested class. G is thus pushed
# towards images that are easy to classify, which shows as high class accuracy (and, at
# scale, as less diversity within a class).

# %%
acgan = train("acgan", pick(cpu=200, full=5000), nz=32)
y = torch.arange(1000) % 10
with torch.no_grad():
    x = acgan.nets["G"](torch.randn(1000, acgan.nz, generator=torch.Generator().manual_seed(1)), y)
results["ACGAN: class accuracy"] = acc_acgan = class_accuracy(x, y)
viz.show_images(x[:100],
                nrow=10, title="ACGAN: one column per class")
plt.show()
print(f"ACGAN class accuracy {acc_acgan:.1%}")
assert acc_acgan > 0.3

# %% [markdown]
# ## InfoGAN: codes nobody labelled
#
# InfoGAN (Chen et al. 2016) gets no labels at all. Part of the latent is a categorical code
# $c$ (10 values) and two continuous codes; a head $Q$ on D's body predicts them from
# $G(z, c)$, and G and Q, **one team** in the trainer, minimise
# $-\mathbb{E} \log Q(c \mid G(z, c))$: a variational lower bound on the mutual information
# $I(c; G(z, c))$, up to the constant $H(c)$ (`variants.mutual_information_loss`). Nothing
# says that $c$ should mean "digit class"; the check is how well it ends up meaning it. We
# match each value of $c$ to a digit with the Hungarian algorithm on the confusion matrix
# (the best one-to-one matching) and report the accuracy under that matching.

# %%
info = train("infogan", pick(cpu=250, full=8000), nz=16)
n_cat, n_cont = 10, 2
z = torch.randn(2000, info.nz, generator=torch.Generator().manual_seed(1))
cat, _ = variants.info_codes(z, n_cat, n_cont)
with torch.no_grad():
    pred = judge.probs(info.nets["G"](z)).argmax(1)
confusion = np.zeros((n_cat, 10))
np.add.at(confusion, (cat.numpy(), pred.numpy()), 1)
rows, cols = linear_sum_assignment(-confusion)
results["InfoGAN: best-matching accuracy"] = acc_info = confusion[rows, cols].sum() / len(z)
print(f"InfoGAN: c matched to the judge's class, accuracy {acc_info:.1%} (chance 10%)")
assert acc_info > 0.15

# %% [markdown]
# Each row below holds the remaining noise fixed. Left: $c$ runs through its 10 values
# along the row. Right: $c$ is fixed per row and the first continuous code $u$ runs from
# $-1$ to $1$ (its coordinate of $z$ is $\sqrt2\,\mathrm{erf}^{-1}(u)$). A code that
# captured one factor of variation (slant, width) changes that factor only.

# %%
def code_grid(c_values, u_values, base):
    """z with categorical code c (argmax of the first coordinates) and continuous code 0 = u."""
    z = base.clone()
    z[:, :n_cat] = -3.0
    z[torch.arange(len(z)), c_values] = 3.0
    z[:, n_cat] = torch.special.erfinv(u_values.clamp(-0.999, 0.999)) * 2**0.5
    return z


base = torch.randn(8, info.nz, generator=torch.Generator().manual_seed(2)).repeat_interleave(10, 0)
c_rows = torch.arange(8).repeat_interleave(10) % n_cat
u_cols = torch.linspace(-0.95, 0.95, 10).repeat(8)
fig, axes = plt.subplots(1, 2, figsize=(9, 4))
with torch.no_grad():
    grid_c = info.nets["G"](code_grid(torch.arange(80) % n_cat, torch.zeros(80), base))
    grid_u = info.nets["G"](code_grid(c_rows, u_cols, base))
viz.show_images(grid_c, nrow=10, title="c = 0..9 along each row", ax=axes[0])
viz.show_images(grid_u, nrow=10, title="continuous code 1 from -1 to 1", ax=axes[1])
plt.show()

# %% [markdown]
# ## BiGAN / ALI: an encoder trained adversarially
#
# BiGAN (Donahue et al. 2017) and ALI (Dumoulin et al. 2017) learn the inverse map too. An
# encoder $E$ joins G's team; D never sees an image alone but a pair: $(x, E(x))$ for a real
# image, $(G(z), z)$ for a fake one (`inference.bigan_pairs`). At the optimum the two joint
# distributions agree, so $E$ inverts $G$. Two checks: reconstructions $G(E(x))$ of test
# digits classified by the judge, and a linear probe (logistic regression) trained on
# $E(x)$ of the training digits and scored on the test digits, next to the same probe on
# raw pixels. The two need not agree: E can sort the digits linearly long before its codes
# land where G maps them back to the same digit (a reconstruction accuracy near 10 % means
# G(E(x)) ignores which digit came in).

# %%
bigan = train("bigan", pick(cpu=200, full=8000), nz=32)


def probe(train_features, test_features):
    clf = LogisticRegression(max_iter=2000).fit(train_features.numpy(), train_set.y.numpy())
    return clf.score(test_features.numpy(), test_set.y.numpy())


code_test = inference.encode(bigan.nets, test_set.x)
with torch.no_grad():
    recon = bigan.nets["G"](code_test)
results["BiGAN: G(E(x)) class accuracy"] = acc_rec = class_accuracy(recon, test_set.y)
results["BiGAN: linear probe on E(x)"] = probe_e = probe(inference.encode(bigan.nets, train_set.x),
                                                         code_test)
results["linear probe on pixels"] = probe_px = probe(train_set.x.flatten(1),
                                                     test_set.x.flatten(1))
print(f"G(E(x)) keeps the class for {acc_rec:.1%} of test digits; linear probe on E(x) "
      f"{probe_e:.1%}, on pixels {probe_px:.1%}")
viz.show_images(torch.cat([test_set.x[:10], recon[:10]]), nrow=10,
                title="test digits (top) and G(E(x)) (bottom)")
plt.show()
assert probe_e > 0.3  # E(x) carries class information; G(E(x)) is only reported

# %% [markdown]
# ## Adversarial autoencoder: a prior imposed on the codes
#
# Makhzani et al. (2016) keep an ordinary autoencoder (E, then G as decoder, mean-squared
# error) and add a game *in the latent space*: D tells samples of the prior
# $\mathcal{N}(0, I)$ from codes $E(x)$, and E alone tries to fool it. Three phases, three
# teams: reconstruction (E and G), D, regularisation (E). With a 2D code the whole latent
# space fits in one picture; the check is the codes' mean and standard deviation, which
# should approach 0 and 1. The latent game oscillates before it settles: after the CPU
# budget's few hundred steps the moments are still some way off, so the notebook asserts
# only a loose tolerance there (codes neither collapsed nor spread far beyond the prior's
# scale) and prints the numbers; the full budget is where they should come close.

# %%
aae = train("aae", pick(cpu=300, full=8000), nz=2, lr_g=2e-3, lr_d=1e-3)
codes = inference.encode(aae.nets, train_set.x)  # (N, 2)
mean, std = codes.mean(0), codes.std(0)
results["AAE: max |mean| of codes"] = m_err = mean.abs().max().item()
results["AAE: max |std - 1| of codes"] = s_err = (std - 1).abs().max().item()
print(f"codes: mean {mean.numpy().round(2)}, std {std.numpy().round(2)}")
fig, ax = plt.subplots(figsize=(5, 5))
sc = ax.scatter(*codes.T.numpy(), c=train_set.y.numpy(), cmap="tab10", s=4)
ax.add_patch(plt.Circle((0, 0), 2.0, fill=False, ls="--", color="grey"))
fig.colorbar(sc, ax=ax, label="digit")
ax.set_title("AAE codes of the training digits\n(dashed circle: 2 sigma of the prior)")
ax.set_aspect("equal")
plt.show()
assert m_err < 1.5 and (std > 0.2).all() and (std < 2.0).all()

# %% [markdown]
# ## VAE-GAN: reconstruction measured by D
#
# A VAE (`vae`) trained with a pixel-wise Gaussian likelihood averages over what it cannot
# pin down, and its samples come out blurred. Larsen et al. (2016) make the VAE's decoder
# the generator of a GAN and measure the reconstruction error on D's features instead of
# pixels (`inference.feature_distance`); E minimises KL + feature error, G the feature error
# plus its GAN loss, D its GAN loss, three teams. (With so few steps D's features say
# little, so we keep a pixel term with weight 1, `pixel_weight`.) Sharpness: the mean
# squared response to a Laplacian filter (high-frequency energy) of the samples, next to
# that of real digits, and the FID in the judge's features.

# %%
hf_energy = metrics.high_frequency_energy  # mean squared 3x3 Laplacian


vae_steps = pick(cpu=150, full=8000)
sharp, fids = {}, {}
for name, options in [("vae", {}), ("vaegan", {"pixel_weight": 1.0})]:
    game = train(name, vae_steps, **options)
    with torch.no_grad():
        x = game.nets["G"](torch.randn(1000, game.nz, generator=torch.Generator().manual_seed(1)))
    sharp[name] = hf_energy(x)
    fids[name] = fid(judge.features(test_set.x).numpy(), judge.features(x).numpy())
    viz.show_images(x[:64], nrow=8, title=f"{name} samples")
    plt.show()
sharp["real"] = hf_energy(test_set.x)
results["VAE: high-frequency energy"], results["VAE-GAN: high-frequency energy"] = \
    sharp["vae"], sharp["vaegan"]
results["VAE: FID (judge features)"], results["VAE-GAN: FID (judge features)"] = \
    fids["vae"], fids["vaegan"]
print(f"high-frequency energy: VAE {sharp['vae']:.4f}, VAE-GAN {sharp['vaegan']:.4f}, "
      f"real digits {sharp['real']:.4f}; FID: VAE {fids['vae']:.2f}, VAE-GAN {fids['vaegan']:.2f}")
assert sharp["vaegan"] > sharp["vae"]

# %% [markdown]
# ## Closing note: the numbers
#
# The table holds every check of this chapter as measured by this run. The goals of the
# course map (class accuracy of cGAN and ACGAN >= 90 %, InfoGAN best-matching accuracy
# >= 80 %) are for the full budget (`GANLAB_BUDGET=full`, on a GPU); under the CPU budget
# the notebook asserts only that each number is well above chance. **The full-budget
# numbers have not been measured yet**: the session that wrote this chapter had no GPU, so
# only the CPU column exists; run the notebook with `GANLAB_BUDGET=full` to fill it.

# %%
print(f"budget: {budget()}")
for k, v in results.items():
    print(f"{k:40s} {v:8.3f}")
