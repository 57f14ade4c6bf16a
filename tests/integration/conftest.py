from __future__ import annotations

import ipaddress
import socket

import pytest
import urllib3.util.connection
from support.rebinding import PUBLIC
from support.stack import speed_up


@pytest.fixture(scope="session")
def fast_stack(local_stack: dict[str, str]) -> dict[str, str]:
    """The session's stack with its upstream queue sped up (the graph server has no limit)."""
    return speed_up(local_stack)


@pytest.fixture
def connections(monkeypatch) -> list[tuple[str, int]]:
    """Where each connection was asked to go; one to a non-loopback address is refused."""
    asked: list[tuple[str, int]] = []
    real = urllib3.util.connection.create_connection

    def create_connection(address, *args, **kwargs):
        host, port = address
        asked.append((host, port))
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = True  # a name: its lookup (patched below) decides where it goes
        if not loopback:
            raise ConnectionRefusedError(f"the test never connects to {host}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    return asked


@pytest.fixture
def rebinding(monkeypatch) -> list[str]:
    """`rebind.test` resolves to PUBLIC the first time, to 127.0.0.1 ever after."""
    lookups: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host != "rebind.test":
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        address = PUBLIC if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups
