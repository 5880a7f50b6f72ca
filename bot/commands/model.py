"""What the grammar produces and the dispatcher answers: `Command`, `Caller`, `Reply`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from bot.delivery import Attachment
from briefings.document import Briefing


@dataclass(frozen=True)
class Command:
    """A parsed subcommand with typed values; params with no field here are in `extra`."""

    name: str
    deadline: str | None = None
    event_id: str | None = None
    start: date | None = None
    end: date | None = None
    page: int = 1
    sub_kind: str | None = None
    at: time | None = None
    zone: str | None = None
    offsets: tuple[int, ...] | None = None
    include_passed: bool = False
    with_chart: bool = False
    with_events: bool = False
    dossier: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Caller:
    """Who asked, and where: enough to answer and to check permission."""

    platform: str
    workspace: str
    channel: str
    user: str
    can_manage: bool = False
    in_dm: bool = False


@dataclass(frozen=True)
class Reply:
    """What the adapter shows: a briefing, or text; in the channel or only to the caller."""

    briefing: Briefing | None = None
    text: str | None = None
    public: bool = True
    error: bool = False
    usage: str | None = None
    attachment: Attachment | None = None

    @classmethod
    def failure(cls, message: str, usage: str | None = None) -> Reply:
        return cls(text=message, public=False, error=True, usage=usage)

    @property
    def plain_text(self) -> str:
        """The reply as one plain string (errors carry their usage line)."""
        parts = [self.text or (self.briefing.title if self.briefing else "")]
        if self.usage:
            parts.append(f"Usage: {self.usage}")
        return "\n".join(p for p in parts if p)
