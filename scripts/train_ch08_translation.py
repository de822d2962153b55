"""Train the small translation nets that ship for chapter 8 (pix2pix and CycleGAN, 3 seeds each).

    python scripts/train_ch08_translation.py
    # or in parallel processes (`--only` takes key prefixes), then joined:
    python scripts/train_ch08_translation.py --only pix2pix/ &
    python scripts/train_ch08_translation.py --only pix2pix-l1 "cyclegan n"; wait
    python scripts/train_ch08_translation.py --join pix2pix/ "pix2pix-l1,cyclegan n" ...

Under the chapter's CPU budget neither effect the chapter measures shows up in time, so the
nets are trained here, once, through the one Trainer on the CPU (one thread, seeded), and
the chapter evaluates them live on held-out data:

- pix2pix and its L1-only baseline on `paired.detail_pairs` (blurred -> sharp texture crops,
  32x32): U-Net width 8, depth 4, PatchGAN with 2 stride-2 layers, lambda = 100, batch 16,
  `P2P_STEPS` steps, seeds 0, 1, 2 (the seed sets both the initial weights and the data order);
- CycleGAN on `paired.thin_thick_digits(16)`: ResNet generators width 8 with 2 blocks,
  PatchGANs with 2 stride-2 layers, batch 16, `CYC_STEPS` steps with the lr decaying over the
  second half, for the four (cycle, identity_weight) settings of `CYC_LOSSES`, seeds 0, 1, 2.

Writes ganlab/weights/ch08_translation.pt (every run's generators, float16) and a record
beside it (.json: each run's variant, options, steps, seed and CPU seconds; the command; the
machine).
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import torch

from ganlab import paired, variants
from ganlab.features import weights_path
from ganlab.train import Trainer

FILE = "ch08_translation.pt"
SEEDS = (0, 1, 2)
BATCH = 16
P2P_STEPS = 1500
P2P_OPTIONS = {"width": 8, "depth": 4, "d_layers": 2}
CYC_STEPS = 400
CYC_OPTIONS = {"channels_a": 1, "width": 8, "n_blocks": 2, "d_layers": 2, "decay_steps": CYC_STEPS}
CYC_LOSSES = {"cycle+identity": (10.0, 5.0), "cycle only": (10.0, 0.0),
              "identity only": (0.0, 5.0), "neither": (0.0, 0.0)}


def runs():
    """(key, variant, data, options, steps, seed, generator names) of every run."""
    for name in ("pix2pix", "pix2pix-l1"):
        for s in SEEDS:
            yield f"{name}/seed{s}", name, "detail", P2P_OPTIONS, P2P_STEPS, s, ("G",)
    for label, (cyc, idt) in CYC_LOSSES.items():
        for s in SEEDS:
            opts = {**CYC_OPTIONS, "cycle": cyc, "identity_weight": idt}
            yield f"cyclegan {label}/seed{s}", "cyclegan", "digits", opts, CYC_STEPS, s, ("G_AB", "G_BA")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", nargs="+", default=[],
                   help="train only the runs whose key starts with one of these")
    p.add_argument("--join", nargs="+",
                   help="join the files written by --only runs (one argument per run, its "
                        "prefixes joined by commas)")
    a = p.parse_args()
    if a.join:
        return join(a.join)
    torch.set_num_threads(1)
    datasets = {"detail": paired.detail_pairs(32, "train"), "digits": paired.thin_thick_digits(16, "train")}
    weights, record = {}, {"command": "python scripts/train_ch08_translation.py",
                           "machine": f"{platform.machine()} {platform.processor() or ''}, "
                                      f"torch {torch.__version__}, 1 thread",
                           "batch": BATCH, "runs": {}}
    for key, name, which, opts, steps, seed, keep in runs():
        if a.only and not key.startswith(tuple(a.only)):
            continue
        ds = datasets[which]
        game = variants.build(name, ds.x.shape[1:], seed=seed, **opts)
        t0 = time.process_time()
        Trainer(game, ds, steps=steps, batch=BATCH, ema_decay=0.0, progress=False, seed=seed,
                device="cpu").fit()
        cpu = time.process_time() - t0
        weights[key] = {n: {k: v.half() for k, v in game.nets[n].state_dict().items()} for n in keep}
        record["runs"][key] = {"variant": name, "data": which, "options": opts, "steps": steps,
                               "seed": seed, "cpu_seconds": round(cpu, 1)}
        print(f"{key:32s} {cpu:6.1f} s CPU", flush=True)
    save(weights, record, _part(a.only) if a.only else FILE)


def _part(only: list[str]) -> str:
    name = "+".join(only).replace(" ", "_").replace("/", "_")
    return FILE.replace(".pt", f"-{name}.pt")


def save(weights: dict, record: dict, file: str) -> None:
    path = weights_path(file)
    torch.save(weights, path)
    record["bytes"] = path.stat().st_size
    record["cpu_seconds"] = round(sum(r["cpu_seconds"] for r in record["runs"].values()), 1)
    weights_path(file.replace(".pt", ".json")).write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {path} ({record['bytes']} bytes), {record['cpu_seconds']} s CPU in all")


def join(parts: list[str]) -> None:
    """Join the weights and records of `--only` runs into FILE, and delete the parts."""
    weights, record = {}, None
    for part in parts:
        path = weights_path(_part(part.split(",")))
        weights.update(torch.load(path))
        rec = json.loads(path.with_suffix(".json").read_text())
        record = record or {**rec, "runs": {}}
        record["runs"].update(rec["runs"])
        path.unlink()
        path.with_suffix(".json").unlink()
    record["command"] = "python scripts/train_ch08_translation.py (in parts, joined)"
    save(weights, record, FILE)


if __name__ == "__main__":
    main()
