"""Compose the briefings (status, countdown, timeline, event, digest) from the store.

Each function reads the store as of the clock's day and returns a neutral Briefing.
`Composer` caches them per (kind, arguments, day, zone, store revision), so a digest
composed for one channel serves every channel that shares its day and zone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from briefings.clock import Clock, InputError
from briefings.countdown import Countdown, count_down
from briefings.document import (
    Briefing,
    CountdownView,
    EventView,
    More,
    OutcomeView,
    Section,
    SourceRef,
)
from briefings.lru import LRU
from briefings.model import Event, OutcomeUpdate, Source
from briefings.records import Record
from briefings.revisions import Revision, corrections
from briefings.store import Store

KINDS = ("status", "countdown", "timeline", "event", "digest")
LATEST_EVENTS = 5
TIMELINE_PAGE = 25
COMING_UP_DAYS = 30


class _Reader:
    """One as-of view of the store: the day, its visible sources, and view builders."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self.today = clock.today()
        self._sources: dict[str, Source] | None = None

    @property
    def sources(self) -> dict[str, Source]:
        if self._sources is None:
            self._sources = self.store.sources(self.today)
        return self._sources

    def refs(self, ids: Iterable[str]) -> tuple[SourceRef, ...]:
        found = (self.sources.get(i) for i in ids)
        return tuple(SourceRef(s.id, s.title, s.publisher, s.url, s.published) for s in found if s)

    def event_view(self, event: Event, *, full: bool = False) -> EventView:
        refs = self.refs(event.sources)
        # The quote comes from the first source: show it only once that source is out.
        quote = event.quote if full and refs and refs[0].id == event.sources[0] else None
        return EventView(
            event.id,
            event.date,
            event.title,
            event.summary if full else None,
            quote,
            event.tags,
            event.precision,
            refs,
        )

    def outcome_view(self, update: OutcomeUpdate) -> OutcomeView:
        return OutcomeView(update.status, update.date, update.note, self.refs(update.sources))

    def countdowns(self) -> list[Countdown]:
        return [count_down(r, self.today) for r in self.store.deadlines(self.today)]

    def countdown_view(self, countdown: Countdown, *, full: bool = False) -> CountdownView:
        deadline = countdown.resolved.deadline
        refs = self.refs(deadline.sources)
        history = tuple(self.outcome_view(u) for u in deadline.outcome if u.date <= self.today)
        quote = deadline.quote if full and refs and refs[0].id == deadline.sources[0] else None
        return CountdownView(
            slug=deadline.slug,
            title=deadline.title,
            due=countdown.due,
            days_until=countdown.days_until,
            state=countdown.state,
            outcome=self.outcome_view(countdown.outcome) if countdown.outcome else None,
            basis=deadline.basis,
            quote=quote,
            sources=refs,
            history=history if full else (),
        )

    def briefing(
        self,
        kind: str,
        title: str,
        sections: Iterable[Section],
        notes: Iterable[str] = (),
        more: More | None = None,
    ) -> Briefing:
        return Briefing(
            kind=kind,
            title=title,
            as_of=self.today,
            timezone=self.clock.zone.key,
            replay=self.clock.replay,
            dossier=self.store.dossier_slug,
            sections=tuple(sections),
            notes=tuple(notes),
            more=more,
            dossier_title=self.store.info().title,
        )


def status(store: Store, clock: Clock) -> Briefing:
    """The accord in one screen: terms, every deadline's countdown, the latest events."""
    read = _Reader(store, clock)
    info = store.info()
    since = (read.today - info.signed).days
    if since >= 0:
        accord = Section(
            "The accord",
            text=info.summary,
            facts=(
                ("Signed", info.signed.isoformat() + (f" in {info.place}" if info.place else "")),
                ("Parties", " and ".join(info.parties)),
                ("Since signing", f"{since:,} days"),
            ),
        )
    else:
        # Replay before the signing: the agreement, its terms and its date are the future.
        accord = Section("The accord", text="Not signed yet on this day.")
    latest = store.events(read.today, limit=LATEST_EVENTS, newest_first=True)
    sections = [
        accord,
        Section("Deadlines", countdowns=tuple(read.countdown_view(c) for c in read.countdowns())),
        Section("Latest events", events=tuple(read.event_view(e) for e in latest)),
    ]
    notes = [] if latest else ["Nothing on the record yet for this day."]
    return read.briefing(
        "status", f"{info.title}: status on {read.today.isoformat()}", sections, notes
    )


def countdown(store: Store, clock: Clock, deadline: str | None = None) -> Briefing:
    """Every deadline (or one): due date, days until or since, state, recorded outcome."""
    read = _Reader(store, clock)
    countdowns = read.countdowns()
    if deadline is not None:
        countdowns = [c for c in countdowns if c.slug == deadline]
        if not countdowns:
            raise InputError(unknown_deadline_message(store, deadline, read.today))
        title = f"Countdown: {countdowns[0].resolved.deadline.title}"
    else:
        title = f"Countdowns on {read.today.isoformat()}"
    views = tuple(read.countdown_view(c, full=deadline is not None) for c in countdowns)
    return read.briefing("countdown", title, [Section("Deadlines", countdowns=views)])


def unknown_deadline_message(store: Store, slug: str, as_of: date | None = None) -> str:
    """Name the deadlines there are (on the as-of day: those on the record then)."""
    slugs = store.deadline_slugs()
    if as_of is not None:
        visible = {r.deadline.slug for r in store.deadlines(as_of)}
        slugs = [s for s in slugs if s in visible]
    day = f" on the record as of {as_of}" if as_of is not None else ""
    return f"no deadline {shorten(slug)!r}{day}; known deadlines: {', '.join(slugs) or 'none yet'}"


def timeline(
    store: Store,
    clock: Clock,
    start: date | None = None,
    end: date | None = None,
    page: int = 1,
    page_size: int = TIMELINE_PAGE,
) -> Briefing:
    """The dated events in order, a page at a time, each with its sources."""
    if start is not None and end is not None and start > end:
        raise InputError(f"`from` ({start}) is after `to` ({end}); swap them")
    if page < 1:
        raise InputError("page numbers start at 1")
    read = _Reader(store, clock)
    if start is not None and end is None and start > read.today:
        raise InputError(f"`from` ({start}) is after today ({read.today}); nothing is on record")
    total = store.count_events(read.today, start=start, end=end)
    pages = max(1, -(-total // page_size))
    if page > pages:
        raise InputError(f"page {page} does not exist: there {_pages_phrase(pages)}")
    events = store.events(
        read.today, start=start, end=end, limit=page_size, offset=(page - 1) * page_size
    )
    span = f"{start or 'the start'} to {end or read.today}"
    notes = []
    more: More | None = None
    if total == 0:
        notes.append(f"No events on the record from {span}.")
    elif pages > 1:
        first = (page - 1) * page_size + 1
        notes.append(
            f"Events {first:,}–{first + len(events) - 1:,} of {total:,} (page {page} of {pages})."
        )
        if page < pages:
            more = More("timeline", (*_range_options(start, end), ("page", str(page + 1))))
    heading = f"Events from {span}"
    return read.briefing(
        "timeline",
        f"Timeline to {read.today.isoformat()}",
        [Section(heading, events=tuple(read.event_view(e) for e in events))],
        notes,
        more,
    )


def _pages_phrase(pages: int) -> str:
    return "is 1 page" if pages == 1 else f"are {pages:,} pages"


def _range_options(start: date | None, end: date | None) -> tuple[tuple[str, str], ...]:
    found = (("from", start), ("to", end))
    return tuple((key, day.isoformat()) for key, day in found if day is not None)


def event(store: Store, clock: Clock, event_id: str) -> Briefing:
    """One event in full: summary, the sentence it rests on, and its sources."""
    read = _Reader(store, clock)
    found = store.event(event_id, read.today)
    if found is None:
        raise InputError(unknown_event_message(store, read.today, event_id))
    view = read.event_view(found, full=True)
    return read.briefing("event", found.title, [Section(view.date_label, events=(view,))])


def shorten(text: str, limit: int = 40) -> str:
    """A user's word, cut short enough to echo back in an error."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def unknown_event_message(store: Store, today: date, event_id: str) -> str:
    ids = store.event_ids(today)
    close = [i for i in ids if event_id.lower() in i or i.split("-")[0] in event_id.lower()]
    hint = f" Did you mean: {', '.join(close[:5])}?" if close else ""
    return (
        f"no event {shorten(event_id)!r} on the record as of {today}.{hint} "
        "See `/accord timeline` for event ids."
    )


Window = tuple[datetime, datetime]
MAX_SHOWN = 80
MAX_CORRECTIONS = 10  # listed in one digest; the rest are counted


def previous_day(clock: Clock) -> Window:
    """The local day before the clock's: the corrections a digest lists by default."""
    today = datetime.combine(clock.today(), time(0), tzinfo=clock.zone)
    return today - timedelta(days=1), today


def _shown(value: Any) -> str:
    if isinstance(value, list):
        text = ", ".join(str(v) for v in value) or "(none)"
    elif value is None or value == "":
        text = "(none)"
    else:
        text = str(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def changed_fields(before: Record, after: Record) -> tuple[tuple[str, str], ...]:
    """(field, "before → after") for each field that differs.

    >>> changed_fields({"title": "Old", "tags": ["a"]}, {"title": "New", "tags": ["a"]})
    (('title', 'Old → New'),)
    """
    keys = dict.fromkeys([*before, *after])
    return tuple(
        (k, f"{_shown(before.get(k))} → {_shown(after.get(k))}")
        for k in keys
        if before.get(k) != after.get(k)
    )


def correction_facts(rows: Sequence[Revision]) -> tuple[tuple[str, str], ...]:
    """One line per corrected item: what changed and why."""
    facts = []
    for row in rows:
        after = row.change.after or {}
        name = after.get("title") or row.item
        changes = "; ".join(f"{k}: {v}" for k, v in changed_fields(row.change.before or {}, after))
        why = f" (why: {row.reason})" if row.reason else ""
        facts.append((f"{row.change.kind} {name}", f"{changes}{why}"))
    return tuple(facts)


def digest(store: Store, clock: Clock, window: Window | None = None) -> Briefing:
    """The daily digest: what is new on the record today, what comes up, every countdown,
    and (live, not in replay) the corrections made in `window` (default: the day before)."""
    read = _Reader(store, clock)
    new_events = store.events_known_on(read.today)
    countdowns = read.countdowns()
    # An outcome is new today when it was not the one in force on the record yesterday
    # (an update can enter the record after its own date, once a source reports it).
    yesterday = read.today - timedelta(days=1)
    before = {r.deadline.slug: count_down(r, yesterday).outcome for r in store.deadlines(yesterday)}
    changed = tuple(
        read.countdown_view(c)
        for c in countdowns
        if c.outcome is not None and c.outcome != before.get(c.slug)
    )
    soon = read.today + timedelta(days=COMING_UP_DAYS)
    coming = tuple(
        read.countdown_view(c) for c in countdowns if c.state != "passed" and c.due <= soon
    )
    sections = [Section("New on the record", events=tuple(read.event_view(e) for e in new_events))]
    if changed:
        sections.append(Section("Deadline outcomes recorded today", countdowns=changed))
    sections.append(Section(f"Coming up in the next {COMING_UP_DAYS} days", countdowns=coming))
    sections.append(
        Section("Countdowns", countdowns=tuple(read.countdown_view(c) for c in countdowns))
    )
    # Corrections are the store's history, not the world's: a replay shows none.
    if not clock.replay:
        start, end = window or previous_day(clock)
        corrected = corrections(store.db, store.dossier_slug, start, end)
        if corrected:
            shown = corrected[-MAX_CORRECTIONS:]
            facts = correction_facts(shown)
            if len(corrected) > len(shown):
                more = len(corrected) - len(shown)
                earlier = ("Earlier", f"{more} more corrections; each item's history has them")
                facts = (earlier, *facts)
            sections.append(Section("Corrections", facts=facts))
    notes = []
    if not new_events and not changed:
        notes.append("Nothing new on the record today.")
    if not coming:
        notes.append(f"No deadline falls in the next {COMING_UP_DAYS} days.")
    return read.briefing("digest", f"Daily digest for {read.today.isoformat()}", sections, notes)


def reminders(
    store: Store, clock: Clock, offsets: tuple[int, ...], include_passed: bool = False
) -> list[Briefing]:
    """The day's countdown reminders: one briefing listing every deadline whose offset falls
    today ("7 days until ..."), and one for deadlines due today; with `include_passed`, one
    for outcomes recorded today on deadlines already passed. Empty when nothing is due."""
    read = _Reader(store, clock)
    countdowns = read.countdowns()
    ahead = tuple(
        read.countdown_view(c) for c in countdowns if c.days_until > 0 and c.days_until in offsets
    )
    due_today = tuple(
        read.countdown_view(c, full=True) for c in countdowns if c.days_until == 0 and 0 in offsets
    )
    briefings = []
    if ahead:
        briefings.append(
            read.briefing(
                "reminders", _reminder_title(ahead), [Section("Coming up", countdowns=ahead)]
            )
        )
    if due_today:
        briefings.append(
            read.briefing(
                "reminders",
                f"Due today: {', '.join(v.title for v in due_today)}",
                [Section("Due today", countdowns=due_today)],
            )
        )
    if include_passed:
        outcomes = tuple(
            read.countdown_view(c, full=True)
            for c in countdowns
            if c.state != "upcoming" and c.outcome is not None and c.outcome.date == read.today
        )
        if outcomes:
            briefings.append(
                read.briefing(
                    "reminders",
                    "Outcome recorded today",
                    [Section("What became of it", countdowns=outcomes)],
                )
            )
    return briefings


def _reminder_title(views: tuple[CountdownView, ...]) -> str:
    first = views[0]
    more = f" (and {len(views) - 1} more)" if len(views) > 1 else ""
    days = "1 day" if first.days_until == 1 else f"{first.days_until:,} days"
    return f"{days} until {first.title}{more}"


T = TypeVar("T")


class Composer:
    """Composes briefings through a small cache keyed by what they depend on.

    >>> from zoneinfo import ZoneInfo
    >>> composer = Composer(Store.open(":memory:"))
    >>> composer.compose("status", Clock(ZoneInfo("UTC"), date(2020, 3, 5))).kind
    'status'
    """

    def __init__(self, store: Store, *, size: int = 256) -> None:
        self.store = store
        self.size = size
        self.compositions = 0
        self._cache: LRU[tuple[object, ...], Any] = LRU(size)

    def compose(
        self,
        kind: str,
        clock: Clock,
        *,
        deadline: str | None = None,
        event_id: str | None = None,
        start: date | None = None,
        end: date | None = None,
        page: int = 1,
        dossier: str | None = None,
        window: Window | None = None,
    ) -> Briefing:
        """One briefing on `dossier` (None: the store's default); UnknownDossier for a
        slug the store does not hold. `window`: the digest's corrections (see `digest`)."""
        store = self.store.view(dossier)
        key = (store.dossier_slug, kind, deadline, event_id, start, end, page, window)
        return self._cached(
            key,
            clock,
            lambda: self._build(store, kind, clock, deadline, event_id, start, end, page, window),
        )

    def reminders(
        self,
        clock: Clock,
        offsets: tuple[int, ...],
        include_passed: bool,
        dossier: str | None = None,
    ) -> list[Briefing]:
        store = self.store.view(dossier)
        key = (store.dossier_slug, "reminders", offsets, include_passed)
        return self._cached(key, clock, lambda: reminders(store, clock, offsets, include_passed))

    def _cached(self, key: tuple[object, ...], clock: Clock, build: Callable[[], T]) -> T:
        full_key = (*key, clock.today(), clock.zone.key, clock.replay, self.store.revision())
        found = self._cache.get(full_key)
        if found is not None:
            return found  # type: ignore[no-any-return]
        made = build()
        self.compositions += 1
        self._cache.put(full_key, made)
        return made

    def _build(
        self,
        store: Store,
        kind: str,
        clock: Clock,
        deadline: str | None,
        event_id: str | None,
        start: date | None,
        end: date | None,
        page: int,
        window: Window | None = None,
    ) -> Briefing:
        if kind == "status":
            return status(store, clock)
        if kind == "countdown":
            return countdown(store, clock, deadline)
        if kind == "timeline":
            return timeline(store, clock, start, end, page)
        if kind == "event":
            if not event_id:
                raise InputError("`event` needs an event id; see `/accord timeline` for ids")
            return event(store, clock, event_id)
        if kind == "digest":
            return digest(store, clock, window)
        raise InputError(f"unknown briefing {kind!r}; choose one of {', '.join(KINDS)}")


ALERT_TITLES = {
    ("event", "added"): "New on the record",
    ("source", "added"): "New source",
    ("deadline", "added"): "New deadline",
    ("deadline", "outcome"): "Outcome recorded",
}


def alert(store: Store, clock: Clock, rows: Sequence[Revision]) -> Briefing | None:
    """One change that just went live, as one short post: the item as it now stands with
    its sources, what changed and why (a correction), and who made it. `rows` are one
    revision's rows for one dossier (a new source cited by the item comes first). None
    for what is not news (an item removed)."""
    main = rows[-1]
    if main.author.platform == "file" and len(rows) > 1:
        return _import_alert(store, clock, rows)
    change = main.change
    what = change.what
    if change.after is None or what == "removed":
        return None
    read = _Reader(store, clock)
    after = change.after
    name = str(after.get("title") or change.item)
    title = f"{ALERT_TITLES.get((change.kind, what), 'Corrected')}: {name}"
    sections: list[Section] = []
    if change.kind == "event":
        view = EventView(
            change.item,
            date.fromisoformat(str(after["date"])),
            name,
            after.get("summary"),
            after.get("quote"),
            tuple(after.get("tags") or ()),
            str(after.get("precision") or "day"),
            read.refs(after.get("sources") or ()),
        )
        sections.append(Section("Event", events=(view,)))
    elif change.kind == "deadline":
        found = [c for c in read.countdowns() if c.slug == change.item]
        views = tuple(read.countdown_view(c, full=True) for c in found)
        sections.append(Section("Deadline", countdowns=views))
    else:
        keys = ("publisher", "author", "published", "url")
        facts = tuple((k, str(after[k])) for k in keys if after.get(k))
        sections.append(Section("Source", text=name, facts=facts))
    if what == "corrected":
        why = f"Why: {main.reason}" if main.reason else None
        sections.append(
            Section("What changed", text=why, facts=changed_fields(change.before or {}, after))
        )
    who = main.author.label
    if main.approver is not None:
        who += f", approved by {main.approver.label}"
    notes = (f"Revision {main.revision}, {main.at:%Y-%m-%d %H:%M} UTC, by {who}.",)
    return read.briefing("alert", title, sections, notes)


MAX_LISTED = 10
VERBS = {"added": "new", "outcome": "outcome recorded on", "corrected": "corrected"}


def _import_alert(store: Store, clock: Clock, rows: Sequence[Revision]) -> Briefing:
    """A curated file loaded over the dossier: one post listing what it changed."""
    main = rows[-1]
    facts = tuple(
        (f"{VERBS.get(r.change.what, r.change.what)} {r.change.kind}", _name(r))
        for r in rows[:MAX_LISTED]
    )
    if len(rows) > MAX_LISTED:
        facts += (("and", f"{len(rows) - MAX_LISTED} more"),)
    read = _Reader(store, clock)
    title = f"{len(rows)} changes from {main.author.user_id}"
    notes = (f"Revision {main.revision}, {main.at:%Y-%m-%d %H:%M} UTC, by {main.author.label}.",)
    return read.briefing("alert", title, [Section("What changed", facts=facts)], notes)


def _name(row: Revision) -> str:
    record = row.change.after or row.change.before or {}
    return str(record.get("title") or row.item)
