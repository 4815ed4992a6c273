"""Chart geometry for the hand-written SVG charts (research/scrapy.md §4.3).

Each function turns plain numbers into shapes (coordinates, colours, short labels, tooltips) and returns a
dict; the jinja2 macros in templates/_charts.html.j2 turn the dict into `<svg>` markup with autoescape on,
so every label from a post or a profile is escaped there. Text stays `<text>`: the reader's fonts draw
Chinese. Same data gives the same bytes (no randomness: jitter is a fixed pattern). Tooltips and axis texts are
in the current language (benchmark.i18n.use_language); titles and part names come translated from the caller.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from benchmark.i18n import _, format_count, format_number, weekday_names
from benchmark.metrics.catalog import format_share

WIDTH = 760
LABEL_W = 200
ROW_H = 22
FONT_PX = 12
ROLE_COLORS = {"own": "#c8364b", "peer": "#7b8794", "exemplar": "#1f8a7a"}
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#bab0ac")
GREY = "#e4e4e4"
# Fan voice and answer delays: colours that carry the meaning (complaints red, fast answers green).
VOICE_COLORS = {"complaint": "#d1495b", "praise": "#59a14f", "question": "#4e79a7", "other": "#bab0ac"}
DELAY_COLORS = ("#1a9850", "#91cf60", "#fdae61", "#d73027", "#c9cdd2")  # 0-2 h ... over 24 h, not answered
# Purposes: no colour that reads as "good" (green) for sales.
PURPOSE_COLORS = {"brand": "#4e79a7", "communication": "#76b7b2", "sales": "#f28e2b", "service": "#b07aa1",
                  "other": "#bab0ac"}


@dataclass
class Row:
    """One account (or group) in a chart: its display label, role colour and data."""

    label: str
    role: str = "peer"
    value: float | None = None
    text: str = ""
    parts: Sequence[tuple[str, float, int]] = field(default_factory=tuple)  # (part, share, count)
    values: Sequence[float] = field(default_factory=tuple)


def text_width(text: str, font_px: float = FONT_PX) -> float:
    """Estimated rendered width without font metrics: 1 em for wide (CJK) characters, 0.6 em otherwise."""
    return sum(font_px if unicodedata.east_asian_width(ch) in "WF" else 0.6 * font_px for ch in text)


def fit(text: str, max_px: float, font_px: float = FONT_PX) -> str:
    """The text cut with an ellipsis so it fits in max_px. A row label that carries its platform after " · "
    ("Brand · Weibo") keeps the platform: the name is cut, not the platform."""
    text = " ".join(str(text).split())
    if text_width(text, font_px) <= max_px:
        return text
    name, dot, platform = text.rpartition(" · ")
    if dot and name and text_width(f"… · {platform}", font_px) < max_px / 2:
        return fit(name, max_px - text_width(f" · {platform}", font_px), font_px) + f" · {platform}"
    out = ""
    for ch in text:
        if text_width(out + ch + "…", font_px) > max_px:
            break
        out += ch
    return out + "…"


def nice_ticks(value: float, most: int = 5) -> list[float]:
    """Round tick values from 0 to at least `value`: steps of 1, 2, 2.5 or 5 × 10^k, at most `most` steps."""
    if not value > 0 or math.isinf(value):
        return [0.0, 1.0]
    for exponent in range(math.floor(math.log10(value / most)), math.floor(math.log10(value)) + 2):
        for base in (1, 2, 2.5, 5):
            step = base * 10.0**exponent
            if math.ceil(value / step - 1e-9) <= most:
                return [round(step * k, 12) for k in range(math.ceil(value / step - 1e-9) + 1)]
    return [0.0, value]


def bars(rows: Sequence[Row], fmt: Callable[[float], str], title: str) -> dict:
    """Horizontal bars, one per row, value text at the bar's end; rows without a value say '—'."""
    known = [r.value for r in rows if r.value is not None and not math.isnan(r.value)]
    tick_values = nice_ticks(max(known, default=0.0))
    top = tick_values[-1]
    plot_w = WIDTH - LABEL_W - 90
    items = []
    for i, row in enumerate(rows):
        has = row.value is not None and not math.isnan(row.value)
        w = max(0.0, row.value / top * plot_w) if has else 0.0
        items.append({"y": 24 + i * ROW_H, "w": round(w, 1), "label": fit(row.label, LABEL_W - 8),
                      "full": row.label, "color": ROLE_COLORS.get(row.role, ROLE_COLORS["peer"]),
                      "text": row.text or (fmt(row.value) if has else "—")})
    ticks = [{"x": round(LABEL_W + plot_w * v / top, 1), "text": fmt(v)} for v in tick_values]
    return {"kind": "bars", "title": title, "width": WIDTH, "height": 24 + len(rows) * ROW_H + 8,
            "label_w": LABEL_W, "plot_w": plot_w, "bars": items, "ticks": ticks}


def dot_plot(rows: Sequence[dict[str, Any]], title: str) -> dict:
    """The scorecard as a picture: one line per metric (each on its own scale from 0), a dot for own, the
    peers' median and the best exemplar. rows: name, own, peer, best (floats, NaN when undefined) and their
    texts own_text, peer_text, best_text."""
    label_w, plot_w, row_h = LABEL_W + 60, WIDTH - LABEL_W - 100, 30  # metric names are long
    items = []
    for i, row in enumerate(rows):
        known = [v for v in (row["own"], row["peer"], row["best"]) if v == v]
        top = max([abs(v) for v in known], default=0.0) or 1.0
        y = 30 + i * row_h
        dots = []
        for role, key, r in (("peer", "peer", 5), ("exemplar", "best", 5), ("own", "own", 6)):
            value = row[key]
            if value == value:
                dots.append({"x": round(label_w + max(value, 0.0) / top * plot_w, 1), "r": r,
                             "color": ROLE_COLORS[role], "title": f"{row['name']}: {row[key + '_text']}"})
        items.append({"y": y, "label": fit(row["name"], label_w - 8), "full": row["name"], "dots": dots,
                      "own_text": row["own_text"]})
    return {"kind": "dots", "title": title, "width": WIDTH, "height": 30 + len(rows) * row_h + 6,
            "label_w": label_w, "plot_w": plot_w, "rows": items}


def stacked(rows: Sequence[Row], parts: Sequence[str], title: str, empty: str | None = None,
            unit: str | None = None, colors: dict[str, str] | None = None,
            names: dict[str, str] | None = None, min_total: int = 0) -> dict:
    """100 % stacked bars: each row's parts (part, share, count) side by side, with a legend; `unit` names
    what the counts in the tooltips count ("{count} posts", a message with {count}); `colors` (part →
    colour) replaces the default palette; `names` (part → what the reader sees) translates the part codes.
    A row resting on fewer than `min_total` items says so instead of a bar (one comment is no 100 %)."""
    plot_w = WIDTH - LABEL_W - 20
    empty = _("no posts") if empty is None else empty
    unit = _("{count} posts") if unit is None else unit
    names = names or {}
    colors = colors or {part: PALETTE[i % len(PALETTE)] for i, part in enumerate(parts)}
    legend = _wrap_legend([{"text": names.get(part, part), "color": colors[part]} for part in parts])
    top = (legend[-1]["y"] if legend else 0) + 22
    items = []
    for i, row in enumerate(rows):
        y, x0, segments = top + i * ROW_H, float(LABEL_W), []
        total = sum(count for _part, _share, count in row.parts)
        if 0 < total < min_total:
            items.append({"y": y, "label": fit(row.label, LABEL_W - 8), "full": row.label, "segments": [],
                          "empty": True, "note": _("too few to draw (n = {count})").format(count=format_count(total))})
            continue
        for part, share, count in row.parts:
            if share and share > 0:
                w = share * plot_w
                segments.append({"x": round(x0, 1), "w": round(w, 1), "color": colors.get(part, GREY),
                                 "title": _("{label}: {part} {share} ({count})").format(
                                     label=row.label, part=names.get(part, part),
                                     share=_("{value} %").format(value=format_number(share * 100, digits=1)),
                                     count=unit.format(count=format_count(count))),
                                 "text": f"{share * 100:.0f}%" if w > 30 else ""})
                x0 += w
        items.append({"y": y, "label": fit(row.label, LABEL_W - 8), "full": row.label,
                      "segments": segments, "empty": not segments, "note": ""})
    return {"kind": "stacked", "title": title, "width": WIDTH, "height": top + len(rows) * ROW_H + 8,
            "label_w": LABEL_W, "legend": legend, "rows": items, "empty": empty}


def _wrap_legend(legend: list[dict]) -> list[dict]:
    out, x, y = [], float(LABEL_W), 6.0
    for item in legend:
        w = 22 + text_width(item["text"])
        if x + w > WIDTH and x > LABEL_W:
            x, y = float(LABEL_W), y + 18
        out.append({**item, "x": round(x, 1), "y": y})
        x += w
    return out


def _log_ticks(lo: float, hi: float) -> list[float]:
    ticks = []
    for exp in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5) if math.log10(hi / lo) <= 3 else (1,):
            value = m * 10.0**exp
            if lo <= value <= hi:
                ticks.append(value)
    return ticks


def _tick_text(value: float) -> str:
    return f"{value:g}" if value >= 1e-4 else f"{value:.0e}"


def box_strip(rows: Sequence[Row], unit: str, title: str, points: int = 40) -> dict:
    """Per-row distribution on a log axis: box (quartiles), whiskers (10th-90th percentile), median, and a
    strip of `points` evenly spaced quantiles, all of the posts with engagement; the share of posts without
    any is written beside the row (a log axis has no place for 0)."""
    positive = np.concatenate([np.asarray(r.values, dtype=float)[np.asarray(r.values, dtype=float) > 0]
                               for r in rows] or [np.array([])])
    lo = 10 ** math.floor(math.log10(np.quantile(positive, 0.01))) if positive.size else 0.01
    hi = 10 ** math.ceil(math.log10(positive.max())) if positive.size else 1.0
    hi = hi * 10 if hi <= lo else hi
    plot_w = WIDTH - LABEL_W - 200  # room for "x % of posts had no engagement"
    row_h = 30

    def x_of(v: float) -> float:
        v = min(max(v, lo), hi)
        return round(LABEL_W + (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * plot_w, 1)

    items = []
    for i, row in enumerate(rows):
        every = np.sort(np.asarray(row.values, dtype=float))
        every = every[~np.isnan(every)]
        values = every[every > 0]
        zeros = int(every.size - values.size)
        y = 20 + i * row_h
        item = {"y": y, "label": fit(row.label, LABEL_W - 8), "full": row.label, "n": int(values.size),
                "color": ROLE_COLORS.get(row.role, ROLE_COLORS["peer"]),
                "zero": _("{share} of posts had no engagement").format(share=format_share(zeros / every.size))
                if zeros else ""}
        if values.size:
            q = np.quantile(values, [0.1, 0.25, 0.5, 0.75, 0.9])
            sample = np.quantile(values, np.linspace(0, 1, min(points, values.size)))
            item.update({"p10": x_of(q[0]), "q1": x_of(q[1]), "med": x_of(q[2]), "q3": x_of(q[3]),
                         "p90": x_of(q[4]),
                         "title": _("{label}: median {median} {unit}, quartiles {q1}–{q3} {unit}, {posts} posts, "
                                    "{zero} with no engagement").format(
                             label=row.label, median=format_number(q[2], digits=2), unit=unit,
                             q1=format_number(q[1], digits=2), q3=format_number(q[3], digits=2),
                             posts=format_count(every.size), zero=format_count(zeros)),
                         "dots": [{"x": x_of(v), "dy": (k % 5 - 2) * 2.5} for k, v in enumerate(sample)]})
        items.append(item)
    ticks = [{"x": x_of(t), "text": _tick_text(t)} for t in _log_ticks(lo, hi)]
    return {"kind": "box", "title": title, "unit": unit, "width": WIDTH, "height": 20 + len(rows) * row_h + 24,
            "label_w": LABEL_W, "plot_w": plot_w, "rows": items, "ticks": ticks, "axis_y": 20 + len(rows) * row_h + 4}


def _ramp(t: float) -> str:
    """Light blue to dark blue, t in [0, 1]."""
    a, b = (0xEA, 0xF2, 0xFA), (0x0B, 0x4F, 0x8A)
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b, strict=True))


def heatmap(counts: np.ndarray, medians: np.ndarray, title: str, unit: str = "‰", min_n: int = 3) -> dict:
    """Weekday × hour grid: the number of posts in each cell, coloured by the median ER of its posts;
    cells with fewer than `min_n` posts are grey (too few to judge)."""
    cell_w, cell_h, left, top = 26, 20, 40, 18
    eligible = medians[(counts >= min_n) & ~np.isnan(medians)]
    ranks = np.sort(eligible)
    cells = []
    weekdays = weekday_names()
    for d in range(7):
        for h in range(24):
            n, med = int(counts[d, h]), float(medians[d, h])
            ok = n >= min_n and not math.isnan(med)
            t = (np.searchsorted(ranks, med, side="right") / len(ranks)) if ok and len(ranks) else 0.0
            color = _ramp(t) if ok else GREY
            label = _("{weekday} {start}:00–{end}:00: {posts} posts").format(
                weekday=weekdays[d], start=f"{h:02d}", end=f"{h + 1:02d}", posts=format_count(n))
            if ok:
                label += _(", median ER {median} {unit}").format(median=format_number(med, digits=2), unit=unit)
            elif n:
                label += _(" (fewer than {minimum}: not rated)").format(minimum=min_n)
            cells.append({"x": left + h * cell_w, "y": top + d * cell_h, "color": color, "title": label,
                          "text": str(n) if n else "", "dark": ok and t > 0.55, "muted": not ok})
    return {"kind": "heatmap", "title": title, "width": left + 24 * cell_w + 4, "height": top + 7 * cell_h + 30,
            "cell_w": cell_w, "cell_h": cell_h, "cells": cells,
            "hours": [{"x": left + h * cell_w + cell_w / 2, "text": f"{h:02d}"} for h in range(0, 24, 3)],
            "days": [{"y": top + d * cell_h + cell_h / 2 + 4, "text": weekdays[d]} for d in range(7)],
            "legend_y": top + 7 * cell_h + 16, "low": _ramp(0.0), "high": _ramp(1.0)}


def scatter(rows: Sequence[tuple[str, str, float, float]], title: str, reference_er: float | None,
            hollow_factor: float) -> dict:
    """Followers (x) against median engagements per post (y), both on log axes, one dot per account; the
    dashed line is the panel's median engagement rate, the dotted one `hollow_factor` times it."""
    # A median of 0 engagements has no place on a log axis: such accounts sit on the bottom edge, said so.
    pts = [(label, role, x, y) for label, role, x, y in rows if x and x > 0 and y == y and y >= 0]
    left, bottom, width, height = 70, 40, WIDTH, 360
    plot_w, plot_h = width - left - 150, height - bottom - 20
    if not pts:
        return {"kind": "scatter", "title": title, "width": width, "height": 60, "points": [], "empty": True}
    xs, ys = [p[2] for p in pts], [p[3] for p in pts if p[3] > 0] or [1.0]
    x_lo, x_hi = 10 ** math.floor(math.log10(min(xs))), 10 ** math.ceil(math.log10(max(xs)) + 1e-9)
    y_lo, y_hi = 10 ** math.floor(math.log10(min(ys))), 10 ** math.ceil(math.log10(max(ys)) + 1e-9)

    def sx(v: float) -> float:
        return round(left + (math.log10(v) - math.log10(x_lo)) / (math.log10(x_hi) - math.log10(x_lo)) * plot_w, 1)

    def sy(v: float) -> float:
        if v <= 0:
            return 20 + plot_h
        return round(20 + plot_h - (math.log10(v) - math.log10(y_lo)) / (math.log10(y_hi) - math.log10(y_lo))
                     * plot_h, 1)

    points = [{"x": sx(x), "y": sy(y), "label": fit(label, 140), "full": label,
               "color": ROLE_COLORS.get(role, ROLE_COLORS["peer"]),
               "title": (_("{label}: {followers} followers, median {engagements} engagements per post").format(
                   label=label, followers=format_count(round(x)), engagements=format_number(y, digits=1)) if y > 0
                   else _("{label}: {followers} followers, median 0 engagements per post (drawn on the bottom "
                          "edge)").format(label=label, followers=format_count(round(x))))}
              for label, role, x, y in pts]
    lines = []
    for factor, dash, name in ((1.0, "6 4", _("panel median ER")),
                               (hollow_factor, "2 3", _("{factor}× it").format(factor=f"{hollow_factor:g}"))):
        if reference_er and reference_er > 0:
            segment = _line_in_box(reference_er * factor, x_lo, x_hi, y_lo, y_hi)
            if segment:
                (x1, y1), (x2, y2) = segment
                lines.append({"x1": sx(x1), "y1": sy(y1), "x2": sx(x2), "y2": sy(y2), "dash": dash, "name": name})
    return {"kind": "scatter", "title": title, "width": width, "height": height, "points": points,
            "lines": lines, "empty": False, "left": left, "top": 20, "plot_w": plot_w, "plot_h": plot_h,
            "xticks": [{"x": sx(t), "text": format_count(round(t)).short} for t in _log_ticks(x_lo, x_hi)],
            "yticks": [{"y": sy(t), "text": _tick_text(t)} for t in _log_ticks(y_lo, y_hi)]}


def _line_in_box(rate: float, x_lo: float, x_hi: float, y_lo: float, y_hi: float) -> tuple | None:
    """The part of y = rate · x that lies inside the plot box, or None."""
    start_x = max(x_lo, y_lo / rate)
    end_x = min(x_hi, y_hi / rate)
    if start_x >= end_x:
        return None
    return (start_x, rate * start_x), (end_x, rate * end_x)


LINE_DASH = {"own": "", "peer": "5 4", "exemplar": ""}


def _span_ticks(lo: float, hi: float, most: int = 4) -> list[float]:
    """Round ticks covering [lo, hi] (lo may be negative), at most `most` + 1 of them."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    steps = nice_ticks(hi - lo, most)
    step = steps[1] - steps[0]
    first = math.floor(lo / step + 1e-9) * step
    ticks = [round(first + k * step, 12) for k in range(most + 3)]
    return [t for t in ticks if t <= hi + step - 1e-12][: most + 2]


def line_chart(series: Sequence[dict], periods: Sequence[str], fmt: Callable[[float], str], title: str,
               width: int = 360, height: int = 190) -> dict:
    """A small line chart: one line per series ({"label", "role", "values" per period}), own solid red,
    peers' median dashed grey, exemplars' median green; missing values break the line. The y axis starts
    at 0 unless a value is negative."""
    left, right, top, bottom = 64, 12, 26, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    known = [v for s in series for v in s["values"] if v is not None and not math.isnan(v)]
    lo, hi = min([0.0, *known]), max([0.0, *known])
    ticks = _span_ticks(lo, hi)
    y_lo, y_hi = ticks[0], ticks[-1]

    def y_of(v: float) -> float:
        return round(top + plot_h - (v - y_lo) / ((y_hi - y_lo) or 1.0) * plot_h, 1)

    pad = 26  # room for the first and last period's label under the axis

    def x_of(i: int) -> float:
        inner = plot_w - 2 * pad
        return round(left + pad + (inner * i / (len(periods) - 1) if len(periods) > 1 else inner / 2), 1)

    lines = []
    for s in series:
        color = ROLE_COLORS.get(s["role"], ROLE_COLORS["peer"])
        points, segments, current = [], [], []
        for i, v in enumerate(s["values"]):
            if v is None or math.isnan(v):
                if current:
                    segments.append(current)
                current = []
                continue
            point = {"x": x_of(i), "y": y_of(v), "title": _("{series}, {period}: {value}").format(
                series=s["label"], period=periods[i], value=fmt(v))}
            points.append(point)
            current.append(f"{point['x']},{point['y']}")
        if current:
            segments.append(current)
        lines.append({"label": s["label"], "color": color, "dash": LINE_DASH.get(s["role"], ""),
                      "paths": [" ".join(seg) for seg in segments if len(seg) > 1], "points": points})
    return {"kind": "lines", "title": title, "width": width, "height": height, "left": left, "top": top,
            "plot_w": plot_w, "plot_h": plot_h, "lines": lines,
            "yticks": [{"y": y_of(t), "text": str(fmt(t))} for t in ticks],  # str: no <abbr> in SVG
            "xticks": [{"x": x_of(i), "text": fit(p, max(52.0, plot_w / max(1, len(periods))), 11)}
                       for i, p in enumerate(periods)]}
