"""Build the course site offline: `python book/build.py` -> book/_build/html/index.html.

Copies the chapter notebooks (notebooks/*.ipynb) into book/chapters/ and the exercise
notebooks into book/exercises/, then runs jupyter-book with warnings as errors. The
chapters execute during the build under the cpu budget, with widgets drawn as static
figures (GANLAB_STATIC=1).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

BOOK = Path(__file__).resolve().parent
ROOT = BOOK.parent
HTML = BOOK / "_build" / "html"


def stage() -> None:
    """Copy the notebooks the table of contents names into the book."""
    for src_dir, dst_dir in [(ROOT / "notebooks", BOOK / "chapters"),
                             (ROOT / "exercises", BOOK / "exercises")]:
        if dst_dir.exists():
            shutil.rmtree(dst_dir)
        dst_dir.mkdir()
        (dst_dir / ".gitignore").write_text("# copied by book/build.py\n*\n")
        for nb in sorted(src_dir.glob("*.ipynb")):
            shutil.copy2(nb, dst_dir / nb.name)


def build() -> Path:
    """Stage and build; raise CalledProcessError if jupyter-book fails or warns."""
    stage()
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
