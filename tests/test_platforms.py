"""The platform registry (benchmark/platforms/): every registered platform is complete, and a new platform
package reaches every list that used to be hand-written, without an edit anywhere else (issue 18)."""

from __future__ import annotations

import dataclasses
import importlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from benchmark import platforms
from benchmark.config import ID_PATTERNS, normalize_id, parse_account_ids
from benchmark.items import PLATFORMS, Post
from benchmark.platforms.spec import PlatformSpec
from benchmark.spider import BenchmarkSpider
from tests.crawl_helpers import PROJECT_ROOT

SPECS = platforms.all_specs()
NAMES = [spec.name for spec in SPECS]


def test_the_registry_lists_the_four_first_platforms_first_and_feeds_the_item_model() -> None:
    assert NAMES[:4] == ["weibo", "bluesky", "mastodon", "telegram"]
    assert tuple(NAMES) == PLATFORMS == platforms.names()
    assert sorted(NAMES[4:]) == NAMES[4:]  # any later one by order, then by name
    assert platforms.spec("mastodon").base_url_setting == "MASTODON_BASE_URL"
    with pytest.raises(KeyError):
        platforms.spec("myspace")


@pytest.mark.parametrize("spec", SPECS, ids=NAMES)
def test_each_platform_has_an_id_rule_that_accepts_its_example(spec: PlatformSpec) -> None:
    example = normalize_id(spec.name, spec.id_example)
    assert spec.valid_id(example) and spec.name in ID_PATTERNS
    assert parse_account_ids(spec.name, f" {spec.id_example} ") == [example]
    with pytest.raises(ValueError):
        parse_account_ids(spec.name, "no such/id")


@pytest.mark.parametrize("spec", SPECS, ids=NAMES)
def test_each_platform_has_a_spider_a_sample_renderer_and_a_fault_profile(spec: PlatformSpec) -> None:
    spiders = [value for value in vars(importlib.import_module(spec.module("spider"))).values()
               if isinstance(value, type) and issubclass(value, BenchmarkSpider) and value.__dict__.get("spec")]
    assert [spider.name for spider in spiders] == [spec.name]
    assert spiders[0].base_url_setting == spec.base_url_setting
    sample = importlib.import_module(spec.module("sample"))
    assert callable(sample.route) and callable(sample.index_posts)
    faults = importlib.import_module(spec.module("faults"))
    assert len(faults.TIMELINE) == 2 and faults.CURSOR_PARAMS
    assert callable(getattr(faults, "hostile_page", None)) or all(
        callable(getattr(faults, name, None)) for name in ("next_cursor", "newest_posts", "spoil"))


@pytest.mark.parametrize("spec", SPECS, ids=NAMES)
def test_each_platforms_engagement_counts_posts_counters(spec: PlatformSpec) -> None:
    counters = {f.name for f in dataclasses.fields(Post)}
    assert spec.engagement_components and set(spec.engagement_components) <= counters
    assert spec.engagement_wording and spec.display_label()
    for status, (state, reason) in spec.http_failures.items():
        assert 400 <= status < 600 and state in ("blocked", "not_found", "login_wall", "private") and reason


def test_scrapy_list_shows_exactly_the_registered_spiders() -> None:
    done = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    assert done.stdout.split() == sorted(NAMES)


FAKE_PACKAGE = '''
from benchmark.i18n import N_, NP_
from benchmark.platforms.spec import PlatformSpec, Secret

SPEC = PlatformSpec(
    name="zzfake", label=NP_("platform", "zzfake"), id_pattern=r"^[a-z]{3,8}$", id_hint=N_("three to eight letters"),
    id_example="Brand", id_lowercase=True, base_url_setting="ZZFAKE_BASE_URL", base_url_default="https://fake.example",
    engagement_components=("likes", "reposts"), engagement_wording=N_("likes + reposts"), has_replies=True,
    has_reposts=False,
    secrets=(Secret(setting="ZZFAKE_TOKEN", env="ZZFAKE_TOKEN", header="Authorization",
                    host_setting="ZZFAKE_BASE_URL", host_default="https://fake.example"),),
    settings={"ZZFAKE_PAGE_SIZE": 50, "ZZFAKE_FEED_BASE_URL": "https://feed.fake.example"},
    extra_url_settings=("ZZFAKE_FEED_BASE_URL",),
)
'''

PROBE = '''
import json, sys
import benchmark.platforms as registry
registry.__path__.append(sys.argv[1])  # the fake package sits in another folder, as if it were added here
from benchmark import items, config
from benchmark.metrics import catalog, compute
from benchmark import settings
from benchmark.sample.testing import base_url_settings
from benchmark.commands import demo
ids = config.parse_account_ids("zzfake", "Brand,shop")
try:
    config.parse_account_ids("zzfake", "x1")
    refused = False
except ValueError:
    refused = True
print(json.dumps({
    "platforms": list(items.PLATFORMS), "ids": ids, "refused": refused,
    "components": catalog.ENGAGEMENT_COMPONENTS.get("zzfake"), "replies": "zzfake" in catalog.REPLY_PLATFORMS,
    "reposts": "zzfake" in catalog.REPOST_PLATFORMS,
    "direct": "zzfake" in compute.DIRECT_REPLY_COUNTERS, "label": catalog.term("platform", "zzfake"),
    "base": settings.ZZFAKE_BASE_URL, "page_size": settings.ZZFAKE_PAGE_SIZE, "token": settings.ZZFAKE_TOKEN,
    "spider_module": settings.SPIDER_MODULES[-1], "test_url": base_url_settings("http://h")["ZZFAKE_BASE_URL"],
    "test_feed_url": base_url_settings("http://h").get("ZZFAKE_FEED_BASE_URL"),
    "demo_settings": sorted(k for k, v in demo.PLATFORM_SETTINGS.items() if v == "zzfake"),
}))
'''


def test_a_new_platform_package_reaches_items_config_metrics_and_settings_without_other_edits(tmp_path: Path) -> None:
    (tmp_path / "zzfake").mkdir()
    (tmp_path / "zzfake" / "__init__.py").write_text(textwrap.dedent(FAKE_PACKAGE), encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path)], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=120, env={**_environment(), "ZZFAKE_TOKEN": "t0k"})
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout)
    assert seen["platforms"] == [*NAMES, "zzfake"]
    assert seen["ids"] == ["brand", "shop"] and seen["refused"]
    assert seen["components"] == ["likes", "reposts"] and seen["replies"] and not seen["direct"]
    assert not seen["reposts"]  # has_reposts=False: its repost metrics are undefined
    assert seen["label"] == "zzfake"
    assert (seen["base"], seen["page_size"], seen["token"]) == ("https://fake.example", 50, "t0k")
    assert seen["spider_module"] == "benchmark.platforms.zzfake.spider"
    assert seen["test_url"] == "http://h/zzfake"
    # A second base URL (a feed host beside the API) goes to the sample server too, in the tests and the demo.
    assert seen["test_feed_url"] == "http://h/zzfake"
    assert seen["demo_settings"] == ["ZZFAKE_BASE_URL", "ZZFAKE_FEED_BASE_URL"]


def _environment() -> dict[str, str]:
    import os

    return {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}


def test_the_secret_header_middleware_sends_each_specs_secret_to_its_own_base_only(monkeypatch) -> None:
    from scrapy import Request
    from scrapy.http import Response
    from scrapy.utils.test import get_crawler

    from benchmark.middlewares import SecretHeadersMiddleware
    from benchmark.platforms.spec import Secret

    token = Secret(setting="ZZFAKE_TOKEN", env="ZZFAKE_TOKEN", header="Authorization",
                   host_setting="ZZFAKE_BASE_URL", host_default="https://fake.example")
    monkeypatch.setattr(platforms, "all_secrets", lambda: (*SPECS[0].secrets, token))
    crawler = get_crawler(settings_dict={"ZZFAKE_TOKEN": "Bearer t0k", "ZZFAKE_BASE_URL": "https://api.fake.example/v1"})
    middleware = SecretHeadersMiddleware.from_crawler(crawler)  # no Weibo cookie set: only the token
    ours, other = Request("https://api.fake.example/v1/posts"), Request("https://api.fake.example/v2/posts")
    for request in (ours, other):
        middleware.process_request(request)
    assert ours.headers[b"Authorization"] == b"Bearer t0k" and b"Authorization" not in other.headers
    assert b"Cookie" not in ours.headers
    middleware.process_response(ours, Response(ours.url, request=ours))
    assert b"Authorization" not in ours.headers  # for the download only


@pytest.mark.parametrize("spec", SPECS, ids=NAMES)
def test_a_platforms_own_downloader_middlewares_join_the_projects_for_its_spider_only(spec: PlatformSpec) -> None:
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("benchmark.settings", priority="project")
    spider = next(value for value in vars(importlib.import_module(spec.module("spider"))).values()
                  if isinstance(value, type) and issubclass(value, BenchmarkSpider) and value.__dict__.get("spec"))
    spider.update_settings(settings)
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares["benchmark.middlewares.SecretHeadersMiddleware"] == 950  # the project's stay
    ban = "benchmark.platforms.weibo.middlewares.BanDetectionMiddleware"
    assert (middlewares.get(ban) == 560) == (spec.name == "weibo")
    assert dict(spec.downloader_middlewares).items() <= middlewares.items()
