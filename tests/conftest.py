"""Shared fixtures: a real SQLite store in a temporary directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from briefings.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A store filled from the shipped dossier, in a fresh database file."""
    opened = Store.open(tmp_path / "accord.db")
    yield opened
    opened.close()
