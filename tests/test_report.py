"""`scrapy report` end to end, as a subprocess: the three files, metrics.csv completeness, clear one-line errors,
missing data, escaping of hostile post text and links, and no resource loads in the HTML."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from benchmark.metrics.catalog import METRIC_IDS
from benchmark.store import Store
from tests.toolkit.factories import panel_toml, sqlite_url, write_config
from tests.toolkit.reports import ROOT, assert_clear_error, report_inputs, scrapy_report

HOSTILE_TEXT = "<img src=x onerror=alert(1)> 新品 ¥99"
HOSTILE_LINK = "javascript:alert(1)"
CONFIG = panel_toml("q3", ("2026-07-01", "2026-07-14"), ("weibo", "1000000001", "own", "我们的品牌"),
                    ("weibo", "1000000002", "peer", "Rival <b>bold</b>"),
                    ("weibo", "1000000003", "exemplar", "Empty Exemplar"),
                    ("bluesky", "brand.bsky.social", "own", "我们的品牌"))
CONFIG_IDS = [("weibo", "1000000001"), ("weibo", "1000000002"), ("weibo", "1000000003"),
              ("bluesky", "brand.bsky.social")]


def post(platform: str, post_id: str, account: str, day: int, **extra: object) -> dict:
    row = {"platform": platform, "post_id": post_id, "account_id": account,
           "created_at": datetime(2026, 7, day, 3, tzinfo=UTC), "kind": "original", "format": "image",
           "likes": 10 * day, "comments": day, "reposts": 1, "text": f"post {post_id}",
           "url": f"https://example.com/{post_id}"}
    row.update(extra)
    return row


def build_store(path: Path) -> str:
    url = sqlite_url(path)
    store = Store(url)
    posts = [post("weibo", f"o{i}", "1000000001", 1 + i) for i in range(6)]
    posts += [post("weibo", "evil", "1000000001", 8, text=HOSTILE_TEXT, url=HOSTILE_LINK, likes=10**6),
              post("weibo", "formula", "1000000001", 9, text="=HYPERLINK(\"http://x\")")]
    posts += [post("weibo", f"r{i}", "1000000002", 2 + i, kind="repost", ref_author_id=f"fan{i}",
                   ref_author_is_organization=False) for i in range(4)]
    posts += [post("bluesky", f"b{i}", "did:plc:brand", 3 + i, quotes=2, text="你好 Bluesky") for i in range(3)]
    accounts = [{"platform": "weibo", "account_id": "1000000001", "followers": 5000, "name": "我们"},
                {"platform": "weibo", "account_id": "1000000002", "followers": 8000},
                {"platform": "bluesky", "account_id": "did:plc:brand", "handle": "brand.bsky.social",
                 "followers": 300}]
    store.start_run("run1", "weibo", ("2026-07-01", "2026-07-14"))
    store.write_batch("run1", account_rows=accounts, post_rows=posts)
    store.finish_run("run1", "finished", {"item_scraped_count": len(posts)}, account_statuses=[
        {"platform": "weibo", "account_id": "1000000001", "role": "own", "label": "我们的品牌", "status": "ok",
         "message": "", "posts": 8, "pages": 1},
        {"platform": "weibo", "account_id": "1000000003", "role": "exemplar", "label": "Empty Exemplar",
         "status": "login_wall", "message": "redirected to passport.weibo.cn", "posts": 0, "pages": 0},
    ])
    store.close()
    return url


@pytest.fixture(scope="module")
def panel(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return report_inputs(tmp_path_factory.mktemp("report"), CONFIG, build_store)


@pytest.fixture(scope="module")
def report(panel: dict) -> dict:
    out = panel["base"] / "out"
    proc = scrapy_report("--config", str(panel["config"]), "-s", f"BENCHMARK_DB={panel['db']}", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    return {"proc": proc, "out": out, "html": (out / "index.html").read_text(encoding="utf-8")}


def test_writes_the_three_files_and_prints_the_path(report):
    # Issue 16: the views of engagement by type, weeks and hashtags come with their CSV files.
    assert sorted(p.name for p in report["out"].iterdir()) == [
        "engagement_by_type.csv", "findings.csv", "followers.csv", "hashtags.csv", "index.html", "metrics.csv",
        "posts.csv", "report.xlsx", "weekly.csv"]
    assert report["proc"].stdout.strip().splitlines()[-1] == str(report["out"] / "index.html")
    assert "computing metrics" in report["proc"].stderr  # progress goes to stderr


def test_metrics_csv_has_every_metric_for_every_account(report):
    with open(report["out"] / "metrics.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["platform", "account_id", "label", "role", "metric", "value", "n", "metric_label"]
    for platform, account_id in CONFIG_IDS:
        mine = [r for r in rows if (r["platform"], r["account_id"]) == (platform, account_id)
                or (platform == "bluesky" and r["platform"] == "bluesky")]
        assert [r["metric"] for r in mine] == list(METRIC_IDS), (platform, account_id)
    own = {r["metric"]: r for r in rows if r["account_id"] == "1000000001"}
    assert own["posts"]["value"] == "8" and own["posts"]["n"] == "8"
    assert own["fan_repost_share"]["metric_label"] == "Fan reposts per post"  # the name, in the report's language
    assert own["replies_to_others_share"]["value"] == ""  # undefined on Weibo: empty, never 0
    empty = {r["metric"]: r["value"] for r in rows if r["account_id"] == "1000000003"}
    assert empty["posts"] == "0" and empty["er_median"] == "" and empty["format_share.image"] == ""


def test_posts_csv_has_derived_fields_and_defuses_formulas(report):
    with open(report["out"] / "posts.csv", encoding="utf-8-sig", newline="") as fh:
        rows = {r["post_id"]: r for r in csv.DictReader(fh)}
    assert len(rows) == 8 + 4 + 3
    for column in ("kind", "format", "purpose", "engagement", "er", "fan_repost", "ref_author_class"):
        assert column in rows["o0"]
    assert rows["r0"]["fan_repost"] == "True" and rows["r0"]["ref_author_class"] == "fan"
    assert float(rows["o0"]["engagement"]) == 10 + 1 + 1  # likes + comments + reposts on day 1
    assert float(rows["o0"]["er"]) == pytest.approx(12 / 5000)
    assert rows["formula"]["text"].startswith("'=HYPERLINK")
    assert rows["evil"]["text"] == HOSTILE_TEXT


def test_missing_account_is_reported_and_the_report_still_renders(report):
    assert "warning: no posts in the period for Empty Exemplar" in report["proc"].stderr
    html = report["html"]
    assert "Missing data" in html and "missing data" in html
    assert "login_wall" in html and "redirected to passport.weibo.cn" in html


def test_hostile_text_and_links_are_inert(report):
    html = report["html"]
    assert "<img src=x onerror" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert not re.search(r"href\s*=\s*[\"']?\s*javascript:", html, re.IGNORECASE)
    assert "javascript:alert(1)" in html  # shown as text
    assert "<b>bold</b>" not in html and "Rival &lt;b&gt;bold&lt;/b&gt;" in html


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))


def test_no_resource_loads_only_links(report):
    html = report["html"]
    parser = _Tags()
    parser.feed(html)
    names = {tag for tag, _ in parser.tags}
    assert not names & {"script", "img", "link", "iframe", "object", "embed", "image", "use", "audio", "video"}
    for tag, attrs in parser.tags:
        for name, value in attrs.items():
            assert name not in ("src", "srcset", "xlink:href", "background", "poster", "data")
            if value and re.search(r"https?://", value):
                assert (tag, name) == ("a", "href"), (tag, name, value)
    assert "url(" not in html and "@import" not in html
    assert "default-src 'none'; style-src 'unsafe-inline'; img-src data:" in html
    assert "@media print" in html


def test_report_is_small(report):
    assert (report["out"] / "index.html").stat().st_size < 2_000_000


def test_sections_are_all_there(report):
    html = report["html"]
    for anchor in ("run", "scorecard", "findings", "brands", "activity", "engagement", "fans", "purpose", "style",
                   "timing", "audience", "top", "coverage", "methodology"):
        assert f'id="{anchor}"' in html, anchor
    assert "<svg" in html and "我们的品牌" in html


# -- errors: one line on stderr, exit status 2, no traceback ------------------------------------------------
def test_no_store(panel):
    missing = panel["base"] / "nope" / "store.sqlite3"
    proc = scrapy_report("--config", str(panel["config"]), "-s", f"BENCHMARK_DB=sqlite:///{missing}",
                         "-o", str(panel["base"] / "x"))
    assert_clear_error(proc, "no store at")
    assert not missing.exists()  # the report never creates a store


def test_unknown_period(panel):
    proc = scrapy_report("--config", str(panel["config"]), "-s", f"BENCHMARK_DB={panel['db']}",
                         "--period", "2026Q9", "-o", str(panel["base"] / "x"))
    assert_clear_error(proc, "unknown period")


def test_empty_period_keeps_the_previous_report(panel):
    out = panel["base"] / "old"
    out.mkdir()
    (out / "index.html").write_text("previous", encoding="utf-8")
    proc = scrapy_report("--config", str(panel["config"]), "-s", f"BENCHMARK_DB={panel['db']}",
                         "--period", "2025Q1", "-o", str(out))
    assert_clear_error(proc, "no posts between 2025-01-01 and 2025-03-31")
    assert (out / "index.html").read_text(encoding="utf-8") == "previous"
    assert [p.name for p in panel["base"].iterdir() if p.name.startswith(".old")] == []


def test_output_folder_that_cannot_be_written(panel):
    blocker = panel["base"] / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    proc = scrapy_report("--config", str(panel["config"]), "-s", f"BENCHMARK_DB={panel['db']}",
                         "-o", str(blocker / "report"))
    assert_clear_error(proc, "cannot write the report")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_read_only_output_folder(panel):
    folder = panel["base"] / "readonly"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        proc = scrapy_report("--config", str(panel["config"]), "-s", f"BENCHMARK_DB={panel['db']}",
                             "-o", str(folder / "report"))
    finally:
        folder.chmod(0o700)
    assert_clear_error(proc, "cannot write the report")


def test_since_until_and_default_folder_name(panel, tmp_path):
    """Outside the project folder (SCRAPY_SETTINGS_MODULE) the default output is reports/<since>_<until>."""
    env = {"SCRAPY_SETTINGS_MODULE": "benchmark.settings", "PYTHONPATH": str(ROOT)}
    proc = scrapy_report("--config", str(panel["config"]), "-s", f"BENCHMARK_DB={panel['db']}",
                         "--since", "2026-07-02", "--until", "2026-07-03", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "reports" / "2026-07-02_2026-07-03"
    with open(out / "posts.csv", encoding="utf-8-sig", newline="") as fh:
        days = {r["created_local"][:10] for r in csv.DictReader(fh)}
    assert days == {"2026-07-02", "2026-07-03"}
    assert [p.name for p in (tmp_path / "reports").iterdir()] == ["2026-07-02_2026-07-03"]  # no temp folders


# -- small pure helpers ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("url", "expected"), [
    ("https://weibo.com/1/abc", "https://weibo.com/1/abc"),
    ("HTTP://Example.com/x?a=1&b=2", "HTTP://Example.com/x?a=1&b=2"),
    ("javascript:alert(1)", None), (" javascript:alert(1)", None), ("java\nscript:alert(1)", None),
    ("data:text/html,<script>", None), ("https://exa mple.com", None), ("https://", None), (None, None),
    ("//evil.example/x", None),
])
def test_safe_href_keeps_only_plain_web_links(url, expected):
    from benchmark.report.html import safe_href

    assert safe_href(url) == expected


def test_chart_labels_fit_by_east_asian_width():
    from benchmark.report.charts import fit, text_width

    assert text_width("品牌") == 24 and text_width("ab") == pytest.approx(14.4)
    assert fit("我们的品牌我们的品牌", 60) == "我们的品…"
    assert fit("Brand", 100) == "Brand"


def test_nice_ticks():
    from benchmark.report.charts import nice_ticks

    assert nice_ticks(2.9) == [0, 1, 2, 3]
    assert nice_ticks(17.3) == [0, 5, 10, 15, 20]
    assert nice_ticks(0.0) == [0, 1]


def test_store_errors_are_one_line_messages(tmp_path):
    from benchmark.metrics.load import ReportInputError, open_store

    empty = tmp_path / "empty.sqlite3"
    empty.write_bytes(b"")
    with pytest.raises(ReportInputError, match="is not a benchmark store"):
        open_store(f"sqlite:///{empty}")
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ReportInputError, match="cannot open the store"):
        open_store(f"sqlite:///{garbage}")
    with pytest.raises(ReportInputError, match="cannot open the store") as info:
        open_store("nosuchdialect://user:secret@host/db")
    assert "secret" not in str(info.value)


def test_an_output_folder_anywhere_is_fine_but_not_a_folder_that_is_not_a_report(panel, tmp_path):
    outside = subprocess.run([sys.executable, "-m", "scrapy", "report", "--config", str(panel["config"]),
                              "-s", f"BENCHMARK_DB={panel['db']}", "-o", str(tmp_path / "r")], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
    assert outside.returncode == 0 and (tmp_path / "r" / "index.html").exists(), outside.stderr
    precious = tmp_path / "documents"
    precious.mkdir()
    (precious / "thesis.docx").write_text("years of work", encoding="utf-8")
    refused = scrapy_report("--config", str(panel["config"]), "-s", f"BENCHMARK_DB={panel['db']}",
                            "-o", str(precious))
    assert refused.returncode == 2 and "it is not a report folder" in refused.stderr
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "r")
    followed = scrapy_report("--config", str(panel["config"]), "-s", f"BENCHMARK_DB={panel['db']}", "-o", str(link))
    assert followed.returncode == 2 and "symbolic link" in followed.stderr and link.is_symlink()
    assert (precious / "thesis.docx").read_text(encoding="utf-8") == "years of work"


def test_a_crawl_that_fetched_nothing_gives_a_coverage_only_report(tmp_path):
    """Issue 17 item 4: offline, every account failed; `scrapy report` shows the crawl's coverage, exit 0."""
    config = write_config(tmp_path, CONFIG)
    url = sqlite_url(tmp_path / "store.sqlite3")
    store = Store(url)
    store.start_run("offline", "weibo", ("2026-07-01", "2026-07-14"))
    store.finish_run("offline", "finished", {}, [
        {"platform": "weibo", "account_id": account_id, "role": "own", "label": "x", "status": "failed",
         "message": "cannot reach m.weibo.cn: no network or DNS?", "posts": 0, "pages": 0}
        for account_id in ("1000000001", "1000000002", "1000000003")])
    store.close()
    out = tmp_path / "out"
    proc = scrapy_report("--config", str(config), "-s", f"BENCHMARK_DB={url}", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "No post was fetched for this period" in html
    coverage = html.split('<section id="coverage">', 1)[1].split("</section>", 1)[0]
    assert coverage.count("cannot reach m.weibo.cn: no network or DNS?") == 3
    assert 'id="scorecard"' not in html and "Traceback" not in proc.stderr


def test_units_percent_shows_engagement_rates_in_percent(panel, tmp_path):
    """`scrapy report --units percent` (per-mille is unfamiliar outside China, issue 16); a wrong unit is one line."""
    out = tmp_path / "percent"
    proc = scrapy_report("--config", str(panel["config"]), "-s", f"BENCHMARK_DB={panel['db']}", "-o", str(out),
                         "--units", "percent")
    assert proc.returncode == 0, proc.stderr
    html = (out / "index.html").read_text(encoding="utf-8")
    default = scrapy_report("--config", str(panel["config"]), "-s", f"BENCHMARK_DB={panel['db']}", "-o",
                            str(tmp_path / "permille"))
    assert default.returncode == 0, default.stderr
    assert html.count("‰") < (tmp_path / "permille" / "index.html").read_text(encoding="utf-8").count("‰")
    wrong = scrapy_report("--config", str(panel["config"]), "-s", f"BENCHMARK_DB={panel['db']}", "-o",
                          str(tmp_path / "x"), "--units", "basis-points")
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
    assert len(wrong.stderr.strip().splitlines()) == 1 and "--units" in wrong.stderr


def test_every_csv_starts_with_a_byte_order_mark_so_excel_reads_chinese(report):
    """Excel on Windows reads a CSV without a BOM in the local code page: Chinese labels come out garbled."""
    names = sorted(path.name for path in report["out"].glob("*.csv"))
    assert "metrics.csv" in names and "posts.csv" in names
    for name in names:
        assert (report["out"] / name).read_bytes().startswith(b"\xef\xbb\xbf"), name
