"""Fréchet Inception Distance (Heusel et al. 2017, "GANs trained by a two
time-scale update rule...", eq. 6):

    FID = ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))

with S the sample covariance (divisor N - 1). The features need not come from
Inception: ganlab usually uses its own digits or faces network, so numbers are
comparable only between runs that used the same network.

Deviation from the usual implementation (pytorch-fid, which calls
``scipy.linalg.sqrtm`` on S1 S2): only the *trace* of the square root is needed,
and in float64 it is computed from symmetric eigenvalues, which is faster and
never produces complex numbers:

* Tr (S1 S2)^(1/2) = sum_i sqrt(lambda_i(L^T S2 L)) for any factor S1 = L L^T,
  because S1 S2 = L (L^T S2 L) L^-1 is similar to the symmetric PSD matrix
  L^T S2 L (Cholesky for L, or eigenvectors scaled by sqrt eigenvalues when S1
  is singular).
* When both sets have N <= d samples the covariances are singular; with centred
  data A (N1, d), B (N2, d): Tr (S1 S2)^(1/2) = ||A B^T||_* / sqrt((N1-1)(N2-1)),
  the nuclear norm of a small N1 x N2 matrix (eigenvalues of A^T A B^T B are
  those of (A B^T)(A B^T)^T).
"""

from __future__ import annotations

import numpy as np

from ._checks import as_features, as_pair, check_finite_result

__all__ = ["fid", "feature_stats", "frechet_distance", "trace_sqrt_product"]


def feature_stats(x) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``(d,)`` and covariance ``(d, d)`` (divisor N - 1) of features, in float64."""
    x = as_features(x, min_samples=2, why="a covariance needs N - 1 >= 1")
    mu = x.mean(axis=0)
    xc = x - mu  # (N, d)
    return mu, (xc.T @ xc) / (x.shape[0] - 1)


def _sqrt_factor(s: np.ndarray) -> np.ndarray:
    """A matrix L with L L^T = s for a symmetric PSD s (Cholesky, or eigh if singular)."""
    try:
        return np.linalg.cholesky(s)
    except np.linalg.LinAlgError:
        lam, u = np.linalg.eigh(s)
        return u * np.sqrt(np.clip(lam, 0.0, None))  # rounding can leave -1e-17 eigenvalues


def trace_sqrt_product(s1, s2) -> float:
    """Tr((S1 S2)^(1/2)) for symmetric PSD S1, S2, in float64, as a real number."""
    s1 = np.asarray(s1, dtype=np.float64)
    s2 = np.asarray(s2, dtype=np.float64)
    if s1.ndim != 2 or s1.shape != s2.shape or s1.shape[0] != s1.shape[1]:
        raise ValueError(f"expected two square (d, d) covariances, got {s1.shape} and {s2.shape}")
    if not (np.isfinite(s1).all() and np.isfinite(s2).all()):
        raise ValueError("covariances contain NaN or inf")
    l1 = _sqrt_factor(s1)  # S1 = L L^T
    m = l1.T @ s2 @ l1  # symmetric PSD, same eigenvalues as S1 S2
    lam = np.linalg.eigvalsh((m + m.T) / 2)
    return float(np.sqrt(np.clip(lam, 0.0, None)).sum())  # clip: rounding noise around 0


def check_covariance(s, name: str = "covariance", rtol: float = 1e-8) -> np.ndarray:
    """``s`` as a float64 symmetric positive semi-definite ``(d, d)`` matrix, or a ValueError.

    Eigenvalues down to ``-rtol * max|eigenvalue|`` are rounding noise and pass."""
    s = np.asarray(s, dtype=np.float64)
    if s.ndim != 2 or s.shape[0] != s.shape[1] or s.shape[0] == 0:
        raise ValueError(f"{name}: expected a square (d, d) matrix with d >= 1, got {s.shape}")
    if not np.isfinite(s).all():
        raise ValueError(f"{name}: contains NaN or inf")
    scale = max(np.abs(s).max(), np.finfo(np.float64).tiny)
    if np.abs(s - s.T).max() > rtol * scale * 10:
        raise ValueError(f"{name}: not symmetric (max |S - S^T| = {np.abs(s - s.T).max():.3g}); "
                         "a covariance is symmetric: pass the matrix feature_stats returns")
    lam = np.linalg.eigvalsh((s + s.T) / 2)
    if lam[0] < -rtol * max(abs(lam[-1]), abs(lam[0])):
        raise ValueError(f"{name}: not positive semi-definite (smallest eigenvalue {lam[0]:.3g}); "
                         "a covariance of data has no negative eigenvalues: pass the matrix "
                         "feature_stats returns")
    return s


def frechet_distance(mu1, s1, mu2, s2) -> float:
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)) from precomputed statistics."""
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    if mu1.shape != mu2.shape or mu1.ndim != 1 or mu1.shape[0] == 0:
        raise ValueError(f"means must be (d,) vectors of one size with d >= 1, got {mu1.shape} "
                         f"and {mu2.shape}")
    if not (np.isfinite(mu1).all() and np.isfinite(mu2).all()):
        raise ValueError("means contain NaN or inf: compute them from finite features")
    s1, s2 = check_covariance(s1, "covariance 1"), check_covariance(s2, "covariance 2")
    if s1.shape[0] != mu1.shape[0] or s2.shape != s1.shape:
        raise ValueError(f"covariances {s1.shape} and {s2.shape} do not match means of size "
                         f"{mu1.shape[0]}")
    diff = mu1 - mu2
    tr = trace_sqrt_product(s1, s2)
    value = float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * tr)
    return check_finite_result(value, "the Frechet distance", np.concatenate([mu1, mu2]))


def fid(real, fake) -> float:
    """FID between two feature sets ``(N1, d)`` and ``(N2, d)``.

    Needs at least 2 samples per set. For N <= d the covariances are singular and
    FID is still well defined (the nuclear-norm form is used); the result can be
    slightly negative (around -1e-12) for identical sets because of rounding.
    """
    why = "a covariance needs N - 1 >= 1; use thousands of samples for a stable FID"
    real, fake = as_pair(real, fake, min_samples=2, why=why)
    n1, n2, d = real.shape[0], fake.shape[0], real.shape[1]
    mu1, mu2 = real.mean(axis=0), fake.mean(axis=0)
    a, b = real - mu1, fake - mu2  # centred (N, d)
    both = np.concatenate([real, fake])
    if max(n1, n2) <= d:  # singular covariances: exact small-matrix path
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused just below
            ab, tr1, tr2 = a @ b.T, (a * a).sum() / (n1 - 1), (b * b).sum() / (n2 - 1)
        check_finite_result(float(np.abs(ab).sum() + tr1 + tr2), "FID", both)
        tr_sqrt = np.linalg.svd(ab, compute_uv=False).sum() / np.sqrt((n1 - 1) * (n2 - 1))
        diff = mu1 - mu2
        return check_finite_result(float(diff @ diff + tr1 + tr2 - 2.0 * tr_sqrt), "FID", both)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused just below
        s1, s2 = (a.T @ a) / (n1 - 1), (b.T @ b) / (n2 - 1)
    check_finite_result(float(np.abs(s1).sum() + np.abs(s2).sum()), "FID's covariances", both)
    return frechet_distance(mu1, s1, mu2, s2)
