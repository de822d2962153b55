"""Penalties against critics whose input gradient is known in closed form."""

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from ganlab import regularizers


def test_gradient_penalty_linear_critic_is_exact():
    w = torch.tensor([3.0, 4.0], dtype=torch.float64)  # ||w|| = 5 for every sample
    real, fake = torch.randn(16, 2, dtype=torch.float64), torch.randn(16, 2, dtype=torch.float64)
    gp = regularizers.gradient_penalty(lambda x: x @ w, real, fake, weight=10.0)
    assert_close(gp, torch.tensor(10.0 * (5.0 - 1.0) ** 2, dtype=torch.float64))


def test_gradient_penalty_interpolates_per_sample_and_norms_all_dims():
    # D(x) = 1/2 ||x||^2 has gradient x, so the penalty depends on each sample's own eps.
    real = torch.randn(8, 2, 3, 3, dtype=torch.float64)
    fake = torch.randn(8, 2, 3, 3, dtype=torch.float64)
    d = lambda x: 0.5 * x.flatten(1).square().sum(1)  # noqa: E731
    gp = regularizers.gradient_penalty(d, real, fake, weight=2.0,
                                       generator=torch.Generator().manual_seed(3))
    eps = torch.rand((8, 1, 1, 1), dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    x_hat = eps * real + (1 - eps) * fake
    expected = 2.0 * (x_hat.flatten(1).norm(dim=1) - 1).square().mean()
    assert_close(gp, expected)
    # one shared eps would give a different value: the test can tell them apart
    shared = 0.5 * real + 0.5 * fake
    assert abs(2.0 * (shared.flatten(1).norm(dim=1) - 1).square().mean() - gp) > 1e-3


def test_gradient_penalty_backpropagates_into_the_critic():
    critic = nn.Linear(2, 1, dtype=torch.float64)
    gp = regularizers.gradient_penalty(lambda x: critic(x).squeeze(1),
                                       torch.randn(4, 2, dtype=torch.float64),
                                       torch.randn(4, 2, dtype=torch.float64))
    gp.backward()
    w = critic.weight.detach()[0]
    # d/dw 10 (||w|| - 1)^2 = 20 (||w|| - 1) w / ||w||
    assert_close(critic.weight.grad[0], 20 * (w.norm() - 1) * w / w.norm())


def test_r1_r2_closed_form():
    x = torch.randn(32, 5, dtype=torch.float64)
    d = lambda v: 0.5 * v.square().sum(1)  # noqa: E731
    expected = 0.5 * 10.0 * x.square().sum(1).mean()
    assert_close(regularizers.r1_penalty(d, x, gamma=10.0), expected)
    assert_close(regularizers.r2_penalty(d, x, gamma=10.0), expected)


def test_clip_weights():
    m = nn.Linear(10, 10)
    with torch.no_grad():
        m.weight.mul_(10)
    before = m.weight.detach().clone()
    regularizers.clip_weights(m, 0.01)
    assert m.weight.abs().max() <= 0.01
    inside = before.abs() <= 0.01
    assert torch.equal(m.weight[inside], before[inside])
    with pytest.raises(ValueError, match="positive"):
        regularizers.clip_weights(m, 0.0)


def test_shape_mismatch_is_refused():
    with pytest.raises(ValueError, match="pairwise"):
        regularizers.gradient_penalty(lambda x: x.sum(1), torch.zeros(3, 2), torch.zeros(4, 2))


def test_orthogonal_penalty_matches_hand_computation():
    w = torch.tensor([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0]], dtype=torch.float64)
    # W W^T = [[5, 2], [2, 2]]: off-diagonal entries 2 and 2, squared and summed: 8
    assert_close(regularizers.orthogonal_penalty(w, beta=0.5), torch.tensor(4.0, dtype=torch.float64))
    # rows orthogonal (any norms): no penalty
    q = torch.tensor([[3.0, 0.0], [0.0, 0.5]], dtype=torch.float64)
    assert regularizers.orthogonal_penalty(q, beta=1.0) == 0
    # a module: every weight with >= 2 dims, viewed (out, fan_in); biases skipped
    conv, lin = nn.Conv2d(2, 3, 3, dtype=torch.float64), nn.Linear(4, 5, dtype=torch.float64)
    m = nn.Sequential(conv, lin)
    expected = 0.0
    for w in [conv.weight.flatten(1), lin.weight]:
        g = w @ w.T
        expected = expected + (g - torch.diag(torch.diag(g))).square().sum()
    assert_close(regularizers.orthogonal_penalty(m, beta=1e-4), 1e-4 * expected)
    with pytest.raises(ValueError, match="no weight matrices"):
        regularizers.orthogonal_penalty(nn.BatchNorm1d(3))


def test_orthogonal_penalty_gradient():
    w = torch.randn(4, 6, dtype=torch.float64, requires_grad=True)
    regularizers.orthogonal_penalty(w, beta=1.0).backward()
    with torch.no_grad():  # BigGAN's code: 2 * beta * 2 (W W^T (.) (1 - I)) W
        off = (w @ w.T) * (1 - torch.eye(4, dtype=torch.float64))
        assert_close(w.grad, 4 * off @ w)


def test_spectral_norm_is_pytorchs_and_bounds_the_lipschitz_constant():
    torch.manual_seed(0)
    lin = regularizers.spectral_norm(nn.Linear(6, 4, dtype=torch.float64))
    for _ in range(50):  # power iterations run in training mode
        lin(torch.zeros(1, 6, dtype=torch.float64))
    assert_close(torch.linalg.matrix_norm(lin.weight, ord=2),
                 torch.tensor(1.0, dtype=torch.float64), rtol=1e-6, atol=1e-6)
    assert regularizers.spectral_norm is torch.nn.utils.parametrizations.spectral_norm
