"""The neutral briefing document that every renderer (text, JSON, Slack, Discord) reads.

A Briefing is a title and an ordered list of sections; a section holds a paragraph,
label/value facts, countdowns and events. Every countdown and event carries the sources
it rests on, already resolved and filtered to what was published on the as-of day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from briefings.countdown import State, days_phrase


@dataclass(frozen=True)
class SourceRef:
    id: str
    title: str
    publisher: str | None = None
    url: str | None = None
    published: date | None = None

    @property
    def label(self) -> str:
        """How a source is named in a line: the publisher, else the title."""
        return self.publisher or self.title


@dataclass(frozen=True)
class OutcomeView:
    status: str
    date: date
    note: str
    sources: tuple[SourceRef, ...] = ()


@dataclass(frozen=True)
class CountdownView:
    slug: str
    title: str
    due: date
    days_until: int
    state: State
    outcome: OutcomeView | None = None
    basis: str | None = None
    quote: str | None = None
    sources: tuple[SourceRef, ...] = ()
    history: tuple[OutcomeView, ...] = ()

    @property
    def phrase(self) -> str:
        return days_phrase(self.days_until)

    @property
    def all_sources(self) -> tuple[SourceRef, ...]:
        """The deadline's sources, then those of its outcome updates shown, once each."""
        updates = self.history or ((self.outcome,) if self.outcome else ())
        seen: dict[str, SourceRef] = {}
        for ref in (*self.sources, *(r for u in updates for r in u.sources)):
            seen.setdefault(ref.id, ref)
        return tuple(seen.values())


@dataclass(frozen=True)
class EventView:
    id: str
    date: date
    title: str
    summary: str | None = None
    quote: str | None = None
    tags: tuple[str, ...] = ()
    precision: str = "day"
    sources: tuple[SourceRef, ...] = ()

    @property
    def date_label(self) -> str:
        """The date as precisely as it is known: 2020-03-04, or 2001-10 for a month."""
        return self.date.strftime("%Y-%m") if self.precision == "month" else self.date.isoformat()


@dataclass(frozen=True)
class Section:
    heading: str
    text: str | None = None
    facts: tuple[tuple[str, str], ...] = ()
    countdowns: tuple[CountdownView, ...] = ()
    events: tuple[EventView, ...] = ()


@dataclass(frozen=True)
class More:
    """Where the next page is: the briefing kind and its options, rendered per surface
    (`page:2` in chat, `--page 2` on the command line).

    >>> More("timeline", (("from", "2020-03-01"), ("page", "2"))).words("chat")
    '/accord timeline from:2020-03-01 page:2'
    >>> More("timeline", (("page", "2"),)).words("cli")
    'accord-bot brief timeline --page 2'
    """

    kind: str
    options: tuple[tuple[str, str], ...]

    def words(self, style: str) -> str:
        if style == "cli":
            return " ".join(
                ["accord-bot brief", self.kind, *(f"--{k} {v}" for k, v in self.options)]
            )
        return " ".join([f"/accord {self.kind}", *(f"{k}:{v}" for k, v in self.options)])


@dataclass(frozen=True)
class Briefing:
    kind: str
    title: str
    as_of: date
    timezone: str
    replay: bool
    dossier: str
    sections: tuple[Section, ...] = ()
    notes: tuple[str, ...] = field(default=())
    more: More | None = None
    dossier_title: str = ""

    def shown_notes(self, style: str = "chat") -> tuple[str, ...]:
        """The notes, the last one ending with where the next page is, in `style`."""
        if self.more is None or not self.notes:
            return self.notes
        return (*self.notes[:-1], f"{self.notes[-1]} Next: {self.more.words(style)}")

    @property
    def countdowns(self) -> tuple[CountdownView, ...]:
        """Every countdown in the document, once, in order of appearance."""
        seen: dict[str, CountdownView] = {}
        for section in self.sections:
            for countdown in section.countdowns:
                seen.setdefault(countdown.slug, countdown)
        return tuple(seen.values())

    @property
    def events(self) -> tuple[EventView, ...]:
        seen: dict[str, EventView] = {}
        for section in self.sections:
            for event in section.events:
                seen.setdefault(event.id, event)
        return tuple(seen.values())

    @property
    def sources(self) -> tuple[SourceRef, ...]:
        """Every source cited anywhere in the document, once."""
        seen: dict[str, SourceRef] = {}
        for countdown in self.countdowns:
            for ref in countdown.sources:
                seen.setdefault(ref.id, ref)
            for update in countdown.history or ((countdown.outcome,) if countdown.outcome else ()):
                for ref in update.sources:
                    seen.setdefault(ref.id, ref)
        for event in self.events:
            for ref in event.sources:
                seen.setdefault(ref.id, ref)
        return tuple(seen.values())


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message (the chart PNG, the calendar ICS)."""

    filename: str
    content: bytes
    mime_type: str
    title: str = ""
