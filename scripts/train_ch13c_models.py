"""Train chapter 13c's models: DDPMs and their GAN comparators (deterministic, CPU).

    OMP_NUM_THREADS=1 python scripts/train_ch13c_models.py        # every model, seeds 0, 1, 2

Writes ``ganlab/weights/ch13c_models.pt`` (float16 state dicts of each game's ``G``) and
``ch13c_models.json`` (per game: variant, build options, seed, steps, batch, CPU and wall
seconds). The chapter rebuilds each game with ``inference.load_pretrained`` and scores it live.
On the ring and the grid, the ``ddpm`` preset (an MLP noise predictor, T = 100) and chapter
3's baseline GAN (``collapse-gan``, its three trials, i.e. seeds, batched in one model) train
for the same steps, batch and linearly decaying learning rate; both are shipped raw (no EMA).
On the digits (``data.digits(16, "train")``) the DDPM's noise predictor is an MLP on the
flattened pixels (T = 200, x_0 clipped to [-1, 1] while sampling), the GAN chapter 6's DCGAN
at its live budget (there: 400 steps); both are shipped as their EMA copies. Three seeds of every
model. ``--only KEY ...`` retrains those keys and keeps the file's other games.
"""

from __future__ import annotations

import argparse
import time

import torch

from ganlab import data, inference, variants
from ganlab.features import weights_path
from ganlab.train import Trainer

SEEDS = (0, 1, 2)
TOY_STEPS, TOY_BATCH = 600, 256
GAN_NETS = dict(g_width=64, g_depth=3, width=32, depth=3, g_batchnorm=False)  # chapter 3's cpu nets
# key: (variant, item shape, build options, steps, batch, EMA decay, data)
RUNS = {
    "ddpm-ring": ("ddpm", (2,), {"timesteps": 100, "width": 128, "lr": 2e-3,
                                 "decay_steps": TOY_STEPS}, TOY_STEPS, TOY_BATCH, 0.0, "ring"),
    "ddpm-grid": ("ddpm", (2,), {"timesteps": 100, "width": 128, "lr": 2e-3, "scale": 4.0,
                                 "decay_steps": TOY_STEPS}, TOY_STEPS, TOY_BATCH, 0.0, "grid"),
    "gan-ring": ("collapse-gan", (2,), {"trials": 3, "lr_g": 2e-3, "lr_d": 2e-3,
                                        "decay_steps": TOY_STEPS, **GAN_NETS},
                 TOY_STEPS, TOY_BATCH, 0.0, "ring"),
    "gan-grid": ("collapse-gan", (2,), {"trials": 3, "lr_g": 2e-3, "lr_d": 2e-3,
                                        "decay_steps": TOY_STEPS, **GAN_NETS},
                 TOY_STEPS, TOY_BATCH, 0.0, "grid"),
    "ddpm-digits": ("ddpm", (1, 16, 16), {"timesteps": 200, "net": "mlp", "width": 256, "lr": 2e-3,
                                          "clip": 1.0, "decay_steps": 1200}, 1200, 64, 0.999,
                    "digits"),
    "gan-digits": ("gan", (1, 16, 16), {"width": 32}, 400, 64, 0.999, "digits"),
}
TRIALS = ("gan-ring", "gan-grid")  # one batched model of 3 trials (seeds), trained once


def _data(name: str):
    return {"ring": data.ring, "grid": data.grid}[name]() if name != "digits" \
        else data.digits(16, "train")


def train_one(key: str, seed: int) -> dict:
    variant, shape, options, steps, batch, ema, data_name = RUNS[key]
    game = variants.build(variant, shape, n_classes=10 if len(shape) == 3 else 0, seed=seed,
                          **options)
    t0, c0 = time.perf_counter(), time.process_time()
    trials = options.get("trials", 1)
    tr = Trainer(game, _data(data_name), steps=steps, batch=batch * trials, seed=seed,
                 device="cpu", ema_decay=ema, progress=False, log_every=10**9)
    tr.fit()
    if ema:
        game.nets["G"].load_state_dict(tr.ema["G"].state_dict())  # ship the EMA copy
    record = {"data": data_name, "shape": list(shape), "steps": steps, "batch": batch,
              "trials": trials, "ema_decay": ema, "shipped": "EMA of G" if ema else "G",
              "cpu_seconds": round(time.process_time() - c0, 1),
              "wall_seconds": round(time.perf_counter() - t0, 1)}
    print(f"{key} seed {seed}: {record}", flush=True)
    return {"variant": variant, "options": options, "seed": seed, "game": game, "record": record}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=list(RUNS), help="keys of RUNS to train")
    args = parser.parse_args()
    torch.set_num_threads(1)
    path = weights_path("ch13c_models.pt")
    for key in args.only:
        for seed in (SEEDS[:1] if key in TRIALS else SEEDS):
            name = key if key in TRIALS else f"{key}-s{seed}"
            inference.save_pretrained(path, {name: train_one(key, seed)}, {name: ("G",)},
                                      merge=True)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
