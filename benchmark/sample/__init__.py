"""The bundled sample: a fictional panel of brand accounts served in each platform's real payload format.

- `benchmark.sample.panel`: the platform-neutral model and its deterministic generator (`demo_panel`,
  `Panel.from_spec`, `synthetic_spec`, `panel_config_toml`).
- `benchmark.platforms.<platform>.sample`: panel → payloads shaped like the recorded fixtures.
- `benchmark.sample.server`: one local HTTP server for all platforms (`start_server`, `python -m ...`).
- `benchmark.sample.testing`: run the server in a subprocess from tests.

Panel spec (JSON, for `Panel.from_spec` / `--panel-file`)::

    {"seed": 7, "anchor": "2026-11-26T12:00:00+08:00", "period": {"start": "2026-08-27", "end": "2026-11-25"},
     "accounts": [{"platform": "weibo", "id": "1000000001", "role": "peer", "label": "Brand",
                   "archetype": "generic", "posts": 30, "older_posts": 2, "pinned": "old",
                   "behaviour": {"login_wall": "html", "burst_418": 2, "rate_limit_429": 1}}]}

Behaviours: `login_wall` (true | "redirect" | "html" | "json"), `not_found`, `private`, `opted_out`,
`captcha` (true | N), `burst_418: N`, `rate_limit_429: N` (timeline requests; counted per account).

This package imports only the standard library.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"


@dataclass(slots=True)
class Reply:
    """One HTTP response as the renderers build it; the server only writes it out."""

    status: int
    body: bytes
    content_type: str = JSON_TYPE
    headers: tuple[tuple[str, str], ...] = ()


def dump_json(payload: Any) -> bytes:
    """Compact UTF-8 JSON like the real APIs send (Chinese text unescaped)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_reply(payload: Any, status: int = 200, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    return Reply(status, dump_json(payload), JSON_TYPE, headers)


def html_reply(markup: str, status: int = 200) -> Reply:
    return Reply(status, markup.encode("utf-8"), HTML_TYPE)


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status, b"", HTML_TYPE, (("Location", location),))


def first(query: dict[str, list[str]], name: str, default: str | None = None) -> str | None:
    values = query.get(name)
    return values[0] if values else default


# The date a hostile server gives the newest post of a page (benchmark.sample.faults, each platform's faults.py).
FAR_DATE = "9999-12-31T23:30:00-05:00"


def raw_param(query: str, name: str) -> str:
    """The value of `name` in a raw query string (empty when absent)."""
    match = re.search(rf"(?:^|&){name}=([^&]*)", query)
    return match.group(1) if match else ""


def throttle(site: Any, platform: str, account_id: str, behaviour: dict[str, Any], body_429: bytes) -> Reply | None:
    """Platform-neutral fault behaviours for timeline requests: the first N get 418, then the next N 429."""
    limit_418 = int(behaviour.get("burst_418") or 0)
    if limit_418 and site.hit(platform, account_id, "burst_418") <= limit_418:
        return Reply(418, b"", HTML_TYPE)
    limit_429 = int(behaviour.get("rate_limit_429") or 0)
    if limit_429 and site.hit(platform, account_id, "rate_limit_429") <= limit_429:
        return Reply(429, body_429, JSON_TYPE, (("Retry-After", "1"),))
    return None


def counted(site: Any, platform: str, account_id: str, behaviour: dict[str, Any], name: str) -> bool:
    """True while a behaviour is active: `true` always, an integer N for the first N requests."""
    value = behaviour.get(name)
    if not value:
        return False
    if value is True or not isinstance(value, int):
        return True
    return site.hit(platform, account_id, name) <= value
