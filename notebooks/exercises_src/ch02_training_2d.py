# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 2 exercises — one training step by hand
#
# `ganlab.train.Trainer` runs a game's phases in order. For the plain GAN
# (`variants.build("gan", ...)`) one step is:
#
# 1. **D phase** — a real batch $x$ and latents $z$; fakes $G(z)$ computed without a graph
#    to G; minimise `losses.d_loss(D(x), D(G(z)))` $= -\log\sigma(D(x)) - \log(1-\sigma(D(G(z))))$
#    with D's optimiser;
# 2. **G phase** — fresh latents $z'$; minimise `losses.g_nonsaturating(D(G(z')))` with G's
#    optimiser (D is not updated).
#
# Write both updates. The check cells run the trainer's own step and compare every
# parameter of your D and G with the trainer's.

# %%
import copy

import torch

from ganlab import data, losses, variants
from ganlab.train import Trainer


class Recorder:
    """The ring, remembering every batch the trainer draws from it."""

    def __init__(self, base):
        self.base, self.batches = base, []

    def sample(self, n, generator=None):
        self.batches.append(self.base.sample(n, generator=generator))
        return self.batches[-1]


ring = Recorder(data.ring(sigma=0.05))
game = variants.build("gan", (2,), width=32, depth=2, lr_g=1e-3, lr_d=4e-3)
trainer = Trainer(game, ring, steps=1, batch=128, seed=0, progress=False, device="cpu")

# copies of the nets before the step, with optimisers configured like the trainer's
G, D = copy.deepcopy(game.nets["G"]), copy.deepcopy(game.nets["D"])
opt_d = torch.optim.Adam(D.parameters(), lr=game.teams["D"].lr, betas=game.teams["D"].betas)
opt_g = torch.optim.Adam(G.parameters(), lr=game.teams["G"].lr, betas=game.teams["G"].betas)

# run the trainer's step, recording the latents it draws (Step.z calls trainer.latent)
latents, latent = [], trainer.latent
trainer.latent = lambda n: latents.append(latent(n)) or latents[-1]
trainer.train_step()
(real,), (z_d, z_g) = ring.batches, latents
print(f"real {tuple(real.shape)}, z for D {tuple(z_d.shape)}, z for G {tuple(z_g.shape)}")

# %% [markdown]
# ## Exercise 1 — the discriminator's update

# %%
def my_d_step(G, D, opt_d, real, z):
    """One update of D on a real batch (B, 2) and latents z (B, nz); returns D's loss."""
    # BEGIN SOLUTION hint: fakes under torch.no_grad(), then zero_grad, backward, step
    with torch.no_grad():
        fake = G(z)  # (B, 2)
    loss = losses.d_loss(D(real), D(fake))
    opt_d.zero_grad()
    loss.backward()
    opt_d.step()
    return loss
    # END SOLUTION


# %% tags=["check"]
D_before = copy.deepcopy(D)
loss_d = my_d_step(G, D, opt_d, real, z_d)
for (name, mine), ref in zip(D.named_parameters(), game.nets["D"].parameters()):
    torch.testing.assert_close(mine, ref, msg=lambda m, n=name: f"D.{n} differs: {m}")
moved = max((a - b).abs().max().item() for a, b in zip(D.parameters(), D_before.parameters()))
assert moved > 0, "D did not change"
print(f"Exercise 1: correct (D loss {loss_d.item():.4f})")

# %% [markdown]
# ## Exercise 2 — the generator's update

# %%
def my_g_step(G, D, opt_g, z):
    """One update of G against D (not updated) on latents z (B, nz); returns G's loss."""
    # BEGIN SOLUTION hint: the non-saturating loss of D's logits on G(z)
    loss = losses.g_nonsaturating(D(G(z)))
    opt_g.zero_grad()
    loss.backward()
    opt_g.step()
    return loss
    # END SOLUTION


# %% tags=["check"]
D_after = copy.deepcopy(game.nets["D"])  # the D that the trainer's G phase faced
G_before = copy.deepcopy(G)
loss_g = my_g_step(G, D_after, opt_g, z_g)
for (name, mine), ref in zip(G.named_parameters(), game.nets["G"].parameters()):
    torch.testing.assert_close(mine, ref, msg=lambda m, n=name: f"G.{n} differs: {m}")
for a, b in zip(D_after.parameters(), game.nets["D"].parameters()):
    torch.testing.assert_close(a, b, msg="the G step must not change D")
moved = max((a - b).abs().max().item() for a, b in zip(G.parameters(), G_before.parameters()))
assert moved > 0, "G did not change"
print(f"Exercise 2: correct (G loss {loss_g.item():.4f})")
