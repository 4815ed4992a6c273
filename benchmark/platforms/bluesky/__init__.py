"""Bluesky (the public AppView's XRPC API): what the rest of the project knows of it (see ../spec.py)."""

from benchmark.i18n import N_, NP_
from benchmark.platforms.spec import PlatformSpec

_LOGIN = N_("HTTP {status}: this AppView asks for a login; BLUESKY_BASE_URL should be the public AppView "
            "(https://public.api.bsky.app)")
_NO_ACCOUNT = N_("HTTP {status}: no such account")

SPEC = PlatformSpec(
    name="bluesky",
    order=20,
    label=NP_("platform", "bluesky"),
    id_pattern=r"^(did:(plc|web):[A-Za-z0-9._:%-]+|([A-Za-z0-9-]+\.)+[A-Za-z][A-Za-z0-9-]*)$",
    id_hint=N_("a handle such as brand.bsky.social or a DID such as did:plc:abc123"),
    id_example="brand.bsky.social",
    id_lowercase=True,
    base_url_setting="BLUESKY_BASE_URL",
    base_url_default="https://public.api.bsky.app",
    engagement_components=("likes", "comments", "reposts", "quotes"),
    engagement_wording=N_("likes + replies + reposts + quotes"),
    has_replies=True,
    direct_reply_counter=True,
    http_failures={401: ("login_wall", _LOGIN), 403: ("login_wall", _LOGIN),
                   400: ("not_found", _NO_ACCOUNT), 404: ("not_found", _NO_ACCOUNT)},
    # A brand listed by handle is named by its DID in others' reposts and comments (metrics/load.py).
    aliases="benchmark.platforms.bluesky.aliases:handle_dids",
)
