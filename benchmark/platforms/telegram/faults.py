"""Telegram's fault profile for the sample server's hostile answers (benchmark.sample.faults.hostile_reply).

Its timeline is an HTML page, so the profile rewrites the page itself (`hostile_page`); only date_9999 applies.
"""

from __future__ import annotations

from dataclasses import replace

from benchmark.sample import FAR_DATE, Reply

TIMELINE = ("/s/", "")  # (path under /telegram, marker): a timeline page
CURSOR_PARAMS = ("before",)


def hostile_page(name: str, reply: Reply) -> Reply:
    if name == "date_9999":
        body = reply.body.replace(b'datetime="', f'datetime="{FAR_DATE}" data-was="'.encode(), 1)
        return replace(reply, body=body)
    return reply
