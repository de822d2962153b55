"""Coulomb GAN: the Plummer kernel and the field against a float64 hand computation, the
attraction and repulsion the field encodes, and the game's two phases."""

import math

import pytest
import torch

from ganlab import coulomb, variants
from ganlab.train import TrainConfig, Trainer


def _hand_kernel(a, b, dim, eps):
    return (sum((p - q) ** 2 for p, q in zip(a, b)) + eps**2) ** (-(dim - 2) / 2)


def test_plummer_kernel_matches_a_hand_computation_in_float64():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(4, 2, generator=g, dtype=torch.float64), torch.randn(3, 2, generator=g,
                                                                            dtype=torch.float64)
    for dim, eps in ((3, 1.0), (4, 0.3), (5.5, 2.0)):
        want = torch.tensor([[_hand_kernel(p.tolist(), q.tolist(), dim, eps) for q in b] for p in a],
                            dtype=torch.float64)
        torch.testing.assert_close(coulomb.plummer_kernel(a, b, dim, eps), want, rtol=1e-12, atol=0)
    # d = 3, eps = 1, distance 0 and distance sqrt(3): 1 and 1/2
    k = coulomb.plummer_kernel(torch.zeros(1, 2, dtype=torch.float64),
                               torch.tensor([[0.0, 0.0], [1.0, math.sqrt(2.0)]], dtype=torch.float64))
    torch.testing.assert_close(k, torch.tensor([[1.0, 0.5]], dtype=torch.float64), rtol=1e-12, atol=0)


def test_kernel_refuses_dimension_two_and_bad_eps():
    x = torch.zeros(2, 2)
    with pytest.raises(ValueError, match="dim > 2"):
        coulomb.plummer_kernel(x, x, dim=2)
    with pytest.raises(ValueError, match="eps"):
        coulomb.plummer_kernel(x, x, eps=0.0)


def test_potential_and_leave_one_out_targets_match_hand_sums():
    g = torch.Generator().manual_seed(1)
    real, fake = (torch.randn(5, 2, generator=g, dtype=torch.float64),
                  torch.randn(4, 2, generator=g, dtype=torch.float64))
    dim, eps = 3.0, 0.5
    k = lambda a, b: _hand_kernel(a.tolist(), b.tolist(), dim, eps)  # noqa: E731
    at = torch.randn(3, 2, generator=g, dtype=torch.float64)
    want = [sum(k(a, x) for x in real) / 5 - sum(k(a, y) for y in fake) / 4 for a in at]
    torch.testing.assert_close(coulomb.potential(at, real, fake, dim, eps),
                               torch.tensor(want, dtype=torch.float64), rtol=1e-12, atol=1e-15)
    phi_r, phi_f = coulomb.field_targets(real, fake, dim, eps)
    want_r = [sum(k(real[i], real[j]) for j in range(5) if j != i) / 4
              - sum(k(real[i], y) for y in fake) / 4 for i in range(5)]
    want_f = [sum(k(fake[i], x) for x in real) / 5
              - sum(k(fake[i], fake[j]) for j in range(4) if j != i) / 3 for i in range(4)]
    torch.testing.assert_close(phi_r, torch.tensor(want_r, dtype=torch.float64), rtol=1e-12, atol=1e-15)
    torch.testing.assert_close(phi_f, torch.tensor(want_f, dtype=torch.float64), rtol=1e-12, atol=1e-15)
    # batched over a leading trial dimension: each trial's own field
    r2, f2 = torch.stack([real, real.flip(0)]), torch.stack([fake, fake + 1.0])
    pr, pf = coulomb.field_targets(r2, f2, dim, eps)
    torch.testing.assert_close(pr[0], phi_r)
    torch.testing.assert_close(pf[1], coulomb.field_targets(real.flip(0), fake + 1.0, dim, eps)[1])


def test_a_fake_near_a_real_point_is_pulled_to_it_and_fakes_repel():
    real = torch.tensor([[0.0, 0.0], [5.0, 5.0]], dtype=torch.float64)
    fake = torch.tensor([[0.4, 0.0], [-5.0, 5.0]], dtype=torch.float64, requires_grad=True)
    phi = coulomb.potential(fake[:1], real, fake[1:].detach())  # the field at fake 0, itself left out
    (grad,) = torch.autograd.grad(phi.sum(), fake)
    step = grad[0]  # G climbs Phi: the direction fake 0 moves
    assert step[0] < 0 and abs(step[1]) < 0.1 * abs(step[0])  # towards the real point at 0
    # two fakes and no real point nearby: each is pushed away from the other
    fakes = torch.tensor([[0.0, 0.0], [0.3, 0.0]], dtype=torch.float64, requires_grad=True)
    far = torch.tensor([[50.0, 50.0], [-50.0, 50.0]], dtype=torch.float64)
    phi_f = coulomb.field_targets(far, fakes)[1]
    (grad,) = torch.autograd.grad(phi_f[1], fakes)
    assert grad[1, 0] > 0  # fake 1 climbs away from fake 0 (to +x)


def test_the_field_is_zero_when_fakes_copy_the_reals():
    g = torch.Generator().manual_seed(2)
    x = torch.randn(6, 2, generator=g, dtype=torch.float64)
    torch.testing.assert_close(coulomb.potential(torch.randn(4, 2, generator=g, dtype=torch.float64),
                                                 x, x.clone()), torch.zeros(4, dtype=torch.float64))
    shifted = coulomb.potential(x, x, x + 3.0)
    assert (shifted > 0.05).all()  # fakes away from the data: Phi at the data is positive


def test_d_phase_regresses_the_field_and_g_climbs_d():
    torch.manual_seed(0)
    game = variants.build("coulomb-gan", (2,), trials=2, g_width=16, g_depth=2, width=16, depth=2,
                          pieces=2, seed=0)
    assert set(game.nets) == {"G", "D"} and [p.name for p in game.phases] == ["D", "G"]
    from ganlab import data

    ring = data.ring()
    tr = Trainer(game, ring, TrainConfig(steps=1, batch=2 * 32, ema_decay=0, progress=False,
                                         log_every=10**9, device="cpu"))

    class Ctx:  # what a phase sees, with fixed tensors
        nets = game.nets

        def __init__(self, real, z):
            self.real, self._z = real, z

        def z(self, n=None):
            return self._z

        def d(self, x):
            return game.nets["D"](x)

    real = ring.sample(64, generator=torch.Generator().manual_seed(3))
    z = torch.randn(64, 2, generator=torch.Generator().manual_seed(4))
    ctx = Ctx(real, z)
    out = game.phases[0].loss(ctx)
    with torch.no_grad():
        fake = game.nets["G"](z)
        pr, pf = coulomb.field_targets(real.view(2, 32, 2), fake.view(2, 32, 2))
        want = sum(0.5 * torch.cat([game.nets["D"](real).view(2, 32)[t] - pr[t],
                                    game.nets["D"](fake).view(2, 32)[t] - pf[t]]).square().mean()
                   for t in range(2))
    torch.testing.assert_close(out["loss"].detach(), want, rtol=1e-5, atol=1e-7)
    g_loss = game.phases[1].loss(ctx)["loss"]
    with torch.no_grad():
        want_g = -sum(game.nets["D"](game.nets["G"](z)).view(2, 32)[t].mean() for t in range(2))
    torch.testing.assert_close(g_loss.detach(), want_g, rtol=1e-5, atol=1e-6)
    tr.fit()  # one step through the one Trainer runs


def test_trained_d_tracks_the_field_better_than_untrained():
    """A few hundred D-only steps on a fixed G: D's MSE to the field falls well below the
    untrained D's (its starting error)."""
    game = variants.build("coulomb-gan", (2,), g_width=16, g_depth=2, width=32, depth=2, pieces=2,
                          lr_d=3e-3, seed=0)
    from ganlab import data

    ring = data.ring()
    real = ring.sample(256, generator=torch.Generator().manual_seed(5))
    z = torch.randn(256, 2, generator=torch.Generator().manual_seed(6))
    with torch.no_grad():
        fake = game.nets["G"](z)
        pr, pf = coulomb.field_targets(real, fake)
    pts, tgt = torch.cat([real, fake]), torch.cat([pr, pf])
    d = game.nets["D"]
    mse0 = (d(pts).detach() - tgt).square().mean()
    opt = torch.optim.Adam(d.parameters(), lr=3e-3)
    for _ in range(300):
        opt.zero_grad()
        (d(pts) - tgt).square().mean().backward()
        opt.step()
    mse = (d(pts).detach() - tgt).square().mean()
    assert mse < 0.1 * mse0 and mse < 0.1 * tgt.var()
