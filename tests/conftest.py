"""Shared pytest configuration.

Hypothesis profiles: "default" (200 examples per property test that does not set its own count) and
"slow" (10,000 examples: the parser fuzz run of docs/reliability.md). Pick one with the environment
variable HYPOTHESIS_PROFILE, e.g. `HYPOTHESIS_PROFILE=slow python -m pytest tests/test_parsers_fuzz.py`.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# No deadline: the machine is shared with other test runs, so per-example timings are noise, not signal.
# Seed payloads are real recordings, larger than Hypothesis expects of generated data.
_RELAXED = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
settings.register_profile("default", max_examples=200, **_RELAXED)
settings.register_profile("slow", max_examples=10_000, **_RELAXED)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


# --- No network in tests, enforced: the test process may only connect to this machine. -----------------
# (Spider end-to-end tests run `scrapy crawl` subprocesses whose base URLs point at 127.0.0.1.)
import ipaddress  # noqa: E402
import socket  # noqa: E402

import pytest  # noqa: E402

_real_connect = socket.socket.connect


def _local_only_connect(sock: socket.socket, address: object) -> object:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
        host = str(address[0])
        try:
            local = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            local = False
        if not local:
            raise OSError(f"tests must not reach the network: connection to {host} refused by tests/conftest.py")
    return _real_connect(sock, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _local_only_connect)
