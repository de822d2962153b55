"""Inception Score (Salimans et al. 2016, "Improved techniques for training
GANs", section 4): IS = exp(E_x KL(p(y|x) || p(y))), computed on ``splits``
equal chunks and reported as mean and std over chunks (as in the original
code). ganlab feeds it the softmax of its own classifier (digits: 10 classes),
so it is an "Inception-style" score, bounded by 1 <= IS <= K for K classes.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_probs

__all__ = ["inception_score"]


def inception_score(probs, splits: int = 10) -> tuple[float, float]:
    """Mean and std (divisor n) of exp(mean KL(p(y|x) || p(y))) over ``splits`` chunks."""
    p = check_probs(probs)
    if splits < 1 or p.shape[0] < splits:
        raise ValueError(f"need 1 <= splits <= N, got splits={splits} for N={p.shape[0]}")
    scores = []
    for chunk in np.array_split(p, splits):
        py = chunk.mean(axis=0, keepdims=True)  # marginal p(y) of the chunk, (1, K)
        # KL(p(y|x) || p(y)) with 0 log 0 = 0
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(chunk > 0, chunk * (np.log(chunk) - np.log(py)), 0.0)
        scores.append(np.exp(terms.sum(axis=1).mean()))
    return float(np.mean(scores)), float(np.std(scores))
