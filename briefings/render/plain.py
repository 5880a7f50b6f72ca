"""Briefing -> plain lines of text: the terminal and the console adapter read these.

Styling is left to the caller (rich marks the lines up by their role); the words are
the same everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from briefings.document import Briefing, CountdownView, EventView, OutcomeView, SourceRef

Role = Literal["title", "heading", "text", "countdown", "event", "detail", "source", "note"]

STATE_MARKS = {"upcoming": "◷", "today": "●", "passed": "○"}
# Once a deadline has an outcome, its mark says what became of it.
OUTCOME_MARKS = {"met": "✓", "late": "◔", "missed": "✗", "superseded": "↻", "pending": "…"}


def mark_for(view: CountdownView) -> str:
    """The deadline's mark: its outcome once one is recorded, else its state."""
    if view.outcome is not None:
        return OUTCOME_MARKS.get(view.outcome.status, STATE_MARKS[view.state])
    return STATE_MARKS[view.state]


@dataclass(frozen=True)
class Line:
    role: Role
    text: str
    state: str | None = None
    mark: str = ""


def sources_phrase(refs: tuple[SourceRef, ...]) -> str:
    return "; ".join(f"{r.label}" + (f" <{r.url}>" if r.url else "") for r in refs)


def outcome_phrase(outcome: OutcomeView) -> str:
    return f"{outcome.status.upper()} ({outcome.date}): {outcome.note}"


def countdown_lines(view: CountdownView) -> Iterator[Line]:
    yield Line(
        "countdown", f"{view.title} — due {view.due} ({view.phrase})", view.state, mark_for(view)
    )
    if view.basis:
        yield Line("detail", f"basis: {view.basis}")
    if view.history:
        for update in view.history:
            yield Line("detail", outcome_phrase(update))
    elif view.outcome:
        yield Line("detail", outcome_phrase(view.outcome))
    elif view.state == "passed":
        yield Line("detail", "passed; no outcome on the record yet")
    if view.quote:
        yield Line("detail", f"“{view.quote}”" if not view.quote.startswith("“") else view.quote)
    yield Line("source", f"[{view.slug}] sources: {sources_phrase(view.all_sources)}")


def event_lines(view: EventView) -> Iterator[Line]:
    yield Line("event", f"{view.date_label}  {view.title}")
    if view.summary:
        yield Line("detail", view.summary)
    if view.quote:
        yield Line("detail", f"Quote: {view.quote}")
    yield Line("source", f"[{view.id}] sources: {sources_phrase(view.sources)}")


def dossier_line(briefing: Briefing) -> str:
    """Which dossier a briefing is about, e.g. "Dossier: The Accord (some-2020)"."""
    if briefing.dossier_title:
        return f"Dossier: {briefing.dossier_title} ({briefing.dossier})"
    return f"Dossier: {briefing.dossier}"


def lines(briefing: Briefing) -> Iterator[Line]:
    title = briefing.title + (" (replay)" if briefing.replay else "")
    yield Line("title", title)
    yield Line("note", dossier_line(briefing))
    for section in briefing.sections:
        yield Line("heading", section.heading)
        if section.text:
            yield Line("text", section.text)
        for label, value in section.facts:
            yield Line("text", f"{label}: {value}")
        for countdown in section.countdowns:
            yield from countdown_lines(countdown)
        for event in section.events:
            yield from event_lines(event)
        if not (section.text or section.facts or section.countdowns or section.events):
            yield Line("note", "none")
    for note in briefing.shown_notes("cli"):
        yield Line("note", note)


def render_plain(briefing: Briefing) -> str:
    return "\n".join(
        line.text if line.role not in ("heading",) else f"\n## {line.text}"
        for line in lines(briefing)
    )
