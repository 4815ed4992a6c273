"""The project's exception classes, in one place, so a caller can catch any of them without importing the
(heavier) module that raises it. Standard library and the i18n catalogs only: the crawl path imports this.

`Refused` (a value the store cannot hold) stays in benchmark/store.py for now.
"""

from __future__ import annotations

from pathlib import Path

from benchmark.i18n import translate


class ConfigError(ValueError):
    """A config problem, worded for the person who edits the file: `file:line: key: what is wrong`.

    As a str it is English; `translate(language)` gives the same line with the reason in `language` (file,
    line and key stay as they are: they are what the user looks for in the file)."""

    def __init__(self, path: str | Path, key: str, message: str, line: int | None = None) -> None:
        self.path, self.key, self.line, self.message = str(path), key, line, message
        super().__init__(self.translate("en"))

    def translate(self, language: str | None = None) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        message = translate(self.message, language)
        return f"{where}: {self.key}: {message}" if self.key else f"{where}: {message}"


class ReportInputError(Exception):
    """A problem with the report's input, worded as one line for the person running `scrapy report`."""


class JobBusyError(RuntimeError):
    """A job of this spider is still running (accounts pending, requests queued or workers alive)."""


class StoppedBeforeSent(Exception):
    """A request still waiting in a download slot (a back-off, a delay) when the crawl was told to stop."""


class SampleServerError(RuntimeError):
    """The sample server did not start (its stderr is in the message)."""
