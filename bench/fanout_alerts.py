"""The alerts row of bench/fanout.py: one change alerted to 5,000 channels.

Half the channels on the fake Slack, half on the fake Discord, each fake limited to a
rate like the real platforms'. One `accord-bot run` process watches the store; the bench
records one curated event (as a curator in chat would) and measures how fast the alert
reaches every channel: posts per second as a fraction of each fake's limit (target at
least 0.9), duplicates and losses (0).
"""

from __future__ import annotations

import asyncio
import signal
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from fakes.discord import GUILD_ID, FakeDiscord
from fakes.slack import BOT_TOKEN, TEAM, FakeSlack
from fanout_support import bot_command, bot_env

from bot.subscriptions import Subscriptions
from briefings.changes import Change, Curator
from briefings.database import describe
from briefings.revisions import Author
from briefings.store import Store

DOSSIER = "doha-2020"


def seed_alerts(db: Path | str, channels: int) -> None:
    store = Store.open(db)
    subs = Subscriptions(store.db)
    if subs.all():
        store.close()
        raise SystemExit(f"bench/fanout.py: {describe(db)} already has subscriptions")
    revision = store.revision()
    with store.db.atomic():
        for n in range(channels):
            platform, workspace = ("slack", TEAM) if n % 2 else ("discord", str(GUILD_ID))
            channel = f"C{n:06d}" if n % 2 else str(900000000001000000 + n)
            subs.upsert(
                platform,
                workspace,
                channel,
                "alerts",
                dossier=DOSSIER,
                by="bench",
                zone="UTC",
                revision=revision,
            )
    store.close()


def record_change(db: Path | str) -> int:
    """One event, recorded as a curator in chat would: the watcher's cue."""
    store = Store.open(db)
    view = store.view(DOSSIER)
    source = sorted(view.sources(date.max))[0]
    applied = Curator(store).apply(
        Change(
            "event",
            DOSSIER,
            Author("bench", "bench", "bench"),
            {"date": "2020-03-04", "title": "An alerted event", "sources": source},
        )
    )
    store.close()
    return applied.revision


def _rate(times: list[float]) -> float:
    times = sorted(times)
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0


async def run_alerts(channels: int, limit: float, bot_rate: float, url: str | None) -> int:
    slack = await FakeSlack().start()
    slack.rate_limit = limit
    slack.keep_responses = False
    discord = await FakeDiscord().start()
    discord.posts_per_second = limit
    scratch = tempfile.TemporaryDirectory(prefix="accord-alerts-")
    workdir = Path(scratch.name)
    db: Path | str = url or workdir / "accord.db"
    seed_alerts(db, channels)
    env = bot_env(
        db,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET="bench",
        SLACK_API_URL=slack.api_url,
        SLACK_PORT="0",
        SLACK_HOST="127.0.0.1",
        DISCORD_TOKEN=discord.token,
        DISCORD_API_BASE=discord.api_base,
        DISCORD_GUILD_ID=str(GUILD_ID),
        DELIVERY_CONCURRENCY="64",
        DELIVERY_RATE_PER_SECOND=str(bot_rate),
    )
    log_path = workdir / "bot.log"
    with log_path.open("wb") as log:
        bot = await asyncio.create_subprocess_exec(
            *bot_command(),
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
        )
    await asyncio.sleep(6)  # connected, and the watcher has had its first look
    revision = record_change(db)
    changed_at = time.perf_counter()
    print(f"revision {revision} alerted to {channels:,} channels; waiting…", file=sys.stderr)
    half = channels // 2
    deadline = time.monotonic() + 40 + 3 * channels / limit
    while time.monotonic() < deadline:
        discord_posts = sum(len(m) for m in discord.messages.values())
        if len(slack.messages) >= half and discord_posts >= channels - half:
            break
        await asyncio.sleep(0.5)
    await asyncio.sleep(2)  # anything later would be a duplicate
    bot.send_signal(signal.SIGTERM)
    code = await bot.wait()
    rows: list[tuple[Any, ...]] = []
    discord_times = [q.at for q in discord.requests_to("POST", "/channels/") if q.json]
    for name, counts, expected, times in (
        ("slack", Counter(m.channel for m in slack.messages), half, [m.at for m in slack.messages]),
        (
            "discord",
            Counter({c: len(m) for c, m in discord.messages.items() if m}),
            channels - half,
            discord_times,
        ),
    ):
        duplicates = sum(n - 1 for n in counts.values() if n > 1)
        first = min(times) - changed_at if times else float("nan")
        achieved = _rate(times)
        rows.append(
            (name, expected, len(counts), duplicates, expected - len(counts), achieved, first)
        )
    where = describe(db) if url else "SQLite"
    print(
        f"\nalerts: one change to {channels:,} channels by 1 process on {where}; fakes "
        f"limited to {limit:g} posts/s each\n"
    )
    print(
        "| platform | subscribed | alerted | duplicates | losses | posts/s | of limit "
        "| first post after |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, expected, got, dup, lost, achieved, first in rows:
        print(
            f"| {name} | {expected:,} | {got:,} | {dup} | {lost} | {achieved:,.0f} | "
            f"{achieved / limit:.2f} | {first:.1f} s |"
        )
    await slack.stop()
    await discord.close()
    scratch.cleanup()
    good = all(r[3] == 0 and r[4] == 0 and r[5] / limit >= 0.9 for r in rows) and code == 0
    return 0 if good else 1
