"""Reason codes and the words a user reads for them; the msgids of why an account is not complete.

Shared by the spider's mixins (benchmark/crawling/) and the console summary (benchmark/extensions.py).
"""

from __future__ import annotations

from benchmark.i18n import N_, Message

# Codes that end up inside a reason the user reads (console summary, report coverage), in words of either
# language; the codes themselves stay in the stats and the log. Codes not listed are shown as they are.
REASON_WORDS = {
    "malformed_json": N_("the answer was not valid JSON"),
    "malformed_payload": N_("the answer had an unexpected shape"),
    "malformed_page": N_("the page was cut short or was not a Telegram page"),
    "empty_profile": N_("the profile came back empty"),
    "shutdown": N_("stopped by Ctrl-C or a signal"),
    "cancelled": N_("cancelled"),
    **dict.fromkeys(("closespider_timeout", "closespider_itemcount", "closespider_pagecount",
                     "closespider_errorcount", "closespider_timeout_no_item"), N_("a CLOSESPIDER_* limit was reached")),
    **dict.fromkeys(("DownloadTimeoutError", "TimeoutError", "TCPTimedOutError"), N_("the request timed out")),
    **dict.fromkeys(("DNSLookupError", "CannotResolveHostError"), N_("the host name could not be resolved")),
    "too_large": N_("the answer was larger than DOWNLOAD_MAXSIZE allows"),
    "ConnectionRefusedError": N_("the connection was refused"),
    **dict.fromkeys(("ResponseDataLossError", "PartialDownloadError", "ResponseFailed"), N_("the answer was cut off")),
    **dict.fromkeys(("ConnectionLost", "ConnectionDone", "ResponseNeverReceived", "DownloadFailedError"),
                    N_("the connection was lost")),
}


# Why an account is not complete (msgids; translated where shown).
CANNOT_REACH = N_("cannot reach {host}: no network or DNS?")
CRAWLER_ERROR = N_("an error in the crawler: {error}")
REQUEST_DROPPED = N_("a page request was dropped as a duplicate: {url}")
REPEATED_PAGE = N_("the server repeated a page (no new post on it)")
CURSOR_STUCK = N_("the next-page cursor did not move ({cursor})")
PAGE_CAP = N_("stopped after {count} pages (MAX_PAGES_PER_ACCOUNT)")
POST_NOT_STORED = N_("a post was not stored: {reason}")
NOT_ALL_STORED = N_("only {stored} of its {posts} posts reached the store")


def reason_words(code: str) -> str:
    """A reason code as words the user can read in either language (a Message), or the code itself."""
    if code in REASON_WORDS:
        return Message(REASON_WORDS[code])
    if code.startswith("http_") and code[5:].isdigit():
        return Message("HTTP error {status}", status=int(code[5:]))
    return code
