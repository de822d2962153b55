"""Exercises and solutions generated from one source per chapter.

A source is a jupytext percent file, ``notebooks/exercises_src/<chapter>.py``. Inside a
code cell, the lines between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` are the answer:

    def my_optimal_d(p, q):
        # BEGIN SOLUTION hint: a ratio of the two densities
        ...answer...
        # BLANK: return lambda x: np.full_like(x, 0.5)
        # END SOLUTION

Cells tagged ``check`` (``# %% tags=["check"]``) grade the answers against ganlab's
reference implementation or a closed form. From one source come three variants:

- ``solution``: the answer kept, the markers and ``# BLANK:`` lines dropped
  -> ``solutions/<chapter>.ipynb``;
- ``exercise``: each block replaced by ``raise NotImplementedError("TODO: <hint>")``
  -> ``exercises/<chapter>.ipynb``;
- ``blank``: each block replaced by a trivial wrong answer, its ``# BLANK:`` line, or
  ``return None`` (``blank_none`` always uses ``return None``). Never written to disk: the
  tests run it to prove that every check cell fails on an unsolved answer.

``python -m ganlab.exercises generate`` writes the exercise and solution notebooks
(without outputs); ``python -m ganlab.exercises check`` exits 1 when they are out of date.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import jupytext
import nbformat

SOURCE_DIR = Path("notebooks") / "exercises_src"
OUTPUTS = {"exercise": Path("exercises"), "solution": Path("solutions")}
VARIANTS = ("solution", "exercise", "blank", "blank_none")
CHECK_TAG = "check"

_BEGIN = re.compile(r"^(\s*)# BEGIN SOLUTION\b:?\s*(?:hint:\s*)?(.*)$")
_END = re.compile(r"^\s*# END SOLUTION\s*$")
_BLANK = re.compile(r"^\s*# BLANK:\s*(.+)$")


def transform_code(code: str, variant: str) -> str:
    """The code of one cell in ``variant`` (see the module docstring)."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    out: list[str] = []
    block: list[str] | None = None
    indent, hint, blank = "", "", None
    for n, line in enumerate(code.splitlines(), 1):
        if block is None:
            m = _BEGIN.match(line)
            if m:
                block, indent, hint, blank = [], m.group(1), m.group(2).strip(), None
            elif _END.match(line) or _BLANK.match(line):
                raise ValueError(f"line {n}: {line.strip()!r} outside a BEGIN/END SOLUTION block")
            else:
                out.append(line)
            continue
        if _BEGIN.match(line):
            raise ValueError(f"line {n}: nested BEGIN SOLUTION (close the block first)")
        b = _BLANK.match(line)
        if b:
            blank = b.group(1).strip()
        elif _END.match(line):
            out.extend(_replacement(block, indent, hint, blank, variant))
            block = None
        else:
            block.append(line)
    if block is not None:
        raise ValueError("a BEGIN SOLUTION block has no END SOLUTION")
    return "\n".join(out)


def _replacement(block, indent, hint, blank, variant) -> list[str]:
    if variant == "solution":
        return block
    if variant == "exercise":
        message = f"TODO: {hint}" if hint else "TODO: write your answer here"
        return [f"{indent}raise NotImplementedError({message!r})"]
    if variant == "blank" and blank:
        return [f"{indent}{blank}"]
    return [f"{indent}return None"]


def build_notebook(source: Path, variant: str) -> nbformat.NotebookNode:
    """The notebook of ``variant`` built from the jupytext source file ``source``."""
    nb = jupytext.read(source)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            try:
                cell.source = transform_code(cell.source, variant)
            except ValueError as err:
                raise ValueError(f"{source}, cell {i}: {err}") from None
        cell.id = f"cell-{i}"  # stable ids: regenerating gives the same bytes
        cell.metadata = {k: v for k, v in cell.metadata.items() if k == "tags"}
    nb.metadata = {"kernelspec": nb.metadata.get("kernelspec", _KERNELSPEC), "language_info": {
        "name": "python"}}
    return nb


_KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def check_cells(nb: nbformat.NotebookNode) -> list[int]:
    """Indices of the cells tagged ``check``."""
    return [i for i, c in enumerate(nb.cells) if CHECK_TAG in c.metadata.get("tags", [])]


def sources(root: Path) -> list[Path]:
    """The exercise sources under ``root``."""
    found = sorted((root / SOURCE_DIR).glob("*.py"))
    if not found:
        raise FileNotFoundError(f"no exercise sources in {root / SOURCE_DIR}: pass --root REPO")
    return found


def targets(root: Path) -> dict[Path, str]:
    """Each generated file under ``root`` with the text it must contain."""
    files = {}
    for src in sources(root):
        for variant, folder in OUTPUTS.items():
            files[root / folder / f"{src.stem}.ipynb"] = nbformat.writes(build_notebook(src, variant))
    return files


def generate(root: Path) -> list[Path]:
    """Write the exercise and solution notebooks; return the paths that changed."""
    changed = []
    for path, text in targets(root).items():
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            changed.append(path)
    return changed


def stale(root: Path) -> list[Path]:
    """Generated files that are missing or differ from what their source gives."""
    return [p for p, text in targets(root).items() if not p.exists() or p.read_text() != text]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ganlab exercises", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("generate", "check"))
    parser.add_argument("--root", type=Path, default=Path.cwd(),
                        help="the repository root (default: the current directory)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.command == "generate":
        for path in generate(root):
            print(f"wrote {path.relative_to(root)}")
        return 0
    out_of_date = stale(root)
    for path in out_of_date:
        print(f"out of date: {path.relative_to(root)}", file=sys.stderr)
    if out_of_date:
        print("run `python -m ganlab.exercises generate`", file=sys.stderr)
        return 1
    print(f"{len(targets(root))} generated notebooks in sync")
    return 0


if __name__ == "__main__":
    sys.exit(main())
