"""What faults cost: the same Weibo crawl against a clean and a fault-injecting sample server.

    python bench/faults.py [--accounts 20] [--posts 250] [--seed 42] [--profile default]
    python bench/faults.py --hostile endless_cursor [--platform bluesky] [--accounts 3] [--posts 250]

The scenario of tests/test_faults.py (which imports it from here): a synthetic Weibo panel, politeness off,
DOWNLOAD_TIMEOUT=2 (the server's slow faults sleep 3 s), RETRY_TIMES=8, BAN_BACKOFF_BASE=0.05. Prints the
faults the server injected per kind, Scrapy's requests and retries, time, posts expected vs stored,
duplicates, account statuses and long posts left truncated, for both runs.

With `--hostile NAME` (benchmark.sample.faults.HOSTILE), the clean crawl is followed by one against a server
giving that hostile answer on every timeline page; it prints, per account, whether it is complete or not ok
(the rule of docs/reliability.md), with posts, requests and peak memory: the figures of that doc's table.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmark.sample.faults import FAULTS_PATH  # noqa: E402
from benchmark.sample.panel import Panel, panel_config_toml, synthetic_spec  # noqa: E402
from benchmark.sample.testing import run_server_subprocess  # noqa: E402
from tests.crawl_helpers import run_crawl  # noqa: E402

ANCHOR = "2026-11-26T12:00:00+08:00"
# The server's slow faults sleep 3 s; the crawler gives up after 2 s and retries.
FAULT_SETTINGS = {"DOWNLOAD_TIMEOUT": "2", "RETRY_TIMES": "8", "BAN_BACKOFF_BASE": "0.05", "LOG_LEVEL": "WARNING",
                  # Scrapy's memusage extension samples the crawl's peak RSS (VmHWM) into memusage/max.
                  "MEMUSAGE_CHECK_INTERVAL_SECONDS": "0.5"}


def scenario_spec(accounts: int = 20, posts: int = 250, seed: int = 13, behaviour: dict | None = None,
                  platform: str = "weibo") -> dict:
    spec = synthetic_spec(accounts, posts, platform=platform, seed=seed, behaviour=behaviour)
    spec["anchor"] = ANCHOR
    return spec


def expected_posts(panel: Panel) -> set[str]:
    return {p.id for a in panel.accounts for p in panel.posts_by_account[a.key] if panel.in_period(p)}


@dataclass
class CrawlFigures:
    """One crawl as the store and Scrapy's stats saw it, plus the server's fault counts."""

    returncode: int
    seconds: float  # Scrapy's elapsed_time_seconds
    requests: int  # downloader/request_count
    retries: int  # retry/count
    retry_reasons: dict[str, int]
    post_ids: list[str]  # as stored: duplicates would show here
    statuses: dict[str, tuple[str, str]]  # account_id → (status, message)
    long_text_failed: int  # long posts stored with their truncated text
    stats: dict[str, Any]
    server: dict[str, Any] = field(default_factory=dict)  # /__faults (empty for a clean server)
    stderr: str = ""
    posts_by_account: dict[str, list[str]] = field(default_factory=dict)  # account id → stored post ids

    @property
    def peak_mb(self) -> float:
        """The crawl process's peak resident memory (Scrapy's memusage/max), in MB."""
        return float(self.stats.get("memusage/max", 0)) / 2**20

    @property
    def duplicates(self) -> int:
        return len(self.post_ids) - len(set(self.post_ids))


def crawl_sample(spec: dict, workdir: Path, fault_seed: int | None = None, profile: str = "default",
                 settings: dict | None = None, timeout: float = 900, platform: str = "weibo") -> CrawlFigures:
    """Serve `spec` (with faults when `fault_seed` is given), crawl it with `scrapy crawl <platform>`, measure."""
    workdir.mkdir(parents=True, exist_ok=True)
    panel = Panel.from_spec(spec)
    config = workdir / "benchmark.toml"
    config.write_text(panel_config_toml(panel), encoding="utf-8")
    extra_args = ("--faults", str(fault_seed), "--fault-profile", profile) if fault_seed is not None else ()
    # Weibo strict, as real Weibo: a request without the mobile web client's headers gets a login wall.
    with run_server_subprocess(spec, seed=None, anchor=spec["anchor"],
                               extra_args=("--strict-weibo", *extra_args)) as (url, _process):
        result = run_crawl(platform, base_url=url, db_path=workdir / "store.sqlite3", config_path=config,
                           settings={**FAULT_SETTINGS, **(settings or {})}, timeout=timeout)
        server = json.loads(urllib.request.urlopen(url + FAULTS_PATH, timeout=10).read()) if extra_args else {}
    runs = result.rows("select stats from crawl_runs order by started_at desc limit 1")
    stats = _as_dict(runs[0]["stats"]) if runs else {}
    statuses = {r["account_id"]: (r["status"], r["message"] or "") for r in result.rows(
        "select account_id, status, message from crawl_accounts")}
    return CrawlFigures(
        returncode=result.returncode,
        seconds=float(stats.get("elapsed_time_seconds", 0.0)),
        requests=int(stats.get("downloader/request_count", 0)),
        retries=int(stats.get("retry/count", 0)),
        retry_reasons={k.removeprefix("retry/reason_count/"): v for k, v in stats.items()
                       if k.startswith("retry/reason_count/")},
        post_ids=[r["post_id"] for r in result.rows("select post_id from posts")],
        statuses=statuses,
        long_text_failed=int(stats.get("weibo/long_text_failed", 0)),
        stats=stats,
        server=server,
        stderr=result.stderr,
        posts_by_account=_by_account(result.rows("select account_id, post_id from posts")),
    )


def _by_account(rows: list[dict]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for row in rows:
        grouped.setdefault(row["account_id"], []).append(row["post_id"])
    return grouped


def verdicts(clean: CrawlFigures, run: CrawlFigures, spoiled: set[str] = frozenset()) -> dict[str, str]:
    """Per account of `run`: "complete" (every post the clean crawl stored, less those the server `spoiled`, is
    stored; none twice, none foreign), "not ok" (a status other than ok, with a reason), or what is wrong."""
    out = {}
    for account_id, (status, message) in run.statuses.items():
        wanted = set(clean.posts_by_account.get(account_id, ())) - set(spoiled)
        stored = run.posts_by_account.get(account_id, [])
        foreign = set(stored) - set(clean.posts_by_account.get(account_id, ()))
        if len(stored) != len(set(stored)):
            out[account_id] = "DUPLICATES"
        elif foreign:
            out[account_id] = f"FOREIGN POSTS STORED: {len(foreign)}"
        elif status != "ok":
            out[account_id] = "not ok" if message else "NOT OK WITHOUT A REASON"
        elif wanted <= set(stored):
            out[account_id] = "complete"
        else:
            out[account_id] = f"OK BUT {len(wanted - set(stored))} POSTS MISSING"
    return out


def _as_dict(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value or {})


def report(panel: Panel, clean: CrawlFigures, faulty: CrawlFigures) -> str:
    """The figures of docs/reliability.md, as text."""
    expected = expected_posts(panel)
    server = faulty.server
    lines = [
        f"panel: {len(panel.accounts)} Weibo accounts, {len(expected)} posts in the period; "
        f"fault seed {server.get('seed')}, profile {server.get('profile', {}).get('name')}",
        f"faults injected: {server.get('total_faults')} of {server.get('requests')} platform requests: "
        + ", ".join(f"{kind} {n}" for kind, n in server.get("faults", {}).items()),
    ]
    for name, run in (("clean", clean), ("faults", faulty)):
        stored = set(run.post_ids)
        not_ok = {k: v for k, v in run.statuses.items() if v[0] != "ok"}
        lines.append(
            f"{name:>6}: exit {run.returncode}, {run.requests} requests, {run.retries} retries, "
            f"{run.seconds:.1f} s; posts stored {len(stored & expected)}/{len(expected)}, "
            f"unexpected {len(stored - expected)}, duplicates {run.duplicates}; accounts ok "
            f"{len(run.statuses) - len(not_ok)}/{len(run.statuses)}; long posts left truncated "
            f"{run.long_text_failed}")
        if not_ok:
            lines.append(f"        not ok: {not_ok}")
    lines.append(f" extra: {faulty.requests - clean.requests:+d} requests "
                 f"({(faulty.requests / max(clean.requests, 1) - 1) * 100:+.1f} %), "
                 f"{faulty.seconds - clean.seconds:+.1f} s ({faulty.seconds / max(clean.seconds, 1e-9):.1f}x)")
    lines.append(f"retry reasons: {dict(sorted(faulty.retry_reasons.items()))}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--posts", type=int, default=250)
    parser.add_argument("--seed", type=int, default=42, help="the fault seed")
    parser.add_argument("--profile", default="default", help="fault profile (benchmark.sample.faults.PROFILES)")
    parser.add_argument("--hostile", default="", help="a hostile answer (benchmark.sample.faults.HOSTILE)")
    parser.add_argument("--platform", default="weibo", choices=("weibo", "bluesky", "mastodon", "telegram"))
    args = parser.parse_args()
    if args.hostile:
        hostile(args)
        return
    spec = scenario_spec(args.accounts, args.posts)
    panel = Panel.from_spec(spec)
    with tempfile.TemporaryDirectory(prefix="bench-faults-") as tmp:
        clean = crawl_sample(spec, Path(tmp, "clean"))
        faulty = crawl_sample(spec, Path(tmp, "faulty"), fault_seed=args.seed, profile=args.profile)
    print(report(panel, clean, faulty))


def hostile(args: argparse.Namespace) -> None:
    spec = scenario_spec(args.accounts, args.posts, seed=31, platform=args.platform)
    profile = json.dumps({"name": args.hostile, "rates": {}, "burst_count": 0, "hostile": args.hostile})
    settings = {"RETRY_TIMES": "2", "MAX_PAGES_PER_ACCOUNT": "40"}
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        clean = crawl_sample(spec, Path(tmp, "clean"), platform=args.platform, settings=settings)
        run = crawl_sample(spec, Path(tmp, "hostile"), fault_seed=args.seed, profile=profile, platform=args.platform,
                           settings=settings)
    stored = sum(map(len, run.posts_by_account.values()))
    print(f"{args.hostile} on {args.platform}: exit {run.returncode}, {run.requests} requests, peak memory "
          f"{run.peak_mb:.0f} MB, posts stored {stored} / {sum(map(len, clean.posts_by_account.values()))} "
          f"(clean crawl), served with a changed date {len(run.server.get('spoiled', ()))}")
    for account_id, verdict in verdicts(clean, run, set(run.server.get("spoiled", ()))).items():
        status, message = run.statuses[account_id]
        print(f"  {account_id}: {verdict} ({status}{': ' + message if message else ''})")


if __name__ == "__main__":
    main()
