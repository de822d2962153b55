"""Every widget of the course appears once.

`ganlab.widgets.slider_plot` (and any ganlab function like it) calls `display(box)` and also
returns the box; a notebook cell whose last line is that call shows the widget twice in
JupyterLab (once displayed, once as the cell's value), and in the static fallback it shows
the figure twice. IPython prints a cell's last expression unless the cell ends with `;`, so
such a call must end with `;`, be assigned (`_ = slider_plot(...)`), or not be last.

The functions that display and return are found in the library's source (a call to
`display(...)` and a `return` of a value); the chapters are checked cell by cell, and the
executed copies nbval kept (book/_executed/, when current) are checked on their outputs.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import tokenize
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NOTEBOOKS = CHAPTERS + [nb for d in ("exercises", "solutions") for nb in sorted((ROOT / d).glob("*.ipynb"))]
EXECUTED = ROOT / "book" / "_executed"


def _calls_display(fn: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and _name(n.func) == "display" for n in ast.walk(fn))


def _returns_value(fn: ast.AST) -> bool:
    return any(isinstance(n, ast.Return) and n.value is not None
               and not (isinstance(n.value, ast.Constant) and n.value.value is None) for n in ast.walk(fn))


def _name(func: ast.AST) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def displaying_functions(sources: list[str]) -> set[str]:
    """Names of the functions in `sources` that call display() and return a value."""
    names = set()
    for src in sources:
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _calls_display(node) \
                    and _returns_value(node):
                names.add(node.name)
    return names


LIBRARY = displaying_functions([p.read_text() for p in (ROOT / "ganlab").rglob("*.py")])


def _python(cell_source: str) -> str:
    """The cell without IPython's magics and shell escapes (not Python syntax)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in cell_source.splitlines())


def _ends_with_semicolon(src: str) -> bool:
    """IPython's rule for a quiet cell: its last token, comments aside, is ';'."""
    skip = (tokenize.ENDMARKER, tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT,
            tokenize.DEDENT)
    for tok in reversed(list(tokenize.generate_tokens(io.StringIO(src).readline))):
        if tok.type not in skip:
            return tok.type == tokenize.OP and tok.string == ";"
    return False


def double_widgets(cells: list[str], known: set[str] = LIBRARY) -> list[str]:
    """The cells (of one notebook, in order) that both display a widget and return it.

    A cell does when its last statement is a bare expression, the cell does not end with
    ';', and the expression is a call to a displaying function (the library's, or one the
    notebook defined that returns such a call), or a name the same cell passed to display().
    """
    known = set(known)
    bad = []
    for src in cells:
        src = _python(src)
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        for node in ast.walk(tree):  # a notebook's own wrapper: def show(): return slider_plot(...)
            if isinstance(node, ast.FunctionDef) and any(
                    isinstance(r, ast.Return) and isinstance(r.value, ast.Call)
                    and _name(r.value.func) in known for r in ast.walk(node)):
                known.add(node.name)
        if not tree.body or not isinstance(tree.body[-1], ast.Expr) or _ends_with_semicolon(src):
            continue
        last = tree.body[-1].value
        shown = {a.id for n in ast.walk(tree) if isinstance(n, ast.Call) and _name(n.func) == "display"
                 for a in n.args if isinstance(a, ast.Name)}
        if (isinstance(last, ast.Call) and _name(last.func) in known) or \
                (isinstance(last, ast.Name) and last.id in shown):
            bad.append(ast.get_source_segment(src, last).splitlines()[0])
    return bad


def test_the_library_scan_finds_the_widgets():
    assert {"slider_plot", "train_widget"} <= LIBRARY
    assert "gan_lab_view" not in LIBRARY  # draws, does not display a widget


def test_slider_plot_displays_and_returns_the_same_widget(monkeypatch):
    """The premise: the returned box is the displayed one, so a bare call shows it twice."""
    import matplotlib

    matplotlib.use("Agg")
    pytest.importorskip("ipywidgets")
    import IPython.display

    from ganlab import widgets

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: shown.extend(objs))
    box = widgets.slider_plot(lambda fig, a: None, {"a": widgets.Slider(0, 1, 0.1, 0.3)}, interactive=True)
    assert len(shown) == 1 and shown[0] is box


def test_the_detector_tells_a_double_widget_from_a_single_one():
    draw = "slider_plot(draw, {'a': Slider(0, 1, 0.1, 0.5)})"
    assert double_widgets([draw]) == [draw]
    assert double_widgets(["x = 1\n" + draw + "  # the widget"]) == [draw]
    assert double_widgets(["def show():\n    return slider_plot(f, {})", "show()"]) == ["show()"]
    assert double_widgets(["box = VBox([])\ndisplay(box)\nbox"]) == ["box"]
    for single in [draw + ";", draw + ";  # quiet", "_ = " + draw, draw + "\nx = 1",
                   "%matplotlib inline\n_ = f()", "box = VBox([])\nbox", "display(VBox([]))",
                   "gan_lab_view(t)"]:
        assert double_widgets([single]) == [], single


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_cell_displays_a_widget_and_returns_it(nb):
    cells = [c.source for c in nbformat.read(nb, as_version=4).cells if c.cell_type == "code"]
    bad = double_widgets(cells)
    assert not bad, (f"{nb.name}: these cells display a widget and also return it, so it appears "
                     f"twice; end the line with ';' or assign it (_ = ...): {bad}")


WIDGET_OR_FIGURE = ("application/vnd.jupyter.widget-view+json", "image/png")


def _current_executed() -> list[Path]:
    out = []
    for nb in CHAPTERS:
        done = EXECUTED / nb.name
        if done.exists():
            meta = json.loads(done.read_text()).get("metadata", {}).get("ganlab", {})
            if meta.get("source_sha256") == hashlib.sha256(nb.read_bytes()).hexdigest():
                out.append(done)
    return out


def test_executed_chapters_show_each_widget_once():
    """On the outputs nbval kept: no cell has a widget or figure both displayed and as its value."""
    done = _current_executed()
    if not done:
        pytest.skip("no executed chapter is current (book/_executed/ is written by the nbval run)")
    bad = []
    for path in done:
        for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
            outs = cell.get("outputs", [])
            result = [o for o in outs if o.get("output_type") == "execute_result"]
            shown = [o for o in outs if o.get("output_type") == "display_data"]
            if any(m in o.get("data", {}) for o in result for m in WIDGET_OR_FIGURE) and \
                    any(m in o.get("data", {}) for o in shown for m in WIDGET_OR_FIGURE):
                bad.append(f"{path.name} cell {i}")
    assert not bad, bad
