"""The digest's Corrections part through the real scheduler, the real APScheduler on a
moving clock and the fake Slack: the digest after a correction lists it (what changed,
why), the next one does not; a replaying bot's digest lists none."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import time_machine
from fakes.slack import FakeSlack
from slack_support import post_command, settings_for
from waiting import eventually

from bot.runtime import Bot

BOSS, ANA = "U0BOSS", "U0ANA"


async def test_the_next_digest_lists_a_correction_once(tmp_path: Path) -> None:
    with time_machine.travel(datetime(2026, 3, 6, 6, 0, tzinfo=UTC), tick=True) as moving:
        fake = await FakeSlack().start()
        bot = Bot(
            settings_for(
                fake,
                accord_db=tmp_path / "a.db",
                accord_tz="UTC",
                slack_admin_ids=[BOSS],
                slack_curator_ids=[ANA],
                accord_http_port=0,
            )
        )
        await bot.start()
        try:
            adapter = bot.adapters[0]
            event = bot.store.event_ids(bot.store.info().signed)[0]
            async with aiohttp.ClientSession() as session:
                await post_command(
                    session, adapter, fake, "subscribe digest 08:00 UTC", user=BOSS, channel="C1"
                )  # type: ignore[arg-type]
                correct = f'curate correct {event} title:"Signed in Doha" reason:"its own words"'
                await post_command(session, adapter, fake, correct, user=ANA, channel="C9")  # type: ignore[arg-type]
                answers = await fake.wait_responses(2)
            assert "corrected as revision" in json.dumps(answers)
            # Made at 06:00, before that day's 08:00 digest: that digest lists it.
            for day in (6, 7):
                moving.move_to(datetime(2026, 3, day, 8, 0, tzinfo=UTC) - timedelta(seconds=1))
                bot.scheduler.aps.wakeup()
                assert await eventually(lambda n=day - 5: len(fake.messages) >= n)
            first, second = (json.dumps(m.params, ensure_ascii=False) for m in fake.messages)
            assert "Corrections" in first and "Signed in Doha" in first
            assert "its own words" in first
            assert "Corrections" not in second
        finally:
            await bot.stop()
            await fake.stop()
