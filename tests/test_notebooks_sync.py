"""Each chapter's jupytext percent .py (the source of truth) and its .ipynb agree.

After editing a notebook's .py run ``jupytext --sync notebooks/<name>.py`` (or open
it in JupyterLab, which saves both); the .ipynb is committed without outputs.
"""

from pathlib import Path

import jupytext
import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("*.py"))
SOURCES = [p for p in SOURCES if p.name != "conftest.py"]


def _cells(nb):
    return [(c.cell_type, c.source.strip(), sorted(c.metadata.get("tags", []))) for c in nb.cells]


def test_every_chapter_is_paired():
    assert SOURCES, "no notebooks/*.py found"
    py = {p.stem for p in SOURCES}
    ipynb = {p.stem for p in NOTEBOOKS.glob("*.ipynb")}
    assert py == ipynb, f"unpaired: .py only {sorted(py - ipynb)}, .ipynb only {sorted(ipynb - py)}"


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_pair_in_sync(src):
    ipynb = src.with_suffix(".ipynb")
    from_py = jupytext.read(src)
    stored = nbformat.read(ipynb, as_version=4)
    assert _cells(from_py) == _cells(stored), (
        f"{ipynb.name} differs from {src.name}: run `jupytext --sync {src.relative_to(NOTEBOOKS.parent)}`"
    )


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_ipynb_has_no_outputs(src):
    stored = nbformat.read(src.with_suffix(".ipynb"), as_version=4)
    dirty = [i for i, c in enumerate(stored.cells)
             if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"{src.with_suffix('.ipynb').name}: clear the outputs of cells {dirty}"
