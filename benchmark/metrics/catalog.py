"""The metric dictionary of METRICS.md in the reader's language: labels, definitions, terms, value formats.

The metrics themselves (ids, units, definitions, labels, sections, flags) are benchmark.metrics.specs' registry;
this module says them in the current language and keeps the platforms' engagement formulas.

Standard library only (Babel on first use, through benchmark.i18n): the report's methodology section and the
CSV completeness check both read it. Definitions and names are English source strings marked for gettext;
`metric_label`, `metric_definition`, `term` and `format_value` give them in the current language
(benchmark.i18n.use_language).
"""

from __future__ import annotations

import gettext
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any

from benchmark import platforms
from benchmark.i18n import _, current_language, format_count, format_number, translations, use_language
from benchmark.metrics.specs import (  # noqa: F401  (re-exported: the codes' historical home)
    ANSWERED_WHEN,
    AUTHOR_CLASSES,
    FAMILY_LABELS,
    KEY_METRICS,
    LABELS,
    METRIC_IDS,
    PURPOSE_LABELS,
    RESPONSE_BUCKETS,
    SPECS,
    VOICE_CLASSES,
)

METRICS_VERSION = "2026.1"

# Platforms where an account can reply to others (each platform spec says: has_replies).
REPLY_PLATFORMS = tuple(spec.name for spec in platforms.all_specs() if spec.has_replies)
# Platforms with reposts and quotes (has_reposts); elsewhere the repost metrics are undefined, not 0.
REPOST_PLATFORMS = tuple(spec.name for spec in platforms.all_specs() if spec.has_reposts)
# Platforms where authors choose each post's format (has_format_choice); elsewhere format_diversity is undefined.
FORMAT_CHOICE_PLATFORMS = tuple(spec.name for spec in platforms.all_specs() if spec.has_format_choice)

# Which counters make up E for each platform (views are reach, never engagement), and their words (msgids):
# from each platform's spec (benchmark/platforms/<name>/__init__.py).
ENGAGEMENT_COMPONENTS: dict[str, tuple[str, ...]] = {
    spec.name: spec.engagement_components for spec in platforms.all_specs()}
ENGAGEMENT_WORDING = {spec.name: spec.engagement_wording for spec in platforms.all_specs()}

# id -> (unit, definition in English, METRICS.md's wording); metric_definition() gives it in the current language.
METRICS: dict[str, tuple[str, str]] = {
    spec.id: (spec.unit, spec.definition.format(**{k: ANSWERED_WHEN[code] if group == "answered" else code
                                                   for k, (group, code) in spec.params.items()}))
    for spec in SPECS.values()
}


def unit_of(metric: str) -> str:
    return METRICS[metric][0]


# -- in the reader's language ---------------------------------------------------------------------------
def _term_table(pgettext: Callable[[str, str], str], _: Callable[[str], str]) -> dict[str, dict[str, str]]:
    """Every code a reader sees (roles, formats, statuses, ...) in one catalog; the calls are literal so
    that pybabel extracts them. English keeps the codes themselves."""
    return {
        "role": {"own": pgettext("role", "own"), "peer": pgettext("role", "peer"),
                 "exemplar": pgettext("role", "exemplar")},
        "platform": {spec.name: pgettext("platform", spec.display_label()) for spec in platforms.all_specs()},
        "kind": {"original": pgettext("post kind", "original"), "repost": pgettext("post kind", "repost"),
                 "quote": pgettext("post kind", "quote"), "reply": pgettext("post kind", "reply")},
        "format": {"text": pgettext("post format", "text"), "image": pgettext("post format", "image"),
                   "gif": pgettext("post format", "gif"), "video": pgettext("post format", "video"),
                   "audio": pgettext("post format", "audio"), "live": pgettext("post format", "live"),
                   "article": pgettext("post format", "article"), "link": pgettext("post format", "link"),
                   "poll": pgettext("post format", "poll"), "short": pgettext("post format", "short")},
        "purpose": {"brand": pgettext("purpose", "brand"), "communication": pgettext("purpose", "communication"),
                    "sales": pgettext("purpose", "sales"), "service": pgettext("purpose", "service"),
                    "other": pgettext("purpose", "other")},
        "author": {"self": pgettext("author class", "self"), "affiliate": pgettext("author class", "affiliate"),
                   "panel": pgettext("author class", "panel"),
                   "organization": pgettext("author class", "organization"),
                   "fan": pgettext("author class", "fan"), "unknown": pgettext("author class", "unknown")},
        "voice": {"complaint": pgettext("fan voice", "complaint"), "praise": pgettext("fan voice", "praise"),
                  "question": pgettext("fan voice", "question"), "other": pgettext("fan voice", "other")},
        "answered": {bucket: _(text) for bucket, text in ANSWERED_WHEN.items()},
        "status": {"ok": pgettext("crawl status", "ok"), "partial": pgettext("crawl status", "partial"),
                   "failed": pgettext("crawl status", "failed"),
                   "login_wall": pgettext("crawl status", "login_wall"),
                   "blocked": pgettext("crawl status", "blocked"),
                   "not_found": pgettext("crawl status", "not_found"),
                   "private": pgettext("crawl status", "private"),
                   "opted_out": pgettext("crawl status", "opted_out")},
        "unit": {"count": pgettext("unit", "count"), "rate": pgettext("unit", "rate"),
                 "share": pgettext("unit", "share"), "er": pgettext("unit", "er"), "ratio": pgettext("unit", "ratio"),
                 "number": pgettext("unit", "number"), "hours": pgettext("unit", "hours"),
                 "flag": pgettext("unit", "flag")},
    }


@cache
def _terms(catalog: gettext.NullTranslations) -> dict[str, dict[str, str]]:
    return _term_table(catalog.pgettext, catalog.gettext)


def term(group: str, code: Any) -> str:
    """A code as the reader says it: term("role", "own") → 'own' / '自有'; unknown codes pass through."""
    return _terms(translations(current_language())).get(group, {}).get(str(code), str(code))


def term_codes() -> dict[str, set[str]]:
    """The codes each term group names (for the tests: every role, kind, format ... has a name)."""
    return {group: set(names) for group, names in _term_table(lambda _context, m: m, str).items()}


def metric_label(metric: str) -> str:
    """The marketer's name of a metric in the current language: 'Fan reposts per post' / '每帖转发粉丝数'."""
    if metric in LABELS:
        return _(LABELS[metric])
    family, _dot, part = metric.partition(".")
    if family in FAMILY_LABELS:
        message, group = FAMILY_LABELS[family]
        return _(message).format(part=term(group, part))
    return metric


def metric_definition(metric: str) -> str:
    """METRICS' definition of a metric in the current language."""
    spec = SPECS[metric]
    return _(spec.definition).format(**{name: term(group, code) for name, (group, code) in spec.params.items()})


def engagement_wording(platform: str) -> str:
    return _(ENGAGEMENT_WORDING[platform]) if platform in ENGAGEMENT_WORDING else platform


def format_value(metric: str, value: float | None, language: str | None = None) -> str:
    """A metric value as a marketer reads it, in the current language: shares in %, engagement rates in ‰,
    counts in full (English) or as 12.3万 (Chinese, the exact number kept for the HTML tooltip), '—' when
    undefined."""
    if language is not None:
        with use_language(language):
            return format_value(metric, value)
    if value is None or value != value:  # NaN
        return "—"
    unit = METRICS[metric][0] if metric in METRICS else "number"
    if unit == "share":
        # Translators: a percentage; English keeps a space before %, Chinese writes 30.0%.
        return _("{value} %").format(value=_figure(value * 100, 1))
    if unit == "er":
        if _ER_UNIT.get() == "percent":
            return _("{value} %").format(value=_figure(value * 100, 3))
        # Translators: an engagement rate in per mille (‰).
        return _("{value} ‰").format(value=_figure(value * 1000, 2))
    if unit == "count":
        return format_count(round(value))
    if unit == "flag":
        return _("yes") if value else _("no")
    if unit == "hours":
        # Translators: a duration in hours.
        return _("{value} h").format(value=_figure(value, 1))
    if unit == "ratio" or abs(value) < 10:
        return _figure(value, 2)
    return format_number(value, digits=1)


ER_UNITS = ("permille", "percent")  # how engagement rates are shown (`build_report(units=...)`)
_ER_UNIT: ContextVar[str] = ContextVar("er_unit", default="permille")


@contextmanager
def use_er_unit(units: str | None) -> Iterator[None]:
    """Show engagement rates in per mille (the default, usual in China) or in percent inside the block."""
    token = _ER_UNIT.set(units or "permille")
    try:
        yield
    finally:
        _ER_UNIT.reset(token)


def er_scale() -> tuple[int, str]:
    """(factor, symbol) of the engagement-rate unit in use: (1000, '‰') or (100, '%')."""
    return (100, "%") if _ER_UNIT.get() == "percent" else (1000, "‰")


def format_share(share: float, digits: int = 0) -> str:
    """A share (0.243) as a percentage with `digits` decimals, significant digits kept for tiny shares."""
    if share is None or share != share:
        return "—"
    return _("{value} %").format(value=_figure(share * 100, digits))


def _figure(value: float, digits: int) -> str:
    """`value` with `digits` decimals, or, where that would print a non-zero value as 0, with two significant
    digits (0.0042, not 0.00): a figure that rounds to zero reads as "none"."""
    if value == 0 or abs(value) >= 0.5 * 10 ** -digits:
        return format_number(value, digits=digits)
    needed = -math.floor(math.log10(abs(value))) + 1
    return format_number(value, digits=needed).rstrip("0")
