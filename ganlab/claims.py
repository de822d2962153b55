"""The claims ledger: every number a chapter states, with its bar and its null.

A chapter never asserts a bare inequality. It states a claim: the sentence its prose
makes, the measured value (one number, or one per seed), the bar the value must clear,
and the **null** -- what a chance, untrained, trivial or copying model scores on the
same measurement. A claim is accepted only when the value clears the bar *and the null
does not*; a bar that any model would clear is refused, so it cannot be written::

    from ganlab import claims
    ledger = claims.Ledger("ch01_minimax")
    ledger.claim("a trained D matches D* on the bulk",
                 value=err_trained, null=err_untrained, bar=claims.at_most(0.05))
    ...
    ledger.table()            # the chapter's closing table (claim, measured, null, bar, pass)

Seeds: pass one value per seed (at least 3 where randomness matters). By default each
seed must clear the bar and each seed of the null must fail it (``how="each"``); with
``how="mean"`` the mean must clear it, the spread is stated beside it, and the null's
mean must fail it.

Bars are closed intervals ``[lo, hi]``: ``near(target, tol)`` is a two-sided band around a
closed form or reference, ``at_least``/``at_most`` a threshold, ``margin_over`` /
``margin_under`` a margin beyond a measured baseline, ``between`` any interval.

When ``GANLAB_CLAIMS`` names a file, every claim checked is appended to it as one JSON
line (chapter, claim, value, null, bar, passed, ...), so any run of the course leaves a
machine-readable record. ``python -m ganlab.claims FILE`` prints every chapter's table.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ENV_VAR = "GANLAB_CLAIMS"


class ClaimError(AssertionError):
    """A claim whose value misses its bar, or whose null clears it."""


# --------------------------------------------------------------------------------- bars


@dataclass(frozen=True)
class Bar:
    """The closed interval ``[lo, hi]`` a measured value must fall in, and its words."""

    lo: float
    hi: float
    text: str

    def __post_init__(self):
        if math.isnan(self.lo) or math.isnan(self.hi) or self.lo > self.hi:
            raise ValueError(f"a bar needs lo <= hi, got [{self.lo}, {self.hi}]")

    def passes(self, v: float) -> bool:
        return bool(self.lo <= v <= self.hi)  # NaN fails every bar


def _g(x: float) -> str:
    return f"{x:.4g}"


def at_least(x: float) -> Bar:
    return Bar(float(x), math.inf, f">= {_g(x)}")


def at_most(x: float) -> Bar:
    return Bar(-math.inf, float(x), f"<= {_g(x)}")


def between(lo: float, hi: float) -> Bar:
    return Bar(float(lo), float(hi), f"in [{_g(lo)}, {_g(hi)}]")


def near(target: float, tol: float, *, rel: bool = False) -> Bar:
    """Two-sided band: ``|v - target| <= tol`` (``tol`` a fraction of ``|target|`` if rel)."""
    width = abs(target) * tol if rel else tol
    if not width > 0:
        raise ValueError(f"near() needs a positive tolerance, got {tol} (rel={rel})")
    words = f"{tol:.0%}" if rel else _g(tol)
    return Bar(target - width, target + width, f"within ±{words} of {_g(target)}")


def margin_over(baseline: float, margin: float, *, rel: bool = False) -> Bar:
    """At least ``margin`` above a measured baseline (``margin`` a fraction of it if rel)."""
    gap = abs(baseline) * margin if rel else margin
    words = f"{margin:.0%}" if rel else _g(margin)
    return Bar(baseline + gap, math.inf, f">= {_g(baseline)} + {words}")


def margin_under(baseline: float, margin: float, *, rel: bool = False) -> Bar:
    """At least ``margin`` below a measured baseline (``margin`` a fraction of it if rel)."""
    gap = abs(baseline) * margin if rel else margin
    words = f"{margin:.0%}" if rel else _g(margin)
    return Bar(-math.inf, baseline - gap, f"<= {_g(baseline)} - {words}")


# ------------------------------------------------------------------------------- claims


def _values(x, what: str) -> list[float]:
    if isinstance(x, str) or x is None:
        raise TypeError(f"a claim's {what} must be a number or a sequence of numbers, got {x!r}")
    vals = [float(v) for v in x] if isinstance(x, Sequence) or hasattr(x, "__len__") else [float(x)]
    if not vals:
        raise ValueError(f"a claim's {what} is empty: give one number, or one per seed")
    return vals


def _mean_sd(vals: list[float]) -> tuple[float, float]:
    m = sum(vals) / len(vals)
    sd = math.sqrt(sum((v - m) ** 2 for v in vals) / (len(vals) - 1)) if len(vals) > 1 else 0.0
    return m, sd


def _fmt(vals: list[float], fmt: str) -> str:
    if len(vals) == 1:
        return format(vals[0], fmt)
    m, sd = _mean_sd(vals)
    return f"{format(m, fmt)} ± {format(sd, fmt)} (n={len(vals)})"


@dataclass
class Claim:
    """One checked claim, as the ledger records it."""

    chapter: str
    claim: str
    value: list[float]
    null: list[float]
    bar: Bar
    how: str
    null_name: str
    fmt: str
    passed: bool
    null_fails: bool

    @property
    def mean(self) -> float:
        return _mean_sd(self.value)[0]

    @property
    def spread(self) -> float:
        return _mean_sd(self.value)[1]

    @property
    def ok(self) -> bool:
        return self.passed and self.null_fails

    def measured_text(self) -> str:
        return _fmt(self.value, self.fmt)

    def null_text(self) -> str:
        return _fmt(self.null, self.fmt)

    def record(self) -> dict:
        m, sd = _mean_sd(self.value)
        nm, nsd = _mean_sd(self.null)
        finite = lambda v: v if math.isfinite(v) else str(v)  # noqa: E731 (JSON has no inf)
        return {"chapter": self.chapter, "claim": self.claim,
                "value": [finite(v) for v in self.value], "mean": finite(m), "spread": finite(sd),
                "seeds": len(self.value), "null": [finite(v) for v in self.null],
                "null_mean": finite(nm), "null_spread": finite(nsd), "null_name": self.null_name,
                "bar": self.bar.text, "lo": finite(self.bar.lo), "hi": finite(self.bar.hi),
                "how": self.how, "passed": self.passed, "null_fails": self.null_fails,
                "ok": self.ok}

    def line(self) -> str:
        mark = "PASS" if self.ok else "FAIL"
        return (f"[{mark}] {self.claim}: {self.measured_text()} (bar {self.bar.text}); "
                f"null ({self.null_name}) {self.null_text()}"
                f" {'fails' if self.null_fails else 'PASSES'} the bar")


def check(chapter: str, claim: str, value, *, null, bar: Bar, how: str = "each",
          null_name: str = "null", fmt: str = ".4g") -> Claim:
    """Check one claim; record it when ``GANLAB_CLAIMS`` is set; raise ClaimError if it fails."""
    if null is None:
        raise ClaimError(f"claim {claim!r} has no null: say what a chance, untrained, trivial "
                         f"or copying model scores on the same measurement")
    if not isinstance(bar, Bar):
        raise TypeError(f"bar must be a ganlab.claims.Bar (at_least, near, ...), got {bar!r}")
    if how not in ("each", "mean"):
        raise ValueError(f"how must be 'each' or 'mean', got {how!r}")
    vals, nulls = _values(value, "value"), _values(null, "null")
    if how == "each":
        passed = all(bar.passes(v) for v in vals)
        null_fails = not any(bar.passes(v) for v in nulls)
    else:
        passed = bar.passes(_mean_sd(vals)[0])
        null_fails = not bar.passes(_mean_sd(nulls)[0])
    c = Claim(chapter, claim, vals, nulls, bar, how, null_name, fmt, passed, null_fails)
    path = os.environ.get(ENV_VAR)
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(c.record()) + "\n")  # one write per line: safe for parallel runs
    if not c.ok:
        why = [] if passed else ["the measured value misses the bar"]
        why += [] if null_fails else ["the null clears the bar too, so the bar proves nothing"]
        raise ClaimError(f"{chapter}: {c.line()} -- {' and '.join(why)}")
    return c


class Ledger:
    """A chapter's claims, checked as they are stated and tabled at the end."""

    def __init__(self, chapter: str, *, echo: bool = True):
        self.chapter = chapter
        self.echo = echo
        self.claims: list[Claim] = []

    def claim(self, claim: str, value, *, null, bar: Bar, how: str = "each",
              null_name: str = "null", fmt: str = ".4g") -> Claim:
        """State and check one claim (see :func:`check`); prints its line and returns it."""
        c = check(self.chapter, claim, value, null=null, bar=bar, how=how,
                  null_name=null_name, fmt=fmt)
        self.claims.append(c)
        if self.echo:
            print(c.line())
        return c

    def table(self) -> Table:
        return Table(self.claims)


@dataclass
class Table:
    """Claims as a table: plain text in a terminal, Markdown in a notebook or the book."""

    claims: list[Claim] = field(default_factory=list)

    def rows(self) -> list[tuple[str, ...]]:
        return [(c.claim, c.measured_text(), f"{c.null_text()} ({c.null_name})", c.bar.text,
                 "yes" if c.ok else "NO") for c in self.claims]

    HEADER = ("claim", "measured", "null", "bar", "pass")

    def __repr__(self) -> str:
        rows = [self.HEADER, *self.rows()]
        widths = [max(len(r[i]) for r in rows) for i in range(len(self.HEADER))]
        return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)) for r in rows)

    def _repr_html_(self) -> str:
        """An HTML table: what JupyterLab and the book show (the book renders Markdown outputs
        as CommonMark, which has no tables)."""
        head = "".join(f"<th>{h}</th>" for h in self.HEADER)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in r) + "</tr>"
                       for r in self.rows())
        return (f'<table class="ganlab-claims"><thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table>")

    def _repr_markdown_(self) -> str:
        esc = lambda s: s.replace("|", "\\|")  # noqa: E731
        lines = ["| " + " | ".join(self.HEADER) + " |", "|" + "---|" * len(self.HEADER)]
        lines += ["| " + " | ".join(esc(cell) for cell in r) + " |" for r in self.rows()]
        return "\n".join(lines)


# --------------------------------------------------------------------- numbers in prose

_MATH_CODE = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$|`[^`\n]*`|\]\([^)]*\)|<[^>\n]*>", re.S)
_PROSE_NUMBER = re.compile(
    r"(?<![\w.])(?:\d+(?:\.\d+)?(?:e[-+]?\d+)?\s*%|\d+\.\d+(?:e[-+]?\d+)?|\d+e[-+]?\d+"
    r"|\d+\s*/\s*\d+)(?![\w.]*\w)", re.I)


def _number_literals(code: str) -> set[float]:
    """The numeric literals of some Python source (settings the chapter chose, not results)."""
    found = set()
    for tok in re.findall(r"(?<![\w.])\d[\d_]*(?:\.\d*)?(?:e[-+]?\d+)?", code, re.I):
        try:
            found.add(float(tok.replace("_", "")))
        except ValueError:
            pass
    return found


def unbacked_numbers(markdown: str, code: str) -> list[str]:
    """Numbers the prose states that no claim or setting backs.

    A decimal, a percentage, a number in scientific notation or a fraction like ``6/8`` in
    the Markdown of a chapter -- outside math (``$...$``), code spans and links -- is a
    measured number typed by hand unless it is a literal in the chapter's code (a setting
    such as a learning rate, or a published number the code quotes). Measured numbers
    belong in a claim's printed line or table, where the ledger holds them.
    """
    literals = _number_literals(code)
    bad = []
    for tok in _PROSE_NUMBER.findall(_MATH_CODE.sub(" ", markdown)):
        t = tok.replace(" ", "")
        if "/" in t:
            a, b = (float(x) for x in t.split("/"))
            ok = {a, b} <= literals
        elif t.endswith("%"):
            v = float(t[:-1])
            ok = v in literals or round(v / 100, 12) in {round(x, 12) for x in literals}
        else:
            ok = float(t) in literals
        if not ok:
            bad.append(t)
    return bad


# ------------------------------------------------------------------------------- report


def _from_record(r: dict) -> Claim:
    num = lambda v: float(v)  # noqa: E731 (undoes the JSON strings for inf / nan)
    bar = Bar(num(r["lo"]), num(r["hi"]), r["bar"])
    return Claim(r["chapter"], r["claim"], [num(v) for v in r["value"]],
                 [num(v) for v in r["null"]], bar, r["how"], r.get("null_name", "null"), ".4g",
                 r["passed"], r["null_fails"])


def read(path: str | Path) -> dict[str, list[Claim]]:
    """The claims of a ``GANLAB_CLAIMS`` file, by chapter (the last record of a repeated claim)."""
    by_chapter: dict[str, dict[str, Claim]] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            c = _from_record(json.loads(line))
            by_chapter.setdefault(c.chapter, {})[c.claim] = c
    return {ch: list(cs.values()) for ch, cs in sorted(by_chapter.items())}


def report(path: str | Path) -> str:
    """Every chapter's table from a ``GANLAB_CLAIMS`` file, as plain text."""
    parts = []
    for chapter, cs in read(path).items():
        n_ok = sum(c.ok for c in cs)
        parts.append(f"## {chapter}: {n_ok}/{len(cs)} claims pass\n{Table(cs)!r}")
    return "\n\n".join(parts) if parts else f"{path}: no claims recorded"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m ganlab.claims FILE   (a file written under GANLAB_CLAIMS=FILE)",
              file=sys.stderr)
        return 2
    if not Path(args[0]).is_file():
        print(f"ganlab.claims: error: no such file {args[0]!r}; run the course with "
              f"GANLAB_CLAIMS={args[0]} first", file=sys.stderr)
        return 2
    print(report(args[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
