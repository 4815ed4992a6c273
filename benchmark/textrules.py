"""The text-rules engine shared by purpose labels (benchmark/purpose.py) and fan voice (benchmark/voice.py).

Both classify short texts with transparent lexicon rules, and both need the same machinery: a character table
that folds full-width ASCII and traditional characters onto what the lexicons are written in, a regex built
as a character trie from many terms (fast, longest match first), a map from matched text back to the term as
written, and the checks of a config's `[<section>.lexicon]` table. What stays in the two modules is what is
specific to them: their lexicon files, signals and scoring.

Standard library only: the crawl path imports purpose and voice.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Generic, TypeVar

DATA_DIR = Path(__file__).parent / "data"
# One traditional → simplified table for every rule set (2,968 pairs derived from OpenCC; see its "about").
T2S_FILE = DATA_DIR / "t2s_chars.json"

_ASCII_WORD = re.compile(r"[a-z0-9]")
# What a `term*` matches after its stem, and what must not follow a term ending in an ASCII letter or digit.
_ANY_ENDING = r"[\w\-]{0,30}"
_WORD_END = r"(?![a-z0-9])"

Value = TypeVar("Value")


def load_json(path: Path) -> Any:
    """A shipped JSON data file (lexicons, the character table)."""
    return json.loads(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _t2s_pairs() -> dict[int, str]:
    pairs: dict[int, str] = {}
    for row in load_json(T2S_FILE)["t2s_chars"]:
        pairs.update({ord(pair[0]): pair[1] for pair in row.split() if len(pair) == 2})
    return pairs


def char_table(extra: Mapping[int, str] | None = None) -> dict[int, str]:
    """A `str.translate` table: full-width ASCII → ASCII (`？` → `?`), ideographic space → space, the caller's
    `extra` characters, then traditional → simplified. A new dict per call (callers keep their own)."""
    table = {code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}  # ！..～ → !..~
    table[0x3000] = " "
    table.update(extra or {})
    table.update(_t2s_pairs())
    return table


def normalise_term(term: str, table: Mapping[int, str]) -> str:
    """A lexicon term as it is matched: stripped, folded through the character table, lower case."""
    return term.strip().translate(table).lower()


def trie_pattern(stems: Iterable[tuple[str, bool]], *, flexible_spaces: bool = False) -> str | None:
    """One regex (source) for many terms, shaped as a character trie (`优惠(?:券|码|)`); None without terms.

    `stems` are (normalised stem, is_prefix) pairs; a prefix term (`word*` in a lexicon) matches any word
    ending and wins over the plain term with the same stem. At every node the longer continuations come first,
    so the longest term wins. Every alternative starts with a plain character, which keeps `re`'s
    first-character fast path (a flat alternation with one group per term ran 100x slower); no capturing
    groups for the same reason: callers map matched text back through `TermIndex`. A term whose first or last
    character is an ASCII letter or digit matches only at a word boundary there (`sale` is not in
    `wholesale`); the leading check is a lookbehind placed after the first character. With
    `flexible_spaces`, a space in a term matches 1-3 whitespace characters.
    """
    root: dict[str, Any] = {}
    for stem, is_prefix in stems:
        node = root
        for char in stem:
            node = node.setdefault(char, {})
        if is_prefix:
            node[""] = _ANY_ENDING
        elif "" not in node:
            node[""] = _WORD_END if _ASCII_WORD.match(stem[-1]) else ""
    if not root:
        return None
    space = r"\s{1,3}" if flexible_spaces else re.escape(" ")
    return _trie_node(root, space, first=True)


def _trie_node(node: Mapping[str, Any], space: str, first: bool = False) -> str:
    """A trie node as regex; a single alternative stays ungrouped (a sequence embeds safely anywhere)."""
    alternatives = []
    for char in sorted(key for key in node if key):
        head = space if char == " " else re.escape(char)
        if first and _ASCII_WORD.match(char):
            head += r"(?<![a-z0-9].)"
        alternatives.append(head + _trie_node(node[char], space))
    if "" in node:  # a term ends here; after the longer ones, so the longest match wins
        alternatives.append(node[""])
    if len(alternatives) == 1:
        return alternatives[0]
    return "(?:" + "|".join(alternatives) + ")"


@dataclass(frozen=True, eq=False)
class TermIndex(Generic[Value]):
    """Matched text → what the lexicon says about its term (the term as written, or its class and the term).

    `exact` holds the plain terms; `prefixes` the (stem, value) of `word*` terms, longest stem first, for
    matched text that is a stem plus an ending."""

    exact: Mapping[str, Value]
    prefixes: tuple[tuple[str, Value], ...]

    @classmethod
    def build(cls, entries: Iterable[tuple[str, str, Value]]) -> TermIndex[Value]:
        """From (normalised term as written in the lexicon, stem, value) triples, in order of precedence."""
        exact: dict[str, Value] = {}
        prefixes: list[tuple[str, Value]] = []
        for norm, stem, value in entries:
            if norm.endswith("*"):
                prefixes.append((stem, value))
            else:
                exact.setdefault(norm, value)
        prefixes.sort(key=lambda pair: -len(pair[0]))  # stable: equal lengths keep their order
        return cls(exact=exact, prefixes=tuple(prefixes))

    def lookup(self, matched: str, default: Value) -> Value:
        value = self.exact.get(matched)
        if value is not None:
            return value
        return next((value for stem, value in self.prefixes if matched.startswith(stem)), default)


def checked_extra(extra: Mapping[str, Sequence[str]] | None, known: Sequence[str], *, section: str, key_name: str,
                  max_chars: int | None = None) -> dict[str, list[str]]:
    """A config's `[<section>.lexicon]` table, checked: `key_name` = [terms] with every key one of `known`.

    Raises ValueError for another shape, an unknown key, a term that is not a string or (with `max_chars`)
    is longer than that once stripped. A single string is read as a list of one term.
    """
    if not extra:
        return {}
    if not isinstance(extra, Mapping):
        raise ValueError(f"{section} lexicon must be a table of {key_name} = [terms], got {type(extra).__name__}")
    checked: dict[str, list[str]] = {}
    for key, words in extra.items():
        if key not in known:
            raise ValueError(f"unknown {section} {key_name} {key!r} in [{section}.lexicon] (known: {', '.join(known)})")
        words = [words] if isinstance(words, str) else list(words or ())
        for word in words:
            if not isinstance(word, str):
                raise ValueError(f"{section}.lexicon.{key}: terms must be strings, got {word!r}")
            if max_chars is not None and len(word.strip()) > max_chars:
                raise ValueError(f"{section}.lexicon.{key}: term longer than {max_chars} characters: {word[:30]!r}…")
        checked[key] = words
    return checked
