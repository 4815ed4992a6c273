"""What one platform knows, as data: the `PlatformSpec` each package under benchmark/platforms/ exposes as `SPEC`.

Every list and map that used to be hand-written per platform (items.PLATFORMS, config id patterns, base-URL
settings, engagement components and wording, reply platforms, the demo's and the tests' base URLs, the secret
headers) is built from these specs by the registry (benchmark/platforms/__init__.py). This module imports only
the standard library: the registry is read by settings.py and items.py, which must stay cheap to import.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any


@dataclass(frozen=True)
class Secret:
    """A secret sent as one request header, to one platform's base URL only, and never stored or logged.

    The generic SecretHeadersMiddleware (benchmark/middlewares.py) sends it; today only Weibo has one.
    """

    setting: str  # the Scrapy setting that holds it, e.g. "WEIBO_COOKIE"
    env: str  # the environment variable settings.py reads it from (secrets come from the environment only)
    header: str  # the request header that carries it, e.g. "Cookie" (a Cookie is merged with the jar's pairs)
    host_setting: str  # the base-URL setting: only URLs under that base receive it, e.g. "WEIBO_BASE_URL"
    host_default: str  # that base when the setting is empty


@dataclass(frozen=True)
class PlatformSpec:
    """One platform, field by field. Only `name` … `engagement_wording` are required."""

    # The platform's id: the store's `platform` column, the spider's name (`scrapy crawl <name>`), the package
    # name (benchmark/platforms/<name>/) and the sample server's path prefix (/<name>/...).
    name: str
    # Config account ids: a full-match regular expression, the hint a wrong id is told (an N_() msgid, so it is
    # translated where shown), and an example id that the pattern accepts (tests check it).
    id_pattern: str
    id_hint: str
    id_example: str
    # The setting naming the platform's API root ("WEIBO_BASE_URL"), and its default ("" = per account).
    base_url_setting: str
    base_url_default: str
    # Which Post counters make up E (engagements) on this platform, and their words in the report (an N_() msgid).
    engagement_components: tuple[str, ...]
    engagement_wording: str
    # Other settings that name a base URL of this platform (YouTube's public feed host beside its API): the
    # sample server answers them under the same /<name>/ prefix, so the demo and the test helpers point them
    # there too (registry.url_settings()). Their defaults go in `settings`.
    extra_url_settings: tuple[str, ...] = ()
    # Registry order: weibo, bluesky, mastodon, telegram come first (10..40); others follow by name (default).
    order: int = 1000
    # Display label, msgid in the gettext context "platform" (mark it with NP_("platform", ...)).
    label: str = ""
    # Id normalisation: a leading "@" is dropped (Mastodon, Telegram); the id is lower-cased (case-insensitive
    # handles: Bluesky, Mastodon).
    id_strip_at: bool = False
    id_lowercase: bool = False
    # An account can reply to others (the reply metrics exist on this platform: REPLY_PLATFORMS).
    has_replies: bool = False
    # The platform has reposts and quotes (the account can share others' posts, a post has a repost counter).
    # False (YouTube): the repost metrics are undefined there, never 0 (REPOST_PLATFORMS, compute.REPOST_METRICS).
    has_reposts: bool = True
    # Authors choose each post's format (text, images, video, a poll...). False where every post is a video
    # (YouTube): format diversity is undefined there, not low, and the thin-content finding does not apply
    # (FORMAT_CHOICE_PLATFORMS); the format shares (video, short, live) keep their values.
    has_format_choice: bool = True
    # A post's comment counter counts direct replies only (not the whole thread): DIRECT_REPLY_COUNTERS.
    direct_reply_counter: bool = False
    # The 清博 BCI index is computed (Weibo only).
    has_bci: bool = False
    # HTTP statuses that end an account's crawl on this platform: status -> (account status, N_() reason with
    # {status}). Merged over BenchmarkSpider.http_failures by the platform's spider.
    http_failures: Mapping[int, tuple[str, str]] = field(default_factory=dict)
    # Secrets sent as headers (see Secret).
    secrets: tuple[Secret, ...] = ()
    # Platform-only setting defaults (added to benchmark/settings.py's namespace, overridable with -s).
    settings: Mapping[str, Any] = field(default_factory=dict)
    # Downloader middlewares only this platform's crawls use ("dotted.Class": order), added to the project's
    # DOWNLOADER_MIDDLEWARES by its spider (BenchmarkSpider.update_settings), e.g. Weibo's 418/432 back-off.
    downloader_middlewares: Mapping[str, int] = field(default_factory=dict)
    # Settings the demo (`scrapy demo`, sample server) sets on top, e.g. no cookie warning.
    demo_settings: Mapping[str, Any] = field(default_factory=dict)
    # "module:function" of the alias-identity hook for metrics/load.py (Bluesky: handle -> DIDs), or "".
    # Called as hook(conn, accounts) -> {account_key: set of extra idents}; imported on first use only.
    aliases: str = ""

    def url_settings(self) -> tuple[str, ...]:
        """Every setting naming a base URL of this platform, the main one first."""
        return (self.base_url_setting, *self.extra_url_settings)

    def display_label(self) -> str:
        return self.label or self.name

    def normalize_id(self, account_id: object) -> str:
        """The id as the store and the config hold it ("@Brand@Mastodon.Social" -> "brand@mastodon.social")."""
        text = str(account_id).strip()
        if self.id_strip_at:
            text = text.lstrip("@")
        if self.id_lowercase:
            text = text.lower()
        return text

    def id_regex(self) -> re.Pattern[str]:
        return _compiled(self.id_pattern)

    def valid_id(self, account_id: str) -> bool:
        return self.id_regex().match(account_id) is not None

    def module(self, part: str) -> str:
        """The dotted name of one of the package's modules: parser, spider, sample, faults."""
        return f"benchmark.platforms.{self.name}.{part}"


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
