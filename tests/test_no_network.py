"""The guard in tests/conftest.py: the test process can reach this machine and nothing else."""

from __future__ import annotations

import socket
import threading

import pytest


def test_a_public_address_is_refused():
    with pytest.raises(OSError, match="must not reach the network"):
        socket.create_connection(("93.184.216.34", 80), timeout=1)


def test_loopback_still_works():
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    accepted = threading.Thread(target=lambda: server.accept()[0].close(), daemon=True)
    accepted.start()
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    accepted.join(timeout=2)
    server.close()
