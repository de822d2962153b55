"""The one D-phase block, `registry.d_phase_loss`, against losses written out by hand: a
linear D (score w.x + b) makes the penalties closed forms, the gradient norm being |w|."""

import math

import pytest
import torch
from torch import nn

from ganlab import losses, registry


class LinearD(nn.Module):
    """score(x, y) = w.x + b (+ v[y] with labels): the gradient wrt x is w everywhere."""

    def __init__(self, d: int, k: int = 0) -> None:
        super().__init__()
        self.lin = nn.Linear(d, 1)
        self.v = nn.Embedding(k, 1) if k else None

    def forward(self, x, y=None):
        s = self.lin(x).squeeze(1)
        return s if y is None else s + self.v(y).squeeze(1)


class CondG(nn.Module):
    def __init__(self, nz: int, d: int, k: int = 0) -> None:
        super().__init__()
        self.lin, self.e = nn.Linear(nz, d), (nn.Embedding(k, d) if k else None)

    def forward(self, z, y=None):
        return self.lin(z) if y is None else self.lin(z) + self.e(y)


class Ctx:
    """What a phase sees, without a trainer: nets, a real batch, its labels, latents."""

    def __init__(self, nets, real, z, labels=None) -> None:
        self.nets, self.real, self.labels, self._z = nets, real, labels, z

    def z(self, n=None):
        return self._z

    def d(self, x, *cond, net="D"):
        return self.nets[net](x, *cond)


def _setup(k=0, seed=0):
    torch.manual_seed(seed)
    nets = {"G": CondG(3, 4, k), "D": LinearD(4, k)}
    real, z = torch.randn(8, 4), torch.randn(8, 3)
    labels = torch.randint(0, k, (8,)) if k else None
    return nets, Ctx(nets, real, z, labels)


def test_plain_d_phase_is_d_loss_on_real_and_fakes_and_leaves_g_alone():
    nets, ctx = _setup()
    out = registry.d_phase_loss(losses.d_loss)(ctx)
    real_s, fake_s = nets["D"](ctx.real), nets["D"](nets["G"](ctx._z))
    want = torch.nn.functional.softplus(-real_s).mean() + torch.nn.functional.softplus(fake_s).mean()
    torch.testing.assert_close(out["loss"], want, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(out["adv"], want.detach(), rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(out["real_score"], real_s.mean(), rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(out["fake_score"], fake_s.mean(), rtol=1e-6, atol=1e-7)
    out["loss"].backward()
    assert all(p.grad is None for p in nets["G"].parameters())  # fakes made under no_grad
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in nets["D"].parameters())


def test_conditional_fakes_share_the_real_labels():
    nets, ctx = _setup(k=3)
    out = registry.d_phase_loss(losses.d_hinge, registry.noise_pairs(conditional=True))(ctx)
    y = ctx.labels
    real_s, fake_s = nets["D"](ctx.real, y), nets["D"](nets["G"](ctx._z, y), y)
    want = torch.relu(1 - real_s).mean() + torch.relu(1 + fake_s).mean()
    torch.testing.assert_close(out["loss"], want, rtol=1e-6, atol=1e-7)
    # the nearest wrong answer, unconditional fakes, is measurably different
    wrong = torch.relu(1 - real_s).mean() + torch.relu(1 + nets["D"](nets["G"](ctx._z), y)).mean()
    assert abs(float((wrong - want).detach())) > 1e-3


@pytest.mark.parametrize("scale", [1.0, 3.0])
def test_gp_and_r1_terms_are_their_closed_forms_for_a_linear_d(scale):
    nets, ctx = _setup()
    w = nets["D"].lin.weight.detach().flatten()
    norm = float(w.norm())
    pen = {"gp": registry.gp_term(10.0), "r1": registry.r1_term(2.0)}
    out = registry.d_phase_loss(losses.d_wasserstein, penalties=pen, scale=scale)(ctx)
    gp, r1 = scale * 10.0 * (norm - 1.0) ** 2, scale * 0.5 * 2.0 * norm ** 2  # |grad D| = |w|
    assert out["gp"].item() == pytest.approx(gp, rel=1e-5, abs=1e-7)
    assert out["r1"].item() == pytest.approx(r1, rel=1e-5, abs=1e-7)
    adv = scale * (nets["D"](nets["G"](ctx._z)).mean() - nets["D"](ctx.real).mean())
    assert out["adv"].item() == pytest.approx(float(adv), rel=1e-5, abs=1e-6)
    assert out["loss"].item() == pytest.approx(float(adv) + gp + r1, rel=1e-5, abs=1e-6)
    assert not math.isclose(gp, 10.0 * norm ** 2, rel_tol=1e-2)  # GP is not R1 at this w


def test_joint_scoring_equals_two_passes_for_a_rowwise_d():
    nets, ctx = _setup()
    two = registry.d_phase_loss(losses.d_loss)(ctx)
    one = registry.d_phase_loss(losses.d_loss, joint=True)(ctx)
    for k in ("loss", "real_score", "fake_score"):
        torch.testing.assert_close(one[k], two[k], rtol=1e-6, atol=1e-7)


def test_pairs_and_score_hooks():
    nets, ctx = _setup()
    # D judges x against 2x (no G): the score hook doubles D's logit
    out = registry.d_phase_loss(losses.d_least_squares, lambda c: ((c.real,), (2 * c.real,)),
                                score=lambda c, x: 2 * c.d(x))(ctx)
    real_s, fake_s = 2 * nets["D"](ctx.real), 2 * nets["D"](2 * ctx.real)
    want = 0.5 * (real_s - 1).square().mean() + 0.5 * (fake_s + 1).square().mean()
    torch.testing.assert_close(out["loss"], want, rtol=1e-6, atol=1e-7)
