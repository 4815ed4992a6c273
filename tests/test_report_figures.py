"""Figures a marketer would act on (issue 16): date-only Weibo posts stay out of every hour-of-day figure, a
metric resting on nothing is undefined (never 0 in a peer median), breakouts need real engagement, tiny
figures keep significant digits, texts never break on empty values; CSV cells and bidi text are inert."""

from __future__ import annotations

import csv
import math
import re
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from benchmark.config import load_config
from benchmark.i18n import use_language
from benchmark.metrics.compute import compute_metrics
from benchmark.metrics.findings import evaluate_findings, scorecard
from benchmark.metrics.load import load_panel, open_store
from benchmark.platforms.weibo.parser import parse_status
from benchmark.report.analyses import analyse
from benchmark.report.build import build_report
from benchmark.report.context import report_context
from benchmark.report.exports import csv_safe, neutralised
from benchmark.report.html import render_html
from benchmark.report.sections.common import ordered_accounts, post_view
from benchmark.report.sections.findings import brand_findings
from benchmark.store import Store
from tests.toolkit.factories import panel_toml, write_batches, write_config

CONFIG = panel_toml("figures", ("2026-07-01", "2026-07-28"), ("weibo", "1000000001", "own", "Own"),
                    ("weibo", "1000000002", "peer", "Busy Peer"), ("weibo", "1000000003", "peer", "Silent Peer"),
                    ("weibo", "1000000004", "peer", "Other Peer"), ("weibo", "1000000005", "exemplar", "Best"))
SHANGHAI_MIDNIGHT = 16  # 00:00 in Shanghai is 16:00 UTC the day before
RLO = "\u202e"
HOSTILE = f"{RLO}evil text =cmd|' /C calc'!A0"


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 7, 1, tzinfo=UTC) + timedelta(days=day - 1, hours=hour)


def weibo(post_id: str, account: str, created: datetime, likes: int = 5, **extra: object) -> dict:
    return {"platform": "weibo", "post_id": post_id, "account_id": account, "created_at": created,
            "kind": "original", "format": extra.pop("format", "image"), "likes": likes, "comments": 1,
            "reposts": 1, "text": extra.pop("text", f"post {post_id}"), "url": f"https://weibo.example/{post_id}",
            **extra}


def own_posts() -> list[dict]:
    # 12 timed posts at 10:00 Shanghai (02:00 UTC); 4 date-only posts stored at 00:00 Shanghai.
    timed = [weibo(f"t{i}", "1000000001", at(2 + i, 2)) for i in range(12)]
    dated = [weibo(f"d{i}", "1000000001", at(2 + i, SHANGHAI_MIDNIGHT), likes=40, date_only=True)
             for i in range(4)]
    return timed + dated


def other_posts() -> list[dict]:
    busy = [weibo(f"b{i}", "1000000002", at(1 + i, 3), likes=50) for i in range(20)]
    other = [weibo(f"x{i}", "1000000004", at(1 + i, 4), likes=30) for i in range(8)]
    # An exemplar whose one post with a single like stands far out of a row of zero-engagement posts.
    best = [weibo(f"e{i}", "1000000005", at(1 + i, 5), likes=0, comments=0, reposts=0) for i in range(15)]
    for post in best:
        post["comments"] = post["reposts"] = 0
    best.append({**weibo("e-lone", "1000000005", at(20, 5), likes=1), "comments": 0, "reposts": 0})
    return busy + other + best


def hostile_posts() -> list[dict]:
    return [weibo("=HYPERLINK(\"http://x\")", "1000000004", at(9, 4), text=HOSTILE,
                  url="-2+3+cmd|' /C calc'!A0", likes=3000)]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("figures")
    config_path = write_config(base, CONFIG)
    accounts = [{"platform": "weibo", "account_id": f"100000000{i}", "followers": 10_000 * i,
                 "crawled_at": at(1, 0), "label": f"=label{i}" if i == 4 else None} for i in range(1, 6)]
    # One fan comment under an own post, not answered: "of 1 fans' comments" / a full 100 % bar before.
    comment = {"platform": "weibo", "comment_id": "c1", "post_id": "t0", "author_id": "fan1",
               "author_is_organization": False, "created_at": at(3, 5), "text": "好喝吗？", "likes": 0}
    url = write_batches(base / "store.sqlite3", [
        ("r1", {"account_rows": accounts, "post_rows": own_posts() + other_posts() + hostile_posts(),
                "comment_rows": [comment]}),
        # weekly crawls of the own account: follower growth as a line
        *((f"w{day}", {"account_rows": [{"platform": "weibo", "account_id": "1000000001",
                                         "followers": 10_000 + 100 * day, "crawled_at": at(day, 3)}]})
          for day in (8, 15, 22))])
    config = load_config(config_path)
    with use_language("en"):
        panel = load_panel(open_store(url), config)
        metrics = compute_metrics(panel)
        findings = evaluate_findings(metrics, config.thresholds)
        context = report_context(panel, metrics, findings)
        html = render_html(context)
        result = build_report(config=config, db_url=url, output=base / "out", language="en")
    return {"panel": panel, "metrics": metrics, "context": context, "html": html, "out": result.folder,
            "url": url, "config": config}


def value(metrics: pd.DataFrame, label: str, metric: str) -> tuple[float, int]:
    row = metrics[(metrics["label"] == label) & (metrics["metric"] == metric)].iloc[0]
    return float(row["value"]), int(row["n"])


# -- 1. date-only Weibo dates ---------------------------------------------------------------------------
NOW = datetime(2026, 8, 10, 4, tzinfo=UTC)


def mblog(created_at: str) -> dict:
    return {"id": "5000000000000001", "created_at": created_at, "text": "hi",
            "user": {"id": 1000000001, "screen_name": "x"}}


@pytest.mark.parametrize(("created_at", "date_only"), [
    ("07-05", True), ("2025-07-05", True), ("07-05 10:20", False), ("昨天 10:20", False),
    ("Tue Jul 07 10:20:30 +0800 2026", False), ("3小时前", False), ("2025-07-05 10:20", False),
])
def test_a_weibo_date_without_a_time_of_day_is_date_only(created_at, date_only):
    post = parse_status(mblog(created_at), crawled_at=NOW)
    assert post.date_only is date_only


def test_date_only_posts_are_left_out_of_the_timing_grid_and_the_count_is_stated(built):
    heat = {h["title"]: h for h in built["context"]["heatmaps"]}
    own = heat["Own (own)"]
    assert own["timed"] == 12 and own["untimed"] == 4
    drawn = [c for c in own["chart"]["cells"] if c["text"]]
    assert sum(int(c["text"]) for c in drawn) == 12
    assert not any(c["title"].split(" ", 1)[1].startswith("00:00") for c in drawn)
    html = built["html"]
    assert "4 posts with a date but no time of day" in html


def test_date_only_posts_show_no_midnight_in_post_lists(built):
    panel = built["panel"]
    dated = panel.posts[panel.posts["post_id"] == "d0"].iloc[0]
    view = post_view(dated, ordered_accounts(panel))
    assert "00:00" not in view["date"] and view["date"].strip()


def test_best_time_sentence_rests_on_timed_posts_only(built):
    sentence = built["context"]["best_time"]["Own"]
    assert "10:00" in sentence and "00:00" not in sentence


# -- 2. n = 0 is undefined -------------------------------------------------------------------------------
def test_an_account_without_posts_has_no_posts_per_week(built):
    rate, n = value(built["metrics"], "Silent Peer", "posts_per_week")
    assert n == 0 and math.isnan(rate)


def test_a_peer_without_posts_is_not_a_zero_in_the_peer_median(built):
    card = scorecard(built["metrics"])
    row = card[card["metric"] == "posts_per_week"].iloc[0]
    busy, other = value(built["metrics"], "Busy Peer", "posts_per_week")[0], value(
        built["metrics"], "Other Peer", "posts_per_week")[0]
    assert row["peer_median"] == pytest.approx((busy + other) / 2)


def test_metrics_csv_leaves_undefined_values_empty(built):
    with open(built["out"] / "metrics.csv", encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["label"] == "Silent Peer"]
    assert {r["value"] for r in rows if r["n"] == "0" and r["metric"] != "posts"} == {""}
    assert [r["value"] for r in rows if r["metric"] == "posts"] == ["0"]  # the count itself: 0 stored


# -- 3. breakouts, rounding, empty values -----------------------------------------------------------------
def test_a_post_with_one_engagement_is_no_breakout(built):
    breakouts = analyse(built["panel"], built["metrics"]).breakouts
    assert "e-lone" not in set(breakouts["post_id"])


@pytest.mark.parametrize(("metric", "raw", "expected"), [
    ("er_median", 0.0000042, "0.0042 ‰"), ("fan_repost_share", 0.00042, "0.042 %"),
    ("er_median", 0.0, "0.00 ‰"), ("engagement_mean", 0.004, "0.004"),
])
def test_figures_that_round_to_zero_keep_significant_digits(metric, raw, expected):
    from benchmark.metrics.catalog import format_value

    with use_language("en"):
        assert format_value(metric, raw) == expected


# -- issue 14 items 13 and 14: CSV cells and bidi ---------------------------------------------------------
FORMULA = re.compile(r"^\s*[=+\-@\t\r]")


@pytest.mark.parametrize("name", ["posts.csv", "metrics.csv", "findings.csv"])
def test_no_csv_cell_starts_a_formula(built, name):
    with open(built["out"] / name, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    risky = [cell for row in rows[1:] for cell in row if FORMULA.match(cell) and not _number(cell)]
    assert risky == []


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_the_neutraliser_catches_formulas_after_leading_whitespace():
    cells = pd.Series(["=1+1", " =1+1", "\t@SUM(A1)", "\n-2+3", "+1", "-0.5x", "plain", None, "a=b"])
    out = neutralised(cells)
    assert list(out[:6]) == ["'=1+1", "' =1+1", "'\t@SUM(A1)", "'\n-2+3", "'+1", "'-0.5x"]
    assert list(out[6:7]) == ["plain"] and out[8] == "a=b"


def test_xlsx_cells_are_neutralised(built):
    from openpyxl import load_workbook

    book = load_workbook(built["out"] / "report.xlsx")
    risky = [c.value for sheet in book for row in sheet.iter_rows() for c in row
             if isinstance(c.value, str) and FORMULA.match(c.value)]
    assert risky == []


def test_user_text_is_bidi_isolated(built):
    html = built["html"]
    assert RLO in html
    for match in re.finditer(RLO, html):
        before = html[:match.start()]
        assert before.rfind("<bdi") > before.rfind("</bdi>"), html[match.start() - 200:match.start() + 50]


# -- the first screen ----------------------------------------------------------------------------------------
def test_summary_has_own_brand_first_and_a_light_per_story(built):
    summary = built["context"]["summary"]
    assert summary["rows"][0]["label"] == "Own"
    assert [r["role"] for r in summary["rows"]] == ["own", "peer", "peer", "peer", "exemplar"]
    assert all(len(r["cells"]) == len(summary["stories"]) == 6 for r in summary["rows"])
    silent = next(r for r in summary["rows"] if r["label"] == "Silent Peer")
    assert {c["light"] for c in silent["cells"]} == {"none"}  # no posts: no data, not green
    assert all(r["sentence"].startswith(r["label"]) for r in summary["rows"])


def test_findings_are_one_card_per_brand_and_story_listing_platforms():
    from tests.toolkit.reports import table

    panel = [("weibo", "Brand", "own"), ("bluesky", "Brand", "own"), ("weibo", "Rival", "peer")]
    metrics = table({0: {"fan_repost_share": 0.0}, 1: {"fan_repost_share": 0.0, "replies_to_others_share": 0.0},
                     2: {"fan_repost_share": 0.5}}, accounts=panel)
    with use_language("en"):
        cards = brand_findings(evaluate_findings(metrics, {}))
    talks = [c for c in cards if c["title"] == "Talks at fans, not with them"]
    assert len(talks) == 1 and [p["platform"] for p in talks[0]["platforms"]] == ["weibo", "bluesky"]
    assert talks[0]["detail"].count("Smartisan") == 1


def test_units_percent_shows_engagement_rates_in_percent(built, tmp_path):
    with use_language("en"):
        result = build_report(config=built["config"], db_url=built["url"], output=tmp_path / "pct",
                                     language="en", units="percent")
    html = result.path.read_text(encoding="utf-8")
    methodology = html.split('id="methodology"', 1)[1]
    assert "Shown in %." in methodology and "‰" not in html.split('id="methodology"', 1)[0]
    from benchmark.metrics.catalog import format_value, use_er_unit

    with use_language("en"), use_er_unit("percent"):
        assert format_value("er_median", 0.0052) == "0.520 %"


def test_units_must_be_known(built, tmp_path):
    from benchmark.metrics.load import ReportInputError

    with pytest.raises(ReportInputError, match="--units"):
        build_report(config=built["config"], db_url=built["url"], output=tmp_path / "x", units="bps")


def test_the_crawl_that_closes_the_period_counts_as_its_follower_snapshot():
    """A crawl on the period's last day can fall on the next day in the report's time zone: its snapshot is
    the period's, as in the coverage table (the demo said "no snapshot in the period" beside 1 snapshot)."""
    from benchmark.report import insights

    end = datetime(2026, 7, 28, 16, tzinfo=UTC)  # 2026-07-29 00:00 in Shanghai: the period's end
    snapshots = pd.DataFrame({"acct": [0, 0], "crawled_at": [datetime(2026, 7, 1, 2), datetime(2026, 7, 28, 22)],
                              "followers": [1000.0, 1100.0]})
    growth = insights.growth_table(snapshots, (datetime(2026, 6, 30, 16), end.replace(tzinfo=None)),
                                   pd.DataFrame({"acct": [0]}))
    assert growth.iloc[0]["snapshots"] == 2 and growth.iloc[0]["absolute"] == 100


def test_the_scorecard_is_also_a_picture(built):
    card = built["context"]["scorecard"][0]
    picture = card["picture"]
    assert picture["kind"] == "dots" and len(picture["rows"]) == len(card["rows"])
    colours = {d["color"] for r in picture["rows"] for d in r["dots"]}
    assert {"#c8364b", "#7b8794", "#1f8a7a"} <= colours  # own, peer median, best exemplar
    assert '<figure><svg class="chart"' in built["html"].split('id="scorecard"', 1)[1].split("</section>", 1)[0]


# -- views with their CSV files ---------------------------------------------------------------------------------
def read_csv(built, name: str) -> list[dict]:
    with open(built["out"] / name, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_engagement_by_format_csv(built):
    rows = [r for r in read_csv(built, "engagement_by_type.csv") if r["label"] == "Busy Peer"]
    image = next(r for r in rows if r["dimension"] == "format" and r["part"] == "image")
    assert image["posts"] == "20" and float(image["engagement_median"]) == 52  # 50 likes + 1 + 1 each
    assert {r["dimension"] for r in rows} == {"format", "purpose"}


def test_weekly_csv_counts_every_post_once(built):
    rows = read_csv(built, "weekly.csv")
    own = [r for r in rows if r["label"] == "Own"]
    assert sum(int(r["posts"]) for r in own) == 16
    assert all(datetime.fromisoformat(r["week"]).weekday() == 0 for r in rows)  # weeks start on Monday


def test_hashtags_csv_lists_the_top_tags_per_brand(built, tmp_path):
    from benchmark.report import views

    posts = pd.DataFrame({"acct": [0, 0, 0, 1], "post_id": ["a", "b", "c", "d"], "engagement": [1.0, 3.0, 5.0, 2.0],
                          "hashtags": ['["新品", "夏天"]', '["新品"]', "[]", '["=cmd"]']})
    accounts = pd.DataFrame({"platform": ["weibo", "weibo"], "account_id": ["1", "2"], "label": ["A", "B"],
                             "role": ["own", "peer"]}, index=[0, 1])
    table = views.hashtags(posts, accounts)
    assert table[table["label"] == "A"][["hashtag", "posts"]].values.tolist() == [["新品", 2], ["夏天", 1]]
    assert "'=cmd" in csv_safe(table)["hashtag"].tolist()


# -- charts: zero engagement and a median of 0 are shown, not hidden --------------------------------------------
def test_posts_without_engagement_are_a_share_not_the_left_edge():
    from benchmark.report import charts

    with use_language("en"):
        chart = charts.box_strip([charts.Row(label="A", role="own", values=[0, 0, 1, 2, 3, 4, 5, 6, 7, 8])], "‰", "t")
    row = chart["rows"][0]
    assert row["zero"] == "20 % of posts had no engagement"
    assert row["p10"] > chart["label_w"] + 1  # the distribution is of the posts with engagement


def test_an_account_with_a_median_of_zero_stays_in_the_audience_scatter():
    from benchmark.report import charts

    with use_language("en"):
        chart = charts.scatter([("A", "own", 1000.0, 5.0), ("Quiet", "peer", 50_000.0, 0.0)], "t", 0.001, 0.1)
    assert [p["full"] for p in chart["points"]] == ["A", "Quiet"]
    quiet = chart["points"][1]
    assert "median 0" in quiet["title"] and quiet["y"] == chart["top"] + chart["plot_h"]


def test_one_fan_comment_reads_as_one(built):
    html = built["html"]
    assert "of 1 fans" not in html and "of 1 fan comment" not in html
    assert "1 fan comment sampled, not answered." in html


def test_one_comment_is_not_drawn_as_a_full_bar():
    from benchmark.report import charts

    with use_language("en"):
        chart = charts.stacked([charts.Row(label="A", role="own", parts=[("praise", 1.0, 1), ("other", 0.0, 0)])],
                               ("praise", "other"), "t", unit="{count} comments", min_total=10)
    row = chart["rows"][0]
    assert row["segments"] == [] and row["note"] == "too few to draw (n = 1)"


def test_sales_is_not_drawn_in_a_colour_that_reads_as_good(built):
    legend = {item["text"]: item["color"] for item in built["context"]["charts"]["purpose"]["legend"]}
    green = {"#59a14f", "#1a9850", "#91cf60", "#1a7f37"}
    assert legend["sales"] not in green


def test_a_cut_row_label_keeps_its_platform():
    from benchmark.report import charts

    label = charts.fit("悦享咖啡 Joy Coffee Roasters Shanghai · Mastodon", charts.LABEL_W - 8)
    assert label.endswith("… · Mastodon") and charts.text_width(label, charts.FONT_PX) <= charts.LABEL_W - 8



def test_follower_growth_is_a_line_where_snapshots_exist(built):
    lines = built["context"]["views"]["followers"]
    assert len(lines) == 1 and [line["label"] for line in lines[0]["lines"]] == ["Own"]
    rows = read_csv(built, "followers.csv")
    assert [int(r["followers"]) for r in rows if r["label"] == "Own"] == [10_000, 10_800, 11_500, 12_200]


def test_the_demo_ships_earlier_follower_snapshots():
    from benchmark.sample.panel import demo_panel, follower_history

    panel = demo_panel(datetime(2026, 12, 7, tzinfo=UTC), seed=7)
    history = follower_history(panel)
    assert history == follower_history(demo_panel(datetime(2026, 12, 7, tzinfo=UTC), seed=7))  # reproducible
    own = [r for r in history if r["account_id"] == next(a.id for a in panel.accounts
                                                          if a.role == "own" and a.platform == "weibo")]
    assert len(own) == 12 and own[0]["followers"] > own[-1]["followers"]  # one a week back, growing



def test_the_demo_history_is_one_snapshot_a_week(tmp_path):
    from benchmark.sample.panel import demo_panel, write_follower_history

    panel = demo_panel(datetime(2026, 12, 7, tzinfo=UTC), seed=7)
    store = Store(f"sqlite:///{tmp_path / 'history.sqlite3'}")
    written = write_follower_history(store, panel)
    weibo = sum(1 for a in panel.accounts if a.platform == "weibo")
    assert written == 12 * weibo and store.count("account_snapshots") == written
    store.close()
