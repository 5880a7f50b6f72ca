"""Subscribe by slash command on Slack and on Discord (their fakes), then let the real
APScheduler fire: the digest arrives at 08:00 local time in Asia/Kabul, America/New_York
(across the start of daylight saving time) and UTC, exactly once a day per channel."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
import time_machine
from digest_schedule import SCHEDULE, ZONES
from discord_support import option, sub
from fakes.discord import EVERYONE, GUILD_ID, MANAGE_GUILD, FakeDiscord
from fakes.slack import FakeSlack
from slack_support import post_command, settings_for
from waiting import eventually

from bot.runtime import Bot
from bot.settings import Settings

DISCORD_CHANNELS = {
    "kabul": 900000000000000301,
    "newyork": 900000000000000302,
    "utc": 900000000000000303,
}


async def check_schedule(
    bot: Bot, moving: time_machine.Coordinates, posts: Callable[[], list[str]]
) -> None:
    for count, (moment, channel) in enumerate(SCHEDULE, start=1):
        moving.move_to(moment - timedelta(seconds=1))
        bot.scheduler.aps.wakeup()
        assert await eventually(lambda n=count: len(posts()) >= n), f"nothing at {moment}"
        await asyncio.sleep(0.2)
        assert len(posts()) == count, posts()
        assert posts()[-1] == channel
    assert Counter(posts()) == {"kabul": 2, "newyork": 2, "utc": 2}


async def test_slack_channels_get_their_digest_at_local_time(tmp_path: object) -> None:
    with time_machine.travel(datetime(2026, 3, 6, 20, 0, tzinfo=UTC), tick=True) as moving:
        fake = await FakeSlack().start()
        bot = Bot(
            settings_for(
                fake,
                accord_db=tmp_path / "a.db",  # type: ignore[operator]
                accord_tz="UTC",
                slack_admin_ids=["U0BOSS"],
            )
        )
        await bot.start()
        try:
            adapter = bot.adapters[0]
            async with aiohttp.ClientSession() as session:
                for zone, channel in ZONES.items():
                    status, _ = await post_command(
                        session,
                        adapter,
                        fake,
                        f"subscribe digest 08:00 {zone}",  # type: ignore[arg-type]
                        user="U0BOSS",
                        channel=channel,
                    )
                    assert status == 200
            answers = await fake.wait_responses(3)
            assert all("daily digest at 08:00" in str(a) for a in answers)
            names = {m: m for m in ZONES.values()}
            await check_schedule(bot, moving, lambda: [names[m.channel] for m in fake.messages])
            assert all("Daily digest" in str(m.params.get("text")) for m in fake.messages)
        finally:
            await bot.stop()
            await fake.stop()


async def test_discord_channels_get_their_digest_at_local_time(tmp_path: object) -> None:
    with time_machine.travel(datetime(2026, 3, 6, 20, 0, tzinfo=UTC), tick=True) as moving:
        fake = await FakeDiscord().start()
        settings = Settings(
            _env_file=None,
            accord_db=tmp_path / "a.db",  # type: ignore[call-arg,operator]
            accord_tz="UTC",
            discord_token=fake.token,
            discord_api_base=fake.api_base,
            discord_guild_id=GUILD_ID,
        )
        bot = Bot(settings)
        await bot.start()
        try:
            for zone, channel in ZONES.items():
                options = sub(
                    "digest", option("time", "08:00"), option("zone", zone), group="subscribe"
                )
                token = await fake.inject(
                    "accord",
                    options,
                    channel_id=DISCORD_CHANNELS[channel],
                    permissions=EVERYONE | MANAGE_GUILD,
                )
                (answer,) = await fake.wait_answers(token)
                assert not answer.ephemeral and "daily digest at 08:00" in str(answer.payload)
            by_id = {str(v): k for k, v in DISCORD_CHANNELS.items()}

            def posts() -> list[str]:
                sent = fake.requests_to("POST", "/channels/")
                return [by_id[q.path.split("/")[-2]] for q in sent]

            await check_schedule(bot, moving, posts)
        finally:
            await bot.stop()
            await fake.close()


@pytest.mark.parametrize("platform", ["slack", "discord"])
async def test_members_who_cannot_manage_are_refused(platform: str, tmp_path: object) -> None:
    if platform == "slack":
        slack = await FakeSlack().start()
        bot = Bot(settings_for(slack, accord_db=tmp_path / "a.db"))  # type: ignore[operator]
        await bot.start()
        try:
            async with aiohttp.ClientSession() as session:
                await post_command(
                    session,
                    bot.adapters[0],
                    slack,  # type: ignore[arg-type]
                    "subscribe digest 08:00 UTC",
                    user="U0NOBODY",
                )
            (answer,) = await slack.wait_responses(1)
            assert answer["response_type"] == "ephemeral"
            assert "nothing was changed" in str(answer)
            assert bot.subscriptions.all() == []
        finally:
            await bot.stop()
            await slack.stop()
    else:
        fake = await FakeDiscord().start()
        settings = Settings(
            _env_file=None,
            accord_db=tmp_path / "a.db",  # type: ignore[call-arg,operator]
            discord_token=fake.token,
            discord_api_base=fake.api_base,
            discord_guild_id=GUILD_ID,
        )
        bot = Bot(settings)
        await bot.start()
        try:
            options = sub("digest", option("time", "08:00"), group="subscribe")
            token = await fake.inject("accord", options, permissions=EVERYONE)
            (answer,) = await fake.wait_answers(token)
            assert answer.ephemeral and "nothing was changed" in str(answer.payload)
            assert bot.subscriptions.all() == []
        finally:
            await bot.stop()
            await fake.close()
