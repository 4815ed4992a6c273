"""report.xlsx: Excel-safe sheet names and cells, and the one neutraliser of every CSV and XLSX cell.

openpyxl is imported only by the function that needs it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmark.metrics.stats import naive_utc

EXCEL_MAX_CHARS = 32_767
EXCEL_MAX_ROWS = 1_048_576  # per sheet, header included: a longer sheet makes Excel refuse the file
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
# OWASP: what a spreadsheet may read as a formula: = + - @ (also after leading whitespace, which spreadsheets
# skip), tab, CR. The one neutraliser of every CSV and XLSX cell (benchmark.report.exports uses it too).
FORMULA_START = re.compile(r"[\t\r]|\s*[=+\-@]")


def neutralise(text: str) -> str:
    """A text cell that a spreadsheet could run as a formula, with a leading apostrophe; others as they are."""
    return "'" + text if FORMULA_START.match(text) else text
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def sheet_names(names: Iterable[str]) -> list[str]:
    """Excel-safe, unique sheet names: no []:*?/\\, no leading or trailing apostrophe, not "History",
    at most 31 characters, never empty."""
    used: set[str] = set()
    out = []
    for name in names:
        clean = _SHEET_FORBIDDEN.sub("_", str(name)).strip().strip("'").strip() or "Sheet"
        if clean.lower() == "history":  # reserved by Excel
            clean = "History_"
        clean = clean[:31]
        candidate, number = clean, 2
        while candidate.lower() in used:
            suffix = f" ({number})"
            candidate, number = clean[: 31 - len(suffix)] + suffix, number + 1
        used.add(candidate.lower())
        out.append(candidate)
    return out


def safe_cell(value: Any) -> Any:
    """A value openpyxl writes as data, never as a formula: strings that a spreadsheet could run (starting
    with = + - @ tab or CR) get a leading apostrophe; characters XML forbids are dropped; strings are cut
    to Excel's cell limit; NaN/NA become empty cells; times become naive UTC; other objects become text."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else (float(value) if math.isfinite(value) else str(value))
    if isinstance(value, pd.Timestamp):
        return (value.tz_convert("UTC").tz_localize(None) if value.tzinfo else value).to_pydatetime()
    if isinstance(value, datetime):
        return naive_utc(value)
    if isinstance(value, date):
        return value
    if isinstance(value, pd.Timedelta | timedelta):
        return str(value)
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass  # lists and other containers: written as text below
    return neutralise(_ILLEGAL_XML.sub("", str(value)))[:EXCEL_MAX_CHARS]


def write_xlsx(path: str | Path, sheets: Mapping[str, pd.DataFrame]) -> Path:
    """One sheet per DataFrame (names made Excel-safe by `sheet_names`), header row frozen, every cell
    passed through `safe_cell`: post text is hostile, so nothing in the workbook can run as a formula.
    A non-default index is written as leading columns. A frame longer than Excel's row limit is cut, and
    its last row says how many rows were left out. Writes about 10,000 rows of 13 columns per second:
    meant for summary tables, not for every post of a large store (posts.csv has those). Returns the path."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    path = Path(path)
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for name, frame in zip(sheet_names(sheets), sheets.values(), strict=True):
        sheet = workbook.create_sheet(title=name)
        sheet.freeze_panes = "A2"
        table = _with_index(frame)
        header = []
        for column in table.columns:
            cell = WriteOnlyCell(sheet, value=safe_cell(_column_title(column)))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        room = EXCEL_MAX_ROWS - 2  # the header and the note
        for row in table.head(room).itertuples(index=False, name=None):
            sheet.append([safe_cell(v) for v in row])  # no str starts with '=': never a formula
        if len(table) > room:
            sheet.append([f"… {len(table) - room:,} more rows left out: Excel's limit is {EXCEL_MAX_ROWS:,} rows"])
    if not sheets:
        workbook.create_sheet(title="Empty")
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def _column_title(column: Any) -> str:
    if isinstance(column, tuple):
        return " ".join(str(c) for c in column if str(c))
    return str(column)


def _with_index(frame: pd.DataFrame) -> pd.DataFrame:
    index = frame.index
    if isinstance(index, pd.RangeIndex) and index.name is None:
        return frame
    return frame.reset_index()
