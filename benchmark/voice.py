"""Fan voice: label fan comments under brand posts `complaint`, `praise`, `question` or `other` (issue #6).

Transparent, deterministic rules, so a community manager can check every label by hand (docs/fan-voice.md):

1. Normalise the text: traditional → simplified characters (data/t2s_chars.json), full-width → ASCII (`？` → `?`),
   curly apostrophe → `'`, lower case; @mentions and URLs are blanked (a user called @好吃猫 is not praise).
   Lexicon terms get the same treatment, so a term written in either script matches text in either script.
2. Find the lexicon terms of all classes in one pass. Matches never overlap and the longest term wins, so a
   longer term hides the shorter ones inside it: the mask `垃圾分类` (class `other`) hides `垃圾`.
3. Negation: a cue (不, 没, not, never, don't…) plus up to two gap words before a praise term is a complaint
   (`不好吃`, `not very good`); before a `flip_to_praise` word it is praise (`不贵`, `never disappointed`). The
   negated phrase replaces the terms inside it; a lexicon term that starts at or before the cue wins over the
   negation (`不错`, `can't wait`, `不好意思` are read as written), and so does the A-not-A question `好不好吃`.
4. Structural signals: question for a `?`, a sentence-final 吗/嘛/么/呢, an A-not-A form (好不好, 能不能),
   or an English sentence opening with when/how/where/does/can/is…; complaint for a customer counting the
   days (等了一个月, been waiting 3 weeks).
5. Decide: complaint if it has at least one point and at least as many points as praise (a complaint phrased
   as a question is a complaint; a tie between complaint and praise is a complaint); else question if any
   question signal fired; else praise if it has a point; else other. One point per distinct term or signal,
   so the score of complaint or praise is `len(explain(text)[cls])`.

No third-party import at module level: `complaint_terms` loads jieba lazily on first use, so the crawl path
can import this module for free. The normalisation, the trie regex and the config checks are the shared
engine of benchmark/textrules.py.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from benchmark.textrules import TermIndex, char_table, checked_extra, load_json, normalise_term, trie_pattern

VOICE_CLASSES = ("complaint", "praise", "question", "other")

LEXICON_DIR = Path(__file__).parent / "data" / "voice"
LEXICON_FILES = ("lexicon_zh_hans.json", "lexicon_en.json")
# Curly apostrophes (don’t → don't) and the emoji variation selector VS16, besides the shared table.
_EXTRA_CHARS = {0x2019: "'", 0x2018: "'", 0xFE0F: ""}

# Longer texts are cut before matching, so a hostile multi-megabyte "comment" costs bounded time
# (Weibo caps a comment at a few hundred characters).
MAX_TEXT_CHARS = 20_000

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_MENTION = re.compile(r"@[^\s@:,.!?;。、]{1,30}:?")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']{1,2000}")
_EMOJI_CODE = re.compile(r"\[[^\[\]\s]{1,12}\]")  # Weibo's [怒], [心], [doge]
_TOKEN_RUN = re.compile(rf"[{_CJK}]+|[a-z0-9]+(?:['\-][a-z0-9]+)*")
_NUMBER = re.compile(r"[0-9.,:%/+\-]+")

# Structural signals. Every pattern starts with a literal or a character class, so `re` skips ahead to the
# few positions where it can match, and its quantifiers are bounded, so hostile input stays linear.
# A-not-A (好不好吃, 能不能, 有没有) is how Chinese asks a yes/no question without 吗.
_A_NOT_A = re.compile(rf"([{_CJK}])[不没]\1")
_PARTICLES = "吗嘛么呢"
# A sentence-final question particle; 这么/那么/多么 are not questions.
_FINAL_PARTICLE = re.compile(r"[吗嘛么呢](?<![这那多]么)(?!\w)")
# An English sentence that opens with an interrogative, question mark or not ("is this dishwasher safe").
# "can't", "don't", "isn't" are statements, hence the lookahead for an apostrophe or letter.
_OPENER = (
    r"\s{0,5}(?:(?:hi|hey|hello|hiya|quick question|question|also|so|ok|okay|please|pls)[,!:]?\s{1,5}){0,2}"
    r"(?P<word>what's|whats|how's|where's|when's|when|where|how|does|do|did|can|could|is|are|was|were|will"
    r"|would|what|which|why|any|should|has|have|anyone|anybody)(?![a-z0-9'])"
)
_OPENS_TEXT = re.compile(_OPENER)
_OPENS_SENTENCE = re.compile(r"[.!?;\n]" + _OPENER)
# A customer counting the days: 等了一个月, 等了好久, been waiting 3 weeks, it's been a month.
_WAITED_ZH = re.compile(
    r"等了(?:好久|很久|半天|好几天|好几周|好几个月|(?:[0-9]{1,3}|[一二两三四五六七八九十几半]{1,3})个?多?"
    r"(?:天|周|星期|礼拜|个月|月))"
)
_WAITED_EN = re.compile(
    r"(?<![a-z])(?:waiting|waited|been)\s{1,3}(?:for\s{1,3})?(?:over\s|almost\s|nearly\s|more than\s)?"
    r"(?:\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|several|a few|few)\s{1,3}"
    r"(?:days?|weeks?|months?)(?![a-z])"
)

# (start, end, class, name): one match, named as explain() shows it.
Hit = tuple[int, int, str, str]


@dataclass(frozen=True, eq=False)
class VoiceRules:
    """Compiled lexicons and negation patterns plus the character table for normalising text."""

    term_pattern: re.Pattern[str] = field(repr=False)  # every term of every class, as a character trie
    term_index: TermIndex[tuple[str, str]] = field(repr=False)  # matched text -> (class, term as written)
    negations: tuple[re.Pattern[str], ...] = field(repr=False)  # per language; groups `c` / `p` say which
    char_table: Mapping[int, str] = field(repr=False)
    segment_words: tuple[str, ...] = field(default=(), repr=False)
    stopwords: frozenset[str] = field(default=frozenset(), repr=False)

    @classmethod
    def load(cls, extra_lexicon: Mapping[str, Sequence[str]] | None = None) -> VoiceRules:
        """Shipped lexicons, extended by the config's `[voice.lexicon]` table (terms in any language).

        A config term that is also a shipped term moves to the config's class (`other = ["慢"]` silences 慢).
        Raises ValueError for a class key that is not one of VOICE_CLASSES, or a term that is not a string.
        """
        extra = checked_extra(extra_lexicon, VOICE_CLASSES, section="voice", key_name="class")
        # Compiled once per lexicon and process (~0.1 s each; a report asks for them three times).
        return _compiled_rules(tuple((voice, tuple(terms)) for voice, terms in extra.items()))

    @classmethod
    def _compile(cls, extra: Mapping[str, Sequence[str]]) -> VoiceRules:
        shipped = [load_json(LEXICON_DIR / name) for name in LEXICON_FILES]
        table = char_table(_EXTRA_CHARS)
        # Config first: the first class that claims a term keeps it.
        claimed: dict[str, tuple[str, str]] = {}  # normalised term -> (class, term as written)
        for source in [extra] + [lexicon["terms"] for lexicon in shipped]:
            for voice in VOICE_CLASSES:
                for term in source.get(voice, ()):
                    norm = normalise_term(term, table)
                    if norm.rstrip("*").strip() and norm not in claimed:
                        claimed[norm] = (voice, term.strip())
        longest_first = sorted(claimed, key=lambda norm: -len(norm.rstrip("*")))
        praise = [norm for norm in longest_first if claimed[norm][0] == "praise"]
        return cls(
            term_pattern=re.compile(_trie_pattern(longest_first)),
            term_index=TermIndex.build((norm, norm.rstrip("*").strip(), claimed[norm]) for norm in longest_first),
            negations=tuple(_negation_patterns(shipped, praise, table)),
            char_table=table,
            segment_words=tuple(dict.fromkeys(normalise_term(word, table)
                                              for lexicon in shipped for word in lexicon.get("segment_words", ()))),
            stopwords=frozenset(normalise_term(word, table)
                                for lexicon in shipped for word in lexicon.get("stopwords", ())),
        )

    def normalise(self, text: object) -> str:
        """The text as matched: simplified characters, ASCII punctuation, lower case, no @mentions or URLs."""
        text = _as_text(text)[:MAX_TEXT_CHARS]
        if not text.isascii():
            text = text.translate(self.char_table)
        text = text.lower()
        if "@" in text:
            text = _MENTION.sub(" ", text)
        if "http" in text or "www." in text:
            text = _URL.sub(" ", text)
        return text

    def classify(self, text: str) -> str:
        """The voice class of one comment (see the module docstring for the rules)."""
        return self._decide(self.normalise(text))

    def explain(self, text: str) -> dict[str, list[str]]:
        """Every class with the terms and signals that fired for it, in order of appearance.

        E.g. `{"complaint": ["退款", "neg:不好吃"], "praise": [], "question": ["?"], "other": ["垃圾分类"]}`.
        Terms appear as written in the lexicon, signals as `neg:`, `a-not-a:`, `ends:`, `opens:`, `waited:`
        plus the matched text, or `?`. Complaint and praise score one point per entry. `other` lists masks,
        which hide the words inside them and never decide the label.
        """
        fired: dict[str, dict[str, None]] = {voice: {} for voice in VOICE_CLASSES}
        for _start, _end, voice, name in sorted(self._hits(self.normalise(text))):
            fired[voice][name] = None
        return {voice: list(names) for voice, names in fired.items()}

    def _decide(self, norm: str) -> str:
        complaint: set[str] = set()
        praise: set[str] = set()
        question = False
        for _start, _end, voice, name in self._hits(norm):
            if voice == "complaint":
                complaint.add(name)
            elif voice == "praise":
                praise.add(name)
            elif voice == "question":
                question = True
        return _label(len(complaint), len(praise), question)

    def _hits(self, norm: str) -> list[Hit]:
        """Every term and signal found in a normalised text, unordered."""
        term = self._term
        hits: list[Hit] = [(m.start(), m.end(), *term(m.group())) for m in self.term_pattern.finditer(norm)]
        chinese = not norm.isascii()
        if chinese and ("不" in norm or "没" in norm):
            hits = _overlay(hits, [(m.start(), m.end(), "question", "a-not-a:" + m.group())
                                   for m in _A_NOT_A.finditer(norm)])
        hits = _overlay(hits, [(m.start(), m.end(), "complaint" if m.group("c") is not None else "praise",
                                "neg:" + m.group()) for pattern in self.negations for m in pattern.finditer(norm)])
        if "?" in norm:
            hits.append((norm.index("?"), norm.index("?") + 1, "question", "?"))
        if chinese and any(particle in norm for particle in _PARTICLES):
            hits += [(m.start(), m.end(), "question", "ends:" + m.group()) for m in _FINAL_PARTICLE.finditer(norm)]
        opener = _OPENS_TEXT.match(norm) or _OPENS_SENTENCE.search(norm)
        if opener:
            hits.append((opener.start("word"), opener.end("word"), "question", "opens:" + opener.group("word")))
        if chinese and "等了" in norm:
            hits += [(m.start(), m.end(), "complaint", "waited:" + m.group()) for m in _WAITED_ZH.finditer(norm)]
        if "wait" in norm or "been" in norm:
            hits += [(m.start(), m.end(), "complaint", "waited:" + m.group()) for m in _WAITED_EN.finditer(norm)]
        return hits

    def _term(self, matched: str) -> tuple[str, str]:
        return self.term_index.lookup(matched, ("other", matched))  # the default is unreachable: only terms match


def _overlay(hits: list[Hit], phrases: list[Hit]) -> list[Hit]:
    """`hits` plus the `phrases` (A-not-A questions, negations) that start outside every hit; a kept phrase
    replaces the hits that start inside it. So `不错`, `can't wait`, `不好意思` (terms covering the cue) win
    over negation, and `好不好吃` is a question, not the praise term `好吃`."""
    if not phrases:
        return hits
    taken = _Spans(hits)
    kept = [phrase for phrase in phrases if not taken.cover(phrase[0])]
    if not kept:
        return hits
    inside = _Spans(kept)
    return [hit for hit in hits if not inside.cover(hit[0])] + kept


class _Spans:
    """Which positions a set of (start, end, ...) matches covers, answered by binary search (hostile texts
    carry thousands of matches, and comparing every pair was quadratic)."""

    def __init__(self, hits: Iterable[Hit]) -> None:
        merged: list[list[int]] = []
        for start, end, *_ in sorted(hits):
            if merged and start < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.starts = [start for start, _ in merged]
        self.ends = [end for _, end in merged]

    def cover(self, position: int) -> bool:
        index = bisect_right(self.starts, position) - 1
        return index >= 0 and position < self.ends[index]


def classify_comments(texts: Sequence[str], rules: VoiceRules | None = None) -> list[str]:
    """Voice classes for many comments at once, in input order (a non-text item is read as empty text)."""
    rules = rules or default_rules()
    normalise, decide = rules.normalise, rules._decide
    return [decide(normalise(text)) for text in texts]


def complaint_terms(texts: Sequence[str], *, top: int = 10, stopwords: Iterable[str] = (),
                    rules: VoiceRules | None = None) -> list[tuple[str, int]]:
    """The `top` terms that recur in the complaints among `texts`, as (term, number of complaints), most first.

    Only comments classified `complaint` count. Chinese is segmented with jieba, English split into words;
    each term counts once per comment. Dropped: shipped and given stopwords, 1-character tokens, numbers,
    emoji codes such as [怒], @mentions and URLs. Terms come back normalised (simplified, lower case);
    ties keep the order in which the terms first appeared. Raises ImportError when jieba is not installed.
    """
    rules = rules or default_rules()
    if top <= 0:
        return []
    stop = rules.stopwords | {normalise_term(word, rules.char_table) for word in stopwords if isinstance(word, str)}
    counts: Counter[str] = Counter()
    for text in texts:
        norm = rules.normalise(text)
        if rules._decide(norm) == "complaint":
            counts.update(list(dict.fromkeys(_tokens(norm, stop, rules.segment_words))))  # once per comment
    return counts.most_common(top)


@lru_cache(maxsize=8)
def _compiled_rules(extra: tuple[tuple[str, tuple[str, ...]], ...]) -> VoiceRules:
    return VoiceRules._compile(dict(extra))


@lru_cache(maxsize=1)
def default_rules() -> VoiceRules:
    """The shipped rules, compiled once per process."""
    return VoiceRules.load()


def _label(complaint: int, praise: int, question: bool) -> str:
    if complaint and complaint >= praise:
        return "complaint"
    if question:
        return "question"
    return "praise" if praise else "other"


def _as_text(text: object) -> str:
    if isinstance(text, str):
        return text
    if text is None:
        return ""
    if isinstance(text, bytes | bytearray):
        return bytes(text[: MAX_TEXT_CHARS * 4]).decode("utf-8", errors="replace")
    try:
        return str(text)
    except Exception:  # a hostile __str__: treat it as no text rather than fail a whole batch
        return ""


def _trie_pattern(norm_terms: Iterable[str]) -> str:
    """The terms' trie regex (`textrules.trie_pattern`); a space matches one space; never matches without terms."""
    stems = ((term.rstrip("*").strip(), term.endswith("*")) for term in norm_terms)
    return trie_pattern(stem_prefix for stem_prefix in stems if stem_prefix[0]) or r"(?!)"


def _negation_patterns(shipped: Sequence[Mapping[str, Any]], praise: Sequence[str],
                       char_table: Mapping[int, str]) -> list[re.Pattern[str]]:
    """Per language: cue + gaps + praise term (group `c`, a complaint) or flip word (group `p`, praise).

    Praise terms (shipped and configured) are split by script: a term starting with a Chinese character is
    negated by the Chinese cues, one starting with a Latin letter by the English cues.
    """
    patterns = []
    for lexicon in shipped:
        negation = lexicon.get("negation") or {}
        english = lexicon.get("language") == "en"

        def norm_all(words: Iterable[str]) -> list[str]:
            return [normalise_term(word, char_table) for word in words if word.strip()]

        cues, gaps = norm_all(negation.get("cues", ())), norm_all(negation.get("gaps", ()))
        first = re.compile(r"[a-z]" if english else f"[{_CJK}]")
        targets = [term for term in praise if first.match(term)] + norm_all(negation.get("also_negatable", ()))
        flips = norm_all(negation.get("flip_to_praise", ()))
        if not cues or not (targets or flips):
            continue
        cue, gap = _trie_pattern(cues), _trie_pattern(gaps)
        # English words need spaces between them (not very good); Chinese ones do not (不太好吃).
        lead = rf"{cue}(?:\s{{1,3}}{gap}){{0,2}}\s{{1,3}}" if english else rf"{cue}(?:{gap}){{0,2}}\s?"
        patterns.append(re.compile(rf"{lead}(?:(?P<c>{_trie_pattern(targets)})|(?P<p>{_trie_pattern(flips)}))"))
    return patterns


def _tokens(norm: str, stop: frozenset[str] | set[str], segment_words: tuple[str, ...]) -> list[str]:
    """Candidate complaint terms of one normalised comment, in order of appearance."""
    if "[" in norm:
        norm = _EMOJI_CODE.sub(" ", norm)
    tokens: list[str] = []
    for run in _TOKEN_RUN.findall(norm):
        pieces = (run,) if run.isascii() else _segmenter(segment_words).lcut(run)
        tokens.extend(piece for piece in pieces
                      if len(piece) > 1 and piece not in stop and not _NUMBER.fullmatch(piece))
    return tokens


def prepare() -> None:
    """Compile the shipped rules and start the tokenizer now, not on first use (`scrapy demo` does it in its
    report process while it crawls). The tokenizer's cuts do not depend on what it cut before."""
    _segmenter(default_rules().segment_words)


@lru_cache(maxsize=4)
def _segmenter(segment_words: tuple[str, ...]) -> Any:
    """A private jieba tokenizer, built on first use and kept for the process.

    jieba ships its dictionary (jieba/dict.txt) inside the package, so this needs no network. On first use it
    logs "Building prefix dict..." to stderr at DEBUG level, so its logger is raised to WARNING first. A private
    Tokenizer keeps our extra words out of the global `jieba.dt` that other code may use.

    jieba's own start loads its whole prefix dictionary (498,000 words, about a second, most of a small
    report's time). `_Segmenter` gives the tokenizer only the dictionary entries that are substrings of the
    texts it cuts, looked up in a sorted copy of the dictionary saved once per machine (`_dictionary_arrays`);
    the cuts are the same because jieba looks up nothing but substrings of the text it cuts (and of the words
    added to it), and the dictionary is closed under prefixes, so a walk from every position that stops where
    the dictionary has no longer entry finds every entry a cut can look up. Falls back to jieba's own start
    when that copy cannot be made.
    """
    jieba = import_jieba()
    logging.getLogger("jieba").setLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    arrays = _dictionary_arrays(jieba)
    segmenter: Any = tokenizer
    if arrays is None:
        tokenizer.initialize()
    else:
        words, freqs, total = arrays
        tokenizer.FREQ, tokenizer.total, tokenizer.initialized = {}, total, True
        segmenter = _Segmenter(tokenizer, words, freqs)
        for word in segment_words:  # add_word reads the entries of the word's substrings
            segmenter.cover(word)
    for word in segment_words:
        tokenizer.add_word(word)
    return segmenter


def import_jieba() -> Any:
    """`import jieba`, without the 0.1-0.4 s of `import pkg_resources` that jieba._compat does only to open its
    own model files: when that import fails, jieba opens the same files by their path (its own fallback)."""
    import sys

    blocked = "pkg_resources" not in sys.modules
    if blocked:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # makes `import pkg_resources` fail
    try:
        import jieba
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("complaint_terms needs jieba: pip install jieba") from exc
    finally:
        if blocked and sys.modules.get("pkg_resources", False) is None:
            del sys.modules["pkg_resources"]
    return jieba


class _Segmenter:
    """A jieba tokenizer whose dictionary is filled, before each cut, with the entries of the text's substrings."""

    def __init__(self, tokenizer: Any, words: Any, freqs: Any) -> None:
        self.tokenizer, self.words, self.freqs = tokenizer, words, freqs
        self.width = words.dtype.itemsize // 4  # the longest word, in characters ('<U16')
        self.known: dict[str, int | None] = {}  # every substring looked up: its frequency, None if absent

    def lcut(self, text: str) -> list[str]:
        self.cover(text)
        return self.tokenizer.lcut(text)

    def cover(self, text: str) -> None:
        """Put into the tokenizer's dictionary every entry that is a substring of text (entries already there,
        e.g. from add_word, are kept)."""
        import numpy as np

        known, freq_of = self.known, self.tokenizer.FREQ
        starts: Iterable[int] = range(len(text))
        for length in range(1, self.width + 1):
            pairs = [(k, text[k:k + length]) for k in starts if k + length <= len(text)]
            new = [piece for piece in dict.fromkeys(piece for _k, piece in pairs) if piece not in known]
            if new:
                wanted = np.array(new, dtype=self.words.dtype)
                at = np.minimum(np.searchsorted(self.words, wanted), len(self.words) - 1)
                found = self.words[at] == wanted
                for piece, hit, index in zip(new, found.tolist(), at.tolist(), strict=True):
                    known[piece] = int(self.freqs[index]) if hit else None
            starts = [k for k, piece in pairs if known[piece] is not None]
            for _k, piece in pairs:
                if known[piece] is not None and piece not in freq_of:
                    freq_of[piece] = known[piece]
            if not starts:
                return


def _dictionary_arrays(jieba: Any) -> tuple[Any, Any, int] | None:
    """jieba's default prefix dictionary as sorted words ('<U16') and their frequencies, memory-mapped from a
    private per-user folder in the temp directory (written on first use, about 2 s), and the frequencies' total.
    None when the folder cannot be used."""
    import os
    import tempfile

    import numpy as np

    source = Path(jieba.__file__).with_name("dict.txt")
    try:
        stat = source.stat()
        folder = Path(tempfile.gettempdir()) / f"benchmark-jieba-{os.getuid()}"
        folder.mkdir(mode=0o700, exist_ok=True)
        if folder.stat().st_uid != os.getuid() or folder.stat().st_mode & 0o077:
            return None  # someone else's folder: do not read what they could have written
        key = f"{jieba.__version__}-{stat.st_size}-{int(stat.st_mtime)}"
        words_file, freqs_file = folder / f"words-{key}.npy", folder / f"freqs-{key}.npy"
        if not (words_file.exists() and freqs_file.exists()):
            full = jieba.Tokenizer()
            full.initialize()
            words = np.array(sorted(full.FREQ), dtype=f"<U{max(map(len, full.FREQ))}")
            freqs = np.array([full.FREQ[word] for word in words.tolist()], dtype=np.int64)
            freqs = np.append(freqs, full.total)  # the total rides at the end
            for target, array in ((words_file, words), (freqs_file, freqs)):
                temporary = target.with_suffix(f".{os.getpid()}.tmp")
                with open(temporary, "wb") as handle:
                    np.save(handle, array)
                os.replace(temporary, target)
        words = np.load(words_file, mmap_mode="r", allow_pickle=False)
        freqs = np.load(freqs_file, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        return None
    if len(freqs) != len(words) + 1:
        return None
    return words, freqs[:-1], int(freqs[-1])
