"""The report's and the console's language: which one (zh | en), its gettext catalog, its number formats.

Language choice, first that applies: `scrapy report --lang`, `[benchmark] language` in the config, the
system locale (LC_ALL, then LC_MESSAGES, then LANG, as POSIX orders them: a value starting with `zh` means
Chinese), English.

Catalogs are ordinary gettext catalogs made with Babel: `benchmark/locale/messages.pot` is extracted from
the Python code and the jinja2 templates (`babel.cfg`), `benchmark/locale/<lang>/LC_MESSAGES/messages.po`
holds the translations and the compiled `messages.mo` next to it is what is read at run time. Both are
committed so that a source checkout and `pip install -e .` work without a build step; `tests/test_i18n.py`
fails when a `.mo` is stale or a string has no translation. `python -m benchmark.i18n update` re-extracts,
merges and compiles (see `benchmark/locale/README.md`).

Only the standard library is imported at module level: the crawl console uses the catalogs, and Babel
(number and date formats) is imported on first use by the report.
"""

from __future__ import annotations

import gettext
import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Environment

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "en"
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).parent / "locale"
# Babel (CLDR) locale per language: simplified Chinese as used in mainland China; English with CLDR's
# default (US-style dates such as "Jul 1, 2026").
BABEL_LOCALES = {"zh": "zh_Hans_CN", "en": "en"}
HTML_LANGS = {"zh": "zh-CN", "en": "en"}
# POSIX precedence: LC_ALL overrides LC_MESSAGES, which overrides LANG.
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")
# Chinese counts from 万 (10,000) up are written 12.3万 / 1.2亿; below that the exact number is short enough.
CHINESE_COMPACT_FROM = 10_000
MISSING = "—"
# Extracted besides gettext's usual names (`pybabel extract -k`): see Message.
EXTRA_KEYWORDS = ("Message", "NP_:1c,2")


def N_(message: str) -> str:  # the conventional gettext name for "mark now, translate later"
    """Mark a module-level string for extraction; translate it where it is shown with `_()`."""
    return message


def NP_(context: str, message: str) -> str:
    """N_ with a context: marks `pgettext(context, message)`'s msgid (platform labels in their specs)."""
    return message


class Message(str):
    """A sentence for the user that can be shown in either language, whatever language it was made in.

    As a `str` it is the English source text, which logs, `crawl_accounts.message` and scripts see.
    `translate(language)` renders it through the catalogs; `to_json()`/`from_stored()` carry it through the
    store and Redis, so the report speaks its own language, not the one the crawl ran in. Placeholders are
    named; a parameter may itself be a Message. The msgid must be a literal: `pybabel extract` finds it
    through the `Message` keyword (see `update_catalogs`).

        Message("HTTP {status}: no such account", status=404)
    """

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, **params: Any) -> Message:
        message = super().__new__(cls, msgid.format(**params) if params else msgid)
        message.msgid = msgid
        message.params = params
        return message

    def __reduce__(self) -> tuple[Any, ...]:  # pickles (JOBDIR, subprocesses) keep the msgid and params
        return (_message_from_parts, (self.msgid, self.params))

    def translate(self, language: str | None = None) -> str:
        template = translations(language or current_language()).gettext(self.msgid)
        if not self.params:
            return template
        return template.format(**{name: translate(value, language) for name, value in self.params.items()})

    def to_json(self) -> str:
        return json.dumps(_message_parts(self), ensure_ascii=False, default=str)


def _message_from_parts(msgid: str, params: dict[str, Any]) -> Message:
    return Message(msgid, **params)


def _message_parts(value: Any) -> Any:
    if isinstance(value, Message):
        return {"msgid": value.msgid, "params": {k: _message_parts(v) for k, v in value.params.items()}}
    return value


def _message_of_parts(value: Any) -> Any:
    if isinstance(value, dict) and "msgid" in value:
        if value["msgid"] not in known_msgids():  # only our own sentences: never a template from elsewhere
            raise ValueError("not a msgid of the catalogs")
        return Message(value["msgid"], **{k: _message_of_parts(v) for k, v in value.get("params", {}).items()})
    return value


@cache
def known_msgids() -> frozenset[str]:
    """Every msgid of the catalogs. A stored message names one of these, or it is shown as plain text: text
    from Redis or a store may come from elsewhere (a platform's error), and a template runs `.format`."""
    catalog = getattr(translations(DEFAULT_LANGUAGE), "_catalog", {})  # GNUTranslations' msgid → msgstr
    return frozenset(key for key in catalog if isinstance(key, str) and key)


def translate(text: Any, language: str | None = None) -> Any:
    """A Message in `language` (default: the current one); anything else as it is."""
    return text.translate(language) if isinstance(text, Message) else text


def to_stored(text: str | None) -> str:
    """What a text field in Redis keeps: a Message as its JSON, plain text as it is."""
    return text.to_json() if isinstance(text, Message) else (text or "")


def from_stored(text: str | None) -> str:
    """The inverse of `to_stored` and the reader of `crawl_accounts.message_i18n`: a Message back from its
    JSON, anything else (older rows, platform text) unchanged."""
    if not text or not text.startswith("{"):
        return text or ""
    try:
        message = _message_of_parts(json.loads(text))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):  # hand-edited or cut: as it is
        return text
    return message if isinstance(message, Message) else text


def stored_message(message: str | None, message_i18n: str | None, language: str | None = None) -> str:
    """A `crawl_accounts` reason in `language`: its `message_i18n` translated when there is one (rows of
    older versions and reasons quoting the platform have none), else the English `message`."""
    translated = from_stored(message_i18n)
    return translate(translated, language) if isinstance(translated, Message) else (message or "")


# -- which language --------------------------------------------------------------------------------------
def normalize_language(value: str | None) -> str | None:
    """'zh', 'zh_CN.UTF-8', 'zh-Hant-TW' → 'zh'; 'en', 'en_GB' → 'en'; anything else (or 'C') → None."""
    if not value:
        return None
    code = value.strip().replace("-", "_").split(".")[0].split("@")[0].split("_")[0].lower()
    return code if code in LANGUAGES else None


def system_language(environ: Mapping[str, str] | None = None) -> str | None:
    """The language of the user's locale: the first set variable of LC_ALL, LC_MESSAGES, LANG decides."""
    env = os.environ if environ is None else environ
    for name in LOCALE_VARIABLES:
        value = env.get(name, "").strip()
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return None


def choose_language(cli: str | None = None, config: str | None = None,
                    environ: Mapping[str, str] | None = None) -> str:
    """`--lang`, else the config's `language`, else the system locale, else English.

    A `cli` or `config` value that is not a known language raises ValueError (both are validated before,
    so this means a programming error, not a user's typo)."""
    for source in (cli, config):
        if source:
            language = normalize_language(source)
            if language is None:
                raise ValueError(f"unknown language {source!r} (expected one of {', '.join(LANGUAGES)})")
            return language
    return system_language(environ) or DEFAULT_LANGUAGE


# -- catalogs -----------------------------------------------------------------------------------------
def catalog_path(language: str, suffix: str = ".mo") -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of `language`. A missing catalog falls back to the English source strings (so a
    broken install still prints something readable); the tests make sure both catalogs are there."""
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language], fallback=True)


def gettext_for(language: str) -> Callable[[str], str]:
    """`_ = gettext_for(lang)`; then `_("{count} posts").format(count=...)` (named placeholders only)."""
    return translations(language).gettext


# The report's code translates through these module-level functions in the language of the surrounding
# `use_language` block, so the language need not be threaded through every function that builds a string.
_current: ContextVar[str] = ContextVar("benchmark_language", default=DEFAULT_LANGUAGE)


def current_language() -> str:
    return _current.get()


@contextmanager
def use_language(language: str) -> Iterator[str]:
    """`with use_language("zh"): ...`: `_()`, `ngettext()`, `pgettext()` and the format_* defaults speak it."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r} (expected one of {', '.join(LANGUAGES)})")
    token = _current.set(language)
    try:
        yield language
    finally:
        _current.reset(token)


def _(message: str) -> str:
    """gettext in the current language; placeholders are named: `_("{n} posts").format(n=...)`."""
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """gettext with a context, for short words that mean different things in different places."""
    return translations(_current.get()).pgettext(context, message)


def install_jinja(env: Environment, language: str) -> None:
    """Give a jinja2 environment `{% trans %}`, `_()`/`gettext()`/`ngettext()` in `language` and the locale
    filters `count`, `number`, `percent`, `date`, `period` (see the format_* functions below).

    New-style gettext: `{{ _("%(n)s posts", n=n) }}` formats and escapes its arguments itself, and
    `{% trans %}` blocks are trimmed, the same options `babel.cfg` extracts with."""
    from markupsafe import Markup

    env.add_extension("jinja2.ext.i18n")
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.globals["lang"] = language
    env.globals["html_lang"] = HTML_LANGS[language]
    env.filters["count"] = lambda value: Markup(format_count(value, language).html())
    env.filters["number"] = lambda value, digits=0: format_number(value, language, digits)
    env.filters["percent"] = lambda value, digits=0: format_percent(value, language, digits)
    env.filters["date"] = lambda value, length="medium": format_date(value, language, length)
    env.filters["period"] = lambda start, end: format_period(start, end, language)


# -- numbers and dates (language None: the current language) ------------------------------------------
def _babel_locale(language: str | None) -> str:
    return BABEL_LOCALES[language or current_language()]


def weekday_names(language: str | None = None, width: str = "abbreviated") -> list[str]:
    """Monday first: ['周一', …] / ['Mon', …] (width: abbreviated | wide | short | narrow)."""
    from babel.dates import get_day_names

    names = get_day_names(width, locale=_babel_locale(language))
    return [names[day] for day in range(7)]


def _is_missing(value: Any) -> bool:
    return value is None or value != value  # NaN is the only value not equal to itself


class Count(str):
    """A count as shown (12.3万 in Chinese) that keeps the exact number (123,456) for a tooltip: a `str`
    everywhere (CSV, sentences), and `<abbr title="123,456">12.3万</abbr>` in a jinja2 template."""

    exact: str

    def __new__(cls, short: str, exact: str) -> Count:
        count = super().__new__(cls, short)
        count.exact = exact
        return count

    @property
    def short(self) -> str:
        return str.__str__(self)

    @property
    def abbreviated(self) -> bool:
        return self.short != self.exact

    def html(self) -> str:
        """`<abbr title="123,456">12.3万</abbr>` when abbreviated, else the escaped number."""
        if self.abbreviated:
            return f'<abbr title="{escape(self.exact)}">{escape(self.short)}</abbr>'
        return escape(self.short)

    __html__ = html  # what jinja2's autoescape (markupsafe) asks an object for


def format_count(value: Any, language: str | None = None) -> Count:
    """Followers, views, posts: '12.3万' / '1.2亿' in Chinese from 10,000 up, '123,456' in English (a
    marketer in China reads 万 and 亿 at a glance; an English reader reads the full number)."""
    from babel.numbers import format_compact_decimal

    if _is_missing(value):
        return Count(MISSING, MISSING)
    locale = _babel_locale(language)
    exact = _format_decimal(value, locale, None)
    if (language or current_language()) == "zh" and abs(value) >= CHINESE_COMPACT_FROM:
        return Count(format_compact_decimal(value, locale=locale, fraction_digits=1), exact)
    return Count(exact, exact)


def format_number(value: Any, language: str | None = None, digits: int = 0) -> str:
    """A decimal with grouping and exactly `digits` decimals: 1,234.5."""
    if _is_missing(value):
        return MISSING
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return _format_decimal(value, _babel_locale(language), pattern)


def _format_decimal(value: Any, locale: str, pattern: str | None) -> str:
    """babel.numbers.format_decimal(value, format=pattern, locale=locale), with the locale and the pattern
    parsed once: format_decimal parses both on every call (4,600 calls in a small report, half its cost)."""
    parsed_locale, parsed_pattern = _decimal_format(locale, pattern)
    return parsed_pattern.apply(value, parsed_locale, decimal_quantization=True, group_separator=True,
                                numbering_system="latn")


@cache
def _decimal_format(locale: str, pattern: str | None) -> tuple[Any, Any]:
    from babel import Locale
    from babel.numbers import parse_pattern

    parsed = Locale.parse(locale)
    return parsed, parse_pattern(parsed.decimal_formats[None] if pattern is None else pattern)


def format_percent(share: Any, language: str | None = None, digits: int = 0) -> str:
    """A share (0.243) as a percentage with `digits` decimals: '24%' or, with digits=1, '24.3%'."""
    from babel.numbers import format_percent as babel_percent

    if _is_missing(share):
        return MISSING
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "") + "%"
    return babel_percent(share, format=pattern, locale=_babel_locale(language))


def format_date(day: date | datetime | None, language: str | None = None, length: str = "medium") -> str:
    """'2026年7月1日' / 'Jul 1, 2026' (length: short | medium | long | full, or a CLDR pattern)."""
    from babel.dates import format_date as babel_date

    if day is None:
        return MISSING
    return babel_date(day, format=length, locale=_babel_locale(language))


def format_period(start: date, end: date, language: str | None = None) -> str:
    """'2026年7月1日至9月30日'-style ranges: '2026年7月1日 – 9月30日' / 'Jul 1 – Sep 30, 2026'."""
    from babel.dates import format_interval

    return format_interval(start, end, skeleton="yMMMd", locale=_babel_locale(language))


# -- maintenance: python -m benchmark.i18n update ----------------------------------------------------
def _fill_english(po_path: Path) -> int:
    """The English catalog translates each source string to itself until someone rewords it there."""
    from babel.messages.pofile import read_po, write_po

    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            if not any(message.string):
                message.string = tuple(message.id)
                filled += 1
        elif not message.string:
            message.string = message.id
            filled += 1
    with po_path.open("wb") as handle:
        write_po(handle, catalog, width=120, sort_output=True)
    return filled


def update_catalogs(root: Path | None = None) -> None:
    """Extract messages.pot from the code and templates, merge it into each .po, fill English, compile.

    Runs from the repository root so the .pot names files by their repository paths."""
    from contextlib import chdir

    from babel.messages.frontend import CommandLineInterface

    root = root or LOCALE_DIR.parent.parent
    pot = LOCALE_DIR.relative_to(root) / f"{DOMAIN}.pot"
    locale_dir = str(LOCALE_DIR.relative_to(root))

    def pybabel(*args: str) -> None:
        CommandLineInterface().run(["pybabel", "-q", *args])

    with chdir(root):
        pybabel("extract", "-F", "babel.cfg", "-o", str(pot), "--add-location=file", "--sort-output", "-w", "120",
                *(arg for keyword in EXTRA_KEYWORDS for arg in ("-k", keyword)),
                "-c", "Translators:", "--project=brand-benchmark", "--version=0.1",
                "--copyright-holder=brand-benchmark contributors", ".")
        for language in LANGUAGES:
            if not catalog_path(language, ".po").exists():
                pybabel("init", "-i", str(pot), "-d", locale_dir, "-l", language, "-w", "120")
        pybabel("update", "-i", str(pot), "-d", locale_dir, "--no-fuzzy-matching", "--ignore-obsolete",
                "-w", "120")
        print(f"English: {_fill_english(catalog_path('en', '.po'))} new strings copied from the source")
        pybabel("compile", "-d", locale_dir, "--statistics")


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["update"]:
        sys.exit("usage: python -m benchmark.i18n update")
    update_catalogs()
