"""Train chapter 10's StyleGAN (v1) generators: the `stylegan` variant on the faces, 3 seeds.

    OMP_NUM_THREADS=1 python scripts/train_ch10_stylegan1.py [--steps 2000]

The same data, resolution and settings as the shipped StyleGAN2 (`ganlab/weights/
stylegan2_faces16.*`, scripts/train_style_generator.py): the 80 training faces of
`data.faces(16)`, width 16, w of 32 dimensions, batch 16, EMA 0.99, through the one Trainer on
the CPU with one thread; seeds 0, 1, 2 (the seed sets the nets' initial weights, the latents and
the data order). Writes the EMA generators' state dicts in float16 to
ganlab/weights/ch10_stylegan1.pt (one dict, "stylegan1_{seed}" -> state dict) and a record to
ch10_stylegan1.json (command, seeds, steps, cpu and wall seconds per model, machine). The file is
rewritten after each model; a rerun skips every model already there with the same steps.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import torch

from ganlab import data, variants
from ganlab.features import weights_path
from ganlab.train import Trainer

SEEDS = (0, 1, 2)
WIDTH, W_DIM, BATCH, EMA = 16, 32, 16, 0.99
FILE = "ch10_stylegan1.pt"


def build(seed: int):
    """The `stylegan` game of seed `seed` at the shipped StyleGAN2's size."""
    return variants.build("stylegan", (1, 16, 16), seed=seed, width=WIDTH, w_dim=W_DIM)


def load(seed: int, trained: bool = True) -> torch.nn.Module:
    """The EMA generator of `seed` (float32, eval mode), or its untrained initialisation."""
    G = build(seed).nets["G"]
    if trained:
        states = torch.load(weights_path(FILE), map_location="cpu", weights_only=True)
        G.load_state_dict({k: v.float() for k, v in states[f"stylegan1_{seed}"].items()})
    return G.eval()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=2000)
    a = p.parse_args()
    torch.set_num_threads(1)
    faces = data.faces(16, "train")
    path, rec_path = weights_path(FILE), weights_path(FILE.replace(".pt", ".json"))
    states, models = {}, {}
    if path.exists():  # resume: keep what an earlier run of the same steps finished
        states = torch.load(path, map_location="cpu", weights_only=True)
        models = json.loads(rec_path.read_text())["models"]
    command = f"OMP_NUM_THREADS=1 python scripts/train_ch10_stylegan1.py --steps {a.steps}"
    for seed in SEEDS:
        name = f"stylegan1_{seed}"
        if name in states and models.get(name, {}).get("steps") == a.steps:
            continue
        torch.manual_seed(seed)
        game = build(seed)
        c0, t0 = time.process_time(), time.perf_counter()
        trainer = Trainer(game, faces, steps=a.steps, batch=BATCH, ema_decay=EMA, seed=seed,
                          device="cpu", progress=False, log_every=100)
        trainer.fit()
        states[name] = {k: v.detach().cpu().half() for k, v in trainer.ema["G"].state_dict().items()}
        models[name] = {"seed": seed, "steps": a.steps,
                        "cpu_seconds": round(time.process_time() - c0, 1),
                        "wall_seconds": round(time.perf_counter() - t0, 1),
                        "last_log": {k: round(v, 4) for k, v in trainer.history[-1].items()}}
        torch.save(states, path)
        record = {"command": command, "variant": "stylegan",
                  "data": "ganlab.data.faces(16, 'train') (80 faces)", "seeds": list(SEEDS),
                  "steps": a.steps, "width": WIDTH, "w_dim": W_DIM, "batch": BATCH,
                  "ema_decay": EMA, "dtype": "float16", "device": "cpu, 1 thread",
                  "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
                  "models": models,
                  "cpu_seconds": round(sum(m["cpu_seconds"] for m in models.values()), 1),
                  "wall_seconds": round(sum(m["wall_seconds"] for m in models.values()), 1),
                  "bytes": path.stat().st_size}
        rec_path.write_text(json.dumps(record, indent=2) + "\n")
        print(name, models[name], flush=True)


if __name__ == "__main__":
    main()
