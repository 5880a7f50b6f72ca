"""Shared fixtures: a real SQLite store in a temporary directory, and a real PostgreSQL."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from postgres import PostgresServer

from briefings.store import Store

_databases = itertools.count(1)
# The operators' endpoints are off unless a test asks for them on a free port.
os.environ["ACCORD_HTTP_PORT"] = "0"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A store filled from the shipped dossier, in a fresh database file."""
    opened = Store.open(tmp_path / "accord.db")
    yield opened
    opened.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store location on each backend: an SQLite path, a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "accord.db")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL 15 server for the whole run, on 127.0.0.1 and a free port."""
    with PostgresServer.start() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty database on the session's server."""
    return postgres_server.create_database(f"accord_{next(_databases)}")
