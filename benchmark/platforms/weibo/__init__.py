"""Weibo (m.weibo.cn, the mobile web API): what the rest of the project knows of it (see ../spec.py)."""

from benchmark.i18n import N_, NP_
from benchmark.platforms.spec import PlatformSpec, Secret

_THROTTLED = N_("HTTP {status}: Weibo throttled or flagged this crawler; wait, then retry slower or with WEIBO_COOKIE")
_NO_ACCOUNT = N_("HTTP {status}: no such account")

SPEC = PlatformSpec(
    name="weibo",
    order=10,
    label=NP_("platform", "weibo"),
    id_pattern=r"^\d{5,12}$",
    id_hint=N_("a numeric Weibo uid such as 1669879400"),
    id_example="1669879400",
    base_url_setting="WEIBO_BASE_URL",
    base_url_default="https://m.weibo.cn",
    engagement_components=("likes", "comments", "reposts"),
    engagement_wording=N_("likes (赞) + comments (评) + reposts (转)"),
    has_bci=True,
    http_failures={418: ("blocked", _THROTTLED), 432: ("blocked", _THROTTLED),
                   400: ("not_found", _NO_ACCOUNT), 404: ("not_found", _NO_ACCOUNT)},
    secrets=(Secret(setting="WEIBO_COOKIE", env="WEIBO_COOKIE", header="Cookie", host_setting="WEIBO_BASE_URL",
                    host_default="https://m.weibo.cn"),),
    settings={
        # Without a cookie a Weibo crawl starts with a warning; False for a server that needs none (the demo's sample).
        "WEIBO_COOKIE_NEEDED": True,
        "WEIBO_FETCH_LONG_TEXT": True,  # one extra request per truncated ("全文") post
        # 418/432 are Weibo's throttling/anti-bot codes: back off this long (doubling) before retrying.
        "BAN_BACKOFF_BASE": 30.0,
        "BAN_RETRY_TIMES": 3,
    },
    # Above RetryMiddleware (550), like RetryAfterMiddleware (555): it sees a 418 before a plain retry would.
    downloader_middlewares={"benchmark.platforms.weibo.middlewares.BanDetectionMiddleware": 560},
    # The sample server needs no cookie: no "WEIBO_COOKIE is not set" warning.
    demo_settings={"WEIBO_COOKIE_NEEDED": False},
)
