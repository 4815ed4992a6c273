"""Text helpers shared by every platform parser: HTML → plain text, hashtags, mentions, links, counts.

Pure functions with no Scrapy import, so parsers stay testable on fixtures alone.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_BLOCK_TAGS = {"br", "p", "div", "li", "blockquote"}
_WEIBO_TOPIC = re.compile(r"#([^#\n]{1,64})#")
_HASHTAG = re.compile(r"(?<![\w&])#(\w[\w\-]{0,63})", re.UNICODE)
_MENTION = re.compile(r"@([\w\-\.]{1,64}(?:@[\w\-]+(?:\.[\w\-]+)+)?)", re.UNICODE)
_URL = re.compile(r"https?://[^\s<>\"'，。！？、]+", re.IGNORECASE)
_EMOJI_CODE = re.compile(r"\[[^\[\]\s]{1,8}\]")
_EMOJI_CHAR = re.compile(
    "[\U0001f300-\U0001faff\U00002600-\U000027bf\U0001f000-\U0001f2ff\U0001f900-\U0001f9ff\u2b50\u2764]"
)


class _TextExtractor(HTMLParser):
    """Collects text; `<img alt>` (Weibo emoji) becomes its alt text; `<a href>` targets are kept as links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "img" and attributes.get("alt"):
            self.parts.append(attributes["alt"] or "")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
        elif tag == "a" and attributes.get("href"):
            self.hrefs.append(attributes["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("p", "div", "li", "blockquote"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(markup: str | None) -> str:
    """Plain text from an HTML fragment; never raises on broken markup."""
    if not markup:
        return ""
    if "<" not in markup and "&" not in markup:
        return _tidy(markup)
    parser = _TextExtractor()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:
        return _tidy(re.sub(r"<[^>]*>", "", html.unescape(markup)))
    return _tidy("".join(parser.parts))


def html_links(markup: str | None) -> list[str]:
    """The href targets of `<a>` tags in a fragment."""
    if not markup or "<a" not in markup:
        return []
    parser = _TextExtractor()
    try:
        parser.feed(markup)
    except Exception:
        return []
    return parser.hrefs


def _tidy(text: str) -> str:
    text = text.replace("\u200b", "").replace("\xa0", " ")
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def weibo_topics(text: str) -> list[str]:
    """`#话题#` pairs, in order, without duplicates."""
    return _unique(m.strip() for m in _WEIBO_TOPIC.findall(text or "") if m.strip())


def hashtags(text: str) -> list[str]:
    """`#tag` (open platforms): letters, digits and underscores after a `#`."""
    return _unique(_HASHTAG.findall(text or ""))


def mentions(text: str) -> list[str]:
    return _unique(m.rstrip(".") for m in _MENTION.findall(text or ""))


def urls(text: str) -> list[str]:
    return _unique(u.rstrip(".,;:!?)") for u in _URL.findall(text or ""))


def emoji_count(text: str) -> int:
    """Weibo bracket emoji (`[笑cry]`) plus Unicode emoji characters."""
    return len(_EMOJI_CODE.findall(text or "")) + len(_EMOJI_CHAR.findall(text or ""))


_COUNT = re.compile(r"^\s*([\d.,]+)\s*([万亿kKmMbB千]?)\s*(\+?)\s*$")
_MULTIPLIER = {"": 1, "千": 1_000, "万": 10_000, "亿": 100_000_000, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}


def parse_count(value: object) -> tuple[int | None, bool]:
    """A count as (int, is_lower_bound): 12 → (12, False); "1.2万" → (12000, False);
    "100万+" → (1000000, True); "1.7K" → (1700, True: rounded display); "" / None / junk → (None, False)."""
    if value is None or isinstance(value, bool):
        return None, False
    if isinstance(value, int):
        return (value, False) if value >= 0 else (None, False)
    if isinstance(value, float):
        return (int(value), False) if value >= 0 else (None, False)
    match = _COUNT.match(str(value))
    if not match:
        return None, False
    number, unit, plus = match.groups()
    try:
        amount = float(number.replace(",", ""))
    except ValueError:
        return None, False
    multiplier = _MULTIPLIER[unit.lower() if unit.isascii() else unit]
    # Telegram's "1.7K" is a rounded display (lower bound); Weibo's "1.2万" is shown as is, "100万+" is capped.
    rounded = multiplier > 1 and unit.isascii()
    return round(amount * multiplier), bool(plus) or rounded


def _unique(items: object) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:  # type: ignore[attr-defined]
        seen.setdefault(item, None)
    return list(seen)
