"""EBGAN and BEGAN: losses, the pulling-away term and BEGAN's k_t controller against their
formulas in float64; k_t as game state through a checkpoint; the variants train."""

import pytest
import torch
from torch import nn

from ganlab import data, energy, variants
from ganlab.train import TrainConfig, Trainer

SMALL = dict(width=4, code=8, nz=8)


class _Zero(nn.Module):
    def forward(self, x):
        return torch.zeros_like(x)


def test_energies_are_per_sample_pixel_means():
    x = torch.tensor([[[[1.0, -2.0], [3.0, 0.0]]], [[[0.5, 0.5], [0.5, 0.5]]]],
                     dtype=torch.float64)  # (2, 1, 2, 2)
    torch.testing.assert_close(energy.mse_energy(_Zero(), x),
                               torch.tensor([14 / 4, 0.25], dtype=torch.float64))
    torch.testing.assert_close(energy.l1_energy(_Zero(), x),
                               torch.tensor([6 / 4, 0.5], dtype=torch.float64))
    torch.testing.assert_close(energy.mse_energy(nn.Identity(), x), torch.zeros(2).double())


def test_ebgan_losses_match_equations_1_and_2():
    real = torch.tensor([0.2, 0.4], dtype=torch.float64)
    fake = torch.tensor([0.5, 1.5, 0.9], dtype=torch.float64)
    m = 1.0
    ref = (0.2 + 0.4) / 2 + (max(0, m - 0.5) + max(0, m - 1.5) + max(0, m - 0.9)) / 3
    torch.testing.assert_close(energy.ebgan_d_loss(real, fake, m),
                               torch.tensor(ref, dtype=torch.float64))
    torch.testing.assert_close(energy.ebgan_g_loss(fake), fake.mean())
    with pytest.raises(ValueError, match="margin"):
        energy.ebgan_d_loss(real, fake, 0.0)


def test_pulling_away_matches_double_loop():
    torch.manual_seed(0)
    s = torch.randn(5, 3, dtype=torch.float64)
    total = 0.0
    for i in range(5):
        for j in range(5):
            if i != j:
                total += (s[i] @ s[j] / (s[i].norm() * s[j].norm())) ** 2
    torch.testing.assert_close(energy.pulling_away(s), total / (5 * 4))
    orth = torch.eye(4, dtype=torch.float64)
    torch.testing.assert_close(energy.pulling_away(orth), torch.tensor(0.0).double())
    same = torch.ones(3, 2, dtype=torch.float64)
    torch.testing.assert_close(energy.pulling_away(same), torch.tensor(1.0).double())
    with pytest.raises(ValueError, match="N >= 2"):
        energy.pulling_away(s[:1])


@pytest.mark.parametrize("k,lr,lf,gamma,lam", [(0.3, 0.2, 0.05, 0.5, 0.1), (0.3, 0.1, 0.4, 0.7, 0.01),
                                               (0.999, 1.0, 0.0, 1.0, 0.1), (0.001, 0.0, 1.0, 0.5, 0.1)])
def test_began_k_update_and_convergence_measure(k, lr, lf, gamma, lam):
    got = energy.began_k_update(torch.tensor(k, dtype=torch.float64), lr, lf, gamma, lam)
    ref = min(1.0, max(0.0, k + lam * (gamma * lr - lf)))  # clip(k + lambda (gamma L(x) - L(G(z))))
    torch.testing.assert_close(got, torch.tensor(ref, dtype=torch.float64))
    assert 0.0 <= float(got) <= 1.0
    m = energy.convergence_measure(torch.tensor(lr).double(), torch.tensor(lf).double(), gamma)
    torch.testing.assert_close(m, torch.tensor(lr + abs(gamma * lr - lf), dtype=torch.float64))
    with pytest.raises(ValueError, match="gamma"):
        energy.began_k_update(k, lr, lf, 0.0, lam)


def test_autoencoder_shapes_and_bad_input():
    ae = energy.AutoencoderD(16, 1, width=4, code=8)
    x = torch.randn(3, 1, 16, 16)
    assert ae(x).shape == x.shape and ae.encode(x).shape == (3, 8)
    with pytest.raises(ValueError, match=r"\(B, 1, 16, 16\)"):
        ae(torch.randn(3, 1, 8, 8))


def _digits():
    return data.digits(16, split="train")


def _weights(net):
    return [p.detach().clone() for p in net.parameters()]


@pytest.mark.parametrize("name", ["ebgan", "ebgan-pt", "began"])
def test_variants_build_and_one_step_changes_weights(name):
    game = variants.build(name, (1, 16, 16), **SMALL)
    assert isinstance(game.nets["D"], energy.AutoencoderD)
    before = {n: _weights(m) for n, m in game.nets.items()}
    tr = Trainer(game, _digits(), TrainConfig(steps=1, batch=8, ema_decay=0, progress=False,
                                              device="cpu"))
    logs = tr.train_step()
    for n, m in game.nets.items():
        assert any(not torch.equal(a, b) for a, b in zip(before[n], _weights(m))), n
    if name == "ebgan-pt":
        assert torch.isfinite(logs["G/pt"])
    if name == "began":  # k_1 from that D step's L(x) and L(G(z)), by the formula
        ref = energy.began_k_update(torch.tensor(0.0), logs["D/L_real"], logs["D/L_fake"], 0.5, 0.001)
        torch.testing.assert_close(game.state["k"], ref)
        torch.testing.assert_close(logs["D/M_global"], energy.convergence_measure(
            logs["D/L_real"], logs["D/L_fake"], 0.5))


def test_began_k_is_saved_and_restored_through_a_checkpoint(tmp_path):
    def run():
        game = variants.build("began", (1, 16, 16), lambda_k=0.05, **SMALL)
        game.state["k"] = torch.tensor(0.5)
        return game, Trainer(game, _digits(), TrainConfig(steps=3, batch=8, ema_decay=0,
                                                          progress=False, device="cpu",
                                                          out=str(tmp_path)))

    game, tr = run()
    tr.fit()
    k3 = game.state["k"].clone()
    assert 0.0 < float(k3) < 1.0 and float(k3) != 0.5
    game2, tr2 = run()
    game2.state["k"] = torch.tensor(0.0)
    assert tr2.resume()
    torch.testing.assert_close(game2.state["k"], k3)
    tr.run(2)
    tr2.run(2)
    torch.testing.assert_close(game2.state["k"], game.state["k"])  # resumed bit for bit


def test_bad_configs_raise():
    with pytest.raises(ValueError, match="square images"):
        variants.build("began", (2,))
    with pytest.raises(ValueError, match="margin"):
        variants.build("ebgan", (1, 16, 16), margin=0.0)
