"""The `ganlab` command line: the shape other tools rely on, and its errors."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganlab.cli import main


def run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_names_variants_datasets_metrics(capsys):
    code, out, _ = run(["list"], capsys)
    assert code == 0
    for word in ("wgan-gp", "infogan", "ring", "digits", "fid", "modes"):
        assert f"  {word} " in out


def test_train_sample_eval_resume_on_ring(tmp_path, capsys):
    out = tmp_path / "run"
    code, text, _ = run(["train", "--data", "ring", "--steps", "20", "--batch", "32", "--width", "16",
                         "--out", str(out), "--no-progress", "--ckpt-every", "10"], capsys)
    assert code == 0, text
    for name in ("samples.png", "losses.png", "history.jsonl", "metrics.json", "last.pt"):
        assert (out / name).is_file(), name
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0 <= metrics["modes"] <= 8 and 0.0 <= metrics["hq_fraction"] <= 1.0
    assert metrics["steps"] == 20

    code, _, err = run(["train", "--data", "ring", "--steps", "30", "--width", "16", "--out", str(out),
                        "--no-progress"], capsys)
    assert code == 2 and "--resume" in err  # never overwrite a run silently
    code, text, _ = run(["train", "--data", "ring", "--steps", "30", "--batch", "32", "--width", "16",
                         "--out", str(out), "--no-progress", "--resume"], capsys)
    assert code == 0 and "resumed" in text
    assert torch.load(out / "last.pt", weights_only=True)["step"] == 30

    png = tmp_path / "s.png"
    code, _, _ = run(["sample", "--ckpt", str(out / "last.pt"), "--n", "10", "--out", str(png)], capsys)
    assert code == 0 and png.is_file()
    x = torch.load(png.with_suffix(".pt"), weights_only=True)
    assert x.shape == (10, 2)

    code, text, _ = run(["eval", "--ckpt", str(out / "last.pt"), "--metrics", "modes", "--n", "500"],
                        capsys)
    assert code == 0 and "hq_fraction" in json.loads(text)


def test_digits_eval_with_fid(tmp_path, capsys):
    out = tmp_path / "d"
    code, _, err = run(["train", "--variant", "cgan", "--data", "digits", "--steps", "2", "--batch", "16",
                        "--width", "8", "--out", str(out), "--no-progress", "--metrics", "fid"], capsys)
    assert code == 0, err
    assert json.loads((out / "metrics.json").read_text())["fid"] > 0
    code, text, _ = run(["eval", "--ckpt", str(out / "last.pt"), "--metrics", "fid,kid", "--n", "200"],
                        capsys)
    res = json.loads(text)
    assert code == 0 and res["fid"] > 0 and "kid" in res


@pytest.mark.parametrize("args, message", [
    (["train", "--variant", "nope"], "wgan-gp"),
    (["train", "--data", "nope"], "ring"),
    (["train", "--steps", "-3"], "--steps must be >= 0"),
    (["train", "--variant", "cgan", "--data", "ring"], "needs labelled data"),
    (["eval", "--ckpt", "missing.pt"], "no checkpoint"),
    (["train", "--data", "ring", "--metrics", "bogus", "--steps", "1"], "unknown metrics"),
])
def test_bad_input_gives_clear_error_and_writes_nothing(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(args, capsys)
    assert code == 2 and message in err
    if "--metrics" not in args:
        assert not (tmp_path / "runs").exists()


def test_folder_errors_and_training(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run(["train", "--data", str(empty), "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and "no images" in err and not (tmp_path / "o").exists()

    folder = tmp_path / "imgs"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(8):
        Image.fromarray(rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    code, _, err = run(["train", "--data", str(folder), "--size", "16", "--steps", "2", "--batch", "4",
                        "--width", "8", "--out", str(tmp_path / "o"), "--no-progress"], capsys)
    assert code == 0, err
    x = torch.load(tmp_path / "o" / "last.pt", weights_only=True)["shapes"]
    assert x["G"]["net.6.weight"][1] == 3  # an RGB generator

    # --strict-images: a 20x24 image is refused at --size 16, and so is RGB at --channels 1
    for extra in (["--size", "16"], ["--size", "24", "--channels", "1"]):
        out = tmp_path / ("s" + extra[-1])
        code, _, err = run(["train", "--data", str(folder), *extra, "--strict-images", "--steps", "1",
                            "--out", str(out), "--no-progress"], capsys)
        assert code == 2 and "0.png" in err and not out.exists(), err


def test_python_m_ganlab_help():
    script = str(Path(sys.executable).parent / "ganlab")  # the console script beside python
    for cmd in ([sys.executable, "-m", "ganlab", "--help"], [script, "--help"]):
        res = subprocess.run(cmd, capture_output=True, text=True, check=False)
        assert res.returncode == 0 and "train" in res.stdout
