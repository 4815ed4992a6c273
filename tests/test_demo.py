"""`scrapy demo`, run exactly as the README says, tells the product's story with the right accounts."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmark.platforms import names
from tests.crawl_helpers import PROJECT_ROOT

OWN, BOUGHT, BROADCASTER, FAN_FRIENDLY = "5823419706", "3390174826", "2718890453", "1938472261"


def readme_demo_command() -> list[str]:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    lines = [line.strip() for line in quick_start.strip().splitlines()]
    assert len(lines) == 2, "the quick start is two commands: install, then run the demo"
    assert lines[1] == "scrapy demo"
    return [sys.executable, "-m", "scrapy", "demo"]


@pytest.fixture(scope="module")
def demo() -> tuple[subprocess.CompletedProcess, Path]:
    done = subprocess.run(readme_demo_command(), cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    index = Path(done.stdout.strip().splitlines()[-1])
    return done, index.parent


def rows(folder: Path, name: str) -> list[dict]:
    with open(folder / name, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def metric(folder: Path, account_id: str, name: str) -> float:
    values = [r["value"] for r in rows(folder, "metrics.csv") if r["account_id"] == account_id and r["metric"] == name]
    assert len(values) == 1 and values[0] != "", (account_id, name)
    return float(values[0])


def fired(folder: Path, rule: str) -> set[str]:
    return {r["account_id"] for r in rows(folder, "findings.csv") if r["rule"] == rule}


def test_demo_prints_the_report_path_and_writes_every_file(demo):
    done, folder = demo
    assert folder == PROJECT_ROOT / "reports" / "demo"
    for name in ("index.html", "metrics.csv", "posts.csv", "findings.csv"):
        assert (folder / name).stat().st_size > 0
    assert "[3/3] report ready" in done.stderr
    platforms = {r["platform"] for r in rows(folder, "metrics.csv")}
    assert platforms == set(names())  # every registered platform has demo accounts (benchmark/sample/panel.py)


def test_every_account_was_crawled_completely(demo):
    done, folder = demo
    summary = done.stderr[done.stderr.rindex("Summary:"):]  # the table, last on the console
    statuses = re.findall(rf"^\s+(\w+)\s+({'|'.join(names())})\s", summary, flags=re.M)
    accounts = {(r["platform"], r["account_id"]) for r in rows(folder, "metrics.csv")}  # the demo panel's
    assert len(accounts) >= 12 and len(statuses) >= len(accounts)
    assert {status for status, _platform in statuses} == {"ok"}


def test_a_clean_demo_prints_no_warning_or_error(demo):
    """The first command a marketer runs: a warning there (e.g. a Scrapy component complaining about our
    settings) reads as "something is broken"."""
    done, _folder = demo
    assert re.findall(r"^(?:.*\] )?(?:WARNING|ERROR|CRITICAL|warning|error): .*$", done.stderr, flags=re.M) == []
    log = Path(re.search(r"; log: (\S+\.log)$", done.stderr, flags=re.M)[1])  # Scrapy's log is in logs/
    assert "] INFO: " in log.read_text(encoding="utf-8")
    assert re.findall(r"^.*\] (?:WARNING|ERROR|CRITICAL): .*$", log.read_text(encoding="utf-8"), flags=re.M) == []


def test_inflated_followers_on_the_bought_followers_peer_only(demo):
    _done, folder = demo
    assert fired(folder, "hollow_followers") == {BOUGHT}
    assert metric(folder, BOUGHT, "hollow_followers") == 1
    assert metric(folder, BOUGHT, "er_vs_panel") < 0.1
    assert metric(folder, OWN, "hollow_followers") == 0


def test_sales_floor_on_own(demo):
    _done, folder = demo
    assert OWN in fired(folder, "sales_floor")
    assert metric(folder, OWN, "purpose_share.sales") >= 0.30
    exemplars = {r["account_id"] for r in rows(folder, "metrics.csv") if r["role"] == "exemplar"}
    assert not exemplars & fired(folder, "sales_floor")


def test_self_indulgent_on_the_broadcaster(demo):
    _done, folder = demo
    assert BROADCASTER in fired(folder, "self_indulgent")
    assert metric(folder, BROADCASTER, "fan_repost_share") < 0.02
    assert FAN_FRIENDLY not in fired(folder, "self_indulgent")


def test_the_interactive_exemplar_leads_fan_reposting(demo):
    _done, folder = demo
    weibo = {r["account_id"] for r in rows(folder, "metrics.csv") if r["platform"] == "weibo"}
    shares = {account: metric(folder, account, "fan_repost_share") for account in weibo}
    assert max(shares, key=shares.get) == FAN_FRIENDLY
    assert shares[FAN_FRIENDLY] > 10 * shares[OWN]


def test_own_answers_few_fans_and_its_fans_complain(demo):
    _done, folder = demo
    assert OWN in fired(folder, "slow_answers") and OWN in fired(folder, "fans_complain")
    assert FAN_FRIENDLY not in fired(folder, "slow_answers") | fired(folder, "fans_complain")
    assert metric(folder, OWN, "comment_reply_rate") < 0.10 < metric(folder, FAN_FRIENDLY, "comment_reply_rate")
    assert metric(folder, OWN, "fan_voice_share.complaint") > 0.4



def test_the_demo_shows_follower_growth_from_earlier_snapshots(demo):
    """The demo ships earlier follower snapshots (issue 16), so the report draws a growth line, not one point."""
    _done, folder = demo
    snapshots: dict[str, set[str]] = {}
    for row in rows(folder, "followers.csv"):
        if row["platform"] == "weibo":
            snapshots.setdefault(row["account_id"], set()).add(row["crawled_at"])
    assert len(snapshots) == 6 and min(len(moments) for moments in snapshots.values()) >= 4, snapshots
