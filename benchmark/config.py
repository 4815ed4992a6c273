"""Load and validate `benchmark.toml`: the panel (accounts by role), the period and report options.

Every problem is reported as one `ConfigError` naming the file, the line where it can be found and the
key, e.g. ``benchmark.toml:14: account[2].role: unknown role 'competitor' (expected one of own, peer,
exemplar)``. Only the standard library is used, so a crawl starts fast.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from benchmark import platforms
from benchmark.exceptions import ConfigError
from benchmark.i18n import Message, choose_language, normalize_language
from benchmark.items import PLATFORMS, ROLES

DEFAULT_CONFIG = "benchmark.toml"

# platform -> (full-match pattern, the hint a wrong id is told): from each platform's spec.
ID_PATTERNS = {spec.name: (spec.id_regex(), spec.id_hint) for spec in platforms.all_specs()}

# A period outside these dates is a typo (0001-01-01, 9999-12-31): no platform has posts there, and dates
# near the ends of the calendar overflow when a period is shifted or turned into a time of day.
PERIOD_MIN = date(1990, 1, 1)
PERIOD_MAX = date(2100, 12, 31)

# The keys each table may hold: anything else is a typo, reported with the closest valid name.
TOP_LEVEL_KEYS = ("benchmark", "account", "thresholds", "purpose", "voice")
BENCHMARK_KEYS = ("name", "period", "timezone", "language")
ACCOUNT_KEYS = ("platform", "id", "role", "label", "affiliates")
LEXICON_TABLE_KEYS = ("lexicon",)

DEFAULT_THRESHOLDS: dict[str, float] = {
    "sales_floor_share": 0.30,
    "self_indulgent_fan_repost_share": 0.02,
    "self_indulgent_replies_share": 0.02,
    "thin_content_diversity": 0.35,
    "thin_content_single_format": 0.80,
    "hollow_er_vs_panel": 0.10,
    "comment_reply_rate_min": 0.10,
    "response_time_max_h": 24.0,
}


@dataclass(frozen=True)
class AccountConfig:
    platform: str
    id: str
    role: str
    label: str
    affiliates: tuple[str, ...] = ()
    line: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.id)


@dataclass
class BenchmarkConfig:
    path: Path
    name: str
    period_start: date
    period_end: date
    timezone: str = "Asia/Shanghai"
    language: str | None = None
    accounts: list[AccountConfig] = field(default_factory=list)
    thresholds: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    purpose_lexicon: dict[str, list[str]] = field(default_factory=dict)
    voice_lexicon: dict[str, list[str]] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def accounts_for(self, platform: str) -> list[AccountConfig]:
        return [a for a in self.accounts if a.platform == platform]

    def find(self, platform: str, account_id: str) -> AccountConfig | None:
        wanted = normalize_id(platform, account_id)
        return next((a for a in self.accounts if a.platform == platform and a.id == wanted), None)

    def period_bounds_utc(self) -> tuple[datetime, datetime]:
        """[start, end) of the period as aware datetimes: inclusive dates in the config's timezone."""
        start = datetime.combine(self.period_start, datetime.min.time(), tzinfo=self.tz)
        end = datetime.combine(self.period_end + timedelta(days=1), datetime.min.time(), tzinfo=self.tz)
        return start, end


def normalize_id(platform: str, account_id: str) -> str:
    """The id as its platform's spec normalises it (an unknown platform: stripped only)."""
    try:
        return platforms.spec(platform).normalize_id(account_id)
    except KeyError:
        return str(account_id).strip()


def parse_period(text: str) -> tuple[date, date]:
    """'2026Q3' → (2026-07-01, 2026-09-30); also '2026-08' (a month) and '2026' (a year)."""
    text = text.strip().upper()
    if (year := re.match(r"\d{4}", text)) and not PERIOD_MIN.year <= int(year[0]) <= PERIOD_MAX.year:
        raise ValueError(Message("{day} is out of range: use dates between {first} and {last}", day=text,
                                 first=str(PERIOD_MIN), last=str(PERIOD_MAX)))
    if m := re.fullmatch(r"(\d{4})-?Q([1-4])", text):
        year, quarter = int(m[1]), int(m[2])
        start = date(year, 3 * quarter - 2, 1)
        end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
        return start, end - timedelta(days=1)
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        year, month = int(m[1]), int(m[2])
        if 1 <= month <= 12:
            nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
            return date(year, month, 1), nxt - timedelta(days=1)
    if re.fullmatch(r"\d{4}", text):
        return date(int(text), 1, 1), date(int(text), 12, 31)
    raise ValueError(Message("unknown period {period}: use a quarter such as 2026Q3, a month such as 2026-08, "
                             "or a year", period=repr(text)))


def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip())


class _Locator:
    """Finds the line of a key in the raw TOML text, since tomllib does not report positions."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def table_line(self, header: str, index: int = 0) -> int | None:
        pattern = re.compile(rf"^\s*\[{re.escape(header)}\]\s*(#.*)?$")
        hits = [i + 1 for i, line in enumerate(self.lines) if pattern.match(line)]
        return hits[index] if index < len(hits) else None

    def key_line(self, key: str, start: int | None = None) -> int | None:
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        begin = (start or 1) - 1
        for i in range(begin, len(self.lines)):
            if i > begin and self.lines[i].lstrip().startswith("[") and start:
                break
            if pattern.match(self.lines[i]):
                return i + 1
        return start


def load_config(path: str | Path = DEFAULT_CONFIG) -> BenchmarkConfig:
    """Read and validate the config; raise ConfigError on the first problem found."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(path, "", Message("config file not found (copy benchmark.example.toml to start one)"))
    raw_bytes = path.read_bytes()
    try:
        # utf-8-sig: Notepad and Excel save "UTF-8" with a byte-order mark, which is still UTF-8 text.
        text = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw_bytes[: exc.start].count(b"\n") + 1
        raise ConfigError(path, "", Message("the file is not UTF-8 text; save it as UTF-8"), line) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.14 exposes lineno; older versions only say "(at line N, column M)".
        found = re.search(r"\(at line (\d+), column \d+\)$", str(exc))
        line = getattr(exc, "lineno", None) or (int(found[1]) if found else None)
        msg = getattr(exc, "msg", None) or re.sub(r"\s*\(at line \d+, column \d+\)$", "", str(exc))
        raise ConfigError(path, "", Message("not valid TOML: {reason}", reason=msg), line) from exc
    return _validate(path, data, _Locator(text))


def unknown_key_message(key: str, known: tuple[str, ...] | list[str], what: str = "key") -> Message:
    """'unknown key (did you mean timezone?)', or the list of valid names when none is close."""
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if what == "argument":
        if close:
            return Message("unknown argument (did you mean {suggestion}?)", suggestion=close[0])
        return Message("unknown argument (expected one of {known})", known=", ".join(known))
    if what == "table":
        if close:
            return Message("unknown table (did you mean {suggestion}?)", suggestion=close[0])
        return Message("unknown table (expected one of {known})", known=", ".join(known))
    if close:
        return Message("unknown key (did you mean {suggestion}?)", suggestion=close[0])
    return Message("unknown key (expected one of {known})", known=", ".join(known))


def _top_level_line(loc: _Locator, key: str) -> int | None:
    """The line of `[key]`, `[[key]]`, `[key.sub]` or `key = ...` at the top of the file."""
    for pattern in (rf"^\s*\[\[?\s*{re.escape(key)}\s*(\.|\])", rf"^\s*{re.escape(key)}\s*="):
        for i, line in enumerate(loc.lines):
            if re.match(pattern, line):
                return i + 1
    return None


def _check_keys(path: Path, table: dict[str, Any], known: tuple[str, ...], prefix: str,
                line_of: Any, what: str = "key") -> None:
    for key in table:
        if key not in known:
            raise ConfigError(path, f"{prefix}{key}", unknown_key_message(key, known, what), line_of(key))


def _validate(path: Path, data: dict[str, Any], loc: _Locator) -> BenchmarkConfig:
    bench = data.get("benchmark")
    bench_line = loc.table_line("benchmark")
    if not isinstance(bench, dict):
        raise ConfigError(path, "benchmark", Message("missing [benchmark] table (name, period, timezone)"))
    _check_keys(path, data, TOP_LEVEL_KEYS, "", lambda key: _top_level_line(loc, key), what="table")
    _check_keys(path, bench, BENCHMARK_KEYS, "benchmark.", lambda key: loc.key_line(key, bench_line))
    for table in ("purpose", "voice"):
        if isinstance(data.get(table), dict):
            _check_keys(path, data[table], LEXICON_TABLE_KEYS, f"{table}.",
                        lambda key, table=table: loc.table_line(f"{table}.{key}") or loc.key_line(key),
                        what="table")

    def err(key: str, message: str, line: int | None = None) -> ConfigError:
        return ConfigError(path, key, message, line)

    tz = bench.get("timezone", "Asia/Shanghai")
    try:
        ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise err("benchmark.timezone", Message("unknown time zone {zone}", zone=repr(tz)),
                  loc.key_line("timezone", bench_line)) from exc

    start, end = _validate_period(bench, err, loc.key_line("period", bench_line))
    name = bench.get("name") or f"{start.isoformat()}_{end.isoformat()}"
    # Only dots would name `reports/` itself or its parent.
    if not isinstance(name, str) or not re.fullmatch(r"[\w.\-]+", name) or not name.strip("."):
        raise err("benchmark.name", Message("use letters, digits, '.', '-' or '_' (it names the report folder)"),
                  loc.key_line("name", bench_line))
    language = bench.get("language")
    if language is not None and language not in ("zh", "en"):
        raise err("benchmark.language", Message("unknown language {language} (expected zh or en)",
                                                language=repr(language)),
                  loc.key_line("language", bench_line))

    raw_accounts = data.get("account", [])
    if not isinstance(raw_accounts, list) or not raw_accounts:
        raise err("account", Message("no [[account]] entries: list at least your own account"))
    accounts = [_validate_account(path, i, entry, loc) for i, entry in enumerate(raw_accounts)]
    seen: dict[tuple[str, str], int] = {}
    for i, account in enumerate(accounts):
        if account.key in seen:
            raise err(f"account[{i}].id",
                      Message("duplicate account {account} (also account[{index}])",
                              account=f"{account.platform}:{account.id}", index=seen[account.key]),
                      account.line)
        seen[account.key] = i

    thresholds = dict(DEFAULT_THRESHOLDS)
    for key, value in (data.get("thresholds") or {}).items():
        line = loc.key_line(key, loc.table_line("thresholds"))
        if key not in DEFAULT_THRESHOLDS:
            raise err(f"thresholds.{key}", Message("unknown threshold (known: {known})",
                                                  known=", ".join(DEFAULT_THRESHOLDS)), line)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise err(f"thresholds.{key}", Message("expected a number, got {value}", value=repr(value)), line)
        if not math.isfinite(value) or value < 0:
            raise err(f"thresholds.{key}", Message("expected a number of 0 or more, got {value}",
                                                  value=repr(value)), line)
        thresholds[key] = float(value)

    lexicon = _lexicon(data, "purpose", err, loc)
    voice_lexicon = _lexicon(data, "voice", err, loc)

    return BenchmarkConfig(path=path, name=name, period_start=start, period_end=end, timezone=str(tz),
                           language=language, accounts=accounts, thresholds=thresholds, purpose_lexicon=lexicon,
                           voice_lexicon=voice_lexicon)


def _lexicon(data: dict[str, Any], table: str, err: Any, loc: _Locator) -> dict[str, list[str]]:
    """`[purpose.lexicon]` / `[voice.lexicon]`: extra words per label, any language."""
    lexicon: dict[str, list[str]] = {}
    for label, words in ((data.get(table) or {}).get("lexicon") or {}).items():
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise err(f"{table}.lexicon.{label}", Message("expected a list of words"), loc.key_line(label))
        lexicon[label] = words
    return lexicon


def _validate_period(bench: dict[str, Any], err: Any, line: int | None) -> tuple[date, date]:
    period = bench.get("period")
    if period is None:
        raise err("benchmark.period", Message('missing: e.g. period = {example} or period = "2026Q3"',
                                              example="{ start = 2026-07-01, end = 2026-09-30 }"), line)
    if isinstance(period, str):
        try:
            bounds = parse_period(period)
        except ValueError as exc:
            raise err("benchmark.period", exc.args[0], line) from exc
        check_period_range(*bounds, error=lambda message: err("benchmark.period", message, line))
        return bounds
    if not isinstance(period, dict):
        raise err("benchmark.period", Message("expected a table with start and end, got {value}",
                                              value=repr(period)), line)
    bounds = []
    for key in ("start", "end"):
        if key not in period:
            raise err(f"benchmark.period.{key}", Message("missing (a date such as 2026-07-01)"), line)
        try:
            bounds.append(parse_date(period[key]))
        except (TypeError, ValueError) as exc:
            raise err(f"benchmark.period.{key}", Message("not a date: {value} (use YYYY-MM-DD)",
                                                      value=repr(period[key])), line) from exc
    if bounds[0] > bounds[1]:
        raise err("benchmark.period", Message("start {start} is after end {end}", start=str(bounds[0]),
                                              end=str(bounds[1])), line)
    check_period_range(bounds[0], bounds[1], error=lambda message: err("benchmark.period", message, line))
    return bounds[0], bounds[1]


def check_period_range(start: date, end: date, error: Any) -> None:
    """Raise `error(message)` when a period reaches outside PERIOD_MIN..PERIOD_MAX (a typo, not a quarter)."""
    for day in (start, end):
        if not PERIOD_MIN <= day <= PERIOD_MAX:
            raise error(Message("{day} is out of range: use dates between {first} and {last}", day=str(day),
                                first=str(PERIOD_MIN), last=str(PERIOD_MAX)))


def _validate_account(path: Path, index: int, entry: Any, loc: _Locator) -> AccountConfig:
    header = loc.table_line("[account]", index)
    where = f"account[{index}]"
    if not isinstance(entry, dict):
        raise ConfigError(path, where, Message("expected a table"), header)

    # Unknown keys first: `rol = "peer"` is a typo of role, not a missing role.
    _check_keys(path, entry, ACCOUNT_KEYS, f"{where}.", lambda key: loc.key_line(key, header))

    def check_str(key: str, required: bool = True) -> str | None:
        value = entry.get(key)
        if value is None:
            if required:
                raise ConfigError(path, f"{where}.{key}", Message("missing (this key is required)"), header)
            return None
        if isinstance(value, int) and not isinstance(value, bool) and key == "id":
            return str(value)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(path, f"{where}.{key}", Message("expected text, got {value}", value=repr(value)),
                              loc.key_line(key, header))
        return value.strip()

    platform = check_str("platform")
    if platform not in PLATFORMS:
        raise ConfigError(path, f"{where}.platform",
                          Message("unknown platform {platform} (expected one of {known})", platform=repr(platform),
                                  known=", ".join(PLATFORMS)),
                          loc.key_line("platform", header))
    role = check_str("role")
    if role not in ROLES:
        raise ConfigError(path, f"{where}.role", Message("unknown role {role} (expected one of {known})",
                                                          role=repr(role), known=", ".join(ROLES)),
                          loc.key_line("role", header))
    account_id = normalize_id(platform, check_str("id") or "")
    pattern, hint = ID_PATTERNS[platform]
    if not pattern.match(account_id):
        raise ConfigError(path, f"{where}.id", Message("{id} is not a valid {platform} id: expected {hint}",
                                                        id=repr(account_id), platform=platform, hint=Message(hint)),
                          loc.key_line("id", header))
    label = check_str("label", required=False) or account_id
    affiliates = entry.get("affiliates", [])
    if not isinstance(affiliates, list) or not all(isinstance(a, (str, int)) for a in affiliates):
        raise ConfigError(path, f"{where}.affiliates", Message("expected a list of account ids"),
                          loc.key_line("affiliates", header))
    return AccountConfig(platform=platform, id=account_id, role=role, label=label,
                         affiliates=tuple(normalize_id(platform, str(a)) for a in affiliates), line=header)


# -- the command line's `-a NAME=VALUE` spider arguments: the same rules as the config ---------------------------
SPIDER_ARGUMENTS = ("accounts", "since", "until", "comments")


def parse_day(value: str, name: str) -> date:
    """A `-a since=`/`--until` date typed by the user; ValueError(Message) names the option."""
    try:
        day = date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ValueError(Message("{name} {value} is not a date: use YYYY-MM-DD", name=name,
                                 value=repr(value))) from exc

    def out_of_range(message: Message) -> ValueError:
        return ValueError(Message("{name}: {reason}", name=name, reason=message))

    check_period_range(day, day, error=out_of_range)
    return day


def parse_account_ids(platform: str, text: str) -> list[str]:
    """`-a accounts=ID,ID`: each id checked with the config's rules for the platform (an id reaches a URL)."""
    ids = [normalize_id(platform, part) for part in str(text).split(",") if part.strip()]
    if not ids:
        raise ValueError(Message("accounts: no account id given"))
    pattern, hint = ID_PATTERNS[platform]
    for account_id in ids:
        if not pattern.match(account_id):
            raise ValueError(Message("accounts: {id} is not a valid {platform} id: expected {hint}",
                                     id=repr(account_id), platform=platform, hint=Message(hint)))
    return ids


def check_spider_arguments(platform: str, arguments: dict[str, str]) -> None:
    """Reject what a crawl would otherwise ignore or trip on: unknown names (`-a acounts=`), bad dates,
    out-of-range periods, ids the config would refuse. Names starting with '_' are a scheduler's (scrapyd)."""
    for name in arguments:
        if name not in SPIDER_ARGUMENTS and not name.startswith("_"):
            raise ValueError(Message("-a {name}: {reason}", name=name,
                                     reason=unknown_key_message(name, SPIDER_ARGUMENTS, what="argument")))
    since = parse_day(arguments["since"], "since") if arguments.get("since") is not None else None
    until = parse_day(arguments["until"], "until") if arguments.get("until") is not None else None
    if since and until and since > until:
        raise ValueError(Message("since {start} is after until {end}", start=str(since), end=str(until)))
    if arguments.get("accounts") is not None and platform in ID_PATTERNS:
        parse_account_ids(platform, arguments["accounts"])


# -- the language of a command's console (here, not in i18n.py: i18n must not import the config) --------
def config_language(config_path: str | Path | None) -> str | None:
    """The `[benchmark] language` of a config file, or None when it has none or cannot be read (the crawl
    console must not fail on a config problem that the crawl itself reports)."""
    if not config_path:
        return None
    try:
        return load_config(config_path).language
    except (ConfigError, OSError):
        return None


def console_language(settings: Any, config_path: str | Path | None = None) -> str:
    """The language of a command's console lines: `BENCHMARK_LANGUAGE`, else the config's (`config_path`, else
    BENCHMARK_CONFIG), else the system's."""
    return choose_language(normalize_language(settings.get("BENCHMARK_LANGUAGE")),
                           config_language(config_path or settings.get("BENCHMARK_CONFIG")))
