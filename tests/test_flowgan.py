"""Flow-GAN: the RealNVP flow's exact density against an independent change of variables,
invertibility, and the three variants training through the one Trainer."""

import math

import pytest
import torch
from torch.autograd.functional import jacobian

from ganlab import data, flowgan, variants
from ganlab.train import TrainConfig, Trainer


def _random_flow(d=2, layers=4, seed=0):
    torch.manual_seed(seed)
    flow = flowgan.RealNVP(d, layers, hidden=16).double()
    with torch.no_grad():  # leave the identity initialisation: a generic invertible map
        for p in flow.parameters():
            p.add_(0.5 * torch.randn_like(p))
    return flow


def test_inverse_of_forward_is_identity():
    flow = _random_flow(d=3)
    z = torch.randn(64, 3, dtype=torch.float64)
    x, logdet_fwd = flow.forward_with_logdet(z)
    z_back, logdet_inv = flow.inverse(x)
    torch.testing.assert_close(z_back, z)
    torch.testing.assert_close(flow.forward(flow.inverse(x)[0]), x)
    torch.testing.assert_close(logdet_inv, -logdet_fwd)  # d f^{-1}/dx = (df/dz)^{-1}


def test_log_prob_matches_change_of_variables_with_numerical_jacobian():
    flow = _random_flow()
    z = torch.randn(8, 2, dtype=torch.float64)
    x = flow(z).detach()
    got = flow.log_prob(x)
    for i in range(len(x)):
        # independent: log p(x) = log N(z; 0, I) - log|det df/dz| with df/dz by autograd
        jac = jacobian(lambda v: flow(v.view(1, 2)).view(2), z[i])  # (2, 2)
        log_n = -0.5 * z[i].square().sum() - math.log(2 * math.pi)
        ref = log_n - torch.linalg.slogdet(jac).logabsdet
        torch.testing.assert_close(got[i], ref)


def test_log_prob_of_identity_flow_is_standard_normal():
    flow = flowgan.RealNVP(2, 3).double()  # zero-initialised last layers: the identity
    x = torch.randn(10, 2, dtype=torch.float64)
    ref = torch.distributions.Normal(0.0, 1.0).log_prob(x).sum(1)
    torch.testing.assert_close(flow.log_prob(x), ref)
    torch.testing.assert_close(flowgan.nll(flow, x), -ref.mean())


def test_coupling_keeps_masked_coordinates():
    layer = flowgan.AffineCoupling(torch.tensor([1.0, 0.0]), hidden=8).double()
    with torch.no_grad():
        for p in layer.parameters():
            p.add_(torch.randn_like(p))
    z = torch.randn(5, 2, dtype=torch.float64)
    x, _ = layer(z)
    torch.testing.assert_close(x[:, 0], z[:, 0])
    assert not torch.allclose(x[:, 1], z[:, 1])


def _weights(net):
    return [p.detach().clone() for p in net.parameters()]


@pytest.mark.parametrize("name,has_d", [("flowgan", True), ("flow-mle", False),
                                        ("flowgan-hybrid", True)])
def test_variants_build_and_one_step_changes_weights(name, has_d):
    d_opts = dict(width=8, depth=2) if has_d else {}  # flow-mle has no D: refuses D's options
    game = variants.build(name, (2,), layers=2, hidden=8, **d_opts)
    assert ("D" in game.nets) == has_d
    assert isinstance(game.nets["G"], flowgan.RealNVP)
    before = {n: _weights(m) for n, m in game.nets.items()}
    tr = Trainer(game, data.TWO_MOONS, TrainConfig(steps=1, batch=16, ema_decay=0,
                                                    progress=False, device="cpu"))
    logs = tr.train_step()
    for n, m in game.nets.items():
        assert any(not torch.equal(a, b) for a, b in zip(before[n], _weights(m))), n
    if name != "flowgan":
        assert torch.isfinite(logs["G/nll"])
    assert tr.sample(5).shape == (5, 2)


def test_mle_steps_lower_the_nll():
    game = variants.build("flow-mle", (2,), layers=4, hidden=16)
    x = data.TWO_MOONS.sample(500, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        start = float(flowgan.nll(game.nets["G"], x))
    Trainer(game, data.TWO_MOONS, steps=60, batch=128, ema_decay=0, progress=False,
            device="cpu").fit()
    with torch.no_grad():
        end = float(flowgan.nll(game.nets["G"], x))
    assert end < start - 0.3, (start, end)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="d >= 2"):
        flowgan.RealNVP(1)
    with pytest.raises(ValueError, match=r"\(B, 2\)"):
        flowgan.RealNVP(2).log_prob(torch.zeros(4, 3))
    with pytest.raises(ValueError, match="points"):
        variants.build("flowgan", (1, 8, 8))
    with pytest.raises(ValueError, match="objective"):
        variants.build("flow-mle", (2,), mle_weight=0.0)
    with pytest.raises(ValueError, match="latent"):
        variants.build("flowgan", (2,), nz=5)
