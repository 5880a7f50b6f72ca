"""Who gets what, when, in which zone: the subscriptions table beside the store.

One row per (platform, workspace, channel, kind, dossier); subscribing again updates
that row rather than adding another. A paused row keeps its settings and the reason it
stopped. Beside it, the dossier each channel follows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from sqlite_utils import Migrations

from briefings.countdown import DEFAULT_OFFSETS
from briefings.database import Database, apply_migrations

DEFAULT_DIGEST_TIME = time(8, 0)
DEFAULT_REMINDER_TIME = time(9, 0)

migrations = Migrations("accord-subscriptions")


@migrations()
def create_tables(db: Database) -> None:
    db.table("subscriptions").create(
        {
            "id": str,
            "platform": str,
            "workspace": str,
            "channel": str,
            "kind": str,
            "at": str,
            "zone": str,
            "offsets": str,
            "include_passed": int,
            "with_chart": int,
            "created_by": str,
            "created_at": str,
            "updated_at": str,
            "paused": int,
            "paused_reason": str,
            "paused_at": str,
        },
        pk="id",
    )
    db.table("subscriptions").create_index(["platform", "workspace", "channel"])
    db.table("subscriptions").create_index(["kind", "at", "zone", "paused"])


@migrations()
def subscriptions_per_dossier(db: Database) -> None:
    # Before, a channel had one subscription per kind, about the dossier the store briefed
    # on (the one imported last): each existing row keeps that dossier, and its id, so
    # its delivery keys, and the exactly-once record behind them, stay as they were.
    db.table("subscriptions").add_column("dossier", str)
    made_under = ""
    if db.table("meta").exists():
        rows = list(db.query("SELECT value FROM meta WHERE key = 'active_dossier'"))
        made_under = str(rows[0]["value"]) if rows else ""
    db.execute("UPDATE subscriptions SET dossier = ? WHERE dossier IS NULL", [made_under])
    db.table("subscriptions").create_index(
        ["platform", "workspace", "channel", "kind", "dossier"], unique=True
    )
    db.table("channel_dossiers").create(
        {
            "platform": str,
            "workspace": str,
            "channel": str,
            "dossier": str,
            "set_by": str,
            "set_at": str,
        },
        pk=("platform", "workspace", "channel"),
    )


@migrations()
def alerts_from_a_revision(db: Database) -> None:
    # Alerts (and `passed` reminders' outcome posts) go out for store revisions after the
    # one a subscription started at: none for what happened before it.
    db.table("subscriptions").add_column("since_revision", int)
    current = 0
    if db.table("meta").exists():
        rows = list(db.query("SELECT value FROM meta WHERE key = 'revision'"))
        current = int(rows[0]["value"]) if rows else 0
    db.execute("UPDATE subscriptions SET since_revision = ?", [current])
    db.table("subscriptions").create_index(["kind", "dossier", "paused"])


@dataclass(frozen=True)
class Subscription:
    id: str
    platform: str
    workspace: str
    channel: str
    kind: str
    at: time
    zone: str
    offsets: tuple[int, ...]
    include_passed: bool
    with_chart: bool
    created_by: str
    created_at: datetime
    paused: bool = False
    paused_reason: str | None = None
    dossier: str = ""
    since_revision: int = 0  # alerts: for store revisions after this one


def subscription_id(platform: str, workspace: str, channel: str, kind: str, dossier: str) -> str:
    """The stable id of a new subscription (its delivery keys start with it)."""
    return f"{platform}:{workspace}:{channel}:{kind}:{dossier}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _row_to_subscription(row: dict[str, Any]) -> Subscription:
    return Subscription(
        id=row["id"],
        platform=row["platform"],
        workspace=row["workspace"],
        channel=row["channel"],
        kind=row["kind"],
        at=time.fromisoformat(row["at"]),
        zone=row["zone"],
        offsets=tuple(json.loads(row["offsets"] or "[]")),
        include_passed=bool(row["include_passed"]),
        with_chart=bool(row["with_chart"]),
        created_by=row["created_by"] or "",
        created_at=datetime.fromisoformat(row["created_at"]),
        paused=bool(row["paused"]),
        paused_reason=row["paused_reason"],
        dossier=row.get("dossier") or "",
        since_revision=int(row.get("since_revision") or 0),
    )


class Subscriptions:
    """The subscriptions table.

    >>> from sqlite_utils import Database
    >>> subs = Subscriptions(Database(memory=True))
    >>> sub, created = subs.upsert("console", "console", "console", "digest", by="me",
    ...                            zone="UTC", dossier="some-2020")
    >>> created, sub.at.isoformat()
    (True, '08:00:00')
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        apply_migrations(migrations, db)

    def upsert(
        self,
        platform: str,
        workspace: str,
        channel: str,
        kind: str,
        *,
        dossier: str,
        by: str,
        zone: str | None,
        default_zone: str = "UTC",
        at: time | None = None,
        offsets: tuple[int, ...] | None = None,
        include_passed: bool = False,
        with_chart: bool = False,
        revision: int = 0,
    ) -> tuple[Subscription, bool]:
        """Subscribe a channel, or update (and resume) its existing subscription: a time,
        zone or offsets left out keep their earlier values; `chart` and `passed` are on
        only when asked for again. `revision` is the store's now: a new (or resumed)
        subscription is alerted of changes after it, never of a backlog."""
        existing = self.find(platform, workspace, channel, kind, dossier)
        sub_id = (
            existing.id
            if existing
            else subscription_id(platform, workspace, channel, kind, dossier)
        )
        default_at = DEFAULT_DIGEST_TIME if kind == "digest" else DEFAULT_REMINDER_TIME
        now = _now()
        row = {
            "id": sub_id,
            "platform": platform,
            "workspace": workspace,
            "channel": channel,
            "kind": kind,
            "at": (at or (existing.at if existing else default_at)).isoformat(),
            "zone": zone or (existing.zone if existing else default_zone),
            "offsets": json.dumps(
                list(offsets or (existing.offsets if existing else DEFAULT_OFFSETS))
            ),
            "include_passed": int(include_passed),
            "with_chart": int(with_chart),
            "created_by": existing.created_by if existing else by,
            "created_at": existing.created_at.isoformat() if existing else now,
            "updated_at": now,
            "paused": 0,
            "paused_reason": None,
            "paused_at": None,
            "dossier": dossier,
            "since_revision": existing.since_revision
            if existing is not None and not existing.paused
            else revision,
        }
        self.db.table("subscriptions").upsert(row, pk="id")
        return _row_to_subscription(row), existing is None

    def remove(
        self,
        platform: str,
        workspace: str,
        channel: str,
        kinds: tuple[str, ...],
        dossier: str | None = None,
    ) -> list[Subscription]:
        """Stop the channel's subscriptions of those kinds: to `dossier`, or to every one."""
        removed = [
            sub
            for sub in self.for_channel(platform, workspace, channel)
            if sub.kind in kinds and (dossier is None or sub.dossier == dossier)
        ]
        for sub in removed:
            self.db.execute("DELETE FROM subscriptions WHERE id = ?", [sub.id])
        return removed

    def find(
        self, platform: str, workspace: str, channel: str, kind: str, dossier: str
    ) -> Subscription | None:
        rows = list(
            self.db.query(
                "SELECT * FROM subscriptions WHERE platform = ? AND workspace = ?"
                " AND channel = ? AND kind = ? AND dossier = ?",
                [platform, workspace, channel, kind, dossier],
            )
        )
        return _row_to_subscription(rows[0]) if rows else None

    def alerted(self, dossier: str, revision: int, *, outcome: bool) -> list[Subscription]:
        """The live subscriptions told of store revision `revision` of `dossier`: its
        alerts, and for a new outcome, the reminders that asked for `passed`."""
        passed = " OR (kind = 'reminders' AND include_passed = 1)" if outcome else ""
        rows = self.db.query(
            f"SELECT * FROM subscriptions WHERE dossier = ? AND paused = 0 AND (kind = 'alerts'"
            f"{passed}) AND since_revision < ? ORDER BY id",
            [dossier, revision],
        )
        return [_row_to_subscription(row) for row in rows]

    def for_dossier(self, dossier: str) -> list[Subscription]:
        rows = self.db.query("SELECT * FROM subscriptions WHERE dossier = ? ORDER BY id", [dossier])
        return [_row_to_subscription(row) for row in rows]

    def remove_dossier(self, dossier: str) -> int:
        """Drop every subscription to a dossier and every channel's follow of it."""
        cursor = self.db.execute("DELETE FROM subscriptions WHERE dossier = ?", [dossier])
        self.db.execute("DELETE FROM channel_dossiers WHERE dossier = ?", [dossier])
        return int(cursor.rowcount)

    # -- the dossier each channel follows -------------------------------------------------

    def follow(self, platform: str, workspace: str, channel: str, dossier: str, by: str) -> None:
        self.db.table("channel_dossiers").upsert(
            {
                "platform": platform,
                "workspace": workspace,
                "channel": channel,
                "dossier": dossier,
                "set_by": by,
                "set_at": _now(),
            },
            pk=("platform", "workspace", "channel"),
        )

    def followed(self, platform: str, workspace: str, channel: str) -> str | None:
        rows = list(
            self.db.query(
                "SELECT dossier FROM channel_dossiers WHERE platform = ? AND workspace = ?"
                " AND channel = ?",
                [platform, workspace, channel],
            )
        )
        return str(rows[0]["dossier"]) if rows else None

    def get(self, sub_id: str) -> Subscription | None:
        rows = list(self.db.query("SELECT * FROM subscriptions WHERE id = ?", [sub_id]))
        return _row_to_subscription(rows[0]) if rows else None

    def for_channel(self, platform: str, workspace: str, channel: str) -> list[Subscription]:
        rows = self.db.query(
            "SELECT * FROM subscriptions WHERE platform = ? AND workspace = ? AND channel = ?"
            " ORDER BY kind, dossier",
            [platform, workspace, channel],
        )
        return [_row_to_subscription(row) for row in rows]

    def all(self) -> list[Subscription]:
        rows = self.db.query("SELECT * FROM subscriptions ORDER BY platform, workspace, channel")
        return [_row_to_subscription(row) for row in rows]

    def active(self) -> list[Subscription]:
        rows = self.db.query("SELECT * FROM subscriptions WHERE paused = 0 ORDER BY id")
        return [_row_to_subscription(row) for row in rows]

    def in_slot(self, kind: str, at: time, zone: str) -> list[Subscription]:
        """The active subscriptions that fire together at `at` in `zone`."""
        rows = self.db.query(
            "SELECT * FROM subscriptions WHERE kind = ? AND at = ? AND zone = ? AND paused = 0"
            " ORDER BY id",
            [kind, at.isoformat(), zone],
        )
        return [_row_to_subscription(row) for row in rows]

    def slot_representatives(self) -> list[Subscription]:
        """One active subscription of each (kind, time, zone) slot (alerts have none)."""
        rows = self.db.query(
            "SELECT * FROM subscriptions WHERE id IN (SELECT min(id) FROM subscriptions"
            " WHERE paused = 0 AND kind != 'alerts' GROUP BY kind, at, zone) ORDER BY id"
        )
        return [_row_to_subscription(row) for row in rows]

    def pause_workspace(self, platform: str, workspace: str, reason: str) -> int:
        """Pause every live subscription of a workspace (an uninstall); how many."""
        cursor = self.db.execute(
            "UPDATE subscriptions SET paused = 1, paused_reason = ?, paused_at = ?"
            " WHERE platform = ? AND workspace = ? AND paused = 0",
            [reason, _now(), platform, workspace],
        )
        return int(cursor.rowcount)

    def pause(self, sub_id: str, reason: str) -> None:
        self.db.execute(
            "UPDATE subscriptions SET paused = 1, paused_reason = ?, paused_at = ? WHERE id = ?",
            [reason, _now(), sub_id],
        )
