"""The mode-collapse fixes against hand computations, and every collapse variant trains."""

import copy
from types import SimpleNamespace

import pytest
import torch

from ganlab import collapse, data, variants
from ganlab.train import TrainConfig, Trainer

SMALL = dict(g_width=16, g_depth=2, width=8, depth=2)


def test_pack_groups_consecutive_samples():
    x = torch.arange(12.0).view(6, 2)  # rows (0,1), (2,3), ...
    p = collapse.pack(x, 3)
    assert p.shape == (2, 6)
    torch.testing.assert_close(p[0], torch.tensor([0.0, 1, 2, 3, 4, 5]))
    torch.testing.assert_close(p[1], torch.tensor([6.0, 7, 8, 9, 10, 11]))
    assert collapse.pack(torch.zeros(4, 6, 2), 2).shape == (4, 3, 4)  # leading trial dim kept
    torch.testing.assert_close(collapse.pack(x, 1), x)
    with pytest.raises(ValueError, match="divisible by 4"):
        collapse.pack(x, 4)


def test_minibatch_stddev_hand_computation():
    h = torch.tensor([[0.0, 1.0], [2.0, 1.0], [4.0, 4.0]], dtype=torch.float64)
    # feature 0: values 0, 2, 4 -> biased var 8/3; feature 1: 1, 1, 4 -> mean 2, var 2
    s = ((8 / 3 + 1e-8) ** 0.5 + (2 + 1e-8) ** 0.5) / 2
    out = collapse.minibatch_stddev(h)
    assert out.shape == (3, 3)
    torch.testing.assert_close(out[:, :2], h)
    torch.testing.assert_close(out[:, 2], torch.full((3,), s, dtype=torch.float64))
    both = collapse.minibatch_stddev(torch.stack([h, 2 * h]))  # per trial
    torch.testing.assert_close(both[1, :, 2], torch.full((3,), 2 * s, dtype=torch.float64),
                               rtol=1e-6, atol=1e-8)
    with pytest.raises(ValueError, match="at least 2"):
        collapse.minibatch_stddev(h[:1])


def test_minibatch_features_closed_form():
    m = torch.tensor([[[0.0, 0.0]], [[1.0, -2.0]]], dtype=torch.float64)  # (N=2, B=1, C=2)
    o = collapse.minibatch_features(m)
    assert o.shape == (2, 1)
    e = torch.exp(torch.tensor(-3.0, dtype=torch.float64))  # ||(1, -2) - (0, 0)||_1 = 3
    torch.testing.assert_close(o, torch.stack([1 + e, 1 + e]).view(2, 1))
    layer = collapse.MinibatchDiscrimination(trials=3, d_in=4, kernels=5, kernel_dim=2)
    assert layer(torch.randn(3, 7, 4)).shape == (3, 7, 5)


def test_feature_matching_value():
    real = torch.tensor([[1.0, 0.0], [3.0, 2.0]])  # mean (2, 1)
    fake = torch.tensor([[0.0, 0.0], [0.0, 0.0]])
    torch.testing.assert_close(collapse.feature_matching(real, fake), torch.tensor(5.0))
    per_trial = collapse.feature_matching(torch.stack([real, fake]), torch.stack([fake, fake]))
    torch.testing.assert_close(per_trial, torch.tensor([5.0, 0.0]))


def _trainer(name, trials=2, **kw):
    torch.manual_seed(0)
    game = variants.build(name, (2,), trials=trials, **{**SMALL, **kw})
    return game, Trainer(game, data.ring(), TrainConfig(steps=1, batch=12 * trials, ema_decay=0,
                                                        progress=False, device="cpu"))


def _snapshot(game):
    return {n: [p.detach().clone() for p in m.parameters()] for n, m in game.nets.items()}


@pytest.mark.parametrize("name", list(collapse.METHODS))
def test_every_variant_builds_and_one_phase_moves_only_its_team(name):
    game, tr = _trainer(name, **({"unroll": 2} if name == "unrolled-gan" else {}))
    for phase in game.phases:
        before = _snapshot(game)
        tr._run_phase(phase)
        tr._unfreeze()
        after = _snapshot(game)
        for net in game.nets:
            moved = any(not torch.equal(a, b) for a, b in zip(before[net], after[net]))
            assert moved == (net == phase.team), f"{name}: phase {phase.name} moved {net}: {moved}"
    assert collapse.trial_samples(game.nets["G"], 5).shape == (2, 5, 2)


def test_unrolled_gradient_differs_from_plain():
    grads = {}
    for unroll in (0, 3):
        game, tr = _trainer("unrolled-gan", unroll=unroll)
        z, real = torch.randn(24, 2, generator=torch.Generator().manual_seed(1)), data.ring().sample(24)
        tr.latent = lambda n, z=z: z[:n]
        tr._batches.next = lambda real=real: (real, None)
        g_phase = game.phases[-1]
        loss = g_phase.loss(_ctx(tr, g_phase))["loss"]
        grads[unroll] = torch.autograd.grad(loss, list(game.nets["G"].parameters()))
        tr._unfreeze()
    diff = max((a - b).abs().max().item() for a, b in zip(grads[0], grads[3]))
    assert diff > 1e-6, "the unrolled G gradient equals the plain one: the look-ahead has no effect"


def _ctx(tr, phase):
    from ganlab.train import Step

    return Step(tr, tr._phase_nets(phase.team), phase)


def _lookahead_setup(trials=2, unroll=3):
    """A float64 maxout D with Adam moments from two real steps, a real batch and a fake batch."""
    torch.manual_seed(3)
    d = collapse.CollapseDiscriminator(trials, 2, width=6, depth=2, pieces=3).double()
    opt = torch.optim.Adam(d.parameters(), lr=1e-2, betas=(0.5, 0.999))
    real = data.ring().sample(8 * trials).double()
    fake = torch.randn(8 * trials, 2, dtype=torch.float64)
    d_fn = collapse.losses.LOSSES["nonsaturating"][0]
    for _ in range(2):
        opt.zero_grad()
        (trials * d_fn(d(real), d(fake))).backward()
        opt.step()
    ctx = SimpleNamespace(nets={"D": d}, real=real, optimizer=lambda team: opt)
    cfg = collapse.CollapseConfig(trials=trials, unroll=unroll)
    return d, opt, real, fake, d_fn, ctx, cfg


def test_unrolled_lookahead_equals_torch_adam_steps():
    d, opt, real, fake, d_fn, ctx, cfg = _lookahead_setup()
    params = collapse._unrolled_params(ctx, cfg, d_fn, fake)
    d2 = copy.deepcopy(d)
    opt2 = torch.optim.Adam(d2.parameters(), lr=1e-2, betas=(0.5, 0.999))
    opt2.load_state_dict(opt.state_dict())
    for _ in range(cfg.unroll):  # the same k steps, taken by torch's Adam on a copy of D
        opt2.zero_grad()
        (cfg.trials * d_fn(d2(real), d2(fake))).backward()
        opt2.step()
    for k, p in d2.named_parameters():
        torch.testing.assert_close(params[k], p.detach(), rtol=1e-9, atol=1e-12)
    for k, p in d.named_parameters():  # D itself is untouched by the look-ahead
        assert not torch.equal(params[k], p)


def test_unrolled_gradient_matches_finite_differences():
    d, opt, real, fake, d_fn, ctx, cfg = _lookahead_setup(unroll=2)
    g_fn = collapse.losses.LOSSES["nonsaturating"][1]
    shift = torch.zeros(2, dtype=torch.float64, requires_grad=True)  # a 2-parameter "generator"

    def surrogate(s):
        x = fake + s
        return cfg.trials * g_fn(collapse.functional_call(d, collapse._unrolled_params(ctx, cfg, d_fn, x),
                                                          (x,)))

    (grad,) = torch.autograd.grad(surrogate(shift), shift)
    h, fd = 1e-6, torch.zeros(2, dtype=torch.float64)
    for i in range(2):
        e = torch.zeros(2, dtype=torch.float64)
        e[i] = h
        fd[i] = (surrogate(e).detach() - surrogate(-e).detach()) / (2 * h)
    torch.testing.assert_close(grad, fd, rtol=1e-5, atol=1e-8)
    # and the look-ahead matters: the plain gradient (k = 0) is a different vector
    (plain,) = torch.autograd.grad(cfg.trials * g_fn(d(fake + shift)), shift)
    assert (plain - grad).abs().max() > 1e-4


def test_decay_steps_sets_a_linear_lr_schedule():
    game = variants.build("collapse-gan", (2,), decay_steps=100, lr_g=2e-3, lr_d=1e-3, **SMALL)
    for name, lr in (("G", 2e-3), ("D", 1e-3)):
        team = game.teams[name]
        assert team.lr == lr
        assert [team.lr_schedule(s) for s in (0, 25, 100, 150)] == [1.0, 0.75, 0.0, 0.0]
    tr = Trainer(game, data.ring(), TrainConfig(steps=50, batch=12, ema_decay=0, progress=False,
                                                device="cpu", log_every=10**9))
    tr.run(50)  # the optimiser's lr follows the schedule: lr * (1 - 49 / 100) at the last step
    assert tr.optimizers["G"].param_groups[0]["lr"] == pytest.approx(2e-3 * 0.51, rel=1e-12)
    assert variants.build("collapse-gan", (2,), **SMALL).teams["G"].lr_schedule is None
    with pytest.raises(ValueError, match="decay_steps must be >= 0"):
        variants.build("collapse-gan", (2,), decay_steps=-1, **SMALL)


def test_g_batchnorm_switch():
    """g_batchnorm=False: G has no batch norm and its linear layers carry biases instead."""
    from ganlab.ensemble import EnsembleBatchNorm, EnsembleLinear

    for bn in (True, False):
        g = variants.build("collapse-gan", (2,), g_batchnorm=bn, trials=2, **SMALL).nets["G"]
        n_bn = sum(isinstance(m, EnsembleBatchNorm) for m in g.modules())
        hidden = [m for m in g.modules() if isinstance(m, EnsembleLinear)][:-1]
        assert n_bn == (SMALL["g_depth"] if bn else 0)
        assert all((m.bias is None) == bn for m in hidden)
