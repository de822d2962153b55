# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 8 exercises — image-to-image translation
#
# Write the four functions below. Each `raise NotImplementedError("TODO: ...")` marks where
# your code goes. After each one, run the **check** cell that follows: it compares your
# function with ganlab's own (`ganlab.translation`) and raises an `AssertionError` saying
# what is wrong.
#
# Images are tensors `(B, C, H, W)` in [-1, 1].

# %%
import torch

from ganlab import translation

torch.manual_seed(0)

# %% [markdown]
# ## Exercise 1 — the cycle-consistency loss
#
# CycleGAN's generators $G_{AB}$ and $G_{BA}$ must undo each other. Return
# $\mathbb{E}\lVert G_{BA}(G_{AB}(a)) - a\rVert_1 + \mathbb{E}\lVert G_{AB}(G_{BA}(b)) - b\rVert_1$,
# each term the mean absolute error per pixel (a scalar tensor).

# %%
def my_cycle_loss(G_AB, G_BA, a, b):
    """Generators G_AB (A -> B), G_BA (B -> A), batches a, b -> scalar cycle loss."""
    # BEGIN SOLUTION hint: translate a to B and back to A (and b the other way); mean |difference|
    return (G_BA(G_AB(a)) - a).abs().mean() + (G_AB(G_BA(b)) - b).abs().mean()
    # BLANK: return (G_BA(G_AB(a)) - a).abs().mean()
    # END SOLUTION


# %% tags=["check"]
G_AB, G_BA = translation.ResnetGenerator(1, 1, 4, 1), translation.ResnetGenerator(1, 1, 4, 1)
a, b = torch.rand(4, 1, 16, 16) * 2 - 1, torch.rand(4, 1, 16, 16) * 2 - 1
cfg = translation.CycleGANConfig(channels_a=1)
ref = translation.cyclegan_generator_loss({"G_AB": G_AB, "G_BA": G_BA}, a, b, cfg,
                                          lambda x, n: torch.zeros(4, 1, 2, 2))["cycle"]
mine = my_cycle_loss(G_AB, G_BA, a, b)
assert torch.is_tensor(mine) and mine.shape == (), "return a scalar tensor"
torch.testing.assert_close(mine.detach(), ref, msg="your cycle loss differs from ganlab's")
print("Exercise 1: correct")

# %% [markdown]
# ## Exercise 2 — spatially-adaptive normalisation
#
# SPADE normalises each channel of each image to zero mean and unit variance over its
# pixels (the biased variance, with `eps` added under the square root), then scales and
# shifts it per pixel: $(1 + \gamma) \odot \frac{h - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta$,
# where $\gamma$ and $\beta$ have $h$'s shape `(B, C, H, W)` (SPADE predicts them from the
# label map).

# %%
def my_spade_norm(h, gamma, beta, eps=1e-5):
    """h, gamma, beta (B, C, H, W) -> (B, C, H, W)."""
    # BEGIN SOLUTION hint: mean and var over dims (2, 3), keepdim=True, unbiased=False
    mu = h.mean((2, 3), keepdim=True)  # (B, C, 1, 1)
    var = h.var((2, 3), keepdim=True, unbiased=False)
    return (1 + gamma) * (h - mu) / torch.sqrt(var + eps) + beta
    # BLANK: return torch.nn.functional.instance_norm(h, eps=eps) + beta
    # END SOLUTION


# %% tags=["check"]
g = torch.Generator().manual_seed(1)
h, gamma, beta = (torch.randn(2, 3, 6, 5, generator=g, dtype=torch.float64) for _ in range(3))
mine = my_spade_norm(h, gamma, beta)
assert torch.is_tensor(mine) and mine.shape == h.shape, f"expected shape {tuple(h.shape)}"
torch.testing.assert_close(mine, translation.spade_norm(h, gamma, beta),
                           msg="your normalisation differs from ganlab's spade_norm")
layer = translation.SPADE(3, 4, hidden=8).double()
labels = torch.nn.functional.one_hot(torch.randint(0, 4, (2, 6, 5), generator=g), 4)
labels = labels.permute(0, 3, 1, 2).double()
torch.testing.assert_close(my_spade_norm(h, *layer.modulation(h, labels)), layer(h, labels),
                           msg="with a SPADE layer's gamma and beta, your output differs")
print("Exercise 2: correct")

# %% [markdown]
# ## Exercise 3 — the PatchGAN's receptive field
#
# A PatchGAN outputs one logit per patch. How wide is the patch one logit sees? Given the
# stack of convolutions as `(kernel, stride)` pairs, input to output, return the side of
# the receptive field in input pixels. (One output pixel sees 1 pixel; a layer of kernel k
# widens the field by k - 1 of *its input's* pixels, each of which is as far apart in the
# input image as the product of the strides before it.) pix2pix's PatchGAN,
# `[(4, 2), (4, 2), (4, 2), (4, 1), (4, 1)]`, sees 70x70 patches.

# %%
def my_receptive_field(layers):
    """layers: list of (kernel, stride), input to output -> receptive field side (int)."""
    # BEGIN SOLUTION hint: r = 1, jump = 1; for each layer r += (k - 1) * jump, then jump *= s
    r, jump = 1, 1
    for k, s in layers:
        r += (k - 1) * jump
        jump *= s
    return r
    # BLANK: return sum(k for k, s in layers)
    # END SOLUTION


# %% tags=["check"]
assert my_receptive_field([(4, 2), (4, 2), (4, 2), (4, 1), (4, 1)]) == 70, "pix2pix's is 70"
for n in (1, 2, 4):
    D = translation.PatchGAN(3, 8, n)
    assert my_receptive_field(D.layer_specs()) == translation.receptive_field(D.layer_specs()), \
        f"wrong for a PatchGAN with {n} stride-2 layers"
assert my_receptive_field([(3, 1)] * 3 + [(5, 3)]) == translation.receptive_field([(3, 1)] * 3 + [(5, 3)])
print("Exercise 3: correct")

# %% [markdown]
# ## Exercise 4 — the image pool
#
# D is shown a history of fakes rather than only the latest ones. Complete `query`: for
# each image of the batch in order, if the pool holds fewer than `size` images, append
# (a clone of) it and return it; otherwise draw `u = torch.rand((), generator=self.g)`,
# and if `u < 0.5` draw `i = int(torch.randint(len(self.images), (), generator=self.g))`,
# return the stored image `i` and put the new image in its place; else return the new
# image. Return the batch as one tensor. (Draw exactly in this order: the check compares
# with ganlab's pool seeded alike.)

# %%
class MyImagePool:
    def __init__(self, size, generator):
        self.size, self.g, self.images = size, generator, []

    def query(self, fakes):
        """fakes (B, C, H, W) -> (B, C, H, W), some swapped for older fakes."""
        # BEGIN SOLUTION hint: a loop over fakes; torch.rand then torch.randint with self.g
        out = []
        for img in fakes.detach():
            if len(self.images) < self.size:
                self.images.append(img.clone())
                out.append(img)
            elif torch.rand((), generator=self.g) < 0.5:
                i = int(torch.randint(len(self.images), (), generator=self.g))
                out.append(self.images[i].clone())
                self.images[i] = img.clone()
            else:
                out.append(img)
        return torch.stack(out)
        # BLANK: return fakes
        # END SOLUTION


# %% tags=["check"]
mine = MyImagePool(5, torch.Generator().manual_seed(3))
ref = translation.ImagePool(5, torch.Generator().manual_seed(3))
for step in range(4):
    batch = torch.arange(8.0).view(8, 1, 1, 1) + 10 * step
    got = mine.query(batch)
    assert torch.is_tensor(got) and got.shape == batch.shape, "return a tensor shaped like fakes"
    torch.testing.assert_close(got, ref.query(batch), msg=f"batch {step}: differs from ganlab's pool")
assert len(mine.images) == 5, "the pool must hold `size` images once full"
print("Exercise 4: correct")
