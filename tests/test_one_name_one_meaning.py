"""Names shared across modules mean one thing: one lr `linear_decay` (ganlab.train, re-exported
by collapse), CycleGAN's own schedule as `cyclegan_decay`, one slerp (ganlab.latent) that
the PPL metric's `slerp_directions` only normalises around, BigGAN's `truncate_z` and
StyleGAN's `truncate_w`, one `psnr` (ganlab.metrics), one `luminance` (ganlab.paired), and one
real-vs-fake classifier loop (ganlab.metrics.two_sample) under the C2ST, the fake detector and
TimeGAN's discriminative score. The last test walks every module for a name defined twice."""

import importlib
import inspect
import math
import pickle
import pkgutil
from collections import defaultdict

import numpy as np
import pytest
import torch
from torch import nn

import ganlab
from ganlab import (
    attention,
    collapse,
    detect,
    latent,
    paired,
    style,
    superres,
    timeseries,
    train,
    translation,
)
from ganlab.metrics import (
    classifier_two_sample_test,
    fit_real_fake_classifier,
    perceptual,
    psnr,
    real_fake_accuracy,
)


def test_linear_decay_is_one_function_against_its_closed_form():
    assert collapse.linear_decay is train.linear_decay
    f = train.linear_decay(10)
    assert [f(s) for s in (0, 3, 10, 12)] == [1.0, 1.0 - 3 / 10, 0.0, 0.0]
    assert pickle.loads(pickle.dumps(f))(5) == 0.5  # a Team.lr_schedule that checkpoints keep


def test_cyclegan_decay_holds_then_falls_linearly():
    assert not hasattr(translation, "linear_decay")  # the old name is gone: it meant two things
    got = [translation.cyclegan_decay(s, 10) for s in (0, 4, 5, 6, 8, 10, 11)]
    assert got == [1.0, 1.0, 1.0, 0.8, 0.4, 0.0, 0.0]


def test_slerp_directions_is_latent_slerp_of_unit_vectors():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(5, 7, generator=g, dtype=torch.float64), torch.randn(5, 7, generator=g,
                                                                            dtype=torch.float64)
    t = torch.rand(5, 1, generator=g, dtype=torch.float64)
    ua, ub = a / a.norm(dim=1, keepdim=True), b / b.norm(dim=1, keepdim=True)
    omega = torch.acos((ua * ub).sum(1, keepdim=True))
    want = (torch.sin((1 - t) * omega) * ua + torch.sin(t * omega) * ub) / torch.sin(omega)
    torch.testing.assert_close(perceptual.slerp_directions(a, b, t), want, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(latent.slerp(ua, ub, t), want, rtol=1e-12, atol=1e-12)
    assert not hasattr(perceptual, "slerp")  # the old name is gone: latent.slerp is the slerp
    # a quarter turn between orthogonal unit vectors at t = 1/2: the diagonal
    e1, e2 = torch.eye(2, dtype=torch.float64)[:1], torch.eye(2, dtype=torch.float64)[1:]
    mid = perceptual.slerp_directions(3 * e1, 5 * e2, torch.full((1, 1), 0.5, dtype=torch.float64))
    torch.testing.assert_close(mid, torch.tensor([[1.0, 1.0]], dtype=torch.float64) / math.sqrt(2))


def test_truncate_w_is_the_interpolation_towards_w_avg():
    assert not hasattr(style, "truncate") and not hasattr(attention, "truncate")
    g = torch.Generator().manual_seed(0)
    w, w_avg = torch.randn(6, 4, generator=g, dtype=torch.float64), torch.randn(4, generator=g,
                                                                             dtype=torch.float64)
    for psi in (0.0, 0.3, 1.0, 1.5):
        want = w_avg.numpy() + psi * (w.numpy() - w_avg.numpy())
        np.testing.assert_allclose(style.truncate_w(w, w_avg, psi).numpy(), want, rtol=1e-12, atol=1e-12)


def test_truncate_z_redraws_to_the_truncated_normal():
    """Entries inside [-t, t] are kept bit for bit; the redrawn ones follow N(0, 1) restricted to
    [-t, t], whose variance is 1 - 2 t phi(t) / (2 Phi(t) - 1) (0.2911 at t = 1, not 1 or t^2/3)."""
    g = torch.Generator().manual_seed(0)
    z = torch.randn(200, 8, generator=g)
    out = attention.truncate_z(z, 1.0, generator=g)
    inside = z.abs() <= 1.0
    assert torch.equal(out[inside], z[inside]) and (out.abs() <= 1.0).all()
    redrawn = attention.truncate_z(torch.full((40000,), 3.0), 1.0, generator=g)  # every entry redrawn
    t = 1.0
    phi, big_phi = math.exp(-t * t / 2) / math.sqrt(2 * math.pi), 0.5 * (1 + math.erf(t / math.sqrt(2)))
    var = 1 - 2 * t * phi / (2 * big_phi - 1)
    assert abs(float(redrawn.mean())) < 0.01  # sd of the mean ~ 0.0027
    assert var - 0.01 < float(redrawn.var()) < var + 0.01  # sd of the variance ~ 0.002


def test_eq_t_uses_metrics_psnr_with_the_reference_range():
    assert not hasattr(style, "psnr")
    net, shifts = style.ToyStack(size=16, seed=3), [(0.5, 0.0), (1.0, -2.25)]
    with torch.no_grad():
        y0 = net(net.input()).double().numpy()
        vals = []
        for t in shifts:
            ref = style.translate(torch.from_numpy(y0), t).numpy()
            x = net(net.input(t)).double().numpy()
            vals.append(10 * np.log10((ref.max() - ref.min()) ** 2 / ((x - ref) ** 2).mean()))
    assert style.eq_t(net, shifts) == pytest.approx(np.mean(vals), rel=1e-4, abs=1e-4)
    # the metric's own convention: range 2 for [-1, 1] images, 10 log10(4 / MSE) per image
    x, ref = torch.zeros(2, 1, 2, 2, dtype=torch.float64), torch.full((2, 1, 2, 2), 0.1, dtype=torch.float64)
    torch.testing.assert_close(psnr(x, ref), torch.full((2,), 10 * math.log10(4 / 0.01), dtype=torch.float64))


def test_luminance_is_one_function():
    assert superres.luminance is paired.luminance
    rgb = torch.eye(3).view(3, 3, 1, 1).expand(3, 3, 2, 2)  # pure red, green, blue
    torch.testing.assert_close(paired.luminance(rgb)[:, 0, 0, 0], torch.tensor([0.299, 0.587, 0.114]))
    grey = torch.rand(2, 1, 3, 3)
    assert paired.luminance(grey) is grey
    with pytest.raises(ValueError, match="1 or 3 channels"):
        paired.luminance(torch.zeros(1, 2, 3, 3))


def test_real_fake_accuracy_counts_ties_as_fake():
    net = lambda x: x[:, 0]  # noqa: E731 (the logit is the first coordinate)
    real, fake = torch.tensor([[1.0], [2.0], [-1.0], [3.0]]), torch.tensor([[-1.0], [0.0], [2.0]])
    assert real_fake_accuracy(net, real, fake) == pytest.approx(0.5 * (3 / 4 + 2 / 3))
    x = torch.randn(50, 1)
    assert real_fake_accuracy(net, x, x) == pytest.approx(0.5, abs=1e-12)  # one set as both: chance


def test_the_classifier_loop_is_one_adam_step_on_mean_bce():
    """One step on a logistic regression: Adam's first update is lr g / (|g| + eps) per entry,
    with g = X^T (sigmoid(X w + b) - t) / N computed here by hand; torch's global RNG untouched."""
    g = torch.Generator().manual_seed(1)
    x, t = torch.randn(32, 3, generator=g), (torch.rand(32, generator=g) > 0.5).float()

    def make():
        return nn.Sequential(nn.Linear(3, 1), nn.Flatten(0))

    torch.manual_seed(7)
    init = make()
    w0, b0 = init[0].weight.detach().double().numpy()[0], init[0].bias.detach().double().numpy()
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    net = fit_real_fake_classifier(make, lambda: (x, t), steps=1, lr=0.01, seed=7)
    assert torch.equal(torch.rand(3), before)
    xd, td = x.double().numpy(), t.double().numpy()
    r = 1 / (1 + np.exp(-(xd @ w0 + b0))) - td  # (N,) sigmoid(logit) - target
    gw, gb = xd.T @ r / len(xd), np.array([r.mean()])
    w1, b1 = net[0].weight.detach().double().numpy()[0], net[0].bias.detach().double().numpy()
    np.testing.assert_allclose(w1, w0 - 0.01 * gw / (np.abs(gw) + 1e-8), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b1, b0 - 0.01 * gb / (np.abs(gb) + 1e-8), rtol=1e-5, atol=1e-6)
    assert np.abs(w1 - w0).min() > 0.009  # it moved by lr, not by lr * |g| (plain SGD)
    assert not net.training


def test_the_three_callers_separate_a_separable_pair_and_not_one_set():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(400, 3, generator=g)
    assert classifier_two_sample_test(a.numpy(), (a + 10).numpy(), steps=100)["accuracy"] == 1.0
    assert 0.4 < classifier_two_sample_test(a.numpy(), a.numpy(), steps=100)["accuracy"] < 0.6
    dark, light = -torch.rand(160, 1, 8, 8, generator=g), torch.rand(160, 1, 8, 8, generator=g)
    cfg = detect.DetectorConfig(steps=60, batch=32, width=4)
    assert detect.detection_report(dark[:80], dark[80:], {"light": light}, cfg)["light"] == 1.0
    det = detect.train_detector(dark[:80], light[:80], cfg)
    assert detect.detector_accuracy(det, dark[80:], dark[80:]) == pytest.approx(0.5, abs=1e-12)
    s = torch.sin(torch.linspace(0, 6, 12))[None, :, None] + 0.1 * torch.randn(100, 12, 1, generator=g)
    assert timeseries.discriminative_score(s, s + 3, steps=60) == 0.5  # held-out accuracy 1
    assert timeseries.discriminative_score(s, s, steps=60) < 0.1


# Names defined in two modules on purpose, with the reason; any other name defined twice fails.
SAME_NAME_ALLOWED = {
    "main": "each module's own command line (python -m ganlab.claims / .cli / .exercises)",
    "load": "catalog.load is data.load extended to the data kinds of the variants (one meaning)",
    "Table": "claims.Table is a ledger's table, data.Table a tabular data set (claims is frozen)",
}


def test_no_public_name_is_defined_in_two_modules():
    """Walk every ganlab module; group its public functions and classes (of ganlab) by the name
    they are bound to. The same object under one name in several modules is a re-export; two
    different objects under one name are two meanings."""
    objs = defaultdict(dict)  # name -> {id(obj): "where"}
    for info in pkgutil.walk_packages(ganlab.__path__, "ganlab."):
        if info.name.endswith("__main__"):
            continue
        mod = importlib.import_module(info.name)
        for name, obj in vars(mod).items():
            if name.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if getattr(obj, "__module__", "").startswith("ganlab"):
                objs[name].setdefault(id(obj), f"{mod.__name__}.{name} = {obj.__module__}.{obj.__qualname__}")
    twice = {name: sorted(w.values()) for name, w in objs.items() if len(w) > 1}
    assert set(twice) - set(SAME_NAME_ALLOWED) == set(), twice
    assert set(SAME_NAME_ALLOWED) <= set(twice), "a name in SAME_NAME_ALLOWED is no longer defined twice"
