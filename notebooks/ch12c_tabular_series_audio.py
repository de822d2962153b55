# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 12c. Beyond the image GAN (3 of 3): tables, time series and sound
#
# The adversarial game does not care what a sample is. What changes from images to tables,
# series and sound is what the networks must respect: a table mixes multi-modal numbers
# with categories; a series has an order in time; a sound is a long 1D signal whose
# character lives in its spectrum. Each section below builds one small ganlab variant,
# trains it with the same `Trainer` as every other chapter, and checks one number against
# a baseline:
#
# 1. **CTGAN** (Xu et al. 2019) on the wine table: does a classifier trained on synthetic
#    rows work on real ones (TSTR), compared with training on real rows (TRTR) and on
#    rows whose columns were sampled independently?
# 2. **RGAN** (Esteban et al. 2017) on random sine waves, scored by TimeGAN's
#    discriminative score (Yoon et al. 2019) and the autocorrelation.
# 3. **WaveGAN** (Donahue et al. 2019) on synthetic tones, chirps and plucked strings,
#    scored by the distance between average log-power spectra.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Audio, display

from ganlab import data, metrics, variants
from ganlab import tabular as TB
from ganlab import timeseries as TS
from ganlab.budget import budget, pick
from ganlab.train import Trainer, sample_game

T0 = time.perf_counter()
torch.manual_seed(0)
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
print(f"budget: {budget()}, device: {DEVICE}")


def untrained_samples(game, n, seed=1):
    """Samples of a game's freshly initialised generator (the baseline of every check)."""
    return sample_game(game, game.nets, n, torch.device("cpu"), seed=seed)


# %% [markdown]
# ## 1. Tables: CTGAN
#
# A table is not an image: the columns of the wine data are on scales from 0.1 to 1,680,
# several are multi-modal, and two are categories (the cultivar, our label, and
# `magnesium_level`, a column **we derived** by cutting magnesium into terciles, so that
# the table has a category besides the label). CTGAN's answers:
#
# - **Mode-specific normalisation.** Fit a variational Gaussian mixture to each
#   continuous column; encode a value $c$ as the one-hot $\beta$ of a mode $k$ drawn from
#   its posterior $\rho_k \propto \pi_k \mathcal N(c; \eta_k, \phi_k)$, and the scalar
#   $\alpha = (c - \eta_k) / 4\phi_k$ within it. G emits $\alpha$ through tanh and $\beta$
#   through a Gumbel-softmax; decoding inverts exactly: $c = 4\phi_k \alpha + \eta_k$.
# - **Conditional vector and training-by-sampling.** Pick a discrete column, then one of
#   its categories with probability $\propto \log(1 + \text{count})$, show the critic a
#   real row of that category, and ask G for one too (a cross-entropy on G's logits for
#   that column keeps it honest). Rare categories get seen.
# - **A packed WGAN-GP critic** (PacGAN: 4 rows per critic input), as in the paper: the
#   critic regresses a score over mixed one-hot and scalar inputs, and the gradient
#   penalty keeps it smooth.

# %%
TAB_STEPS = pick(cpu=450, full=5000)
t = time.perf_counter()
wine_train, wine_test = data.wine_table("train"), data.wine_table("test")
tt = TB.TableTransformer().fit(wine_train)
modes = {wine_train.columns[j]: c.k for j, c in enumerate(tt.columns) if isinstance(c, TB.ModeNormalizer)}
print(f"{len(wine_train.x)} training rows, {len(wine_test.x)} held-out; encoded width {tt.width}")
print("modes per continuous column:", modes)
encoded = tt.encode(wine_train.x, np.random.default_rng(0))
round_trip = np.abs(tt.decode(encoded) - wine_train.x).max()
print(f"largest decode(encode(x)) error: {round_trip:.2e} (float32 encoding)")
assert round_trip < 1e-3 * np.abs(wine_train.x).max()

# %% [markdown]
# Proline, the column with the largest values, and its mixture: each value is
# represented relative to the mode it was assigned to.

# %%
j = wine_train.columns.index("proline")
col = tt.columns[j]
grid_x = np.linspace(wine_train.x[:, j].min() - 100, wine_train.x[:, j].max() + 100, 400)
dens = col.weights * np.exp(-0.5 * ((grid_x[:, None] - col.means) / col.stds) ** 2) / (
    col.stds * np.sqrt(2 * np.pi))
fig, ax = plt.subplots(figsize=(7, 3))
ax.hist(wine_train.x[:, j], bins=30, density=True, alpha=0.4, label="training rows")
ax.plot(grid_x, dens, lw=1)
ax.plot(grid_x, dens.sum(1), "k", lw=2, label=f"mixture of {col.k} modes")
ax.set_xlabel("proline")
ax.legend()
plt.show()

# %% [markdown]
# Training: the data the `Trainer` draws from is the `ConditionalSampler`, whose items
# are an encoded real row joined with the cond vector it was drawn for. The paper's Adam
# step is 2e-4; under the CPU budget we use 1e-3 for both nets to get there in a few
# hundred steps.

# %%
sampler = TB.ConditionalSampler.from_table(tt, wine_train, np.random.default_rng(0))
shape = (tt.width + sampler.n_cond,)
ctgan = variants.build("ctgan", shape, **tt.options(), lr_g=1e-3, lr_d=1e-3)
ctgan_untrained = variants.build("ctgan", shape, **tt.options(), lr_g=1e-3, lr_d=1e-3)
tab_trainer = Trainer(ctgan, sampler, steps=TAB_STEPS, batch=64, seed=0, device=DEVICE,
                      progress=False, log_every=10)
tab_trainer.fit()
torch.manual_seed(1)  # the Gumbel noise of sampling
synthetic = TB.decode_samples(tab_trainer.sample(1000, seed=1), tt, wine_train)
untrained_rows = TB.decode_samples(untrained_samples(ctgan_untrained, 1000), tt, wine_train)
naive = TB.independent_columns(wine_train, 1000, np.random.default_rng(0))
acc = {"TRTR (real rows)": TB.tstr_accuracy(wine_train, wine_test),
       "TSTR (CTGAN rows)": TB.tstr_accuracy(synthetic, wine_test),
       "untrained G rows": TB.tstr_accuracy(untrained_rows, wine_test),
       "independent columns": TB.tstr_accuracy(naive, wine_test)}
majority = np.bincount(wine_test.y).max() / len(wine_test.y)
for k, v in acc.items():
    print(f"{k:>22}: held-out accuracy {v:.3f}")
print(f"{'majority class':>22}: {majority:.3f};  section time {time.perf_counter() - t:.1f} s")

# %% [markdown]
# The check: the logistic regression trained on CTGAN's rows must beat the one trained on
# independently sampled columns (which keep every marginal but lose the link between
# the measurements and the cultivar) and the majority class, by a margin of 10 points.

# %%
tstr, indep = acc["TSTR (CTGAN rows)"], acc["independent columns"]
assert tstr > max(indep, majority) + 0.1, (tstr, indep, majority)
print(f"TSTR {tstr:.3f} vs TRTR {acc['TRTR (real rows)']:.3f} vs independent columns {indep:.3f}")
real_share = np.bincount(wine_train.y, minlength=3) / len(wine_train.y)
syn_share = np.bincount(synthetic.y, minlength=3) / len(synthetic.y)
print("cultivar shares, real:", np.round(real_share, 2), " synthetic:", np.round(syn_share, 2))

# %% [markdown]
# ## 2. Time series: a recurrent GAN
#
# RGAN feeds G a fresh noise vector at every time step through a GRU and emits one value
# per step; D is a GRU too and says "real or fake" at *every* step, the loss averaged over
# steps. The data: sine waves of 24 steps with random amplitude (0.3 to 1), frequency
# (periods of 8 to 50 steps) and phase, drawn fresh for every batch (`data.SINES` is a
# sampler, like the 2D toys).
#
# The score: TimeGAN's **discriminative score**. Train a fresh GRU classifier on real vs
# generated series, test it on held-out ones; $|\text{accuracy} - 0.5|$ is 0 when it
# cannot tell them apart and 0.5 when it always can.

# %%
TS_STEPS = pick(cpu=400, full=5000)
t = time.perf_counter()
rgan = variants.build("rgan", (24, 1), tanh=True, lr_g=2e-3, lr_d=2e-3)
rgan_untrained = variants.build("rgan", (24, 1), tanh=True)
ts_trainer = Trainer(rgan, data.SINES, steps=TS_STEPS, batch=64, seed=0, device=DEVICE,
                     progress=False, log_every=10)
ts_trainer.fit()
real_series = data.SINES.sample(500, torch.Generator().manual_seed(123))
fake_series = ts_trainer.sample(500, seed=1)
untrained_series = untrained_samples(rgan_untrained, 500)
score = {name: TS.discriminative_score(real_series, x, steps=150)
         for name, x in [("trained", fake_series), ("untrained", untrained_series)]}
acf = {name: TS.acf_distance(real_series, x, 12)
       for name, x in [("trained", fake_series), ("untrained", untrained_series)]}
for name in score:
    print(f"{name:>9} G: discriminative score {score[name]:.3f}, "
          f"mean |ACF difference| over lags 1-12 {acf[name]:.3f}")
print(f"section time {time.perf_counter() - t:.1f} s")

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 3))
for ax, (name, x) in zip(axes[:2], [("real", real_series), ("RGAN", fake_series)]):
    ax.plot(x[:6, :, 0].T.numpy())
    ax.set_title(f"{name} series")
lags = np.arange(1, 13)
for name, x in [("real", real_series), ("trained G", fake_series), ("untrained G", untrained_series)]:
    axes[2].plot(lags, TS.autocorrelation(x, 12).numpy(), "o-", label=name)
axes[2].set_xlabel("lag")
axes[2].set_title("autocorrelation")
axes[2].legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# The check: the trained generator's discriminative score is lower than the untrained
# one's, and so is its autocorrelation mismatch. A short run learns smooth oscillations
# of the right scale; the full budget brings the score down further.

# %%
assert score["trained"] < score["untrained"], score
assert acf["trained"] < acf["untrained"], acf
print(f"discriminative score: trained {score['trained']:.3f} < untrained {score['untrained']:.3f}")

# %% [markdown]
# ## 3. Sound: WaveGAN
#
# WaveGAN is DCGAN flattened to 1D: G upsamples a dense projection of z by 4 per layer
# with transposed convolutions, D downsamples with stride-4 convolutions. Transposed
# convolutions with stride 4 leave periodic artefacts, a pitch at the sampling rate
# divided by 4, that D could key on; **phase shuffle** shifts D's activations by a random
# $-n..n$ samples per example (reflection at the edges) so it cannot.
#
# The data: 512 clips of 1,024 samples at 8 kHz, a third each pure tones, linear chirps
# and Karplus–Strong plucked strings (a noise burst recirculated through a two-tap
# averaging delay line). The score: the **log-spectral distance**, the RMS over frequency
# bins of the dB difference between the real and generated average power spectra
# (`ganlab.metrics.log_spectral_distance`).
#
# Deviations for the CPU budget: kernel 9 (the paper's 25), 3 upsampling layers, model
# size 8, and the hinge loss with one D step per G step instead of WGAN-GP with five.

# %%
AUDIO_STEPS = pick(cpu=800, full=20_000)
RATE, LENGTH = 8000, 1024
t = time.perf_counter()
sounds = data.sounds(n=512, length=LENGTH, rate=RATE)
opts = dict(layers=3, kernel=9, width=8, loss="hinge", gp=0.0, n_critic=1, lr_g=1e-3, lr_d=1e-3)
wavegan = variants.build("wavegan", (1, LENGTH), **opts)
wavegan_untrained = variants.build("wavegan", (1, LENGTH), **opts)
au_trainer = Trainer(wavegan, sounds, steps=AUDIO_STEPS, batch=16, seed=0, device=DEVICE,
                     progress=False, log_every=20)
au_trainer.fit()
fake_audio = au_trainer.sample(256, seed=1)
untrained_audio = untrained_samples(wavegan_untrained, 256)
lsd = {"trained": metrics.log_spectral_distance(sounds.x, fake_audio),
       "untrained": metrics.log_spectral_distance(sounds.x, untrained_audio)}
print(f"log-spectral distance to the real clips: trained G {lsd['trained']:.2f} dB, "
      f"untrained G {lsd['untrained']:.2f} dB; section time {time.perf_counter() - t:.1f} s")

# %%
freqs = np.fft.rfftfreq(256, 1 / RATE)
fig, axes = plt.subplots(1, 2, figsize=(13, 3.2))
for name, x in [("real", sounds.x), ("trained G", fake_audio), ("untrained G", untrained_audio)]:
    axes[0].plot(freqs, 10 * np.log10(metrics.power_spectrum(x).numpy() + 1e-10), label=name)
axes[0].set_xlabel("Hz")
axes[0].set_ylabel("dB")
axes[0].set_title("average power spectrum")
axes[0].legend()
axes[1].plot(np.arange(LENGTH) / RATE, sounds.x[2, 0].numpy(), label="real (pluck)")
axes[1].plot(np.arange(LENGTH) / RATE, fake_audio[0, 0].numpy(), label="generated", alpha=0.7)
axes[1].set_xlabel("s")
axes[1].legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# Listen: eight real clips, then eight generated ones, each followed by a short silence.


# %%
def strip(x):
    gap = torch.zeros(x.shape[0], 1, LENGTH // 2)
    return torch.cat([x, gap], -1).flatten().numpy()


display(Audio(strip(sounds.x[:8]), rate=RATE, normalize=False))
display(Audio(strip(fake_audio[:8]), rate=RATE, normalize=False))

# %% [markdown]
# The check: the trained generator's average spectrum is closer to the real one than the
# untrained generator's.

# %%
assert lsd["trained"] < lsd["untrained"], lsd
print(f"spectral distance: trained {lsd['trained']:.2f} dB < untrained {lsd['untrained']:.2f} dB")

# %% [markdown]
# ## Summary
#
# One `Trainer`, three kinds of data. What changed was only what each variant is made
# of: the data transform and the conditional sampler for tables, recurrent nets for
# series, 1D convolutions and phase shuffle for sound; and each needed its own way of
# scoring samples, since no Inception network judges a wine, a sine or a chirp.

# %%
print(f"notebook time: {time.perf_counter() - T0:.1f} s")
