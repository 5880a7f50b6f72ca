"""Shared fixtures: a real SQLite store in a temporary directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from briefings.store import Store

# The operators' endpoints are off unless a test asks for them on a free port.
os.environ["ACCORD_HTTP_PORT"] = "0"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A store filled from the shipped dossier, in a fresh database file."""
    opened = Store.open(tmp_path / "accord.db")
    yield opened
    opened.close()
