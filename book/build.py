"""Build the course site offline: `python book/build.py` -> book/_build/html/index.html.

Copies the chapter notebooks (notebooks/*.ipynb) into book/chapters/ and the exercise
notebooks into book/exercises/, then runs jupyter-book with warnings as errors. The
chapters execute during the build under the cpu budget, with widgets drawn as static
figures (GANLAB_STATIC=1).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

BOOK = Path(__file__).resolve().parent
ROOT = BOOK.parent
HTML = BOOK / "_build" / "html"


EXECUTED = BOOK / "_executed"  # chapters nbval ran, with their outputs (notebooks/conftest.py)


def executed_copy(nb: Path) -> Path | None:
    """The copy of chapter `nb` that nbval executed, if it was made from this very source."""
    done = EXECUTED / nb.name
    if not done.exists():
        return None
    meta = json.loads(done.read_text()).get("metadata", {}).get("ganlab", {})
    sha = hashlib.sha256(nb.read_bytes()).hexdigest()
    return done if meta.get("source_sha256") == sha else None


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


def build() -> Path:
    """Stage and build; raise CalledProcessError if jupyter-book fails or warns."""
    counts = stage()
    print(f"chapters: {counts['reused']} reused from the nbval run, "
          f"{counts['to_execute']} executed by the build")
    print_times()
    env = dict(os.environ, GANLAB_STATIC="1", OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    env.setdefault("GANLAB_BUDGET", "cpu")
    env.pop("MPLBACKEND", None)  # the kernel's inline backend captures the figures
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb), "build", str(BOOK), "--warningiserror", "--keep-going", "--all"]
    subprocess.run(cmd, check=True, env=env, cwd=ROOT)
    return HTML


if __name__ == "__main__":
    t = time.time()
    out = build()
    print(f"built {out / 'index.html'} in {time.time() - t:.0f} s")
