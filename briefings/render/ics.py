"""The deadlines (and, on request, the events) as an iCalendar file.

Every deadline is an all-day event on its due date with a stable UID, so importing a
newer file updates the calendar instead of duplicating it. The file holds only what was
on the record on the as-of day: outcome updates and sources published later are left
out. Google Calendar, Outlook and Apple Calendar all read this shape (RFC 5545, all-day
DTSTART/DTEND as VALUE=DATE, CRLF lines folded at 75 octets by the icalendar library).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar
from icalendar import Event as CalendarEvent

from briefings.clock import Clock
from briefings.model import Event, Source
from briefings.store import ResolvedDeadline, Store

PRODID = "-//accord-bot//accord-bot calendar//EN"


def deadline_uid(dossier: str, slug: str) -> str:
    """The stable UID of a deadline's calendar entry, distinct per dossier.

    >>> deadline_uid("some-2020", "first-step")
    'some-2020-first-step@accord-bot'
    """
    return f"{dossier}-{slug}@accord-bot"


def event_uid(dossier: str, event_id: str) -> str:
    return f"{dossier}-event-{event_id}@accord-bot"


def build_calendar(
    store: Store, clock: Clock, *, with_events: bool = False, stamp: datetime | None = None
) -> Calendar:
    """The calendar as of the clock's day (`stamp` is DTSTAMP; default: now, in UTC)."""
    today = clock.today()
    info = store.info()
    sources = store.sources(today)
    stamp = (stamp or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    name = f"{info.title}: deadlines" + (" and events" if with_events else "")
    calendar.add("x-wr-calname", name)
    calendar.add(
        "x-wr-caldesc",
        f"Curated dossier {info.slug}, as of {today.isoformat()}: "
        "what each deadline required, and what became of it. From accord-bot.",
    )
    for resolved in store.deadlines(today):
        calendar.add_component(_deadline_entry(info.slug, resolved, today, sources, stamp))
    if with_events:
        for event in store.events(today):
            calendar.add_component(_event_entry(info.slug, event, sources, stamp))
    return calendar


def render_ics(
    store: Store, clock: Clock, *, with_events: bool = False, stamp: datetime | None = None
) -> bytes:
    """The calendar file's bytes (UTF-8, CRLF)."""
    calendar = build_calendar(store, clock, with_events=with_events, stamp=stamp)
    return bytes(calendar.to_ical())


def _all_day(entry: CalendarEvent, day: date) -> None:
    entry.add("dtstart", day)
    entry.add("dtend", day + timedelta(days=1))


def _deadline_entry(
    dossier: str,
    resolved: ResolvedDeadline,
    today: date,
    sources: dict[str, Source],
    stamp: datetime,
) -> CalendarEvent:
    deadline = resolved.deadline
    known = [u for u in deadline.outcome if u.date <= today]
    entry = CalendarEvent()
    entry.add("uid", deadline_uid(dossier, deadline.slug))
    entry.add("dtstamp", stamp)
    # A later file with more outcome updates must win over an earlier import.
    entry.add("sequence", len(known))
    _all_day(entry, resolved.due)
    entry.add("summary", deadline.title)
    lines: list[str] = []
    if deadline.basis:
        lines.append(f"Basis: {deadline.basis}")
    if deadline.summary:
        lines.append(deadline.summary)
    lines.append("")
    if known:
        lines.append(f"Outcome as of {today.isoformat()}:")
        for update in known:
            cited = _names(update.sources, sources)
            lines.append(
                f"- {update.date.isoformat()} {update.status}: {update.note}"
                + (f" ({cited})" if cited else "")
            )
    elif resolved.due < today:
        lines.append(f"Passed; no outcome on the record as of {today.isoformat()}.")
    else:
        lines.append(f"Upcoming as of {today.isoformat()}.")
    lines += _source_lines(deadline.sources, sources)
    entry.add("description", "\n".join(lines).strip())
    categories = ["Deadline", known[-1].status.capitalize() if known else "Open"]
    entry.add("categories", categories)
    url = _first_url(deadline.sources, sources)
    if url:
        entry.add("url", url)
    entry.add("transp", "TRANSPARENT")
    entry.add("status", "CONFIRMED")
    return entry


def _event_entry(
    dossier: str, event: Event, sources: dict[str, Source], stamp: datetime
) -> CalendarEvent:
    entry = CalendarEvent()
    entry.add("uid", event_uid(dossier, event.id))
    entry.add("dtstamp", stamp)
    _all_day(entry, event.date)
    entry.add("summary", event.title)
    lines = []
    if event.precision == "month":
        lines.append(f"Dated to the month only ({event.date:%B %Y}).")
    if event.summary:
        lines.append(event.summary)
    lines += _source_lines(event.sources, sources)
    entry.add("description", "\n".join(lines).strip())
    if event.tags:
        entry.add("categories", ["Event", *event.tags])
    url = _first_url(event.sources, sources)
    if url:
        entry.add("url", url)
    entry.add("transp", "TRANSPARENT")
    return entry


def _names(ids: Iterable[str], sources: dict[str, Source]) -> str:
    return "; ".join(sources[i].publisher or sources[i].title for i in ids if i in sources)


def _source_lines(ids: Iterable[str], sources: dict[str, Source]) -> list[str]:
    found = [sources[i] for i in ids if i in sources]
    if not found:
        return []
    lines = ["", "Sources:"]
    for source in found:
        by = f" ({source.publisher})" if source.publisher else ""
        lines.append(f"- {source.title}{by}" + (f" {source.url}" if source.url else ""))
    return lines


def _first_url(ids: Iterable[str], sources: dict[str, Source]) -> str | None:
    return next((sources[i].url for i in ids if i in sources and sources[i].url), None)
