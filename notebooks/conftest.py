"""Settings for nbval runs of the chapter notebooks (pytest --nbval-lax notebooks/).

Kernels started by nbval inherit this process's environment, so setting it here
reaches the notebooks: no widgets (no front end is attached), the cpu budget unless
the caller chose one, and the inline matplotlib backend (figures become outputs).
"""

import os

os.environ["GANLAB_STATIC"] = "1"
os.environ.setdefault("GANLAB_BUDGET", "cpu")
os.environ.pop("MPLBACKEND", None)  # inline backend: figures become outputs (the book reuses them)
os.environ.setdefault("OMP_NUM_THREADS", "1")  # tiny nets: threads only contend on a shared CPU


# --- keep what nbval executed, so the book need not run every chapter a second time ---------
#
# nbval runs each code cell and keeps its outputs in `item.test_outputs`; `item.cell` is the
# cell inside the notebook nbval parsed. When every cell of a notebook passed, that notebook,
# outputs included, is written to book/_executed/ with the hash of its source and
# `mystnb.execution_mode: off`, and book/build.py uses it instead of executing the chapter
# again. A failed or partial run writes nothing, and a changed source invalidates the copy.

import hashlib  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import nbformat  # noqa: E402
import pytest  # noqa: E402

EXECUTED = Path(__file__).resolve().parent.parent / "book" / "_executed"
_runs: dict[str, dict] = {}


def source_hash(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not hasattr(item, "test_outputs") or not hasattr(item, "cell"):
        return  # not an nbval cell
    run = _runs.setdefault(str(item.fspath), {"file": item.parent, "ok": True, "ran": set(),
                                               "start": time.perf_counter()})
    run["end"] = time.perf_counter()  # wall time from the first cell's set-up to the last cell
    if report.failed or report.skipped:
        run["ok"] = False
    if report.when == "call" and report.passed:
        item.cell.outputs = list(item.test_outputs or [])
        run["ran"].add(item.cell_num)


def pytest_sessionfinish(session, exitstatus):
    for path, run in _runs.items():
        nb = run["file"].nb
        n_code = sum(c.cell_type == "code" for c in nb.cells)
        if not run["ok"] or len(run["ran"]) != n_code:
            continue
        count = 0
        for cell in nb.cells:
            if cell.cell_type == "code":
                count += 1
                cell.execution_count = count
                for out in cell.outputs:
                    if out.get("output_type") == "execute_result":
                        out["execution_count"] = count
        nb.metadata["mystnb"] = {"execution_mode": "off"}
        nb.metadata["ganlab"] = {"source_sha256": source_hash(path),
                                 "seconds": round(run["end"] - run["start"], 1)}
        EXECUTED.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, EXECUTED / Path(path).name)
