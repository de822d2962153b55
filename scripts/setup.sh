#!/usr/bin/env bash
# Set up ganlab in ./.venv: a CPU build of torch where there is no CUDA, the package with
# its course tools (JupyterLab, jupytext, widgets) and dev tools (tests, the book), the
# project's JupyterLab settings (jupyterlab/), and Debian's chromium for the book's browser
# test (when apt-get exists). Safe to run again; it only installs what is missing. It starts
# nothing: the README's first command opens JupyterLab after it.
# GANLAB_TORCH_INDEX=<url> installs torch from that index (CI: the CPU wheels' index).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
TORCH_VERSION=${GANLAB_TORCH:-2.13.0}

[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  # torch==X resolves to the CPU wheel on a machine without CUDA (a local file here); on a
  # CUDA machine install the matching CUDA build first and this step is skipped.
  .venv/bin/python -m pip install -q "torch==${TORCH_VERSION}" ${GANLAB_TORCH_INDEX:+--index-url "$GANLAB_TORCH_INDEX"}
fi
.venv/bin/python -m pip install -q -e ".[dev]"
.venv/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
# JupyterLab opens a chapter's .py as a notebook on a double click (jupyterlab/README.md)
install -D -m 644 jupyterlab/overrides.d/ganlab.json .venv/share/jupyter/lab/settings/overrides.d/ganlab.json
# and starts where the user is root too (containers, CI machines)
install -D -m 644 jupyterlab/jupyter_server_config.json .venv/etc/jupyter/jupyter_server_config.json

have_browser() {
  for b in chromium chromium-browser google-chrome; do command -v "$b" >/dev/null 2>&1 && return 0; done
  return 1
}
if ! have_browser && command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium >/dev/null
fi

if .venv/bin/python -m pip list 2>/dev/null | grep -qi nvidia && ! command -v nvidia-smi >/dev/null; then
  echo "warning: CUDA packages were installed on a machine without a GPU" >&2
fi
echo "ganlab is set up in .venv ($(.venv/bin/python -c 'import torch; print("torch", torch.__version__)'))"
echo "the course: .venv/bin/jupyter lab --notebook-dir=. notebooks/ch01_minimax.ipynb    every test: bash scripts/test.sh"
