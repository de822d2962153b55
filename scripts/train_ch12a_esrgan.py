"""Train the ESRGAN generators chapter 12a evaluates (deterministic, CPU, one thread).

    OMP_NUM_THREADS=1 python scripts/train_ch12a_esrgan.py             # seeds 0, 1, 2

Writes ``ganlab/weights/ch12a_esrgan.pt`` (float16 state dicts of G) and
``ch12a_esrgan.json`` (per seed: variant, build options, seed, steps, batch, command, CPU and
wall seconds), rebuilt by ``inference.load_pretrained(path, key, shape=(1, 32, 32), n_classes=0)``.
The settings are the chapter's cpu-budget SRGAN settings (`SR_STEPS`, `SR_WIDTH`, `SR_BLOCKS`,
`SR_LR`, batch 16, the train crops of ``superres.sr_patches``, the one trainer from the same
seed), so the shipped ESRGAN and the chapter's live SRGAN and pixel-only runs have the same
budget; only ESRGAN's cost (its G is slower per step than SRGAN's) is moved out of the chapter.
The file is rewritten after every seed; the last lines print PSNR and high-frequency energy
on the test crops.
"""

from __future__ import annotations

import sys
import time

import torch

from ganlab import inference, variants
from ganlab import superres as SR
from ganlab.features import weights_path
from ganlab.metrics import high_frequency_energy, psnr
from ganlab.train import Trainer

SEEDS = (0, 1, 2)
STEPS, BATCH = 150, 16
OPTIONS = {"width": 16, "blocks": 2, "growth": 8, "lr": 5e-4}


def main() -> None:
    torch.set_num_threads(1)
    train, test = SR.sr_patches(split="train"), SR.sr_patches(split="test")
    path = weights_path("ch12a_esrgan.pt")
    games = {}
    for seed in SEEDS:
        game = variants.build("esrgan", (1, 32, 32), seed=seed, **OPTIONS)
        t0, c0 = time.perf_counter(), time.process_time()
        Trainer(game, train, steps=STEPS, batch=BATCH, seed=seed, device="cpu", ema_decay=0.0,
                progress=False).fit()
        record = {"steps": STEPS, "batch": BATCH, "command": " ".join(["python"] + sys.argv),
                  "threads": 1, "cpu_seconds": round(time.process_time() - c0, 1),
                  "wall_seconds": round(time.perf_counter() - t0, 1)}
        games[f"esrgan-s{seed}"] = {"variant": "esrgan", "options": OPTIONS, "seed": seed,
                                    "game": game, "record": record}
        inference.save_pretrained(path, games, {k: ("G",) for k in games}, merge=True)
        g = game.nets["G"].eval()
        with torch.no_grad():
            out = g(SR.downsample(test.x)).clamp(-1, 1)
        print(f"seed {seed}: {record}; PSNR {psnr(out, test.x).mean():.2f} dB, high-frequency "
              f"energy {high_frequency_energy(out):.4f} (real {high_frequency_energy(test.x):.4f})",
              flush=True)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
