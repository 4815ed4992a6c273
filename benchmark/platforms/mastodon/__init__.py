"""Mastodon (each account's home instance, REST API v1): what the rest of the project knows of it (see ../spec.py)."""

from benchmark.i18n import N_, NP_
from benchmark.platforms.spec import PlatformSpec

_LOGIN = N_("HTTP {status}: this instance shows its API to logged-in users only")
_NO_ACCOUNT = N_("HTTP {status}: no such account on its instance")

SPEC = PlatformSpec(
    name="mastodon",
    order=30,
    label=NP_("platform", "mastodon"),
    # The instance is a host name ending in letters: not an IP address, no port, no path.
    id_pattern=r"^@?[A-Za-z0-9_]+@([A-Za-z0-9-]+\.)+[A-Za-z][A-Za-z0-9-]*$",
    id_hint=N_("user@instance, such as brand@mastodon.social"),
    id_example="brand@mastodon.social",
    id_strip_at=True,
    id_lowercase=True,
    base_url_setting="MASTODON_BASE_URL",
    base_url_default="",  # empty: each account is read from its own instance
    engagement_components=("likes", "reposts", "comments"),
    engagement_wording=N_("favourites + boosts (reblogs) + replies"),
    has_replies=True,
    direct_reply_counter=True,
    http_failures={401: ("login_wall", _LOGIN), 403: ("login_wall", _LOGIN),
                   404: ("not_found", _NO_ACCOUNT), 410: ("not_found", _NO_ACCOUNT)},
    settings={
        # Pause an instance's slot until its rate-limit window resets when fewer requests than this are left.
        "MASTODON_RATE_LIMIT_MIN_REMAINING": 10,
        # Accounts with `noindex` (opted out of search indexing) end as opted_out and are not crawled.
        "MASTODON_RESPECT_NOINDEX": True,
    },
)
