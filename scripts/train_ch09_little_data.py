"""Train the little-data generators chapter 9 evaluates (deterministic, CPU, one thread).

    OMP_NUM_THREADS=1 python scripts/train_ch09_little_data.py      # 3 augmentations x seeds 0, 1, 2

The `gan` variant (DCGAN, width 32, batch 32) on 100 class-balanced digits (10 per class,
``data.digits(16)``, picked with a fixed generator), the other 1,697 held out; once without
augmentation, once with DiffAugment (colour, translation, cutout) and once with ADA's
pipeline and p controller (target 0.6, a fast controller for a short run). Every run's D
phase is wrapped by an ADA controller so that r_t = E[sign D(x_real)] of its real batches
is logged the same way for all three; only the ADA run attaches it (its p is used). The
controller of the other runs is never attached, so their D sees the images unaugmented
(none) or DiffAugmented.

Writes ``ganlab/weights/ch09_little_data.pt`` (float16 state dicts: the EMA generator as
``G`` and the discriminator ``D``) after 2,000 steps (`SAVE_AT`), keys ``{aug}-s{seed}-{steps}``,
and ``ch09_little_data.json`` beside it (per key: variant, options, seed, steps, batch, CPU
and wall seconds, the r_t and p history; plus ``train_index``, the 100 digits trained on).
Rebuild a key with ``inference.load_pretrained(path, key, shape=(1, 16, 16), n_classes=0)``.
"""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import numpy as np
import torch

from ganlab import augment as A
from ganlab import data, inference, variants
from ganlab.features import weights_path
from ganlab.train import Trainer

SEEDS = (0, 1, 2)
BATCH = 32
WIDTH = 32
SAVE_AT = (2000,)  # steps at which the nets are saved (more values: more keys)
PER_CLASS = 10
ADA_SPEED = 16_000  # images for a full swing of p (ADA uses 500k on runs 100x longer)
AUGS = ("none", "DiffAugment", "ADA")


def class_balanced(y: np.ndarray, per_class: int, seed: int = 0) -> np.ndarray:
    """Sorted indices of `per_class` examples of every class, drawn without replacement."""
    rng = np.random.default_rng(seed)
    return np.sort(np.concatenate([rng.choice(np.flatnonzero(y == c), per_class, replace=False)
                                   for c in np.unique(y)]))


def train_one(aug: str, seed: int, train_set, path, meta: dict) -> None:
    game = variants.build("gan", (1, 16, 16), seed=seed, width=WIDTH)
    ctrl = A.ADA(target=0.6, interval=4, speed_images=ADA_SPEED)
    if aug == "ADA":
        ctrl.attach(game)
    elif aug == "DiffAugment":
        game.augment = A.DiffAugment()
    game.phases[0] = ctrl.wrap_phase(game.phases[0])  # logs r_t (and p) of D's real batches
    tr = Trainer(game, train_set, steps=max(SAVE_AT), batch=BATCH, seed=seed, device="cpu",
                 progress=False, log_every=ctrl.interval)
    t0, c0 = time.perf_counter(), time.process_time()
    for steps in SAVE_AT:
        tr.fit(steps)
        hist = [h for h in tr.history if "D/ada_rt" in h]
        key = f"{aug}-s{seed}-{steps}"
        record = {"steps": steps, "batch": BATCH, "augment": aug,
                  "cpu_seconds": round(time.process_time() - c0, 1),
                  "wall_seconds": round(time.perf_counter() - t0, 1),
                  "history": {"step": [int(h["step"]) for h in hist],
                              "rt": [round(float(h["D/ada_rt"]), 4) for h in hist],
                              "p": [round(float(h["D/ada_p"]), 4) for h in hist]}}
        shipped = SimpleNamespace(nets={"G": tr.ema["G"], "D": game.nets["D"]})
        games = {key: {"variant": "gan", "options": {"width": WIDTH}, "seed": seed,
                       "game": shipped, "record": record}}
        inference.save_pretrained(path, games, {key: ("G", "D")}, merge=path.exists())
        print(f"{key}: cpu {record['cpu_seconds']} s, wall {record['wall_seconds']} s, "
              f"last r_t {record['history']['rt'][-1]}, p {record['history']['p'][-1]}", flush=True)
    meta_path = path.with_suffix(".json")
    m = json.loads(meta_path.read_text())
    m.update(meta)
    meta_path.write_text(json.dumps(m, indent=1) + "\n")


def main() -> None:
    torch.set_num_threads(1)
    full = data.digits(16)
    idx = class_balanced(full.y.numpy(), PER_CLASS)
    train_set = data.ArrayDataset(full.x[idx], full.y[idx])
    path = weights_path("ch09_little_data.pt")
    meta = {"train_index": [int(i) for i in idx],
            "command": "OMP_NUM_THREADS=1 python scripts/train_ch09_little_data.py"}
    for seed in SEEDS:
        for aug in AUGS:
            train_one(aug, seed, train_set, path, meta)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
