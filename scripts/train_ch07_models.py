"""Train the small conditioning/inference games chapter 7 evaluates (deterministic, CPU).

    OMP_NUM_THREADS=1 python scripts/train_ch07_models.py      # all variants, seeds 0, 1, 2

Writes ``ganlab/weights/ch07_models.pt`` (float16 state dicts of the nets the chapter
evaluates) and ``ch07_models.json`` (per game: variant, build options, seed, steps,
batch, CPU and wall seconds). Each game is rebuilt with ``inference.load_pretrained``.
The chapter's CPU budget trains each variant only a few hundred steps live; these
runs are longer, three seeds each, on the same digits (``data.digits(16, "train")``)
with the same one trainer. ``ae`` is the adversarial autoencoder's reconstruction
phase alone (no latent game): the null of the chapter's prior-matching claim.
``bigan-cycle`` is BiGAN with ALICE's explicit cycle term (``cycle_weight``).
``bigan-z4`` is plain BiGAN with a 4-number code, for the chapter's linear probe (with
32 numbers an untrained encoder's random features already give a near-saturated probe on
the digits). ``bigbigan-z4`` is BigBiGAN (unary x and z heads beside the joint one) with
the same 4-number code, nets and steps as ``bigan-z4``; ``bigbigan-z4-elr`` gives its encoder
the paper's decoupled learning rate, ten times G's (``lr_e``), and ``bigbigan-z4-paper`` adds
the paper's Gaussian encoder (``stochastic_e``); ``bigan-z4-elr`` is plain BiGAN with the
same encoder learning rate, the control. ``aae`` and ``ae`` train longer with a cosine
learning-rate decay to 0 (``train.cosine_decay``) on every team: the latent game
oscillates, and the decay lets it settle.
The file is rewritten after every game, so an interrupted run keeps what it finished;
``--only KEY ...`` retrains those keys and keeps the file's other games.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import torch

from ganlab import data, inference, variants
from ganlab.features import weights_path
from ganlab.train import Trainer, cosine_decay

SEEDS = (0, 1, 2)
BATCH = 64
# key: (variant, build options, steps, nets shipped); ordered by how much the claim needs it
RUNS = {
    "infogan": ("infogan", {"width": 16, "nz": 16}, 1000, ("G",)),
    "bigan": ("bigan", {"width": 16, "nz": 32}, 1000, ("G", "E")),
    "bigan-cycle": ("bigan", {"width": 16, "nz": 32, "cycle_weight": 10.0}, 600, ("G", "E")),
    "acgan": ("acgan", {"width": 16, "nz": 32}, 300, ("G",)),
    "cgan-projection": ("cgan-projection", {"width": 16, "nz": 32}, 300, ("G",)),
    "cgan-concat": ("cgan-concat", {"width": 16, "nz": 32}, 600, ("G",)),
    "aae": ("aae", {"width": 16, "nz": 2, "lr_g": 2e-3, "lr_d": 1e-3}, 3000, ("G", "E")),
    "ae": ("aae", {"width": 16, "nz": 2, "lr_g": 2e-3, "lr_d": 1e-3}, 3000, ("G", "E")),
    "vae": ("vae", {"width": 16}, 300, ("G", "E")),
    "vaegan": ("vaegan", {"width": 16, "pixel_weight": 1.0}, 200, ("G", "E")),
    "bigan-z4": ("bigan", {"width": 16, "nz": 4}, 2000, ("G", "E")),
    "bigbigan-z4": ("bigbigan", {"width": 16, "nz": 4}, 2000, ("G", "E")),
    "bigbigan-z4-elr": ("bigbigan", {"width": 16, "nz": 4, "lr_e": 2e-3}, 2000, ("G", "E")),
    "bigbigan-z4-paper": ("bigbigan", {"width": 16, "nz": 4, "lr_e": 2e-3, "stochastic_e": True}, 2000,
                          ("G", "E")),
    "bigan-z4-elr": ("bigan", {"width": 16, "nz": 4, "lr_e": 2e-3}, 2000, ("G", "E")),
}
DECAYED = ("aae", "ae")  # keys trained with a cosine learning-rate decay on every team


def train_one(key: str, seed: int, train_set) -> dict:
    variant, options, steps, _ = RUNS[key]
    game = variants.build(variant, (1, 16, 16), n_classes=10, seed=seed, **options)
    if key == "ae":  # the reconstruction phase alone: an autoencoder without the latent game
        game = replace(game, phases=[game.phases[0]])
    if key in DECAYED:
        game = replace(game, teams={k: replace(t, lr_schedule=cosine_decay(steps))
                                    for k, t in game.teams.items()})
    t0, c0 = time.perf_counter(), time.process_time()
    Trainer(game, train_set, steps=steps, batch=BATCH, seed=seed, device="cpu", ema_decay=0.0,
            progress=False).fit()
    record = {"steps": steps, "batch": BATCH, "lr_schedule": "cosine" if key in DECAYED else "constant",
              "cpu_seconds": round(time.process_time() - c0, 1),
              "wall_seconds": round(time.perf_counter() - t0, 1)}
    print(f"{key} seed {seed}: {record}", flush=True)
    return {"variant": variant, "options": options, "seed": seed, "game": game, "record": record}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=list(RUNS), help="keys of RUNS to train")
    args = parser.parse_args()
    torch.set_num_threads(1)
    train_set = data.digits(16, "train")
    path = weights_path("ch07_models.pt")
    games, kept = {}, {}
    for key in args.only:
        for seed in SEEDS:
            name = f"{key}-s{seed}"
            games[name], kept[name] = train_one(key, seed, train_set), RUNS[key][3]
            inference.save_pretrained(path, games, kept, merge=True)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
