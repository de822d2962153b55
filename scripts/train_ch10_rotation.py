"""Train chapter 10's rotation-equivariant generators: StyleGAN3's config R on 16x16 faces.

    OMP_NUM_THREADS=1 python scripts/train_ch10_rotation.py [--steps 300] [--seeds 0 1 2]

`style.aliasfree_game((1, 16, 16), True, rotation=True)`: the game of chapter 10's alias-free
generators (`scripts/train_ch10_models.py`, kind `af`: the `stylegan2` game with its G swapped,
path-length regularisation off, lazy R1 on) with an `AliasFreeGenerator` in config R (1x1
modulated convs, input frequencies in a disk, radially symmetric low-pass). Same data (the 80
training faces of `data.faces(16)`), batch 16, EMA 0.99, steps (300) and seeds (0, 1, 2; the seed
sets the nets' initial weights, the latents and the data order), through the one Trainer on the
CPU with one thread.

Writes the EMA generators' state dicts in float16 to ganlab/weights/ch10_rotation.pt (one dict,
"r{seed}" -> state dict) and a record to ch10_rotation.json (command, seeds, steps, cpu and wall
seconds per model, machine). The file is rewritten after each model; a rerun skips every model
already there with the same steps.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import torch

from ganlab import data, style
from ganlab.features import weights_path
from ganlab.train import Trainer

WIDTH, W_DIM, BATCH, EMA = 16, 32, 16, 0.99


def build(seed: int):
    """The config-R game at `seed` (what the chapter rebuilds to load the weights)."""
    return style.aliasfree_game((1, 16, 16), True, seed=seed, rotation=True, width=WIDTH,
                                w_dim=W_DIM, pl_weight=0.0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    a = p.parse_args()
    torch.set_num_threads(1)
    faces = data.faces(16, "train")
    path, meta = weights_path("ch10_rotation.pt"), weights_path("ch10_rotation.json")
    states, models = {}, {}
    if path.exists():  # resume: keep what an earlier run of the same settings finished
        states = torch.load(path, map_location="cpu", weights_only=True)
        models = json.loads(meta.read_text())["models"]
    command = (f"OMP_NUM_THREADS=1 python scripts/train_ch10_rotation.py --steps {a.steps} "
               f"--seeds {' '.join(map(str, a.seeds))}")
    for seed in a.seeds:
        name = f"r{seed}"
        if name in states and models.get(name, {}).get("steps") == a.steps:
            continue
        torch.manual_seed(seed)
        game = build(seed)
        c0, t0 = time.process_time(), time.perf_counter()
        trainer = Trainer(game, faces, steps=a.steps, batch=BATCH, ema_decay=EMA, seed=seed,
                          device="cpu", progress=False, log_every=100)
        trainer.fit()
        states[name] = {k: (v.half() if v.is_floating_point() else v).cpu()
                        for k, v in trainer.ema["G"].state_dict().items()}
        models[name] = {"seed": seed, "steps": a.steps,
                        "cpu_seconds": round(time.process_time() - c0, 1),
                        "wall_seconds": round(time.perf_counter() - t0, 1)}
        torch.save(states, path)
        record = {"command": command, "game": "style.aliasfree_game((1, 16, 16), True, rotation=True,"
                  f" width={WIDTH}, w_dim={W_DIM}, pl_weight=0.0)",
                  "data": "ganlab.data.faces(16, 'train') (80 faces)", "seeds": sorted(
                      m["seed"] for m in models.values()), "steps": a.steps, "batch": BATCH,
                  "ema_decay": EMA, "dtype": "float16", "device": "cpu, 1 thread",
                  "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, "
                             f"torch {torch.__version__}",
                  "models": models,
                  "cpu_seconds": round(sum(m["cpu_seconds"] for m in models.values()), 1),
                  "wall_seconds": round(sum(m["wall_seconds"] for m in models.values()), 1),
                  "bytes": path.stat().st_size}
        meta.write_text(json.dumps(record, indent=2) + "\n")
        print(name, models[name], flush=True)


if __name__ == "__main__":
    main()
