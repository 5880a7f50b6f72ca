"""SIGTERM in the middle of a fan-out: no new posts start, the stuck one is recorded as
interrupted, the process exits 0 within Docker's 10 s, and the next start completes
every channel exactly once."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from collections import Counter
from pathlib import Path

from fakes.slack import BOT_TOKEN, TEAM, FakeSlack
from fanout_support import bot_command, bot_env, seed_digests
from slack_support import SIGNING_SECRET
from waiting import eventually

CHANNELS = [f"C{n:04d}" for n in range(300)]


async def start(db: Path, fake: FakeSlack, log: Path) -> asyncio.subprocess.Process:
    env = bot_env(
        db,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        SLACK_PORT="0",
        SLACK_HOST="127.0.0.1",
        DELIVERY_CONCURRENCY="4",
        DELIVERY_RATE_PER_SECOND="2000",
    )
    with log.open("ab") as sink:
        return await asyncio.create_subprocess_exec(
            *bot_command(), env=env, stdin=asyncio.subprocess.DEVNULL, stderr=sink
        )


def statuses(db: Path) -> Counter[str]:
    with sqlite3.connect(db) as conn:
        return Counter(r[0] for r in conn.execute("SELECT status FROM deliveries"))


async def test_sigterm_lets_posts_finish_and_the_next_start_completes(tmp_path: Path) -> None:
    fake = await FakeSlack().start()
    fake.post_delay = 0.05
    db, log = tmp_path / "accord.db", tmp_path / "bot.log"
    seed_digests(db, "slack", TEAM, CHANNELS)
    stuck = CHANNELS[0]
    fake.fail("chat.postMessage", channel=stuck, status=500, delay=12, retry_after=0)
    first = await start(db, fake, log)
    assert await eventually(lambda: len(fake.messages) >= 40, 60), log.read_text()
    first.send_signal(signal.SIGTERM)
    asked = time.monotonic()
    code = await asyncio.wait_for(first.wait(), 20)
    took = time.monotonic() - asked
    assert code == 0, log.read_text()
    assert took < 10.5, took
    stopped_at = len(fake.messages)
    assert stopped_at < len(CHANNELS)
    await asyncio.sleep(0.3)
    assert len(fake.messages) == stopped_at  # nothing started after the stop
    after_stop = statuses(db)
    assert "claimed" not in after_stop
    assert after_stop["interrupted"] >= 1  # the stuck post is not lost

    second = await start(db, fake, log)
    try:
        assert await eventually(lambda: statuses(db)["delivered"] == len(CHANNELS), 90), statuses(
            db
        )
    finally:
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), 20) == 0
    counts = Counter(m.channel for m in fake.messages)
    assert set(counts) == set(CHANNELS)
    assert max(counts.values()) == 1
    await fake.stop()
