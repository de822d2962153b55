"""A T-trial ensemble trains exactly like T separate one-trial models."""

import numpy as np
import pytest
import torch

from ganlab import variants
from ganlab.ensemble import (
    EnsembleBatchNorm,
    EnsembleLinear,
    maxout,
    merge_trials,
    split_trials,
    stack_params,
    unstack_params,
)
from ganlab.train import TrainConfig, Trainer

T, B = 3, 12


class _Fixed:
    """A sampler that always returns the same rows (the first n of them)."""

    def __init__(self, x):
        self.x = x

    def sample(self, n, generator=None):
        return self.x[:n]


def test_ensemble_linear_matches_per_trial_matmul():
    lin = EnsembleLinear(T, 4, 5)
    x = torch.randn(T, B, 4)
    want = torch.stack([x[t] @ lin.weight[t] + lin.bias[t, 0] for t in range(T)])
    torch.testing.assert_close(lin(x), want)
    with pytest.raises(ValueError, match="expected x of shape"):
        lin(torch.randn(T + 1, B, 4))


def test_ensemble_batchnorm_normalises_each_trial_over_its_batch():
    bn = EnsembleBatchNorm(T, 4)
    x = torch.randn(T, B, 4) * torch.arange(1, T + 1).view(T, 1, 1) + 5
    want = (x - x.mean(1, keepdim=True)) / (x.var(1, unbiased=False, keepdim=True) + 1e-5).sqrt()
    torch.testing.assert_close(bn(x), want, atol=1e-5, rtol=1e-5)


def test_maxout_and_trial_layout():
    x = torch.tensor([[1.0, 5.0, 2.0, -1.0, -3.0, 0.0]])
    torch.testing.assert_close(maxout(x, 3), torch.tensor([[5.0, 0.0]]))
    rows = torch.arange(T * B * 2.0).view(T * B, 2)
    assert torch.equal(split_trials(rows, T)[1], rows[B:2 * B])  # trial-major
    assert torch.equal(merge_trials(split_trials(rows, T)), rows)
    with pytest.raises(ValueError, match="multiple"):
        split_trials(rows[:-1], T)


def _patch_gp(monkeypatch, eps_rows):
    """Gradient penalty whose eps for call k is EPS[k][eps_rows()], so all runs share draws."""
    from ganlab import regularizers

    eps_all = torch.rand(64, T * B, 1, generator=torch.Generator().manual_seed(3))
    calls = []

    def gp(d, real, fake, *cond, weight=10.0, **kw):
        eps = eps_all[len(calls)][eps_rows()]  # (rows, 1)
        calls.append(1)
        x_hat = eps * real.detach() + (1 - eps) * fake.detach()
        return weight * (regularizers.grad_norm(d, x_hat) - 1.0).square().mean()

    monkeypatch.setattr(regularizers, "gradient_penalty", gp)
    return calls


@pytest.mark.parametrize("name", ["collapse-gan", "pacgan2", "mbstd-gan", "mbdisc-gan", "fm-gan",
                                  "collapse-wgan-gp", "unrolled-gan"])
def test_ensemble_steps_equal_separate_steps(name, monkeypatch):
    small = dict(g_width=16, g_depth=2, width=8, depth=2)
    if name == "unrolled-gan":
        small["unroll"] = 2
    torch.manual_seed(0)
    singles = [variants.build(name, (2,), trials=1, **small) for _ in range(T)]
    ens = variants.build(name, (2,), trials=T, **small)
    for net in ("G", "D"):
        stack_params(ens.nets[net], [s.nets[net] for s in singles])
    real, z = torch.randn(T * B, 2), torch.randn(T * B * 10, 2)
    rows = [slice(None)]
    calls = _patch_gp(monkeypatch, lambda: rows[0])
    cfg = TrainConfig(steps=2, batch=T * B, ema_decay=0, progress=False, device="cpu")
    tr = Trainer(ens, _Fixed(real), cfg)
    tr.latent = lambda n: z[:n]  # the same latents for every phase: fine for this check
    tr.fit()
    for t, s in enumerate(singles):
        rows[0] = slice(t * B, (t + 1) * B)
        calls.clear()
        tr1 = Trainer(s, _Fixed(real[rows[0]]), cfg, batch=B)
        tr1.latent = lambda n, r=rows[0]: z[r][:n]
        tr1.fit()
    for net in ("G", "D"):
        copies = [variants.build(name, (2,), trials=1, **small).nets[net] for _ in range(T)]
        unstack_params(ens.nets[net], copies)
        for c, s in zip(copies, singles):
            for (k, p), q in zip(c.state_dict().items(), s.nets[net].state_dict().values()):
                torch.testing.assert_close(p, q, atol=1e-5, rtol=1e-4, msg=f"{name} {net}.{k}")


def test_grid_spread_matches_the_one_way_anova_closed_form():
    from ganlab.ensemble import grid_spread

    cell_means = np.array([0.0, 1.0, 5.0, 2.0])  # (cells,)
    seed_offsets = np.array([-0.3, 0.1, 0.2])  # mean 0: each cell's seeds scatter the same way
    values = cell_means[:, None] + seed_offsets[None, :]  # (4, 3)
    out = grid_spread(values)
    between = np.sqrt(((cell_means - cell_means.mean()) ** 2).sum() / 3)
    within = np.sqrt((seed_offsets**2).sum() / 2)
    np.testing.assert_allclose([out["between"], out["within"], out["ratio"]],
                               [between, within, between / within], rtol=1e-12)
    # a (2, 2, seeds) grid is the same as its (4, seeds) flattening
    assert grid_spread(values.reshape(2, 2, 3)) == out


def test_grid_spread_of_identical_cells_is_near_one_over_root_seeds():
    from ganlab.ensemble import grid_spread

    rng = np.random.default_rng(0)
    seeds = 4
    ratios = [grid_spread(rng.normal(size=(8, seeds)))["ratio"] for _ in range(2000)]
    np.testing.assert_allclose(np.mean(ratios), 1 / np.sqrt(seeds), rtol=0.1)


def test_grid_spread_refuses_too_few_cells_or_seeds_and_handles_zero_spread():
    from ganlab.ensemble import grid_spread

    with pytest.raises(ValueError, match="at least 2 cells"):
        grid_spread(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="cells..., seeds"):
        grid_spread(np.zeros(5))
    assert grid_spread(np.array([[1.0, 1.0], [2.0, 2.0]]))["ratio"] == float("inf")
    assert np.isnan(grid_spread(np.ones((3, 2)))["ratio"])
