"""Several `accord-bot run` processes on one PostgreSQL database, with Slack and Discord.

Three real processes share the store; 3,000 channels (1,500 on each platform) are due
in the same minute. One process is killed with SIGKILL in the middle of the fan-out:
every channel still ends with exactly one digest, the survivors settling what the dead
one had claimed (its claims are orphans once its process is gone or its heartbeat stale).
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from fakes.discord import GUILD_ID, FakeDiscord
from fakes.slack import BOT_TOKEN, TEAM, FakeSlack
from fanout_support import bot_command, bot_env, next_minute, seed_digests
from slack_support import SIGNING_SECRET
from waiting import eventually

from briefings.store import Store

SLACK_CHANNELS = [f"C{n:05d}" for n in range(1500)]
DISCORD_CHANNELS = [str(910000000000000000 + n) for n in range(1500)]


async def start(
    url: str, slack: FakeSlack, discord: FakeDiscord, log: Path
) -> asyncio.subprocess.Process:
    env = bot_env(
        url,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
        SLACK_PORT="0",
        SLACK_HOST="127.0.0.1",
        DISCORD_TOKEN=discord.token,
        DISCORD_API_BASE=discord.api_base,
        DISCORD_GUILD_ID=str(GUILD_ID),
        DELIVERY_CONCURRENCY="20",
        DELIVERY_RATE_PER_SECOND="3000",
    )
    return await asyncio.create_subprocess_exec(
        *bot_command(),
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log.open("wb"),
    )


def slack_counts(fake: FakeSlack) -> Counter[str]:
    return Counter(m.channel for m in fake.messages)


def discord_counts(fake: FakeDiscord) -> Counter[str]:
    return Counter(
        {c: len(fake.messages.get(c, [])) for c in DISCORD_CHANNELS if c in fake.messages}
    )


def posted(slack: FakeSlack, discord: FakeDiscord) -> int:
    return len(slack.messages) + sum(len(m) for m in discord.messages.values())


async def test_three_processes_3000_channels_one_killed(postgres_url: str, tmp_path: Path) -> None:
    due = next_minute(margin=20)
    seed_digests(postgres_url, "slack", TEAM, SLACK_CHANNELS, at=due.time())
    seed_digests(postgres_url, "discord", str(GUILD_ID), DISCORD_CHANNELS, at=due.time())
    slack = await FakeSlack().start()
    discord = await FakeDiscord().start()
    slack.post_delay = 0.02  # deaths fall between a post and its ledger entry
    logs = [tmp_path / f"bot-{n}.log" for n in range(3)]
    bots = [await start(postgres_url, slack, discord, log) for log in logs]
    codes: list[int | None] = []
    try:
        wait = (due - datetime.now(UTC)).total_seconds()
        assert await eventually(lambda: posted(slack, discord) >= 600, wait + 60), (
            "the fan-out never started: " + logs[0].read_text()[-2000:]
        )
        bots[0].kill()  # SIGKILL in the middle of the fan-out
        await bots[0].wait()
        assert posted(slack, discord) < 3000
        everyone = set(SLACK_CHANNELS) | set(DISCORD_CHANNELS)

        def done() -> bool:
            return set(slack_counts(slack)) | set(discord_counts(discord)) == everyone

        assert await eventually(done, 120), (
            f"{len(everyone - set(slack_counts(slack)) - set(discord_counts(discord)))} "
            "channels got nothing"
        )
        await asyncio.sleep(2.0)  # anything still to come would be a duplicate
    finally:
        for bot in bots[1:]:
            if bot.returncode is None:
                bot.send_signal(signal.SIGTERM)
            codes.append(await asyncio.wait_for(bot.wait(), 30))
        await slack.stop()
        await discord.close()
    assert max(slack_counts(slack).values()) == 1
    assert max(discord_counts(discord).values()) == 1
    assert codes == [0, 0], logs[1].read_text()[-2000:]
    store = Store.open(postgres_url)
    try:
        rows = store.db.query("SELECT status, count(*) AS n FROM deliveries GROUP BY status")
        assert {r["status"]: r["n"] for r in rows} == {"delivered": 3000}
        # The dead process's claims were finished by the two that lived.
        owners = store.db.query("SELECT count(DISTINCT owner) AS n FROM deliveries")
        assert next(owners)["n"] >= 2
    finally:
        store.close()
