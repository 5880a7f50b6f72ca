"""The delivery ledger owns its tables: it can be built first on a fresh database, and
no other module writes to its tables."""

from __future__ import annotations

import re
from pathlib import Path

from bot.ledger import Ledger
from bot.subscriptions import Subscriptions
from briefings.database import open_database


def test_a_ledger_before_subscriptions_on_a_fresh_database(db_location: str) -> None:
    db = open_database(db_location)
    ledger = Ledger(db)
    assert ledger.claim("k1", "sub-1", "digest", "2020-03-05")
    Subscriptions(db)
    assert not Ledger(db).claim("k1", "sub-1", "digest", "2020-03-05")
    db.close()


def test_subscriptions_then_ledger_as_before(db_location: str) -> None:
    db = open_database(db_location)
    Subscriptions(db)
    assert Ledger(db).claim("k2", "sub-2", "reminders", "2020-03-05")
    db.close()


def test_no_ledger_writes_outside_the_ledger() -> None:
    root = Path(__file__).parents[1] / "bot"
    writes = re.compile(
        r"\b(INSERT|UPDATE|DELETE)\b[^\n]*\b(deliveries|instances)\b", re.IGNORECASE
    )
    found = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.name != "ledger.py" and writes.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_scheduler_talks_to_the_courier_not_the_ledger() -> None:
    source = (Path(__file__).parents[1] / "bot" / "scheduler.py").read_text(encoding="utf-8")
    assert "courier.ledger" not in source
