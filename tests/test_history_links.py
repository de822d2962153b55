"""The history-and-applications page of chapter 13c links to sections that exist.

Every relative link `chXX_name.ipynb#anchor` (or `#anchor` within the page) must name a
chapter of notebooks/ and the slug of one of its headings, computed with MyST's own slug
function (the one the book build uses when `myst_heading_anchors` is on), so the links resolve
in the book and in JupyterLab.
"""

import re
from pathlib import Path

import jupytext
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PAGE = "ch13c_gans_and_diffusion"
LINK = re.compile(r"\]\(((?:ch[\w]+\.ipynb)?)#([^)\s]+)\)")


def _slugify(title: str) -> str:
    from myst_parser.mdit_to_docutils.base import default_slugify

    return default_slugify(title)


def _heading_slugs(stem: str, max_level: int = 2) -> set[str]:
    nb = jupytext.read(NOTEBOOKS / f"{stem}.py")
    slugs = set()
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            m = re.match(r"^(#{1,6})\s+(.*)$", line)
            if m and len(m.group(1)) <= max_level:
                slugs.add(_slugify(m.group(2).strip()))
    return slugs


def _links():
    nb = jupytext.read(NOTEBOOKS / f"{PAGE}.py")
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return LINK.findall(md)


def test_the_page_has_links():
    assert len(_links()) >= 20


@pytest.mark.parametrize("target, anchor", sorted(set(_links())))
def test_each_link_names_an_existing_heading(target, anchor):
    stem = Path(target).stem if target else PAGE
    assert (NOTEBOOKS / f"{stem}.py").is_file(), f"no chapter {stem}"
    slugs = _heading_slugs(stem)
    assert anchor in slugs, f"{stem} has no heading with slug {anchor!r}; its slugs: {sorted(slugs)}"


def test_slugs_are_mysts():
    assert _slugify("1. Progressive growing: fade-in keeps D's loss continuous") == \
        "1-progressive-growing-fade-in-keeps-ds-loss-continuous"
