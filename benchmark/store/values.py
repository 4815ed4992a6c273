"""What the store accepts: a hostile or broken answer must never cost the rest of the crawl (issue 14). Every
value is made storable here where that does not change its meaning, and a row that cannot be stored truthfully is
refused alone (`Refused`, `RefusedRow`)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import JSON, BigInteger, Boolean, Column, DateTime, Integer, Table

from benchmark.store.schema import utc_naive

TEXT_MAX = 100_000  # characters of any one text; real posts are at most a few thousand (Weibo long text)
ID_MAX = 1_000  # characters of a key or indexed id; PostgreSQL's btree rejects entries over ~2,700 bytes
JSON_MAX = 1_000_000  # characters of one JSON column
INT64 = (-(2**63), 2**63 - 1)
INT32 = (-(2**31), 2**31 - 1)
_SURROGATES = re.compile("[\ud800-\udfff]")
_JSON_OPTIONS = orjson.OPT_NON_STR_KEYS


class Refused(ValueError):
    """A value that cannot be stored without lying about it; `reason` is the stats/refusal code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RefusedRow:
    table: str
    platform: str
    account_id: str  # "" when unknown (a comment whose post is not stored)
    key: str  # the row's id (post, comment or account id): never its text
    reason: str


@dataclass
class BatchResult:
    """What `Store.write_batch` did: the accounts that had rows in the batch, and the rows it refused
    (everything else is committed)."""

    accounts: set[tuple[str, str]] = field(default_factory=set)
    refused: list[RefusedRow] = field(default_factory=list)
    stored: int = 0
    retried: bool = False  # the batch failed as a whole and was written row by row


def clean_text(value: str) -> str:
    """Lone surrogates (invalid UTF-8) become U+FFFD, NUL characters are removed (PostgreSQL cannot hold them),
    and the text is cut at TEXT_MAX characters. Anything else is returned as is."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = _SURROGATES.sub("\ufffd", value)
    return value[:TEXT_MAX] if len(value) > TEXT_MAX else value


def _text(value: Any) -> Any:
    return clean_text(value) if value.__class__ is str else value


def _key(value: Any) -> Any:
    if value.__class__ is str:
        value = clean_text(value)
        if len(value) > ID_MAX:
            raise Refused("id_too_long")
    return value


def _number(value: Any, low: int, high: int) -> Any:
    """A count as an integer within the column's range. Out of range, not finite or not whole: refused, not
    clamped — a clamped count is still a made-up one, and it would flow into every sum and median."""
    if value is None:
        return None
    if isinstance(value, float):
        if not (math.isfinite(value) and value.is_integer()):
            raise Refused("number_out_of_range")
        value = int(value)
    if isinstance(value, int) and not low <= value <= high:
        raise Refused("number_out_of_range")
    return value


def _int64(value: Any) -> Any:
    return _number(value, *INT64)


def _int32(value: Any) -> Any:
    return _number(value, *INT32)


def _naive(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise Refused("bad_date")
    try:
        return utc_naive(value)
    except (OverflowError, ValueError):  # e.g. year 9999 with a negative UTC offset
        raise Refused("bad_date") from None


SQLITE_DATETIME = "%04d-%02d-%02d %02d:%02d:%02d.%06d"  # sqlalchemy.dialects.sqlite.DATETIME's storage format


def _sqlite_datetime(value: Any) -> Any:
    """SQLAlchemy's SQLite DATETIME text ("2026-08-01 04:00:00.000000"), so both write paths give the same bytes."""
    value = _naive(value)
    return None if value is None else value.isoformat(" ", "microseconds")


def json_dumps(value: Any) -> str:
    """The store's JSON: compact UTF-8 (orjson). Used by the engine too, so every JSON column has one format."""
    return orjson.dumps(value, option=_JSON_OPTIONS).decode()


def _json(value: Any) -> str:
    try:
        out = orjson.dumps(value, option=_JSON_OPTIONS)
    except (TypeError, orjson.JSONEncodeError):  # lone surrogates, 2**64 and up, unknown types
        out = None
    if out is None or len(out) > JSON_MAX or b"\\u0000" in out:
        try:
            out = orjson.dumps(_clean_json(value), option=_JSON_OPTIONS)
        except (TypeError, orjson.JSONEncodeError):
            raise Refused("bad_json") from None
        if len(out) > JSON_MAX:
            raise Refused("bad_json")
    return out.decode()


def _clean_json(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): _clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean_json(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and not INT64[0] <= value <= INT64[1]:
        return str(value)  # JSON cannot carry it as a number everywhere; as text it keeps its digits
    return value


_INDEXED_IDS = frozenset(("platform", "account_id", "post_id", "comment_id", "run_id"))


def _converter(table: Table, column: Column, sqlite: bool) -> Any:
    """The function that makes one column's value storable (None: stored as given)."""
    kind = column.type
    if isinstance(kind, JSON):
        return _json
    if isinstance(kind, DateTime):
        return _sqlite_datetime if sqlite else _naive
    if isinstance(kind, BigInteger):
        return _int64
    if isinstance(kind, Integer):
        return _int32
    if isinstance(kind, Boolean):
        return None
    if column.name in _INDEXED_IDS:
        return _key
    return _text


def _expression(column: Column, convert: Any, value: str, sqlite: bool) -> str:
    """Python source for one column's parameter. The common case (an ASCII id, a count in range, an aware UTC
    time, an empty list) is handled inline; anything else calls the column's converter (`c`).

    On SQLite, None is bound as NaN and a bool as 0/1: Python's sqlite3 (3.11) binds only exact int, float and str
    directly; None and bool go through its adapter look-up, ~0.5 µs each (a post has a dozen), while SQLite itself
    stores a bound NaN as NULL and SQLAlchemy's Boolean binds 0/1. The stored bytes are the same."""
    kind = column.type
    null = "NULL if (v := {value}) is None else " if sqlite else ""
    if convert is None:  # Boolean
        return f"({null.format(value=value)}1 if v is True else 0 if v is False else v)" if sqlite else value
    if isinstance(kind, JSON):  # None is JSON null, as SQLAlchemy's JSON type stores it
        return f"(('[]' if v.__class__ is list else '{{}}') if not (v := {value}) and v.__class__ in EMPTY else c(v))"
    bind = f"(v := {value})" if not sqlite else "v"
    null = null.format(value=value)
    if isinstance(kind, DateTime):
        # SQLAlchemy's SQLite DATETIME storage format itself: twice as fast as isoformat() on an aware time.
        fast = (f"{SQLITE_DATETIME!r} % (v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond)"
                if sqlite else "v.replace(tzinfo=None)")
        return f"({null}{fast} if {bind}.__class__ is datetime and (v.tzinfo is UTC or v.tzinfo is None) else c(v))"
    if isinstance(kind, Integer):  # BigInteger too
        low, high = INT64 if isinstance(kind, BigInteger) else INT32
        check = f"(v.__class__ is int and {low} <= v <= {high})"
        return f"({null}v if {check} else c(v))" if sqlite else f"(v if {bind} is None or {check} else c(v))"
    limit = ID_MAX if convert is _key else TEXT_MAX
    return (f"({null}v if {bind}.__class__ is not str or (v.isascii() and len(v) <= {limit} and '\\x00' not in v) "
            "else c(v))")

