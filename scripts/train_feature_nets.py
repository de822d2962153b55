"""Train the feature networks that ship in ganlab/weights/ (deterministic, CPU).

    python scripts/train_feature_nets.py            # both nets, ~1 minute on 2 cores

Writes ``digits_net.pt``/``.json`` and ``faces_net.pt``/``.json``; the JSON holds
the held-out accuracy, the seed and the training settings. Digits are trained on
``digits(split="train")`` and tested on ``digits(split="test")``. Faces: the LFW
faces' own train/test split; the 100 non-faces are split 80/20 with the same seed.
"""

from __future__ import annotations

import argparse
import json
import time

import torch
import torch.nn.functional as F

from ganlab import data
from ganlab.features import DigitsNet, FacesNet, weights_path

SEED = 0


def shift(x: torch.Tensor, g: torch.Generator, max_shift: int = 1) -> torch.Tensor:
    """Random translation by up to ``max_shift`` pixels (background -1 padding)."""
    n, _, h, w = x.shape
    pad = F.pad(x, [max_shift] * 4, value=-1.0)
    dx, dy = torch.randint(0, 2 * max_shift + 1, (2,), generator=g).tolist()
    return pad[:, :, dy:dy + h, dx:dx + w]


def accuracy(net, x, y) -> float:
    net.eval()
    with torch.no_grad():
        return float((net(x).argmax(1) == y).float().mean())


def fit(net, x, y, epochs: int, batch: int, lr: float, max_shift: int) -> None:
    g = torch.Generator().manual_seed(SEED)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs * -(-len(x) // batch))
    for _ in range(epochs):
        net.train()
        for idx in torch.randperm(len(x), generator=g).split(batch):
            loss = F.cross_entropy(net(shift(x[idx], g, max_shift)), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()


def feature_rms(net, x) -> float:
    """Root mean square of the raw features on the training images (the shipped scale)."""
    net.eval()
    with torch.no_grad():
        return float(net.features(x).square().mean().sqrt())


def save(net, name: str, record: dict) -> None:
    torch.save(net.state_dict(), weights_path(f"{name}.pt"))
    record["parameters"] = sum(p.numel() for p in net.parameters())
    record["bytes"] = weights_path(f"{name}.pt").stat().st_size
    weights_path(f"{name}.json").write_text(json.dumps(record, indent=2) + "\n")
    print(name, json.dumps(record))


def train_digits(epochs: int = 30) -> None:
    torch.manual_seed(SEED)
    tr, te = data.digits(16, split="train"), data.digits(16, split="test")
    net = DigitsNet()
    t0 = time.perf_counter()
    fit(net, tr.x, tr.y, epochs=epochs, batch=64, lr=2e-3, max_shift=1)
    save(net, "digits_net", {
        "data": "ganlab.data.digits(16): split='train' (fit) / split='test' (held out)",
        "n_train": len(tr), "n_test": len(te),
        "train_accuracy": accuracy(net, tr.x, tr.y), "test_accuracy": accuracy(net, te.x, te.y),
        "feature_rms": feature_rms(net, tr.x),
        "seed": SEED, "epochs": epochs, "seconds": round(time.perf_counter() - t0, 1),
        "command": "python scripts/train_feature_nets.py",
    })


def train_faces(epochs: int = 60) -> None:
    torch.manual_seed(SEED)
    ftr, fte = data.faces(32, split="train"), data.faces(32, split="test")
    nf = data.non_faces(32).x
    perm = torch.randperm(len(nf), generator=torch.Generator().manual_seed(SEED))
    cut = int(0.8 * len(nf))
    ntr, nte = nf[perm[:cut]], nf[perm[cut:]]
    x_tr = torch.cat([ftr.x, ntr])
    y_tr = torch.cat([torch.ones(len(ftr), dtype=torch.long), torch.zeros(len(ntr), dtype=torch.long)])
    x_te = torch.cat([fte.x, nte])
    y_te = torch.cat([torch.ones(len(fte), dtype=torch.long), torch.zeros(len(nte), dtype=torch.long)])
    net = FacesNet()
    t0 = time.perf_counter()
    fit(net, x_tr, y_tr, epochs=epochs, batch=32, lr=2e-3, max_shift=2)
    save(net, "faces_net", {
        "data": "faces(32) split train/test (label 1) vs non_faces(32) 80/20 by seed (label 0)",
        "n_train": len(x_tr), "n_test": len(x_te),
        "train_accuracy": accuracy(net, x_tr, y_tr), "test_accuracy": accuracy(net, x_te, y_te),
        "feature_rms": feature_rms(net, x_tr),
        "seed": SEED, "epochs": epochs, "seconds": round(time.perf_counter() - t0, 1),
        "command": "python scripts/train_feature_nets.py",
    })


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=["digits", "faces"], default=None)
    args = p.parse_args()
    torch.set_num_threads(2)  # results are reproducible for a fixed thread count
    if args.only in (None, "digits"):
        train_digits()
    if args.only in (None, "faces"):
        train_faces()


if __name__ == "__main__":
    main()
