"""What "today" is: the system clock in a zone, or a replay day (ACCORD_AS_OF)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class InputError(ValueError):
    """Bad input from a person: the message is written for them."""


# The days the bot briefs on: far enough from year 1 and 9999 that counting, paging and
# charting around them never leaves the calendar.
FIRST_DAY = date(1000, 1, 1)
LAST_DAY = date(8999, 12, 31)


def shown(text: str, limit: int = 40) -> str:
    """A person's words, cut short enough to echo back in an error.

    >>> shown("A" * 100_000)[-3:]
    'AA…'
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_day(text: str) -> date:
    """A YYYY-MM-DD day, or an InputError that says what would work.

    >>> parse_day("2020-03-05")
    datetime.date(2020, 3, 5)
    """
    value = text.strip()
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value, re.ASCII):
            raise ValueError  # fromisoformat alone would also take 2020-W10-4
        day = date.fromisoformat(value)
    except ValueError:
        raise InputError(
            f"{shown(text)!r} is not a date; use YYYY-MM-DD, e.g. 2020-03-05"
        ) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InputError(
            f"{value} is outside the days the bot briefs on ({FIRST_DAY} to {LAST_DAY})"
        )
    return day


_NOT_ZONES = {"localtime", "Factory", "posixrules", "posix", "right", "leapseconds", "tzdata.zi"}


def parse_zone(text: str) -> ZoneInfo:
    """An IANA time zone, or an InputError.

    >>> parse_zone("Europe/Berlin").key
    'Europe/Berlin'
    """
    name = text.strip()
    try:
        if not name or name.startswith(("/", ".")) or ".." in name or "\x00" in name:
            raise ValueError
        # Files of the zone database that are not zones, or mean "this machine's zone".
        if name in _NOT_ZONES or name.startswith(("posix/", "right/")):
            raise ValueError
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InputError(
            f"{shown(text)!r} is not a time zone; use an IANA name such as Europe/Berlin, "
            "America/New_York or UTC"
        ) from None


@dataclass(frozen=True)
class Clock:
    """Today in a zone; in replay mode `as_of` is today whatever the real date.

    >>> Clock(ZoneInfo("UTC"), as_of=date(2020, 3, 5)).today()
    datetime.date(2020, 3, 5)
    """

    zone: ZoneInfo
    as_of: date | None = None
    # One reading of the real clock (see `read`); None reads it at each call.
    instant: datetime | None = field(default=None, compare=False)

    @property
    def replay(self) -> bool:
        return self.as_of is not None

    def now(self) -> datetime:
        """The real instant, in this clock's zone (replay keeps the time of day real)."""
        if self.instant is not None:
            return self.instant
        return datetime.now(UTC).astimezone(self.zone)

    def read(self) -> Clock:
        """This clock held at one reading, so a run's local day, its time and its
        delivery key all come from the same instant.

        >>> held = Clock(ZoneInfo("UTC")).read()
        >>> held.now() == held.now()
        True
        """
        return replace(self, instant=datetime.now(UTC).astimezone(self.zone))

    def today(self) -> date:
        return self.as_of if self.as_of is not None else self.now().date()

    def with_zone(self, zone: ZoneInfo) -> Clock:
        held = self.instant.astimezone(zone) if self.instant is not None else None
        return Clock(zone, self.as_of, held)
