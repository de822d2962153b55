"""`pip install ganlab` from a wheel built from this repository.

The wheel is built from a copy of the package sources (the checkout is shared, so nothing
is written into it) by calling setuptools' build hook, the one pip calls; it is installed
with `--no-deps` into a fresh virtual environment that reaches this environment's
packages (torch, numpy, ...) through a `.pth` file, so nothing is downloaded. In that
environment `ganlab` must import from the wheel, compute FID on the shipped digits network
exactly as the checkout does, and `ganlab list` must run.
"""

from __future__ import annotations

import email.parser
import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
import torch
from torch.testing import assert_close

ROOT = Path(__file__).resolve().parents[1]
COURSE_ONLY = {"jupyterlab", "jupytext", "ipywidgets", "jupyter-book", "pytest", "nbval", "ipykernel"}

# FID between two halves of the digits on the shipped digits network; prints the value
FID_SCRIPT = """
import sys, ganlab
from ganlab import data, features
from ganlab.metrics.fid import fid
net = features.load_digits_net()
x = data.digits(16).x
print("FILE", ganlab.__file__)
print("FID", repr(fid(net.features(x[:400]), net.features(x[400:800]))))
"""


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(wheel path, everything the build printed, the sources it was built from)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src, dist = tmp / "src", tmp / "dist"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "ganlab", src / "ganlab", ignore=shutil.ignore_patterns("__pycache__"))
    hook = "import sys; from setuptools import build_meta as b; print('WHEEL', b.build_wheel(sys.argv[1]))"
    out = subprocess.run([sys.executable, "-W", "always", "-c", hook, str(dist)], cwd=src,
                         capture_output=True, text=True, env=_clean_env(), timeout=300)
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-3000:]
    name = log.split("WHEEL ")[-1].split()[0]
    return dist / name, log, src


def test_build_prints_no_warning(built):
    """setuptools warns about nothing in pyproject.toml (e.g. the licence's format)."""
    log = built[1]
    warnings = [line for line in log.splitlines() if "warn" in line.lower()]
    assert not warnings, "\n".join(warnings)


def _metadata(wheel: Path):
    with zipfile.ZipFile(wheel) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        entry = next(n for n in z.namelist() if n.endswith(".dist-info/entry_points.txt"))
        return email.parser.Parser().parsestr(z.read(meta).decode()), z.read(entry).decode()


def _requirement_name(req: str) -> str:
    name = req.split(";")[0]
    for sep in "<>=!~[ (":
        name = name.split(sep)[0]
    return name.strip().lower().replace("_", "-")


def test_wheel_metadata_splits_library_course_and_dev(built):
    meta, entry = _metadata(built[0])
    reqs = meta.get_all("Requires-Dist")
    core = {_requirement_name(r) for r in reqs if "extra ==" not in r}
    course = {_requirement_name(r) for r in reqs if 'extra == "course"' in r}
    dev = {_requirement_name(r) for r in reqs if 'extra == "dev"' in r}
    assert {"torch", "numpy", "scipy", "matplotlib", "scikit-learn", "scikit-image"} <= core
    assert not core & COURSE_ONLY, f"the plain install pulls course or test tools: {core & COURSE_ONLY}"
    assert {"jupyterlab", "jupytext", "ipywidgets", "matplotlib"} <= course
    assert {"ganlab", "pytest", "nbval", "jupyter-book"} <= dev  # dev = course + tests + book
    assert set(meta.get_all("Provides-Extra")) == {"course", "dev"}
    assert meta["License-Expression"] == "MIT"
    assert meta.get_all("License-File") == ["LICENSE"]
    with zipfile.ZipFile(built[0]) as z:
        text = next(z.read(n).decode() for n in z.namelist() if n.endswith(".dist-info/licenses/LICENSE"))
    assert text == (ROOT / "LICENSE").read_text() and text.startswith("MIT License")
    assert "ganlab = ganlab.cli:main" in entry


def test_wheel_carries_the_shipped_weights(built):
    # the copy the wheel was built from (the checkout's weights may be rewritten meanwhile)
    weights = sorted(p for p in (built[2] / "ganlab" / "weights").iterdir() if p.suffix in (".pt", ".json"))
    assert {"digits_net.pt", "digits_net.json", "faces_net.pt", "faces_net.json"} <= {w.name for w in weights}
    with zipfile.ZipFile(built[0]) as z:
        for w in weights:
            data = z.read(f"ganlab/weights/{w.name}")
            assert hashlib.sha256(data).hexdigest() == hashlib.sha256(w.read_bytes()).hexdigest(), w.name


@pytest.fixture(scope="module")
def installed(built, tmp_path_factory):
    """A fresh venv with only the wheel installed in it; the dependencies come from here."""
    venv_dir = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv_dir)], check=True, timeout=120)
    py = venv_dir / "bin" / "python"
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # a path listed in a .pth is not itself a site dir: this environment's own .pth files
    # (the editable install of the checkout among them) are not processed there
    (site / "parent.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    out = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps",
                          "--no-index", "--force-reinstall", str(built[0])],
                         capture_output=True, text=True, env=_clean_env(), timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return venv_dir, site


def test_installed_wheel_computes_fid_like_the_checkout(installed, tmp_path):
    venv_dir, site = installed
    out = subprocess.run([str(venv_dir / "bin" / "python"), "-c", FID_SCRIPT], cwd=tmp_path,
                         capture_output=True, text=True, env=_clean_env(), timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines() if " " in line)
    assert Path(lines["FILE"]).resolve().is_relative_to(site.resolve()), lines["FILE"]

    from ganlab import data, features
    from ganlab.metrics.fid import fid

    net = features.load_digits_net()
    x = data.digits(16).x
    here = fid(net.features(x[:400]), net.features(x[400:800]))
    wrong = fid(net.features(x[:400]), net.features(x[400:800].flip(-1)))  # mirrored digits
    got = float(lines["FID"])
    assert_close(torch.tensor(got), torch.tensor(here), rtol=1e-6, atol=1e-9)
    assert abs(wrong - here) > 10 * abs(here) * 1e-6 + 1e-6  # the tolerance tells them apart


def test_installed_wheel_runs_the_command_line(installed, tmp_path):
    venv_dir, _ = installed
    out = subprocess.run([str(venv_dir / "bin" / "ganlab"), "list"], cwd=tmp_path,
                         capture_output=True, text=True, env=_clean_env(), timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    heads = [line for line in out.stdout.splitlines() if line and not line.startswith(" ")]
    assert heads == ["variants (trains on [kind, default --data]):", "datasets:", "metrics:"], heads
    assert "digits" in out.stdout and "fid" in out.stdout
    assert "pix2pix" in out.stdout and "[paired, photo_pairs]" in out.stdout
