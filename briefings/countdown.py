"""Countdowns: days until or since a deadline, its state, and its outcome on a day."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from briefings.model import OutcomeUpdate
from briefings.store import ResolvedDeadline

State = Literal["upcoming", "today", "passed"]
DEFAULT_OFFSETS: tuple[int, ...] = (30, 7, 1, 0)


@dataclass(frozen=True)
class Countdown:
    resolved: ResolvedDeadline
    today: date
    days_until: int
    state: State
    outcome: OutcomeUpdate | None

    @property
    def slug(self) -> str:
        return self.resolved.deadline.slug

    @property
    def due(self) -> date:
        return self.resolved.due


def count_down(resolved: ResolvedDeadline, today: date) -> Countdown:
    """Where a deadline stands on `today`.

    The outcome is the latest update dated on or before `today`; before the first one a
    passed deadline simply shows as passed with no recorded outcome.
    """
    days_until = (resolved.due - today).days
    state: State = "upcoming" if days_until > 0 else "today" if days_until == 0 else "passed"
    applying = [u for u in resolved.deadline.outcome if u.date <= today]
    return Countdown(resolved, today, days_until, state, applying[-1] if applying else None)


def offsets_on(countdown: Countdown, offsets: Iterable[int] = DEFAULT_OFFSETS) -> list[int]:
    """The reminder offsets (days before the due date) that fall on the countdown's day.

    >>> from briefings.model import Deadline
    >>> d = ResolvedDeadline(Deadline("x", "X", date(2020, 3, 10), ("s",)), date(2020, 3, 10),
    ...                      date(2020, 2, 29))
    >>> offsets_on(count_down(d, date(2020, 3, 3)))
    [7]
    """
    return [offset for offset in offsets if offset == countdown.days_until]


def days_phrase(days_until: int) -> str:
    """ "in 5 days", "today", "1 day ago"."""
    if days_until == 0:
        return "today"
    count = abs(days_until)
    unit = "day" if count == 1 else "days"
    return f"in {count:,} {unit}" if days_until > 0 else f"{count:,} {unit} ago"
