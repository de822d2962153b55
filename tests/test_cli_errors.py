"""Issue 19: every user error of the command line is one line and status 2, no work is lost.

Each test goes through the real CLI (`ganlab.cli.main`, or a subprocess where a signal or a
traceback matters) and failed before the fix it names."""

import gzip
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from PIL import Image

from ganlab import data, variants
from ganlab.cli import main
from ganlab.train import CheckpointMismatchError, TrainConfig, Trainer

SMALL = ["--steps", "6", "--batch", "16", "--width", "8", "--depth", "2", "--no-progress",
         "--metrics", "modes", "--ckpt-every", "3", "--log-every", "1"]


def cli(capsys, *args):
    code = main([str(a) for a in args])
    got = capsys.readouterr()
    return code, got.out, got.err


def one_error_line(err, cmd="train"):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"ganlab {cmd}: error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def run(tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = cli(capsys, "train", "--out", out, *SMALL)
    assert code == 0, err
    return out


# --- 2. one error path -------------------------------------------------------------------


@pytest.mark.parametrize("content, words", [
    (b"", "empty"),
    (None, "truncated or corrupt"),  # the first 3000 bytes of a real checkpoint
    (bytes(np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8)), "corrupt"),
])
def test_bad_checkpoints_are_one_line(tmp_path, capsys, run, content, words):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(content if content is not None else (run / "last.pt").read_bytes()[:3000])
    for cmd in ("sample", "eval"):
        extra = ["--out", tmp_path / "s.png"] if cmd == "sample" else []
        code, _, err = cli(capsys, cmd, "--ckpt", bad, *extra)
        line = one_error_line(err, cmd)
        assert code == 2 and words in line and "PytorchStreamReader" not in line


def test_a_pickle_that_runs_code_is_refused_and_never_run(tmp_path, capsys):
    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'pwned'}",))

    import pickle

    (tmp_path / "evil.pt").write_bytes(pickle.dumps(Evil(), protocol=2))
    code, _, err = cli(capsys, "eval", "--ckpt", tmp_path / "evil.pt")
    assert code == 2 and "refuses to unpickle" in one_error_line(err, "eval")
    assert not (tmp_path / "pwned").exists()


def test_checkpoint_of_another_shape_and_resume_past_steps(tmp_path, capsys, run):
    code, _, err = cli(capsys, "train", "--out", run, "--resume", "--steps", "4", "--no-progress")
    assert code == 2 and "past --steps, at step 6" in one_error_line(err)
    t = Trainer(variants.build("gan", (2,), width=4, depth=2), data.ring(),
                TrainConfig(out=str(run), progress=False))
    with pytest.raises(CheckpointMismatchError, match="differ"):  # the error main turns into a line
        t.resume()


def test_fewer_items_than_one_batch_and_out_is_a_file(tmp_path, capsys):
    code, _, err = cli(capsys, "train", "--data", "digits", "--batch", "5000", "--steps", "1",
                       "--out", tmp_path / "d")
    assert code == 2 and "fewer than one batch" in one_error_line(err)
    (tmp_path / "f").write_text("x")
    code, _, err = cli(capsys, "train", "--out", tmp_path / "f", *SMALL)
    assert code == 2 and "is a file" in one_error_line(err)


def test_unknown_metric_is_refused_before_training(tmp_path, capsys):
    code, _, err = cli(capsys, "train", "--out", tmp_path / "m", *SMALL[:-6], "--metrics", "fid,nope")
    assert code == 2 and "unknown metrics ['nope']" in one_error_line(err)
    assert not (tmp_path / "m").exists()  # nothing trained
    code, _, err = cli(capsys, "train", "--out", tmp_path / "m", *SMALL[:-6], "--metrics", "fid")
    assert code == 2 and "compares images" in one_error_line(err) and not (tmp_path / "m").exists()


@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
def test_bad_gz_idx_file_is_one_line(tmp_path, capsys, damage):
    raw = gzip.compress(b"\x00\x00\x08\x03" + (2).to_bytes(4, "big") + (4).to_bytes(4, "big") * 2
                        + bytes(32))
    raw = raw[: len(raw) // 2] if damage == "truncated" else raw[:10] + b"\xff" * (len(raw) - 10)
    path = tmp_path / "x-images-idx3-ubyte.gz"
    path.write_bytes(raw)
    code, _, err = cli(capsys, "train", "--data", path, "--out", tmp_path / "o", *SMALL)
    assert code == 2 and "corrupt or truncated gzip" in one_error_line(err)


# --- 3. the last good checkpoint is good ---------------------------------------------------


def _poison_weights_after(monkeypatch, step):
    """Every game built gets NaN weights in D after the update of `step` (losses finite there)."""
    build = variants.build

    def poisoned(*args, **kw):
        game = build(*args, **kw)
        d_phase = game.phases[0]

        def after(ctx, old=d_phase.after):
            if old is not None:
                old(ctx)
            if ctx.step == step:
                with torch.no_grad():
                    next(ctx.nets["D"].parameters()).fill_(float("nan"))
        d_phase.after = after
        return game

    monkeypatch.setattr(variants, "build", poisoned)


def test_nan_stop_names_a_finite_checkpoint_and_resume_applies_a_new_lr(tmp_path, capsys,
                                                                        monkeypatch):
    out = tmp_path / "nan"
    _poison_weights_after(monkeypatch, 5)  # step 6's checkpoint would hold NaN weights
    code, _, err = cli(capsys, "train", "--out", out, "--steps", "12", *SMALL[2:])
    line = one_error_line(err)
    assert code == 2 and "non-finite" in line and f"{out / 'last.pt'} (step 3)" in line
    ck = torch.load(out / "last.pt", weights_only=True)
    assert ck["step"] == 3 and all(torch.isfinite(v).all() for v in ck["nets"]["D"].values())
    monkeypatch.undo()
    code, text, err = cli(capsys, "train", "--out", out, "--resume", "--steps", "8", "--lr-d", "1e-5",
                          "--no-progress")
    assert code == 0, err
    assert "--lr-d 0.0002 -> 1e-05 (applied)" in text
    ck = torch.load(out / "last.pt", weights_only=True)
    assert ck["optimizers"]["D"]["param_groups"][0]["lr"] == 1e-5
    assert ck["game_config"]["lr_d"] == 1e-5


def test_sample_refuses_non_finite_weights(tmp_path, capsys, run):
    ck = torch.load(run / "last.pt", weights_only=True)
    next(iter(ck["ema"]["G"].values())).fill_(float("inf"))
    torch.save(ck, tmp_path / "inf.pt")
    code, _, err = cli(capsys, "sample", "--ckpt", tmp_path / "inf.pt", "--out", tmp_path / "s.png")
    assert code == 2 and "non-finite weights" in one_error_line(err, "sample")
    assert not (tmp_path / "s.png").exists()


# --- 4. resume is checked ------------------------------------------------------------------


def test_resume_refuses_other_data_batch_seed_or_net_and_lists_them(capsys, run):
    code, _, err = cli(capsys, "train", "--out", run, "--resume", "--steps", "9", "--data", "grid",
                       "--batch", "32", "--seed", "3", "--width", "16", "--no-progress")
    line = one_error_line(err)
    for diff in ("--data ring -> grid", "--batch 16 -> 32", "--seed 0 -> 3", "--width 8 -> 16"):
        assert diff in line, line
    code, text, err = cli(capsys, "train", "--out", run, "--resume", "--steps", "9", "--no-progress")
    assert code == 0 and "resumed" in text, err  # left out: the checkpoint's options


def test_resume_without_checkpoint_and_folders_of_other_runs(tmp_path, capsys, run):
    code, _, err = cli(capsys, "train", "--out", tmp_path / "none", "--resume", *SMALL)
    assert code == 2 and "no checkpoint" in one_error_line(err)
    (run / "last.pt").unlink()  # history but no checkpoint
    code, _, err = cli(capsys, "train", "--out", run, *SMALL)
    assert code == 2 and "--overwrite" in one_error_line(err)
    code, _, err = cli(capsys, "train", "--out", run, "--overwrite", "--variant", "wgan-gp", *SMALL)
    assert code == 0, err
    rows = [json.loads(r) for r in (run / "history.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == list(range(1, 7))  # the old rows are gone, not mixed
    code, _, err = cli(capsys, "train", "--out", run, "--variant", "gan", "--resume", "--steps", "9",
                       "--no-progress")
    assert code == 2 and "--variant wgan-gp -> gan" in one_error_line(err)


def test_resume_truncates_history_rows_after_the_checkpoint(capsys, run):
    hist = run / "history.jsonl"
    rows = hist.read_text().splitlines()
    ck = torch.load(run / "last.pt", weights_only=True)
    ck_rows = [json.dumps(json.loads(r)) for r in ck["history"]]
    # a run killed at step 8 after checkpointing step 6 left rows 7 and 8
    hist.write_text("\n".join(rows + [rows[-1].replace('"step": 6', '"step": 7'),
                                      rows[-1].replace('"step": 6', '"step": 8')]) + "\n")
    code, _, err = cli(capsys, "train", "--out", run, "--resume", "--steps", "9", "--no-progress")
    assert code == 0, err
    steps = [json.loads(r)["step"] for r in hist.read_text().splitlines()]
    assert steps == list(range(1, 10)) and len(ck_rows) == 6


# --- 5. images -------------------------------------------------------------------------------


def _folder(path, n=30):
    path.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(path / f"{i:03d}.png")
    good = (path / "000.png").read_bytes()
    (path / "zz_random.png").write_bytes(bytes(rng.integers(0, 256, 500, dtype=np.uint8)))
    (path / "zz_truncated.png").write_bytes(good[: len(good) // 2])  # header fine, pixels cut
    return path


def test_corrupt_images_are_skipped_with_names_or_refused_under_strict(tmp_path, capsys, caplog):
    folder = _folder(tmp_path / "imgs")
    out = tmp_path / "o"
    args = ["train", "--data", folder, "--size", "16", "--batch", "8", "--width", "8",
            "--no-progress", "--metrics", "c2st"]
    code, _, err = cli(capsys, *args, "--steps", "12", "--out", out)  # every image is drawn
    assert code == 0, err
    logged = caplog.text
    assert "skipped 1 unreadable image(s)" in logged and "zz_random.png" in logged
    assert "zz_truncated.png" in logged  # found when first decoded, skipped then
    assert json.loads((out / "metrics.json").read_text())["steps"] == 12
    code, _, err = cli(capsys, *args, "--steps", "1", "--out", tmp_path / "s", "--strict-images")
    assert code == 2 and "zz_random.png" in one_error_line(err) and not (tmp_path / "s").exists()


def test_folder_run_evaluates_from_another_directory_with_c2st(tmp_path, capsys, monkeypatch):
    folder = _folder(tmp_path / "imgs", n=12)
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "train", "--data", "imgs", "--size", "16", "--batch", "4", "--width",
                       "8", "--steps", "2", "--no-progress", "--out", "o", "--metrics", "c2st")
    assert code == 0, err
    ck = torch.load(tmp_path / "o" / "last.pt", weights_only=True)
    assert ck["game_config"]["data"]["name"] == str(folder.resolve())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, text, err = cli(capsys, "eval", "--ckpt", tmp_path / "o" / "last.pt", "--metrics", "c2st",
                          "--n", "40")
    assert code == 0, err
    assert 0.0 <= json.loads(text)["c2st_accuracy"] <= 1.0


# --- 7. Ctrl-C and SIGTERM ---------------------------------------------------------------------


@pytest.mark.parametrize("sig, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_saves_and_exits_with_one_line(tmp_path, sig, status):
    out = tmp_path / "sig"
    proc = subprocess.Popen([sys.executable, "-m", "ganlab", "train", "--out", str(out),
                             "--steps", "1000000", "--batch", "8", "--width", "8", "--depth", "2",
                             "--no-progress", "--ckpt-every", "1000000", "--log-every", "1"],
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    deadline = time.time() + 120
    while not (out / "history.jsonl").exists() and time.time() < deadline:
        time.sleep(0.2)  # training has started: the handler is installed
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == status, err
    assert "Traceback" not in err and "checkpoint saved" in err and "--resume" in err
    step = torch.load(out / "last.pt", weights_only=True)["step"]
    assert f"at step {step}" in err and step > 0


# --- 8. device moves ---------------------------------------------------------------------------


def test_checkpoint_with_cuda_rng_resumes_on_cpu_and_says_what_was_reseeded(tmp_path, capsys, run):
    ck = torch.load(run / "last.pt", weights_only=True)
    ck["rng"]["cuda"] = [torch.zeros(16, dtype=torch.uint8)]  # as written on one GPU
    ck["rng"]["latent"] = torch.zeros(16, dtype=torch.uint8)  # a CUDA generator's state
    ck["rng"]["latent_device"] = "cuda"
    torch.save(ck, run / "last.pt")
    code, text, err = cli(capsys, "train", "--out", run, "--resume", "--steps", "8", "--no-progress")
    assert code == 0, err
    assert "CUDA RNG states do not apply" in text and "latents re-seeded" in text
    assert torch.load(run / "last.pt", weights_only=True)["step"] == 8


def test_list_into_a_pipe_that_closes_early_is_quiet():
    """`ganlab list | head -1`: the reader leaves early; no error line, status 0."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "ganlab", "list"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader is gone before the first line: every write meets EPIPE
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0 and err == ""
