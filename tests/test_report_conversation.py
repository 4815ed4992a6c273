""""Talking with fans" from the comments crawl, end to end: answer-time buckets with their sample sizes, fan
voice shares, example comments and brand replies (escaped), the exemplar side by side, and the findings
slow_answers and fans_complain in findings.csv. The store is built by hand."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.toolkit.factories import panel_toml, write_batches, write_config
from tests.toolkit.reports import scrapy_report

CONFIG = panel_toml("talk", ("2026-07-01", "2026-07-31"), ("weibo", "1000000001", "own", "我们的品牌"),
                    ("weibo", "1000000003", "exemplar", "Best"), ("weibo", "1000000002", "peer", "No comments"))
OWN, BEST = "1000000001", "1000000003"
T0 = datetime(2026, 7, 3, 2, tzinfo=UTC)
COMPLAINTS = ["太难喝了，退款！", "客服不回复，差评", "Terrible service, never again", "等了三天还没发货，太慢了"]
PRAISE = ["好喝！爱了", "Love it"]
HOSTILE_COMMENT = '<img src=x onerror=alert(1)> 太难喝了，退款！'
HOSTILE_REPLY = "<b>抱歉</b>，已私信"


def post(post_id: str, account: str, day: int, comments: int) -> dict:
    return {"platform": "weibo", "post_id": post_id, "account_id": account, "created_at": T0 + timedelta(days=day),
            "kind": "original", "format": "image", "likes": 100, "comments": comments, "reposts": 1,
            "text": f"post {post_id}", "url": f"https://weibo.example/{post_id}"}


def comment(cid: str, post_id: str, author: str, at: datetime, text: str, parent: str | None = None,
            by_author: bool = False) -> dict:
    return {"platform": "weibo", "comment_id": cid, "post_id": post_id, "author_id": author,
            "author_is_organization": by_author, "created_at": at, "text": text, "parent_comment_id": parent,
            "is_by_post_author": by_author, "likes": 1}


def own_comments() -> list[dict]:
    """12 fan comments under o1 (10 complaints, 2 praise); only the first is answered, after 30 hours."""
    texts = [HOSTILE_COMMENT, *(COMPLAINTS * 3)[:9], *PRAISE]
    out = [comment(f"oc{i}", "o1", f"anon:f{i}", T0 + timedelta(hours=1, minutes=i), text)
           for i, text in enumerate(texts)]
    out.append(comment("oc0-r", "o1", OWN, T0 + timedelta(hours=31), HOSTILE_REPLY, parent="oc0", by_author=True))
    return out


def best_comments() -> list[dict]:
    """10 fan comments under b1 (praise and questions), answered after 1 h (6 of them) and 5 h (2)."""
    out = []
    for i in range(10):
        asked = T0 + timedelta(days=1, hours=1, minutes=i)
        out.append(comment(f"bc{i}", "b1", f"anon:g{i}", asked, "好喝！爱了" if i % 2 else "什么时候发货？"))
        if i < 8:
            out.append(comment(f"bc{i}-r", "b1", BEST, asked + timedelta(hours=1 if i < 6 else 5),
                               "谢谢喜欢，明天发货哦", parent=f"bc{i}", by_author=True))
    return out


def build_store(path: Path) -> str:
    posts = [post("o1", OWN, 0, 40), post("o2", OWN, 2, 0), post("b1", BEST, 1, 20), post("p1", "1000000002", 1, 5)]
    return write_batches(path, [("r1", {"post_rows": posts, "comment_rows": own_comments() + best_comments(),
                                        "account_rows": [{"platform": "weibo", "account_id": a, "followers": 1000,
                                                          "crawled_at": T0} for a in (OWN, BEST, "1000000002")]})])


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("talk")
    config = write_config(base, CONFIG)
    out = base / "out"
    proc = scrapy_report("--config", str(config), "-s",
                         f"BENCHMARK_DB={build_store(base / 'store.sqlite3')}", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    html = (out / "index.html").read_text(encoding="utf-8")
    section = html.split('id="fans"', 1)[1].split("</section>", 1)[0]
    return {"out": out, "html": html, "fans": section}


def rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def metric(report: dict, account: str, name: str) -> tuple[str, str]:
    found = [(r["value"], r["n"]) for r in rows(report["out"] / "metrics.csv")
             if r["account_id"] == account and r["metric"] == name]
    assert len(found) == 1
    return found[0]


def test_metrics_csv_has_the_answer_times_with_their_sample_sizes(report):
    assert metric(report, OWN, "comment_reply_rate") == (f"{1 / 12:.12g}", "12")
    assert metric(report, OWN, "response_time_median_h") == ("30", "1")
    assert metric(report, OWN, "answered_share.over-24h") == (f"{1 / 12:.12g}", "12")
    assert metric(report, BEST, "answered_share.0-2h") == ("0.6", "10")
    assert metric(report, BEST, "answered_share.2-8h") == ("0.2", "10")
    assert metric(report, BEST, "comment_coverage") == (f"{18 / 20:.12g}", "1")  # 18 stored, counter 20
    assert metric(report, "1000000002", "comment_reply_rate") == ("", "0")


def test_fan_voice_shares_in_metrics_csv(report):
    value, n = metric(report, OWN, "fan_voice_share.complaint")
    assert n == "12" and float(value) == pytest.approx(10 / 12)
    assert float(metric(report, BEST, "fan_voice_share.complaint")[0]) == 0.0


def test_slow_answers_and_fans_complain_fire_for_own_only(report):
    found = rows(report["out"] / "findings.csv")
    fired = {(r["rule"], r["account_id"]) for r in found}
    assert ("slow_answers", OWN) in fired and ("fans_complain", OWN) in fired
    assert not {("slow_answers", BEST), ("fans_complain", BEST)} & fired
    complain = next(r for r in found if r["rule"] == "fans_complain")
    assert "complaint comments: 83.3 %" in complain["numbers"] and "fan comments: 12" in complain["numbers"]
    html = report["html"]
    assert "Fans mostly complain" in html and "Fans&#39; comments go unanswered (rarely answers)" in html


def test_talking_with_fans_shows_samples_buckets_and_voice(report):
    fans = report["fans"]
    assert "Answering fans' comments" in fans and "What fans say" in fans
    answering = fans.split("Answering fans' comments", 1)[1]
    own = answering.split("我们的品牌</bdi></th>", 1)[1].split("</tr>", 1)[0]
    assert "8.3 %" in own and "(1)" in own and "30.0 h" in own  # 1 of 12 answered, after 30 h
    assert "No comments</bdi></th><td colspan" in fans  # the peer: no comments sampled, said so
    assert "complaint" in fans and "83 %" in fans


def test_example_comments_and_replies_are_escaped(report):
    fans = report["fans"]
    assert "<img src=x" not in report["html"] and "<b>抱歉</b>" not in report["html"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in fans
    assert "&lt;b&gt;抱歉&lt;/b&gt;，已私信" in fans  # the brand's answer, side by side with the exemplar's
    assert "谢谢喜欢，明天发货哦" in fans


def test_side_by_side_puts_the_exemplar_next_to_own(report):
    fans = report["fans"]
    block = fans.split("我们的品牌 and the exemplars", 1)[1]
    assert block.index("我们的品牌") < block.index("Best")
    assert "Answered <b>80.0 %</b> of 10 fan comments" in block


def test_report_xlsx_has_the_conversation_sheet(report):
    from openpyxl import load_workbook

    sheet = load_workbook(report["out"] / "report.xlsx", read_only=True)["talking with fans"]
    table = list(sheet.iter_rows(values_only=True))
    header = table[0]
    own = next(r for r in table[1:] if r[0] == "我们的品牌")
    assert own[header.index("fan top-level comments")] == 12
    assert own[header.index("complaint comments")] == 10


def test_recommendation_to_answer_fans_shows_how_the_exemplar_answers(report):
    recs = report["html"].split('id="recommendations"', 1)[1].split("</section>", 1)[0]
    assert "Best answers 80.0 % of fans&#39; comments; you answer 8.3 %." in recs
    assert "How Best answers:" in recs and "谢谢喜欢，明天发货哦" in recs
    assert 'href="https://weibo.example/b1"' in recs  # the post the answers are under
