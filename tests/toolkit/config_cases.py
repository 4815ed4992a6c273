"""Config cases shared by tests/test_config.py (load_config) and tests/test_cli.py (the same mistakes on the
command line): a good benchmark.toml and the edits that break it, with the key and line each error names."""

from __future__ import annotations

GOOD = """\
[benchmark]
name = "2026Q3"
period = { start = 2026-07-01, end = 2026-09-30 }
timezone = "Asia/Shanghai"

[[account]]
platform = "weibo"
id = "1669879400"
role = "own"
label = "Our Brand"
affiliates = ["2345678901"]

[[account]]
platform = "bluesky"
id = "Brand.bsky.social"
role = "peer"

[[account]]
platform = "mastodon"
id = "@brand@mastodon.social"
role = "exemplar"

[[account]]
platform = "telegram"
id = "durov"
role = "peer"
"""

# (old, new, key, line, words): each replaces `old` in GOOD; tests/test_config.py loads them,
# tests/test_cli.py replays them on the command line.
MISTAKES = [
    ('role = "own"', 'role = "competitor"', "account[0].role", 9, "unknown role 'competitor'"),
    ('platform = "weibo"', 'platform = "twitter"', "account[0].platform", 7, "unknown platform 'twitter'"),
    ('id = "1669879400"', 'id = "abc"', "account[0].id", 8, "not a valid weibo id"),
    ('id = "durov"', 'id = "a"', "account[3].id", 25, "not a valid telegram id"),
    ('id = "@brand@mastodon.social"', 'id = "brand"', "account[2].id", 20, "user@instance"),
    # An address, not an instance name: the spider would open a connection to any host.
    ('id = "@brand@mastodon.social"', 'id = "x@127.0.0.1"', "account[2].id", 20, "user@instance"),
    ('role = "peer"\n\n[[account]]\nplatform = "mastodon"', 'role = "peer"\nlabels = "x"\n\n[[account]]\n'
     'platform = "mastodon"', "account[1].labels", 17, "unknown key"),
    ("end = 2026-09-30", "end = 2026-06-30", "benchmark.period", 3, "is after end"),
    ("end = 2026-09-30", 'end = "next week"', "benchmark.period.end", 3, "not a date"),
    ("start = 2026-07-01, ", "", "benchmark.period.start", 3, "missing"),
    ('timezone = "Asia/Shanghai"', 'timezone = "Mars/Olympus"', "benchmark.timezone", 4, "unknown time zone"),
    ('affiliates = ["2345678901"]', 'affiliates = "2345678901"', "account[0].affiliates", 11, "list"),
    ('role = "own"\n', "", "account[0].role", 6, "missing"),
]

# (old, new, key, line, suggestion): a misspelt key and the name the error suggests.
TYPOS = [
    ('timezone = "Asia/Shanghai"', 'timezon = "Asia/Shanghai"', "benchmark.timezon", 4, "timezone"),
    ('timezone = "Asia/Shanghai"', 'langauge = "en"', "benchmark.langauge", 4, "language"),
    ("period = {", "periodd = {", "benchmark.periodd", 3, "period"),
    ("[[account]]\nplatform = \"bluesky\"", "[[acount]]\nplatform = \"bluesky\"", "acount", 13, "account"),
    ('role = "peer"\n\n[[account]]\nplatform = "mastodon"', 'rol = "peer"\n\n[[account]]\nplatform = "mastodon"',
     "account[1].rol", 16, "role"),
]
