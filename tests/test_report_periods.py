"""`scrapy report --compare-previous` and `--periods` end to end (subprocess) on a store built by hand with
posts in three quarters; recommendations, ER tests, follower growth, breakouts and report.xlsx, which every
report has."""

from __future__ import annotations

import csv
import statistics
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from benchmark.metrics.catalog import METRIC_IDS, metric_label
from tests.toolkit.factories import panel_toml, write_batches
from tests.toolkit.reports import assert_clear_error, report_inputs, scrapy_report

CONFIG = panel_toml("review", ("2026-04-01", "2026-06-30"), ("weibo", "1000000001", "own", "我们的品牌"),
                    ("weibo", "1000000002", "peer", "Rival"), ("weibo", "1000000003", "exemplar", "Best <i>Brand</i>"),
                    ("bluesky", "few.bsky.social", "own", "Few posts"))
QUARTER_START = {1: datetime(2026, 1, 5, 4, tzinfo=UTC), 2: datetime(2026, 4, 5, 4, tzinfo=UTC),
                 3: datetime(2026, 7, 5, 4, tzinfo=UTC)}
# Engagement (likes only) of the own Weibo account's 20 posts per quarter: Q2 is clearly above Q1.
OWN_LIKES = {1: [10 + i for i in range(20)], 2: [40 + i for i in range(20)], 3: [50 + i for i in range(20)]}
BREAKOUT_LIKES = 100_000  # one exemplar post in Q2 among 19 with 500..518 likes: z = 19 / √20 > 3
HOSTILE = "<script>alert(1)</script> 爆款"


def weibo(post_id: str, account: str, when: datetime, likes: int, **extra: object) -> dict:
    return {"platform": "weibo", "post_id": post_id, "account_id": account, "created_at": when,
            "kind": "original", "format": "image", "likes": likes, "comments": 0, "reposts": 0,
            "text": f"post {post_id}", "url": f"https://weibo.example/{post_id}", **extra}


def quarter_posts(q: int) -> list[dict]:
    start = QUARTER_START[q]
    posts = [weibo(f"own{q}-{i}", "1000000001", start + timedelta(days=3 * i), likes)
             for i, likes in enumerate(OWN_LIKES[q])]
    posts += [weibo(f"peer{q}-{i}", "1000000002", start + timedelta(days=4 * i, hours=2), 5 + i) for i in range(15)]
    posts += [weibo(f"best{q}-{i}", "1000000003", start + timedelta(days=3 * i, hours=5), 500 + i,
                    format=("video", "image", "text", "poll")[i % 4]) for i in range(19)]
    special = {"text": HOSTILE, "url": "https://weibo.example/breakout"} if q == 2 else {}
    posts.append(weibo(f"best{q}-19", "1000000003", start + timedelta(days=60), BREAKOUT_LIKES if q == 2 else 519,
                       **special))
    posts += [{"platform": "bluesky", "post_id": f"sky{q}-{i}", "account_id": "did:plc:few",
               "created_at": start + timedelta(days=10 * i), "kind": "original", "format": "text",
               "likes": 3 + i, "comments": 0, "reposts": 0, "quotes": 0, "text": "hello"} for i in range(4)]
    return posts


def build_store(path: Path) -> str:
    def snapshot(run: str, when: datetime, own_followers: int) -> tuple[str, dict]:
        return run, {"account_rows": [
            {"platform": "weibo", "account_id": "1000000001", "followers": own_followers, "crawled_at": when},
            {"platform": "weibo", "account_id": "1000000002", "followers": 8000, "crawled_at": when},
            {"platform": "weibo", "account_id": "1000000003", "followers": 5000, "crawled_at": when},
        ]}

    return write_batches(path, [
        ("posts", {"post_rows": [p for q in (1, 2, 3) for p in quarter_posts(q)], "account_rows": [
            {"platform": "bluesky", "account_id": "did:plc:few", "handle": "few.bsky.social", "followers": 100,
             "crawled_at": datetime(2026, 5, 1, tzinfo=UTC)}]}),
        snapshot("s1", datetime(2026, 1, 2, tzinfo=UTC), 900),
        snapshot("s2", datetime(2026, 4, 2, tzinfo=UTC), 1000),
        snapshot("s3", datetime(2026, 6, 25, tzinfo=UTC), 1100)])


@pytest.fixture(scope="module")
def panel(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return report_inputs(tmp_path_factory.mktemp("periods"), CONFIG, build_store)


def run(panel: dict, *args: str, out: str | None = None) -> dict:
    folder = panel["base"] / (out or "out")
    proc = scrapy_report("--config", str(panel["config"]), "-s", f"BENCHMARK_DB={panel['db']}", *args,
                         *(["-o", str(folder)] if out else []), cwd=panel["base"],
                         env={"SCRAPY_SETTINGS_MODULE": "benchmark.settings",
                              "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert proc.returncode == 0, proc.stderr
    folder = panel["base"] / Path(proc.stdout.strip().splitlines()[-1]).parent  # relative to the cwd
    return {"proc": proc, "out": folder, "html": (folder / "index.html").read_text(encoding="utf-8")}


def rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def compared(panel: dict) -> dict:
    return run(panel, "--period", "2026Q2", "--compare-previous", out="compared")


@pytest.fixture(scope="module")
def trended(panel: dict) -> dict:
    return run(panel, "--periods", "2026Q3,2026Q1,2026Q2")  # any order; default folder name


# -- --compare-previous ---------------------------------------------------------------------------------------
def test_compare_previous_writes_the_previous_metrics_and_deltas(compared):
    names = sorted(p.name for p in compared["out"].iterdir())
    # Issue 16: the views' CSV files (engagement by type, followers, hashtags, weeks) are written too.
    assert names == ["deltas.csv", "engagement_by_type.csv", "findings.csv", "followers.csv", "hashtags.csv",
                     "index.html", "metrics.csv", "metrics_previous.csv", "posts.csv", "report.xlsx", "weekly.csv"]
    previous = rows(compared["out"] / "metrics_previous.csv")
    assert len(previous) == 4 * len(METRIC_IDS)
    own_before = {r["metric"]: r for r in previous if r["account_id"] == "1000000001"}
    assert float(own_before["engagement_median"]["value"]) == statistics.median(OWN_LIKES[1])
    assert own_before["posts"]["value"] == "20"


def test_deltas_csv_has_every_metric_with_previous_value_delta_and_too_few(compared):
    deltas = rows(compared["out"] / "deltas.csv")
    assert len(deltas) == 4 * len(METRIC_IDS)
    assert list(deltas[0]) == ["platform", "account_id", "label", "role", "metric", "previous_value", "previous_n",
                               "value", "n", "delta", "relative_delta", "too_few"]
    own = {r["metric"]: r for r in deltas if r["account_id"] == "1000000001"}
    median_delta = statistics.median(OWN_LIKES[2]) - statistics.median(OWN_LIKES[1])
    assert float(own["engagement_median"]["delta"]) == pytest.approx(median_delta)
    assert float(own["engagement_median"]["relative_delta"]) == pytest.approx(median_delta / 19.5)
    assert own["engagement_median"]["too_few"] == "False"
    few = {r["metric"]: r for r in deltas if r["platform"] == "bluesky"}
    assert few["engagement_median"]["too_few"] == "True"  # 4 posts in each quarter
    assert few["posts"]["too_few"] == "False"  # a count is exact


def test_change_section_shows_intervals_verdicts_and_too_few(compared):
    html = compared["html"]
    assert 'id="change"' in html and "Change since last period" in html
    assert "2025-12-31 to 2026-03-31" in html  # the previous 91 days, not "2026Q1" by name
    change = html.split('id="change"', 1)[1].split("</section>", 1)[0]
    assert "(95 % CI " in change
    own_row = change.split("我们的品牌 · weibo", 1)[1].split("</tr>", 2)
    assert ">up<" in own_row[1]  # median engagements 19.5 -> 49.5: the interval excludes 0
    few_rows = change.split("Few posts · bluesky", 1)[1]
    assert "too few posts to tell" in few_rows.split("</tbody>", 1)[0]


def test_mann_whitney_table_compares_own_with_peer_and_exemplar(compared):
    html = compared["html"]
    tests = html.split("Is the difference real?", 1)[1].split("</section>", 1)[0]
    weibo = tests.split("我们的品牌 · weibo", 1)[1].split("</table>", 1)[0]
    assert "Rival · weibo" in weibo and "Best &lt;i&gt;Brand&lt;/i&gt; · weibo" in weibo
    exemplar_row = weibo.split("Best &lt;i&gt;Brand", 1)[1].split("</tr>", 1)[0]
    assert "own lower" in exemplar_row and "&lt; 0.001" in exemplar_row
    few = tests.split("Few posts · bluesky", 1)[1].split("</table>", 1)[0]
    assert "too few posts to tell" in few


def test_previous_period_without_posts_warns_and_still_renders(panel):
    done = run(panel, "--period", "2026Q1", "--compare-previous", out="q1")
    assert "warning: no posts in the previous period" in done["proc"].stderr
    own = {r["metric"]: r for r in rows(done["out"] / "deltas.csv") if r["account_id"] == "1000000001"}
    assert own["posts"]["previous_value"] == "0" and own["posts"]["delta"] == "20"
    assert own["engagement_median"]["previous_value"] == "" and own["engagement_median"]["delta"] == ""
    assert own["engagement_median"]["too_few"] == "True"


# -- --periods ----------------------------------------------------------------------------------------------
def test_periods_write_a_trend_in_chronological_order(trended, panel):
    assert trended["out"] == panel["base"] / "reports" / "2026Q1-2026Q3"
    trend = rows(trended["out"] / "trend.csv")
    own = [r for r in trend if r["account_id"] == "1000000001" and r["metric"] == "engagement_median"]
    assert [r["period"] for r in own] == ["2026Q1", "2026Q2", "2026Q3"]
    assert [float(r["value"]) for r in own] == [statistics.median(OWN_LIKES[q]) for q in (1, 2, 3)]
    assert own[0]["delta"] == "" and float(own[2]["delta"]) == pytest.approx(10.0)
    # The report itself is on the last period.
    posts = rows(trended["out"] / "posts.csv")
    assert {r["created_local"][:7] for r in posts} <= {"2026-07", "2026-08", "2026-09"}


def test_trend_section_has_line_charts_and_the_table(trended):
    html = trended["html"]
    trend = html.split('id="trend"', 1)[1].split("</section>", 1)[0]
    assert trend.count("<polyline") >= 3  # own, peers' median, exemplars' median
    assert "peers (median)" in trend and "exemplars (median)" in trend
    for quarter in ("2026Q1", "2026Q2", "2026Q3"):
        assert f"<th>{quarter}</th>" in trend


@pytest.mark.parametrize(("args", "words"), [
    (("--periods", "2026Q1,2026Q1"), "overlap"),
    (("--periods", "2026Q1,2026-02"), "overlap"),
    (("--periods", "2026Q5"), "unknown period"),
    (("--periods", "2026Q1,2026Q2", "--period", "2026Q2"), "use one of --period"),
])
def test_bad_periods_are_one_line_errors(panel, args, words):
    proc = scrapy_report("--config", str(panel["config"]), "-s", f"BENCHMARK_DB={panel['db']}", *args,
                         "-o", str(panel["base"] / "bad"))
    assert_clear_error(proc, words)


# -- sections every report has ------------------------------------------------------------------------------
def test_recommendations_come_after_findings_with_example_links(compared):
    html = compared["html"]
    assert html.index('id="findings"') < html.index('id="recommendations"') < html.index('id="brands"')
    recs = html.split('id="recommendations"', 1)[1].split("</section>", 1)[0]
    assert "Best &lt;i&gt;Brand&lt;/i&gt;" in recs and "<i>Brand" not in recs
    assert 'href="https://weibo.example/best2-' in recs  # the exemplar's example posts, as links


def test_breakout_post_is_listed_with_its_link_and_escaped(compared):
    html = compared["html"]
    section = html.split('id="breakouts"', 1)[1].split("</section>", 1)[0]
    assert 'href="https://weibo.example/breakout"' in section
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section and "<script>" not in html


def test_follower_growth_from_two_snapshots_and_a_note_for_one(compared):
    html = compared["html"]
    audience = html.split('id="audience"', 1)[1].split("</section>", 1)[0]
    own_row = audience.split("<h3>Follower growth</h3>", 1)[1].split("我们的品牌 · weibo", 1)[1].split("</tr>", 1)[0]
    assert "+10.0 %" in own_row  # 1,000 on 2026-04-02, 1,100 on 2026-06-25
    assert "one snapshot only" in audience.lower()  # the Bluesky account was seen once


def test_report_xlsx_has_one_sheet_per_section_and_reads_back(compared):
    from openpyxl import load_workbook

    book = load_workbook(compared["out"] / "report.xlsx", read_only=True)
    for sheet in ("scorecard", "metrics", "findings", "recommendations", "change", "median change", "ER tests",
                  "follower growth", "breakouts"):
        assert sheet in book.sheetnames, sheet
    assert "posts" not in book.sheetnames  # every post stays in posts.csv
    metrics = list(book["metrics"].iter_rows(values_only=True))
    header = metrics[0]
    own = next(r for r in metrics[1:] if r[header.index("account id")] == "1000000001")  # headers in words
    assert own[header.index(metric_label("engagement_median"))] == statistics.median(OWN_LIKES[2])
    breakouts = list(book["breakouts"].iter_rows(values_only=True))
    assert any(row[breakouts[0].index("post id")] == "best2-19" for row in breakouts[1:])
    texts = [c for row in breakouts for c in row if isinstance(c, str)]
    assert HOSTILE in texts  # stored as text, not as markup or a formula
    change = list(book["change"].iter_rows(values_only=True))
    assert len(change) == 1 + 4 * len(METRIC_IDS)


def test_the_same_numbers_without_worker_processes(panel, compared):
    folder = panel["base"] / "sequential"
    proc = scrapy_report("--config", str(panel["config"]), "-s", f"BENCHMARK_DB={panel['db']}", "--period", "2026Q2",
                         "--compare-previous", "-o", str(folder), env={"BENCHMARK_REPORT_WORKERS": "0"})
    assert proc.returncode == 0, proc.stderr
    assert "reading its posts" in proc.stderr and "waiting for its worker" not in proc.stderr
    for name in ("deltas.csv", "metrics_previous.csv", "metrics.csv"):
        assert (folder / name).read_bytes() == (compared["out"] / name).read_bytes(), name


# -- helpers ------------------------------------------------------------------------------------------------
def test_parse_periods_sorts_and_names():
    from benchmark.report.periods import parse_periods

    periods = parse_periods(" 2026q3, 2026Q1 ,2026-05")
    assert [p.name for p in periods] == ["2026Q1", "2026-05", "2026Q3"]
    assert str(periods[0]) == "2026Q1 (2026-01-01 to 2026-03-31)"


def test_interval_texts_share_the_unit():
    from benchmark.report.periods import ci_text, delta_text

    assert ci_text("er_median", 0.00052, 0.00041, 0.0006) == "0.52 ‰ (95 % CI 0.41–0.60 ‰)"
    assert ci_text("engagement_median", 58.5, 40.0, 71.0) == "58.5 (95 % CI 40.0–71.0)"
    assert ci_text("er_median", 0.001, float("nan"), float("nan")) == "1.00 ‰"
    assert delta_text("er_median", 0.00012, -0.00002, 0.00025) == "+0.12 ‰ (95 % CI −0.02 to +0.25 ‰)"
    assert delta_text("fan_repost_share", -0.05) == "−5.0 pts"
    assert delta_text("er_median", float("nan")) == "—"


@pytest.mark.parametrize(("env", "jobs", "expected"), [("0", 2, 0), ("1", 2, 1), ("4", 2, 2), (None, 0, 0)])
def test_worker_count(monkeypatch, env, jobs, expected):
    from benchmark.report import periods

    if env is None:
        monkeypatch.delenv(periods.WORKERS_ENV, raising=False)
    else:
        monkeypatch.setenv(periods.WORKERS_ENV, env)
    assert periods.worker_count(jobs) == expected


def test_line_chart_breaks_the_line_where_a_period_has_no_value():
    from benchmark.report.charts import line_chart

    chart = line_chart([{"label": "Own", "role": "own", "values": [1.0, float("nan"), 3.0, 4.0]},
                        {"label": "peers (median)", "role": "peer", "values": [2.0, 2.0, 2.0, 2.0]}],
                       ["Q1", "Q2", "Q3", "Q4"], lambda v: f"{v:g}", "posts")
    own, peers = chart["lines"]
    assert len(own["points"]) == 3 and len(own["paths"]) == 1  # Q1 alone, then Q3-Q4 as a line
    assert own["paths"][0].count(",") == 2
    assert peers["dash"] and not own["dash"]
    ys = [p["y"] for p in own["points"]]
    assert ys == sorted(ys, reverse=True)  # larger values higher up
    assert chart["yticks"][0]["text"] == "0"  # the axis starts at 0
