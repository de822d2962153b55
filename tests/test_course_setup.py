"""The course opens in JupyterLab as the README says: chapters' .py files open as notebooks.

jupyterlab/overrides.d/ganlab.json makes jupytext's notebook view ("Jupytext Notebook")
the default viewer of Python files; scripts/setup.sh copies it where the JupyterLab of
.venv reads the defaults of its settings. JupyterLab's own settings code (jupyterlab_server)
must then report it as the Document Manager's default, the viewer must be the one the
installed jupytext extension registers, and the README's first command must be what the
set-up script prints and what opens the course.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OVERRIDE = ROOT / "jupyterlab" / "overrides.d" / "ganlab.json"
PLUGIN = "@jupyterlab/docmanager-extension:plugin"
VIEWER = "Jupytext Notebook"


def test_project_setting_opens_python_files_as_notebooks():
    settings = json.loads(OVERRIDE.read_text())
    assert settings[PLUGIN]["defaultViewers"]["python"] == VIEWER


def test_setup_installs_the_setting_into_jupyterlab():
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    assert "install -D -m 644 jupyterlab/jupyter_server_config.json .venv/etc/jupyter/" in setup
    assert re.search(r"install .*jupyterlab/overrides\.d/ganlab\.json "
                     r"\.venv/share/jupyter/lab/settings/overrides\.d/ganlab\.json", setup)


def _default_viewers(overrides):
    from jupyterlab.commands import get_app_dir
    from jupyterlab_server.settings_utils import get_settings

    app = Path(get_app_dir())
    with tempfile.TemporaryDirectory() as user:  # no user settings: the defaults alone
        result, _ = get_settings(str(app / "settings"), str(app / "schemas"), user, PLUGIN,
                                 overrides=overrides)
    return result["schema"]["properties"]["defaultViewers"].get("default", {})


def test_jupyterlab_reads_the_setting():
    """What JupyterLab serves as the default, from the settings the set-up installed here."""
    pytest.importorskip("jupyterlab")
    from jupyterlab.commands import get_app_dir

    if not (Path(get_app_dir()) / "settings" / "overrides.d" / "ganlab.json").exists():
        pytest.fail("the JupyterLab of this environment lacks the setting: run bash scripts/setup.sh")
    assert _default_viewers(None).get("python") == VIEWER
    assert _default_viewers({}).get("python") != VIEWER  # without it: the text editor


def test_the_viewer_is_the_one_jupytext_registers():
    pytest.importorskip("jupytext")
    ext = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "jupyterlab-jupytext"
    bundle = "\n".join(p.read_text(errors="replace") for p in ext.rglob("*.js"))
    assert re.search(r'FACTORY\s*=\s*"Jupytext Notebook"', bundle), "jupytext's lab extension changed"
    types = re.search(r"FILE_TYPES\s*=\s*\[([^\]]*)\]", bundle)
    assert types and '"python"' in types.group(1)


def test_readme_first_command_opens_the_course():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.S)
    first, second = blocks[0].strip(), blocks[1].strip()
    assert first.startswith("bash scripts/setup.sh && ")
    assert ".venv/bin/jupyter lab --notebook-dir=. notebooks/ch01_minimax.ipynb" in first
    assert second == "bash scripts/test.sh"
    assert (ROOT / "notebooks" / "ch01_minimax.ipynb").exists()
    assert "ganlab train --variant gan --data digits" in readme  # the practitioner's path follows
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/setup.sh" in ci and "bash scripts/test.sh" in ci  # CI runs both, no server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def test_jupyter_lab_serves_a_chapter_py_as_a_notebook(tmp_path):
    """The README's `jupyter lab notebooks/ch01_minimax.ipynb`, started on localhost: the lab
    serves the setting, and its contents manager (jupytext's) reads a chapter's .py as a notebook."""
    pytest.importorskip("jupyterlab")
    port, token = _free_port(), "ganlab-test"
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "user-settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "ws"))
    readme = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)[0]
    args = readme.split(".venv/bin/jupyter lab", 1)[1].split()  # the README's own arguments
    cmd = [str(Path(sys.executable).with_name("jupyter")), "lab", *args, "--no-browser",
           f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1",
           f"--IdentityProvider.token={token}", "--ServerApp.port_retries=0"]
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(720):  # up to 3 minutes on a busy machine
            try:
                _get(f"{base}/api/status?token={token}")
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()[-2000:]
                time.sleep(0.25)
        status = _get(f"{base}/api/contents/exercises?token={token}")  # the whole course is reachable
        assert status["type"] == "directory"
        setting = _get(f"{base}/lab/api/settings/{PLUGIN}?token={token}")
        assert setting["schema"]["properties"]["defaultViewers"]["default"]["python"] == VIEWER
        nb = _get(f"{base}/api/contents/notebooks/ch01_minimax.py?type=notebook&token={token}")
        assert nb["type"] == "notebook"
        cells = nb["content"]["cells"]
        assert sum(c["cell_type"] == "markdown" for c in cells) >= 3
        assert sum(c["cell_type"] == "code" for c in cells) >= 3
    finally:
        server.terminate()
        server.wait(timeout=30)
