"""Train chapter 10's small generators: path-length regularisation on/off, alias-free vs pointwise.

    OMP_NUM_THREADS=1 python scripts/train_ch10_models.py [--kinds nopl af afp] [--pl-steps 500]
        [--af-steps 300] [--pl-weight 2]

On the 80 training faces of `data.faces(16)`, batch 16, EMA 0.99, through the one Trainer on the
CPU with one thread, seeds 0, 1, 2 (the seed sets the nets' initial weights, the latents and the
data order):

- `nopl{seed}` (and, with `--kinds pl ...`, `pl{seed}`): the `stylegan2` variant (width 16, w of
  32) with path-length weight 0 (or `--pl-weight`, every 4 steps); everything else equal. The
  chapter applies the path-length phase to the `nopl` generators itself; `pl` generators trained
  from scratch for 500 steps (seed 0; weights 2, 20, 200) did not lower the path-length spread, so none
  ships (benchmarks/README.md).
- `af{seed}` / `afp{seed}`: `style.aliasfree_game` with the filtered (alias-free) or the pointwise
  leaky ReLU, path-length regularisation off, lazy R1 on; everything else equal.

Writes the EMA generators' state dicts to ganlab/weights/ch10_models.pt (one dict, name -> state
dict) and a record to ch10_models.json (command, seeds, steps, cpu and wall seconds per model).
The file is rewritten after each model, so an interrupted run keeps the models it finished, and
a rerun keeps (skips) every model already there with the same steps and options.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from ganlab import data, style, variants
from ganlab.features import weights_path
from ganlab.train import Trainer

SEEDS = (0, 1, 2)
WIDTH, W_DIM, BATCH, EMA = 16, 32, 16, 0.99
PL_WEIGHT = 2.0  # StyleGAN2's default


def build(kind: str, seed: int, pl_weight: float):
    """The game of model `kind` ('pl', 'nopl', 'af', 'afp') at `seed`."""
    if kind in ("pl", "nopl"):
        return variants.build("stylegan2", (1, 16, 16), seed=seed, width=WIDTH, w_dim=W_DIM,
                              pl_weight=pl_weight if kind == "pl" else 0.0)
    return style.aliasfree_game((1, 16, 16), kind == "af", seed=seed, width=WIDTH, w_dim=W_DIM,
                                pl_weight=0.0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--pl-steps", type=int, default=500)
    p.add_argument("--af-steps", type=int, default=300)
    p.add_argument("--pl-weight", type=float, default=PL_WEIGHT)
    p.add_argument("--kinds", nargs="+", default=["nopl", "af", "afp"])
    a = p.parse_args()
    torch.set_num_threads(1)
    faces = data.faces(16, "train")
    path = weights_path("ch10_models.pt")
    states, models = {}, {}
    if path.exists():  # resume: keep what an earlier run of the same settings finished
        states = torch.load(path, map_location="cpu", weights_only=True)
        models = json.loads(weights_path("ch10_models.json").read_text())["models"]
    command = ("OMP_NUM_THREADS=1 python scripts/train_ch10_models.py "
               f"--pl-steps {a.pl_steps} --af-steps {a.af_steps} --pl-weight {a.pl_weight} "
               f"--kinds {' '.join(a.kinds)}")
    for seed in SEEDS:
        for kind in a.kinds:
            steps = a.pl_steps if kind in ("pl", "nopl") else a.af_steps
            pl_weight = a.pl_weight if kind == "pl" else 0.0
            name = f"{kind}{seed}"
            old = models.get(name, {})
            if name in states and old.get("steps") == steps and old.get("pl_weight") == pl_weight:
                continue
            torch.manual_seed(seed)
            game = build(kind, seed, a.pl_weight)
            c0, t0 = time.process_time(), time.perf_counter()
            trainer = Trainer(game, faces, steps=steps, batch=BATCH, ema_decay=EMA, seed=seed,
                              device="cpu", progress=False, log_every=100)
            trainer.fit()
            states[name] = {k: v.cpu() for k, v in trainer.ema["G"].state_dict().items()}
            models[name] = {"kind": kind, "seed": seed, "steps": steps, "pl_weight": pl_weight,
                            "cpu_seconds": round(time.process_time() - c0, 1),
                            "wall_seconds": round(time.perf_counter() - t0, 1)}
            torch.save(states, path)
            models[name]["command"] = command
            record = {"command": command,
                      "data": "ganlab.data.faces(16, 'train') (80 faces)", "seeds": list(SEEDS),
                      "width": WIDTH, "w_dim": W_DIM, "batch": BATCH, "ema_decay": EMA,
                      "device": "cpu, 1 thread", "models": models,
                      "cpu_seconds": round(sum(m["cpu_seconds"] for m in models.values()), 1),
                      "wall_seconds": round(sum(m["wall_seconds"] for m in models.values()), 1),
                      "bytes": path.stat().st_size}
            weights_path("ch10_models.json").write_text(json.dumps(record, indent=2) + "\n")
            print(name, models[name], flush=True)


if __name__ == "__main__":
    main()
