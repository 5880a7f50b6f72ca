"""Dossier items in their curated-file form, and the live dossier read back from the store.

A record is exactly what the curated YAML holds for an item (dates as `YYYY-MM-DD`,
optional keys left out), so the same dict feeds the file's validation, the export, the
import diff and the before/after of every revision.

    >>> record(Source("crs", "A report", url="https://example.org"))
    {'id': 'crs', 'title': 'A report', 'url': 'https://example.org'}
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from briefings.database import Database
from briefings.model import (
    Deadline,
    Dossier,
    DossierInfo,
    Event,
    OutcomeUpdate,
    RelativeDue,
    Source,
)

Record = dict[str, Any]
Item = Source | Event | Deadline
# The kinds of item a revision names, as history and the log show them.
KINDS = ("dossier", "source", "event", "deadline")


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _drop_empty(fields: Record) -> Record:
    return {k: v for k, v in fields.items() if v is not None and v != [] and v != ""}


def record(item: Item | DossierInfo | OutcomeUpdate) -> Record:
    """The curated-file mapping for one item."""
    if isinstance(item, Source):
        return _drop_empty(
            {
                "id": item.id,
                "title": item.title,
                "publisher": item.publisher,
                "author": item.author,
                "published": _day(item.published),
                "url": item.url,
            }
        )
    if isinstance(item, Event):
        return _drop_empty(
            {
                "id": item.id,
                "date": item.date.isoformat(),
                "precision": item.precision if item.precision != "day" else None,
                "title": item.title,
                "summary": item.summary,
                "quote": item.quote,
                "tags": list(item.tags),
                "sources": list(item.sources),
            }
        )
    if isinstance(item, OutcomeUpdate):
        return {
            "date": item.date.isoformat(),
            "status": item.status,
            "note": item.note,
            "sources": list(item.sources),
        }
    if isinstance(item, Deadline):
        return _drop_empty(
            {
                "slug": item.slug,
                "title": item.title,
                "due": _due(item.due),
                "basis": item.basis,
                "summary": item.summary,
                "quote": item.quote,
                "sources": list(item.sources),
                "outcome": [record(u) for u in item.outcome],
            }
        )
    return _drop_empty(
        {
            "slug": item.slug,
            "title": item.title,
            "signed": item.signed.isoformat(),
            "place": item.place,
            "parties": list(item.parties),
            "summary": item.summary,
        }
    )


def _due(due: date | RelativeDue) -> str | Record:
    if isinstance(due, date):
        return due.isoformat()
    rule: Record = {"after": due.after}
    if due.days or not due.months:
        rule["days"] = due.days
    if due.months:
        rule["months"] = due.months
    return rule


def item_key(item: Item) -> tuple[str, str]:
    """(kind, id) of an item: deadlines go by slug."""
    if isinstance(item, Source):
        return "source", item.id
    if isinstance(item, Event):
        return "event", item.id
    return "deadline", item.slug


def records(dossier: Dossier) -> dict[tuple[str, str], Record]:
    """Every item of a dossier by (kind, id), the dossier's own line included."""
    found: dict[tuple[str, str], Record] = {("dossier", dossier.info.slug): record(dossier.info)}
    items: tuple[Item, ...] = (*dossier.sources, *dossier.events, *dossier.deadlines)
    for item in items:
        found[item_key(item)] = record(item)
    return found


def curated_file(dossier: Dossier) -> Record:
    """The whole dossier as the curated file's mapping (what `store export` writes)."""
    return {
        "dossier": record(dossier.info),
        "sources": [record(s) for s in dossier.sources],
        "events": [record(e) for e in dossier.events],
        "deadlines": [record(d) for d in dossier.deadlines],
    }


def _ids(value: str | None) -> tuple[str, ...]:
    return tuple(json.loads(value)) if value else ()


def dossier_slugs(db: Database) -> list[str]:
    return [row["slug"] for row in db.query("SELECT slug FROM dossiers ORDER BY slug")]


def live_dossier(db: Database, slug: str) -> Dossier | None:
    """Everything stored under a slug, as of no day at all: the latest state."""
    rows = list(db.query("SELECT * FROM dossiers WHERE slug = ?", [slug]))
    if not rows:
        return None
    row = rows[0]
    info = DossierInfo(
        row["slug"],
        row["title"],
        date.fromisoformat(row["signed"]),
        tuple(json.loads(row["parties"])),
        row["summary"] or "",
        row["place"],
    )
    sources = tuple(
        Source(
            r["id"],
            r["title"],
            r["publisher"],
            r["author"],
            date.fromisoformat(r["published"]) if r["published"] else None,
            r["url"],
        )
        for r in db.query("SELECT * FROM sources WHERE dossier = ? ORDER BY id", [slug])
    )
    events = tuple(
        Event(
            id=r["id"],
            date=date.fromisoformat(r["date"]),
            title=r["title"],
            sources=_ids(r["sources"]),
            summary=r["summary"],
            quote=r["quote"],
            tags=_ids(r["tags"]),
            precision=r["precision"] or "day",
        )
        for r in db.query("SELECT * FROM events WHERE dossier = ? ORDER BY date, id", [slug])
    )
    outcomes: dict[str, list[OutcomeUpdate]] = {}
    for r in db.query("SELECT * FROM outcomes WHERE dossier = ? ORDER BY slug, seq", [slug]):
        outcomes.setdefault(r["slug"], []).append(
            OutcomeUpdate(date.fromisoformat(r["date"]), r["status"], r["note"], _ids(r["sources"]))
        )
    deadlines = tuple(
        Deadline(
            slug=r["slug"],
            title=r["title"],
            due=RelativeDue(**json.loads(r["due_rule"]))
            if r["due_rule"]
            else date.fromisoformat(r["due"]),
            sources=_ids(r["sources"]),
            basis=r["basis"],
            summary=r["summary"],
            quote=r["quote"],
            outcome=tuple(outcomes.get(r["slug"], ())),
        )
        for r in db.query("SELECT * FROM deadlines WHERE dossier = ? ORDER BY position", [slug])
    )
    return Dossier(info, sources, events, deadlines)
