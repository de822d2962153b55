"""Build the course site offline: `ganlab book` (or `python book/build.py`) -> book/_build/html.

A chapter is executed once per version of its source: book/_executed/ keeps executed copies
(written by the test command's nbval run, notebooks/conftest.py, or by this build), each
with the hash of the .ipynb it was made from. The build executes, two at a time, the
chapters whose copy is missing or stale (cpu budget, widgets drawn as static figures:
GANLAB_STATIC=1), saves them there, copies every executed chapter into book/chapters/ and
the exercise notebooks into book/exercises/, then runs jupyter-book with warnings as errors.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

BOOK = Path(__file__).resolve().parent
ROOT = BOOK.parent
HTML = BOOK / "_build" / "html"


EXECUTED = BOOK / "_executed"  # chapters nbval ran, with their outputs (notebooks/conftest.py)


def executed_copy(nb: Path, executed: Path = EXECUTED) -> Path | None:
    """The executed copy of chapter `nb`, if it was made from this very source."""
    done = executed / nb.name
    if not done.exists():
        return None
    meta = json.loads(done.read_text()).get("metadata", {}).get("ganlab", {})
    sha = hashlib.sha256(nb.read_bytes()).hexdigest()
    return done if meta.get("source_sha256") == sha else None


def stale_chapters(notebooks: Path = ROOT / "notebooks", executed: Path = EXECUTED) -> list[Path]:
    """The chapters whose executed copy is missing or was made from another source."""
    return [nb for nb in sorted(notebooks.glob("*.ipynb")) if executed_copy(nb, executed) is None]


def kernel_env() -> None:
    """The chapters' environment (the kernels inherit it): cpu budget unless chosen, static widgets."""
    os.environ["GANLAB_STATIC"] = "1"
    os.environ.setdefault("GANLAB_BUDGET", "cpu")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.pop("MPLBACKEND", None)  # the kernel's inline backend captures the figures


def execute_chapter(nb: Path, executed: Path = EXECUTED, timeout: int = 1200) -> float:
    """Run every cell of `nb` in a fresh kernel and save it, outputs and source hash, in `executed`.

    The copy has the same metadata as the ones nbval leaves (notebooks/conftest.py). Raises
    nbclient's CellExecutionError when a cell fails; nothing is saved then. Returns seconds.
    """
    import nbformat
    from nbclient import NotebookClient

    kernel_env()
    book = nbformat.read(nb, as_version=4)
    start = time.perf_counter()
    NotebookClient(book, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(nb.parent)}}).execute()
    seconds = round(time.perf_counter() - start, 1)
    book.metadata["mystnb"] = {"execution_mode": "off"}
    book.metadata["ganlab"] = {"source_sha256": hashlib.sha256(nb.read_bytes()).hexdigest(),
                               "seconds": seconds}
    executed.mkdir(parents=True, exist_ok=True)
    tmp = executed / f".{nb.name}.tmp"
    nbformat.write(book, tmp)
    tmp.replace(executed / nb.name)
    return seconds


def execute_stale(jobs: int = 2) -> list[str]:
    """Execute the stale chapters, `jobs` at a time; returns the names of those that failed."""
    todo = stale_chapters()
    if not todo:
        return []
    print(f"executing {len(todo)} chapter(s) whose source changed, {jobs} at a time: "
          + ", ".join(nb.stem for nb in todo), flush=True)
    failed = []
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {nb: pool.submit(execute_chapter, nb) for nb in todo}
        for nb, fut in futures.items():
            try:
                print(f"  {nb.stem:<28} {fut.result():6.1f} s", flush=True)
            except Exception as err:  # a failing cell: name the chapter, keep the others going
                failed.append(nb.stem)
                print(f"  {nb.stem:<28} FAILED: {str(err).strip().splitlines()[-1][:300]}", flush=True)
    return failed


def stage() -> dict[str, int]:
    """Copy the notebooks into the book; chapters nbval executed are taken with their outputs."""
    counts = {"reused": 0, "to_execute": 0}
    for src_dir, dst_dir in [(ROOT / "notebooks", BOOK / "chapters"),
                             (ROOT / "exercises", BOOK / "exercises")]:
        if dst_dir.exists():
            shutil.rmtree(dst_dir)
        dst_dir.mkdir()
        (dst_dir / ".gitignore").write_text("# copied by book/build.py\n*\n")
        for nb in sorted(src_dir.glob("*.ipynb")):
            done = executed_copy(nb) if src_dir.name == "notebooks" else None
            shutil.copy2(done or nb, dst_dir / nb.name)
            if src_dir.name == "notebooks":
                counts["reused" if done else "to_execute"] += 1
    return counts


def print_times() -> None:
    """Each executed chapter's wall time under nbval (kernel start included), and the total."""
    times = {}
    for nb in sorted(EXECUTED.glob("*.ipynb")):
        meta = json.loads(nb.read_text()).get("metadata", {}).get("ganlab", {})
        if "seconds" in meta:
            times[nb.stem] = meta["seconds"]
    for name, sec in times.items():
        print(f"  {name:<28} {sec:6.1f} s")
    if times:
        print(f"  {'total':<28} {sum(times.values()):6.1f} s")


def build(jobs: int = 2, execute: bool = True) -> Path:
    """Execute the stale chapters, stage and build; raise if a chapter or jupyter-book fails or warns.

    With `execute=False` the stale chapters are left to jupyter-book, which runs them
    without keeping them.
    """
    if execute:
        failed = execute_stale(jobs)
        if failed:
            raise SystemExit(f"these chapters failed, so the book was not built: {', '.join(failed)}")
    counts = stage()
    print(f"chapters: {counts['reused']} executed copies used, "
          f"{counts['to_execute']} executed by jupyter-book")
    print_times()
    kernel_env()
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb), "build", str(BOOK), "--warningiserror", "--keep-going", "--all"]
    subprocess.run(cmd, check=True, env=dict(os.environ), cwd=ROOT)
    return HTML


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="ganlab book", description=__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=2, help="chapters executed at a time (default: 2)")
    p.add_argument("--no-execute", action="store_true",
                   help="leave stale chapters to jupyter-book (not kept for the next build)")
    a = p.parse_args(argv)
    t = time.time()
    try:
        out = build(jobs=a.jobs, execute=not a.no_execute)
    except subprocess.CalledProcessError as err:
        print(f"jupyter-book failed (exit {err.returncode}); see its messages above", file=sys.stderr)
        return 1
    index = out / "index.html"
    print(f"built {index} in {time.time() - t:.0f} s")
    print(f"open {index.as_uri()} in a browser, or serve it: python -m http.server -d {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
