"""The semi-supervised GAN's K+1-class terms and CatGAN's entropy terms against explicit
float64 references (numpy softmax with a zero logit, numpy entropies); the labelled pool;
the presets train."""

import math

import numpy as np
import pytest
import torch

from ganlab import data, semisup, variants
from ganlab.train import TrainConfig, Trainer


def _logits(b=6, k=4, seed=0, scale=3.0):
    g = torch.Generator().manual_seed(seed)
    return (scale * torch.randn(b, k, generator=g)).double()


def _np_softmax(a):
    e = np.exp(a - a.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def test_kplus1_log_probs_are_a_softmax_with_a_zero_fake_logit():
    lg = _logits()
    ref = np.log(_np_softmax(np.concatenate([lg.numpy(), np.zeros((len(lg), 1))], 1)))
    np.testing.assert_allclose(semisup.kplus1_log_probs(lg).numpy(), ref, rtol=1e-12, atol=1e-12)
    # D(x) = Z / (Z + 1) = 1 - p(fake | x), and its logit is log Z
    z = np.exp(lg.numpy()).sum(1)
    np.testing.assert_allclose(torch.sigmoid(semisup.realness(lg)).numpy(), z / (z + 1), rtol=1e-12)
    np.testing.assert_allclose(1 - np.exp(ref[:, -1]), z / (z + 1), rtol=1e-12)
    with pytest.raises(ValueError, match=r"\(B, K\)"):
        semisup.realness(torch.zeros(5))


def test_ssgan_d_loss_is_the_papers_sup_and_unsup_terms():
    lab, real, fake = _logits(5, 3, 1), _logits(7, 3, 2), _logits(4, 3, 3)
    y = torch.tensor([0, 2, 1, 1, 0])
    sup, unsup = semisup.ssgan_d_loss(lab, y, real, fake)
    # -log p(y | x, y < K+1): the K+1 softmax renormalised over the K real classes
    p = np.exp(semisup.kplus1_log_probs(lab).numpy())
    ref_sup = -np.mean(np.log(p[np.arange(5), y.numpy()] / p[:, :3].sum(1)))
    d_real = 1 - np.exp(semisup.kplus1_log_probs(real).numpy()[:, -1])  # D(x)
    d_fake = 1 - np.exp(semisup.kplus1_log_probs(fake).numpy()[:, -1])
    ref_unsup = -np.mean(np.log(d_real)) - np.mean(np.log(1 - d_fake))
    np.testing.assert_allclose(float(sup), ref_sup, rtol=1e-10)
    np.testing.assert_allclose(float(unsup), ref_unsup, rtol=1e-10)
    # the nearest wrong answer: the fake logit as a free zero inside a plain K-class softmax
    assert abs(float(unsup) - (-np.mean(np.log(_np_softmax(real.numpy()).max(1))))) > 1e-3


def test_entropies_match_numpy():
    lg = _logits(8, 5, 4)
    p = _np_softmax(lg.numpy())
    np.testing.assert_allclose(semisup.entropy(lg).numpy(), -(p * np.log(p)).sum(1), rtol=1e-10)
    m = p.mean(0)
    np.testing.assert_allclose(float(semisup.marginal_entropy(lg)), -(m * np.log(m)).sum(),
                               rtol=1e-10)
    flat = torch.zeros(3, 5, dtype=torch.float64)  # uniform rows: H = log K
    np.testing.assert_allclose(semisup.entropy(flat).numpy(), np.full(3, math.log(5)), rtol=1e-12)
    sure = torch.tensor([[50.0, 0, 0], [0, 50.0, 0]], dtype=torch.float64)  # 2 of 3 classes, sure
    np.testing.assert_allclose(float(semisup.marginal_entropy(sure)), math.log(2), rtol=1e-9)
    assert float(semisup.entropy(sure).max()) < 1e-18


def test_catgan_losses_are_equation_7():
    real, fake = _logits(9, 4, 5), _logits(6, 4, 6)
    pr, pf = _np_softmax(real.numpy()), _np_softmax(fake.numpy())
    h = lambda p: -(p * np.log(p)).sum(-1)  # noqa: E731
    ref_d = -h(pr.mean(0)) + h(pr).mean() - h(pf).mean()
    ref_g = -h(pf.mean(0)) + h(pf).mean()
    np.testing.assert_allclose(float(semisup.catgan_d_loss(real, fake)), ref_d, rtol=1e-10)
    np.testing.assert_allclose(float(semisup.catgan_g_loss(fake)), ref_g, rtol=1e-10)
    # D's optimum: sure and balanced on data, uniform on fakes -> -2 log K; G's: -log K
    k = 4
    sure = torch.eye(k, dtype=torch.float64).repeat(3, 1) * 60
    uniform = torch.zeros(5, k, dtype=torch.float64)
    np.testing.assert_allclose(float(semisup.catgan_d_loss(sure, uniform)), -2 * math.log(k),
                               rtol=1e-9)
    np.testing.assert_allclose(float(semisup.catgan_g_loss(sure)), -math.log(k), rtol=1e-9)


def test_label_pool_keeps_the_first_items_of_each_class_and_then_stops():
    state = {}
    x = torch.arange(10.0)[:, None]
    y = torch.tensor([0, 1, 0, 0, 2, 1, -1, 2, 2, 1])
    semisup.fill_label_pool(state, x[:5], y[:5], per_class=2, classes=3)
    assert state["pool_y"].tolist() == [0, 1, 0, 2]
    semisup.fill_label_pool(state, x[5:], y[5:], per_class=2, classes=3)
    assert state["pool_y"].tolist() == [0, 1, 0, 2, 1, 2]  # the -1 item is never taken
    assert state["pool_x"][:, 0].tolist() == [0, 1, 2, 4, 5, 7]
    semisup.fill_label_pool(state, x, torch.zeros(10, dtype=torch.long), per_class=2, classes=3)
    assert len(state["pool_y"]) == 6  # full: nothing more is read
    with pytest.raises(ValueError, match="--classes 6"):
        semisup.fill_label_pool({}, x[:1], torch.tensor([5]), per_class=2, classes=3)


def test_classifier_d_noise_only_while_training():
    d = semisup.ClassifierD((1, 4, 4), classes=3, hidden=8, noise=0.5)
    x = torch.randn(5, 1, 4, 4)
    d.eval()
    torch.testing.assert_close(d(x), d(x))
    d.train()
    assert not torch.allclose(d(x), d(x))
    with pytest.raises(ValueError, match="expected images"):
        d(torch.zeros(2, 16))


@pytest.mark.parametrize("name, opts", [("ssgan", {}), ("ssgan", {"unsup_weight": 0.0}),
                                        ("catgan", {})])
def test_presets_train_a_few_steps(name, opts):
    ds = data.digits(16, "train")
    game = variants.build(name, (1, 16, 16), 10, seed=0, width=32, **opts)
    tr = Trainer(game, ds, TrainConfig(steps=3, batch=32, progress=False, device="cpu"))
    tr.fit()
    assert all(math.isfinite(float(v)) for v in tr._last.values())
    assert ("G" in game.teams) and (len(game.phases) == (1 if opts else 2))
    if name == "ssgan":
        counts = torch.bincount(game.state["pool_y"], minlength=10)
        assert int(counts.max()) == 10 and int(counts.sum()) <= 100  # 96 items seen: not all full
