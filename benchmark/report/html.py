"""index.html: jinja2 with autoescape on, one template per section (templates/sections/), the CSS of
templates/report.css inlined so the file stays self-contained. No post or profile string is ever marked safe;
the page carries a CSP that forbids every load and every script.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from benchmark.i18n import current_language, format_count, install_jinja
from benchmark.metrics.catalog import format_value, term

TEMPLATES = Path(__file__).parent / "templates"


def render_html(context: dict[str, Any]) -> str:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    install_jinja(env, current_language())
    env.filters["fmt"] = lambda value, metric: format_value(metric, value)
    env.filters["num"] = lambda value: format_count(value)  # 12.3万 with the exact number as a tooltip in zh
    env.filters["term"] = lambda code, group: term(group, code)
    env.filters["u"] = isolate
    return env.get_template("report.html.j2").render(**context)


def isolate(value: Any) -> Markup:
    """User text (posts, comments, names) escaped inside <bdi>: a right-to-left override in it cannot
    reverse the text or the links around it."""
    return Markup("<bdi>") + escape("" if value is None else value) + Markup("</bdi>")


def safe_href(url: Any) -> str | None:
    """The URL if it is a plain http(s) link, else None (the template then shows it as text)."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")) or any(ord(ch) < 0x21 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None
