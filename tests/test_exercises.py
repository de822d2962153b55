"""Exercises and solutions: generated in sync, solutions pass, unsolved code fails.

For each chapter source in notebooks/exercises_src/:
- exercises/ and solutions/ hold exactly what `python -m ganlab.exercises generate` writes;
- the solution notebook runs top to bottom, every check cell included;
- the exercise notebook runs until its first TODO, which raises NotImplementedError in a
  check cell, and every check cell fails on the unsolved code;
- with each answer replaced by a trivial wrong one (the source's `# BLANK:` line, or
  `return None`), every check cell still fails: a check that passes on a blank answer is
  a check that tests nothing.
"""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from ganlab import exercises

ROOT = Path(__file__).resolve().parents[1]
SOURCES = exercises.sources(ROOT)
ENV = {"GANLAB_STATIC": "1", "GANLAB_BUDGET": "cpu", "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}


@pytest.fixture(autouse=True)
def _no_frontend(monkeypatch):
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)  # the kernels inherit them


def _run(nb, allow_errors):
    client = NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=allow_errors,
                            resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    return nb


def _errors(nb):
    """{cell index: exception name} for every code cell that raised."""
    out = {}
    for i, cell in enumerate(nb.cells):
        for o in cell.get("outputs", []):
            if o.output_type == "error":
                out[i] = o.ename
    return out


def test_generated_files_in_sync():
    assert not exercises.stale(ROOT), "run `python -m ganlab.exercises generate`"


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_every_answer_has_a_check(src):
    nb = exercises.build_notebook(src, "exercise")
    todo = [i for i, c in enumerate(nb.cells) if "NotImplementedError(" in c.source]
    checks = exercises.check_cells(nb)
    assert todo and checks, "a chapter source needs solution blocks and check cells"
    assert all(any(k > t for k in checks) for t in todo), "a TODO has no check cell after it"


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_solution_passes_its_checks(src):
    nb = nbformat.read(ROOT / "solutions" / f"{src.stem}.ipynb", as_version=4)
    _run(nb, allow_errors=False)  # raises CellExecutionError on any failing cell


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_exercise_stops_at_first_todo_and_checks_fail(src):
    path = ROOT / "exercises" / f"{src.stem}.ipynb"
    nb = nbformat.read(path, as_version=4)
    with pytest.raises(CellExecutionError) as err:
        _run(nb, allow_errors=False)
    assert err.value.ename == "NotImplementedError"
    first_error = min(_errors(nb))
    assert first_error == exercises.check_cells(nb)[0]

    nb = _run(nbformat.read(path, as_version=4), allow_errors=True)
    errors = _errors(nb)
    checks = exercises.check_cells(nb)
    assert set(errors) == set(checks), f"errors in {errors}, check cells {checks}"
    assert set(errors.values()) == {"NotImplementedError"}


@pytest.mark.parametrize("variant", ["blank", "blank_none"])
@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_checks_fail_on_blank_answers(src, variant):
    nb = _run(exercises.build_notebook(src, variant), allow_errors=True)
    errors = _errors(nb)
    passed = [i for i in exercises.check_cells(nb) if i not in errors]
    assert not passed, f"check cells {passed} pass on the {variant} answers: they test nothing"
    setup = [i for i in errors if i not in exercises.check_cells(nb)]
    assert not setup, f"non-check cells {setup} failed: {[errors[i] for i in setup]}"


def test_transform_code_variants():
    code = "def f(x):\n    # BEGIN SOLUTION hint: double it\n    return 2 * x\n" \
           "    # BLANK: return 0\n    # END SOLUTION\n"
    assert exercises.transform_code(code, "solution") == "def f(x):\n    return 2 * x"
    assert exercises.transform_code(code, "exercise") == \
        "def f(x):\n    raise NotImplementedError('TODO: double it')"
    assert exercises.transform_code(code, "blank") == "def f(x):\n    return 0"
    assert exercises.transform_code(code, "blank_none") == "def f(x):\n    return None"
    with pytest.raises(ValueError, match="END SOLUTION"):
        exercises.transform_code("# BEGIN SOLUTION\nx = 1\n", "solution")
    with pytest.raises(ValueError, match="outside"):
        exercises.transform_code("x = 1\n# END SOLUTION\n", "solution")


def test_check_command_detects_stale(tmp_path):
    (tmp_path / "notebooks" / "exercises_src").mkdir(parents=True)
    src = SOURCES[0]
    (tmp_path / "notebooks" / "exercises_src" / src.name).write_text(src.read_text())
    assert exercises.main(["check", "--root", str(tmp_path)]) == 1
    assert exercises.main(["generate", "--root", str(tmp_path)]) == 0
    assert exercises.main(["check", "--root", str(tmp_path)]) == 0
    out = tmp_path / "exercises" / f"{src.stem}.ipynb"
    out.write_text(out.read_text().replace("TODO", "DONE"))
    assert exercises.main(["check", "--root", str(tmp_path)]) == 1
