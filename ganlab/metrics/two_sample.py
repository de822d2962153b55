"""Classifier two-sample test (Lopez-Paz & Oquab 2017, "Revisiting classifier
two-sample tests", section 2): train a fresh critic to tell real from generated
samples on one half of each set, report its accuracy on the other half. Near
0.5 means the critic cannot tell them apart; near 1 means it easily can. The
critic is independent of the GAN's discriminator (a small MLP on the inputs or
on features).

`fit_real_fake_classifier` and `real_fake_accuracy` are ganlab's one real-vs-fake
classifier loop and its held-out score: the two-sample test here, the fake-image
detector (`ganlab.detect`) and TimeGAN's discriminative score (`ganlab.timeseries`)
differ only in the classifier and in how a batch is drawn.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._checks import as_pair

__all__ = ["classifier_two_sample_test", "fit_real_fake_classifier", "real_fake_accuracy"]


def fit_real_fake_classifier(make_net: Callable[[], nn.Module],
                             batch: Callable[[], tuple[Tensor, Tensor]], steps: int, lr: float,
                             seed: int) -> nn.Module:
    """Train a fresh classifier to output a logit that is large for real samples.

    make_net() builds it under torch.manual_seed(seed) inside a forked RNG (torch's global
    RNG is left as it was); batch() returns (x, t), a batch and its targets (1 real, 0 fake).
    Each of `steps` Adam(lr) steps minimises the mean binary cross-entropy with logits
    -[t log sigmoid(f(x)) + (1 - t) log(1 - sigmoid(f(x)))]. Returns the net in eval mode.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = make_net()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    for _ in range(steps):
        x, t = batch()
        loss = F.binary_cross_entropy_with_logits(net(x), t)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return net.eval()


@torch.no_grad()
def real_fake_accuracy(net: nn.Module, real: Tensor, fake: Tensor) -> float:
    """Balanced accuracy: (fraction of real with logit > 0 + fraction of fake with logit <= 0) / 2.

    `net` maps a batch to logits (B,); 0.5 is chance, 1 every sample right."""
    right_real, right_fake = int((net(real) > 0).sum()), int((net(fake) <= 0).sum())  # exact counts
    return 0.5 * (right_real / len(real) + right_fake / len(fake))


class _Squeeze(nn.Module):
    """(B, 1) -> (B,)."""

    def forward(self, x: Tensor) -> Tensor:
        return x.squeeze(1)


def classifier_two_sample_test(real, fake, steps: int = 500, hidden: int = 64,
                               lr: float = 1e-3, seed: int = 0) -> dict:
    """Held-out accuracy of an MLP critic trained to separate ``real`` from ``fake``.

    Inputs are ``(N, d)`` (flatten images or pass features). Each set is split in
    half at random (train / held out); the held-out sets are balanced to the
    smaller size so chance is exactly 0.5. The split, the batches and the critic's
    initialisation come from ``seed``; torch's global RNG is left untouched.
    Returns ``{"accuracy", "n_test"}``.
    """
    x, y = as_pair(real, fake, min_samples=4, why="two samples to train on and two to test on")
    g = torch.Generator().manual_seed(seed)
    x, y = torch.from_numpy(x).float(), torch.from_numpy(y).float()
    n = min(len(x), len(y))
    x, y = x[torch.randperm(len(x), generator=g)[:n]], y[torch.randperm(len(y), generator=g)[:n]]
    h = n // 2
    mu, sd = x[:h].mean(0), x[:h].std(0) + 1e-8  # standardise with training-real statistics
    train_x = (torch.cat([x[:h], y[:h]]) - mu) / sd
    train_t = torch.cat([torch.ones(h), torch.zeros(h)])

    def batch() -> tuple[Tensor, Tensor]:  # a random mix of the training halves
        idx = torch.randint(0, 2 * h, (min(256, 2 * h),), generator=g)
        return train_x[idx], train_t[idx]

    critic = fit_real_fake_classifier(
        lambda: nn.Sequential(nn.Linear(x.shape[1], hidden), nn.ReLU(),
                              nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1), _Squeeze()),
        batch, steps, lr, seed)
    acc = real_fake_accuracy(critic, (x[h:] - mu) / sd, (y[h:] - mu) / sd)  # balanced: n - h each
    return {"accuracy": acc, "n_test": int(2 * (n - h))}
