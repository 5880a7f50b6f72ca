"""/metrics after a fan-out to 500 Slack channels with faults: the post counters equal
what the fake recorded, and commands move the command counters and the histogram."""

from __future__ import annotations

import random
from pathlib import Path

import aiohttp
from fakes.slack import TEAM, FakeSlack
from fanout_support import seed_digests
from ops_support import free_port, metrics
from slack_support import post_command, settings_for
from waiting import eventually

from bot.adapters.slack import SlackAdapter
from bot.runtime import Bot

CHANNELS = [f"C{n:05d}" for n in range(500)]


def posts(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], result: str) -> float:
    labels = (("kind", "digest"), ("platform", "slack"), ("result", result))
    return samples.get(("accord_posts_total", labels), 0.0)


async def test_post_and_command_counters(tmp_path: Path) -> None:
    fake = await FakeSlack().start()
    db = tmp_path / "accord.db"
    seed_digests(db, "slack", TEAM, CHANNELS)
    picks = random.Random(3).sample(CHANNELS, 60)
    failing, dead = picks[:40], set(picks[40:])
    for channel in failing:
        fake.fail("chat.postMessage", channel=channel, status=500, retry_after=0)
    for channel in dead:
        fake.fail("chat.postMessage", channel=channel, error="channel_not_found", times=99)
    port = free_port()
    bot = Bot(
        settings_for(
            fake,
            accord_db=db,
            digest_grace_hours=24,
            delivery_concurrency=50,
            delivery_rate_per_second=2000,
            accord_http_port=port,
        )
    )
    bot.courier.base_backoff = 0.05
    await bot.start()
    try:
        live = set(CHANNELS) - dead
        assert await eventually(lambda: {m.channel for m in fake.messages} >= live, 60)
        assert await eventually(lambda: not bot.courier.in_flight, 10)
        samples = await metrics(port)
        # Channel posts only: the creators of paused subscriptions get a DM each (D...).
        posted = [m for m in fake.messages if m.channel.startswith("C")]
        tried = [c for c in fake.calls("chat.postMessage") if c.params["channel"][0] == "C"]
        assert posts(samples, "delivered") == len(posted)
        assert posts(samples, "retried") == len(failing)
        assert posts(samples, "gone") == len(dead)
        assert len(tried) == len(posted) + len(failing) + len(dead)
        assert posts(samples, "fatal") == 0
        state = (("kind", "digest"), ("platform", "slack"), ("state", "paused"))
        assert samples[("accord_subscriptions", state)] == len(dead)
        assert samples[("accord_store_revision", (("dossier", "doha-2020"),))] >= 1
        assert ("accord_scheduler_lag_seconds", ()) in samples

        # A digest already delivered today is skipped, and counted as such.
        sub = bot.subscriptions.active()[0]
        assert await bot.scheduler.run(sub.id) == "duplicate"
        assert posts(await metrics(port), "skipped_duplicate") == 1

        adapter = bot.adapters[0]
        assert isinstance(adapter, SlackAdapter)
        ok = (("outcome", "ok"), ("platform", "slack"), ("subcommand", "status"))
        bad = (("outcome", "error"), ("platform", "slack"), ("subcommand", "event"))
        count = ("accord_command_seconds_count", (("platform", "slack"),))
        before = await metrics(port)
        async with aiohttp.ClientSession() as session:
            for text in ("status", "status", "event no-such-event"):
                status, _ = await post_command(session, adapter, fake, text)
                assert status == 200
        assert await eventually(lambda: len(fake.responses) >= 3, 10)
        after = await metrics(port)
        total = ("accord_commands_total", ok)
        assert after[total] - before.get(total, 0) == 2
        assert after[("accord_commands_total", bad)] == 1
        assert after[count] - before.get(count, 0) == 3
    finally:
        await bot.stop()
        await fake.stop()
