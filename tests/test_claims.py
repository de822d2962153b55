"""The claims ledger: bars, nulls that must fail, seeds, the JSON record, and the chapters under it."""

import ast
import json
import math
from pathlib import Path

import jupytext
import pytest

from ganlab import claims

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
# every chapter of the course goes through the ledger (none can leave it by dropping its Ledger)
REQUIRED = {p.stem for p in NOTEBOOKS.glob("ch*.py")}


@pytest.fixture(autouse=True)
def _no_record(monkeypatch):
    """These tests' claims are not the course's: keep them out of a GANLAB_CLAIMS file."""
    monkeypatch.delenv(claims.ENV_VAR, raising=False)


def _ledger_chapters():
    found = {p.stem for p in NOTEBOOKS.glob("ch*.py") if "claims.Ledger(" in p.read_text()}
    return sorted(found | REQUIRED)


# ------------------------------------------------------------------------------------ bars


def test_bars_are_closed_intervals_two_sided_where_asked():
    b = claims.near(1.0, 0.1)
    assert (b.lo, b.hi) == pytest.approx((0.9, 1.1))
    assert b.passes(0.9) and b.passes(1.1) and b.passes(1.0)
    assert not b.passes(0.8999) and not b.passes(1.1001) and not b.passes(math.nan)
    r = claims.near(-2.0, 0.25, rel=True)
    assert (r.lo, r.hi) == pytest.approx((-2.5, -1.5))
    assert claims.at_least(3).passes(3) and not claims.at_least(3).passes(2.999)
    assert claims.at_most(3).passes(3) and not claims.at_most(3).passes(3.001)
    assert claims.margin_over(10, 2).lo == 12 and claims.margin_over(10, 0.5, rel=True).lo == 15
    assert claims.margin_under(10, 2).hi == 8 and claims.margin_under(-10, 0.1, rel=True).hi == -11
    with pytest.raises(ValueError, match="lo <= hi"):
        claims.between(2, 1)
    with pytest.raises(ValueError, match="positive tolerance"):
        claims.near(0.0, 0.5, rel=True)


# ---------------------------------------------------------------------------------- claims


def test_a_claim_passes_when_the_value_clears_and_the_null_fails():
    c = claims.check("t", "D* beats 1/2", 0.3, null=0.0, bar=claims.at_least(0.1))
    assert c.ok and c.passed and c.null_fails
    assert c.value == [0.3] and c.null == [0.0]


def test_a_claim_whose_null_passes_is_refused():
    with pytest.raises(claims.ClaimError, match="null clears the bar too"):
        claims.check("t", "loose bar", 0.9, null=0.5, bar=claims.at_least(0.4))


def test_a_claim_whose_value_misses_is_refused():
    with pytest.raises(claims.ClaimError, match="misses the bar"):
        claims.check("t", "too strict", 0.3, null=0.0, bar=claims.at_least(0.5))


def test_a_claim_needs_a_null_and_a_bar():
    with pytest.raises(claims.ClaimError, match="has no null"):
        claims.check("t", "no null", 1.0, null=None, bar=claims.at_least(0.5))
    with pytest.raises(TypeError, match="Bar"):
        claims.check("t", "no bar", 1.0, null=0.0, bar=0.5)
    with pytest.raises(ValueError, match="empty"):
        claims.check("t", "no value", [], null=0.0, bar=claims.at_least(0.5))


def test_each_seed_must_clear_and_each_null_seed_must_fail():
    bar = claims.at_least(0.5)
    assert claims.check("t", "3 seeds", [0.6, 0.7, 0.8], null=[0.1, 0.2, 0.3], bar=bar).ok
    with pytest.raises(claims.ClaimError, match="misses"):  # one seed below the bar
        claims.check("t", "3 seeds", [0.6, 0.4, 0.8], null=[0.1, 0.2, 0.3], bar=bar)
    with pytest.raises(claims.ClaimError, match="null clears"):  # one null seed above it
        claims.check("t", "3 seeds", [0.6, 0.7, 0.8], null=[0.1, 0.6, 0.3], bar=bar)


def test_on_average_claims_use_the_mean_and_state_the_spread():
    c = claims.check("t", "mean", [0.4, 0.7, 0.7], null=[0.1, 0.6, 0.2], bar=claims.at_least(0.5),
                     how="mean")
    assert c.ok and c.mean == pytest.approx(0.6) and c.spread == pytest.approx(math.sqrt(0.03))
    assert "± " in c.measured_text() and "(n=3)" in c.measured_text()
    with pytest.raises(claims.ClaimError):
        claims.check("t", "mean", [0.4, 0.5, 0.55], null=0.0, bar=claims.at_least(0.5), how="mean")


def test_every_claim_is_recorded_when_asked(tmp_path, monkeypatch):
    path = tmp_path / "claims.jsonl"
    monkeypatch.setenv(claims.ENV_VAR, str(path))
    ledger = claims.Ledger("ch99_test", echo=False)
    ledger.claim("good", [1.0, 1.1, 0.9], null=[0.0, 0.1, 0.05], bar=claims.near(1.0, 0.2),
                 null_name="untrained")
    with pytest.raises(claims.ClaimError):
        ledger.claim("bad", 2.0, null=0.0, bar=claims.at_most(1.0))
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["claim"] for r in rows] == ["good", "bad"]
    assert [r["passed"] for r in rows] == [True, False]
    good = rows[0]
    for key in ("chapter", "claim", "value", "null", "bar", "passed"):
        assert key in good
    assert good["chapter"] == "ch99_test" and good["seeds"] == 3 and good["null_name"] == "untrained"
    assert good["value"] == [1.0, 1.1, 0.9] and good["mean"] == pytest.approx(1.0)
    assert (good["lo"], good["hi"]) == pytest.approx((0.8, 1.2)) and good["bar"] == "within ±0.2 of 1"
    # a one-sided bar's infinite end survives JSON, and the report reads the file back
    report = claims.report(path)
    assert "ch99_test: 1/2 claims pass" in report and "untrained" in report
    assert claims.read(path)["ch99_test"][1].bar.hi == 1.0
    assert claims.read(path)["ch99_test"][1].bar.lo == -math.inf


def test_the_table_shows_every_claim(capsys):
    ledger = claims.Ledger("t")
    ledger.claim("a | b", 0.5, null=0.0, bar=claims.between(0.4, 0.6), null_name="chance")
    assert "[PASS] a | b: 0.5 (bar in [0.4, 0.6]); null (chance) 0 fails the bar" in capsys.readouterr().out
    md = ledger.table()._repr_markdown_().splitlines()
    assert md[0] == "| claim | measured | null | bar | pass |"
    assert md[2] == "| a \\| b | 0.5 | 0 (chance) | in [0.4, 0.6] | yes |"
    assert repr(ledger.table()).splitlines()[1].startswith("a | b")
    page = ledger.table()._repr_html_()
    assert "<th>claim</th><th>measured</th><th>null</th><th>bar</th><th>pass</th>" in page
    assert "<td>a | b</td><td>0.5</td><td>0 (chance)</td><td>in [0.4, 0.6]</td><td>yes</td>" in page
    ledger.claim("x < y & z", 0.5, null=0.0, bar=claims.at_least(0.1))
    assert "<td>x &lt; y &amp; z</td>" in ledger.table()._repr_html_()


def test_report_command_errors_cleanly(tmp_path, capsys):
    assert claims.main([str(tmp_path / "missing.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert claims.main([]) == 2


# ------------------------------------------------------------------------ numbers in prose


def test_unbacked_numbers_finds_typed_results_not_settings_or_maths():
    code = "lr = 1e-4\nbeta = 0.999\nsigma = 0.05\nmodes = 8\n"
    md = ("With $\\beta = 0.9$ and lr 1e-4, EMA (0.999) smooths; `x = 0.3` is code; "
          "[a link](https://x.org/v1.5). The run reached 64% vs 66.2% and 0.0312, 6/8 modes, "
          "8/8 is fine, 5% noise is a setting of 0.05. 2014 and fig. 16 are integers.")
    assert claims.unbacked_numbers(md, code) == ["64%", "66.2%", "0.0312", "6/8"]


# ------------------------------------------------------------------- chapters under the ledger


def _cells(stem):
    nb = jupytext.read(NOTEBOOKS / f"{stem}.py")
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    md = [c.source for c in nb.cells if c.cell_type == "markdown"]
    return code, md


@pytest.mark.parametrize("stem", _ledger_chapters())
def test_chapter_claims_all_go_through_the_ledger(stem):
    code, _ = _cells(stem)
    tree = ast.parse("\n".join(code))
    asserts = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Assert)]
    assert not asserts, f"{stem}: bare asserts at code lines {asserts}: state them as ledger claims"
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Attribute) and n.func.attr == "claim"]
    assert calls, f"{stem}: no ledger.claim(...) calls"
    for call in calls:
        kw = {k.arg for k in call.keywords}
        assert {"null", "bar"} <= kw, f"{stem}: a claim at line {call.lineno} lacks null= or bar="
    assert "claims.Ledger(" in code[0] or any("claims.Ledger(" in c for c in code[:3])
    assert code[-1].strip().endswith(".table()"), f"{stem}: the last code cell shows the ledger's table"


@pytest.mark.parametrize("stem", _ledger_chapters())
def test_chapter_prose_states_no_number_the_ledger_does_not_hold(stem):
    code, md = _cells(stem)
    bad = claims.unbacked_numbers("\n".join(md), "\n".join(code))
    assert not bad, (f"{stem}: the prose types these numbers by hand: {bad}; print them from the "
                     f"ledger (a claim's line or table) or make them settings in the code")
