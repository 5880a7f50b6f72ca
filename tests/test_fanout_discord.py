"""Digest fan-out to 1,000 Discord channels while the fake answers with faults: 10% 429
(with retry_after and Via), 5% 500, 2% unknown channel. Every live channel gets exactly
one digest, dead ones are paused with the reason, and the bot keeps answering."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

from discord_support import sub
from fakes.discord import GUILD_ID, FakeDiscord
from fanout_support import seed_digests
from waiting import eventually

from bot.runtime import Bot
from bot.settings import Settings

CHANNELS = [str(900000000000100000 + n) for n in range(1000)]


async def test_faults_during_fan_out(tmp_path: Path) -> None:
    fake = await FakeDiscord().start()
    db = tmp_path / "accord.db"
    seed_digests(db, "discord", str(GUILD_ID), CHANNELS)
    picks = random.Random(7).sample(CHANNELS, 170)
    limited, failing, dead = picks[:100], picks[100:150], set(picks[150:])
    for channel in limited:
        fake.rate_limit(channel, retry_after=0.2)
    for channel in failing:
        fake.fail(channel, 500)
    for channel in dead:
        for _ in range(3):
            fake.fail(channel, 404, {"code": 10003, "message": "Unknown Channel"})
    settings = Settings(
        _env_file=None,
        accord_db=db,
        accord_tz="UTC",  # type: ignore[call-arg]
        discord_token=fake.token,
        discord_api_base=fake.api_base,
        discord_guild_id=GUILD_ID,
        digest_grace_hours=24,
        delivery_concurrency=50,
        delivery_rate_per_second=2000,
    )
    bot = Bot(settings)
    bot.courier.base_backoff = 0.2
    await bot.start()
    try:
        live = set(CHANNELS) - dead

        def delivered() -> Counter[str]:
            return Counter({c: len(ms) for c, ms in fake.messages.items() if ms})

        assert await eventually(lambda: set(delivered()) >= live, 90), (
            f"{len(live - set(delivered()))} live channels got nothing"
        )
        assert await eventually(lambda: len(bot.subscriptions.active()) == len(live), 10)
        counts = delivered()
        assert all(counts[c] == 1 for c in live)
        assert not set(counts) & dead
        paused = [s for s in bot.subscriptions.all() if s.paused]
        assert {s.channel for s in paused} == dead
        assert all(
            "10003" in (s.paused_reason or "") or "Unknown Channel" in (s.paused_reason or "")
            for s in paused
        ), paused[0].paused_reason
        assert bot.scheduler.aps.running
        token = await fake.inject("accord", sub("status"))
        (answer,) = await fake.wait_answers(token, timeout=10)
        assert not answer.ephemeral
    finally:
        await bot.stop()
        await fake.close()
