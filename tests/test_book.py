"""The course site builds offline and renders in a headless browser.

Builds the book with `book/build.py` (warnings are errors), unless GANLAB_BOOK_PREBUILT=1
says a build made earlier in the same test command is to be used. Then, with Debian's
chromium served the site from localhost (nothing else is reachable), checks that:
- a chapter page's maths is rendered by the local MathJax (mjx-container elements);
- its figures are <img> elements that load (naturalWidth > 0);
- every relative link of every page resolves to a file of the build;
and saves a screenshot of the chapter page to book/_build/screenshot_ch01.png.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "book" / "_build" / "html"
CHAPTER = "chapters/ch01_minimax.html"
SCREENSHOT = ROOT / "book" / "_build" / "screenshot_ch01.png"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--virtual-time-budget=20000"]

# loads the chapter in a same-origin iframe, waits for MathJax, writes a JSON report
PROBE = """<!doctype html><html><body><pre id="report">pending</pre>
<iframe id="f" src="/%s" style="width:1200px;height:900px"></iframe>
<script>
const f = document.getElementById('f');
f.onload = async () => {
  const w = f.contentWindow, d = f.contentDocument;
  for (let i = 0; i < 100 && !(w.MathJax && w.MathJax.startup && w.MathJax.startup.promise); i++)
    await new Promise(r => setTimeout(r, 100));
  if (w.MathJax && w.MathJax.startup) await w.MathJax.startup.promise;
  const imgs = [...d.querySelectorAll('article img, main img')].map(
      im => ({src: im.getAttribute('src'), ok: im.complete && im.naturalWidth > 0}));
  document.getElementById('report').textContent = 'REPORT' + JSON.stringify({
    mathjax: !!w.MathJax, mjx: d.querySelectorAll('mjx-container').length,
    raw_math: d.querySelectorAll('.math:not(:has(mjx-container))').length,
    merror: d.querySelectorAll('mjx-merror').length, imgs: imgs,
    title: d.title}) + 'END';
};
</script></body></html>"""


@pytest.fixture(scope="module")
def site():
    if not (os.environ.get("GANLAB_BOOK_PREBUILT") == "1" and (HTML / "index.html").exists()):
        subprocess.run([sys.executable, str(ROOT / "book" / "build.py")], check=True, cwd=ROOT)
    assert (HTML / CHAPTER).exists(), f"the build has no {CHAPTER}"
    return HTML


@pytest.fixture(scope="module")
def server(site, tmp_path_factory):
    probe_dir = site / "_probe"
    probe_dir.mkdir(exist_ok=True)
    (probe_dir / "index.html").write_text(PROBE % CHAPTER)
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    shutil.rmtree(probe_dir)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _chromium(*args: str) -> str:
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: apt-get install -y chromium")
    with tempfile.TemporaryDirectory() as profile:
        out = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                             capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_chapter_renders_maths_and_figures(server):
    dom = _chromium("--dump-dom", f"{server}/_probe/index.html")
    m = re.search(r"REPORT(.*?)END", dom, re.S)
    assert m, f"the probe page did not report: {dom[:500]}"
    report = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert report["mathjax"], "MathJax did not load (expected _static/mathjax/tex-chtml.js)"
    assert report["mjx"] >= 10, f"only {report['mjx']} rendered formulas"
    assert report["merror"] == 0, "MathJax reported TeX errors"
    assert report["raw_math"] == 0, f"{report['raw_math']} formulas left unrendered"
    assert len(report["imgs"]) >= 4, f"expected the chapter's figures, got {report['imgs']}"
    broken = [i["src"] for i in report["imgs"] if not i["ok"]]
    assert not broken, f"figures that do not load: {broken}"


def test_screenshot(server):
    SCREENSHOT.unlink(missing_ok=True)
    _chromium(f"--screenshot={SCREENSHOT}", "--window-size=1280,3000", f"{server}/{CHAPTER}")
    assert SCREENSHOT.exists() and SCREENSHOT.stat().st_size > 20_000
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("href", "src"):
            if a.get(key) and tag in ("a", "link", "img", "script"):
                self.links.append(a[key])


def test_navigation_links_resolve(site):
    pages = [p for p in site.rglob("*.html") if not {"_probe", "_static"} & set(p.parts)]
    missing = []
    for page in pages:
        parser = _Links()
        parser.feed(page.read_text(errors="replace"))
        for link in parser.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path:
                continue  # external (never followed offline) or an in-page anchor
            target = (page.parent / unquote(parts.path)).resolve()
            if not target.exists():
                missing.append(f"{page.relative_to(site)} -> {link}")
    assert not missing, "broken links:\n" + "\n".join(missing[:20])
    chapter = (site / CHAPTER).read_text()
    for page in ("../intro.html", "../exercises.html", "../exercises/ch01_minimax.html"):
        assert f'href="{page}"' in chapter, f"the chapter's navigation lacks {page}"


def test_nothing_fetched_from_the_internet(site):
    """Scripts, styles and images all come from the build itself."""
    remote = []
    for page in site.rglob("*.html"):
        if "_static" in page.parts:
            continue  # the theme's template fragments, not pages
        parser = _Links()
        parser.feed(page.read_text(errors="replace"))
        remote += [f"{page.name}: {u}" for u in parser.links
                   if urlsplit(u).scheme in ("http", "https") and not u.startswith("http://127.")
                   and re.search(r"\.(js|css|png|svg|woff2?)(\?|$)", u)]
    assert not remote, "\n".join(remote[:20])


# --- the widgets' static fallback, which the book and nbval rely on -----------------------


def test_widgets_static_without_frontend(monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    from ganlab import widgets

    monkeypatch.setenv("GANLAB_STATIC", "1")
    assert not widgets.has_frontend()
    monkeypatch.delenv("GANLAB_STATIC")
    assert not widgets.has_frontend()  # plain python: no IPython kernel
    seen = []

    def draw(fig, a, b):
        seen.append((a, b))
        fig.add_subplot(1, 1, 1).plot([a, b])

    fig = widgets.slider_plot(draw, {"a": widgets.Slider(0, 1, 0.1, 0.3),
                                     "b": widgets.Slider(0, 2, 0.5, 1.5)})
    assert seen == [(0.3, 1.5)] and len(fig.axes) == 1


def test_widgets_interactive_builds_controls(monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    ipywidgets = pytest.importorskip("ipywidgets")
    from ganlab import widgets

    seen = []
    box = widgets.slider_plot(lambda fig, a: seen.append(a),
                              {"a": widgets.Slider(0, 1, 0.1, 0.3)}, interactive=True)
    assert isinstance(box, ipywidgets.VBox) and seen == [0.3]
    slider = box.children[0].children[0]
    slider.value = 0.7
    assert seen[-1] == 0.7


# --- the claims ledger's closing table, shown on every chapter page that keeps one ---------


def test_ledger_chapters_show_their_claims_table(site):
    """A chapter whose code keeps a ledger ends with its table (claim, measured, null, bar, pass),
    rendered from the executed notebook; every row of it passed."""
    stems = [p.stem for p in sorted((ROOT / "notebooks").glob("ch*.py"))
             if "claims.Ledger(" in p.read_text()]
    assert stems, "no chapter keeps a claims ledger"
    for stem in stems:
        page = (site / "chapters" / f"{stem}.html").read_text()
        heads = re.findall(r"<th(?:\s[^>]*)?>\s*(.*?)\s*</th>", page, re.S)  # not <thead>
        assert ["claim", "measured", "null", "bar", "pass"] == heads[-5:], f"{stem}: no claims table"
        table = page[page.rfind("<th>pass</th>"):]
        cells = re.findall(r"<td(?:\s[^>]*)?>\s*(.*?)\s*</td>", table, re.S)
        assert cells and len(cells) % 5 == 0, f"{stem}: the claims table has no rows"
        assert set(cells[4::5]) == {"yes"}, f"{stem}: a claim in the table did not pass"


# --- executed copies: reused when current, stale chapters executed and kept ----------------


def _build_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("book_build", ROOT / "book" / "build.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _tiny_notebook(path: Path, value: int) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# tiny"), nbformat.v4.new_code_cell(f"x = {value}\nx * 3")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_stale_chapters_are_executed_once_and_kept(tmp_path, monkeypatch):
    import nbformat

    build = _build_module()
    src, done = tmp_path / "notebooks", tmp_path / "_executed"
    src.mkdir()
    _tiny_notebook(src / "ch98_a.ipynb", 2)
    _tiny_notebook(src / "ch99_b.ipynb", 5)
    assert [p.name for p in build.stale_chapters(src, done)] == ["ch98_a.ipynb", "ch99_b.ipynb"]

    monkeypatch.delenv("GANLAB_STATIC", raising=False)
    seconds = build.execute_chapter(src / "ch98_a.ipynb", done, timeout=120)
    assert seconds > 0
    assert [p.name for p in build.stale_chapters(src, done)] == ["ch99_b.ipynb"]  # a is current now
    out = nbformat.read(done / "ch98_a.ipynb", as_version=4)
    assert out.metadata["mystnb"] == {"execution_mode": "off"}  # jupyter-book will not run it again
    result = [o for o in out.cells[1].outputs if o.output_type == "execute_result"]
    assert result and result[0].data["text/plain"] == "6"
    assert os.environ["GANLAB_STATIC"] == "1"  # the chapters' kernels draw widgets statically

    _tiny_notebook(src / "ch98_a.ipynb", 3)  # the source changes: its copy is stale again
    assert build.executed_copy(src / "ch98_a.ipynb", done) is None
    assert [p.name for p in build.stale_chapters(src, done)] == ["ch98_a.ipynb", "ch99_b.ipynb"]


def test_ganlab_book_runs_the_build_script(monkeypatch):
    import subprocess as sp

    from ganlab import cli

    calls = []
    monkeypatch.setattr(sp, "call", lambda cmd, cwd=None: calls.append((cmd, cwd)) or 0)
    assert cli.main(["book", "--jobs", "3"]) == 0
    (cmd, cwd), = calls
    assert cmd[1:] == [str(ROOT / "book" / "build.py"), "--jobs", "3"] and Path(cwd) == ROOT
