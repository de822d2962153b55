"""FID speed and accuracy: ganlab.metrics.fid vs the scipy.linalg.sqrtm path.

    python benchmarks/fid_speed.py [--n 10000] [--d 2048] [--write]

Features: N(0, I) through a random linear map (a full, realistic covariance),
fake = a second map of the real one's style plus a shift. Both paths start from
the same (N, d) float64 features and compute means and covariances themselves
(the scipy path as pytorch-fid does: np.cov then sqrtm(S1 S2)). Timed in one run;
also reports the statistics-to-distance part alone. ``--write`` replaces the
FID section of benchmarks/README.md with the table.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import time
from pathlib import Path

import numpy as np
import scipy.linalg

from ganlab.metrics.fid import fid, frechet_distance


def scipy_stats(x):
    return x.mean(0), np.cov(x, rowvar=False)


def scipy_distance(mu1, s1, mu2, s2):
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2)
                 - 2 * np.trace(covmean).real)


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=10000)
    p.add_argument("--d", type=int, default=2048)
    p.add_argument("--write", action="store_true")
    a = p.parse_args()
    rng = np.random.default_rng(0)
    w1 = rng.normal(size=(a.d, a.d)) / np.sqrt(a.d)
    w2 = w1 + 0.1 * rng.normal(size=(a.d, a.d)) / np.sqrt(a.d)
    real = rng.normal(size=(a.n, a.d)) @ w1
    fake = rng.normal(size=(a.n, a.d)) @ w2 + 0.05

    ours, t_ours = timed(fid, real, fake)
    (mu1, s1), t_s1 = timed(scipy_stats, real)
    (mu2, s2), t_s2 = timed(scipy_stats, fake)
    ref, t_sqrtm = timed(scipy_distance, mu1, s1, mu2, s2)
    ours_stats, t_ours_stats = timed(frechet_distance, mu1, s1, mu2, s2)
    t_ref = t_s1 + t_s2 + t_sqrtm

    cpu = f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores"
    table = "\n".join([
        f"FID on {a.n:,} x {a.d:,} float64 features, {datetime.date.today()}, {cpu}, "
        f"`python benchmarks/fid_speed.py`",
        "",
        "| path | ganlab (s) | scipy sqrtm (s) | speed-up | FID ganlab | FID scipy | rel. diff |",
        "|---|---|---|---|---|---|---|",
        f"| features -> FID | {t_ours:.2f} | {t_ref:.2f} | {t_ref / t_ours:.1f}x | {ours:.6f} "
        f"| {ref:.6f} | {abs(ours - ref) / abs(ref):.1e} |",
        f"| statistics -> FID | {t_ours_stats:.2f} | {t_sqrtm:.2f} | {t_sqrtm / t_ours_stats:.1f}x "
        f"| {ours_stats:.6f} | {ref:.6f} | {abs(ours_stats - ref) / abs(ref):.1e} |",
    ])
    print(table)
    if a.write:
        readme = Path(__file__).with_name("README.md")
        text = readme.read_text() if readme.exists() else "# ganlab benchmarks\n"
        section = f"<!-- fid_speed:start -->\n{table}\n<!-- fid_speed:end -->"
        pattern = re.compile(r"<!-- fid_speed:start -->.*<!-- fid_speed:end -->", re.S)
        text = pattern.sub(section, text) if pattern.search(text) else text + "\n" + section + "\n"
        readme.write_text(text)


if __name__ == "__main__":
    main()
