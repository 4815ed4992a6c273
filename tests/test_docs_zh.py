"""The Simplified Chinese docs (docs/zh-CN/) kept in step with the English docs (docs/).

Every docs/*.md has a docs/zh-CN/ counterpart of the same name and the other way round. The two must have the
same headings per level in the same order, the same table rows and columns per section, and the same code: every
fenced or indented code block verbatim, and the same set of inline code spans (`...`: settings, metric ids, file
paths, status codes, commands). Every relative link in either file must reach an existing file. Same approach as
the README parity tests at the end of tests/test_i18n.py, for the docs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DOCS = PROJECT_ROOT / "docs"
ZH = DOCS / "zh-CN"
NAMES = sorted({path.name for path in DOCS.glob("*.md")} | {path.name for path in ZH.glob("*.md")})

# Inline code that is legitimately language-specific, per file name: (only in English, only in Chinese).
# Keep this tiny: an entry here is a code span a reader of the other language does not need.
LANGUAGE_SPECIFIC_CODE: dict[str, tuple[set[str], set[str]]] = {}

FENCE = re.compile(r"^ {0,3}(```|~~~)")
LIST_OR_TABLE = re.compile(r"\s*([-*+]\s|\d+[.)]\s|\|)")


def english(name: str) -> Path:
    return DOCS / name


def chinese(name: str) -> Path:
    return ZH / name


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def split_code(text: str) -> tuple[list[str], list[str]]:
    """(code blocks verbatim, the other lines). A code block is a fenced block or an indented one (4 spaces after
    a blank line that follows an unindented paragraph, not a list item: indented lines inside lists are list
    content)."""
    blocks: list[str] = []
    prose: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if fence := FENCE.match(line):
            end = i + 1
            while end < len(lines) and not lines[end].lstrip().startswith(fence[1]):
                end += 1
            blocks.append("\n".join(lines[i:end + 1]))
            i = end + 1
            continue
        if line.startswith("    ") and i >= 2 and lines[i - 1] == "" and not LIST_OR_TABLE.match(line):
            before = lines[i - 2]
            if before and not before.startswith((" ", "\t")) and not LIST_OR_TABLE.match(before):
                end = i
                while end < len(lines) and (lines[end].startswith("    ") or lines[end] == ""):
                    end += 1
                while lines[end - 1] == "":
                    end -= 1
                blocks.append("\n".join(lines[i:end]))
                i = end
                continue
        prose.append(line)
        i += 1
    return blocks, prose


def prose(path: Path) -> list[str]:
    return split_code(read(path))[1]


def headings(path: Path) -> list[int]:
    """The level of every heading, in order."""
    return [len(match[1]) for line in prose(path) if (match := re.match(r"^(#{1,6})\s", line))]


def tables(path: Path) -> list[tuple[int, list[int]]]:
    """Per section (in heading order): the number of cells of every table row. Code spans are blanked first, so a
    `|` inside inline code does not count as a column."""
    shape: list[tuple[int, list[int]]] = [(0, [])]
    for line in prose(path):
        if heading := re.match(r"^(#{1,6})\s", line):
            shape.append((len(heading[1]), []))
        elif line.lstrip().startswith("|"):
            row = re.sub(r"`[^`]*`", "``", line.strip()).replace(r"\|", "")
            shape[-1][1].append(len(row.strip("|").split("|")))
    return shape


def code_spans(path: Path) -> set[str]:
    """Inline code spans, whitespace collapsed as Markdown renders them (a span may run over a line break)."""
    text = "\n".join(prose(path))
    return {re.sub(r"\s+", " ", span).strip() for span in re.findall(r"(?<!`)`([^`]+)`(?!`)", text)}


def links(path: Path) -> list[str]:
    """Targets of Markdown links and images ([text](target), ![alt](target)) outside code."""
    text = re.sub(r"`[^`]*`", "", "\n".join(prose(path)))
    return re.findall(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", text)


# -- the tests ---------------------------------------------------------------------------------------------------
def test_the_docs_are_found():
    """The helpers see what they should: a failure here means a helper broke, not the docs."""
    assert {"METRICS.md", "report.md"} <= set(NAMES)
    assert headings(english("report.md"))[:2] == [1, 2]
    assert "scrapy report" in "\n".join(split_code(read(english("report.md")))[0])
    assert "ok" in code_spans(english("report.md"))
    assert sum(len(rows) for _, rows in tables(english("METRICS.md"))) > 30
    reliability_blocks = split_code(read(english("reliability.md")))[0]
    assert any(block.startswith("    python -m benchmark.sample.server") for block in reliability_blocks)


@pytest.mark.parametrize("name", NAMES)
def test_every_doc_has_a_chinese_counterpart_and_back(name):
    assert english(name).is_file(), f"docs/zh-CN/{name} has no English original docs/{name}"
    assert chinese(name).is_file(), f"docs/{name} has no Chinese counterpart docs/zh-CN/{name}"


@pytest.mark.parametrize("name", NAMES)
def test_same_headings_per_level_in_the_same_order(name):
    assert headings(chinese(name)) == headings(english(name))


@pytest.mark.parametrize("name", NAMES)
def test_same_table_rows_and_columns_per_section(name):
    assert tables(chinese(name)) == tables(english(name))


@pytest.mark.parametrize("name", NAMES)
def test_code_blocks_are_identical(name):
    assert split_code(read(chinese(name)))[0] == split_code(read(english(name)))[0]


@pytest.mark.parametrize("name", NAMES)
def test_same_inline_code(name):
    """Settings, keys, files, metric ids, status codes: a span added to one language must reach the other."""
    only_english, only_chinese = LANGUAGE_SPECIFIC_CODE.get(name, (set(), set()))
    ours, theirs = code_spans(chinese(name)), code_spans(english(name))
    assert sorted(theirs - ours - only_english) == [], f"docs/zh-CN/{name} lacks these code spans of docs/{name}"
    assert sorted(ours - theirs - only_chinese) == [], f"docs/{name} lacks these code spans of docs/zh-CN/{name}"


@pytest.mark.parametrize("name", NAMES)
def test_each_language_links_to_the_other(name):
    assert f"zh-CN/{name}" in links(english(name)), f"docs/{name} does not link its Chinese version"
    assert f"../{name}" in links(chinese(name)), f"docs/zh-CN/{name} does not link its English original"


@pytest.mark.parametrize("path", [english(name) for name in NAMES] + [chinese(name) for name in NAMES],
                         ids=lambda path: str(path.relative_to(DOCS)))
def test_relative_links_reach_a_file(path):
    missing = []
    for target in links(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, flags=re.I) or target.startswith("#"):
            continue  # a URL, mailto: or an anchor in the same page
        if not (path.parent / target.split("#")[0]).exists():
            missing.append(target)
    assert missing == [], f"{path.relative_to(PROJECT_ROOT)} links to missing files"
