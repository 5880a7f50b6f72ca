"""The events store: SQLite through sqlite-utils, filled from curated dossiers.

Every read takes an as-of day and returns only what was on the record that day: an
item is known from `known_since`, the later of its own date and the first publication
of a source that reports it (a source with no known publication date counts from the
item's date). The store keeps a revision number that changes on every import.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlite_utils import Database as SQLiteDatabase
from sqlite_utils import Migrations

from briefings import revisions
from briefings.clock import InputError
from briefings.database import Database, apply_migrations, open_database
from briefings.model import (
    Deadline,
    Dossier,
    DossierInfo,
    Event,
    OutcomeUpdate,
    RelativeDue,
    Source,
)
from briefings.records import live_dossier, records

DOSSIERS_DIR = "dossiers"
# The default dossier's file name is data (dossiers/SHIPPED), not code: the engine names
# no agreement.
DEFAULT_FILE = "SHIPPED"

migrations = Migrations("accord-store")
IMPORT_LOCK = 7_317_002  # PostgreSQL advisory lock key for imports
REVISION_SECONDS = 0.5


@migrations()
def create_schema(db: Database) -> None:
    db.table("meta").create({"key": str, "value": str}, pk="key")
    db.table("dossiers").create(
        {
            "slug": str,
            "title": str,
            "signed": str,
            "parties": str,
            "summary": str,
            "imported_revision": int,
        },
        pk="slug",
    )
    db.table("sources").create(
        {
            "dossier": str,
            "id": str,
            "title": str,
            "publisher": str,
            "author": str,
            "published": str,
            "url": str,
        },
        pk=("dossier", "id"),
    )
    db.table("events").create(
        {
            "dossier": str,
            "id": str,
            "date": str,
            "known_since": str,
            "title": str,
            "summary": str,
            "quote": str,
            "tags": str,
            "sources": str,
            "precision": str,
        },
        pk=("dossier", "id"),
    )
    db.table("deadlines").create(
        {
            "dossier": str,
            "slug": str,
            "position": int,
            "title": str,
            "due": str,
            "due_rule": str,
            "known_since": str,
            "basis": str,
            "summary": str,
            "quote": str,
            "sources": str,
        },
        pk=("dossier", "slug"),
    )
    db.table("outcomes").create(
        {
            "dossier": str,
            "slug": str,
            "seq": int,
            "date": str,
            "known_since": str,
            "status": str,
            "note": str,
            "sources": str,
        },
        pk=("dossier", "slug", "seq"),
    )
    # The as-of queries: by when an item became known, and by its own date.
    db.table("events").create_index(["dossier", "known_since"])
    db.table("events").create_index(["dossier", "date"])
    db.table("outcomes").create_index(["dossier", "known_since"])


@migrations()
def index_events_by_known_since_and_date(db: Database) -> None:
    # The digest's "known on this day, in date order" and the timeline's count read
    # this index alone, without touching the rows.
    db.execute("DROP INDEX IF EXISTS idx_events_dossier_known_since")
    db.table("events").create_index(["dossier", "known_since", "date", "id"])


@migrations()
def add_dossier_place(db: Database) -> None:
    db.table("dossiers").add_column("place", str)


@migrations()
def create_command_syncs(db: Database) -> None:
    # Which chat command set (by hash) was last synced to each scope, so a start that
    # changed nothing does not sync again. Older versions made it on first use.
    if not db["discord_sync"].exists():
        db.table("discord_sync").create({"scope": str, "digest": str, "synced_at": str}, pk="scope")


class StaleRevision(Exception):
    """Another writer changed the store between a change's check and its write."""

    def __init__(self, expected: int, found: int) -> None:
        super().__init__(f"store revision is {found}, not {expected}")


@dataclass(frozen=True)
class ResolvedDeadline:
    """A deadline with its due date computed and the day it entered the record."""

    deadline: Deadline
    due: date
    known_since: date


@dataclass(frozen=True)
class DossierSummary:
    """One line of `store list` and `/accord dossiers`."""

    slug: str
    title: str
    signed: date
    events: int
    deadlines: int
    revision: int


@dataclass(frozen=True)
class Removed:
    """What went with a removed dossier."""

    slug: str
    events: int
    deadlines: int
    revision: int


class UnknownDossier(InputError):
    """A dossier slug the store does not hold; the message lists those it does."""

    def __init__(self, slug: str, known: Sequence[str]) -> None:
        there = ", ".join(known) if known else "none (run `accord-bot store import FILE`)"
        shown = slug if len(slug) <= 40 else slug[:37] + "…"
        super().__init__(f"no dossier {shown!r} in the store; the dossiers are: {there}")
        self.slug = slug


# The shipped dossiers a store has been given once (meta key, a JSON list of slugs).
SHIPPED_OFFERED = "shipped_offered"


def _shipped_dir() -> Path:
    return Path(str(resources.files("briefings") / DOSSIERS_DIR))


def default_dossier_slug() -> str:
    """The dossier a channel that follows none is briefed on, unless ACCORD_DOSSIER says
    otherwise: the one whose file the shipped dossiers' SHIPPED names."""
    name = (_shipped_dir() / DEFAULT_FILE).read_text(encoding="utf-8").strip()
    return name.removesuffix(".yaml")


def shipped_dossier_paths() -> list[Path]:
    """Every dossier that ships inside the package (a copy of config/dossiers/), the
    default one last so that an unconfigured store briefs on it."""
    default = default_dossier_slug()
    paths = sorted(_shipped_dir().glob("*.yaml"))
    return sorted(paths, key=lambda p: p.stem == default)


def shipped_dossier_path() -> Path:
    """The default shipped dossier's file."""
    return _shipped_dir() / f"{default_dossier_slug()}.yaml"


def resolve_due_dates(dossier: Dossier) -> dict[str, date]:
    """Due date per deadline slug; relative ones count from an event or another deadline.

    >>> from briefings.curation import load_dossier
    >>> dues = resolve_due_dates(load_dossier(shipped_dossier_path()))
    >>> min(dues.values()) > load_dossier(shipped_dossier_path()).info.signed
    True
    """
    rules = {d.slug: d.due for d in dossier.deadlines}
    anchors = {due.after for due in rules.values() if isinstance(due, RelativeDue)}
    event_dates = {event.id: event.date for event in dossier.events if event.id in anchors}
    resolved: dict[str, date] = {}

    def resolve(slug: str, depth: int = 0) -> date:
        if slug in resolved:
            return resolved[slug]
        due = rules[slug]
        if isinstance(due, date):
            resolved[slug] = due
            return due
        if depth > len(rules):
            raise ValueError(f"deadline {slug}: relative due dates form a cycle")
        anchor = event_dates.get(due.after) or resolve(due.after, depth + 1)
        resolved[slug] = anchor + relativedelta(days=due.days, months=due.months)
        return resolved[slug]

    for slug in rules:
        resolve(slug)
    return resolved


def known_since(item_date: date, source_ids: Iterable[str], sources: dict[str, Source]) -> date:
    """The day an item entered the record: its date, or its first report if that is later."""
    reported = [sources[s].published or item_date for s in source_ids if s in sources]
    return max(item_date, min(reported, default=item_date))


def deadlines_known_since(dossier: Dossier, sources: dict[str, Source]) -> dict[str, date]:
    """The day each deadline entered the record, per slug.

    A deadline is known from the signing (or its first report, if later); one counted from
    an event or another deadline is not known before its anchor is, since its due date
    would give the anchor's date away.
    """
    rules = {d.slug: d for d in dossier.deadlines}
    anchors = {d.due.after for d in dossier.deadlines if isinstance(d.due, RelativeDue)}
    events = {
        e.id: known_since(e.date, e.sources, sources) for e in dossier.events if e.id in anchors
    }
    known: dict[str, date] = {}

    def resolve(slug: str, depth: int = 0) -> date:
        if slug in known:
            return known[slug]
        deadline = rules[slug]
        day = known_since(dossier.info.signed, deadline.sources, sources)
        if isinstance(deadline.due, RelativeDue):
            if depth > len(rules):
                raise ValueError(f"deadline {slug}: relative due dates form a cycle")
            anchor = events.get(deadline.due.after) or resolve(deadline.due.after, depth + 1)
            day = max(day, anchor)
        known[slug] = day
        return day

    for slug in rules:
        resolve(slug)
    return known


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _ids(value: str | None) -> tuple[str, ...]:
    return tuple(json.loads(value)) if value else ()


class Store:
    """The SQLite store at one path.

    >>> from briefings.curation import load_dossier
    >>> store = Store.open(":memory:")
    >>> store.info().slug == default_dossier_slug()
    True
    """

    def __init__(self, db: Database, dossier: str | None = None) -> None:
        self.db = db
        self._dossier = dossier
        # On PostgreSQL the revision is a network round trip: it is read again at most
        # every REVISION_SECONDS, so an import by another process is seen within that.
        self._revision_ttl = 0.0 if isinstance(db, SQLiteDatabase) else REVISION_SECONDS
        self._revision = (0, 0.0)  # (value, read until)

    def view(self, slug: str | None) -> Store:
        """The same store briefing on dossier `slug` (None: the store's default);
        UnknownDossier when it holds no such dossier.

        >>> store = Store.open(":memory:")
        >>> [store.view(slug).info().slug for slug in store.slugs()] == store.slugs()
        True
        """
        if slug is None or slug == self._dossier:
            return self
        if not self.has(slug):
            raise UnknownDossier(slug, self.slugs())
        return Store(self.db, slug)

    def default_view(self, configured: str | None = None) -> Store:
        """The view a channel that follows no dossier gets: `configured` (ACCORD_DOSSIER)
        when given, else the shipped default when the store holds it, else the dossier
        imported last."""
        if configured:
            return self.view(configured)
        shipped = default_dossier_slug()
        return self.view(shipped) if self.has(shipped) else self

    def has(self, slug: str) -> bool:
        return bool(list(self.db.query("SELECT 1 AS one FROM dossiers WHERE slug = ?", [slug])))

    def slugs(self) -> list[str]:
        return [row["slug"] for row in self.db.query("SELECT slug FROM dossiers ORDER BY slug")]

    def dossiers(self) -> list[DossierSummary]:
        """Every dossier in the store, by slug, with its counts and import revision."""
        rows = self.db.query(
            "SELECT d.slug, d.title, d.signed, d.imported_revision,"
            " (SELECT count(*) FROM events e WHERE e.dossier = d.slug) AS events,"
            " (SELECT count(*) FROM deadlines l WHERE l.dossier = d.slug) AS deadlines"
            " FROM dossiers d ORDER BY d.slug"
        )
        return [
            DossierSummary(
                r["slug"],
                r["title"],
                date.fromisoformat(r["signed"]),
                int(r["events"]),
                int(r["deadlines"]),
                int(r["imported_revision"] or 0),
            )
            for r in rows
        ]

    @classmethod
    def open(cls, path: Path | str, *, seed: bool = True) -> Store:
        """Open (creating if needed) the store; fill an empty one from the shipped dossier."""
        db = open_database(path)
        apply_migrations(migrations, db)
        apply_migrations(revisions.migrations, db)
        store = cls(db)
        if seed:
            store._seed()
        return store

    def _seed(self) -> None:
        """Fill an empty store with the shipped dossiers. A store filled by an earlier
        version gets the dossiers shipped since, once: each shipped slug is offered one
        time (SHIPPED_OFFERED), so one removed with `store remove` stays removed. A store
        holding none of the shipped dossiers (made with its own) is left alone."""
        shipped = {p.stem: p for p in shipped_dossier_paths()}
        offered = set(json.loads(self._meta(SHIPPED_OFFERED) or "[]"))
        if set(shipped) <= offered:
            return
        empty = self.revision() == 0
        held = set(self.slugs())
        if not empty and not (held & set(shipped)):
            return
        wanted = [p for slug, p in shipped.items() if slug not in offered | held]
        if wanted:
            from briefings.curation import load_dossier  # YAML only when seeding

            self.import_dossiers(
                [load_dossier(p) for p in wanted],
                files=[p.name for p in wanted],
                unless_seeded=empty,
                activate=empty,  # a dossier shipped since does not change the default
            )
        with self.db.atomic():
            self._set_meta(SHIPPED_OFFERED, json.dumps(sorted(offered | set(shipped))))

    def close(self) -> None:
        self.db.close()

    # -- writing -------------------------------------------------------------------------

    def import_dossiers(
        self,
        dossiers: Sequence[Dossier],
        *,
        files: Sequence[str] | None = None,
        unless_seeded: bool = False,
        activate: bool = True,
    ) -> int:
        """Make each dossier's content the live one, in one transaction, recorded as one
        revision (author `file:NAME`) of exactly the items that differ; return the store
        revision, which stays the same when nothing differs.

        `unless_seeded`: only into an empty store (another process may have just filled it).
        `activate`: the last one becomes the store's default dossier.
        """
        names = list(files) if files is not None else [f"{d.info.slug}.yaml" for d in dossiers]
        with self.db.atomic():
            self._take_turn()
            revision = self._read_revision()
            if unless_seeded and revision > 0:
                return revision
            planned = [(d, revisions.import_changes(self.db, d)) for d in dossiers]
            if any(changes for _, changes in planned):
                revision += 1
                for (dossier, changes), name in zip(planned, names, strict=True):
                    if changes:
                        self._replace(dossier, revision)
                        author = revisions.Author.file(Path(name).name)
                        revisions.add(self.db, revision, author, None, dossier.info.slug, changes)
                self._set_meta("revision", str(revision))
            if activate and dossiers and self._meta("active_dossier") != dossiers[-1].info.slug:
                self._set_meta("active_dossier", dossiers[-1].info.slug)
        self._revision = (revision, time.monotonic() + self._revision_ttl)
        return revision

    def write_change(
        self,
        dossier: Dossier,
        author: revisions.Author,
        reason: str | None,
        changes: Sequence[revisions.ItemChange],
        *,
        based_on: int | None = None,
        approver: revisions.Author | None = None,
        within: Callable[[int], None] | None = None,
    ) -> int:
        """Store a dossier's new state and the revision that explains it, all or nothing.

        `based_on` is the revision the change was checked against: if another writer came
        first, StaleRevision is raised and nothing is written. `within(revision)` runs in
        the same transaction (an approval marks its proposal there); whatever it raises
        undoes the whole write."""
        kinds = {(c.kind, c.verb) for c in changes}
        only: str | None = None
        if len(changes) == 1 and changes[0].kind == "event":
            only = f"event:{changes[0].item}"
        elif kinds == {("deadline", "changed")}:
            only = "deadline"
        with self.db.atomic():
            self._take_turn()
            current = self._read_revision()
            if based_on is not None and current != based_on:
                raise StaleRevision(based_on, current)
            revision = current + 1
            if kinds == {("source", "added")}:
                # A new source is cited by nothing yet: one row, nothing to recompute.
                source = next(s for s in dossier.sources if s.id == changes[0].item)
                _insert(self.db, "sources", _rows(Dossier(dossier.info, (source,)), "sources", {}))
            else:
                self._replace(dossier, revision, only=only)
            revisions.add(
                self.db, revision, author, reason, dossier.info.slug, changes, approver=approver
            )
            self._set_meta("revision", str(revision))
            if within is not None:
                within(revision)
        self._revision = (revision, time.monotonic() + self._revision_ttl)
        return revision

    def remove(self, slug: str, author: revisions.Author | None = None) -> Removed:
        """Delete one dossier and everything under its slug, as a new revision whose rows
        keep every item as it was (so its history ends in `removed`)."""
        if not self.has(slug):
            raise UnknownDossier(slug, self.slugs())
        summary = next(d for d in self.dossiers() if d.slug == slug)
        with self.db.atomic():
            self._take_turn()
            revision = self._read_revision() + 1
            live = live_dossier(self.db, slug)
            gone = revisions.diff(records(live), {}) if live is not None else []
            who = author or revisions.Author("command-line", "store remove")
            revisions.add(self.db, revision, who, "store remove", slug, gone)
            for table in ("sources", "events", "deadlines", "outcomes"):
                self.db.execute(f"DELETE FROM {table} WHERE dossier = ?", [slug])
            self.db.execute("DELETE FROM dossiers WHERE slug = ?", [slug])
            self._set_meta("revision", str(revision))
            if self._meta("active_dossier") == slug:
                rest = list(
                    self.db.query(
                        "SELECT slug FROM dossiers ORDER BY imported_revision DESC, slug LIMIT 1"
                    )
                )
                if rest:
                    self._set_meta("active_dossier", rest[0]["slug"])
                else:
                    self.db.execute("DELETE FROM meta WHERE key = 'active_dossier'")
        self._revision = (revision, time.monotonic() + self._revision_ttl)
        return Removed(slug, summary.events, summary.deadlines, revision)

    def _take_turn(self) -> None:
        """Writers of the record from several processes take turns (inside the caller's
        transaction). On SQLite a write comes first, so the transaction holds the writer
        lock (waiting busy_timeout for it) before it reads the revision: a transaction
        that read first could not write once another had."""
        if not isinstance(self.db, SQLiteDatabase):
            self.db.execute("SELECT pg_advisory_xact_lock(?)", [IMPORT_LOCK])
            return
        self.db.execute("UPDATE meta SET value = value WHERE key = 'revision'")

    def _replace(self, dossier: Dossier, revision: int, *, only: str | None = None) -> None:
        """Write a dossier's rows. `only="event:ID"` rewrites that event and the deadlines,
        `only="deadline"` the deadlines: a curated change touches no more than it must
        (every deadline is rewritten, as due dates and known days chain across them)."""
        slug = dossier.info.slug
        sources = {s.id: s for s in dossier.sources}
        tables: tuple[str, ...] = _ROW_TABLES
        if only is not None:
            tables = (
                ("events", "deadlines", "outcomes")
                if only.startswith("event:")
                else (
                    "deadlines",
                    "outcomes",
                )
            )
        for table in tables:
            if table == "events" and only is not None:
                event_id = only.split(":", 1)[1]
                self.db.execute("DELETE FROM events WHERE dossier = ? AND id = ?", [slug, event_id])
                one = tuple(e for e in dossier.events if e.id == event_id)
                rows = _rows(Dossier(dossier.info, events=one), table, sources)
            else:
                self.db.execute(f"DELETE FROM {table} WHERE dossier = ?", [slug])
                rows = _rows(dossier, table, sources)
            _insert(self.db, table, rows)
        if only is not None:
            self.db.execute(
                "UPDATE dossiers SET imported_revision = ? WHERE slug = ?", [revision, slug]
            )
            return
        info = dossier.info
        self.db.table("dossiers").upsert(
            {
                "slug": slug,
                "title": info.title,
                "signed": info.signed.isoformat(),
                "parties": json.dumps(list(info.parties)),
                "summary": info.summary,
                "place": info.place,
                "imported_revision": revision,
            },
            pk="slug",
        )

    def _set_meta(self, key: str, value: str) -> None:
        self.db.table("meta").upsert({"key": key, "value": value}, pk="key")

    def _meta(self, key: str) -> str | None:
        rows = list(self.db.query("SELECT value FROM meta WHERE key = ?", [key]))
        return str(rows[0]["value"]) if rows else None

    # -- reading -------------------------------------------------------------------------

    def revision(self) -> int:
        """A number that changes on every import (for caches and digests)."""
        if self._revision_ttl:
            value, until = self._revision
            now = time.monotonic()
            if now < until:
                return value
            value = self._read_revision()
            self._revision = (value, now + self._revision_ttl)
            return value
        return self._read_revision()

    def _read_revision(self) -> int:
        return int(self._meta("revision") or 0)

    def content_fingerprint(self) -> list[tuple[Any, ...]]:
        """Every row of the curated tables, for checks that content is unchanged."""
        rows: list[tuple[Any, ...]] = []
        for table in ("meta", "dossiers", "sources", "events", "deadlines", "outcomes"):
            rows.extend(
                (table, *row) for row in self.db.execute(f"SELECT * FROM {table} ORDER BY 1, 2")
            )
        return rows

    @property
    def dossier_slug(self) -> str:
        """The dossier this view briefs on: the one it was opened on, else the one
        imported last."""
        if self._dossier is not None:
            return self._dossier
        slug = self._meta("active_dossier")
        if slug is None:
            raise LookupError("the store holds no dossier; run `accord-bot store import FILE`")
        return slug

    def synced_commands(self, scope: str) -> str | None:
        """The hash of the command set last synced to `scope` (None: never)."""
        rows = list(self.db["discord_sync"].rows_where("scope = ?", [scope]))
        return str(rows[0]["digest"]) if rows else None

    def record_synced_commands(self, scope: str, digest: str, synced_at: str) -> None:
        row = {"scope": scope, "digest": digest, "synced_at": synced_at}
        self.db.table("discord_sync").upsert(row, pk="scope")

    def info(self) -> DossierInfo:
        row = next(self.db.query("SELECT * FROM dossiers WHERE slug = ?", [self.dossier_slug]))
        return DossierInfo(
            row["slug"],
            row["title"],
            date.fromisoformat(row["signed"]),
            tuple(json.loads(row["parties"])),
            row["summary"] or "",
            row["place"],
        )

    def sources(self, as_of: date) -> dict[str, Source]:
        """Every source published on or before the day (or of unknown date)."""
        rows = self.db.query(
            "SELECT * FROM sources WHERE dossier = ? AND (published IS NULL OR published <= ?)",
            [self.dossier_slug, as_of.isoformat()],
        )
        return {
            row["id"]: Source(
                row["id"],
                row["title"],
                row["publisher"],
                row["author"],
                _day(row["published"]),
                row["url"],
            )
            for row in rows
        }

    def events(
        self,
        as_of: date,
        *,
        start: date | None = None,
        end: date | None = None,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
    ) -> list[Event]:
        """Events known on `as_of`, dated within [start, end], in date order."""
        where, params = self._event_filter(as_of, start, end)
        order = "DESC" if newest_first else "ASC"
        sql = f"SELECT * FROM events WHERE {where} ORDER BY date {order}, id {order}"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return [_event(row) for row in self.db.query(sql, params)]

    def count_events(
        self, as_of: date, *, start: date | None = None, end: date | None = None
    ) -> int:
        where, params = self._event_filter(as_of, start, end)
        row = next(self.db.query(f"SELECT count(*) AS n FROM events WHERE {where}", params))
        return int(row["n"])

    def _event_filter(
        self, as_of: date, start: date | None, end: date | None
    ) -> tuple[str, list[Any]]:
        # An event is never known before its date: `date <= as_of` is implied, and stated so
        # that the (dossier, date) index bounds the scan for the newest events.
        clauses = ["dossier = ?", "known_since <= ?", "date <= ?"]
        params: list[Any] = [self.dossier_slug, as_of.isoformat(), as_of.isoformat()]
        if start is not None:
            clauses.append("date >= ?")
            params.append(start.isoformat())
        if end is not None:
            clauses.append("date <= ?")
            params.append(end.isoformat())
        return " AND ".join(clauses), params

    def events_known_on(self, day: date) -> list[Event]:
        """Events that entered the record on exactly this day (what a digest calls new)."""
        rows = self.db.query(
            "SELECT * FROM events WHERE dossier = ? AND known_since = ? ORDER BY date, id",
            [self.dossier_slug, day.isoformat()],
        )
        return [_event(row) for row in rows]

    def event(self, event_id: str, as_of: date) -> Event | None:
        rows = list(
            self.db.query(
                "SELECT * FROM events WHERE dossier = ? AND id = ? AND known_since <= ?",
                [self.dossier_slug, event_id, as_of.isoformat()],
            )
        )
        return _event(rows[0]) if rows else None

    def event_ids(self, as_of: date) -> list[str]:
        rows = self.db.query(
            "SELECT id FROM events WHERE dossier = ? AND known_since <= ? ORDER BY date, id",
            [self.dossier_slug, as_of.isoformat()],
        )
        return [row["id"] for row in rows]

    def deadlines(self, as_of: date) -> list[ResolvedDeadline]:
        """Deadlines on the record on `as_of`, each with the outcome updates known then."""
        slug = self.dossier_slug
        outcomes: dict[str, list[OutcomeUpdate]] = {}
        for row in self.db.query(
            "SELECT * FROM outcomes WHERE dossier = ? AND known_since <= ? ORDER BY slug, seq",
            [slug, as_of.isoformat()],
        ):
            outcomes.setdefault(row["slug"], []).append(
                OutcomeUpdate(
                    date.fromisoformat(row["date"]),
                    row["status"],
                    row["note"],
                    _ids(row["sources"]),
                )
            )
        rows = self.db.query(
            "SELECT * FROM deadlines WHERE dossier = ? AND known_since <= ? ORDER BY due, position",
            [slug, as_of.isoformat()],
        )
        return [_deadline(row, tuple(outcomes.get(row["slug"], ()))) for row in rows]

    def deadline_slugs(self) -> list[str]:
        rows = self.db.query(
            "SELECT slug FROM deadlines WHERE dossier = ? ORDER BY position", [self.dossier_slug]
        )
        return [row["slug"] for row in rows]


_ROW_TABLES = ("sources", "events", "deadlines", "outcomes")


def _insert(db: Database, table: str, rows: list[dict[str, Any]]) -> None:
    """Plain INSERTs of known columns: a curated change writes a few rows, and
    sqlite-utils' insert_all would spend longer inspecting them than writing them."""
    if not rows:
        return
    names = list(rows[0])
    columns = ", ".join(f'"{name}"' for name in names)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' for _ in names)})"
    values = [[row[name] for name in names] for row in rows]
    if isinstance(db, SQLiteDatabase):
        db.conn.executemany(sql, values)
    else:
        db.executemany(sql, values)


def _rows(dossier: Dossier, table: str, sources: dict[str, Source]) -> list[dict[str, Any]]:
    """The rows of one table for a dossier, computed days and due dates included."""
    slug = dossier.info.slug
    if table == "sources":
        return [
            {
                "dossier": slug,
                "id": s.id,
                "title": s.title,
                "publisher": s.publisher,
                "author": s.author,
                "published": s.published.isoformat() if s.published else None,
                "url": s.url,
            }
            for s in dossier.sources
        ]
    if table == "events":
        return [
            {
                "dossier": slug,
                "id": e.id,
                "date": e.date.isoformat(),
                "known_since": known_since(e.date, e.sources, sources).isoformat(),
                "title": e.title,
                "summary": e.summary,
                "quote": e.quote,
                "tags": json.dumps(list(e.tags)),
                "sources": json.dumps(list(e.sources)),
                "precision": e.precision,
            }
            for e in dossier.events
        ]
    if table == "deadlines":
        dues = resolve_due_dates(dossier)
        deadline_known = deadlines_known_since(dossier, sources)
        return [
            {
                "dossier": slug,
                "slug": d.slug,
                "position": position,
                "title": d.title,
                "due": dues[d.slug].isoformat(),
                "due_rule": _due_rule(d),
                "known_since": deadline_known[d.slug].isoformat(),
                "basis": d.basis,
                "summary": d.summary,
                "quote": d.quote,
                "sources": json.dumps(list(d.sources)),
            }
            for position, d in enumerate(dossier.deadlines)
        ]
    return [
        {
            "dossier": slug,
            "slug": d.slug,
            "seq": seq,
            "date": u.date.isoformat(),
            "known_since": known_since(u.date, u.sources, sources).isoformat(),
            "status": u.status,
            "note": u.note,
            "sources": json.dumps(list(u.sources)),
        }
        for d in dossier.deadlines
        for seq, u in enumerate(d.outcome)
    ]


def _due_rule(deadline: Deadline) -> str | None:
    due = deadline.due
    if isinstance(due, RelativeDue):
        return json.dumps({"after": due.after, "days": due.days, "months": due.months})
    return None


def _event(row: dict[str, Any]) -> Event:
    return Event(
        id=row["id"],
        date=date.fromisoformat(row["date"]),
        title=row["title"],
        sources=_ids(row["sources"]),
        summary=row["summary"],
        quote=row["quote"],
        tags=_ids(row["tags"]),
        precision=row["precision"] or "day",
    )


def _deadline(row: dict[str, Any], outcome: tuple[OutcomeUpdate, ...]) -> ResolvedDeadline:
    due = date.fromisoformat(row["due"])
    rule = json.loads(row["due_rule"]) if row["due_rule"] else None
    deadline = Deadline(
        slug=row["slug"],
        title=row["title"],
        due=RelativeDue(**rule) if rule else due,
        sources=_ids(row["sources"]),
        basis=row["basis"],
        summary=row["summary"],
        quote=row["quote"],
        outcome=outcome,
    )
    return ResolvedDeadline(deadline, due, date.fromisoformat(row["known_since"]))
