"""Every data test runs with the network switched off, so a dataset that tries to download fails loudly."""

import socket

import pytest


def _refuse(*args, **kwargs):
    # RuntimeError rather than OSError: code that catches network errors and quietly falls back to something
    # else would otherwise hide the download attempt.
    raise RuntimeError(f"network access attempted during a data test: {args!r}")


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Make every outgoing connection raise for the duration of one test."""
    monkeypatch.setattr(socket.socket, "connect", _refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", _refuse)
    monkeypatch.setattr(socket, "create_connection", _refuse)
