"""A real moto server (S3, KMS, ...) on loopback, reusable from any test folder.

Import `moto_endpoint` (the session fixture) into a conftest, or call `running_moto_server()`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from moto.server import ThreadedMotoServer

# moto accepts any credentials; fixed fake ones keep tests independent of the environment.
FAKE_ACCESS_KEY_ID = "testing-access-key"
FAKE_SECRET_ACCESS_KEY = "testing-secret-key"
FAKE_REGION = "us-east-1"


@dataclass(frozen=True)
class MotoServer:
    """Where a running moto server listens, plus the fake credentials to use with it."""

    endpoint: str
    region: str = FAKE_REGION
    access_key_id: str = FAKE_ACCESS_KEY_ID
    secret_access_key: str = FAKE_SECRET_ACCESS_KEY


@contextmanager
def running_moto_server() -> Iterator[MotoServer]:
    """Start moto's threaded server on 127.0.0.1 with an OS-chosen free port; stop it on exit."""
    # werkzeug logs every request at INFO; that drowns pytest's failure output.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield MotoServer(endpoint=f"http://{host}:{port}")
    finally:
        server.stop()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """Session-wide moto server; tests isolate themselves with unique bucket/key names."""
    with running_moto_server() as server:
        yield server
