"""Running the real Discord adapter against the fake Discord, for tests and the benchmark."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fakes.discord import GUILD_ID, FakeDiscord

from bot.adapters.discord import DiscordAdapter
from bot.commands import SPECS, ArtifactMaker, Caller, Command, Dispatcher, Registry
from bot.delivery import Attachment
from bot.ops.metered import MeteredDispatcher
from bot.runtime import curation_desk
from bot.settings import Settings
from briefings.clock import Clock
from briefings.compose import Composer
from briefings.store import Store

REPLAY_DAY = date(2020, 3, 5)
PNG = b"\x89PNG\r\n\x1a\nfixed chart bytes"
ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"

_TYPES = {str: 3, int: 4, bool: 5}


def option(name: str, value: Any, *, focused: bool = False) -> dict[str, Any]:
    item = {"type": _TYPES[type(value)], "name": name, "value": value}
    if focused:
        item["focused"] = True
    return item


def sub(name: str, *options: dict[str, Any], group: str | None = None) -> list[dict[str, Any]]:
    """The `options` of an /accord interaction for one subcommand (in a group or not)."""
    command = {"type": 1, "name": name, "options": list(options)}
    if group is not None:
        return [{"type": 2, "name": group, "options": [command]}]
    return [command]


class FixedArtifacts(ArtifactMaker):
    """Chart and calendar files with fixed bytes (the real ones are another module's)."""

    def chart(
        self, clock: Clock, start: date | None, end: date | None, dossier: str | None
    ) -> Attachment:
        return Attachment("accord-timeline.png", PNG, "image/png", "Timeline chart")

    def calendar(self, clock: Clock, with_events: bool, dossier: str | None) -> Attachment:
        return Attachment("accord-deadlines.ics", ICS, "text/calendar", "Deadlines calendar")


@dataclass
class MemoryDesk:
    """Subscriptions kept in memory (the scheduler's desk is another module's)."""

    subscribed: list[tuple[Caller, Command]] = field(default_factory=list)

    async def subscribe(self, caller: Caller, command: Command) -> str:
        self.subscribed.append((caller, command))
        return f"Subscribed this channel to the {command.sub_kind}."

    async def unsubscribe(self, caller: Caller, kind: str, dossier: str | None) -> str:
        self.subscribed = [s for s in self.subscribed if s[0].channel != caller.channel]
        return f"Unsubscribed this channel from {kind}."

    async def describe(self, caller: Caller) -> str:
        kinds = [c.sub_kind for who, c in self.subscribed if who.channel == caller.channel]
        return "Subscriptions: " + (", ".join(k for k in kinds if k) or "none")

    def zone_for(self, caller: Caller, dossier: str) -> str | None:
        return None

    def followed(self, caller: Caller) -> str | None:
        return None

    async def follow(self, caller: Caller, dossier: str) -> None:
        return None


@dataclass
class Bot:
    fake: FakeDiscord
    adapter: DiscordAdapter
    store: Store
    desk: MemoryDesk


def make_settings(
    fake: FakeDiscord,
    db: Path,
    guild_id: int | None = GUILD_ID,
    token: str | None = None,
    **overrides: Any,
) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        accord_db=db,
        discord_token=token or fake.token,
        discord_api_base=fake.api_base,
        discord_guild_id=guild_id,
        **overrides,
    )


@asynccontextmanager
async def running_bot(
    tmp_path: Path,
    *,
    fake: FakeDiscord | None = None,
    guild_id: int | None = GUILD_ID,
    day: date | None = REPLAY_DAY,
    store: Store | None = None,
    registry: Registry | None = None,
    metered: bool = False,
    review: bool = False,
    **settings: Any,
) -> AsyncIterator[Bot]:
    """A fake Discord and the real adapter connected to it, with a store in tmp_path."""
    own_fake = fake is None
    fake = fake or await FakeDiscord().start()
    db = tmp_path / "accord.db"
    store = store or Store.open(db)
    clock = Clock(ZoneInfo("UTC"), day)
    desk = MemoryDesk()
    kind = MeteredDispatcher if metered else Dispatcher  # metered: counts like `run` does
    dispatcher = kind(
        Composer(store),
        lambda: clock,
        desk=desk,
        artifacts=FixedArtifacts(),
        curation=curation_desk(store, review=review),
        registry=registry or SPECS,
    )
    adapter = DiscordAdapter(
        make_settings(fake, db, guild_id, **settings), dispatcher, store, guild_ready_timeout=0.02
    )
    try:
        await adapter.start()
        yield Bot(fake, adapter, store, desk)
    finally:
        await adapter.stop()
        if own_fake:
            await fake.close()
