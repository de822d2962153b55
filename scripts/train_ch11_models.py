"""Train the nets chapter 11 evaluates (deterministic, CPU, one thread).

    OMP_NUM_THREADS=1 python scripts/train_ch11_models.py            # everything, seeds 0, 1, 2
    OMP_NUM_THREADS=1 python scripts/train_ch11_models.py --only mirror

Writes two files in ``ganlab/weights/``:

* ``ch11_mirror.pt`` / ``.json``: the long-range probe of self-attention. For each seed, a
  ``attention.CompletionNet`` with the block and the same net without it, each trained by the
  one ``Trainer`` (a one-phase ``Game``, ``attention.mirror_phase``) to fill in the hidden
  right half of ``attention.mirror_images`` (the left half mirrored).
* ``ch11_biggan.pt`` / ``.json``: small BigGANs on the digits (``data.digits(16, "train")``,
  width 16, batch 16). ``biggan`` is the preset (SN, orthogonal regularisation 1e-4),
  ``biggan-noortho`` the same with ``ortho=0`` (both with lr 1e-3 / 2e-3 for G / D instead of
  the preset's 1e-4 / 4e-4, so that 800 steps learn the classes). ``collapse`` is a run set
  up to collapse late: no spectral norm, no orthogonal regularisation, lr 2e-3 for G and D,
  both raised geometrically to RAMP["factor"] times that between RAMP["start"] and
  RAMP["end"]; it is tracked every TRACK_EVERY steps by the digits net's class accuracy on
  its samples (``ganlab.earlystop.fit_tracked``): ``collapse-last`` is its last G,
  ``collapse-best`` the G of its best evaluation, and the JSON holds the whole curve.

The chapter's cpu budget cannot train these to the point where the effects show; it
evaluates these weights live and keeps short live runs for the mechanism.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import time

import torch

from ganlab import attention, data, inference, variants
from ganlab.earlystop import BestCheckpoint, fit_tracked
from ganlab.features import load_digits_net, weights_path
from ganlab.train import Game, NonFiniteLossError, Phase, Team, Trainer

SEEDS = (0, 1, 2)
MIRROR = {"width": 32, "depth": 4, "freqs": [1, 2]}  # CompletionNet options
MIRROR_STEPS, MIRROR_BATCH, MIRROR_LR, MIRROR_TRAIN = 500, 32, 2e-3, 2000
BIGGAN_STEPS, BATCH = 800, 16
COLLAPSE = {"width": 16, "sn": False, "ortho": 0.0, "lr_g": 2e-3, "lr_d": 2e-3}
RAMP = {"start": 500, "end": 800, "factor": 20.0}  # lr x factor ** ((step - start) / (end - start))
COLLAPSE_STEPS, TRACK_EVERY = 1200, 100
FAST = {"width": 16, "lr_g": 1e-3, "lr_d": 2e-3}
RUNS = {"biggan": FAST, "biggan-noortho": {**FAST, "ortho": 0.0}}


def ramp(step: int) -> float:
    """The collapse runs' lr factor: 1 until RAMP["start"], then geometric up to RAMP["factor"]."""
    frac = min(max(step - RAMP["start"], 0), RAMP["end"] - RAMP["start"]) / (RAMP["end"] - RAMP["start"])
    return RAMP["factor"] ** frac


def mirror_game(seed: int, att: bool) -> Game:
    torch.manual_seed(seed)
    net = attention.CompletionNet(attention=att, **{**MIRROR, "freqs": tuple(MIRROR["freqs"])})
    return Game("mirror", {"G": net}, {"G": Team(("G",), lr=MIRROR_LR, betas=(0.9, 0.999))},
                [Phase("G", "G", attention.mirror_phase)], nz=1, ema=())


def train_mirror() -> None:
    train_set = data.ArrayDataset(attention.mirror_images(MIRROR_TRAIN, seed=0))
    blobs, meta = {}, {}
    for seed in SEEDS:
        for att in (True, False):
            key = f"{'attention' if att else 'conv'}-s{seed}"
            game = mirror_game(seed, att)
            t0, c0 = time.perf_counter(), time.process_time()
            Trainer(game, train_set, steps=MIRROR_STEPS, batch=MIRROR_BATCH, ema_decay=0.0,
                    progress=False, seed=seed, device="cpu").fit()
            blobs[key] = {k: v.half() for k, v in game.nets["G"].state_dict().items()}
            meta[key] = {"attention": att, "options": MIRROR, "seed": seed, "steps": MIRROR_STEPS,
                         "batch": MIRROR_BATCH, "lr": MIRROR_LR, "train_images": MIRROR_TRAIN,
                         "cpu_seconds": round(time.process_time() - c0, 1),
                         "wall_seconds": round(time.perf_counter() - t0, 1)}
            print(key, meta[key], flush=True)
            path = weights_path("ch11_mirror.pt")
            torch.save(blobs, path)
            path.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")


def _record(t0: float, c0: float, steps: int) -> dict:
    return {"steps": steps, "batch": BATCH, "cpu_seconds": round(time.process_time() - c0, 1),
            "wall_seconds": round(time.perf_counter() - t0, 1)}


def class_accuracy(judge, n: int = 500):
    """The tracked metric: the digits net's accuracy on n samples of each class in turn."""
    z = torch.randn(n, COLLAPSE_NZ, generator=torch.Generator().manual_seed(1))
    y = torch.arange(n) % 10

    def metric(nets) -> float:
        g = nets["G"].eval()
        with torch.no_grad():
            x = g(z, y)
        g.train()
        return float((judge.probs(x).argmax(1) == y).float().mean())

    return metric


COLLAPSE_NZ = variants.build("biggan", (1, 16, 16), n_classes=10, **COLLAPSE).nz


def train_biggan() -> None:
    digits = data.digits(16, "train")
    judge = load_digits_net()
    path = weights_path("ch11_biggan.pt")
    for seed in SEEDS:
        for key, options in RUNS.items():
            game = variants.build("biggan", (1, 16, 16), n_classes=10, seed=seed, **options)
            t0, c0 = time.perf_counter(), time.process_time()
            Trainer(game, digits, steps=BIGGAN_STEPS, batch=BATCH, ema_decay=0.0, progress=False,
                    seed=seed, device="cpu").fit()
            rec = _record(t0, c0, BIGGAN_STEPS)
            print(f"{key}-s{seed}", rec, flush=True)
            inference.save_pretrained(path, {f"{key}-s{seed}": {
                "variant": "biggan", "options": options, "seed": seed, "game": game,
                "record": rec}}, {f"{key}-s{seed}": ("G",)}, merge=True)
        game = variants.build("biggan", (1, 16, 16), n_classes=10, seed=seed, **COLLAPSE)
        game.teams = {k: dataclasses.replace(t, lr_schedule=ramp) for k, t in game.teams.items()}
        tr = Trainer(game, digits, steps=COLLAPSE_STEPS, batch=BATCH, ema_decay=0.0,
                     progress=False, seed=seed, device="cpu")
        t0, c0 = time.perf_counter(), time.process_time()
        metric = class_accuracy(judge)
        last = {}

        def tracked(nets, metric=metric, last=last):
            last["G"] = copy.deepcopy(nets["G"].state_dict())  # the last finite G
            return metric(nets)

        best, stop = BestCheckpoint(mode="max"), None
        try:
            fit_tracked(tr, tracked, every=TRACK_EVERY, best=best)
        except NonFiniteLossError:  # a diverged run: keep the last finite evaluation
            stop = f"non-finite at step {tr.step}"
        game.nets["G"].load_state_dict(last["G"])
        rec = {**_record(t0, c0, COLLAPSE_STEPS), "track_every": TRACK_EVERY,
               "lr_ramp": RAMP, "best_step": best.best_step, "curve": best.history,
               "stopped": stop}
        print(f"collapse-s{seed}", rec, flush=True)
        entry = {"variant": "biggan", "options": COLLAPSE, "seed": seed, "game": game}
        inference.save_pretrained(path, {f"collapse-last-s{seed}": {**entry, "record": rec}},
                                  {f"collapse-last-s{seed}": ("G",)}, merge=True)
        best.restore({"G": game.nets["G"]})
        inference.save_pretrained(path, {f"collapse-best-s{seed}": {**entry, "record": {
            "step": best.best_step, "of": rec["steps"]}}}, {f"collapse-best-s{seed}": ("G",)},
            merge=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=["mirror", "biggan"],
                        choices=["mirror", "biggan"])
    args = parser.parse_args()
    torch.set_num_threads(1)
    if "mirror" in args.only:
        train_mirror()
    if "biggan" in args.only:
        train_biggan()


if __name__ == "__main__":
    main()
