"""Train the small StyleGAN2 generator that ships in ganlab/weights/ (chapter 10's widgets).

    python scripts/train_style_generator.py [--steps 2000]

The `stylegan2` variant of ganlab.style on the 80 training faces of `data.faces(16)`,
width 16, w of 32 dimensions, batch 16, EMA 0.99, seed 0, through the one Trainer on the
CPU. Writes the EMA generator's state dict to ganlab/weights/stylegan2_faces16.pt and a
record beside it (.json: configuration, steps, seconds, bytes, FID on the faces network).
"""

from __future__ import annotations

import argparse
import json
import time

import torch
import torch.nn.functional as F

from ganlab import data, metrics, style
from ganlab.features import load_faces_net, weights_path
from ganlab.train import Trainer


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=2000)
    a = p.parse_args()
    torch.set_num_threads(1)
    faces = data.faces(16, "train")
    game = style.pretrained_game()
    t0 = time.perf_counter()
    trainer = Trainer(game, faces, steps=a.steps, batch=16, ema_decay=0.99, seed=0, progress=True,
                      log_every=100)
    trainer.fit()
    seconds = time.perf_counter() - t0
    g = trainer.ema["G"].cpu().eval()
    path = weights_path(style.PRETRAINED_FILE)
    torch.save(g.state_dict(), path)
    record = {**style.PRETRAINED, "data": "ganlab.data.faces(16, 'train') (80 faces)",
              "steps": a.steps, "batch": 16, "ema_decay": 0.99, "seed": 0,
              "seconds": round(seconds, 1), "bytes": path.stat().st_size,
              "fid_faces_net": fid_of(g), "command": "python scripts/train_style_generator.py"}
    weights_path(style.PRETRAINED_FILE.replace(".pt", ".json")).write_text(
        json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))


def fid_of(g) -> float:
    """FID (shipped faces network, 32 px) of 500 samples against the 80 training faces."""
    net = load_faces_net()
    with torch.no_grad():
        x = g(torch.randn(500, g.nz, generator=torch.Generator().manual_seed(1))).clamp(-1, 1)
    up = F.interpolate(x, size=32, mode="bilinear", align_corners=False)
    return float(metrics.fid(net.features(data.faces(32, "train").x), net.features(up)))


if __name__ == "__main__":
    main()
