"""The platform registry: every package under benchmark/platforms/ is one platform (see spec.py).

A package `benchmark/platforms/<name>/` exposes `SPEC` (a PlatformSpec) from its `__init__.py`, which imports no
Scrapy or pandas; its modules `parser`, `spider`, `sample` and `faults` hold the rest. Adding a package is all
it takes to add a platform to every list here (docs/architecture.md, "Add a platform").
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from functools import cache
from typing import Any

from benchmark.platforms.spec import PlatformSpec, Secret

__all__ = ["PlatformSpec", "Secret", "all_secrets", "all_specs", "base_url_settings", "hook", "names", "spec",
           "url_settings"]


@cache
def all_specs() -> tuple[PlatformSpec, ...]:
    """Every registered platform, in order (weibo, bluesky, mastodon, telegram, then others by name)."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        if not info.ispkg or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        platform = getattr(module, "SPEC", None)
        if isinstance(platform, PlatformSpec):
            found.append(platform)
    return tuple(sorted(found, key=lambda s: (s.order, s.name)))


def names() -> tuple[str, ...]:
    return tuple(s.name for s in all_specs())


def spec(name: str) -> PlatformSpec:
    """The spec of platform `name`; KeyError for an unknown platform."""
    for platform in all_specs():
        if platform.name == name:
            return platform
    raise KeyError(name)


def base_url_settings() -> dict[str, str]:
    """platform -> the setting naming its base URL ("weibo" -> "WEIBO_BASE_URL")."""
    return {s.name: s.base_url_setting for s in all_specs()}


def url_settings() -> dict[str, str]:
    """Every base-URL-like setting of every platform -> its platform ("YOUTUBE_FEED_BASE_URL" -> "youtube"):
    what the demo and the tests point at the sample server's /<platform> prefix."""
    return {setting: s.name for s in all_specs() for setting in s.url_settings()}


def hook(dotted: str) -> Callable[..., Any]:
    """The function named "package.module:function" (a spec's hook, imported on first use)."""
    module, _, function = dotted.partition(":")
    return getattr(importlib.import_module(module), function)


def all_secrets() -> tuple[Secret, ...]:
    return tuple(secret for s in all_specs() for secret in s.secrets)
