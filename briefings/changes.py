"""Curated changes one item at a time: record an event, an outcome update or a source,
or correct an item, checked by the curated file's own rules and stored together with
its revision in one transaction.

    >>> from briefings.store import StaleRevision, Store
    >>> store = Store.open(":memory:")
    >>> from datetime import date
    >>> slug, source = store.dossier_slug, sorted(store.sources(date.max))[0]
    >>> done = apply_change(store, Change("event", slug, Author("console", "ana"),
    ...     {"date": "2020-09-12", "title": "Talks open", "sources": source}))
    >>> done.item, done.revision
    ('2020-09-12-talks-open', 2)
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from briefings.curation import Problem, check_item, check_links
from briefings.model import Deadline, Dossier, Event, Source
from briefings.records import (
    Item,
    Record,
    dossier_slugs,
    item_key,
    live_dossier,
    record,
    records,
)
from briefings.revisions import Author, ItemChange
from briefings.store import StaleRevision, Store

ACTIONS = ("event", "outcome", "source", "correct")
# A new source given by its URL, publisher and published date instead of an id.
NEW_SOURCE = ("source_url", "source_publisher", "source_published")
FIELDS: dict[str, tuple[str, ...]] = {
    "event": (
        "date",
        "title",
        "summary",
        "sources",
        "tags",
        "precision",
        "quote",
        "id",
        *NEW_SOURCE,
    ),
    "outcome": ("date", "status", "note", "sources", *NEW_SOURCE),
    "source": ("id", "title", "publisher", "author", "published", "url"),
    "deadline": ("title", "due", "basis", "summary", "quote", "sources"),
}
LIST_FIELDS = ("sources", "tags")
MAX_ID = 64
# Ids typed in chat end up in links and messages: plain words only.
_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}", re.ASCII)
FILE = "chat"


@dataclass(frozen=True)
class Change:
    """One curated change: `action` is event, outcome, source or correct; `target` names
    the deadline (outcome) or the item (correct); `fields` are curated-file keys."""

    action: str
    dossier: str
    author: Author
    fields: Mapping[str, Any]
    target: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ChangeRejected(Exception):
    """The change breaks a rule; nothing was stored. Each problem names its field."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


@dataclass(frozen=True)
class Applied:
    revision: int
    kind: str
    item: str
    change: ItemChange

    @property
    def summary(self) -> str:
        """e.g. `event 2020-09-12-talks-open recorded as revision 42`."""
        verb = "recorded" if self.change.before is None else "corrected"
        if self.kind == "deadline" and self.change.before is not None:
            before = self.change.before.get("outcome", [])
            after = (self.change.after or {}).get("outcome", [])
            verb = "outcome recorded" if len(after) > len(before) else verb
        return f"{self.kind} {self.item} {verb} as revision {self.revision}"


def _reject(field: str, message: str) -> ChangeRejected:
    return ChangeRejected([FieldProblem(field, message)])


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by hyphens.

    >>> slugify("Talks open in Genève — at last!")
    'talks-open-in-geneve-at-last'
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def event_id(day: str, title: str, taken: set[str]) -> str:
    """An id made from an event's date and title, unique in the dossier.

    >>> event_id("2020-09-12", "Talks open", {"2020-09-12-talks-open"})
    '2020-09-12-talks-open-2'
    """
    base = f"{day}-{slugify(title)}"[:MAX_ID].rstrip("-") or day
    made, number = base, 2
    while made in taken:
        made, number = f"{base}-{number}", number + 1
    return made


def _words(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [w for w in re.split(r"[,\s]+", str(value)) if w]


def _normal(fields: Mapping[str, Any], allowed: tuple[str, ...], what: str) -> Record:
    unknown = [k for k in fields if k not in allowed]
    if unknown:
        raise ChangeRejected(
            [
                FieldProblem(k, f"{what} has no field {k!r} (fields: {', '.join(allowed)})")
                for k in unknown
            ]
        )
    clean: Record = {}
    for key, value in fields.items():
        if value is None:
            continue
        clean[key] = _words(value) if key in LIST_FIELDS else str(value).strip()
    return clean


def _problems(found: list[Problem], prefix: str = "") -> list[FieldProblem]:
    out = []
    for problem in found:
        field = problem.field
        if prefix and field.startswith(prefix):
            field = field[len(prefix) :]
        out.append(FieldProblem(field, problem.message))
    return out


def _checked(kind: str, fields: Record, dossier: Dossier, cited: Any = None) -> Any:
    """The item, or every problem: its own fields' and (since the links cannot be checked
    on an item that failed) any source it cites that the dossier lacks."""
    item, problems = check_item(kind, fields, FILE)
    if not problems:
        return item
    prefix = ""
    found = _problems(problems)
    if kind == "deadline" and cited is not None:
        prefix = f"outcome[{cited}]."
        found = [p for p in _problems(problems, prefix) if not p.field.startswith("outcome")]
        fields = fields["outcome"][cited]
    known = {s.id for s in dossier.sources}
    fielded = {p.field for p in found}
    for source_id in fields.get("sources") or []:
        if source_id not in known and "sources" not in fielded:
            found.append(FieldProblem("sources", f"unknown source {source_id!r}"))
    raise ChangeRejected(found)


class Curator:
    """Applies changes to one store, keeping the live dossier it last read or wrote so a
    change costs a few rows, not a reread of the dossier."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._live: dict[str, tuple[int, Dossier]] = {}

    def live(self, slug: str) -> Dossier | None:
        revision = self.store.revision()
        kept = self._live.get(slug)
        if kept is not None and kept[0] == revision:
            return kept[1]
        dossier = live_dossier(self.store.db, slug)
        if dossier is not None:
            self._live[slug] = (revision, dossier)
        return dossier

    def apply(
        self,
        change: Change,
        *,
        expect: Expected | None = None,
        approver: Author | None = None,
        within: Callable[[int], None] | None = None,
    ) -> Applied:
        """Check the change against the live dossier and store it with its revision.

        `expect`: the item must still be as it was when the change was proposed (else
        BaseChanged); `approver` goes in the revision; `within(revision)` runs in the
        write's transaction. Raises ChangeRejected (nothing stored) when any rule fails.
        """
        for _ in range(3):
            try:
                prepared = self._prepare(change, expect)
                revision = self.store.write_change(
                    prepared.dossier,
                    change.author,
                    change.reason,
                    [*prepared.added, prepared.change],
                    based_on=prepared.based_on,
                    approver=approver,
                    within=within,
                )
            except StaleRevision:
                continue  # another writer came first: check again against its state
            self._live[change.dossier] = (revision, prepared.dossier)
            return Applied(revision, prepared.change.kind, prepared.change.item, prepared.change)
        raise _reject("dossier", "the store is busy with other changes; try again")

    def preview(self, change: Change) -> Applied:
        """What the change would do (revision 0), checked by every rule, storing nothing."""
        prepared = self._prepare(change, None)
        return Applied(0, prepared.change.kind, prepared.change.item, prepared.change)

    def _prepare(self, change: Change, expect: Expected | None) -> _Prepared:
        based_on = self.store.revision()
        dossier = self.live(change.dossier)
        if dossier is None:
            known = ", ".join(dossier_slugs(self.store.db)) or "none"
            raise _reject("dossier", f"no dossier {change.dossier!r} (dossiers: {known})")
        if change.action not in ACTIONS:
            raise _reject("action", f"unknown change {change.action!r} ({', '.join(ACTIONS)})")
        if expect is not None:
            now = records(dossier).get((expect.kind, expect.item))
            if now != expect.before:
                raise BaseChanged(expect, now)
        updated, prefix, old, new = _updated(dossier, change)
        # Links are checked for the item changed; the rest were checked when stored.
        changed = [new] if isinstance(new, Event) else []
        problems = check_links(updated, FILE, events=changed)
        if problems:
            raise ChangeRejected(_problems(problems, prefix))
        kind, item_id = item_key(new)
        before = record(old) if old is not None else None
        after = record(new)
        if before == after:
            raise _reject("fields", "nothing to change: the values given are the current ones")
        had = {s.id for s in dossier.sources}
        # A source the form gave by its URL goes in the same revision, before its citer.
        added = tuple(
            ItemChange("source", s.id, None, record(s))
            for s in updated.sources
            if s.id not in had and kind != "source"
        )
        return _Prepared(updated, based_on, ItemChange(kind, item_id, before, after), added)


@dataclass(frozen=True)
class _Prepared:
    dossier: Dossier  # the dossier with the change made
    based_on: int  # the store revision it was checked against
    change: ItemChange
    added: tuple[ItemChange, ...]  # new sources the change brings


@dataclass(frozen=True)
class Expected:
    """An item as a proposal found it (`before` None: it did not exist yet)."""

    kind: str
    item: str
    before: Record | None


class BaseChanged(ChangeRejected):
    """The item changed since the change was proposed: it is not applied over the newer
    version."""

    def __init__(self, expected: Expected, now: Record | None) -> None:
        self.expected = expected
        self.now = now
        what = "was added" if expected.before is None else "changed"
        if expected.before is not None and now is None:
            what = "was removed"
        super().__init__(
            [FieldProblem(expected.kind, f"{expected.item} {what} since this was proposed")]
        )


def apply_change(store: Store, change: Change) -> Applied:
    """One change through a fresh Curator (see Curator.apply)."""
    return Curator(store).apply(change)


def _updated(dossier: Dossier, change: Change) -> tuple[Dossier, str, Item | None, Item]:
    """The dossier with the change made, the problem prefix, the item before and after."""
    if change.action == "event":
        fields = _normal(change.fields, FIELDS["event"], "an event")
        dossier = _with_new_source(dossier, fields)
        taken = {e.id for e in dossier.events}
        if not fields.get("id"):
            day, title = str(fields.get("date", "")), str(fields.get("title", ""))
            if day and title:
                fields["id"] = event_id(day, title, taken)
        elif not _ID.fullmatch(str(fields["id"])):
            raise _reject("id", "use lower-case letters, digits, dots and hyphens (at most 64)")
        elif fields["id"] in taken:
            raise _reject("id", f"event {fields['id']!r} exists; use `curate correct` to change it")
        event: Event = _checked("event", fields, dossier)
        at = bisect.bisect(dossier.events, (event.date, event.id), key=lambda e: (e.date, e.id))
        events = (*dossier.events[:at], event, *dossier.events[at:])
        return replace(dossier, events=events), "", None, event
    if change.action == "source":
        fields = _normal(change.fields, FIELDS["source"], "a source")
        if fields.get("id") and not _ID.fullmatch(str(fields["id"])):
            raise _reject("id", "use lower-case letters, digits, dots and hyphens (at most 64)")
        if fields.get("id") in {s.id for s in dossier.sources}:
            exists = f"source {fields['id']!r} exists"
            raise _reject("id", f"{exists}; use `curate correct` to change it")
        source: Source = _checked("source", fields, dossier)
        return replace(dossier, sources=(*dossier.sources, source)), "", None, source
    if change.action == "outcome":
        return _with_outcome(dossier, change)
    return _corrected(dossier, change)


def _with_new_source(dossier: Dossier, fields: Record) -> Dossier:
    """A source given by URL, publisher and published date becomes a source of the
    dossier (id from publisher and date), cited by the item; `fields` lose the source_ keys."""
    given = {k.removeprefix("source_"): fields.pop(k) for k in NEW_SOURCE if k in fields}
    if not given:
        return dossier
    if not given.get("url"):
        raise _reject("source_url", "a new source needs its URL (and publisher, published date)")
    publisher = str(given.get("publisher") or "")
    published = str(given.get("published") or "")
    taken = {s.id for s in dossier.sources}
    base = slugify(f"{publisher or 'source'} {published}")[:MAX_ID].strip("-") or "source"
    source_id, number = base, 2
    while source_id in taken:
        source_id, number = f"{base}-{number}", number + 1
    label = ", ".join(p for p in (publisher, published) if p) or str(given["url"])
    record_ = {"id": source_id, "title": label, **given}
    item, problems = check_item("source", record_, FILE)
    if problems:
        raise ChangeRejected([FieldProblem(f"source_{p.field}", p.message) for p in problems])
    fields["sources"] = [*fields.get("sources", []), source_id]
    return replace(dossier, sources=(*dossier.sources, item))


def _find_deadline(dossier: Dossier, slug: str | None) -> Deadline:
    found = next((d for d in dossier.deadlines if d.slug == slug), None)
    if found is None:
        slugs = ", ".join(d.slug for d in dossier.deadlines)
        shown = f"no deadline {slug!r}" if slug else "which deadline?"
        raise _reject("deadline", f"{shown} (deadlines: {slugs})")
    return found


def _swapped(items: tuple[Any, ...], old: Item, new: Item) -> tuple[Any, ...]:
    at = next(n for n, item in enumerate(items) if item is old)
    return (*items[:at], new, *items[at + 1 :])


def _swap(dossier: Dossier, old: Item, new: Item) -> Dossier:
    """The dossier with one item replaced, in place (only its own section is rebuilt)."""
    if isinstance(old, Source):
        return replace(dossier, sources=_swapped(dossier.sources, old, new))
    if isinstance(old, Event):
        return replace(dossier, events=_swapped(dossier.events, old, new))
    return replace(dossier, deadlines=_swapped(dossier.deadlines, old, new))


def _with_outcome(dossier: Dossier, change: Change) -> tuple[Dossier, str, Item | None, Item]:
    deadline = _find_deadline(dossier, change.target)
    fields = _normal(change.fields, FIELDS["outcome"], "an outcome update")
    dossier = _with_new_source(dossier, fields)
    for key in ("date", "status", "note", "sources"):
        if not fields.get(key):
            raise _reject(key, "missing")
    updates = [record(u) for u in deadline.outcome]
    # Updates stay oldest first: a late-recorded one goes where its date puts it.
    at = sum(1 for u in updates if str(u["date"]) <= str(fields["date"]))
    updates.insert(at, fields)
    new_record = {**record(deadline), "outcome": updates}
    new: Deadline = _checked("deadline", new_record, dossier, cited=at)
    return _swap(dossier, deadline, new), f"outcome[{at}].", deadline, new


def _corrected(dossier: Dossier, change: Change) -> tuple[Dossier, str, Item | None, Item]:
    target = change.target or ""
    old: Item | None = next((e for e in dossier.events if e.id == target), None)
    old = old or next((d for d in dossier.deadlines if d.slug == target), None)
    old = old or next((s for s in dossier.sources if s.id == target), None)
    if old is None:
        raise _reject("id", f"nothing in {dossier.info.slug} has the id {target!r}")
    if not (change.reason or "").strip():
        raise _reject("reason", 'a correction needs a reason (reason:"...")')
    kind = item_key(old)[0]
    allowed = tuple(f for f in FIELDS[kind] if f not in ("id", "slug", *NEW_SOURCE))
    if "id" in change.fields or "slug" in change.fields:
        raise _reject("id", "an id cannot change; record a new item and correct the old one")
    fields = _normal(change.fields, allowed, f"a {kind}")
    if not fields:
        raise _reject("fields", f"give the fields to correct ({', '.join(allowed)})")
    merged = {**record(old), **fields}
    # An empty value removes an optional field (a quote that was wrong, say).
    merged = {k: v for k, v in merged.items() if v not in ("", [])}
    new = _checked(kind, merged, dossier)
    return _swap(dossier, old, new), "", old, new
