"""The append-only log of changes to the record: who changed which item, when, why, and
the item before and after (as its curated-file record, JSON). Rows are only ever added.

One store revision may change several items (a file import does); each changed item is
one row under that revision number.

    >>> from sqlite_utils import Database
    >>> db = Database(memory=True); migrations.apply(db)
    >>> add(db, 1, Author("console", "ana", "Ana"), "typo", "accord-2020",
    ...     [ItemChange("event", "x", {"title": "Old"}, {"title": "New"})])
    >>> [(r.revision, r.item, r.changed_fields()) for r in history(db, "accord-2020", "x")]
    [(1, 'x', [('title', 'Old', 'New')])]
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Migrations

from briefings.database import Database
from briefings.model import Dossier
from briefings.records import Record, live_dossier, records

migrations = Migrations("accord-revisions")


@migrations()
def create_revisions(db: Database) -> None:
    db.table("revisions").create(
        {
            "revision": int,
            "seq": int,
            "at": str,
            "author_platform": str,
            "author_id": str,
            "author_name": str,
            "reason": str,
            "dossier": str,
            "kind": str,
            "item": str,
            "before": str,
            "after": str,
        },
        pk=("revision", "seq"),
        not_null={"revision", "seq", "at", "author_platform", "author_id", "dossier"},
    )
    db.table("revisions").create_index(["dossier", "item", "revision"])
    db.table("revisions").create_index(["dossier", "revision"])


@migrations()
def add_approvers(db: Database) -> None:
    # Under two-person review a change names who proposed it (the author) and who
    # approved it.
    for column in ("approver_platform", "approver_id", "approver_name"):
        db.table("revisions").add_column(column, str)


@dataclass(frozen=True)
class Author:
    """Who made a change: a platform, its user id and the name shown there.

    >>> Author.file("accord-2020.yaml").label
    'file:accord-2020.yaml'
    """

    platform: str
    user_id: str
    name: str = ""

    @classmethod
    def file(cls, name: str) -> Author:
        return cls("file", name, name)

    @property
    def label(self) -> str:
        if self.platform == "file":
            return f"file:{self.user_id}"
        who = (
            f"{self.name} ({self.user_id})"
            if self.name and self.name != self.user_id
            else (self.user_id)
        )
        return f"{who} on {self.platform}"


@dataclass(frozen=True)
class ItemChange:
    """One item's state before and after a change (None: it did not exist / was removed)."""

    kind: str
    item: str
    before: Record | None
    after: Record | None

    @property
    def verb(self) -> str:
        if self.before is None:
            return "added"
        return "removed" if self.after is None else "changed"

    @property
    def what(self) -> str:
        """added, removed, outcome (an update recorded on a deadline) or corrected.

        >>> ItemChange("deadline", "d", {"outcome": []}, {"outcome": [{}]}).what
        'outcome'
        """
        if self.verb != "changed":
            return self.verb
        before, after = self.before or {}, self.after or {}
        earlier, later = before.get("outcome") or [], after.get("outcome") or []
        same_rest = {k: v for k, v in before.items() if k != "outcome"} == {
            k: v for k, v in after.items() if k != "outcome"
        }
        if self.kind == "deadline" and same_rest and len(later) == len(earlier) + 1:
            return "outcome"
        return "corrected"


@dataclass(frozen=True)
class Revision:
    """One row of the log: one item changed in one store revision."""

    revision: int
    at: datetime
    author: Author
    reason: str | None
    dossier: str
    change: ItemChange
    approver: Author | None = None

    @property
    def item(self) -> str:
        return self.change.item

    def changed_fields(self) -> list[tuple[str, Any, Any]]:
        """(field, before, after) for every field whose value differs."""
        before = self.change.before or {}
        after = self.change.after or {}
        keys = list(dict.fromkeys([*before, *after]))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


def _json(value: Record | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def add(
    db: Database,
    revision: int,
    author: Author,
    reason: str | None,
    dossier: str,
    changes: Sequence[ItemChange],
    *,
    at: datetime | None = None,
    approver: Author | None = None,
) -> None:
    """Append the rows of one revision (inside the caller's transaction); one import of
    several dossiers adds to the same revision once per dossier."""
    moment = (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    taken = db.query("SELECT max(seq) AS n FROM revisions WHERE revision = ?", [revision])
    last = next(iter(taken))["n"]
    start = 0 if last is None else int(last) + 1
    db.table("revisions").insert_all(
        {
            "revision": revision,
            "seq": seq,
            "at": moment,
            "author_platform": author.platform,
            "author_id": author.user_id,
            "author_name": author.name,
            "reason": reason,
            "dossier": dossier,
            "kind": change.kind,
            "item": change.item,
            "before": _json(change.before),
            "after": _json(change.after),
            "approver_platform": approver.platform if approver else None,
            "approver_id": approver.user_id if approver else None,
            "approver_name": approver.name if approver else None,
        }
        for seq, change in enumerate(changes, start)
    )


def _revision(row: dict[str, Any]) -> Revision:
    return Revision(
        revision=row["revision"],
        at=datetime.fromisoformat(row["at"]),
        author=Author(row["author_platform"], row["author_id"], row["author_name"] or ""),
        reason=row["reason"],
        dossier=row["dossier"],
        change=ItemChange(
            row["kind"],
            row["item"],
            json.loads(row["before"]) if row["before"] is not None else None,
            json.loads(row["after"]) if row["after"] is not None else None,
        ),
        approver=Author(row["approver_platform"], row["approver_id"], row["approver_name"] or "")
        if row.get("approver_id")
        else None,
    )


def history(db: Database, dossier: str, item: str) -> list[Revision]:
    """Every revision of one item (event id, deadline slug or source id), oldest first."""
    rows = db.query(
        "SELECT * FROM revisions WHERE dossier = ? AND item = ? ORDER BY revision, seq",
        [dossier, item],
    )
    return [_revision(row) for row in rows]


def log(db: Database, *, dossier: str | None = None, limit: int | None = None) -> list[Revision]:
    """The newest `limit` revisions (every item row of each), newest first."""
    where, params = ("WHERE dossier = ?", [dossier]) if dossier else ("", [])
    numbers = [
        row["revision"]
        for row in db.query(
            f"SELECT DISTINCT revision FROM revisions {where} ORDER BY revision DESC"
            + (" LIMIT ?" if limit else ""),
            [*params, *([limit] if limit else [])],
        )
    ]
    if not numbers:
        return []
    marks = ", ".join("?" for _ in numbers)
    rows = db.query(
        f"SELECT * FROM revisions WHERE revision IN ({marks}) {where.replace('WHERE', 'AND')} "
        "ORDER BY revision DESC, seq",
        [*numbers, *params],
    )
    return [_revision(row) for row in rows]


def _moment(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds")


def corrections(db: Database, dossier: str, start: datetime, end: datetime) -> list[Revision]:
    """Items corrected in `dossier` from `start` (included) to `end`, oldest first: changes
    to an item that was already there, other than a new outcome update of a deadline."""
    rows = db.query(
        "SELECT * FROM revisions WHERE dossier = ? AND at >= ? AND at < ?"
        " AND before IS NOT NULL AND after IS NOT NULL ORDER BY revision, seq",
        [dossier, _moment(start), _moment(end)],
    )
    return [r for r in map(_revision, rows) if r.change.what == "corrected"]


def after(db: Database, revision: int, *, limit: int = 500) -> list[Revision]:
    """The rows of the revisions after `revision`, oldest first (at most `limit`)."""
    rows = db.query(
        "SELECT * FROM revisions WHERE revision > ? ORDER BY revision, seq LIMIT ?",
        [revision, limit],
    )
    return [_revision(row) for row in rows]


def first_since(db: Database, moment: datetime) -> int:
    """The number before the first revision made at or after `moment` (the latest one
    when none was)."""
    row = next(
        iter(db.query("SELECT min(revision) AS n FROM revisions WHERE at >= ?", [_moment(moment)]))
    )
    if row["n"] is None:
        return latest_revision(db)
    return int(row["n"]) - 1


def latest_revision(db: Database) -> int:
    row = next(iter(db.query("SELECT max(revision) AS n FROM revisions")))
    return int(row["n"] or 0)


def diff(
    before: dict[tuple[str, str], Record], after: dict[tuple[str, str], Record]
) -> list[ItemChange]:
    """The items added, changed and removed between two states, in a stable order."""
    keys: Iterable[tuple[str, str]] = dict.fromkeys([*before, *after])
    return [
        ItemChange(kind, item, before.get((kind, item)), after.get((kind, item)))
        for kind, item in keys
        if before.get((kind, item)) != after.get((kind, item))
    ]


def import_changes(db: Database, dossier: Dossier) -> list[ItemChange]:
    """What loading this dossier would add, change and remove against the live one."""
    live = live_dossier(db, dossier.info.slug)
    return diff(records(live) if live is not None else {}, records(dossier))
