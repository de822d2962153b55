"""Train the small UNIT and MUNIT nets that ship for chapter 8 (3 seeds each).

    python scripts/train_ch08_unit.py

Neither game learns to translate the digits within the chapter's CPU budget, three seeds
each, so the nets are trained here, once, through the one Trainer on the CPU (one thread,
seeded), and the chapter evaluates them live on the held-out digits:

- `unit` and `munit` (ganlab.unit) on `paired.thin_thick_digits(16, "train")` (A: the digits,
  B: other digits dilated), width 8, PatchGANs with 2 stride-2 layers, batch 16, `STEPS`
  steps, Adam lr `LR`, seeds 0, 1, 2 (the seed sets the initial weights and the data order).

Writes ganlab/weights/ch08_unit.pt (every run's generator nets, float16) and a record beside
it (.json: each run's variant, options, steps, seed, CPU and wall seconds; the command; the
machine).
"""

from __future__ import annotations

import json
import platform
import time

import torch

from ganlab import paired, variants
from ganlab.features import weights_path
from ganlab.train import Trainer

FILE = "ch08_unit.pt"
SEEDS = (0, 1, 2)
BATCH = 16
STEPS = 1000
LR = 2e-4
OPTIONS = {"unit": {"width": 8, "lr": LR}, "munit": {"width": 8, "lr": LR}}
KEEP = {"unit": ("G",), "munit": ("G_A", "G_B")}


def main() -> None:
    torch.set_num_threads(1)
    ds = paired.thin_thick_digits(16, "train")
    weights, record = {}, {"command": "python scripts/train_ch08_unit.py",
                           "machine": f"{platform.machine()} {platform.processor() or ''}, "
                                      f"torch {torch.__version__}, 1 thread",
                           "batch": BATCH, "seeds": list(SEEDS), "steps": STEPS, "runs": {}}
    for seed in SEEDS:  # seed by seed, so that a stopped run has as many seeds of each
        for name in ("unit", "munit"):
            key = f"{name}/seed{seed}"
            game = variants.build(name, ds.x.shape[1:], seed=seed, **OPTIONS[name])
            t0, w0 = time.process_time(), time.perf_counter()
            Trainer(game, ds, steps=STEPS, batch=BATCH, ema_decay=0.0, progress=False, seed=seed,
                    device="cpu").fit()
            cpu, wall = time.process_time() - t0, time.perf_counter() - w0
            weights[key] = {n: {k: v.half() for k, v in game.nets[n].state_dict().items()}
                            for n in KEEP[name]}
            record["runs"][key] = {"variant": name, "data": "thin_thick_digits", "options": OPTIONS[name],
                                   "steps": STEPS, "seed": seed, "cpu_seconds": round(cpu, 1),
                                   "wall_seconds": round(wall, 1)}
            print(f"{key:16s} {cpu:6.1f} s CPU, {wall:6.1f} s wall", flush=True)
            save(weights, record)  # after every run, so that a stopped run keeps what it trained


def save(weights: dict, record: dict) -> None:
    path = weights_path(FILE)
    torch.save(weights, path)
    record["bytes"] = path.stat().st_size
    for k in ("cpu_seconds", "wall_seconds"):
        record[k] = round(sum(r[k] for r in record["runs"].values()), 1)
    weights_path(FILE.replace(".pt", ".json")).write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {path} ({record['bytes']} bytes), {record['cpu_seconds']} s CPU in all")


if __name__ == "__main__":
    main()
