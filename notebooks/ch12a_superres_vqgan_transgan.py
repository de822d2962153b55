# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 12a. Beyond the image GAN (1 of 3): super-resolution, VQ-GAN, TransGAN
#
# The adversarial loss is not only for sampling images from noise. Here it is one term among
# others: it sharpens an upsampler, it sharpens an autoencoder that compresses images into a
# grid of discrete codes, and it trains a generator built from transformers alone. Each is a
# small ganlab module run by the one trainer (`ganlab.train`):
#
# | variant | what is new | ganlab |
# |---|---|---|
# | SRGAN | 4x upsampling; pixel + feature + adversarial loss | `srgan`, `sr-l1` (`ganlab.superres`) |
# | VQ-GAN | a codebook with a straight-through gradient; a PatchGAN on the decoder | `vqgan`, `vqgan-noadv` (`ganlab.vqgan`) |
# | TransGAN | G and D are transformers: tokens, position embeddings, no convolution | `transgan` (`ganlab.transgan`) |
#
# The nets are tiny and trained for a few hundred steps under the cpu budget; every number
# in the text is computed below.

# %%
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

from ganlab import data, variants, viz
from ganlab import superres as SR
from ganlab import transgan as TG
from ganlab import vqgan as VQ
from ganlab.budget import budget, pick
from ganlab.features import load_digits_net
from ganlab.metrics import fid, high_frequency_energy, psnr
from ganlab.train import Trainer

T0 = time.perf_counter()
print(f"budget: {budget()}")
results = {}


def fit(game, dataset, steps, batch):
    """Train a game with the one trainer; return it on CPU in eval mode."""
    Trainer(game, dataset, steps=steps, batch=batch, ema_decay=0.0, progress=False, seed=0).fit()
    for m in game.nets.values():
        m.cpu().eval()
    return game


# %% [markdown]
# ## Super-resolution: the perception-distortion trade-off
#
# Ledig et al. (2017, SRGAN) upsample a low-resolution image $I^{LR}$ by 4 in each direction.
# Many sharp images share one $I^{LR}$; a network trained on the pixel error alone predicts
# their *average*, which is blurred, and an adversarial term pushes it towards one sharp
# image that D accepts as real. SRGAN's loss is a content loss plus $10^{-3}\,(-\log
# D(G(I^{LR})))$, the content being the squared distance between feature maps of a fixed
# classifier (VGG in the paper).
#
# Here: 32x32 grey crops of the scikit-image photos (`SR.sr_patches`, test crops from the
# bottom quarter of each photo, never trained on), $I^{LR}$ = 4x4 **average pooling**
# (`SR.downsample`). G is a narrow SRResNet that adds its output to a bicubic upsampling.
# `srgan` minimises L1 + the feature loss (the second conv block of ganlab's shipped faces
# classifier, `load_faces_net`, a grey 32x32 network) + $10^{-2}$ times the non-saturating
# adversarial loss; `sr-l1` is the same G with L1 alone. We score the test crops by PSNR
# (`ganlab.metrics.psnr`, distortion: higher is closer in pixels) and by high-frequency
# energy (`high_frequency_energy`, the mean squared Laplacian: a sharpness measure to read
# against the real crops' value).

# %%
SR_STEPS, SR_WIDTH, SR_BLOCKS = pick(cpu=150, full=5000), pick(cpu=16, full=64), pick(cpu=2, full=16)
SR_LR = pick(cpu=5e-4, full=1e-4)
sr_train, sr_test = SR.sr_patches(split="train"), SR.sr_patches(split="test")
hr = sr_test.x
lr_img = SR.downsample(hr)
print(f"train crops {tuple(sr_train.x.shape)}, test crops {tuple(hr.shape)}, LR {tuple(lr_img.shape)}")

t = time.perf_counter()
sr_games = {name: fit(variants.build(name, (1, 32, 32), width=SR_WIDTH, blocks=SR_BLOCKS, lr=SR_LR),
                      sr_train, SR_STEPS, 16) for name in ("sr-l1", "srgan")}
with torch.no_grad():
    outs = {"bicubic": SR.upsample_bicubic(lr_img).clamp(-1, 1),
            **{k: g.nets["G"](lr_img).clamp(-1, 1) for k, g in sr_games.items()}}
sr_psnr = {k: psnr(v, hr).mean().item() for k, v in outs.items()}
sr_hfe = {k: high_frequency_energy(v) for k, v in outs.items()}
hfe_real = high_frequency_energy(hr)
for k in outs:
    print(f"{k:8s} PSNR {sr_psnr[k]:.2f} dB, high-frequency energy {sr_hfe[k]:.4f} "
          f"(real crops {hfe_real:.4f})")
print(f"{SR_STEPS} steps each, {time.perf_counter() - t:.1f} s")
results["SR PSNR (sr-l1, srgan)"] = (sr_psnr["sr-l1"], sr_psnr["srgan"])

# %%
show = [F.interpolate(lr_img[:8], scale_factor=4, mode="nearest"), outs["bicubic"][:8],
        outs["sr-l1"][:8], outs["srgan"][:8], hr[:8]]
fig, axes = plt.subplots(1, 5, figsize=(15, 3.6))
for ax, x, title in zip(axes, show, ["LR (8x8)", "bicubic", "sr-l1", "srgan", "HR (32x32)"]):
    viz.show_images(x, nrow=2, title=title, ax=ax)
plt.tight_layout()
plt.show()

# %% [markdown]
# The check, the trade-off as measured numbers: the pixel-only model has the higher PSNR
# (it beats bicubic too), while SRGAN's high-frequency energy is closer to the real crops'.

# %%
gap = {k: abs(sr_hfe[k] - hfe_real) for k in ("sr-l1", "srgan")}
assert sr_psnr["sr-l1"] > sr_psnr["srgan"], "pixel-only should be closer in PSNR"
assert sr_psnr["sr-l1"] > sr_psnr["bicubic"], "sr-l1 should beat bicubic upsampling"
assert gap["srgan"] < gap["sr-l1"], "SRGAN's detail should be closer to the real crops'"

# %% [markdown]
# ## VQ-GAN: a codebook, a straight-through gradient, a patch critic
#
# A VQ-VAE (van den Oord et al. 2017) encodes an image into a grid of vectors $z_e$ and
# replaces each by its nearest codebook vector $e_k$, $k = \arg\min_j \|z_e - e_j\|$. The
# argmin has no gradient, so the decoder's gradient is copied **straight through** to the
# encoder: in code `z_q = z + (e - z).detach()`, whose value is $e_k$ and whose derivative
# in $z$ is the identity (`VQ.quantize`). Two more terms train the codebook: $\|\mathrm{sg}
# [z_e] - e\|^2$ moves the codes, $\beta \|z_e - \mathrm{sg}[e]\|^2$ ($\beta = 0.25$) keeps
# the encoder committed to them (`VQ.vq_losses`). Esser et al. (2021, VQGAN) add a
# PatchGAN on the reconstructions, weighted adaptively by the ratio of the two losses'
# gradient norms at the decoder's last layer (eq. 7, `VQ.adaptive_weight`).
#
# First the straight-through estimator itself, on a random map and codebook:

# %%
g = torch.Generator().manual_seed(0)
z = torch.randn(2, 4, 3, 3, generator=g, requires_grad=True)
book = torch.randn(16, 4, generator=g)
z_q, idx, e = VQ.quantize(z, book)
w = torch.randn(z.shape, generator=g)
(grad,) = torch.autograd.grad((w * z_q).sum(), z)
print(f"codes used by this map: {idx.unique().numel()}; |z_q - e|_max = {(z_q - e).abs().max():.1e}; "
      f"|grad - upstream|_max = {(grad - w).abs().max():.1e}")
torch.testing.assert_close(z_q, e)  # equal up to the rounding of z + (e - z)
assert torch.equal(grad, w)  # the gradient passes through unchanged

# %% [markdown]
# Now two autoencoders on the 16x16 digits, each 16x16 image becoming a 4x4 grid of codes
# from a book of 64: `vqgan-noadv` (the VQ-VAE: L1 + codebook + commitment) and `vqgan` (the
# same plus the PatchGAN hinge term). We measure reconstructions of the held-out digits:
# L1, PSNR, high-frequency energy, and FID of the reconstructions against the test digits
# (features of the shipped digits classifier); and how the codebook is used: the fraction
# of the 64 codes that occur, and the perplexity $\exp(-\sum_j p_j \log p_j)$ of the code
# frequencies (64 if all were equally used, 1 for a single code).

# %%
VQ_STEPS, VQ_WIDTH = pick(cpu=200, full=20_000), pick(cpu=16, full=64)
VQ_LR = pick(cpu=1e-3, full=2e-4)
digits_train, digits_test = data.digits(16, "train"), data.digits(16, "test")
judge = load_digits_net()
f_test = judge.features(digits_test.x)

t = time.perf_counter()
vq = {}
for name in ("vqgan-noadv", "vqgan"):
    game = fit(variants.build(name, (1, 16, 16), width=VQ_WIDTH, lr=VQ_LR), digits_train,
               VQ_STEPS, 32)
    with torch.no_grad():
        rec, codes, _, _ = game.nets["G"](digits_test.x)
    used, ppl = VQ.codebook_usage(codes, game.nets["G"].quantizer.codebook.shape[0])
    vq[name] = {"rec": rec, "l1": (rec - digits_test.x).abs().mean().item(),
                "psnr": psnr(rec, digits_test.x).mean().item(), "hfe": high_frequency_energy(rec),
                "fid": fid(f_test, judge.features(rec)), "used": used, "perplexity": ppl}
hfe_digits = high_frequency_energy(digits_test.x)
for k, v in vq.items():
    print(f"{k:12s} L1 {v['l1']:.4f}, PSNR {v['psnr']:.2f} dB, HF energy {v['hfe']:.4f} "
          f"(real {hfe_digits:.4f}), FID {v['fid']:.2f}; codes used {v['used']:.0%}, "
          f"perplexity {v['perplexity']:.1f}")
print(f"{VQ_STEPS} steps each, {time.perf_counter() - t:.1f} s")
results["VQ PSNR (noadv, adv)"] = (vq["vqgan-noadv"]["psnr"], vq["vqgan"]["psnr"])

# %%
fig, axes = plt.subplots(1, 3, figsize=(10, 3.6))
for ax, (x, title) in zip(axes, [(digits_test.x[:16], "test digits"),
                                 (vq["vqgan-noadv"]["rec"][:16], "VQ-VAE (no D)"),
                                 (vq["vqgan"]["rec"][:16], "VQ-GAN")]):
    viz.show_images(x, nrow=4, title=title, ax=ax)
plt.tight_layout()
plt.show()

# %% [markdown]
# The check: the adversarial term costs distortion (lower PSNR) and adds high-frequency
# energy; both codebooks are in use beyond a couple of codes (perplexity above 2).
# Only a fraction of the codes is used: with VQ-VAE's small uniform initialisation, codes
# that are never the nearest to any encoding get no gradient and stay dead (VQGAN's
# successors re-initialise them, or use k-means). Whether the sharper reconstructions are
# also *better* is for the FID to say; after this short cpu-budget run it is printed above,
# not asserted.

# %%
a, b = vq["vqgan"], vq["vqgan-noadv"]
assert b["psnr"] > a["psnr"], "the adversarial term should cost PSNR"
assert a["hfe"] > b["hfe"], "the adversarial term should add high-frequency energy"
assert min(a["perplexity"], b["perplexity"]) > 2, "a codebook collapsed to one or two codes"

# %% [markdown]
# ## TransGAN: a GAN without convolutions
#
# Jiang et al. (2021) build both networks from transformer encoder blocks,
# $x \leftarrow x + \mathrm{MSA}(\mathrm{LN}(x))$, $x \leftarrow x + \mathrm{MLP}(\mathrm{LN}
# (x))$. G turns $z$ into 16 tokens on a 4x4 grid with learned position embeddings, runs a
# block, and doubles the grid by **pixel shuffle** (each token's channels become a 2x2
# group of tokens), then a block at 8x8, and each final token emits a 2x2 patch of pixels.
# D cuts the image into 4x4 patches, embeds each linearly, prepends a [cls] token, adds
# position embeddings, and reads its logit off the [cls] token. Nothing in either net is a
# convolution; spatial structure comes only from the position embeddings and attention.

# %%
TG_STEPS, TG_DIM = pick(cpu=150, full=50_000), pick(cpu=32, full=128)
tg_game = variants.build("transgan", (1, 16, 16), dim=TG_DIM)
untrained_g = variants.build("transgan", (1, 16, 16), dim=TG_DIM, seed=1).nets["G"].eval()
n_conv = sum(isinstance(m, TG.CONV_TYPES) for net in tg_game.nets.values() for m in net.modules())
n_params = {k: sum(p.numel() for p in m.parameters()) for k, m in tg_game.nets.items()}
print(f"parameters: G {n_params['G']:,}, D {n_params['D']:,}; convolution modules: {n_conv}")
assert n_conv == 0

t = time.perf_counter()
fit(tg_game, digits_train, TG_STEPS, 32)
z = torch.randn(500, tg_game.nz, generator=torch.Generator().manual_seed(0))
with torch.no_grad():
    x_tg, x_untrained = tg_game.nets["G"](z), untrained_g(z)
fid_tg = fid(f_test, judge.features(x_tg))
fid_untrained = fid(f_test, judge.features(x_untrained))
fid_floor = fid(f_test, judge.features(digits_train.x))
conf_tg = judge.probs(x_tg).max(1).values.mean().item()
print(f"{TG_STEPS} steps, {time.perf_counter() - t:.1f} s")
print(f"FID vs test digits (digits-net features, 500 samples): TransGAN {fid_tg:.2f}, untrained G "
      f"{fid_untrained:.2f}, training digits {fid_floor:.2f}; judge confidence {conf_tg:.2f}")
results["TransGAN FID (trained, untrained)"] = (fid_tg, fid_untrained)
viz.show_images(x_tg[:64], nrow=8, title=f"TransGAN samples after {TG_STEPS} steps")
plt.show()

# %% [markdown]
# The check, two-sided: training must at least halve the untrained generator's FID, and no
# run this short can beat real digits (the training set's FID to the test set is the floor).

# %%
assert fid_tg < 0.5 * fid_untrained, "TransGAN did not learn the digits"
assert fid_tg > fid_floor, "closer than real digits: the metric is broken"

# %% [markdown]
# ## Closing note

# %%
from IPython.display import Markdown  # noqa: E402

print(f"notebook wall time {time.perf_counter() - T0:.0f} s")
Markdown(f"""
* **SRGAN** ({SR_STEPS} steps): PSNR {sr_psnr['sr-l1']:.2f} dB for the pixel-only model,
  {sr_psnr['srgan']:.2f} dB for SRGAN and {sr_psnr['bicubic']:.2f} dB for bicubic; high-frequency
  energy {sr_hfe['sr-l1']:.4f} (pixel-only), {sr_hfe['srgan']:.4f} (SRGAN), {hfe_real:.4f}
  (real). Less distortion and more realism pull apart.
* **VQ-GAN** ({VQ_STEPS} steps): PSNR {vq['vqgan-noadv']['psnr']:.2f} dB without and
  {vq['vqgan']['psnr']:.2f} dB with the adversarial term, HF energy {vq['vqgan-noadv']['hfe']:.4f}
  and {vq['vqgan']['hfe']:.4f} (real {hfe_digits:.4f}), reconstruction FID
  {vq['vqgan-noadv']['fid']:.2f} and {vq['vqgan']['fid']:.2f}; codebook use {vq['vqgan-noadv']['used']:.0%}
  and {vq['vqgan']['used']:.0%} of 64 codes, perplexity {vq['vqgan-noadv']['perplexity']:.1f} and
  {vq['vqgan']['perplexity']:.1f}.
* **TransGAN** ({TG_STEPS} steps, no convolutions): FID {fid_tg:.2f} against {fid_untrained:.2f}
  for the untrained G and {fid_floor:.2f} for real digits.
""")
