"""The findings section: one card per brand and rule, its platforms listed with their numbers."""

from __future__ import annotations

from typing import Any

from benchmark.metrics.findings import Finding


def brand_findings(findings: list[Finding]) -> list[dict[str, Any]]:
    """Findings per brand and story, not per platform: one card per (brand, rule), its platforms listed with
    their numbers; the explanation (with its Smartisan / Durex / Palace Museum context) once."""
    cards: dict[tuple[str, str], dict[str, Any]] = {}
    for f in findings:
        card = cards.setdefault((f.label, f.rule), {"label": f.label, "role": f.role, "title": f.title,
                                                   "detail": f.detail, "platforms": []})
        card["platforms"].append({"platform": f.platform, "numbers": f.numbers, "threshold": f.threshold})
    return list(cards.values())
