# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 7 exercises — conditioning and inference
#
# Write the four functions below. Each `raise NotImplementedError("TODO: ...")` marks where
# your code goes. After each one, run the **check** cell that follows: it compares your
# function with ganlab's own networks and losses (`ganlab.nets`, `ganlab.variants`,
# `ganlab.inference`) and raises an `AssertionError` saying what is wrong.
#
# Images are tensors `(B, C, H, W)`, labels `(B,)` integers, latents `(B, nz)`.

# %%
import torch
import torch.nn.functional as F

from ganlab import inference, nets, variants

torch.manual_seed(0)
x = torch.rand(6, 1, 16, 16) * 2 - 1  # (6, 1, 16, 16) images in [-1, 1]
y = torch.tensor([0, 3, 3, 7, 9, 1])  # (6,) labels

# %% [markdown]
# ## Exercise 1 — a conditional D by concatenation
#
# The simplest way to show the label to a convolutional D: append $K$ channels to the image,
# channel $k$ filled with 1 where $y = k$ and 0 elsewhere (one-hot label maps). Return the
# image with its label maps, shape `(B, C + K, H, W)`.

# %%
def my_concat_input(x, y, n_classes):
    """x (B, C, H, W), labels y (B,) -> (B, C + n_classes, H, W)."""
    # BEGIN SOLUTION hint: F.one_hot as (B, K, 1, 1) maps, expanded to H, W; torch.cat on dim 1
    maps = F.one_hot(y, n_classes).to(x.dtype)[:, :, None, None]  # (B, K, 1, 1)
    return torch.cat([x, maps.expand(-1, -1, x.shape[2], x.shape[3])], dim=1)
    # BLANK: return torch.cat([x, torch.zeros(x.shape[0], n_classes, *x.shape[2:])], dim=1)
    # END SOLUTION


# %% tags=["check"]
D = nets.DCGANDiscriminator(16, 1, 8, norm="none", n_classes=10, cond="concat").eval()
inp = my_concat_input(x, y, 10)
assert tuple(inp.shape) == (6, 11, 16, 16), f"expected shape (6, 11, 16, 16), got {tuple(inp.shape)}"
torch.testing.assert_close(inp[:, :1], x, msg="the first C channels must be the image itself")
torch.testing.assert_close(D.head(D.body(inp)).flatten(), D(x, y),
                           msg="D on your input differs from ganlab's concat D")
print("Exercise 1: correct")

# %% [markdown]
# ## Exercise 2 — the projection discriminator
#
# Miyato & Koyama (2018) add the label through an inner product instead: with $\phi(x)$ the
# output of D's body, flattened, $\psi$ its unconditional head and $e_y$ a learned class
# embedding, the logit is $\psi(\phi(x)) + \langle e_y, \phi(x) \rangle$. Compute it for a
# `nets.DCGANDiscriminator` built with `cond="projection"`, from its parts `D.body`
# (image -> `(B, F, 4, 4)`), `D.head` (`(B, F, 4, 4)` -> `(B, 1, 1, 1)`) and `D.embed`
# (labels -> `(B, 16 F)`).

# %%
def my_projection_logit(D, x, y):
    """The projection D's logits (B,) on images x (B, C, H, W) with labels y (B,)."""
    # BEGIN SOLUTION hint: h = D.body(x); D.head(h).flatten() + <D.embed(y), h.flatten(1)>
    h = D.body(x)  # (B, F, 4, 4)
    return D.head(h).flatten() + (D.embed(y) * h.flatten(1)).sum(1)
    # BLANK: return D.head(D.body(x)).flatten()
    # END SOLUTION


# %% tags=["check"]
D = nets.DCGANDiscriminator(16, 1, 8, norm="none", n_classes=10, cond="projection").eval()
got = my_projection_logit(D, x, y)
assert tuple(got.shape) == (6,), f"expected one logit per image, shape (6,), got {tuple(got.shape)}"
torch.testing.assert_close(got, D(x, y), msg="your logits differ from ganlab's projection D")
print("Exercise 2: correct")

# %% [markdown]
# ## Exercise 3 — InfoGAN's mutual-information loss
#
# G and Q minimise the negative variational lower bound of $I(c; G(z, c))$ (up to the
# constant $H(c)$): the cross-entropy $-\log Q(c_{\text{cat}} \mid x)$ of the categorical
# code, plus `cont_weight` times the negative log-likelihood of the continuous codes under a
# unit-variance Gaussian centred on Q's prediction, $\tfrac12 \lVert \mu_Q(x) - c_{\text{cont}}
# \rVert^2$ (summed over codes, the constant dropped). Both terms are batch means.

# %%
def my_mi_loss(q_cat, q_cont, cat, cont, cont_weight):
    """q_cat (B, K) logits, q_cont (B, L) means, cat (B,) codes, cont (B, L) codes -> scalar."""
    # BEGIN SOLUTION hint: F.cross_entropy, plus 0.5 * squared error summed over codes, batch means
    ce = F.cross_entropy(q_cat, cat)  # -E log Q(c_cat | x)
    nll = 0.5 * (q_cont - cont).square().sum(1).mean()  # -E log N(c_cont; mu, 1) + const
    return ce + cont_weight * nll
    # BLANK: return F.cross_entropy(q_cat, cat)
    # END SOLUTION


# %% tags=["check"]
g = torch.Generator().manual_seed(1)
q_cat = torch.randn(8, 10, generator=g, dtype=torch.float64, requires_grad=True)
q_cont = torch.randn(8, 2, generator=g, dtype=torch.float64, requires_grad=True)
cat, cont = variants.info_codes(torch.randn(8, 12, generator=g, dtype=torch.float64), 10, 2)
for w in (0.1, 1.0):
    mine = my_mi_loss(q_cat, q_cont, cat, cont, w)
    ref = variants.mutual_information_loss(q_cat, q_cont, cat, cont, w)
    assert torch.is_tensor(mine) and mine.shape == (), "return a scalar tensor"
    torch.testing.assert_close(mine, ref, msg=f"loss differs from ganlab's with cont_weight={w}")
    grads = torch.autograd.grad(mine, (q_cat, q_cont))
    for a, b in zip(grads, torch.autograd.grad(ref, (q_cat, q_cont))):
        torch.testing.assert_close(a, b)
print("Exercise 3: correct")

# %% [markdown]
# ## Exercise 4 — what the BiGAN discriminator sees
#
# In BiGAN / ALI, D never sees an image alone: it judges pairs. The *real* pair joins a data
# image with the encoder's code for it; the *fake* pair joins a generated image with the
# latent it was generated from. Return both pairs, `((x_real, z_real), (x_fake, z_fake))`.

# %%
def my_bigan_pairs(G, E, x, z):
    """Generator G (z -> image), encoder E (image -> code), images x, latents z -> two pairs."""
    # BEGIN SOLUTION hint: the real pair is (x, code of x); the fake pair is (image made from z, z)
    return (x, E(x)), (G(z), z)
    # BLANK: return (x, z), (G(z), E(x))
    # END SOLUTION


# %% tags=["check"]
game = variants.build("bigan", (1, 16, 16), width=8, nz=8)
G, E, Djoint = (game.nets[k].eval() for k in ("G", "E", "D"))
z = torch.randn(6, 8, generator=torch.Generator().manual_seed(2))
with torch.no_grad():
    mine, ref = my_bigan_pairs(G, E, x, z), inference.bigan_pairs(G, E, x, z)
    for kind, a, b in [("real", mine[0], ref[0]), ("fake", mine[1], ref[1])]:
        for part, u, v in [("image", a[0], b[0]), ("latent", a[1], b[1])]:
            torch.testing.assert_close(u, v, msg=f"the {kind} pair's {part} is wrong")
        torch.testing.assert_close(Djoint(*a), Djoint(*b))
print("Exercise 4: correct")
