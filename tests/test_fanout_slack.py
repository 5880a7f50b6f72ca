"""Digest fan-out to 1,000 Slack channels: faults, a crash mid fan-out, two processes.

The bot runs as `accord-bot run` does (in-process through bot.runtime.Bot, or as a real
child process killed with SIGKILL) against the fake Slack on 127.0.0.1; every channel
must end with exactly one digest.
"""

from __future__ import annotations

import asyncio
import random
import signal
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from fakes.slack import BOT_TOKEN, TEAM, FakeSlack
from fanout_support import bot_command, bot_env, next_minute, seed_digests
from slack_support import SIGNING_SECRET, post_command, settings_for
from waiting import eventually

from bot.runtime import Bot
from briefings.store import Store

CHANNELS = [f"C{n:05d}" for n in range(1000)]


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.stop()


def per_channel(fake: FakeSlack) -> Counter[str]:
    return Counter(m.channel for m in fake.messages)


async def test_faults_during_fan_out(fake: FakeSlack, tmp_path: Path) -> None:
    db = tmp_path / "accord.db"
    seed_digests(db, "slack", TEAM, CHANNELS)
    picks = random.Random(5).sample(CHANNELS, 170)
    limited, failing, dead = picks[:100], picks[100:150], set(picks[150:])
    for channel in limited:
        fake.fail("chat.postMessage", channel=channel, status=429, retry_after=1)
    for channel in failing:
        fake.fail("chat.postMessage", channel=channel, status=500)
    for channel in dead:
        fake.fail("chat.postMessage", channel=channel, error="channel_not_found", times=99)
    bot = Bot(
        settings_for(
            fake,
            accord_db=db,
            digest_grace_hours=24,
            delivery_concurrency=50,
            delivery_rate_per_second=2000,
            slack_admin_ids=["U0BOSS"],
        )
    )
    bot.courier.base_backoff = 0.2
    await bot.start()
    try:
        live = set(CHANNELS) - dead
        assert await eventually(lambda: set(per_channel(fake)) >= live, 60), (
            f"{len(live - set(per_channel(fake)))} live channels got nothing"
        )
        assert await eventually(lambda: len(bot.subscriptions.active()) == len(live), 10)
        counts = per_channel(fake)
        assert all(counts[c] == 1 for c in live), [c for c in live if counts[c] != 1]
        assert not set(counts) & dead
        paused = [s for s in bot.subscriptions.all() if s.paused]
        assert {s.channel for s in paused} == dead
        assert all("channel_not_found" in (s.paused_reason or "") for s in paused)
        # The scheduler keeps running, and commands still answer.
        assert bot.scheduler.aps.running
        assert bot.scheduler.next_run(bot.subscriptions.active()[0]) is not None
        adapter = bot.adapters[0]
        async with aiohttp.ClientSession() as session:
            status, _ = await post_command(session, adapter, fake, "status")  # type: ignore[arg-type]
        assert status == 200
        assert await eventually(lambda: bool(fake.responses), 5)
        assert fake.responses[-1]["response_type"] == "in_channel"
    finally:
        await bot.stop()


async def start_bot(db: Path, fake: FakeSlack, port: int) -> asyncio.subprocess.Process:
    log = (db.parent / f"bot-{len(list(db.parent.glob('bot-*.log')))}.log").open("wb")
    env = bot_env(
        db,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        SLACK_PORT=str(port),
        SLACK_HOST="127.0.0.1",
        DELIVERY_CONCURRENCY="20",
        DELIVERY_RATE_PER_SECOND="2000",
    )
    return await asyncio.create_subprocess_exec(
        *bot_command(),
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log,
    )


async def stop_bot(process: asyncio.subprocess.Process) -> int | None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(process.wait(), 30)


def ledger_counts(db: Path) -> dict[str, int]:
    store = Store.open(db)
    try:
        rows = store.db.query("SELECT status, count(*) AS n FROM deliveries GROUP BY status")
        return {r["status"]: r["n"] for r in rows}
    finally:
        store.close()


async def test_restart_in_the_middle_of_a_fan_out(fake: FakeSlack, tmp_path: Path) -> None:
    db = tmp_path / "accord.db"
    seed_digests(db, "slack", TEAM, CHANNELS)
    fake.post_delay = 0.05  # posts are recorded, then answered late: deaths fall in between
    first = await start_bot(db, fake, 0)
    assert await eventually(lambda: len(fake.messages) >= 300, 60), "the fan-out never started"
    first.kill()  # SIGKILL: no clean-up at all
    await first.wait()
    before = len(fake.messages)
    assert before < len(CHANNELS)
    second = await start_bot(db, fake, 0)
    try:
        assert await eventually(lambda: set(per_channel(fake)) == set(CHANNELS), 90), (
            f"{len(set(CHANNELS) - set(per_channel(fake)))} channels got nothing"
        )
        await asyncio.sleep(1.0)  # anything still to come would be a duplicate
    finally:
        code = await stop_bot(second)
    counts = per_channel(fake)
    assert max(counts.values()) == 1, [c for c, n in counts.items() if n > 1][:10]
    assert code == 0, (tmp_path / "bot-1.log").read_text()
    assert ledger_counts(db) == {"delivered": len(CHANNELS)}


async def test_two_processes_on_one_database_post_once(fake: FakeSlack, tmp_path: Path) -> None:
    # Both processes are up when the digests fall due, so both race for every claim.
    db = tmp_path / "accord.db"
    due = next_minute()
    seed_digests(db, "slack", TEAM, CHANNELS, at=due.time())
    fake.post_delay = 0.01
    bots = [await start_bot(db, fake, 0), await start_bot(db, fake, 0)]
    try:
        wait = (due - datetime.now(UTC)).total_seconds()
        assert await eventually(lambda: set(per_channel(fake)) == set(CHANNELS), wait + 60)
        await asyncio.sleep(1.0)
    finally:
        results = [await stop_bot(b) for b in bots]
    counts = per_channel(fake)
    assert len(fake.messages) == len(CHANNELS), max(counts.values())
    assert results == [0, 0]
    assert ledger_counts(db) == {"delivered": len(CHANNELS)}
