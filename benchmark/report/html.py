"""index.html: jinja2 with autoescape on, one template per section (templates/sections/), the CSS of
templates/report.css inlined so the file stays self-contained. No post or profile string is ever marked safe;
the page carries a CSP that forbids every load and every script.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
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
                      trim_blocks=True, lstrip_blocks=True, bytecode_cache=_bytecode_cache())
    install_jinja(env, current_language())
    env.filters["fmt"] = lambda value, metric: format_value(metric, value)
    env.filters["num"] = lambda value: format_count(value)  # 12.3万 with the exact number as a tooltip in zh
    env.filters["term"] = lambda code, group: term(group, code)
    env.filters["u"] = isolate
    _at_render_time(env)
    return env.get_template("report.html.j2").render(**context)


def _at_render_time(env: Any) -> None:
    """Make our filters run when the page is rendered, never when a template is compiled.

    jinja2 evaluates a filter applied to constants (`"own"|term("role")`) at compile time, so the compiled code
    would carry the language (and units) of the run that compiled it; a filter that takes the render context
    is never evaluated early. With that, the compiled templates are the same in every language and are cached
    (`_bytecode_cache`): compiling the 22 templates took 0.2-0.3 s of CPU per report."""
    from jinja2 import pass_context
    from jinja2.defaults import DEFAULT_FILTERS

    def late(function: Any) -> Any:
        return pass_context(lambda _context, *args, **kwargs: function(*args, **kwargs))

    for name, function in list(env.filters.items()):
        if DEFAULT_FILTERS.get(name) is not function:  # ours, including those that replace jinja2's (`count`)
            env.filters[name] = late(function)


def _bytecode_cache() -> Any:
    """jinja2's cache of compiled templates in a private per-user folder in the temp directory, None when the
    folder cannot be used (then every run compiles). jinja2 checks each template's source checksum itself; the
    file names add what else shapes the compiled code: jinja2's and Python's versions and the environment's
    options and extensions (set in this module and in benchmark.i18n.install_jinja), so a change to either
    compiles afresh."""
    import jinja2
    from jinja2 import FileSystemBytecodeCache

    from benchmark import i18n

    try:
        digest = hashlib.sha256(Path(__file__).read_bytes() + Path(i18n.__file__).read_bytes()).hexdigest()[:16]
        folder = Path(tempfile.gettempdir()) / f"benchmark-jinja-{os.getuid()}"
        folder.mkdir(mode=0o700, exist_ok=True)
        info = folder.stat()
        if info.st_uid != os.getuid() or info.st_mode & 0o077:
            return None  # compiled code is executed: never read what someone else could have written
    except OSError:
        return None
    version = f"{jinja2.__version__}-py{sys.version_info[0]}{sys.version_info[1]}-{digest}"
    return FileSystemBytecodeCache(str(folder), f"{version}-%s.cache")


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
