#!/usr/bin/env bash
# Every test: the library's unit tests, every notebook through nbval (CPU budget), the
# exercises and solutions, and the book with its browser check. Two workers, one thread each.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
export GANLAB_BUDGET=cpu GANLAB_STATIC=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
PY=.venv/bin/python
# every claim a chapter checks is recorded here (ganlab.claims); the tables are printed at the end
export GANLAB_CLAIMS=${GANLAB_CLAIMS:-$PWD/book/_executed/claims.jsonl}
mkdir -p "$(dirname "$GANLAB_CLAIMS")" && rm -f "$GANLAB_CLAIMS"
$PY -m ruff check ganlab tests benchmarks scripts book/build.py notebooks/conftest.py
$PY -m ganlab.exercises check
# 1) units, exercises and every chapter through nbval (which keeps the executed chapters);
# 2) the book, built from those executed chapters, and its browser check.
$PY -m pytest -n 2 --dist loadfile -p no:cacheprovider --nbval-lax tests notebooks \
    --ignore tests/test_book.py --durations=15 "$@"
$PY -m pytest -p no:cacheprovider tests/test_book.py "$@"
$PY -m ganlab.claims "$GANLAB_CLAIMS" || true
