"""Mode-collapse benchmark: the ring of 8 and grid of 25 of VEEGAN / PacGAN, 10 trials per method.

Two protocols share one code path (`run_job`):

- `--protocol pacgan`: PacGAN's released synthetic-data code (Lin et al. 2018, section 5.1,
  table 1): G 2 -> 4x400 ReLU with batch norm (no hidden bias), D 3 maxout layers of 200 units
  x 5 pieces, weights N(0, 0.02^2), Adam lr 1e-4 constant with betas (0.8, 0.999), D and G
  updated simultaneously on the same batch and latents, a fixed training set of 100,000 points
  per trial read in epochs, batch 100 D inputs (PacGANm packs m independent samples into each,
  so it draws 100 m points and 100 m fakes a step), 400,000 steps. Deviations: unrolled GAN,
  feature matching and WGAN-GP keep alternating D/G steps (their G loss is not a function of D's
  logits alone); packed inputs are consecutive rows (the rows are i.i.d., so the grouping does
  not matter); G's batch norm normalises over all 100 m fakes of a step. A GPU job.
- `--protocol cpu` (default): small nets (G 3x128 without batch norm, D 3 maxout layers of 64 x
  5), Adam 2e-3, a warmup-stable-decay learning rate (warm up, hold, decay linearly to 0 over
  the last `decay` fraction of a run). Several lengths come from one run: the main run holds the
  lr; at each length's decay start a branch is copied off (nets, optimisers, RNG, data position),
  cooled down to 0 and scored, and the main run goes on from the copy.

Every method trains its trials together as one batched model (`ganlab.ensemble`) through
ganlab's one Trainer; each trial has its own weights, latents and real samples. After training
(or a cool-down), 2,500 samples per trial are scored with `ganlab.metrics.modes.mode_metrics`
(modes captured, high-quality fraction, reverse KL), as PacGAN's code scores them. Jobs (method x
data set) run on `--workers` processes of one thread each; results go to a JSON file under
`benchmarks/results/`, and the Markdown table is generated from that file.

    python benchmarks/mode_collapse.py                               # cpu protocol, everything
    python benchmarks/mode_collapse.py --headline                    # baseline + best fix only
    python benchmarks/mode_collapse.py --table benchmarks/results/mode_collapse_cpu.json --write
    python benchmarks/mode_collapse.py --protocol pacgan --device cuda   # the paper's protocol
    python benchmarks/mode_collapse.py --speed                       # trial-steps/s vs the limit
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import multiprocessing
import os
import platform
import re
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from ganlab import data, variants
from ganlab.collapse import METHODS, trial_samples, warmup_stable_decay
from ganlab.metrics.modes import mode_metrics
from ganlab.train import TrainConfig, Trainer

RESULTS = Path(__file__).with_name("results")
DATASETS = {"ring": data.ring, "grid": data.grid}
# per data set: what a trial must reach to count (modes, HQ fraction); the goals
GOALS = {"ring": (8, 0.95), "grid": (24, 0.90)}
# the baseline, and the best fix of each data set (the `--headline` selection)
HEADLINE = {"ring": ("collapse-gan", "pacgan2"), "grid": ("collapse-gan", "mbstd-gan")}
PACKED = {"pacgan2": 2, "pacgan3": 3, "pacgan4": 4}
# published (modes, HQ %) per data set: VEEGAN table 1 and PacGAN table 1 (mean ± s.e. as printed)
PUBLISHED = {
    "VEEGAN: GAN": ("1 / 99.3", "3.3 / 0.5"),
    "VEEGAN: Unrolled": ("7.6 / 35.6", "23.6 / 16"),
    "VEEGAN: VEEGAN": ("8 / 52.9", "24.6 / 40"),
    "PacGAN: GAN": ("6.3±0.5 / 98.2±0.2", "17.3±0.8 / 94.8±0.7"),
    "PacGAN: PacGAN2": ("7.9±0.1 / 95.6±2.0", "23.8±0.7 / 91.3±0.8"),
    "PacGAN: PacGAN3": ("7.8±0.1 / 97.7±0.3", "24.6±0.4 / 94.2±0.4"),
    "PacGAN: PacGAN4": ("7.8±0.1 / 95.9±1.4", "24.8±0.2 / 93.6±0.6"),
}


@dataclass(frozen=True)
class Protocol:
    """How every method of a benchmark run trains (the method adds its own fix)."""

    nets: dict  # CollapseConfig's g_width, g_depth, width (D), depth (D)
    lr: float  # Adam lr of G and D (WGAN-GP keeps its own betas and 5 critic steps)
    betas: tuple[float, float]
    batch: int  # D inputs per trial and step (packed methods draw batch * m points if pack_batches)
    lengths: dict  # data set -> lengths scored, in steps (the headline methods: all of them)
    others: dict = field(default_factory=dict)  # data set -> lengths of the other methods (default: lengths)
    short: dict = field(default_factory=dict)  # method -> data set -> lengths (the costly methods)
    warmup: int = 0  # lr warm-up steps
    decay: float = 0.0  # fraction of each length spent decaying the lr to 0 (0: constant lr)
    d_steps: dict = field(default_factory=dict)  # data set -> D steps per G step (default 1)
    g_batchnorm: bool = True
    simultaneous: bool = False  # PacGAN's one-step D and G update (methods whose G loss allows)
    init_std: float = 0.0  # > 0: N(0, init_std^2) weights
    fixed_points: int = 0  # > 0: a fixed training set of this many points per trial
    pack_batches: bool = False  # PacGANm draws batch * m samples so D still sees `batch` inputs
    score_n: int = 2500


PROTOCOLS = {
    "pacgan": Protocol(nets=dict(g_width=400, g_depth=4, width=200, depth=3), lr=1e-4, betas=(0.8, 0.999),
                       batch=100, lengths={"ring": (100_000, 200_000, 400_000),
                                           "grid": (100_000, 200_000, 400_000)},
                       simultaneous=True, init_std=0.02, fixed_points=100_000, pack_batches=True),
    # sized from measured CPU time (benchmarks/README.md): 9 methods x 2 data sets x 10 trials in
    # about 3,000 CPU seconds (25 minutes of 2 idle cores; the shared machine of this run needed
    # more wall time): the headline methods score three lengths, the others one, the costly
    # methods (unrolled, WGAN-GP) a shorter one
    "cpu": Protocol(nets=dict(g_width=128, g_depth=3, width=64, depth=3), lr=2e-3, betas=(0.5, 0.999),
                    batch=120, warmup=200, decay=0.2, g_batchnorm=False, d_steps={"ring": 2},
                    lengths={"ring": (1000, 2000, 4000), "grid": (2500, 5000, 10_000)},
                    others={"ring": (1000,), "grid": (2500,)},
                    short={"unrolled-gan": {"ring": (500,), "grid": (1000,)},
                           "collapse-wgan-gp": {"ring": (500,), "grid": (1000,)}}),
}
# relative cost of a step, to start the slow jobs first
COST = {"unrolled-gan": 8, "collapse-wgan-gp": 6, "mbdisc-gan": 2}


class FixedSets:
    """T fixed training sets of `n` points, one per trial, each read in epochs of a new permutation.

    `.sample(T * B, generator)` returns each trial's next B points, trial-major (the layout of
    `ganlab.ensemble`). Its position is not in the trainer's checkpoints, so a protocol with a
    fixed set scores its lengths along one run (constant lr) rather than branching.
    """

    def __init__(self, mix: data.Mixture, trials: int, n: int, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        self.x = mix.sample(trials * n, generator=g).reshape(trials, n, mix.dim)  # (T, n, d)
        self.trials, self.n, self.pos, self.perm = trials, n, n, None

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        b = n // self.trials
        if b * self.trials != n or b > self.n:
            raise ValueError(f"a batch of {n} rows is not {self.trials} trials of at most {self.n}")
        if self.pos + b > self.n:  # a new epoch: a fresh permutation per trial
            self.perm = torch.rand(self.trials, self.n, generator=generator).argsort(1)  # (T, n)
            self.pos = 0
        idx = self.perm[:, self.pos:self.pos + b]  # (T, b)
        self.pos += b
        x = torch.gather(self.x, 1, idx[..., None].expand(-1, -1, self.x.shape[-1]))  # (T, b, d)
        return x.reshape(n, -1)  # (T*b, d)


def lengths_of(proto: Protocol, method: str, dataset: str, scale: float = 1.0) -> tuple[int, ...]:
    """The lengths a method is scored at under a protocol (times `scale`, for a cut run)."""
    if method in proto.short:
        ns = proto.short[method][dataset]
    elif method in HEADLINE[dataset] or dataset not in proto.others:
        ns = proto.lengths[dataset]
    else:
        ns = proto.others[dataset]
    return tuple(sorted(max(1, round(scale * n)) for n in ns))


def build_game(proto: Protocol, method: str, dataset: str, trials: int, seed: int):
    cfg = METHODS[method][1]
    gp_or_own = cfg.gp or cfg.unroll or cfg.feature_matching
    opts = dict(trials=trials, lr_g=proto.lr, lr_d=proto.lr, g_batchnorm=proto.g_batchnorm,
                init_std=proto.init_std, **proto.nets)
    if not cfg.gp:  # WGAN-GP keeps its paper's betas and 5 critic steps
        opts.update(betas=proto.betas, n_critic=proto.d_steps.get(dataset, 1))
    if proto.simultaneous and not gp_or_own:
        opts["simultaneous"] = True
    return variants.build(method, (2,), seed=seed, **opts)


def set_schedule(game, sched) -> None:
    for team in game.teams.values():
        team.lr_schedule = sched


def score(game, mix: data.Mixture, n: int, seed: int) -> list[dict]:
    x = trial_samples(game.nets["G"], n, seed=seed)  # (T, n, 2)
    return [mode_metrics(x[t].numpy(), mix.means.numpy(), mix.sigma) for t in range(len(x))]


def run_job(protocol: str, method: str, dataset: str, trials: int = 10, seed: int = 0,
            device: str = "cpu", lengths: tuple[int, ...] | None = None, fast: bool = False,
            partial: Path | None = None, scale: float = 1.0) -> dict:
    """Train `trials` trials of `method` as one model; score each trial at every length.

    Returns {"method", "dataset", "k", "lengths": [{"length", "steps", "seconds", "cpu_seconds",
    "trials": [mode_metrics per trial]}]}. `steps` counts the steps trained for that length
    (its share of the main run plus its cool-down); seconds are wall and process CPU time of them.
    `partial`: a JSON file rewritten after every length, so a cut run keeps what it scored.
    """
    if device == "cpu":
        torch.set_num_threads(1)
    proto = PROTOCOLS[protocol]
    lengths = tuple(sorted(lengths or lengths_of(proto, method, dataset, scale)))
    mix = DATASETS[dataset]()
    game = build_game(proto, method, dataset, trials, seed)
    per_trial = proto.batch * (PACKED.get(method, 1) if proto.pack_batches else 1)
    source = FixedSets(mix, trials, proto.fixed_points, seed + 7) if proto.fixed_points else mix
    speed = dict(fused_optimizer=True, compile=False) if fast else {}
    cfg = TrainConfig(steps=lengths[-1], batch=trials * per_trial, seed=seed, ema_decay=0.0,
                      progress=False, device=device, log_every=10**9, **speed)
    stable = warmup_stable_decay(min(proto.warmup, lengths[0] // 5))  # a short run warms up less
    set_schedule(game, stable)
    trainer = Trainer(game, source, cfg)
    clock, out = [0.0, 0.0], []

    def fit(tr: Trainer, target: int) -> tuple[float, float]:
        w, c = time.perf_counter(), time.process_time()
        tr.fit(target)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        return time.perf_counter() - w, time.process_time() - c

    for n in lengths:
        start = n - round(proto.decay * n)
        w, c = fit(trainer, start)
        clock[0], clock[1] = clock[0] + w, clock[1] + c
        bw = bc = 0.0
        if start < n:  # branch a cool-down off the main run, score it, go back to the main run
            saved = copy.deepcopy(trainer.state_dict())
            set_schedule(game, warmup_stable_decay(stable.warmup, start, n))
            bw, bc = fit(trainer, n)
        rows = score(game, mix, proto.score_n, seed + 1)
        if start < n:
            set_schedule(game, stable)
            trainer.load_state_dict(saved)
        out.append({"length": n, "steps": n, "seconds": clock[0] + bw, "cpu_seconds": clock[1] + bc,
                    "trials": rows})
        job = {"method": method, "dataset": dataset, "k": mix.k, "lengths": out}
        if partial is not None:
            Path(partial).parent.mkdir(parents=True, exist_ok=True)
            Path(partial).write_text(json.dumps(job))
    return job


# --- the table, from the results file -------------------------------------------------------------


def mean_se(values: list[float]) -> str:
    v = np.asarray(values, dtype=np.float64)
    if not len(v):
        return "-"
    if not np.isfinite(v).all():
        return f"{np.mean(v):.2f}"
    se = v.std(ddof=1) / math.sqrt(len(v)) if len(v) > 1 else float("nan")
    return f"{v.mean():.1f} ± {se:.1f}" if abs(v.mean()) >= 1 else f"{v.mean():.2f} ± {se:.2f}"


def meets(row: dict, dataset: str) -> bool:
    modes, hq = GOALS[dataset]
    return row["modes"] >= modes and row["hq_fraction"] >= hq


def cells(rows: list[dict], dataset: str) -> list[str]:
    """modes, HQ %, reverse KL (mean ± s.e. over trials) and the trials that meet the goal."""
    return [mean_se([r["modes"] for r in rows]), mean_se([100 * r["hq_fraction"] for r in rows]),
            mean_se([r["reverse_kl"] for r in rows]), f"{sum(meets(r, dataset) for r in rows)}/{len(rows)}"]


def table(results: dict) -> str:
    """Markdown: one row per method, data set and length, from a results file's dict."""
    lines = ["| data set | method | steps | modes | HQ % | reverse KL | trials meeting the goal | "
             "train s (CPU s) |", "|---|---|---|---|---|---|---|---|"]
    jobs = sorted(results["jobs"], key=lambda j: (j["dataset"] != "ring", list(METHODS).index(j["method"])))
    for job in jobs:
        for ln in job["lengths"]:
            lines.append(f"| {job['dataset']} | {job['method']} | {ln['length']:,} | "
                         + " | ".join(cells(ln["trials"], job["dataset"]))
                         + f" | {ln['seconds']:.0f} ({ln['cpu_seconds']:.0f}) |")
    goals = ", ".join(f"{d} {m} modes and HQ >= {100 * h:.0f}%" for d, (m, h) in GOALS.items())
    lines += ["", f"Goal per trial: {goals}.", "", "Published (modes / HQ %), ring then grid:", "",
              "| source: method | ring | grid |", "|---|---|---|"]
    lines += [f"| {k} | {r} | {g} |" for k, (r, g) in PUBLISHED.items()]
    return "\n".join(lines)


def goal_report(results: dict) -> str:
    """Per trial: does the best method meet each data set's goal; does the baseline keep fewer
    grid modes than the best fix (at the longest length both were scored)."""
    by = {(j["method"], j["dataset"]): {ln["length"]: ln["trials"] for ln in j["lengths"]}
          for j in results["jobs"]}
    out = []
    for ds in DATASETS:
        cands = [(m, n, rows) for (m, d), lens in by.items() if d == ds for n, rows in lens.items()]
        if not cands:
            continue
        m, n, rows = max(cands, key=lambda c: (sum(meets(r, ds) for r in c[2]),
                                               np.mean([r["hq_fraction"] for r in c[2]])))
        hit = [meets(r, ds) for r in rows]
        hq = [round(100 * r["hq_fraction"], 1) for r in rows]
        out.append(f"{ds}: best {m} at {n:,} steps meets the goal in {sum(hit)}/{len(hit)} trials "
                   f"(modes {[r['modes'] for r in rows]}, HQ % {hq})")
    base, fix = by.get(("collapse-gan", "grid")), by.get((HEADLINE["grid"][1], "grid"))
    if base and fix:
        n = max(set(base) & set(fix))
        fewer = [b["modes"] < f["modes"] for b, f in zip(base[n], fix[n])]
        out.append(f"grid at {n:,} steps: the baseline keeps fewer modes than {HEADLINE['grid'][1]} in "
                   f"{sum(fewer)}/{len(fewer)} trials (baseline {[r['modes'] for r in base[n]]}, "
                   f"fix {[r['modes'] for r in fix[n]]})")
    return "\n".join(out)


def write_readme(text: str, marker: str = "mode_collapse") -> None:
    path = Path(__file__).with_name("README.md")
    readme = path.read_text()
    new = f"<!-- {marker}:start -->\n{text}\n<!-- {marker}:end -->"
    pattern = re.compile(rf"<!-- {marker}:start -->.*?<!-- {marker}:end -->", re.S)
    if not pattern.search(readme):
        raise SystemExit(f"benchmarks/README.md has no {marker} markers")
    path.write_text(pattern.sub(lambda _: new, readme))


_LENGTH_FIELDS = ("lengths", "others", "short")  # the protocol's default lengths, not what ran


def lengths_run(results: dict) -> str:
    """The lengths (steps) each data set's methods were scored at, read from the jobs: what ran
    (--lengths, --scale), not the protocol's defaults. "ring 100/200 (a, b); grid ..."."""
    groups: dict[tuple[str, tuple[int, ...]], list[str]] = {}
    for j in results["jobs"]:
        key = (j["dataset"], tuple(ln["length"] for ln in j["lengths"]))
        groups.setdefault(key, []).append(j["method"])
    return "; ".join(f"{d} {'/'.join(f'{n:,}' for n in ns)} ({', '.join(sorted(ms))})"
                     for (d, ns), ms in sorted(groups.items()))


def describe(results: dict) -> str:
    m = results["meta"]
    settings = {k: v for k, v in m["settings"].items() if k not in _LENGTH_FIELDS}
    return (f"`{m['command']}`: protocol {m['protocol']} {settings}; lengths run (steps): "
            f"{lengths_run(results)}; {m['trials']} trials; "
            f"{m['date']}, {m['machine']}, {m['workers']} worker processes of 1 thread, torch {m['torch']}; "
            f"wall {m['wall_seconds'] / 60:.1f} min, CPU {m['cpu_seconds'] / 60:.1f} min, load average "
            f"{m['load_before']} before and {m['load_after']} after")


# --- speed at the limit ---------------------------------------------------------------------------


def step_matmuls(proto: Protocol, trials: int) -> list[tuple[int, int, int, int]]:
    """(T, M, K, N) of every matmul one alternating baseline step does: the D step (G forward
    without grad, D forward and backward on B real and B fake rows) and the G step (G forward
    and backward, D forward and backward to its input only). Backward of x (M,K) @ W (K,N) is
    dx = dy W^T (M,N,K) and dW = x^T dy (K,M,N)."""
    n, b = proto.nets, proto.batch
    g = [2] + [n["g_width"]] * n["g_depth"] + [2]
    d = [2] + [n["width"]] * n["depth"]
    g_layers = list(zip(g[:-1], g[1:]))
    d_layers = [(k, 5 * m) for k, m in zip(d[:-1], d[1:])] + [(n["width"], 1)]
    fwd = lambda layers, m: [(trials, m, k, o) for k, o in layers]  # noqa: E731
    dx = lambda layers, m: [(trials, m, o, k) for k, o in layers[1:]]  # noqa: E731 (no dx of the input)
    dw = lambda layers, m: [(trials, k, m, o) for k, o in layers]  # noqa: E731
    d_step = fwd(g_layers, b) + fwd(d_layers, 2 * b) + dx(d_layers, 2 * b) + dw(d_layers, 2 * b)
    g_step = (fwd(g_layers, b) + fwd(d_layers, b) + dx(d_layers, b) + [(trials, b, d_layers[0][1], 2)]
              + dx(g_layers, b) + dw(g_layers, b))
    return d_step + g_step


def matmul_limit(shapes: list[tuple[int, int, int, int]], seconds: float = 2.0) -> tuple[float, float]:
    """Seconds (process CPU) per step that the step's matmuls alone take, and their GFLOP/s."""
    mats = [(torch.randn(t, m, k), torch.randn(t, k, n)) for t, m, k, n in shapes]
    for a, b in mats:  # warm up
        torch.bmm(a, b)
    c, repeats = time.process_time(), 0
    while time.process_time() - c < seconds:
        for a, b in mats:
            torch.bmm(a, b)
        repeats += 1
    sec = (time.process_time() - c) / repeats
    flops = sum(2 * t * m * k * n for t, m, k, n in shapes)
    return sec, flops / sec / 1e9


def train_rate(proto_name: str, trials: int, steps: int) -> float:
    """Trial-steps per CPU second of the baseline (alternating D and G steps) under a protocol."""
    proto = replace(PROTOCOLS[proto_name], simultaneous=False, fixed_points=0, warmup=0)
    game = build_game(proto, "collapse-gan", "grid", trials, 0)
    cfg = TrainConfig(steps=steps, batch=trials * proto.batch, ema_decay=0.0, progress=False,
                      device="cpu", log_every=10**9)
    tr = Trainer(game, data.grid(), cfg)
    tr.fit(3)  # warm up
    c = time.process_time()
    tr.fit(3 + steps)
    return trials * steps / (time.process_time() - c)


def speed_row(proto_name: str, trials: int, steps: int) -> dict:
    torch.set_num_threads(1)
    proto = PROTOCOLS[proto_name]
    sec, gflops = matmul_limit(step_matmuls(proto, trials))
    return {"nets": proto_name, "trials": trials, "batch": proto.batch,
            "batched": train_rate(proto_name, trials, steps),
            "one_by_one": train_rate(proto_name, 1, steps * 2),
            "limit": trials / sec, "matmul_gflops": gflops, "pid": os.getpid()}


def speed(args) -> dict:
    """One process, then two at once (each its own core on an idle machine); CPU-time rates."""
    ctx = multiprocessing.get_context("spawn")
    plan = [("cpu", 10, args.speed_steps), ("pacgan", 10, max(args.speed_steps // 8, 5))]
    out = {"meta": {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "torch": torch.__version__,
                    "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                    "load_before": [round(x, 2) for x in os.getloadavg()]},
           "one_worker": [], "two_workers": []}
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        for row in plan:
            out["one_worker"].append(pool.submit(speed_row, *row).result())
            futs = [pool.submit(speed_row, *row) for _ in range(2)]
            out["two_workers"].append([f.result() for f in futs])
    out["meta"]["load_after"] = [round(x, 2) for x in os.getloadavg()]
    return out


def speed_table(res: dict) -> str:
    lines = ["| nets | trials x batch | batched trial-steps/CPU s | one by one | speed-up of batching | "
             "matmul limit (same shapes) | of the limit | matmul GFLOP/s | 2 workers: each batched |",
             "|---|---|---|---|---|---|---|---|---|"]
    for one, two in zip(res["one_worker"], res["two_workers"]):
        lines.append(f"| {one['nets']} | {one['trials']} x {one['batch']} | {one['batched']:.0f} | "
                     f"{one['one_by_one']:.0f} | {one['batched'] / one['one_by_one']:.2f}x | "
                     f"{one['limit']:.0f} | "
                     f"{100 * one['batched'] / one['limit']:.0f}% | {one['matmul_gflops']:.1f} | "
                     + " + ".join(f"{w['batched']:.0f}" for w in two) + " |")
    m = res["meta"]
    return (f"{m['date']}, {m['machine']}, torch {m['torch']}, load average {m['load_before']} before, "
            f"{m['load_after']} after; rates are per CPU second of one thread\n\n" + "\n".join(lines))


# --- the run ----------------------------------------------------------------------------------------


def _cpu_of_children() -> float:
    r = os.times()
    return r.children_user + r.children_system + r.user + r.system


def run_all(args) -> dict:
    proto = PROTOCOLS[args.protocol]
    methods = args.methods or list(METHODS)
    jobs = [(m, d) for d in args.datasets for m in methods
            if not args.headline or m in HEADLINE[d]]
    cost = {j: COST.get(j[0], 1) * (max(lengths_of(proto, *j)) if args.lengths is None else max(args.lengths))
            for j in jobs}
    jobs.sort(key=lambda j: -cost[j])
    name = args.out or RESULTS / f"mode_collapse_{args.protocol}{'_headline' if args.headline else ''}.json"
    results = {"meta": {"command": "python benchmarks/mode_collapse.py " + " ".join(args.argv),
                        "protocol": args.protocol, "settings": asdict(proto), "trials": args.trials,
                        "seed": args.seed, "scale": args.scale, "device": args.device,
                        "workers": args.workers,
                        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                        "torch": torch.__version__,
                        "load_before": [round(x, 2) for x in os.getloadavg()]}, "jobs": []}
    t0, c0 = time.perf_counter(), _cpu_of_children()
    lengths = tuple(args.lengths) if args.lengths else None
    part = Path(name).with_suffix("")
    calls = [(args.protocol, m, d, args.trials, args.seed, args.device, lengths, args.fast,
              part / f"{m}_{d}.json", args.scale) for m, d in jobs]
    for job in _jobs(calls, args.workers):
        results["jobs"].append(job)
        for ln in job["lengths"]:
            print(f"{job['method']:17s} {job['dataset']} {ln['length']:>7,}: "
                  + " | ".join(cells(ln["trials"], job["dataset"])) + f" ({ln['cpu_seconds']:.0f} CPU s)",
                  flush=True)
        save(results, name, t0, c0)  # partial results survive a cut run
    save(results, name, t0, c0)
    return results


def _jobs(calls: list[tuple], workers: int):
    """run_job(*call) for each call, as each finishes: in this process, or on spawned workers."""
    if workers == 1:
        yield from (run_job(*c) for c in calls)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield from (f.result() for f in as_completed([pool.submit(run_job, *c) for c in calls]))


def save(results: dict, path: Path, t0: float, c0: float) -> None:
    results["meta"].update(wall_seconds=time.perf_counter() - t0, cpu_seconds=_cpu_of_children() - c0,
                           load_after=[round(x, 2) for x in os.getloadavg()])
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(results, indent=1))


def main(argv: list[str] | None = None) -> None:
    import sys
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--protocol", choices=list(PROTOCOLS), default="cpu")
    p.add_argument("--trials", type=int, default=10)
    p.add_argument("--lengths", type=int, nargs="+", help="override the protocol's lengths (steps)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="multiply the protocol's lengths (a run cut to fit a shared machine says so)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, ...")
    p.add_argument("--fast", action="store_true", help="the trainer's speed levers (fused Adam)")
    p.add_argument("--workers", type=int, default=2, help="processes, one thread each")
    p.add_argument("--methods", nargs="+", choices=list(METHODS))
    p.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    p.add_argument("--headline", action="store_true", help="only the baseline and each data set's best fix")
    p.add_argument("--out", type=Path,
                   help="results file (default benchmarks/results/mode_collapse_<protocol>.json)")
    p.add_argument("--table", type=Path, help="print the Markdown table of a results file; no training")
    p.add_argument("--write", action="store_true", help="write the table into benchmarks/README.md")
    p.add_argument("--marker", help="the README block --write replaces (default: mode_collapse, "
                   "mode_collapse_pacgan or mode_collapse_speed)")
    p.add_argument("--speed", action="store_true", help="trial-steps/s of both net sizes vs the matmul limit")
    p.add_argument("--speed-steps", type=int, default=200)
    args = p.parse_args(argv)
    args.argv = argv
    if args.speed:
        res = speed(args)
        path = args.out or RESULTS / "mode_collapse_speed.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(res, indent=1))
        text = speed_table(res)
        print(text)
        if args.write:
            write_readme(text, args.marker or "mode_collapse_speed")
        return
    results = json.loads(args.table.read_text()) if args.table else run_all(args)
    text = describe(results) + "\n\n" + table(results) + "\n\n" + goal_report(results)
    print(text)
    if args.write:
        pacgan = results["meta"]["protocol"] == "pacgan"
        write_readme(text, args.marker or ("mode_collapse_pacgan" if pacgan else "mode_collapse"))


if __name__ == "__main__":
    main()
