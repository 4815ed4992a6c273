"""Faults: the seeded fault-injecting sample server, and the Weibo crawler surviving it.

Unit level: the injector's determinism, rates, bursts and thread safety; every fault kind as a client sees it
on the wire. End to end (real `scrapy crawl weibo` subprocesses, scenario shared with bench/faults.py): a
20-account, 5,000-post panel crawled through 5xx, dropped connections, timeouts, truncated and garbage bodies,
418/432 bursts and 429s gets every post exactly once; permanent failures get the right status while the
other accounts complete. Run with -s to see the figures.
"""

from __future__ import annotations

import contextlib
import html
import http.client
import json
import subprocess
import sys
import time
from collections import Counter
from types import SimpleNamespace

import pytest

from bench.faults import ANCHOR, crawl_sample, expected_posts, report, scenario_spec, verdicts
from benchmark.middlewares import RetryAfterMiddleware, parse_retry_after
from benchmark.platforms.weibo.middlewares import BanDetectionMiddleware
from benchmark.sample.faults import (
    FAULTS_PATH,
    HOSTILE,
    PROFILES,
    RATE_KINDS,
    Fault,
    FaultInjector,
    FaultProfile,
    load_profile,
)
from benchmark.sample.panel import Panel, synthetic_spec
from benchmark.sample.server import start_server
from benchmark.sample.testing import PROJECT_ROOT, URL_PREFIX
from tests.toolkit.threads import gather_in_threads

FAULT_SEED = 42
SMALL = scenario_spec(1, 30, seed=3)
UID = SMALL["accounts"][0]["id"]
TIMELINE = f"/weibo/api/container/getIndex?containerid=107603{UID}"


def kinds(injector: FaultInjector, numbers: range) -> Counter[str]:
    return Counter(fault.kind for n in numbers if (fault := injector.fault_for(n)) is not None)


def only(kind: str, **fields: object) -> FaultInjector:
    """An injector that gives every request the fault `kind`."""
    return FaultInjector(1, FaultProfile(kind, {kind: 1.0}, burst_count=0, **fields))


def fetch(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def small_panel() -> Panel:
    return Panel.from_spec(SMALL)


# ------------------------------------------------------------------------------------- the injector


def test_the_fault_sequence_is_a_function_of_the_seed() -> None:
    first, again, other = FaultInjector(7), FaultInjector(7), FaultInjector(8)
    numbers = range(1, 3000)
    assert [first.fault_for(n) for n in numbers] == [again.fault_for(n) for n in numbers]
    assert [first.fault_for(n) for n in numbers] != [other.fault_for(n) for n in numbers]
    assert first.bursts == again.bursts


def test_rates_follow_the_profile() -> None:
    injector = FaultInjector(3)
    counts = kinds(injector, range(1, 40_001))
    for kind, rate in PROFILES["default"].rates.items():
        assert abs(counts[kind] / 40_000 - rate) < 0.25 * rate + 0.001, (kind, counts[kind])
    assert counts["ban_418"] == counts["ban_432"] == 3


def test_bursts_are_consecutive_and_inside_their_window() -> None:
    for seed in range(50):
        injector = FaultInjector(seed)
        starts = [start for start, _status in injector.bursts]
        assert len(starts) == 2 and all(10 <= s < 200 for s in starts)
        for start, status in injector.bursts:
            assert [injector.fault_for(n).status for n in range(start, start + 3)] == [status] * 3
        assert {status for _, status in injector.bursts} == {418, 432}
        assert starts[1] - starts[0] > 3  # never overlapping, never merged into one long burst


def test_only_platform_requests_are_numbered() -> None:
    injector = FaultInjector(1, PROFILES["none"])
    for path in ("/robots.txt", FAULTS_PATH, "/", "/favicon.ico"):
        assert injector.draw(path) is None
    injector.draw(TIMELINE)
    injector.draw("/telegram/s/brand0_channel")
    assert injector.snapshot()["requests"] == 2
    profile = load_profile('{"rates": {"malformed": 1}, "only_paths": ["/weibo/statuses/extend"]}')
    extend_only = FaultInjector(1, profile)
    assert extend_only.draw(TIMELINE) is None
    assert extend_only.draw("/weibo/statuses/extend?id=1").kind == "malformed"


def test_draws_are_thread_safe() -> None:
    injector = FaultInjector(11, PROFILES["heavy"])
    results: list[Fault | None] = gather_in_threads(lambda: [injector.draw(TIMELINE) for _ in range(2_500)], 8)
    snapshot = injector.snapshot()
    assert snapshot["requests"] == 20_000
    # Whatever the interleaving, the 20,000 numbers were each drawn once: the totals match the pure sequence.
    assert Counter(f.kind for f in results if f) == kinds(injector, range(1, 20_001)) == Counter(snapshot["faults"])


def test_profiles_are_validated() -> None:
    with pytest.raises(ValueError, match="unknown fault kinds"):
        FaultProfile("x", {"meteor": 0.1})
    with pytest.raises(ValueError, match="sum to at most 1"):
        FaultProfile("x", {"drop": 0.7, "slow": 0.7})
    with pytest.raises(ValueError):
        load_profile("not-a-profile")
    assert load_profile("heavy") is PROFILES["heavy"]
    assert load_profile('{"burst_count": 0, "slow_seconds": 1}').slow_seconds == 1
    assert set(PROFILES["default"].rates) == set(RATE_KINDS)


# ----------------------------------------------------------------------------- faults on the wire


def test_http_errors_and_garbage_bodies(small_panel: Panel) -> None:
    with start_server(small_panel, faults=only("http_5xx")) as server:
        statuses = {fetch(server.port, TIMELINE)[0] for _ in range(30)}
    assert statuses == {500, 502, 503}
    with start_server(small_panel, faults=only("malformed")) as server:
        bodies = [fetch(server.port, TIMELINE) for _ in range(30)]
    assert {status for status, _, _ in bodies} == {200}
    for _status, _headers, body in bodies:
        with pytest.raises(ValueError):
            json.loads(body)


def test_dropped_connections_and_truncated_transfers(small_panel: Panel) -> None:
    with start_server(small_panel, faults=only("drop")) as server, pytest.raises(http.client.RemoteDisconnected):
        fetch(server.port, TIMELINE)
    with start_server(small_panel, faults=only("truncated_close")) as server, \
            pytest.raises(http.client.IncompleteRead):
        fetch(server.port, TIMELINE)
    with start_server(small_panel, faults=only("truncated_cut")) as server:
        status, headers, body = fetch(server.port, TIMELINE)
        clean_length = len(server.site.handle(TIMELINE, "127.0.0.1").body)
    assert status == 200 and int(headers["Content-Length"]) == len(body) < clean_length
    with pytest.raises(ValueError):
        json.loads(body)


def test_slow_responses_come_after_the_delay(small_panel: Panel) -> None:
    with start_server(small_panel, faults=only("slow", slow_seconds=0.5)) as server:
        started = time.monotonic()
        status, _, body = fetch(server.port, TIMELINE)
    assert time.monotonic() - started >= 0.5
    assert status == 200 and json.loads(body)["ok"] == 1


def test_429_in_both_retry_after_forms(small_panel: Panel) -> None:
    with start_server(small_panel, faults=only("retry_after_seconds")) as server:
        status, headers, _ = fetch(server.port, TIMELINE)
    assert status == 429 and headers["Retry-After"] == "1"
    with start_server(small_panel, faults=only("retry_after_date")) as server:
        status, headers, _ = fetch(server.port, TIMELINE)
    assert status == 429 and headers["Retry-After"].endswith(" GMT")
    assert 1 <= parse_retry_after(headers["Retry-After"]) <= 3  # what the crawler's middleware will wait


def test_the_same_url_succeeds_on_retry_and_robots_stays_clean(small_panel: Panel) -> None:
    injector = FaultInjector(5, FaultProfile("quick", PROFILES["heavy"].rates, slow_seconds=0.2))
    with start_server(small_panel, faults=injector) as server:
        assert all(fetch(server.port, "/robots.txt")[0] == 200 for _ in range(20))
        outcomes: list[int | str] = []
        for _ in range(60):
            try:
                status, _, body = fetch(server.port, TIMELINE)
                outcomes.append(status if status != 200 or json.loads(body or b"0") else "bad")
            except (http.client.HTTPException, ConnectionError, ValueError):
                outcomes.append("broken")
        snapshot = json.loads(fetch(server.port, FAULTS_PATH)[2])
    planned = [injector.fault_for(n) for n in range(1, 61)]  # sequential requests get numbers 1..60
    assert all(outcome == 200 for outcome, fault in zip(outcomes, planned, strict=True) if fault is None)
    assert 200 in outcomes and set(outcomes) != {200}  # the URL failed sometimes and succeeded on retry
    assert snapshot["requests"] == 60  # robots.txt and /__faults are not numbered
    assert snapshot["total_faults"] == sum(fault is not None for fault in planned) > 0


def test_the_cli_prints_fault_counts_when_terminated(tmp_path) -> None:
    spec_file = tmp_path / "panel.json"
    spec_file.write_text(json.dumps(SMALL), encoding="utf-8")
    command = [sys.executable, "-m", "benchmark.sample.server", "--panel-file", str(spec_file), "--faults", "9",
               "--fault-profile", "heavy"]
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().removeprefix(URL_PREFIX).strip()
        port = int(url.rsplit(":", 1)[1])
        for _ in range(10):
            with contextlib.suppress(http.client.HTTPException, ConnectionError):
                fetch(port, TIMELINE)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    line = next(line for line in stderr.splitlines() if line.startswith("SAMPLE_SERVER_FAULTS "))
    counts = json.loads(line.split(" ", 1)[1])
    assert counts["seed"] == 9 and counts["profile"]["name"] == "heavy" and counts["requests"] == 10
    assert process.returncode == 0


def test_a_bad_fault_profile_is_refused() -> None:
    done = subprocess.run([sys.executable, "-m", "benchmark.sample.server", "--faults", "1", "--fault-profile",
                           "meteor"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "--fault-profile" in done.stderr


# ------------------------------------------------------------------------- end to end: the crawler


SPEC = scenario_spec(20, 250)


@pytest.fixture(scope="module")
def panel() -> Panel:
    return Panel.from_spec(SPEC)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, panel):
    tmp = tmp_path_factory.mktemp("faults")
    clean = crawl_sample(SPEC, tmp / "clean")
    faulty = crawl_sample(SPEC, tmp / "faulty", fault_seed=FAULT_SEED)
    print("\n" + report(panel, clean, faulty))
    return clean, faulty


@pytest.mark.slow
def test_every_post_survives_the_faults(panel, runs) -> None:
    clean, faulty = runs
    expected = expected_posts(panel)
    assert len(panel.accounts) >= 20 and len(expected) >= 5_000
    assert set(clean.post_ids) == expected  # the baseline itself is complete
    assert faulty.returncode == 0, faulty.stderr[-3000:]
    assert faulty.duplicates == 0
    assert set(faulty.post_ids) == expected
    assert {status for status, _ in faulty.statuses.values()} == {"ok"} and len(faulty.statuses) == 20


@pytest.mark.slow
def test_every_kind_of_fault_was_met_and_cost_retries(runs) -> None:
    clean, faulty = runs
    injected = faulty.server["faults"]
    assert set(injected) == {*RATE_KINDS, "ban_418", "ban_432"}, injected
    assert faulty.server["requests"] >= clean.requests
    assert faulty.requests > clean.requests and faulty.retries > 0
    # Every HTTP-level fault Scrapy saw was retried: 5xx, 418/432 and 429 each appear as a retry reason.
    reasons = " ".join(faulty.retry_reasons)
    for marker in ("50", "ban 418", "ban 432", "429 retry-after", "DownloadTimeoutError", "malformed_json"):
        assert marker in reasons, (marker, faulty.retry_reasons)


# Broken answers served with a normal status (cut bodies, junk, a proxy's page) plus dropped connections and
# 5xx: what a spider must notice by itself. No slow replies, so the three crawls stay short.
BROKEN_BODIES = json.dumps({"rates": {"truncated_cut": 0.15, "truncated_close": 0.1, "malformed": 0.1,
                                      "http_5xx": 0.1, "drop": 0.05}, "burst_count": 0})


@pytest.mark.slow
@pytest.mark.parametrize("platform", ["bluesky", "mastodon", "telegram"])
def test_the_other_spiders_get_every_post_through_broken_pages(platform, tmp_path) -> None:
    """The same posts as a clean crawl, none twice, every account ok. Before Telegram pages were checked for
    their closing </html> and their tgme_ markup, a cut page silently lost its newest posts and a junk page
    made the channel "not_found": 351 of 960 posts missing with this profile (seed 7)."""
    spec = scenario_spec(8, 120, platform=platform)
    clean = crawl_sample(spec, tmp_path / "clean", platform=platform)
    faulty = crawl_sample(spec, tmp_path / "faulty", fault_seed=7, profile=BROKEN_BODIES, platform=platform)
    injected = faulty.server["faults"]
    assert injected.get("truncated_cut", 0) + injected.get("malformed", 0) >= 3, injected
    assert len(clean.post_ids) >= 900 and clean.returncode == 0
    assert faulty.duplicates == 0
    assert set(faulty.post_ids) == set(clean.post_ids)
    assert {status for status, _ in faulty.statuses.values()} == {"ok"}, faulty.statuses
    assert faulty.returncode == 0


PERMANENT = synthetic_spec(6, 40, seed=21)
PERMANENT["anchor"] = ANCHOR
WALLED, GONE, PRIVATE, BANNED = (PERMANENT["accounts"][i]["id"] for i in (1, 2, 3, 4))
for _index, _behaviour in ((1, {"login_wall": "html"}), (2, {"not_found": True}), (3, {"private": True}),
                           (4, {"burst_418": 50})):  # 50 > 1 request + BAN_RETRY_TIMES: the ban never lifts
    PERMANENT["accounts"][_index]["behaviour"] = _behaviour


@pytest.mark.slow
def test_permanent_failures_get_their_status_while_the_rest_completes(tmp_path) -> None:
    panel = Panel.from_spec(PERMANENT)
    run = crawl_sample(PERMANENT, tmp_path, fault_seed=FAULT_SEED + 1)
    statuses = run.statuses
    assert statuses[WALLED][0] == "login_wall" and "WEIBO_COOKIE" in statuses[WALLED][1]
    assert statuses[GONE] == ("not_found", "no such Weibo account: its profile is empty (这里还没有内容)")
    assert statuses[PRIVATE] == ("private", "the account restricts who can see its posts (relation_display)")
    assert statuses[BANNED][0] == "blocked" and statuses[BANNED][1].startswith("HTTP 418: Weibo throttled")
    healthy = [a for a in panel.accounts if a.id not in (WALLED, GONE, PRIVATE, BANNED)]
    assert len(healthy) == 2
    for account in healthy:
        assert statuses[account.id][0] == "ok"
    wanted = {p.id for a in healthy for p in panel.posts_by_account[a.key] if panel.in_period(p)}
    assert set(run.post_ids) == wanted and run.duplicates == 0
    assert run.returncode == 3, run.stderr[-3000:]
    assert "4 account(s) not complete" in run.stderr
    # The report's data coverage section shows the gap, with each status and its reason.
    rendered = subprocess.run([sys.executable, "-m", "scrapy", "report", "--allow-outside", "--lang", "en",
                             "--config", str(tmp_path / "benchmark.toml"),
                             "-s", f"BENCHMARK_DB=sqlite:///{tmp_path / 'store.sqlite3'}", "-o", str(tmp_path / "r")],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    page = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    coverage = page[page.index('id="coverage"'):]
    for account, (status, message) in statuses.items():
        assert account in coverage and status in coverage
        if status != "ok":
            assert html.escape(message, quote=False)[:40] in coverage, (account, message)


# --------------------------------------------------------------------- crawler fixes these faults found


@pytest.mark.slow
def test_garbage_long_text_is_retried_until_the_full_text_arrives(tmp_path) -> None:
    spec = scenario_spec(4, 250, seed=17)
    panel = Panel.from_spec(spec)
    profile = json.dumps({"name": "long_text_garbage", "rates": {"malformed": 0.4}, "burst_count": 0,
                          "only_paths": ["/weibo/statuses/extend"]})
    run = crawl_sample(spec, tmp_path, fault_seed=FAULT_SEED, profile=profile)
    long_posts = {p.id for a in panel.accounts for p in panel.posts_by_account[a.key]
                  if panel.in_period(p) and p.long_text}
    assert len(long_posts) >= 15 and run.server["faults"].get("malformed", 0) > 0
    assert set(run.post_ids) == expected_posts(panel) and run.returncode == 0
    assert run.long_text_failed == 0, f"{run.long_text_failed} long posts kept their truncated text"


def _slot_pausers() -> tuple[RetryAfterMiddleware, BanDetectionMiddleware, SimpleNamespace]:
    from scrapy import Spider
    from scrapy.settings import Settings
    from scrapy.statscollectors import MemoryStatsCollector

    slot = SimpleNamespace(delay=0.0, lastseen=0.0)
    downloader = SimpleNamespace(slots={"host": slot}, get_slot_key=lambda request: "host")
    crawler = SimpleNamespace(settings=Settings({"RETRY_AFTER_MAX": 300, "BAN_BACKOFF_BASE": 30}),
                              engine=SimpleNamespace(downloader=downloader))
    crawler.stats = MemoryStatsCollector(crawler)
    crawler.spider = Spider("weibo")
    crawler.spider.crawler = crawler
    return RetryAfterMiddleware(crawler), BanDetectionMiddleware(crawler), slot


def test_a_418_during_a_429_pause_does_not_slow_the_host_for_good(monkeypatch) -> None:
    """Both middlewares share one pauser, so the 418 back-off never takes the paused delay for the normal one."""
    from scrapy import Request
    from scrapy.http import Response

    import benchmark.middlewares as middlewares

    clock = [1000.0]
    monkeypatch.setattr(middlewares.time, "monotonic", lambda: clock[0])
    retry_after, ban, slot = _slot_pausers()

    def respond(status: int, path: str, headers: dict | None = None) -> None:
        request = Request(f"http://host{path}")
        response = Response(request.url, status=status, headers=headers or {}, request=request)
        result = retry_after.process_response(request, response)  # 545 runs before 540 on the way back
        if isinstance(result, Response):
            ban.process_response(request, result)

    respond(429, "/a", {"Retry-After": "60"})
    assert slot.delay == 60  # the host is paused as asked
    respond(418, "/b")  # an in-flight request comes back banned during the pause
    clock[0] += 61  # the retry is sent after both pauses
    respond(200, "/a")  # the retry succeeds: both pauses are over
    respond(200, "/c")
    assert slot.delay == 0.0  # DOWNLOAD_DELAY of this crawler


def test_a_response_already_in_flight_does_not_end_a_retry_after_pause() -> None:
    from scrapy import Request
    from scrapy.http import Response

    retry_after, _ban, slot = _slot_pausers()
    request = Request("http://host/a")
    retry_after.process_response(request, Response(request.url, status=429, headers={"Retry-After": "60"},
                                                   request=request))
    in_flight = Request("http://host/sent-before-the-429")
    retry_after.process_response(in_flight, Response(in_flight.url, status=200, request=in_flight))
    assert slot.delay == 60  # the server asked for 60 s; nothing has waited yet


# ----------------------------------------------------------- hostile answers: ok is earned, never assumed

HOSTILE_SPEC = {platform: scenario_spec(3, 250, seed=31, platform=platform)
                for platform in ("weibo", "bluesky", "mastodon")}
# 250 posts: several pages on every platform (Weibo 10, Mastodon 40, Bluesky 100 a page).
HOSTILE_SETTINGS = {"RETRY_TIMES": "2", "MAX_PAGES_PER_ACCOUNT": "40"}
HOSTILE_SCENARIOS = [
    ("date_9999", "weibo"), ("date_9999", "bluesky"), ("date_9999", "mastodon"),
    ("endless_cursor", "weibo"), ("endless_cursor", "bluesky"), ("endless_cursor", "mastodon"),
    ("stuck_cursor", "weibo"), ("stuck_cursor", "bluesky"), ("stuck_cursor", "mastodon"),
    ("foreign_uri", "mastodon"),
    # Unstorable values: the store refuses the bad row alone, stores the rest and says which accounts a commit
    # held (issue 14 item 1, benchmark.signals).
    ("huge_count", "weibo"), ("huge_count", "mastodon"), ("surrogate", "bluesky"),
]


@pytest.fixture(scope="module")
def clean_hostile_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile-clean")
    runs = {platform: crawl_sample(spec, tmp / platform, platform=platform, settings=HOSTILE_SETTINGS)
            for platform, spec in HOSTILE_SPEC.items()}
    for platform, run in runs.items():
        assert run.returncode == 0 and {s for s, _ in run.statuses.values()} == {"ok"}, (platform, run.statuses)
    return runs


@pytest.mark.slow
@pytest.mark.parametrize(("hostile", "platform"), HOSTILE_SCENARIOS)
def test_a_hostile_server_never_gets_an_incomplete_account_called_ok(hostile, platform, clean_hostile_runs,
                                                                      tmp_path) -> None:
    """Every account complete (every post the clean crawl stored, less those served with a changed date, is
    stored; none twice; none foreign) or not ok with a reason; exit 3 when any is not ok. Before `ok` was
    earned: endless cursors crawled 363-763 requests and ended ok, a stuck Weibo since_id ended ok with the rest
    missing, foreign statuses were stored under the crawled account, year-9999 dates ended ok with 0 posts."""
    assert hostile in HOSTILE
    profile = json.dumps({"name": hostile, "rates": {}, "burst_count": 0, "hostile": hostile})
    clean = clean_hostile_runs[platform]
    run = crawl_sample(HOSTILE_SPEC[platform], tmp_path, fault_seed=1, profile=profile, platform=platform,
                       settings=HOSTILE_SETTINGS, timeout=300)
    spoiled = set(run.server.get("spoiled", ()))
    verdict = verdicts(clean, run, spoiled)
    print(f"\n{hostile}/{platform}: exit {run.returncode}, {run.requests} requests, peak {run.peak_mb:.0f} MB, "
          f"posts {sum(map(len, run.posts_by_account.values()))}/{sum(map(len, clean.posts_by_account.values()))}, "
          f"{run.server.get('faults')}, {run.statuses}")
    assert run.server["faults"].get(f"hostile_{hostile}", 0) > 0  # the server really answered that way
    assert set(verdict.values()) <= {"complete", "not ok"}, verdict
    assert len(verdict) == len(clean.statuses)
    not_ok = [a for a, v in verdict.items() if v == "not ok"]
    assert run.returncode == (3 if not_ok else 0), run.stderr[-3000:]
    assert run.requests <= 3 * (len(clean.statuses) * 45)  # bounded: the page cap (40) stops any loop
    if hostile in ("endless_cursor", "stuck_cursor", "foreign_uri"):
        assert not_ok, "every account of this scenario misses posts: none may be ok"
