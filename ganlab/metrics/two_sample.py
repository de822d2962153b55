"""Classifier two-sample test (Lopez-Paz & Oquab 2017, "Revisiting classifier
two-sample tests", section 2): train a fresh critic to tell real from generated
samples on one half of each set, report its accuracy on the other half. Near
0.5 means the critic cannot tell them apart; near 1 means it easily can. The
critic is independent of the GAN's discriminator (a small MLP on the inputs or
on features).
"""

from __future__ import annotations

import torch
from torch import nn

from ._checks import as_pair

__all__ = ["classifier_two_sample_test"]


def classifier_two_sample_test(real, fake, steps: int = 500, hidden: int = 64,
                               lr: float = 1e-3, seed: int = 0) -> dict:
    """Held-out accuracy of an MLP critic trained to separate ``real`` from ``fake``.

    Inputs are ``(N, d)`` (flatten images or pass features). Each set is split in
    half at random (train / held out); the held-out sets are balanced to the
    smaller size so chance is exactly 0.5. Returns ``{"accuracy", "n_test"}``.
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
    test_x = (torch.cat([x[h:], y[h:]]) - mu) / sd
    test_t = torch.cat([torch.ones(n - h), torch.zeros(n - h)])
    torch.manual_seed(seed)  # critic initialisation
    critic = nn.Sequential(nn.Linear(x.shape[1], hidden), nn.ReLU(),
                           nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))
    opt = torch.optim.Adam(critic.parameters(), lr=lr)
    for _ in range(steps):
        idx = torch.randint(0, 2 * h, (min(256, 2 * h),), generator=g)
        logits = critic(train_x[idx]).squeeze(1)
        loss = nn.functional.binary_cross_entropy_with_logits(logits, train_t[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        acc = ((critic(test_x).squeeze(1) > 0).float() == test_t).float().mean()
    return {"accuracy": float(acc), "n_test": int(2 * (n - h))}
