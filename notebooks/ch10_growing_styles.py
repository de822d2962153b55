# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 10. Growing and styles
#
# Four papers from one group turned the DCGAN into the generators behind photorealistic faces.
# Each piece below lives once in `ganlab.style` and is trained, when it is trained, by the one
# loop of `ganlab.train`:
#
# - **Progressive GAN** (Karras et al. 2018): grow from 4x4 with fade-in, equalised lr, pixel
#   norm, minibatch stddev: `ProGenerator`, `ProDiscriminator`, variant `progan`.
# - **StyleGAN** (2019): mapping z -> w, constant input, AdaIN, noise, style mixing,
#   truncation in W: `MappingNetwork`, `adain`, `NoiseInput`, `mix_styles`, `truncate`.
# - **StyleGAN2** (2020): modulated/demodulated conv, skip G, residual D, path length,
#   lazy R1: `modulated_conv2d`, `StyleGenerator`, `ResidualDiscriminator`, variant `stylegan2`.
# - **StyleGAN3** (2021): Fourier-feature input, filtered non-linearity, EQ-T:
#   `fourier_features`, `filtered_lrelu`, `eq_t`.
#
# Every number in the text is computed by this notebook under the active budget.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from ganlab import data, style, variants, viz
from ganlab.budget import budget, pick
from ganlab.features import load_faces_net
from ganlab.metrics.fid import fid
from ganlab.metrics.prdc import precision_recall
from ganlab.train import Trainer
from ganlab.widgets import Slider, slider_plot

print(f"budget: {budget()}")
torch.manual_seed(0)
faces_train, faces_test = data.faces(16, "train"), data.faces(16, "test")
print(f"{len(faces_train)} training and {len(faces_test)} held-out faces, 16x16")

# %% [markdown]
# ## 1. Progressive growing: fade-in keeps D's loss continuous
#
# ProGAN trains at 4x4 first, then adds an 8x8 block to G and D. A new block starts random;
# switched on at once it would hand D images it has never seen. Instead it is blended in,
# $x = (1-\alpha)\,\mathrm{up}(\text{old}) + \alpha\,\text{new}$, with $\alpha$ going from 0 to 1.
# At $\alpha = 0$ the grown G outputs the upsampled old image and the grown D sees the
# pooled input through its old path, so D's loss cannot jump. We train the `progan` variant at
# 4x4 and measure D's loss on one fixed batch across the growth step.

# %%
pro = variants.build("progan", (1, 16, 16), width=16, phase_steps=10_000)
Trainer(pro, faces_train, steps=pick(cpu=100, full=1000), batch=32, ema_decay=0.0,
        progress=False).fit()
G, D = pro.nets["G"].eval(), pro.nets["D"].eval()
g = torch.Generator().manual_seed(1)
z, real = torch.randn(64, pro.nz, generator=g), faces_train.x[:64]


@torch.no_grad()
def d_loss(stage, alpha):
    for net in (G, D):
        net.stage.fill_(stage)
        net.alpha.fill_(alpha)
    # -log sigmoid(D(x)) - log(1 - sigmoid(D(G(z))))
    return float(F.softplus(-D(real)).mean() + F.softplus(D(G(z))).mean())


before = d_loss(0, 1.0)
alphas = np.linspace(0, 1, 11)
after = [d_loss(1, a) for a in alphas]
jump_fade, jump_switch = abs(after[0] - before), abs(after[-1] - before)
plt.figure(figsize=(4, 3))
plt.plot(alphas, after, "o-", label="grown to 8x8, loss vs alpha")
plt.axhline(before, color="k", ls="--", label="at 4x4 before growing")
plt.xlabel("alpha")
plt.ylabel("D loss")
plt.legend()
plt.show()
assert jump_fade < 1e-4 < jump_switch
print(f"D loss at 4x4: {before:.4f}; grown, alpha=0: {after[0]:.4f} (jump {jump_fade:.1e}); "
      f"alpha=1 at once: {after[-1]:.4f} (jump {jump_switch:.3f})")

# %% [markdown]
# The bound we state and assert: at the growth step ($\alpha = 0$) D's loss moves by less
# than $10^{-4}$ (it is equal up to rounding); switching the new block on at once moves it
# by the amount printed as "alpha=1 at once". Equalised learning rate (weights drawn from N(0, 1) and
# scaled by $\sqrt{2/\text{fan-in}}$ at run time, so Adam's step is the same size for every
# layer) and pixel norm are in `style.EqualConv2d` and `style.pixel_norm`.
#
# ## 2. AdaIN and weight demodulation
#
# StyleGAN's AdaIN normalises each feature map of each sample and then applies the style's
# scale and bias, $\mathrm{AdaIN}(x_i, y) = y_{s,i}\,(x_i - \mu(x_i))/\sigma(x_i) + y_{b,i}$. It erases
# the magnitudes of the maps, and G learned to smuggle information past it in a spike: the
# "blob" artefact. StyleGAN2 moves the style into the weights (modulation,
# $w'_{ijk} = s_i w_{ijk}$) and rescales each output map by the expected norm instead of the
# measured one (demodulation, $w''_{ijk} = w'_{ijk}/\sqrt{\sum_{i,k} w'^2_{ijk} + \epsilon}$).
# On unit-variance random inputs the output variance is then 1 whatever the style.

# %%
torch.manual_seed(0)
x = torch.randn(32, 32, 12, 12)  # (B, I, H, W)
w = torch.randn(32, 32, 3, 3)  # (O, I, k, k)
scales = [0.1, 0.3, 1.0, 3.0, 10.0]
var_mod, var_demod = [], []
for sc in scales:
    s = sc * (0.5 + torch.rand(32, 32))  # styles (B, I)
    var_mod.append(style.modulated_conv2d(x, w, s, False)[..., 1:-1, 1:-1].var().item())
    var_demod.append(style.modulated_conv2d(x, w, s, True)[..., 1:-1, 1:-1].var().item())
ada = style.adain(x, 3 * torch.ones(32, 32), torch.zeros(32, 32)).var().item()
plt.figure(figsize=(4, 3))
plt.loglog(scales, var_mod, "o-", label="modulated only")
plt.loglog(scales, var_demod, "s-", label="modulated + demodulated")
plt.xlabel("style scale")
plt.ylabel("output variance (interior)")
plt.legend()
plt.show()
assert max(abs(v - 1) for v in var_demod) < 0.1
print("variance, modulated only:", ", ".join(f"{v:.3g}" for v in var_mod))
print("variance, demodulated:   ", ", ".join(f"{v:.3f}" for v in var_demod))
print(f"AdaIN with y_s = 3: variance {ada:.3f} (exactly y_s^2 = 9 per map, whatever the input)")

# %% [markdown]
# ## 3. A small StyleGAN2 on faces
#
# The `stylegan2` variant is data for the one trainer: D and G phases with the logistic loss,
# an R1 phase with `every=16` (lazy regularisation, its loss multiplied by `ctx.lazy_scale`),
# and a path-length phase with `every=4`. The generator maps z to w with a 2-layer mapping
# network (8 in the paper), starts from a learned constant, and mixes the styles of two
# latents in 90% of the training batches.

# %%
STEPS, WIDTH = pick(cpu=500, full=20_000), pick(cpu=16, full=64)
torch.manual_seed(0)
sg = variants.build("stylegan2", (1, 16, 16), width=WIDTH, w_dim=32)
t0 = time.perf_counter()
trainer = Trainer(sg, faces_train, steps=STEPS, batch=pick(cpu=16, full=32), ema_decay=0.99,
                  progress=False, log_every=25)
hist = trainer.fit()
train_s = time.perf_counter() - t0
Gs = trainer.ema["G"].cpu().eval()  # the EMA copy; its w_avg buffer follows the trained G's
print("phases:", ", ".join(f"{ph.name} (team {ph.team}, every {ph.every})" for ph in sg.phases))
print(f"{STEPS} steps in {train_s:.0f} s; last D loss {hist[-1]['D/loss']:.3f}, "
      f"path-length mean a = {float(sg.state['pl_mean']):.3f}")
viz.show_images(Gs(torch.randn(32, sg.nz, generator=torch.Generator().manual_seed(0))), nrow=8,
                title="StyleGAN2 samples (EMA)")
plt.show()

# %% [markdown]
# ## 4. Style mixing and truncation
#
# Each layer takes its own copy of w. Rows take the coarse styles (the 4x4 and 8x8 layers,
# `crossover = 3` of the generator's `num_ws` styles) from one latent, columns the fine styles
# from another.

# %%
g = torch.Generator().manual_seed(3)
with torch.no_grad():
    wa, wb = Gs.map(torch.randn(4, sg.nz, generator=g)), Gs.map(torch.randn(4, sg.nz, generator=g))
    grid = [Gs.synthesis(style.mix_styles(Gs.broadcast(wa[i : i + 1]), Gs.broadcast(wb[j : j + 1]), 3))
            for i in range(4) for j in range(4)]
viz.show_images(torch.cat(grid), nrow=4, title=f"coarse from rows, fine from columns ({Gs.num_ws} styles)")
plt.show()

# %% [markdown]
# Truncation pulls w towards the average $\bar w$ (tracked during training):
# $w' = \bar w + \psi (w - \bar w)$. Quality goes up and diversity down as $\psi \to 0$; we measure
# FID against the training faces, diversity as the mean pairwise feature distance, and
# precision (quality) and recall (coverage) with k = 3 neighbours, all in the shipped faces
# network's features (32x32, so images are upsampled).

# %%
net = load_faces_net()
up = lambda t: F.interpolate(t, size=32, mode="bilinear", align_corners=False).clamp(-1, 1)  # noqa: E731
real_f = net.features(up(faces_train.x)).numpy()
psis = [0.0, 0.25, 0.5, 0.75, 1.0]
z = torch.randn(pick(cpu=200, full=2000), sg.nz, generator=torch.Generator().manual_seed(5))
fids, divs, precs, recs, rows = [], [], [], [], []
with torch.no_grad():
    for psi in psis:
        imgs = Gs(z, psi=psi)
        f = net.features(up(imgs))
        fids.append(fid(real_f, f.numpy()))
        divs.append(torch.pdist(f).mean().item())
        p_, r_ = precision_recall(real_f, f.numpy(), k=3)
        precs.append(p_)
        recs.append(r_)
        rows.append(imgs[:8])
viz.show_images(torch.cat(rows), nrow=8, title="psi = 0, 0.25, 0.5, 0.75, 1 (rows)")
plt.show()
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(9, 3))
ax.plot(divs, fids, "o-")
for p, d_, f_ in zip(psis, divs, fids):
    ax.annotate(f"psi={p}", (d_, f_))
ax.set_xlabel("diversity (mean pairwise feature distance)")
ax.set_ylabel("FID (faces net)")
ax2.plot(psis, precs, "o-", label="precision (quality)")
ax2.plot(psis, recs, "s-", label="recall (coverage)")
ax2.set_xlabel("psi")
ax2.legend()
plt.show()
assert divs[0] < 1e-3 < divs[-1]  # psi = 0: every image is G(w_avg)
print("psi:      ", psis)
print("FID:      ", [round(v, 2) for v in fids])
print("diversity:", [round(v, 3) for v in divs])
print("precision:", [round(v, 3) for v in precs])
print("recall:   ", [round(v, 3) for v in recs])
best = psis[int(np.argmin(fids))]
assert recs[0] < recs[-1]
print(f"psi 1 -> 0: precision {precs[-1]:.2f} -> {precs[0]:.2f}, recall {recs[-1]:.2f} -> "
      f"{recs[0]:.2f}. FID is lowest at psi={best}: it compares whole distributions, so on this "
      f"small model the coverage truncation removes costs more than the quality it adds.")

# %% [markdown]
# With a live notebook, the sliders below redraw at once: `psi` truncates eight samples,
# `crossover` sets how many styles (from the coarsest) come from the first latent of each
# mixed pair. They drive the generator that ships with ganlab
# (`style.load_pretrained_faces()`, trained longer by `scripts/train_style_generator.py`;
# its record is printed below), so they respond without training anything. Without a front
# end (nbval, the book) the figure is drawn once at the defaults.

# %%
G_shipped = style.load_pretrained_faces()
print("shipped generator:", {k: v for k, v in style.pretrained_record().items()
                             if k in ("steps", "seconds", "bytes", "fid_faces_net")})
zw = torch.randn(16, G_shipped.nz, generator=torch.Generator().manual_seed(11))


def draw_styles(fig, psi, crossover):
    G = G_shipped
    with torch.no_grad():
        w1, w2 = G.map(zw[:8], psi=psi), G.map(zw[8:], psi=psi)
        mixed = G.synthesis(style.mix_styles(G.broadcast(w1), G.broadcast(w2), int(crossover)))
        rows = torch.cat([G.synthesis(G.broadcast(w1)), mixed, G.synthesis(G.broadcast(w2))])
    viz.show_images(rows.clamp(-1, 1), nrow=8, ax=fig.add_subplot(111),
                    title=f"psi={psi:.2f}; middle row: {int(crossover)} coarse styles from the top row")


_ = slider_plot(draw_styles, {"psi": Slider(0.0, 1.0, 0.05, 0.7, "psi"),
                          "crossover": Slider(0, G_shipped.num_ws, 1, 3, "crossover")}, figsize=(8, 3.5))

# %% [markdown]
# ## 5. Projection of a held-out face into W
#
# `style.project` starts at $\bar w$ and runs Adam on the pixel error of G(w) (the paper uses
# LPIPS and optimises the noise maps too). The face below was never shown to G.

# %%
target = faces_test.x[:1]  # (1, 1, 16, 16)
w_hat, proj_hist = style.project(Gs, target, steps=pick(cpu=150, full=1000), lr=0.05)
with torch.no_grad():
    recon = Gs.synthesis(Gs.broadcast(w_hat))
    mse_avg = (Gs.synthesis(Gs.broadcast(Gs.w_avg[None])) - target).square().mean().item()
mse = (recon - target).square().mean().item()
psnr_proj = 10 * np.log10(4 / mse)  # peak-to-peak 2 for images in [-1, 1]
viz.show_images(torch.cat([target, recon]), nrow=2, title="held-out face, projection")
plt.show()
assert mse < mse_avg
print(f"reconstruction MSE {mse:.4f} ({psnr_proj:.1f} dB), from {mse_avg:.4f} at w_avg")

# %% [markdown]
# ## 6. Translation equivariance: StyleGAN2-style vs alias-free layers
#
# StyleGAN3 asks a generator to be equivariant: translate the input by $t$ and the image
# translates by $t$. A pointwise leaky ReLU creates frequencies above Nyquist that alias back,
# so sub-pixel translations of the input are not translations of the output. The filtered
# non-linearity upsamples 2x, applies the leaky ReLU, low-passes and downsamples. Below, one
# stack of circular 3x3 convolutions on a Fourier-feature input, with the same weights and
# inputs, run with each non-linearity; EQ-T is the PSNR between G(translated input) and
# translated G(input).

# %%
toy = style.ToyStack(seed=0)
shifts = [(0.5, 0.0), (0.0, 0.5), (0.25, 0.75), (1.5, 2.25)]
eqt_plain = style.eq_t(toy, shifts)
toy.filtered = True
eqt_free = style.eq_t(toy, shifts)
assert eqt_free > eqt_plain + 20
print(f"EQ-T: StyleGAN2-style (pointwise leaky ReLU) {eqt_plain:.1f} dB, "
      f"alias-free (filtered leaky ReLU) {eqt_free:.1f} dB")

# %%
print(f"""Closing note (budget {budget()}):
- fade-in: D loss {before:.4f} at 4x4; at alpha=0 after growing it moves by {jump_fade:.1e}
  (bound 1e-4); switching the block on at once moves it by {jump_switch:.3f}.
- demodulation: output variance {min(var_demod):.3f}-{max(var_demod):.3f} over style scales
  {scales[0]}-{scales[-1]}, against {min(var_mod):.3g}-{max(var_mod):.3g} without it.
- StyleGAN2 on {len(faces_train)} faces, 16x16, width {WIDTH}: {STEPS} steps in {train_s:.0f} s.
- truncation: FID {fids[-1]:.2f} at psi=1, {fids[2]:.2f} at psi=0.5, {fids[0]:.2f} at psi=0;
  diversity {divs[-1]:.3f} -> {divs[2]:.3f} -> {divs[0]:.3f}; precision {precs[-1]:.2f} ->
  {precs[2]:.2f} -> {precs[0]:.2f}; recall {recs[-1]:.2f} -> {recs[2]:.2f} -> {recs[0]:.2f}.
- projection of a held-out face: MSE {mse:.4f} ({psnr_proj:.1f} dB) from {mse_avg:.4f} at w_avg.
- EQ-T: {eqt_plain:.1f} dB (pointwise) vs {eqt_free:.1f} dB (alias-free).""")
