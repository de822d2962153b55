"""Train the ESRGAN generators chapter 12a evaluates (deterministic, CPU, one thread).

    OMP_NUM_THREADS=1 python scripts/train_ch12a_esrgan.py             # seeds 0, 1, 2

ESRGAN's two stages (Wang et al. 2018, sec. 4.1), per seed: the PSNR-oriented RRDB network
(`esrgan-psnr`: the same G, L1 loss alone) for `PRETRAIN_STEPS` at `PRETRAIN_LR`, then the GAN
(`esrgan`), its G started from that network (`superres.start_from`), for `STEPS` at `LR` = half
the pre-training rate (the paper: 2e-4, then 1e-4). Both stages use the one trainer from the
seed, batch 16, the train crops of ``superres.sr_patches``. The GAN stage has the chapter's
cpu-budget SRGAN settings (`SR_STEPS`, `SR_WIDTH`, `SR_BLOCKS`, batch 16) except its learning
rate, so ESRGAN's adversarial training is as long as the chapter's live SRGAN run; the
pre-training comes on top (SRGAN in the chapter starts from scratch).

Writes ``ganlab/weights/ch12a_esrgan.pt`` (float16 state dicts of the GAN's G) and
``ch12a_esrgan.json`` (per seed: variant, build options, seed, both stages' steps and learning
rates, batch, command, CPU and wall seconds), rebuilt by
``inference.load_pretrained(path, key, shape=(1, 32, 32), n_classes=0)``. The file is rewritten
after every seed; each seed's line prints PSNR and high-frequency energy on the test crops
after each stage.
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
BATCH = 16
G_OPTIONS = {"width": 16, "blocks": 2, "growth": 8}  # the chapter's SR_WIDTH, SR_BLOCKS, ESR_GROWTH
PRETRAIN_STEPS, PRETRAIN_LR = 300, 5e-4  # stage 1: L1 alone, at the chapter's SR_LR
STEPS, LR = 150, 2.5e-4  # stage 2: the GAN (the paper's loss weights), SR_STEPS at half the rate


def _fit(game, data, steps: int, seed: int):
    Trainer(game, data, steps=steps, batch=BATCH, seed=seed, device="cpu", ema_decay=0.0,
            progress=False).fit()
    return game


def _score(game, test) -> str:
    g = game.nets["G"].eval()
    with torch.no_grad():
        out = g(SR.downsample(test.x)).clamp(-1, 1)
    g.train()
    return f"PSNR {psnr(out, test.x).mean():.2f} dB, high-frequency energy {high_frequency_energy(out):.4f}"


def main() -> None:
    torch.set_num_threads(1)
    train, test = SR.sr_patches(split="train"), SR.sr_patches(split="test")
    path = weights_path("ch12a_esrgan.pt")
    options = dict(G_OPTIONS, lr=LR, pixel=1e-2, feature=1.0, adversarial=5e-3)  # eq. 3's weights
    games = {}
    print(f"real test crops: high-frequency energy {high_frequency_energy(test.x):.4f}", flush=True)
    for seed in SEEDS:
        t0, c0 = time.perf_counter(), time.process_time()
        psnr_net = _fit(variants.build("esrgan-psnr", (1, 32, 32), seed=seed, lr=PRETRAIN_LR,
                                       **G_OPTIONS), train, PRETRAIN_STEPS, seed)
        stage1 = _score(psnr_net, test)
        game = SR.start_from(variants.build("esrgan", (1, 32, 32), seed=seed, **options), psnr_net)
        _fit(game, train, STEPS, seed)
        record = {"steps": STEPS, "batch": BATCH, "pretrain": {"variant": "esrgan-psnr",
                  "steps": PRETRAIN_STEPS, "lr": PRETRAIN_LR},
                  "command": " ".join(["python"] + sys.argv), "threads": 1,
                  "cpu_seconds": round(time.process_time() - c0, 1),
                  "wall_seconds": round(time.perf_counter() - t0, 1)}
        games[f"esrgan-s{seed}"] = {"variant": "esrgan", "options": options, "seed": seed,
                                    "game": game, "record": record}
        inference.save_pretrained(path, games, {k: ("G",) for k in games}, merge=True)
        print(f"seed {seed}: {record}; PSNR-oriented RRDB: {stage1}; ESRGAN: {_score(game, test)}",
              flush=True)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
