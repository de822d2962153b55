#!/usr/bin/env bash
# Every test: the library's unit tests, every notebook through nbval (CPU budget), the
# exercises and solutions, and the book with its browser check. Two workers, one thread each.
set -euo pipefail
cd "$(dirname "$0")/.."
export GANLAB_BUDGET=cpu GANLAB_STATIC=1 MPLBACKEND=Agg OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
PY=.venv/bin/python
$PY -m ruff check ganlab tests benchmarks scripts
$PY -m ganlab.exercises check
$PY -m pytest -n 2 --dist loadfile -p no:cacheprovider --nbval-lax tests notebooks "$@"
