"""Train the small HiFi-GAN vocoders chapter 12c evaluates (deterministic, CPU, one thread).

    OMP_NUM_THREADS=1 python scripts/train_ch12c_hifigan.py            # seeds 0, 1, 2

Writes ``ganlab/weights/ch12c_hifigan.pt`` (float16 state dicts of G) and
``ch12c_hifigan.json`` (per seed: variant, build options, seed, steps, batch, command, CPU and
wall seconds), rebuilt by ``inference.load_pretrained(path, key, shape=(1, 1024))``. The
data: 512 synthetic 8 kHz clips of the chapter's kinds (``data.sounds``, seed 0), 512 samples
long -- HiFi-GAN too trains on short segments; G and D are convolutional, so the chapter runs
the vocoder on its 1,024-sample clips -- with the one trainer, batch 8. ``--eval-every N``
prints, every N steps, the per-clip log-spectral
distance of the vocoded held-out clips (``data.sounds(seed=1)``) to the real ones next to
Griffin-Lim's from the same log-mel (a look at the curve; the chapter states the numbers).
The file is rewritten after every seed.
"""

from __future__ import annotations

import argparse
import sys
import time

import torch

from ganlab import audio, data, inference, variants
from ganlab.features import weights_path
from ganlab.metrics import log_spectral_distance
from ganlab.train import Trainer

SEEDS = (0, 1, 2)
LENGTH, TRAIN_LENGTH, RATE, BATCH = 1024, 512, 8000, 8
OPTIONS = {"width": 32, "lr": 5e-4}  # the preset's front end (n_fft 256, hop 64, 32 mels)


def per_clip_lsd(real, fake):
    return sum(log_spectral_distance(r, f[None]) for r, f in zip(real, fake)) / len(real)


def report(game, held_out, gl_lsd, step):
    g = game.nets["G"].eval()
    with torch.no_grad():
        fake = g(audio.log_mel(held_out))[..., :LENGTH]
    g.train()
    print(f"  step {step}: vocoder {per_clip_lsd(held_out, fake):.2f} dB, Griffin-Lim "
          f"{gl_lsd:.2f} dB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--seeds", type=int, nargs="*", default=list(SEEDS))
    parser.add_argument("--eval-every", type=int, default=0)
    parser.add_argument("--out", default=str(weights_path("ch12c_hifigan.pt")))
    args = parser.parse_args()
    torch.set_num_threads(1)
    sounds = data.sounds(n=512, length=TRAIN_LENGTH, rate=RATE)
    held_out = data.sounds(n=64, length=LENGTH, rate=RATE, seed=1).x
    gl = audio.griffin_lim(audio.mel_to_linear(audio.log_mel(held_out)), LENGTH,
                           generator=torch.Generator().manual_seed(0))
    gl_lsd = per_clip_lsd(held_out, gl[:, None])
    games = {}
    for seed in args.seeds:
        game = variants.build("hifigan", (1, TRAIN_LENGTH), seed=seed, **OPTIONS)
        tr = Trainer(game, sounds, steps=args.steps, batch=BATCH, seed=seed, device="cpu",
                     ema_decay=0.0, progress=False, log_every=100)
        t0, c0 = time.perf_counter(), time.process_time()
        done = 0
        every = args.eval_every or args.steps
        while done < args.steps:
            n = min(every, args.steps - done)
            tr.fit(done + n)
            done += n
            if args.eval_every:
                report(game, held_out, gl_lsd, done)
        record = {"steps": args.steps, "batch": BATCH, "train_length": TRAIN_LENGTH,
                  "command": " ".join(["python"] + sys.argv),
                  "threads": 1, "cpu_seconds": round(time.process_time() - c0, 1),
                  "wall_seconds": round(time.perf_counter() - t0, 1)}
        print(f"seed {seed}: {record}", flush=True)
        games[f"hifigan-s{seed}"] = {"variant": "hifigan", "options": OPTIONS, "seed": seed,
                                     "game": game, "record": record}
        inference.save_pretrained(args.out, games, {k: ("G",) for k in games}, merge=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
