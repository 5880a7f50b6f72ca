"""The curated dossier as immutable values: sources, events, deadlines and outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

OutcomeStatus = Literal["pending", "met", "late", "missed", "superseded"]
OUTCOME_STATUSES: tuple[OutcomeStatus, ...] = ("pending", "met", "late", "missed", "superseded")
Precision = Literal["day", "month"]


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    publisher: str | None = None
    author: str | None = None
    published: date | None = None
    url: str | None = None


@dataclass(frozen=True)
class Event:
    id: str
    date: date
    title: str
    sources: tuple[str, ...]
    summary: str | None = None
    quote: str | None = None
    tags: tuple[str, ...] = ()
    precision: Precision = "day"


@dataclass(frozen=True)
class OutcomeUpdate:
    date: date
    status: OutcomeStatus
    note: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class RelativeDue:
    """A due date counted from an event: `after` plus days or months."""

    after: str
    days: int = 0
    months: int = 0


@dataclass(frozen=True)
class Deadline:
    slug: str
    title: str
    due: date | RelativeDue
    sources: tuple[str, ...]
    basis: str | None = None
    summary: str | None = None
    quote: str | None = None
    outcome: tuple[OutcomeUpdate, ...] = ()


@dataclass(frozen=True)
class DossierInfo:
    slug: str
    title: str
    signed: date
    parties: tuple[str, ...]
    summary: str
    place: str | None = None  # where it was signed


@dataclass(frozen=True)
class Dossier:
    info: DossierInfo
    sources: tuple[Source, ...] = ()
    events: tuple[Event, ...] = ()
    deadlines: tuple[Deadline, ...] = field(default=())
