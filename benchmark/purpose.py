"""Purpose labels for brand posts: `brand`, `communication`, `sales`, `service` or `other` (METRICS.md "Purpose").

Transparent, deterministic rules, so a marketer can check every label by hand (docs/purpose-rules.md):

1. Normalise the text: traditional → simplified characters (data/t2s_chars.json), full-width → ASCII
   (`？` → `?`, `￥` → `¥`), lower case. Lexicon terms get the same treatment, so a term written in either
   script matches text in either script.
2. Score each label: +1 per distinct lexicon term found, +1 per structural signal that fires
   (sales: price, discount pattern, shop link; service: help/support link, hotline number;
   communication: question mark, reply, leading @mention). So `score == len(explain()[label])`.
3. The highest score wins; ties go to the first label in `TIE_ORDER`; no hits at all → `other`.
   A hit on a user's `other` terms (an exclusion list, e.g. 招聘) makes the post `other` outright.

No third-party import: the report labels up to a million posts, and the crawl path may import this module.
The normalisation, the trie regexes and the config checks are the shared engine of benchmark/textrules.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from benchmark.textrules import TermIndex, char_table, checked_extra, load_json, normalise_term, trie_pattern

PURPOSE_LABELS = ("brand", "communication", "sales", "service", "other")

# Ties go to the more specific job: service words (退款, refund) are rare and deliberate, sales words
# (优惠券, $99) come next, a question mark or a greeting is weak, and brand talk is the default register.
TIE_ORDER = ("service", "sales", "communication", "brand")
# `other` has no shipped lexicon. Terms a user lists under `[purpose.lexicon] other = [...]` (招聘, "we're
# hiring") are an exclusion list: one hit makes the post `other`, whatever the other labels score.

LEXICON_DIR = Path(__file__).parent / "data" / "purpose"
LEXICON_FILES = ("lexicon_zh_hans.json", "lexicon_zh_hant.json", "lexicon_en.json")

# Longer texts are cut before matching, so a hostile multi-megabyte "post" costs bounded time.
MAX_TEXT_CHARS = 50_000
MAX_TERM_CHARS = 100

# Text a platform fills in when someone reposts without comment (compared after normalisation, so 轉發微博
# is covered): it says nothing about the post's purpose, so it is matched as empty text.
PLACEHOLDER_TEXTS = frozenset({"转发微博", "repost", "reposted"})

_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']{1,2000}", re.IGNORECASE)

# The signal regexes below each start with a plain character or character class, never with a lookbehind or an
# alternation of classes: that keeps `re`'s first-character fast path (10x faster here, measured).
# Lookbehinds such as `\d(?<![\d.,]\d)` stand right after the first character for the same reason: "a digit
# run that starts here". Quantifiers are bounded, so a hostile string of 100,000 digits costs linear time.

# A selling price: a currency sign or code next to a number (¥99, $ 149, nt$1,280, rmb 99), or a number
# followed by a currency word (3999 元, 9块钱, 20 dollars). 元 followed by 旦/宵/年/宇宙… is New Year's Day, the
# Lantern Festival, "year one", the metaverse: not money. Amounts in 万/亿 (捐赠1000万元) are donations or revenue
# and do not match. A prize value (`价值¥599`, `worth $599`) is not a price either (see `_is_prize`).
_MARKED_PRICE = re.compile(
    r"(?:¥|\$|€|£|r(?<![a-z]r)mb|c(?<![a-z]c)ny|u(?<![a-z]u)sd|h(?<![a-z]h)kd|t(?<![a-z]t)wd)"
    r"\s?\d{1,9}(?:[.,]\d{1,3}){0,3}"
)
_PRIZE_WORDS = ("价值", "价值约", "worth", "valued at")
_DIGIT = re.compile(r"\d").search
# Signals that start a digit run, found in one pass (the first alternative that fits wins):
# - price: a number and a currency word, as above;
# - discount: 8折 / 8.5折 / 79 折 (not 3折叠, a tri-fold phone), 40% off;
# - hotline: customer-service numbers, mainland 400/800, Taiwan 0800, North American toll-free 1-8xx.
_NUMBER_SIGNALS = re.compile(
    r"\d(?<![\d.,]\d)(?:"
    r"(?P<price>\d{0,8}(?:[.,]\d{1,3}){0,3}\s?"
    r"(?:元(?!旦|宵|年|宇宙|素|气|老|首|帅|朝|代)|块钱|rmb|usd|eur|hkd|twd|dollars?|bucks|yuan)(?![a-z]))"
    r"|(?P<discount>\d?(?:\.\d)?\s?折(?!叠)|\d{0,2}\s?%\s?off(?![a-z]))"
    r"|(?P<hotline>(?:(?<=[48])00|(?<=0)800)[-\s]?\d{3}[-\s]?\d{3,4}(?!\d)"
    r"|(?<=1)[-\s]?8(?:00|33|44|55|66|77|88)[-\s]?\d{3}[-\s]?\d{4}(?!\d)))"
)
# Discounts without a leading digit: 五折, 满300减50, 买二送一, buy 2 get 1 (searched only when a hint occurs).
_DISCOUNT_WORDS = re.compile(
    r"[一二三四五六七八九两]折(?!叠)|满\d{1,6}减\d{1,6}|买[\d一二三两]送[\d一二三]|buy \d{1,2},? get \d{1,2}"
)
_DISCOUNT_HINTS = ("折", "满", "买", "buy ")
_LEADING_MENTION = re.compile(r"\s{0,10}(?:回复)?@\w")

_HOST = re.compile(r"^(?:[a-z][a-z0-9+.\-]{0,20}:)?//([^/?#:@\s]{1,255})(.{0,2000})", re.DOTALL)
SHOP_DOMAINS = (
    "taobao.com", "tmall.com", "tb.cn", "jd.com", "3.cn", "weidian.com", "youzan.com", "pinduoduo.com",
    "yangkeduo.com", "vip.com", "suning.com", "dewu.com", "aliexpress.com", "amazon.com", "amazon.cn",
    "amazon.co.uk", "amazon.de", "amazon.co.jp", "amzn.to", "a.co", "myshopify.com", "shopify.com", "etsy.com",
    "ebay.com", "shopee.tw", "shopee.sg", "shopee.com.my", "lazada.com", "momoshop.com.tw", "pchome.com.tw",
    "rakuten.co.jp", "hktvmall.com",
)
SHOP_SUBDOMAINS = ("shop", "store", "item", "detail", "buy", "mall")
_SHOP_PATH = re.compile(r"/(?:products?|shop|store|item|dp|cart|checkout|buy|sale|deals?)(?=[/?#.\-]|$)")
SERVICE_SUBDOMAINS = ("support", "help", "helpcenter", "service", "kf", "status", "care", "faq")
_SERVICE_PATH = re.compile(r"/(?:support|help|faqs?|kb|service|recall|returns?|warranty|contact)(?=[/?#.\-]|$)")


# Full-width currency signs, so `￥99` is a price like `¥99`.
_CURRENCY_CHARS = {0xFFE5: "¥", 0xFFE0: "¢", 0xFFE1: "£"}


@dataclass(frozen=True, eq=False)
class LabelLexicon:
    """The terms of one label, compiled into two trie-shaped regex alternations (see `textrules.trie_pattern`).

    Terms starting with a non-ASCII character (Chinese) and terms starting with an ASCII one are kept apart:
    `re` tries the alternatives at a position one by one, so two smaller alternations are much faster than one,
    and pure-ASCII text can skip the Chinese one entirely. No capturing groups: they disable `re`'s
    first-character fast path, so the matched text is mapped back to its term through `index`.
    """

    label: str
    index: TermIndex[str]  # matched text -> term as written
    cjk: re.Pattern[str] | None
    ascii: re.Pattern[str] | None

    @classmethod
    def build(cls, label: str, display: Mapping[str, str]) -> LabelLexicon:
        index = TermIndex.build((norm, norm.rstrip("*"), term) for norm, term in display.items())
        cjk = [norm for norm in display if not norm[0].isascii()]
        ascii_first = [norm for norm in display if norm[0].isascii()]
        return cls(label=label, index=index, cjk=_compiled_trie(cjk), ascii=_compiled_trie(ascii_first))

    def find(self, norm: str, ascii_only: bool) -> list[str]:
        """Matched substrings of normalised text, left to right; the longest term wins where several start."""
        found = self.ascii.findall(norm) if self.ascii else []
        if self.cjk and not ascii_only:
            found = self.cjk.findall(norm) + found
        return found

    def term_of(self, matched: str) -> str:
        """The term as written in the lexicon for a matched substring."""
        return self.index.lookup(matched, matched)

    def count(self, norm: str, ascii_only: bool) -> int:
        """How many distinct terms occur (a term found twice counts once). The hot path of `label_posts`."""
        found = self.ascii.findall(norm) if self.ascii else []
        if self.cjk and not ascii_only:
            found += self.cjk.findall(norm)
        if len(found) < 2:
            return len(found)
        exact = self.index.exact
        return len({exact.get(matched) or self.term_of(matched) for matched in found})


@dataclass(frozen=True, eq=False)
class PurposeRules:
    """Compiled lexicons of every label plus the character table that normalises text before matching."""

    lexicons: tuple[LabelLexicon, ...] = field(repr=False)
    char_table: Mapping[int, str] = field(repr=False)

    @classmethod
    def load(cls, extra_lexicon: Mapping[str, Sequence[str]] | None = None) -> PurposeRules:
        """Shipped lexicons, extended by the config's `[purpose.lexicon]` table (terms in any language).

        Raises ValueError for a label key that is not one of PURPOSE_LABELS, or a term that is not a string
        or is longer than MAX_TERM_CHARS.
        """
        sources: list[Mapping[str, Sequence[str]]] = [load_json(LEXICON_DIR / name)["terms"] for name in LEXICON_FILES]
        sources.append(checked_extra(extra_lexicon, PURPOSE_LABELS, section="purpose", key_name="label",
                                     max_chars=MAX_TERM_CHARS))
        table = char_table(_CURRENCY_CHARS)
        lexicons = []
        for label in PURPOSE_LABELS:
            display = _unique_terms((source.get(label, ()) for source in sources), table)
            if display:
                lexicons.append(LabelLexicon.build(label, display))
        return cls(lexicons=tuple(lexicons), char_table=table)

    def normalise(self, text: object) -> str:
        """The text as matched: simplified characters, ASCII punctuation and digits, lower case."""
        if not isinstance(text, str):
            text = "" if text is None or not isinstance(text, (int, float)) else str(text)
        text = text[:MAX_TEXT_CHARS]
        if not text.isascii():
            text = text.translate(self.char_table)
        text = text.lower()
        return "" if text.strip() in PLACEHOLDER_TEXTS else text

    def label(self, text: str, *, links: Sequence[str] = (), kind: str = "original",
              reply_to_author_id: str | None = None) -> str:
        """The purpose label of one post (see the module docstring for the rules)."""
        return _decide(self._scores(self.normalise(text), links, kind, reply_to_author_id))

    def explain(self, text: str, *, links: Sequence[str] = (), kind: str = "original",
                reply_to_author_id: str | None = None) -> dict[str, list[str]]:
        """Every label with the terms and signals that fired for it, e.g. `{"sales": ["优惠券", "price:¥99"], ...}`.

        Terms are shown as written in the lexicon, signals as `name:detail`. Each entry is one point, so the
        label is the key with the longest list (ties: TIE_ORDER; all empty or any `other` entry: `other`).
        """
        norm = self.normalise(text)
        ascii_only = norm.isascii()
        fired: dict[str, list[str]] = {label: [] for label in PURPOSE_LABELS}
        for lexicon in self.lexicons:
            found = lexicon.find(norm, ascii_only)
            fired[lexicon.label] = list(dict.fromkeys(lexicon.term_of(matched) for matched in found))
        for label, name, detail in _signals(norm, links, kind, reply_to_author_id):
            fired[label].append(f"{name}:{detail}" if detail else name)
        return fired

    def _scores(self, norm: str, links: object, kind: object, reply_to: object) -> dict[str, int]:
        ascii_only = norm.isascii()
        scores = dict.fromkeys(PURPOSE_LABELS, 0)
        for lexicon in self.lexicons:
            found = lexicon.count(norm, ascii_only)
            if found:
                scores[lexicon.label] = found
        for label, _name, _detail in _signals(norm, links, kind, reply_to):
            scores[label] += 1
        return scores


def label_posts(texts: Sequence[str], links: Sequence[Sequence[str]], kinds: Sequence[str],
                rules: PurposeRules | None = None) -> list[str]:
    """Labels for many posts at once; `links[i]` and `kinds[i]` belong to `texts[i]`.

    Raises ValueError when the three sequences differ in length (a caller bug, not bad data).
    """
    if not len(texts) == len(links) == len(kinds):
        raise ValueError(f"texts, links and kinds differ in length: {len(texts)}, {len(links)}, {len(kinds)}")
    rules = rules or default_rules()
    normalise, scores = rules.normalise, rules._scores
    return [_decide(scores(normalise(text), post_links, kind, None))
            for text, post_links, kind in zip(texts, links, kinds, strict=True)]


@lru_cache(maxsize=1)
def default_rules() -> PurposeRules:
    """The shipped rules, compiled once per process."""
    return PurposeRules.load()


def _decide(scores: Mapping[str, int]) -> str:
    if scores["other"]:
        return "other"
    best = max(TIE_ORDER, key=scores.__getitem__)  # max() keeps the first of equal scores
    return best if scores[best] > 0 else "other"


def _unique_terms(groups: Iterable[Sequence[str]], char_table: Mapping[int, str]) -> dict[str, str]:
    """Normalised term -> term as written; the first spelling wins; blanks and a bare `*` are dropped."""
    unique: dict[str, str] = {}
    for group in groups:
        for term in group:
            norm = normalise_term(term, char_table)
            if norm.rstrip("*").strip() and norm not in unique:
                unique[norm] = term.strip()
    return unique


def _compiled_trie(norm_terms: Sequence[str]) -> re.Pattern[str] | None:
    """The terms' trie regex; a space in a term matches 1-3 whitespace characters. None when there are none."""
    pattern = trie_pattern(((norm.rstrip("*"), norm.endswith("*")) for norm in norm_terms), flexible_spaces=True)
    return re.compile(pattern) if pattern else None


def _clean_links(links: object) -> list[str]:
    if not links:
        return []
    if isinstance(links, str):
        links = links.split()
    try:
        return [link.strip().lower()[:2000] for link in links if isinstance(link, str) and link.strip()][:50]
    except TypeError:  # not iterable
        return []


def _signals(norm: str, links: object, kind: object, reply_to: object) -> list[tuple[str, str, str]]:
    """Structural signals as (label, name, detail); each kind of signal counts at most once per post."""
    signals: list[tuple[str, str, str]] = []
    has_digit = _DIGIT(norm) is not None
    numbers = _number_signals(norm) if has_digit else {}
    price = (_marked_price(norm) or numbers.get("price")) if has_digit else None
    if price:
        signals.append(("sales", "price", price))
    discount = numbers.get("discount") or _discount_in_words(norm)
    if discount:
        signals.append(("sales", "discount", discount))
    urls = _clean_links(links)
    if "http" in norm or "www." in norm:
        urls += _URL.findall(norm)
    if urls:
        shop, service = _link_signals(urls)
        if shop:
            signals.append(("sales", "shop_link", shop))
        if service:
            signals.append(("service", "service_link", service))
    if "hotline" in numbers:
        signals.append(("service", "hotline", numbers["hotline"]))
    if "?" in norm and "?" in _URL.sub(" ", norm):
        signals.append(("communication", "question", ""))
    if kind == "reply" or (isinstance(reply_to, str) and reply_to.strip()):
        signals.append(("communication", "reply", ""))
    elif "@" in norm and _LEADING_MENTION.match(norm):
        signals.append(("communication", "mention_reply", ""))
    return signals


def _number_signals(norm: str) -> dict[str, str]:
    """The first price, discount and hotline that start a digit run, e.g. {"price": "3999 元"}."""
    found: dict[str, str] = {}
    for match in _NUMBER_SIGNALS.finditer(norm):
        kind = match.lastgroup or ""
        if kind not in found and not (kind == "price" and _is_prize(norm, match.start())):
            found[kind] = match.group()
    return found


def _marked_price(norm: str) -> str | None:
    first = _MARKED_PRICE.search(norm)  # the common case, without building an iterator
    if first is None or not _is_prize(norm, first.start()):
        return first.group() if first else None
    return next((m.group() for m in _MARKED_PRICE.finditer(norm) if not _is_prize(norm, m.start())), None)


def _is_prize(norm: str, start: int) -> bool:
    """`价值¥599`, `worth $599`: the value of a giveaway prize, not a selling price."""
    return norm[max(0, start - 12):start].rstrip().endswith(_PRIZE_WORDS)


def _discount_in_words(norm: str) -> str | None:
    if not any(hint in norm for hint in _DISCOUNT_HINTS):
        return None
    match = _DISCOUNT_WORDS.search(norm)
    return match.group() if match else None


def _link_signals(urls: list[str]) -> tuple[str | None, str | None]:
    """The first shop-link and the first help/support-link found, as the matched host or path."""
    shop = service = None
    for url in urls:
        match = _HOST.match(url if "//" in url else "//" + url)
        if not match:
            continue
        host, rest = match.group(1).removeprefix("www."), match.group(2)
        shop = shop or _shop_part(host, rest)
        service = service or _service_part(host, rest)
        if shop and service:
            break
    return shop, service


def _shop_part(host: str, rest: str) -> str | None:
    for domain in SHOP_DOMAINS:
        if host == domain or host.endswith("." + domain):
            return domain
    if host.split(".", 1)[0] in SHOP_SUBDOMAINS and "." in host:
        return host
    path = _SHOP_PATH.search(rest)
    return path.group() if path else None


def _service_part(host: str, rest: str) -> str | None:
    if host.split(".", 1)[0] in SERVICE_SUBDOMAINS and "." in host:
        return host
    path = _SERVICE_PATH.search(rest)
    return path.group() if path else None
