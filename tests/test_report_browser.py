"""The report in a real browser: headless Chromium renders it (screenshot), runs nothing, loads nothing.

DNS is mapped to nowhere, so the browser cannot reach the network from a test; Chromium's net log then shows
whether the page even tried to load a resource the hostile post text names. Skipped when chromium is absent
(Debian: `apt-get install -y chromium`; `fonts-noto-cjk` makes the Chinese legible in screenshots).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from benchmark.report.build import build_report
from tests.toolkit.factories import panel_toml, write_batches, write_config

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")

HOSTILE = '<img src="https://evil.example/pixel.png" onerror=alert(1)><script>alert(2)</script>'
CONFIG = panel_toml("browser", ("2026-07-01", "2026-07-31"), ("weibo", "1000000001", "own", "我们的品牌"),
                    ("weibo", "1000000002", "peer", "竞争对手"))


def _posts() -> list[dict]:
    rows = []
    for i in range(24):
        account = "1000000001" if i % 2 else "1000000002"
        rows.append({"platform": "weibo", "post_id": f"p{i}", "account_id": account,
                     "created_at": datetime(2026, 7, 1 + i, 2 + i % 12, tzinfo=UTC),
                     "kind": "original", "format": ("image", "video", "text")[i % 3], "likes": 5 * i + 1,
                     "comments": i, "reposts": i % 4, "text": f"夏季新品发布，欢迎大家评论 {i}",
                     "url": f"https://weibo.example/{i}"})
    rows.append({"platform": "weibo", "post_id": "evil", "account_id": "1000000001",
                 "created_at": datetime(2026, 7, 20, 3, tzinfo=UTC), "kind": "original", "format": "text",
                 "likes": 10**5, "comments": 0, "reposts": 0, "text": HOSTILE, "url": "javascript:alert(3)"})
    return rows


@pytest.fixture(scope="module")
def report_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("browser")
    config_path = write_config(base, CONFIG)
    url = write_batches(base / "store.sqlite3", [("r1", {
        "account_rows": [{"platform": "weibo", "account_id": "1000000001", "followers": 9000},
                         {"platform": "weibo", "account_id": "1000000002", "followers": 4000}],
        "post_rows": _posts()})])
    result = build_report(config_path, url, base / "out")
    return result.path


def chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
             f"--user-data-dir={tmp / 'profile'}", "--host-resolver-rules=MAP * ~NOTFOUND"]
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=120)  # type: ignore[list-item]


def test_renders_a_screenshot(report_html, tmp_path):
    shot = tmp_path / "shot.png"
    proc = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,4000", report_html.as_uri())
    assert shot.exists(), proc.stderr[-2000:]
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(header[16:20], "big") == 1280 and int.from_bytes(header[20:24], "big") == 4000
    assert shot.stat().st_size > 50_000  # a blank page compresses to a few KB


def test_dom_has_no_active_content_and_hostile_text_stays_text(report_html, tmp_path):
    proc = chromium(tmp_path, "--dump-dom", report_html.as_uri())
    dom = proc.stdout
    assert "</html>" in dom, proc.stderr[-2000:]
    assert not re.search(r"<script\b", dom, re.IGNORECASE)
    assert not re.search(r"<img\b", dom, re.IGNORECASE)
    assert not re.search(r"<link\b[^>]*href", dom, re.IGNORECASE)
    assert not re.search(r"href=\"javascript:", dom, re.IGNORECASE)
    assert "&lt;img src=\"https://evil.example/pixel.png\" onerror=alert(1)&gt;&lt;script&gt;alert(2)" in dom
    assert "我们的品牌" in dom and "<svg" in dom


def test_page_requests_nothing(report_html, tmp_path):
    """The net log lists every request the browser attempted; none may come from the page."""
    netlog = tmp_path / "net.json"
    chromium(tmp_path, f"--log-net-log={netlog}", "--dump-dom", report_html.as_uri())
    log = json.loads(netlog.read_text(encoding="utf-8"))
    urls = {str(value) for event in log.get("events", []) for key, value in event.get("params", {}).items()
            if key in ("url", "original_url", "host")}
    assert not [u for u in urls if "example" in u], urls  # evil.example / weibo.example are only text and links
