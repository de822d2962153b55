"""Issue 19, item 1: `torchrun --nproc_per_node 2 -m ganlab train` is one distributed run.

Two CPU processes (gloo) through the real command line: the weights equal a one-process
run on the same global batch, every history row is written once, and resume works."""

import json
import os
import subprocess
import sys

import pytest
import torch
import torch.distributed as dist

from ganlab.cli import main

ARGS = ["--width", "8", "--depth", "2", "--no-progress", "--log-every", "1", "--ckpt-every", "3",
        "--metrics", "modes", "--device", "cpu"]


def torchrun(*args):
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    env["OMP_NUM_THREADS"] = "1"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "ganlab", "train", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=240)


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed unavailable")
def test_torchrun_two_processes_equal_one_process_on_the_global_batch(tmp_path, capsys):
    two = tmp_path / "two"
    res = torchrun("--out", two, "--steps", "4", "--batch", "8", *ARGS)
    assert res.returncode == 0, res.stderr[-3000:]
    assert main(["train", "--out", str(tmp_path / "one"), "--steps", "6", "--batch", "16", *ARGS]) == 0
    # resume the 2-process run with 2 processes: its options come from the checkpoint
    res = torchrun("--out", two, "--resume", "--steps", "6", "--no-progress")
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.count("resumed") == 1  # rank 0 speaks, rank 1 does not

    a = torch.load(two / "last.pt", weights_only=True)
    b = torch.load(tmp_path / "one" / "last.pt", weights_only=True)
    assert a["world"] == 2 and a["train_config"]["batch"] == 8 and a["step"] == 6
    for net in ("G", "D"):
        for key, value in b["nets"][net].items():
            torch.testing.assert_close(a["nets"][net][key], value, rtol=1e-5, atol=1e-6)
    steps = [json.loads(r)["step"] for r in (two / "history.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 7))  # each row once
    # and the comparison can fail: one process on a rank's share of the batch ends elsewhere
    assert main(["train", "--out", str(tmp_path / "half"), "--steps", "6", "--batch", "8", *ARGS]) == 0
    c = torch.load(tmp_path / "half" / "last.pt", weights_only=True)["nets"]["D"]
    assert max((c[k] - v).abs().max().item() for k, v in a["nets"]["D"].items()) > 1e-4
