"""Digests and reminders through the real APScheduler, with time moved by time-machine.

The bot is built exactly as `accord-bot run` builds it (bot.runtime.Bot) with the
console adapter; the clock is moved to just before each local delivery time and the
scheduler woken, so the real CronTrigger decides when each channel's digest fires.
"""

from __future__ import annotations

import asyncio
import io
import os
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
import time_machine
from digest_schedule import SCHEDULE, ZONES
from waiting import eventually

from bot.commands import Caller, Command
from bot.runtime import Bot
from bot.settings import Settings


def settings_for(db: Path | str, **extra: object) -> Settings:
    return Settings(_env_file=None, accord_db=db, accord_tz="UTC", **extra)  # type: ignore[call-arg]


class Harness:
    def __init__(self, db: Path | str) -> None:
        self.db = db
        self.out = io.StringIO()
        read_fd, self.write_fd = os.pipe()
        self.stdin = os.fdopen(read_fd)
        self.bot = Bot(settings_for(db), stdin=self.stdin, stdout=self.out)

    @property
    def posted(self) -> list[str]:
        return self.bot.console.poster.posted if self.bot.console else []

    async def subscribe(
        self,
        channel: str,
        zone: str,
        at: time = time(8, 0),
        kind: str = "digest",
        can_manage: bool = True,
    ) -> str:
        caller = Caller("console", "console", channel, "tester", can_manage=can_manage)
        command = Command(
            "subscribe", sub_kind=kind, at=at if kind == "digest" else None, zone=zone
        )
        reply = await self.bot.dispatcher.dispatch(command, caller)
        return reply.plain_text

    async def stop(self) -> None:
        os.close(self.write_fd)
        await self.bot.stop()
        self.stdin.close()


async def fire_at(
    harness: Harness, traveller: time_machine.Coordinates, moment: datetime, expect_posts: int
) -> None:
    """Move the clock to just before `moment`, wake the scheduler, wait for the posts."""
    traveller.move_to(moment - timedelta(seconds=1))
    harness.bot.scheduler.aps.wakeup()
    assert await eventually(lambda: len(harness.posted) >= expect_posts), (
        f"expected {expect_posts} posts by {moment}, got {harness.posted}"
    )
    await asyncio.sleep(0.1)  # let anything that should not happen have its chance


@pytest.fixture
def traveller() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(datetime(2026, 3, 6, 20, 0, tzinfo=UTC), tick=True) as moving:
        yield moving


@pytest.fixture
async def harness(db_location: str, traveller: time_machine.Coordinates) -> AsyncIterator[Harness]:
    made = Harness(db_location)
    await made.bot.start()
    yield made
    await made.stop()


async def test_digest_arrives_at_local_time_in_three_zones_across_dst(
    harness: Harness, traveller: time_machine.Coordinates
) -> None:
    for zone, channel in ZONES.items():
        answer = await harness.subscribe(channel, zone)
        assert "daily digest at 08:00" in answer and zone in answer
    for count, (moment, channel) in enumerate(SCHEDULE, start=1):
        await fire_at(harness, traveller, moment, count)
        assert harness.posted[-1].startswith(f"console:console:{channel}:digest:doha-2020|")
        assert len(harness.posted) == count
    per_channel = Counter(key.split("|")[0] for key in harness.posted)
    assert set(per_channel.values()) == {2}
    assert len(set(harness.posted)) == 6
    # Nothing fired early: the New York digest of 8 March came at 12:00 UTC, not 13:00.
    assert harness.posted[-1] == "console:console:newyork:digest:doha-2020|2026-03-08"


async def test_repeated_dst_hour_posts_once(
    db_location: str, traveller: time_machine.Coordinates
) -> None:
    # Start the bot the day before: a jump of months would make APScheduler walk every
    # missed 10-second heartbeat between the two dates, which blocks the loop for seconds.
    traveller.move_to(datetime(2026, 10, 31, 12, 0, tzinfo=UTC))
    harness = Harness(db_location)
    await harness.bot.start()
    try:
        # 1 November 2026, New York: 01:30 happens twice (EDT, then EST).
        await harness.subscribe("newyork", "America/New_York", at=time(1, 30))
        await fire_at(harness, traveller, datetime(2026, 11, 1, 5, 30, tzinfo=UTC), 1)
        traveller.move_to(datetime(2026, 11, 1, 6, 29, 59, tzinfo=UTC))
        harness.bot.scheduler.aps.wakeup()
        await asyncio.sleep(1.5)
        assert harness.posted == ["console:console:newyork:digest:doha-2020|2026-11-01"]
    finally:
        await harness.stop()


async def test_missed_digest_is_caught_up_once_the_same_day(
    db_location: str, traveller: time_machine.Coordinates
) -> None:
    first = Harness(db_location)
    await first.bot.start()
    await first.subscribe("utc", "UTC")
    await first.stop()
    # Down over 08:00 on 7 March; back at 09:30 the same day.
    traveller.move_to(datetime(2026, 3, 7, 9, 30, tzinfo=UTC))
    second = Harness(db_location)
    await second.bot.start()
    assert await eventually(lambda: len(second.posted) == 1)
    assert second.posted == ["console:console:utc:digest:doha-2020|2026-03-07"]
    await second.stop()
    # Another restart the same day delivers nothing more.
    traveller.move_to(datetime(2026, 3, 7, 10, 0, tzinfo=UTC))
    third = Harness(db_location)
    await third.bot.start()
    await asyncio.sleep(0.5)
    assert third.posted == []
    await third.stop()


async def test_digest_missed_on_a_previous_day_is_not_sent(
    db_location: str, traveller: time_machine.Coordinates
) -> None:
    first = Harness(db_location)
    await first.bot.start()
    await first.subscribe("utc", "UTC")
    await first.stop()
    traveller.move_to(datetime(2026, 3, 8, 7, 0, tzinfo=UTC))  # the 7th was missed entirely
    second = Harness(db_location)
    await second.bot.start()
    await asyncio.sleep(0.5)
    assert second.posted == []
    await fire_at(second, traveller, datetime(2026, 3, 8, 8, 0, tzinfo=UTC), 1)
    assert second.posted == ["console:console:utc:digest:doha-2020|2026-03-08"]
    await second.stop()


async def test_reminders_fire_on_their_offsets_in_replay(tmp_path: Path) -> None:
    # Rehearse March 2020: as of 3 March the talks and the prisoner release are 7 days out.
    with time_machine.travel(datetime(2026, 3, 6, 20, 0, tzinfo=UTC), tick=True) as moving:
        out = io.StringIO()
        read_fd, write_fd = os.pipe()
        stdin = os.fdopen(read_fd)
        bot = Bot(
            settings_for(tmp_path / "a.db", accord_as_of="2020-03-03"), stdin=stdin, stdout=out
        )
        await bot.start()
        caller = Caller("console", "console", "desk", "tester", can_manage=True)
        reply = await bot.dispatcher.dispatch(
            Command("subscribe", sub_kind="reminders", zone="UTC"), caller
        )
        assert "countdown reminders 30, 7, 1, 0 days" in reply.plain_text
        moving.move_to(datetime(2026, 3, 7, 8, 59, 59, tzinfo=UTC))
        bot.scheduler.aps.wakeup()
        assert bot.console is not None
        poster = bot.console.poster
        assert await eventually(lambda: len(poster.posted) == 1)
        assert poster.posted == ["console:console:desk:reminders:doha-2020|2026-03-07@2020-03-03"]
        text = out.getvalue()
        assert "7 days until" in text
        assert "Intra-Afghan negotiations" in text
        os.close(write_fd)
        await bot.stop()
        stdin.close()


async def test_non_managers_cannot_subscribe_and_bad_input_is_refused(
    harness: Harness,
) -> None:
    refused = await harness.subscribe("room", "UTC", can_manage=False)
    assert "nothing was changed" in refused
    assert harness.bot.subscriptions.active() == []
    caller = Caller("console", "console", "room", "tester", can_manage=True)
    for text, expected in (
        ("subscribe digest 25:00", "not a time of day"),
        ("subscribe digest 08:00 Mars/Olympus", "not a time zone"),
        ("subscribe reminders 7,x", "not a list of reminder days"),
    ):
        reply = await harness.bot.dispatcher.handle_text(text, caller)
        assert reply.error and not reply.public and expected in reply.plain_text
    assert harness.bot.subscriptions.active() == []


async def test_resubscribing_updates_and_unsubscribe_removes_the_job(harness: Harness) -> None:
    await harness.subscribe("room", "UTC", at=time(8, 0))
    answer = await harness.subscribe("room", "Asia/Kabul", at=time(7, 15))
    assert answer.startswith("Updated")
    subs = harness.bot.subscriptions.active()
    assert len(subs) == 1 and subs[0].zone == "Asia/Kabul" and subs[0].at == time(7, 15)
    job = harness.bot.scheduler.job_for(subs[0])
    assert harness.bot.scheduler.aps.get_job("digest@08:00@UTC") is None  # the old slot
    assert job is not None and str(job.trigger.timezone) == "Asia/Kabul"
    caller = Caller("console", "console", "room", "tester", can_manage=True)
    listing = await harness.bot.dispatcher.handle_text("subscriptions", caller)
    assert "07:15 Asia/Kabul" in listing.plain_text and "next: " in listing.plain_text
    gone = await harness.bot.dispatcher.handle_text("unsubscribe all", caller)
    assert "Unsubscribed" in gone.plain_text
    assert harness.bot.scheduler.job_for(subs[0]) is None
    assert harness.bot.scheduler.aps.get_job("digest@08:00@UTC") is None
    assert harness.bot.subscriptions.active() == []


async def test_resubscribing_keeps_what_was_not_said_again(harness: Harness) -> None:
    caller = Caller("console", "console", "room", "tester", can_manage=True)
    await harness.bot.dispatcher.handle_text("subscribe digest 07:30 Asia/Kabul", caller)
    again = await harness.bot.dispatcher.handle_text("subscribe digest chart", caller)
    assert "07:30 Asia/Kabul with the chart" in again.plain_text
    (sub,) = harness.bot.subscriptions.active()
    assert (sub.zone, sub.at, sub.with_chart) == ("Asia/Kabul", time(7, 30), True)


async def test_digest_preview_covers_the_channels_own_day(
    harness: Harness, traveller: time_machine.Coordinates
) -> None:
    # 21:00 UTC on 6 March is already 7 March in Kiritimati (UTC+14).
    caller = Caller("console", "console", "room", "tester", can_manage=True)
    await harness.bot.dispatcher.handle_text("subscribe digest 04:00 Pacific/Kiritimati", caller)
    traveller.move_to(datetime(2026, 3, 6, 21, 0, tzinfo=UTC))
    preview = await harness.bot.dispatcher.handle_text("digest", caller)
    assert preview.briefing is not None and preview.briefing.as_of.isoformat() == "2026-03-07"
    elsewhere = Caller("console", "console", "other", "tester", can_manage=True)
    plain = await harness.bot.dispatcher.handle_text("digest", elsewhere)
    assert plain.briefing is not None and plain.briefing.as_of.isoformat() == "2026-03-06"


def test_a_run_reads_the_clock_once() -> None:
    import inspect

    from bot.scheduler import Scheduler

    for method in (Scheduler._due_today, Scheduler._key, Scheduler._run, Scheduler._settle):
        assert "datetime.now" not in inspect.getsource(method), method.__name__
