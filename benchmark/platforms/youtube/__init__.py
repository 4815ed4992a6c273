"""YouTube (the Data API v3 with YOUTUBE_API_KEY, else the public channel feed): what the rest of the project
knows of it (see ../spec.py; docs/youtube.md)."""

from benchmark.i18n import N_, NP_
from benchmark.platforms.spec import PlatformSpec, Secret

API_BASE_URL = "https://www.googleapis.com/youtube/v3"
FEED_BASE_URL = "https://www.youtube.com"
# The sample server accepts any key shaped like a Google API key; this one is no secret (the demo's own).
SAMPLE_KEY = "AIzaSampleServerKeyForTheDemoPanel00000"

SPEC = PlatformSpec(
    name="youtube",
    order=50,
    label=NP_("platform", "youtube"),
    # A channel id ("UC" + 22 characters of URL-safe base64) or a handle (@ + 3-30 letters, digits, _ - .).
    id_pattern=r"^(UC[A-Za-z0-9_-]{22}|@[\w.-]{3,30})$",
    id_hint=N_("a channel id such as UC9PBzalIcEQCsiIkq36PyUA (UC + 22 characters) or a handle such as @brand"),
    id_example="UC9PBzalIcEQCsiIkq36PyUA",
    # Channel ids are case-sensitive: no lower-casing, and the @ tells a handle from an id.
    base_url_setting="YOUTUBE_API_BASE_URL",
    base_url_default=API_BASE_URL,
    # The public channel feed is on another host: the demo and the tests point it at the sample server too.
    extra_url_settings=("YOUTUBE_FEED_BASE_URL",),
    # Views are reported beside engagement, not in it; fans cannot repost a video (reposts are undefined).
    engagement_components=("likes", "comments"),
    engagement_wording=N_("likes + comments (views shown beside them; YouTube has no fan reposts)"),
    # A channel cannot repost or quote: the repost metrics are undefined here, never 0.
    has_reposts=False,
    has_format_choice=False,
    # 400/403/404 carry a reason in their JSON body (quotaExceeded, commentsDisabled, forbidden...): the spider
    # reads it (benchmark/platforms/youtube/spider.py), so no HTTP status decides alone.
    http_failures={},
    secrets=(Secret(setting="YOUTUBE_API_KEY", env="YOUTUBE_API_KEY", header="X-Goog-Api-Key",
                    host_setting="YOUTUBE_API_BASE_URL", host_default=API_BASE_URL),),
    settings={
        # Where the public channel feed (feeds/videos.xml) is read when no key is set.
        "YOUTUBE_FEED_BASE_URL": FEED_BASE_URL,
        # commentThreads pages read per video at most (100 threads each) in the comments crawl.
        "YOUTUBE_COMMENT_PAGES": 1,
    },
    # The demo reads the sample server's API (the public feed's host is not the sample server).
    demo_settings={"YOUTUBE_API_KEY": SAMPLE_KEY},
)
