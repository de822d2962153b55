"""Mode-collapse benchmark: the ring and grid protocol of VEEGAN / PacGAN, 10 trials per method.

Every method trains its trials together as one batched model (`ganlab.ensemble`)
through ganlab's one Trainer; each trial has its own initial weights, latents and
real samples. Methods and datasets run as separate jobs on `--workers` processes
(one thread each). After training, 2,500 samples per trial are scored with
`ganlab.metrics.modes.mode_metrics` (modes captured, % high quality, reverse KL).
The table prints mean ± standard error over trials beside the published numbers.

    python benchmarks/mode_collapse.py                       # all methods, both datasets
    python benchmarks/mode_collapse.py --trials 2 --steps 50 # a quick check
    python benchmarks/mode_collapse.py --compare-serial      # batched vs one-by-one speed
    python benchmarks/mode_collapse.py --write               # also update benchmarks/README.md
    python benchmarks/mode_collapse.py --methods pacgan2 --datasets ring --steps 4000 \
        --d-steps 2 --no-g-batchnorm                         # the ring's best run (README)
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import platform
import re
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np
import torch

from ganlab import data, variants
from ganlab.collapse import METHODS, trial_samples
from ganlab.metrics.modes import mode_metrics
from ganlab.train import TrainConfig, Trainer

# PacGAN's networks are G 4x400 (ReLU, batch norm) and D 3 maxout(200, 5) layers, trained
# 400 epochs of 100,000 points at lr 1e-4 (400k steps). `small` nets train ~10x more steps
# in the same time on a CPU; the table says which nets ran.
NETS = {"protocol": dict(g_width=400, g_depth=4, width=200, depth=3),
        "small": dict(g_width=128, g_depth=3, width=64, depth=3)}
DATASETS = {"ring": data.ring, "grid": data.grid}
# published (modes, HQ %) per dataset: VEEGAN table 1 and PacGAN table 1 (mean ± s.e. as printed)
PUBLISHED = {
    "VEEGAN: GAN": ("1 / 99.3", "3.3 / 0.5"),
    "VEEGAN: Unrolled": ("7.6 / 35.6", "23.6 / 16"),
    "VEEGAN: VEEGAN": ("8 / 52.9", "24.6 / 40"),
    "PacGAN: GAN": ("6.3±0.5 / 98.2±0.2", "17.3±0.8 / 94.8±0.7"),
    "PacGAN: PacGAN2": ("7.9±0.1 / 95.6±2.0", "23.8±0.7 / 91.3±0.8"),
    "PacGAN: PacGAN3": ("7.8±0.1 / 97.7±0.3", "24.6±0.4 / 94.2±0.4"),
    "PacGAN: PacGAN4": ("7.8±0.1 / 95.9±1.4", "24.8±0.2 / 93.6±0.6"),
}


def run(method: str, dataset: str, trials: int, steps: int, batch: int, seed: int, nets: str = "small",
        lr: float = 2e-3, d_steps: int = 1, g_batchnorm: bool = True) -> dict:
    """Train `trials` trials of `method` together (lr decaying linearly to 0); metrics per trial.

    `d_steps` D steps per G step for every method but WGAN-GP, which keeps its 5 critic steps.
    """
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    mix = DATASETS[dataset]()
    extra = {} if variants.PRESETS[method].config.gp else {"n_critic": d_steps}
    game = variants.build(method, (2,), trials=trials, lr_g=lr, lr_d=lr, decay_steps=steps, seed=seed,
                          g_batchnorm=g_batchnorm, **extra, **NETS[nets])
    cfg = TrainConfig(steps=steps, batch=trials * batch, seed=seed, ema_decay=0.0, progress=False,
                      device="cpu", log_every=10**9)
    t0 = time.perf_counter()
    Trainer(game, mix, cfg).fit()
    seconds = time.perf_counter() - t0
    x = trial_samples(game.nets["G"], 2500, seed=seed + 1)  # (T, 2500, 2)
    rows = [mode_metrics(x[t].numpy(), mix.means.numpy(), mix.sigma) for t in range(trials)]
    return {"rows": rows, "seconds": seconds, "k": mix.k, "method": method, "dataset": dataset}


def mean_se(values: list[float]) -> str:
    v = np.asarray(values, dtype=np.float64)
    if not np.isfinite(v).all():
        return f"{np.mean(v):.2f}" if len(v) else "-"
    se = v.std(ddof=1) / math.sqrt(len(v)) if len(v) > 1 else float("nan")
    return f"{v.mean():.1f} ± {se:.1f}" if v.mean() >= 1 else f"{v.mean():.2f} ± {se:.2f}"


def cells(res: dict) -> list[str]:
    rows = res["rows"]
    full = sum(r["modes"] == res["k"] and r["hq_fraction"] >= 0.95 for r in rows)
    return [mean_se([r["modes"] for r in rows]), mean_se([100 * r["hq_fraction"] for r in rows]),
            mean_se([r["reverse_kl"] for r in rows]), f"{full}/{len(rows)}"]


def table(results: dict, methods: list[str], datasets: list[str]) -> str:
    head = "| method |" + "".join(f" {d} modes | {d} HQ % | {d} rev. KL | {d} all modes & HQ>=95% |"
                                  for d in datasets) + " train s |"
    lines = [head, "|" + "---|" * (2 + 4 * len(datasets))]
    for m in methods:
        row = [c for d in datasets for c in cells(results[m, d])]
        secs = sum(results[m, d]["seconds"] for d in datasets)
        lines.append(f"| {m} | " + " | ".join(row) + f" | {secs:.0f} |")
    lines += ["", "Published (modes / HQ %), ring then grid:", "",
              "| source: method | ring | grid |", "|---|---|---|"]
    lines += [f"| {k} | {r} | {g} |" for k, (r, g) in PUBLISHED.items()]
    return "\n".join(lines)


def compare_serial(trials: int, steps: int, batch: int, nets: str) -> str:
    """Wall time of `trials` trials batched vs the same trials one after another (baseline, ring)."""
    t0 = time.perf_counter()
    run("collapse-gan", "ring", trials, steps, batch, 0, nets)
    batched = time.perf_counter() - t0
    t0 = time.perf_counter()
    for s in range(trials):
        run("collapse-gan", "ring", 1, steps, batch, s, nets)
    serial = time.perf_counter() - t0
    return (f"{trials} trials x {steps} steps of collapse-gan on the ring, batch {batch} per trial, "
            f"one process: batched "
            f"{batched:.1f} s, one by one {serial:.1f} s, speed-up {serial / batched:.1f}x")


def write_readme(text: str) -> None:
    path = Path(__file__).with_name("README.md")
    readme = path.read_text()
    new = f"<!-- mode_collapse:start -->\n{text}\n<!-- mode_collapse:end -->"
    pattern = re.compile(r"<!-- mode_collapse:start -->.*?<!-- mode_collapse:end -->", re.S)
    if not pattern.search(readme):
        raise SystemExit("benchmarks/README.md has no mode_collapse markers")
    path.write_text(pattern.sub(lambda _: new, readme))


# relative cost of a step, to start the slow jobs first
COST = {"unrolled-gan": 8, "collapse-wgan-gp": 6, "mbdisc-gan": 2}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=10)
    p.add_argument("--steps", type=int, default=1100)
    p.add_argument("--batch", type=int, default=120, help="per trial; divisible by 2, 3, 4 for PacGAN")
    p.add_argument("--lr", type=float, default=2e-3, help="Adam lr of G and D, decaying linearly to 0")
    p.add_argument("--nets", choices=list(NETS), default="small")
    p.add_argument("--d-steps", type=int, default=1, help="D steps per G step (WGAN-GP keeps 5)")
    p.add_argument("--no-g-batchnorm", dest="g_batchnorm", action="store_false",
                   help="G without batch norm (the protocol's G has it)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=2, help="processes, one thread each")
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    p.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    p.add_argument("--compare-serial", action="store_true", help="also time the trials one by one")
    p.add_argument("--serial-steps", type=int, default=200)
    p.add_argument("--write", action="store_true", help="write the result into benchmarks/README.md")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    t_all = time.perf_counter()
    jobs = sorted(((m, d) for m in args.methods for d in args.datasets), key=lambda j: -COST.get(j[0], 1))
    results = {}
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=ctx) as pool:
        futures = [pool.submit(run, m, d, args.trials, args.steps, args.batch, args.seed, args.nets, args.lr,
                               args.d_steps, args.g_batchnorm) for m, d in jobs]
        for fut in as_completed(futures):
            res = fut.result()
            results[res["method"], res["dataset"]] = res
            print(f"{res['method']:17s} {res['dataset']}: " + " | ".join(cells(res))
                  + f" ({res['seconds']:.0f} s)", flush=True)
    wall = time.perf_counter() - t_all
    text = (f"{args.trials} trials, {args.steps} steps, batch {args.batch} per trial, Adam lr {args.lr} "
            f"decaying linearly to 0, {args.d_steps} D step(s) per G step (WGAN-GP 5), "
            f"G {'with' if args.g_batchnorm else 'without'} batch norm, {args.nets} nets {NETS[args.nets]}; "
            f"{time.strftime('%Y-%m-%d')}, "
            f"{platform.machine()}, {args.workers} worker processes of 1 thread, torch {torch.__version__}; "
            f"total wall time {wall / 60:.1f} min\n\n" + table(results, args.methods, args.datasets))
    if args.compare_serial:  # at the benchmark's batch and at a small one, where Python dominates
        text += "".join("\n\n" + compare_serial(args.trials, args.serial_steps, b, args.nets)
                        for b in (args.batch, 12))
    print(text)
    if args.write:
        write_readme(text)


if __name__ == "__main__":
    main()
