"""The delivery ledger: exactly one post per (subscription, kind, local day).

A post is claimed with INSERT ... ON CONFLICT DO NOTHING (the same on SQLite and
PostgreSQL) before it is sent, so a DST repeated hour, a restart, a reconnect or a second
process (on any machine) on the same database finds the claim and stands back. The one
gap (a process dies after the platform accepted the post and before the ledger recorded
it) leaves a `claimed` row whose owner is dead: an orphan,
settled by asking the platform whether the post arrived (`Poster.was_posted`).
"""

from __future__ import annotations

import os
import socket
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Migrations

from briefings.database import Database, apply_migrations

IN_FLIGHT = ("claimed", "interrupted")
HEARTBEAT_STALE = timedelta(seconds=30)
KEYS_PER_QUERY = 500  # well under SQLite's limit of bound parameters


migrations = Migrations("accord-ledger")


@migrations()
def create_tables(db: Database) -> None:
    # Databases made before the ledger owned its tables already have them.
    if not db["deliveries"].exists():
        db.table("deliveries").create(
            {
                "key": str,
                "subscription": str,
                "kind": str,
                "local_date": str,
                "status": str,
                "owner": str,
                "claimed_at": str,
                "updated_at": str,
                "attempts": int,
                "reason": str,
                "message_id": str,
            },
            pk="key",
        )
        db.table("deliveries").create_index(["status", "owner"])
    if not db["instances"].exists():
        db.table("instances").create(
            {"id": str, "pid": int, "host": str, "started_at": str, "heartbeat_at": str},
            pk="id",
        )


@migrations()
def index_deliveries_by_subscription(db: Database) -> None:
    # The channel's previous digest (for its corrections) and its last delivery (for
    # `/accord subscriptions`) are looked up by subscription.
    db.table("deliveries").create_index(["subscription", "local_date"])


def latest(db: Database, subscription: str) -> dict[str, Any] | None:
    """The newest delivery row of a subscription (status, reason, claimed_at, updated_at)."""
    if not db["deliveries"].exists():
        return None
    rows = db.query(
        "SELECT status, reason, updated_at, claimed_at FROM deliveries"
        " WHERE subscription = ? ORDER BY claimed_at DESC, updated_at DESC LIMIT 1",
        [subscription],
    )
    return next(iter(rows), None)


def forget_instances(conn: sqlite3.Connection) -> None:
    """A restored copy: the processes that ran when it was taken are not running now."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "instances" in tables:
        conn.execute("DELETE FROM instances")


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Claim:
    key: str
    subscription: str
    kind: str
    local_date: str
    status: str
    owner: str


class Ledger:
    """Claims and outcomes of deliveries, shared by every process on the database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        apply_migrations(migrations, db)
        self.owner = uuid.uuid4().hex[:12]
        now = _now().isoformat()
        self.db.table("instances").insert(
            {
                "id": self.owner,
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "started_at": now,
                "heartbeat_at": now,
            },
            pk="id",
        )

    def heartbeat(self) -> None:
        self.db.execute(
            "UPDATE instances SET heartbeat_at = ? WHERE id = ?", [_now().isoformat(), self.owner]
        )

    def live_instances(self) -> int:
        """Processes on this database whose heartbeat is fresh (this one included)."""
        stale = (_now() - HEARTBEAT_STALE).isoformat()
        rows = list(
            self.db.query(
                "SELECT count(*) AS n FROM instances WHERE heartbeat_at >= ? OR id = ?",
                [stale, self.owner],
            )
        )
        return max(1, int(rows[0]["n"]))

    def retire(self) -> None:
        self.db.execute("DELETE FROM instances WHERE id = ?", [self.owner])

    def interrupt_own(self) -> None:
        """This process's claims still in flight become `interrupted` (settled on restart)."""
        self.db.execute(
            "UPDATE deliveries SET status = 'interrupted' WHERE owner = ? AND status = 'claimed'",
            [self.owner],
        )

    def claim(self, key: str, subscription: str, kind: str, local_date: str) -> bool:
        """True when this process now owns the delivery; False when anyone already did."""
        now = _now().isoformat()
        cursor = self.db.execute(
            "INSERT INTO deliveries (key, subscription, kind, local_date, status,"
            " owner, claimed_at, updated_at, attempts) VALUES (?, ?, ?, ?, 'claimed', ?, ?, ?, 0)"
            " ON CONFLICT (key) DO NOTHING",
            [key, subscription, kind, local_date, self.owner, now, now],
        )
        return cursor.rowcount == 1

    def finish(
        self, key: str, status: str, reason: str = "", message_id: str | None = None
    ) -> None:
        self.db.execute(
            "UPDATE deliveries SET status = ?, reason = ?, message_id = ?, updated_at = ?"
            " WHERE key = ?",
            [status, reason, message_id, _now().isoformat(), key],
        )

    def status(self, key: str) -> str | None:
        rows = list(self.db.query("SELECT status FROM deliveries WHERE key = ?", [key]))
        return str(rows[0]["status"]) if rows else None

    def known(self, keys: list[str]) -> set[str]:
        """Which of these delivery keys were ever claimed (by any process)."""
        found: set[str] = set()
        for start in range(0, len(keys), KEYS_PER_QUERY):
            chunk = keys[start : start + KEYS_PER_QUERY]
            marks = ", ".join("?" for _ in chunk)
            rows = self.db.query(f"SELECT key FROM deliveries WHERE key IN ({marks})", chunk)
            found.update(str(row["key"]) for row in rows)
        return found

    def last_delivered(self, subscriptions: list[str], before: str) -> dict[str, str]:
        """The local day of each subscription's latest delivered post before `before`."""
        found: dict[str, str] = {}
        for start in range(0, len(subscriptions), KEYS_PER_QUERY):
            chunk = subscriptions[start : start + KEYS_PER_QUERY]
            marks = ", ".join("?" for _ in chunk)
            rows = self.db.query(
                "SELECT subscription, max(local_date) AS day FROM deliveries"
                f" WHERE subscription IN ({marks}) AND status = 'delivered' AND local_date < ?"
                " GROUP BY subscription",
                [*chunk, before],
            )
            found.update({str(r["subscription"]): str(r["day"]) for r in rows if r["day"]})
        return found

    def counts(self) -> dict[str, int]:
        rows = self.db.query("SELECT status, count(*) AS n FROM deliveries GROUP BY status")
        return {row["status"]: int(row["n"]) for row in rows}

    def orphans(self) -> list[Claim]:
        """In-flight claims of another process that is gone: retired, silent for longer
        than HEARTBEAT_STALE, or (on this host) no longer running."""
        rows = list(
            self.db.query(
                "SELECT d.*, i.pid, i.host, i.heartbeat_at FROM deliveries d"
                " LEFT JOIN instances i ON i.id = d.owner"
                " WHERE d.status IN ('claimed', 'interrupted') AND d.owner != ?",
                [self.owner],
            )
        )
        stale = (_now() - HEARTBEAT_STALE).isoformat()
        host = socket.gethostname()
        return [
            Claim(r["key"], r["subscription"], r["kind"], r["local_date"], r["status"], r["owner"])
            for r in rows
            if r["heartbeat_at"] is None
            or r["heartbeat_at"] < stale
            or (r["host"] == host and not _running(r["pid"]))
        ]

    def adopt(self, claim: Claim) -> bool:
        """Take an orphan over; False when another process adopted it first."""
        cursor = self.db.execute(
            "UPDATE deliveries SET owner = ?, status = 'claimed', updated_at = ?"
            " WHERE key = ? AND owner = ? AND status = ?",
            [self.owner, _now().isoformat(), claim.key, claim.owner, claim.status],
        )
        return cursor.rowcount == 1
