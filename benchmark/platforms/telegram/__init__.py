"""Telegram (public channel previews at t.me/s/<channel>): what the rest of the project knows of it (see ../spec.py)."""

from benchmark.i18n import N_, NP_
from benchmark.platforms.spec import PlatformSpec

_NO_CHANNEL = N_("HTTP {status}: no such channel")

SPEC = PlatformSpec(
    name="telegram",
    order=40,
    label=NP_("platform", "telegram"),
    id_pattern=r"^@?[A-Za-z][A-Za-z0-9_]{3,31}$",
    id_hint=N_("a public channel name such as durov"),
    id_example="durov",
    id_strip_at=True,
    base_url_setting="TELEGRAM_BASE_URL",
    base_url_default="https://t.me",
    engagement_components=("likes", "comments"),
    engagement_wording=N_("reactions + comments where the channel shows them (views are reach, not engagement)"),
    http_failures={404: ("not_found", _NO_CHANNEL), 410: ("not_found", _NO_CHANNEL)},
)
