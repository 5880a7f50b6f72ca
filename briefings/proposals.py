"""Proposed changes waiting for a second curator (ACCORD_REVIEW=required).

A proposal keeps the whole change as its author gave it, the item as it was then
(`before`, to refuse an approval over a newer version) and as it would be (`after`, to
show before → after), and where its review message was posted. Its status goes from
`open` to `approved`, `rejected` or `stale` exactly once: `decide` only changes an open
proposal, so two approvals racing (in one process or several) decide it once.

    >>> from sqlite_utils import Database
    >>> from briefings.revisions import Author
    >>> proposals = Proposals(Database(memory=True))
    >>> ana = Author("slack", "U1", "Ana")
    >>> p = proposals.create(Draft("event", "accord-2020", ana, {"title": "Talks"}, None,
    ...     None, "event", "x", None, {"id": "x", "title": "Talks"}, Origin("slack", "T", "C")))
    >>> p.number, p.status
    (1, 'open')
    >>> proposals.decide(1, "approved", Author("slack", "U2", "Bo"), revision=7)
    True
    >>> proposals.decide(1, "rejected", Author("slack", "U3", "Cy"), reason="late")
    False
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Migrations

from briefings.database import Database, apply_migrations
from briefings.records import Record
from briefings.revisions import Author

migrations = Migrations("accord-proposals")
OPEN = "open"
DECIDED = ("approved", "rejected", "stale")


@migrations()
def create_proposals(db: Database) -> None:
    db.table("proposals").create(
        {
            "number": int,
            "dossier": str,
            "action": str,
            "target": str,
            "fields": str,
            "reason": str,
            "kind": str,
            "item": str,
            "before": str,
            "after": str,
            "author_platform": str,
            "author_id": str,
            "author_name": str,
            "origin_platform": str,
            "origin_workspace": str,
            "origin_channel": str,
            "created_at": str,
            "status": str,
            "decider_platform": str,
            "decider_id": str,
            "decider_name": str,
            "decided_at": str,
            "decision_reason": str,
            "revision": int,
            "posted": str,
        },
        pk="number",
    )
    db.table("proposals").create_index(["status", "number"])


@dataclass(frozen=True)
class Origin:
    """Where a change was proposed: its review message goes to that platform."""

    platform: str
    workspace: str
    channel: str


@dataclass(frozen=True)
class Draft:
    """A change checked by every rule and not yet stored."""

    action: str
    dossier: str
    author: Author
    fields: Mapping[str, Any]
    target: str | None
    reason: str | None
    kind: str
    item: str
    before: Record | None
    after: Record | None
    origin: Origin


@dataclass(frozen=True)
class Proposal:
    number: int
    draft: Draft
    created_at: datetime
    status: str = OPEN
    decider: Author | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None
    revision: int | None = None
    # Where its review message is: (platform, channel, message id or ts).
    posted: tuple[str, str, str] | None = None

    @property
    def is_open(self) -> bool:
        return self.status == OPEN


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _json(value: object) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _loads(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def _author(row: Mapping[str, Any], prefix: str) -> Author | None:
    if not row.get(f"{prefix}_id"):
        return None
    return Author(row[f"{prefix}_platform"], row[f"{prefix}_id"], row[f"{prefix}_name"] or "")


def _proposal(row: Mapping[str, Any]) -> Proposal:
    author = _author(row, "author")
    assert author is not None
    draft = Draft(
        action=row["action"],
        dossier=row["dossier"],
        author=author,
        fields=_loads(row["fields"]) or {},
        target=row["target"],
        reason=row["reason"],
        kind=row["kind"],
        item=row["item"],
        before=_loads(row["before"]),
        after=_loads(row["after"]),
        origin=Origin(row["origin_platform"], row["origin_workspace"], row["origin_channel"]),
    )
    posted = _loads(row["posted"])
    return Proposal(
        number=int(row["number"]),
        draft=draft,
        created_at=datetime.fromisoformat(row["created_at"]),
        status=row["status"],
        decider=_author(row, "decider"),
        decided_at=datetime.fromisoformat(row["decided_at"]) if row["decided_at"] else None,
        decision_reason=row["decision_reason"],
        revision=row["revision"],
        posted=tuple(posted) if posted else None,
    )


class Proposals:
    """The proposals table (both backends)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        apply_migrations(migrations, db)

    def create(self, draft: Draft) -> Proposal:
        """Store a new open proposal under the next number."""
        row = {
            "dossier": draft.dossier,
            "action": draft.action,
            "target": draft.target,
            "fields": _json(dict(draft.fields)),
            "reason": draft.reason,
            "kind": draft.kind,
            "item": draft.item,
            "before": _json(draft.before),
            "after": _json(draft.after),
            "author_platform": draft.author.platform,
            "author_id": draft.author.user_id,
            "author_name": draft.author.name,
            "origin_platform": draft.origin.platform,
            "origin_workspace": draft.origin.workspace,
            "origin_channel": draft.origin.channel,
            "created_at": _now(),
            "status": OPEN,
        }
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        for _ in range(20):
            # The next number, taken in the insert itself: two processes proposing at the
            # same moment collide on the key, and the one that lost takes the next.
            # (`WHERE true` lets SQLite tell the upsert clause from a join.)
            cursor = self.db.execute(
                f"INSERT INTO proposals (number, {columns}) SELECT coalesce(max(number), 0) + 1,"
                f" {marks} FROM proposals WHERE true ON CONFLICT (number) DO NOTHING",
                list(row.values()),
            )
            if cursor.rowcount == 1:
                break
        else:
            raise RuntimeError("could not number a new proposal")
        number = next(iter(self.db.query("SELECT max(number) AS n FROM proposals")))["n"]
        found = self.get(int(number))
        assert found is not None
        return found

    def get(self, number: int) -> Proposal | None:
        rows = list(self.db.query("SELECT * FROM proposals WHERE number = ?", [number]))
        return _proposal(rows[0]) if rows else None

    def open_ones(self, dossier: str | None = None) -> list[Proposal]:
        where, params = ("AND dossier = ?", [dossier]) if dossier else ("", [])
        rows = self.db.query(
            f"SELECT * FROM proposals WHERE status = ? {where} ORDER BY number", [OPEN, *params]
        )
        return [_proposal(row) for row in rows]

    def decide(
        self,
        number: int,
        status: str,
        decider: Author,
        *,
        reason: str | None = None,
        revision: int | None = None,
    ) -> bool:
        """Close an open proposal; False when it was no longer open (decided by another)."""
        assert status in DECIDED
        cursor = self.db.execute(
            "UPDATE proposals SET status = ?, decider_platform = ?, decider_id = ?,"
            " decider_name = ?, decided_at = ?, decision_reason = ?, revision = ?"
            " WHERE number = ? AND status = ?",
            [
                status,
                decider.platform,
                decider.user_id,
                decider.name,
                _now(),
                reason,
                revision,
                number,
                OPEN,
            ],
        )
        return bool(cursor.rowcount == 1)

    def posted_at(self, number: int, platform: str, channel: str, message: str) -> None:
        """Where the proposal's review message went (to update it once decided)."""
        self.db.execute(
            "UPDATE proposals SET posted = ? WHERE number = ?",
            [_json([platform, channel, message]), number],
        )
