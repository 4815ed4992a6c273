"""Issue #19's crawl fast path: orjson for response bodies with json's exact results, and (below) the per-page
post batches whose feed export (`-O`) stays line for line what per-post items wrote."""

from __future__ import annotations

import json

import pytest
from scrapy.http import Response, TextResponse

from benchmark.crawling.responses import ResponsesMixin, may_hold_long_integer

BODIES = [
    b'{"a": "\xe4\xb8\xad", "n": 1, "f": 0.1, "e": 1E5, "z": -0.0}',
    b'{"a": 1, "a": 2}',  # a repeated key: the last one, as json
    b'{"big": 12345678901234567890123}',  # beyond 64 bits: orjson would make it a float
    b'[1, -9223372036854775809]',
    b'18446744073709551616',
    b'{"n": 9223372036854775807, "m": -9223372036854775808}',
    b'{"x": NaN, "y": Infinity}',  # orjson refuses, json reads
    b'{"x": 1e400}',
    b'{"s": "\\ud800"}',  # a lone surrogate
    b'\xef\xbb\xbf{"bom": 1}',
    b'{"bad": "\xff\xfe"}',  # not UTF-8: json reads the replaced text
    b'{"cut": ',
    b"<html>login</html>",
    b"",
]


@pytest.mark.parametrize("body", BODIES)
@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/json",
                                          "application/json; charset=gbk"])
def test_load_json_gives_what_json_loads_gave(body: bytes, content_type: str) -> None:
    response = TextResponse("https://example.test/", body=body, headers={"Content-Type": content_type})
    try:
        expected = json.loads(response.text)
    except ValueError:
        expected = None
    got = ResponsesMixin().load_json(response)
    assert repr(got) == repr(expected)  # repr: int vs float, -0.0 and nan compare as they print
    if expected is not None:
        assert type(got) is type(expected)


def test_load_json_of_a_body_without_text_is_none() -> None:
    assert ResponsesMixin().load_json(Response("https://example.test/", body=b"{}")) is None


@pytest.mark.parametrize(("body", "long"), [
    (b'{"a":12345678901234567890}', True),
    (b'{"a": \n -1234567890123456789}', True),
    (b"1234567890123456789", True),
    (b'{"a":[0,1234567890123456789]}', True),
    (b'{"a":123456789012345678}', False),  # 18 digits: within 64 bits
    (b'{"a":"id 1234567890123456789012"}', False),  # inside a string, after a space
])
def test_may_hold_long_integer(body: bytes, long: bool) -> None:
    assert may_hold_long_integer(body) is long
