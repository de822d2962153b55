"""Conditioning and inference variants (ganlab.inference, InfoGAN in ganlab.variants).

For every variant: the shapes of its nets, and one step of each phase moves the
parameters of that phase's team and no others (parameters compared, not BatchNorm
buffers). Then the maths: the InfoGAN mutual-information loss and the VAE's KL against
hand computations in float64, and the BiGAN discriminator's input pairs.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch

from ganlab import inference, variants
from ganlab.data import ArrayDataset
from ganlab.train import Trainer

SHAPE = (1, 16, 16)
SMALL = dict(width=8)
VARIANTS = ["cgan", "cgan-concat", "cgan-projection", "acgan", "infogan", "bigan", "bigbigan", "aae",
            "vae", "vaegan"]


def _data(n=32):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(n, *SHAPE, generator=g) * 2 - 1  # (n, 1, 16, 16) in [-1, 1]
    return ArrayDataset(x, torch.arange(n) % 10)


def _build(name, **kw):
    torch.manual_seed(0)
    return variants.build(name, SHAPE, n_classes=10, **{**SMALL, **kw})


def _params(game):
    return {f"{n}.{k}": p.detach().clone() for n, m in game.nets.items()
            for k, p in m.named_parameters()}


@pytest.mark.parametrize("name", VARIANTS)
def test_sample_shapes(name):
    game = _build(name)
    z = torch.randn(4, game.nz)
    y = torch.arange(4) if game.n_classes else None
    x = game.nets["G"](z, y) if y is not None else game.nets["G"](z)
    assert x.shape == (4, *SHAPE)
    if "E" in game.nets:
        assert inference.encode(game.nets, x).shape == (4, game.nz)


@pytest.mark.parametrize("name", VARIANTS)
def test_each_phase_moves_only_its_team(name):
    game = _build(name)
    for phase in game.phases:
        single = replace(game, phases=[phase])
        trainer = Trainer(single, _data(), steps=1, batch=8, device="cpu", ema_decay=0.0,
                          progress=False, seed=1)
        before = _params(game)
        trainer.train_step()
        after = _params(game)
        team = game.teams[phase.team].nets
        moved = {k.split(".")[0] for k in before if not torch.equal(before[k], after[k])}
        assert moved == set(team), f"{name}: phase {phase.name} moved {moved}, its team is {team}"


def test_teams_of_the_inference_variants():
    assert _build("infogan").teams["G"].nets == ("G", "Q")
    assert _build("bigan").teams["G"].nets == ("G", "E")
    assert _build("vae").teams["VAE"].nets == ("E", "G")
    assert [p.team for p in _build("aae").phases] == ["AE", "D", "E"]
    assert [p.team for p in _build("vaegan").phases] == ["E", "G", "D"]


def test_cgan_concat_and_projection_discriminators():
    concat, proj = _build("cgan-concat").nets["D"], _build("cgan").nets["D"]
    assert concat.cond == "concat" and concat.embed is None
    assert concat.body[0].in_channels == 1 + 10  # image + one-hot label maps
    assert proj.cond == "projection" and proj.body[0].in_channels == 1
    x, y = torch.randn(4, *SHAPE), torch.tensor([0, 3, 3, 9])
    assert concat(x, y).shape == proj(x, y).shape == (4,)


def test_acgan_discriminator_heads():
    d = _build("acgan").nets["D"].eval()
    x = torch.randn(5, *SHAPE)
    s, c = d.both(x)
    assert s.shape == (5,) and c.shape == (5, 10)
    torch.testing.assert_close(d(x), s)


def test_mutual_information_loss_by_hand():
    g = torch.Generator().manual_seed(0)
    q_cat = torch.randn(6, 4, generator=g, dtype=torch.float64)
    q_cont = torch.randn(6, 2, generator=g, dtype=torch.float64)
    cat = torch.tensor([0, 1, 2, 3, 1, 0])
    cont = torch.rand(6, 2, generator=g, dtype=torch.float64) * 2 - 1
    ce = 0.0
    for i in range(6):
        row = q_cat[i].tolist()
        ce -= row[int(cat[i])] - math.log(sum(math.exp(v) for v in row))
    nll = sum(0.5 * (float(q_cont[i, j]) - float(cont[i, j])) ** 2 for i in range(6) for j in range(2))
    expected = ce / 6 + 0.1 * nll / 6
    got = variants.mutual_information_loss(q_cat, q_cont, cat, cont, cont_weight=0.1)
    torch.testing.assert_close(got, torch.tensor(expected, dtype=torch.float64))


def test_kl_standard_normal_closed_form():
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(3, 4, generator=g, dtype=torch.float64)
    logvar = torch.randn(3, 4, generator=g, dtype=torch.float64)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    expected = torch.distributions.kl_divergence(q, p).sum(1).mean()
    torch.testing.assert_close(inference.kl_standard_normal(mu, logvar), expected)


def test_bigan_pairs_and_discriminator_input():
    game = _build("bigan")
    G, E, D = (game.nets[k].eval() for k in ("G", "E", "D"))
    x, z = torch.randn(4, *SHAPE), torch.randn(4, game.nz)
    (xr, zr), (xf, zf) = inference.bigan_pairs(G, E, x, z)
    assert xr is x and zf is z
    torch.testing.assert_close(zr, E(x))
    torch.testing.assert_close(xf, G(z))
    assert D(xr, zr).shape == D(xf, zf).shape == (4,)
    with pytest.raises(ValueError, match="z must have shape"):
        D(x, z[:, :3])


def test_feature_distance_is_zero_on_itself_and_positive_otherwise():
    d = _build("vaegan").nets["D"]
    x = torch.randn(4, *SHAPE)
    assert inference.feature_distance(d, x, x).item() == 0.0
    assert inference.feature_distance(d, x, -x).item() > 0.0


def test_inference_variants_need_images():
    with pytest.raises(ValueError, match="square images"):
        variants.build("bigan", (2,))


def test_presets_listed():
    for name in ("cgan-concat", "cgan-projection", "acgan", "bigan", "aae", "vae", "vaegan"):
        assert name in variants.describe()


def test_cgan_projection_embedding_starts_small():
    d = _build("cgan-projection").nets["D"]
    assert d.cond == "projection"
    assert d.embed.weight.std().item() < 0.05  # N(0, 0.02), not nn.Embedding's N(0, 1)


# --- measuring what was learned --------------------------------------------------------------


def _brute_force_matched(codes, labels, k):
    """Best accuracy over all k! one-to-one maps code -> label (an independent computation)."""
    import itertools

    best = 0
    for perm in itertools.permutations(range(k)):
        best = max(best, sum(perm[c] == y for c, y in zip(codes, labels)))
    return best / len(codes)


def test_matched_accuracy_is_the_best_permutation():
    g = torch.Generator().manual_seed(0)
    for trial in range(5):
        labels = torch.randint(0, 5, (60,), generator=g)
        codes = torch.randint(0, 5, (60,), generator=g)
        codes[:30] = (labels[:30] + trial) % 5  # half the codes a relabelling of the labels
        expected = _brute_force_matched(codes.tolist(), labels.tolist(), 5)
        assert inference.matched_accuracy(codes, labels) == pytest.approx(expected, abs=1e-12)
    perm = torch.tensor([3, 0, 4, 1, 2])
    y = torch.arange(50) % 5
    assert inference.matched_accuracy(perm[y], y) == 1.0  # a relabelling is recovered exactly


def test_matched_accuracy_of_independent_codes_exceeds_one_over_k():
    g = torch.Generator().manual_seed(1)
    n, k = 2000, 10
    accs = [inference.matched_accuracy(torch.randint(0, k, (n,), generator=g),
                                       torch.randint(0, k, (n,), generator=g)) for _ in range(5)]
    assert 1 / k < min(accs) and max(accs) < 1 / k + 0.05  # matching's own lift above 1/K


def test_matched_accuracy_refuses_bad_input():
    with pytest.raises(ValueError, match="same non-zero length"):
        inference.matched_accuracy([0, 1], [0])
    with pytest.raises(ValueError, match="non-negative integers"):
        inference.matched_accuracy([0.5, 1.0], [0, 1])


def test_linear_probe_separable_and_random():
    g = torch.Generator().manual_seed(0)
    y = torch.arange(400) % 4
    centres = torch.randn(4, 8, generator=g) * 5
    x = centres[y] + torch.randn(400, 8, generator=g) * 0.1  # (400, 8): 4 far-apart clusters
    assert inference.linear_probe(x[:200], y[:200], x[200:], y[200:]) == 1.0
    noise = torch.randn(400, 8, generator=g)  # features that carry no label
    acc = inference.linear_probe(noise[:200], y[:200], noise[200:], y[200:])
    assert 0.1 < acc < 0.4  # chance is 0.25
    # standardisation: a feature scaled by 1e-6 is probed as well as unscaled
    assert inference.linear_probe(x[:200] * 1e-6, y[:200], x[200:] * 1e-6, y[200:]) == 1.0


def test_pretrained_round_trip(tmp_path):
    game = _build("bigan", nz=4)
    Trainer(game, _data(), steps=2, batch=8, device="cpu", ema_decay=0.0, progress=False,
            seed=0).fit()
    path = tmp_path / "games.pt"
    inference.save_pretrained(path, {"b0": {"variant": "bigan", "options": {**SMALL, "nz": 4},
                                            "seed": 0, "game": game, "record": {"steps": 2}}},
                              {"b0": ("G", "E")})
    back = inference.load_pretrained(path, "b0")
    for m in game.nets.values():
        m.eval()
    z = torch.randn(3, 4)
    torch.testing.assert_close(back.nets["G"](z), game.nets["G"](z), atol=2e-3, rtol=2e-3)  # float16
    x = torch.randn(3, *SHAPE)
    torch.testing.assert_close(inference.encode(back.nets, x), inference.encode(game.nets, x),
                               atol=2e-3, rtol=2e-3)
    with pytest.raises(KeyError, match="has no game"):
        inference.load_pretrained(path, "b1")


def test_pretrained_untrained_is_the_initial_game(tmp_path):
    game = _build("vae", nz=4)
    before = inference.encode({"E": _build("vae", nz=4).nets["E"].eval()}, torch.ones(2, *SHAPE))
    Trainer(game, _data(), steps=2, batch=8, device="cpu", ema_decay=0.0, progress=False,
            seed=0).fit()
    path = tmp_path / "games.pt"
    inference.save_pretrained(path, {"v": {"variant": "vae", "options": {**SMALL, "nz": 4},
                                           "seed": 0, "game": game}}, {"v": ("G", "E")})
    init = inference.load_pretrained(path, "v", trained=False)
    torch.testing.assert_close(inference.encode(init.nets, torch.ones(2, *SHAPE)), before)


def test_bigan_cycle_term_adds_weighted_reconstruction_error():
    from types import SimpleNamespace

    x, z = torch.randn(4, *SHAPE), torch.randn(4, 6)
    losses = {}
    for w in (0.0, 3.0):
        game = _build("bigan", nz=6, cycle_weight=w)
        for m in game.nets.values():
            m.eval()  # dropout off: both weights see the same D
        ctx = SimpleNamespace(real=x, nets=game.nets, z=lambda: z,
                              d=lambda a, b, game=game: game.nets["D"](a, b))
        losses[w] = game.phases[1].loss(ctx)["loss"]
        G, E = game.nets["G"], game.nets["E"]
    expected = 3.0 * ((G(E(x)) - x) ** 2).mean()  # an independent mean squared error
    torch.testing.assert_close(losses[3.0] - losses[0.0], expected, rtol=1e-5, atol=1e-6)


def test_save_pretrained_merges(tmp_path):
    path = tmp_path / "games.pt"
    for key in ("a", "b"):
        game = _build("vae", nz=4)
        inference.save_pretrained(path, {key: {"variant": "vae", "options": {**SMALL, "nz": 4},
                                               "seed": 0, "game": game}}, {key: ("G",)}, merge=True)
    assert inference.load_pretrained(path, "a") and inference.load_pretrained(path, "b")
    inference.save_pretrained(path, {"c": {"variant": "vae", "options": {**SMALL, "nz": 4},
                                           "seed": 0, "game": game}}, {"c": ("G",)})
    with pytest.raises(KeyError):
        inference.load_pretrained(path, "a")  # merge=False rewrites the file


def test_bigbigan_score_is_the_sum_of_its_three_heads():
    d = _build("bigbigan", nz=5).nets["D"].eval()  # dropout off
    g = torch.Generator().manual_seed(0)
    x, z = torch.randn(6, *SHAPE, generator=g), torch.randn(6, 5, generator=g)
    s_x, s_z, s_xz = d.scores(x, z)
    assert s_x.shape == s_z.shape == s_xz.shape == (6,)
    torch.testing.assert_close(d(x, z), s_x + s_z + s_xz)
    # each head recomputed from its own branch by hand
    fx, hz = d.x_body(x).flatten(1), d.z_body(z)
    torch.testing.assert_close(s_x, fx @ d.x_head.weight[0] + d.x_head.bias[0])
    torch.testing.assert_close(s_z, hz @ d.z_head.weight[0] + d.z_head.bias[0])
    torch.testing.assert_close(s_xz, d.joint(torch.cat([fx, hz], 1)).squeeze(1))
    with pytest.raises(ValueError, match="z must have shape"):
        d(x, z[:, :3])


def test_bigbigan_each_head_gradient_reaches_only_its_inputs():
    d = _build("bigbigan", nz=5).nets["D"].eval()
    g = torch.Generator().manual_seed(1)
    x = torch.randn(4, *SHAPE, generator=g).requires_grad_(True)
    z = torch.randn(4, 5, generator=g).requires_grad_(True)
    branch = {"x": ("x_body", "x_head"), "z": ("z_body", "z_head"),
              "xz": ("x_body", "z_body", "joint")}
    for head, s in zip(("x", "z", "xz"), d.scores(x, z)):
        names = [n for n, _ in d.named_parameters()]
        grads = torch.autograd.grad(s.sum(), [x, z, *d.parameters()], allow_unused=True,
                                    retain_graph=True)
        gx, gz, gp = grads[0], grads[1], dict(zip(names, grads[2:]))
        nonzero = lambda t: t is not None and t.abs().sum() > 0  # noqa: E731
        assert nonzero(gx) == (head in ("x", "xz")), head
        assert nonzero(gz) == (head in ("z", "xz")), head
        reached = {n.split(".")[0] for n, t in gp.items() if nonzero(t)}
        assert reached == set(branch[head]), (head, reached)


def test_bigbigan_losses_against_independent_formulas():
    from types import SimpleNamespace

    game = _build("bigbigan", nz=6)
    for m in game.nets.values():
        m.eval()
    x, z = torch.randn(4, *SHAPE), torch.randn(4, 6)
    ctx = SimpleNamespace(real=x, nets=game.nets, z=lambda: z)
    G, E, D = game.nets["G"], game.nets["E"], game.nets["D"]
    real, fake = D.scores(x, E(x)), D.scores(G(z), z)
    relu = torch.relu
    want_d = sum(relu(1 - r).mean() + relu(1 + f).mean() for r, f in zip(real, fake))
    torch.testing.assert_close(game.phases[0].loss(ctx)["loss"], want_d)
    want_ge = (real[0] + real[1] + real[2]).mean() - (fake[0] + fake[1] + fake[2]).mean()
    torch.testing.assert_close(game.phases[1].loss(ctx)["loss"], want_ge)
    # the null: a single joint hinge on the summed score (plain BiGAN's loss on this D) differs
    single = relu(1 - sum(real)).mean() + relu(1 + sum(fake)).mean()
    assert (single - want_d).abs() > 1e-3
