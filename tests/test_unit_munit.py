"""UNIT and MUNIT (ganlab.unit) against the maths: the shared layers are one set of Parameters
that both domains' gradients reach, the KL term is the closed form of KL(N(mu, I) || N(0, I)),
AdaIN gives each channel the style's mean and std, the MUNIT decoder depends on both codes,
UNIT's mean-latent translation is deterministic, and the generator losses equal hand
computations from the nets' parts."""

import pytest
import torch

from ganlab import unit, variants
from ganlab.style import adain
from ganlab.train import Trainer


def _rand(*shape, seed=0):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def test_unit_shared_layers_are_one_parameter_set_fed_by_both_domains():
    G = unit.UNITGenerator(1, 1, width=4)
    assert G.encoder["A"][-1] is G.encoder["B"][-1] and G.decoder["A"][0] is G.decoder["B"][0]
    assert G.encoder["A"][0] is not G.encoder["B"][0] and G.decoder["A"][-1] is not G.decoder["B"][-1]
    shared = next(G.encoder["A"][-1].parameters())
    assert any(p is shared for p in G.encoder["B"].parameters())
    assert sum(p is shared for p in G.parameters()) == 1  # the optimiser sees it once
    a, b = _rand(2, 1, 8, 8, seed=1), _rand(2, 1, 8, 8, seed=2)
    grads = []
    for x, d in ((a, "A"), (b, "B")):
        G.zero_grad()
        G.encode(x, d).square().sum().backward()
        grads.append(shared.grad.clone())
    G.zero_grad()
    (G.encode(a, "A").square().sum() + G.encode(b, "B").square().sum()).backward()
    assert grads[0].abs().sum() > 0 and grads[1].abs().sum() > 0
    torch.testing.assert_close(shared.grad, grads[0] + grads[1])  # both domains accumulate


def test_unit_kl_is_the_closed_form_and_torch_distributions_kl():
    mu = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    torch.testing.assert_close(unit.unit_kl(mu), torch.tensor(30.0 / 8))  # (1+4+9+16) / 2 / 4
    mu = torch.randn(3, 4, 2, 2, dtype=torch.float64)
    q = torch.distributions.Normal(mu, torch.ones_like(mu))
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    ref = torch.distributions.kl_divergence(q, p).mean()
    torch.testing.assert_close(unit.unit_kl(mu), ref)
    assert unit.unit_kl(torch.zeros(2, 3)) == 0


def test_adain_gives_each_channel_the_styles_mean_and_std():
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64) * 3 + 1
    scale = torch.tensor([[0.5, 2.0, 1.5], [3.0, 0.2, 1.0]], dtype=torch.float64)
    bias = torch.tensor([[-1.0, 0.0, 2.0], [0.5, 4.0, -3.0]], dtype=torch.float64)
    y = adain(x, scale, bias, eps=0.0)
    torch.testing.assert_close(y.mean((2, 3)), bias, atol=1e-9, rtol=0)
    torch.testing.assert_close(y.std((2, 3), unbiased=False), scale, atol=1e-9, rtol=1e-9)


def test_munit_decoder_depends_on_style_and_content_unit_mean_latent_is_deterministic():
    torch.manual_seed(0)
    ae = unit.MUNITAutoEncoder(1, width=4, style_dim=4, n_res=1, mlp_dim=8).double().eval()
    c = ae.content(_rand(2, 1, 8, 8, seed=3).double())
    s = torch.randn(2, 4, dtype=torch.float64)
    base, h = ae.decode(c, s), 1e-4
    ds = torch.zeros_like(s)
    ds[:, 0] = h
    dc = torch.zeros_like(c)
    dc[:, 0, 1, 1] = h
    for moved in (ae.decode(c, s + ds), ae.decode(c + dc, s)):
        fd = (moved - base).abs().amax() / h  # a finite-difference derivative
        assert 1e-3 < fd < 1e3, fd
    G = unit.UNITGenerator(1, 1, width=4).eval()
    x = _rand(3, 1, 8, 8, seed=4)
    torch.testing.assert_close(G.translate(x, "A", "B"), G.translate(x, "A", "B"), rtol=0, atol=0)
    noisy = G.translate(x, "A", "B", noise=torch.randn_like(G.encode(x, "A")))
    assert (noisy - G.translate(x, "A", "B")).abs().mean() > 1e-4


def _d_const(value):
    return lambda x, net: torch.full((len(x), 1, 2, 2), value)


def test_unit_generator_loss_equals_a_hand_computation():
    torch.manual_seed(1)
    G = unit.UNITGenerator(1, 1, width=4)
    cfg = unit.UNITConfig(recon=2.0, kl=0.5, cycle=3.0, cycle_kl=0.25)
    a, b = _rand(2, 1, 8, 8, seed=5), _rand(2, 1, 8, 8, seed=6)
    out = unit.unit_generator_loss(G, a, b, cfg, _d_const(0.25), noise=torch.zeros_like)
    mu_a, mu_b = G.encode(a, "A"), G.encode(b, "B")
    ab, ba = G.decode(mu_a, "B"), G.decode(mu_b, "A")
    recon = (G.decode(mu_a, "A") - a).abs().mean() + (G.decode(mu_b, "B") - b).abs().mean()
    cyc = ((G.decode(G.encode(ab, "B"), "A") - a).abs().mean()
           + (G.decode(G.encode(ba, "A"), "B") - b).abs().mean())
    kl = 0.5 * (mu_a ** 2).mean() + 0.5 * (mu_b ** 2).mean()
    cyc_kl = 0.5 * (G.encode(ab, "B") ** 2).mean() + 0.5 * (G.encode(ba, "A") ** 2).mean()
    adv = 2 * 0.5 * (0.25 - 1) ** 2  # LSGAN 0-1: 1/2 (D - 1)^2 on each translation
    torch.testing.assert_close(out["adv"], torch.tensor(adv))
    for k, v in (("recon", recon), ("cycle", cyc), ("kl", kl), ("cycle_kl", cyc_kl)):
        torch.testing.assert_close(out[k], v.detach(), msg=k)
    torch.testing.assert_close(out["loss"].detach(),
                               (adv + 2 * recon + 0.5 * kl + 3 * cyc + 0.25 * cyc_kl).detach())
    torch.testing.assert_close(out["fake_b"], ab.detach())


def test_munit_generator_loss_equals_a_hand_computation():
    torch.manual_seed(2)
    nets = {d: unit.MUNITAutoEncoder(1, width=4, style_dim=3, n_res=1, mlp_dim=8) for d in ("G_A", "G_B")}
    cfg = unit.MUNITConfig(style_dim=3, recon=4.0, content=2.0, style=0.5, cycle=1.5)
    a, b = _rand(2, 1, 8, 8, seed=7), _rand(2, 1, 8, 8, seed=8)
    s_a, s_b = torch.randn(2, 3), torch.randn(2, 3)
    out = unit.munit_generator_loss(nets, a, b, s_a, s_b, cfg, _d_const(-0.5))
    GA, GB = nets["G_A"], nets["G_B"]
    ab, ba = GB.decode(GA.content(a), s_b), GA.decode(GB.content(b), s_a)
    torch.testing.assert_close(unit.munit_translate(nets, a, "A", "B", s_b), ab)
    recon = (GA(a) - a).abs().mean() + (GB(b) - b).abs().mean()
    content = (GB.content(ab) - GA.content(a)).abs().mean() + (GA.content(ba) - GB.content(b)).abs().mean()
    style = (GB.style(ab) - s_b).abs().mean() + (GA.style(ba) - s_a).abs().mean()
    cyc = ((GA.decode(GB.content(ab), GA.style(a)) - a).abs().mean()
           + (GB.decode(GA.content(ba), GB.style(b)) - b).abs().mean())
    adv = 2 * 0.5 * (-0.5 - 1) ** 2
    for k, v in (("recon", recon), ("content", content), ("style", style), ("cycle", cyc)):
        torch.testing.assert_close(out[k], v.detach(), msg=k)
    torch.testing.assert_close(out["adv"], torch.tensor(adv))
    torch.testing.assert_close(out["loss"].detach(),
                               (adv + 4 * recon + 2 * content + 0.5 * style + 1.5 * cyc).detach())


@pytest.mark.parametrize("name", ["unit", "munit"])
def test_presets_train_through_the_trainer_and_show(name):
    from ganlab import paired

    ds = paired.thin_thick_digits(16, "train")
    game = variants.build(name, ds.x.shape[1:], seed=0, width=4)
    Trainer(game, ds, steps=3, batch=4, ema_decay=0.0, progress=False, device="cpu").fit()
    with torch.no_grad():
        pic = variants.PRESETS[name].show(variants.PRESETS[name].config, game.nets, ds.x[:3])
    assert pic.shape[0] == 3 and pic.shape[2:] == (1, 16, 16) and torch.isfinite(pic).all()
    with pytest.raises(ValueError, match="map images to images"):
        game.generate(game.nets, torch.zeros(1, game.nz), None)
