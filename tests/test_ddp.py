"""DistributedDataParallel on CPU: 2 gloo processes vs one process on the concatenated batch."""

import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from ganlab import data, variants
from ganlab.train import TrainConfig, Trainer

BATCH, STEPS = 16, 2


def _game():
    torch.manual_seed(0)  # same initial weights on every process
    return variants.build("gan", (2,), width=16, depth=2)


def _worker(rank: int, port: int, out: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    try:
        t = Trainer(_game(), data.ring(), TrainConfig(steps=STEPS, batch=BATCH, progress=False,
                                                        ema_decay=0.0))
        assert t.world == 2 and set(t._ddp) == {"G", "D"}
        t.fit()
        if rank == 0:
            torch.save({k: m.state_dict() for k, m in t.game.nets.items()}, out)
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed unavailable")
def test_ddp_step_equals_single_process_step_on_concatenated_batch(tmp_path):
    out = str(tmp_path / "ddp.pt")
    mp.start_processes(_worker, args=(_free_port(), out), nprocs=2, join=True, start_method="spawn")
    ddp = torch.load(out, weights_only=True)

    single = Trainer(_game(), data.ring(), TrainConfig(steps=STEPS, batch=2 * BATCH, progress=False,
                                                        ema_decay=0.0))
    single.fit()
    for name, net in single.game.nets.items():
        for key, value in net.state_dict().items():
            torch.testing.assert_close(ddp[name][key], value, rtol=1e-5, atol=1e-6,
                                       msg=f"{name}.{key} differs")
    # and the test can fail: one more step moves the weights well beyond the tolerance
    before = {k: v.clone() for k, v in single.game.nets["G"].state_dict().items()}
    single.fit(STEPS + 1)
    moved = max((v - before[k]).abs().max().item()
                for k, v in single.game.nets["G"].state_dict().items())
    assert moved > 1e-4
