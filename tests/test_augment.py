"""ganlab.augment: every op (shape, range, identity at p=0, gradients), DiffAugment, the ADA
controller on scripted D outputs, state round trip, and the four-arrows matrix."""

import numpy as np
import pytest
import torch

from ganlab import augment as A
from ganlab.train import Game, Team


def _images(b=4, c=1, s=8, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(b, c, s, s, generator=g, dtype=dtype) * 2 - 1


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("op", A.OPS)
@pytest.mark.parametrize("c", [1, 3])
def test_op_shape_identity_and_change(op, c):
    x = _images(16, c, 8)
    assert A.augment(x, 0.0, [op], generator=_gen()) is x  # p = 0: identity, exactly
    y = A.augment(x, 1.0, [op], generator=_gen())
    assert y.shape == x.shape and y.dtype == x.dtype and torch.isfinite(y).all()
    if c == 1 and op in ("hue", "saturation"):  # grey stays on the luma axis
        torch.testing.assert_close(y, x)
    else:
        assert (y - x).abs().max() > 1e-3, f"{op} at p=1 changed nothing"


@pytest.mark.parametrize("op", ["xflip", "rotate90", "xint", "lumaflip", "cutout"])
def test_range_preserved(op):  # on grey these only move, negate or zero pixels in [-1, 1]
    y = A.augment(_images(16, 1, 8), 1.0, [op], generator=_gen())
    assert y.min() >= -1 - 1e-5 and y.max() <= 1 + 1e-5


@pytest.mark.parametrize("op", A.OPS)
def test_gradient_flows(op):
    c = 3 if op in ("hue", "saturation") else 1
    x = _images(2, c, 6, dtype=torch.float64).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: A.augment(t, 1.0, [op], generator=_gen(3)), (x,))


def test_rotate90_and_xflip_exact():
    x = _images(64, 1, 8)
    g = A.geometric_matrix(x, 1.0, ["rotate90"], generator=_gen(1))
    y = A.apply_affine(x, g)
    for i in range(64):
        k = {(1, 0): 0, (0, 1): 1, (-1, 0): 2, (0, -1): 3}[(int(g[i, 0, 0]), int(g[i, 1, 0]))]
        # sampling at R(k*90) of the output coords is rot90 of the image by k quarter turns
        ref = [torch.rot90(x[i], -k, (1, 2)), torch.rot90(x[i], k, (1, 2))]
        assert min((y[i] - r).abs().max() for r in ref) < 1e-5
    flips = A.apply_affine(x, A.geometric_matrix(x, 1.0, ["xflip"], generator=_gen(2)))
    for i in range(64):
        assert torch.allclose(flips[i], x[i]) or torch.allclose(flips[i], x[i].flip(2), atol=1e-5)


def test_probability_per_op():
    x = _images(4000, 1, 8)
    y = A.augment(x, 0.3, ["lumaflip"], generator=_gen())
    # lumaflip on grey negates with prob p * 1/2
    frac = (y - x).flatten(1).abs().max(1).values.gt(1e-6).float().mean()
    assert abs(float(frac) - 0.15) < 0.02


def test_colour_grey_is_affine_on_luma():
    x = _images(8, 1, 4)
    c = A.colour_matrix(x, 1.0, ["brightness", "contrast"], generator=_gen())
    y = A.apply_colour(x, c)
    torch.testing.assert_close(y, c[:, 0, 0, None, None, None] * x + c[:, 0, 3, None, None, None])


def test_diff_augment():
    x = _images(8, 3, 16)
    y = A.diff_augment(x, generator=_gen())
    assert y.shape == x.shape
    xt = A.diff_augment(x, "translation", generator=_gen())
    nonzero = xt != 0  # translated pixels are a subset of the originals (no interpolation)
    assert nonzero.any() and torch.isin(xt[nonzero], x).all()
    xc = A.diff_augment(x, "cutout", generator=_gen())
    zeros = (xc == 0).all(1).flatten(1).float().sum(1)
    assert (zeros > 0).all() and (zeros <= 64).all()  # an 8x8 hole, clipped at the border
    xd = _images(2, 3, 6, dtype=torch.float64).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: A.diff_augment(t, generator=_gen(5)), (xd,))
    with pytest.raises(ValueError):
        A.diff_augment(x, "blur")


def test_ada_controller_scripted():
    ada = A.ADA(target=0.6, interval=4, speed_images=1000)
    batch, step = 10, 10 * 4 / 1000
    ps = []
    for _ in range(3):  # D very sure on reals: r_t = 1 > 0.6, p goes up by exactly one step
        for _ in range(4):
            ada.observe(torch.full((batch,), 5.0))
        ps.append(ada.p)
    np.testing.assert_allclose(ps, [step, 2 * step, 3 * step], rtol=1e-6)
    for _ in range(4):  # r_t = 0.2 (6 positive, 4 negative): p goes down one step
        ada.observe(torch.tensor([1.0] * 6 + [-1.0] * 4))
    assert abs(ada.p - 2 * step) < 1e-6 and abs(float(ada.state["ada_rt"]) - 0.2) < 1e-6
    updates = [ada.observe(torch.full((batch,), -1.0)) for _ in range(40)]
    assert updates.count(True) == 10 and ada.p == 0.0  # clamped at 0
    assert not ada.observe(torch.ones(batch))  # 1 of 4: no update yet


def test_ada_state_round_trip_through_game():
    game = Game("gan", {"G": torch.nn.Linear(1, 1), "D": torch.nn.Linear(1, 1)},
                {"G": Team(("G",)), "D": Team(("D",))}, [], nz=1)
    ada = A.ADA(speed_images=100).attach(game)
    assert game.augment is ada and game.state is ada.state
    for _ in range(8):
        ada.observe(torch.ones(5))
    saved = {k: v.clone() for k, v in game.state.items()}
    ada2 = A.ADA(speed_images=100).attach(Game("gan", dict(game.nets), game.teams, [], nz=1))
    ada2.state.update(saved)  # what Trainer.load_state_dict does with game_state
    assert ada2.p == pytest.approx(0.4) and ada2.p == ada.p


def test_four_arrows():
    for p in [0.0, 0.1, 0.2, 0.25, 0.3, 1 / 3]:
        t = A.four_arrows(p)
        np.testing.assert_allclose(t.sum(1), 1.0)
        np.testing.assert_allclose(np.linalg.det(t), (1 - 4 * p) ** 3, atol=1e-12)
        np.testing.assert_allclose(np.sort(np.linalg.eigvalsh(t)), np.sort([1] + [1 - 4 * p] * 3),
                                   atol=1e-12)
        assert A.is_invertible(t) == (abs(p - 0.25) > 1e-12)
    with pytest.raises(ValueError):
        A.four_arrows(0.5)


def test_errors():
    with pytest.raises(ValueError):
        A.augment(torch.zeros(2, 8, 8), 0.5)
    with pytest.raises(ValueError):
        A.augment(_images(), 0.5, ["blur"])
    with pytest.raises(ValueError):
        A.augment(_images(), -0.1)


# --- invertibility beyond the four arrows: Gaussian deconvolution and compositions -----------


def _mixture(x, w, mu, s, sigma=0.0):
    """A 1D Gaussian mixture's density, its components widened by noise sigma (closed form)."""
    from scipy.stats import norm

    return sum(wi * norm.pdf(x, m, np.hypot(si, sigma)) for wi, m, si in zip(w, mu, s))


def test_deconvolve_gaussian_recovers_a_mixture():
    x = np.linspace(-10, 10, 2048, endpoint=False)
    dx = x[1] - x[0]
    w, mu, s, sigma = [0.3, 0.7], [-1.5, 1.0], [0.3, 0.5], 0.5
    p, q = _mixture(x, w, mu, s), _mixture(x, w, mu, s, sigma)  # truth and its noised version
    l1 = lambda a: np.abs(a - p).sum() * dx  # noqa: E731
    got = A.deconvolve_gaussian(q, dx, sigma)
    np.testing.assert_allclose(got, p, atol=0.02)  # pointwise, both ways
    assert l1(got) < 0.02 < 0.3 < l1(q)  # the noised density is far; the recovery is close
    assert l1(A.deconvolve_gaussian(q, dx, 0.5 * sigma)) > 0.3  # the wrong sigma is far too
    np.testing.assert_allclose(got.sum() * dx, 1.0, atol=1e-9)  # mass kept
    assert l1(A.deconvolve_gaussian(q, dx, sigma, reg=1e-4)) > l1(got)  # more reg, more bias


def test_deconvolve_gaussian_identity_and_2d():
    x = np.linspace(-6, 6, 256, endpoint=False)
    dx = x[1] - x[0]
    p = _mixture(x, [1.0], [0.5], [0.7])
    np.testing.assert_allclose(A.deconvolve_gaussian(p, dx, 0.0), p, rtol=1e-9, atol=1e-12)
    p2 = np.outer(p, _mixture(x, [0.5, 0.5], [-1, 1], [0.4, 0.4]))  # separable 2D truth
    q2 = np.outer(_mixture(x, [1.0], [0.5], [0.7], 0.4),
                  _mixture(x, [0.5, 0.5], [-1, 1], [0.4, 0.4], 0.4))  # noised by N(0, 0.4^2 I)
    np.testing.assert_allclose(A.deconvolve_gaussian(q2, dx, 0.4), p2, atol=0.01)
    assert np.abs(q2 - p2).max() > 0.05
    with pytest.raises(ValueError):
        A.deconvolve_gaussian(p, dx, -1.0)
    with pytest.raises(ValueError):
        A.deconvolve_gaussian(np.array([1.0]), dx, 0.5)


def test_composition_invertible_iff_each_part_is():
    space = A.finite_space(torch.randn(1, 3, 3, generator=_gen(0)), A.DISCRETE)
    assert len(space) == 16  # 8 rotations and flips of an asymmetric image, and their negatives
    rng = np.random.default_rng(0)
    for _ in range(20):
        ops = [(op, float(rng.choice([rng.uniform(0, 0.99), 1.0]))) for op in
               rng.permutation(A.DISCRETE)[: rng.integers(1, 4)]]
        t = A.composition_matrix(ops, space)
        np.testing.assert_allclose(t.sum(1), 1.0)  # stochastic
        dets = [np.linalg.det(A.op_matrix(op, p, space)) for op, p in ops]
        np.testing.assert_allclose(np.linalg.det(t), np.prod(dets), atol=1e-12)
        assert A.is_invertible(t) == A.composition_invertible(ops)
    for op, n in [("xflip", 2), ("rotate90", 4), ("lumaflip", 2)]:  # eigenvalues 1 and 1 - p
        ev = np.sort(np.linalg.eigvals(A.op_matrix(op, 0.4, space)).real)
        np.testing.assert_allclose(ev, np.sort([1.0] * (16 // n) + [0.6] * (16 - 16 // n)),
                                   atol=1e-9)
    assert A.composition_invertible([("noise", 1.0), ("xflip", 0.5)])
    assert not A.composition_invertible([("noise", 0.5), ("rotate90", 1.0)])
    with pytest.raises(ValueError):
        A.op_invertible("cutout", 0.5)


@pytest.mark.parametrize("op", A.DISCRETE)
def test_op_matrix_matches_augment(op):
    """The matrix's rows are the frequencies with which `augment` itself lands on each image."""
    space = A.finite_space(torch.randn(1, 4, 4, generator=_gen(1)), A.DISCRETE)
    t = A.op_matrix(op, 0.6, space)
    n = 4000
    y = A.augment(space[3].expand(n, 1, 4, 4), 0.6, [op], generator=_gen(2))
    freq = np.bincount([A._index(space, yi) for yi in y], minlength=len(space)) / n
    np.testing.assert_allclose(freq, t[3], atol=0.025)
