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
# The nets are tiny (16x16 digits, width 16) and trained for a few hundred steps under the cpu
# budget, so the checks are modest; every number in the text is computed below.

# %%
import matplotlib.pyplot as plt
import torch

from ganlab import data, singan, variants, viz
from ganlab.attention import truncated_normal
from ganlab.budget import budget, pick
from ganlab.features import load_digits_net
from ganlab.metrics.prdc import precision_recall
from ganlab.train import Trainer

print(f"budget: {budget()}")
digits = data.digits(16, "train")
judge = load_digits_net()
WIDTH, BATCH = pick(cpu=16, full=64), pick(cpu=32, full=128)
results = {}


def train(name, steps, n_classes=0):
    """Build variant `name` on the digits, train it, return the game on CPU in eval mode."""
    game = variants.build(name, (1, 16, 16), n_classes=n_classes, width=WIDTH)
    Trainer(game, digits, steps=steps, batch=BATCH, ema_decay=0.0, progress=False, seed=0).fit()
    for m in game.nets.values():
        m.cpu().eval()
    return game


# %% [markdown]
# ## SAGAN: self-attention
#
# Convolutions only mix neighbours; Zhang et al. (2019) add a block in which every pixel
# $j$ attends to every pixel $i$: $\beta_{j,i} = \mathrm{softmax}_i(f(x_j)^\top g(x_i))$,
# $o_j = W_v \sum_i \beta_{j,i} h(x_i)$ and $y = x + \gamma\, o$ with $\gamma$ **learned and
# starting at 0**, so the network begins as a plain convnet and lets attention in as it
# learns (`attention.SelfAttention`). Both G and D are spectrally normalised, trained with
# the hinge loss and the two-timescale rule (D 4e-4, G 1e-4). The check: $\gamma$ has left 0,
# and the judge (a digits classifier that never saw a generator) is more confident on SAGAN's
# samples than on the untrained G's.

# %%
sagan_steps = pick(cpu=100, full=5000)
untrained = variants.build("sagan", (1, 16, 16), width=WIDTH).nets["G"].eval()
sagan = train("sagan", sagan_steps)
z = torch.randn(500, sagan.nz, generator=torch.Generator().manual_seed(1))
with torch.no_grad():
    x_sagan, x_untrained = sagan.nets["G"](z), untrained(z)
conf = {k: judge.probs(v).max(1).values.mean().item()
        for k, v in [("sagan", x_sagan), ("untrained", x_untrained)]}
gammas = {k: sagan.nets[k].attn.gamma.item() for k in ("G", "D")}
results["SAGAN: judge confidence"] = conf["sagan"]
viz.show_images(x_sagan[:64], nrow=8, title=f"SAGAN after {sagan_steps} steps")
plt.show()
print(f"gamma G {gammas['G']:.3f}, D {gammas['D']:.3f}; judge confidence {conf['sagan']:.2f} "
      f"(untrained G {conf['untrained']:.2f})")
assert abs(gammas["G"]) > 0 and abs(gammas["D"]) > 0
assert conf["sagan"] > conf["untrained"]

# %% [markdown]
# **An attention map.** For a query pixel of D's 8x8 feature map, row $j$ of $\beta$ says
# where that pixel looks in the whole image.

# %%
attn = sagan.nets["D"].attn
img = x_sagan[:1]
with torch.no_grad():
    beta = attn.attention(sagan.nets["D"].down1(img))  # (1, 64, 64)
query = 3 * 8 + 4  # row 3, column 4 of the 8x8 map
fig, ax = plt.subplots(1, 2, figsize=(5, 2.5))
ax[0].imshow(img[0, 0], cmap="gray")
ax[0].scatter([4 * 2 + 0.5], [3 * 2 + 0.5], c="r")
ax[0].set_title("sample, query pixel")
ax[1].imshow(beta[0, query].view(8, 8), cmap="viridis")
ax[1].set_title("attention of the query")
for a in ax:
    a.axis("off")
plt.show()
torch.testing.assert_close(beta.sum(-1), torch.ones(1, 64))

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
# * the **truncation trick**: at sampling time, entries of $z$ with $|z| > t$ are redrawn, so
#   samples come from the dense centre of the latent. Smaller $t$: higher fidelity, lower
#   diversity. Brock et al. plot Inception score (a classifier's confidence, fidelity)
#   against FID; here fidelity is the judge's mean confidence (its top class probability)
#   and diversity the improved recall (Kynkaanniemi et al. 2019) in the judge's features.
#   Precision is printed too.

# %%
biggan_steps = pick(cpu=120, full=5000)
biggan = train("biggan", biggan_steps, n_classes=10)
real_feats = judge.features(digits.x[:1000])
y = torch.arange(1000) % 10
curve = {}  # threshold -> (confidence, precision, recall, class accuracy)
for t in (0.25, 0.5, 1.0, 2.0, float("inf")):
    g = torch.Generator().manual_seed(2)
    zt = torch.randn(1000, biggan.nz, generator=g) if t == float("inf") else \
        truncated_normal(1000, biggan.nz, t, generator=g)
    with torch.no_grad():
        xb = biggan.nets["G"](zt, y)
    probs = judge.probs(xb)
    prec, rec = precision_recall(real_feats, judge.features(xb), k=3)
    curve[t] = (probs.max(1).values.mean().item(), prec, rec,
                (probs.argmax(1) == y).float().mean().item())
    print(f"threshold {t}: confidence {curve[t][0]:.3f}, precision {prec:.3f}, recall {rec:.3f}, "
          f"class accuracy {curve[t][3]:.3f}")
viz.show_images(xb[:100], nrow=10, title="BigGAN (no truncation): one column per class")
plt.show()
ts = list(curve)
plt.plot([curve[t][2] for t in ts], [curve[t][0] for t in ts], "o-")
for t in ts:
    plt.annotate(str(t), (curve[t][2], curve[t][0]))
plt.xlabel("recall (diversity)")
plt.ylabel("judge confidence (fidelity)")
plt.title("truncation: fidelity vs diversity")
plt.show()
c_lo, _, r_lo, _ = curve[0.25]
c_hi, p_hi, r_hi, acc_hi = curve[float("inf")]
results["BigGAN: confidence / recall, t=0.25 vs none"] = (c_lo, r_lo, c_hi, r_hi)
assert r_lo < r_hi and c_lo > c_hi  # truncation trades diversity for fidelity

# %% [markdown]
# Under the cpu budget the class embedding has had few steps to steer G: compare the class
# accuracy printed above with chance (0.1). Under the full budget it is the number to watch.

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
# next scale.

# %%
image = data.photo("chelsea", pick(cpu=40, full=128))
cfg = singan.SinGANConfig(scales=pick(cpu=3, full=6), min_size=16, width=pick(cpu=16, full=32),
                          steps=pick(cpu=150, full=2000))
model = singan.SinGAN(image, cfg).fit()
real = model.reals[-1]
samples = model.generate(8, generator=torch.Generator().manual_seed(3))
rec = model.reconstruct()
viz.show_images(torch.cat([real, rec, samples]), nrow=5,
                title="real, reconstruction, random samples at the finest scale")
plt.show()
print("sigmas per scale:", [f"{s:.3f}" for s in model.sigmas])

# %% [markdown]
# **Editing.** Paste a block of the image elsewhere (a crude edit), downsample the result to
# the second scale and run the pyramid from there: the finer generators blend the paste into
# the image's patch statistics.

# %%
edit = real.clone()
h = real.shape[-1]
edit[..., h // 2:h // 2 + 12, 2:14] = real[..., 4:16, h - 14:h - 2]
coarse = singan.upsample(edit, tuple(model.reals[1].shape[-2:]))
with torch.no_grad():
    edited = model.generate(1, generator=torch.Generator().manual_seed(4), start=2,
                            x_start=coarse) if len(model.gens) > 2 else edit
viz.show_images(torch.cat([edit, edited]), nrow=2, title="naive paste, after SinGAN")
plt.show()

# %% [markdown]
# **Patch statistics.** The distance between the sets of 7x7 patches of two images (sliced
# Wasserstein, `singan.patch_distance`) tells how well samples reproduce the image's
# patches. Two baselines: uniform noise, and the coarsest scale of the pyramid upsampled to
# full size (right colours and layout, no fine detail), which the finer generators must beat.

# %%
d_samples = singan.patch_distance(samples, real)
noise = torch.rand(8, *real.shape[1:], generator=torch.Generator().manual_seed(5)) * 2 - 1
d_noise = singan.patch_distance(noise, real)
d_blur = singan.patch_distance(singan.upsample(model.reals[0], tuple(real.shape[-2:])), real)
results["SinGAN: patch distance (samples / noise)"] = (d_samples, d_noise)
print(f"patch distance to the training image: samples {d_samples:.3f}, coarsest scale "
      f"upsampled {d_blur:.3f}, uniform noise {d_noise:.3f}")
assert d_samples < 0.5 * d_noise and d_samples < d_blur

# %% [markdown]
# ## Closing note

# %%
from IPython.display import Markdown  # noqa: E402

Markdown(f"""
* **SAGAN** ({sagan_steps} steps): attention gates $\\gamma$ moved to {gammas['G']:.3f} (G) and
  {gammas['D']:.3f} (D); the judge's confidence on samples is {conf['sagan']:.2f}, against
  {conf['untrained']:.2f} for the untrained G.
* **BigGAN** ({biggan_steps} steps): truncating at 0.25 raises the judge's confidence from
  {c_hi:.3f} to {c_lo:.3f} and lowers recall from {r_hi:.3f} to {r_lo:.3f}; untruncated
  precision {p_hi:.3f}, class accuracy {acc_hi:.3f} (chance 0.1).
* **SinGAN** ({cfg.scales} scales, {cfg.steps} steps each): 7x7 patch distance to the image
  {d_samples:.3f} for random samples, {d_blur:.3f} for the upsampled coarsest scale and
  {d_noise:.3f} for noise.
""")
