"""The demo report laid out by headless Chromium (issue 16): at 1280 px the summary is on the first screen; on a
390 px phone and on an A4 page nothing overflows the page, no table cell is clipped, chart text is at least
10 px on the phone; every chart that colours by role has a legend; the A4 PDF prints.

The page forbids scripts (CSP). The test measures a copy of it with the CSP removed and one measuring script
appended, run by `chromium --dump-dom`, which writes its findings into the DOM. Print is measured on the same
copy with the `@media print` rules applied to the screen at the width of an A4 page's text (180 mm), and the
real A4 PDF is printed with `--print-to-pdf`.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")
ROOT = Path(__file__).resolve().parents[1]
A4_TEXT_WIDTH = 680  # px: 210 mm minus the 15 mm margins of @page, at 96 px per inch

MEASURE = """
<script>
(() => {
  const page = document.documentElement.clientWidth;
  const scrolls = (e) => { for (let p = e.parentElement; p; p = p.parentElement) {
    const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll') return true; } return false; };
  const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
    + (e.className && e.className.baseVal === undefined ? '.' + e.className : '');
  const over = [...document.body.querySelectorAll('*')].filter((e) => {
    const r = e.getBoundingClientRect(); return r.width > 0 && r.right > page + 1 && !scrolls(e); });
  const clipped = [...document.querySelectorAll('td, th')].filter((e) => e.scrollWidth > e.clientWidth + 1
    && getComputedStyle(e).overflowX !== 'visible');
  const small = [...document.querySelectorAll('svg text')].filter((t) => {
    const svg = t.ownerSVGElement; const box = svg.viewBox.baseVal; const w = svg.getBoundingClientRect().width;
    return box && box.width && w > 0 && parseFloat(getComputedStyle(t).fontSize) * w / box.width < 9.95; });
  const roleColours = ['#c8364b', '#7b8794', '#1f8a7a'];
  const unlabelled = [...document.querySelectorAll('figure')].filter((f) => {
    const fills = [...f.querySelectorAll('svg [fill], svg [stroke]')]
      .map((e) => (e.getAttribute('fill') || e.getAttribute('stroke')).toLowerCase());
    return fills.some((c) => roleColours.includes(c)) && !f.querySelector('.legend.roles'); });
  const summary = document.getElementById('summary');
  const result = {page, overflow: over.slice(0, 12).map(name), clipped: clipped.slice(0, 12).map(name),
    small: small.length, small_examples: small.slice(0, 5).map((t) => t.textContent),
    unlabelled: unlabelled.map((f) => (f.querySelector('figcaption') || {}).textContent || '?'),
    summary_bottom: summary ? summary.getBoundingClientRect().bottom + window.scrollY : null};
  const out = document.createElement('pre'); out.id = 'layout-result'; out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
})();
</script>
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("layout")
    out = {}
    for language in ("en", "zh"):
        done = subprocess.run([sys.executable, "-m", "scrapy", "demo", "--lang", language, "-o",
                               str(base / language), "--workdir", str(base / f"work-{language}")],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        out[language] = base / language / "index.html"
    return out


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
             "--hide-scrollbars", f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND"]
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=180)  # type: ignore[list-item]


def measure(page: Path, tmp: Path, width: int, print_rules: bool = False) -> dict:
    """Lay the report out `width` px wide and return what MEASURE found. Headless Chromium's window is at
    least 500 px wide, so the page is laid out in an iframe of that width (its own viewport: media queries
    see `width`); srcdoc keeps it same-origin, so the outer page can copy the result out."""
    text = page.read_text(encoding="utf-8")
    text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text)
    if print_rules:
        text = text.replace("@media print", "@media all")
    inner = text.replace("</body>", MEASURE + "</body>")
    outer = (f'<html><body style="margin:0"><iframe id="f" style="width:{width}px;height:900px;border:0" '
             f'srcdoc="{html.escape(inner, quote=True)}"></iframe><script>document.getElementById("f").onload = '
             '() => { const r = document.getElementById("f").contentDocument.getElementById("layout-result");'
             ' const p = document.createElement("pre"); p.id = "layout-result"; p.textContent = r.textContent;'
             ' document.body.appendChild(p); };</script></body></html>')
    copy = tmp / f"measure-{width}-{print_rules}.html"
    copy.write_text(outer, encoding="utf-8")
    proc = chromium(tmp / "profile", "--dump-dom", "--virtual-time-budget=10000", f"--window-size={width + 40},900",
                    copy.as_uri())
    found = re.search(r'<pre id="layout-result">(.*?)</pre>', proc.stdout, re.S)
    assert found, proc.stderr[-2000:]
    result = json.loads(html.unescape(found.group(1)))
    assert result["page"] == width, result
    return result


@pytest.mark.parametrize("language", ["en", "zh"])
def test_summary_is_on_the_first_screen_at_1280(demo, tmp_path, language):
    result = measure(demo[language], tmp_path, 1280)
    assert result["summary_bottom"] is not None and result["summary_bottom"] <= 800, result
    assert result["overflow"] == [] and result["clipped"] == [], result
    assert result["unlabelled"] == [], result


def test_phone_has_no_overflow_no_clipped_cell_and_no_chart_text_below_10px(demo, tmp_path):
    result = measure(demo["en"], tmp_path, 390)
    assert result["overflow"] == [], result
    assert result["clipped"] == [], result
    assert result["small"] == 0, result


def test_print_layout_fits_an_a4_page(demo, tmp_path):
    result = measure(demo["en"], tmp_path, A4_TEXT_WIDTH, print_rules=True)
    assert result["overflow"] == [], result
    assert result["clipped"] == [], result


def test_the_report_prints_to_a4_pdf(demo, tmp_path):
    pdf = tmp_path / "report.pdf"
    proc = chromium(tmp_path / "profile", f"--print-to-pdf={pdf}", "--no-pdf-header-footer", demo["en"].as_uri())
    assert pdf.exists(), proc.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    sizes = set(re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data))
    assert sizes and all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for w, h in sizes), sizes
