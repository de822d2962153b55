"""ganlab.metrics: one module per metric, and ``REGISTRY`` by name.

The building blocks take features ``(N, d)`` (tensors or arrays). The registry
wraps them for ``ganlab eval``: ``evaluate(name, real, fake, extractor)`` with
images and a feature extractor (``ganlab.features.load_digits_net()``), or with
features directly when ``extractor`` is None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .divergences import histogram_divergences, mmd2, w1_1d, w1_exact
from .fid import feature_stats, fid, frechet_distance
from .inception_score import inception_score
from .kid import kid
from .modes import mode_metrics, stacked_mode_metrics
from .perceptual import perceptual_distance, perceptual_path_length
from .prdc import density_coverage, prdc, precision_recall
from .psnr import psnr
from .sharpness import high_frequency_energy
from .spectral import log_spectral_distance, power_spectrum
from .two_sample import classifier_two_sample_test, fit_real_fake_classifier, real_fake_accuracy

__all__ = [
    "fid", "feature_stats", "frechet_distance", "kid", "inception_score",
    "precision_recall", "density_coverage", "prdc", "mode_metrics", "stacked_mode_metrics",
    "w1_1d", "w1_exact", "mmd2", "histogram_divergences", "classifier_two_sample_test",
    "perceptual_distance", "perceptual_path_length", "high_frequency_energy", "psnr",
    "power_spectrum", "log_spectral_distance", "fit_real_fake_classifier", "real_fake_accuracy",
    "Metric", "REGISTRY", "evaluate",
]


@dataclass(frozen=True)
class Metric:
    fn: Callable  # (real, fake, extractor) -> dict[str, float]
    description: str  # one line for `ganlab list`


def _feats(x, extractor):
    return x if extractor is None else extractor.features(x)


def _fid(real, fake, ex):
    return {"fid": fid(_feats(real, ex), _feats(fake, ex))}


def _kid(real, fake, ex):
    mean, std = kid(_feats(real, ex), _feats(fake, ex))
    return {"kid": mean, "kid_std": std}


def _is(real, fake, ex):
    if ex is None:
        raise ValueError("the Inception-style score needs an extractor with probs()")
    mean, std = inception_score(ex.probs(fake))
    return {"is": mean, "is_std": std}


def _pr(real, fake, ex):
    p, r = precision_recall(_feats(real, ex), _feats(fake, ex))
    return {"precision": p, "recall": r}


def _dc(real, fake, ex):
    d, c = density_coverage(_feats(real, ex), _feats(fake, ex))
    return {"density": d, "coverage": c}


def _c2st(real, fake, ex):
    real, fake = _feats(real, ex), _feats(fake, ex)
    if hasattr(real, "flatten") and real.ndim > 2:  # raw images: flatten pixels
        real, fake = real.flatten(1), fake.flatten(1)
    return {"c2st_accuracy": classifier_two_sample_test(real, fake)["accuracy"]}


REGISTRY: dict[str, Metric] = {
    "fid": Metric(_fid, "Fréchet distance of feature Gaussians (lower is better)"),
    "kid": Metric(_kid, "unbiased MMD^2, cubic kernel, mean/std over subsets (lower is better)"),
    "is": Metric(_is, "Inception-style score from the classifier's softmax (higher is better)"),
    "pr": Metric(_pr, "improved precision (fidelity) and recall (diversity), k=3"),
    "dc": Metric(_dc, "density and coverage, k=5"),
    "c2st": Metric(_c2st, "held-out accuracy of a fresh real-vs-fake critic (0.5 is ideal)"),
}


def evaluate(name: str, real, fake, extractor=None) -> dict[str, float]:
    """Run the registered metric ``name``; see ``REGISTRY`` for the names."""
    if name not in REGISTRY:
        raise ValueError(f"unknown metric {name!r}; choose from {sorted(REGISTRY)}")
    return REGISTRY[name].fn(real, fake, extractor)
