"""Shared set-up for the fan-out tests: many subscribed channels, due now, on one store."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from bot.subscriptions import Subscriptions
from briefings.store import Store

REPO = Path(__file__).resolve().parents[1]


def seed_digests(
    db: Path | str, platform: str, workspace: str, channels: list[str], at: time = time(0, 0)
) -> None:
    """Subscribe every channel to a digest at `at` UTC, subscribed yesterday. With the
    default 00:00 and a day's grace, the bot's start-up catch-up finds them all due today
    and not yet delivered."""
    store = Store.open(db)
    subs = Subscriptions(store.db)
    with store.db.atomic():
        for channel in channels:
            subs.upsert(
                platform,
                workspace,
                channel,
                "digest",
                dossier="doha-2020",
                by="U0BOSS",
                zone="UTC",
                at=at,
            )
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat(timespec="seconds")
    store.db.execute("UPDATE subscriptions SET created_at = ?", [yesterday])
    store.close()


def next_minute(margin: float = 8.0) -> datetime:
    """The next whole minute (UTC) at least `margin` seconds away."""
    soon = datetime.now(UTC) + timedelta(seconds=margin + 60)
    return soon.replace(second=0, microsecond=0)


def bot_command() -> list[str]:
    """`accord-bot run`, through the same entry point the console script calls."""
    return [sys.executable, "-c", "from bot.cli import main; main()", "run"]


def bot_env(db: Path | str, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ACCORD_", "SLACK_", "DISCORD_", "DELIVERY_", "DIGEST_"))
    }
    env.update(
        ACCORD_DB=str(db),
        ACCORD_TZ="UTC",
        ACCORD_HTTP_PORT="0",
        DIGEST_GRACE_HOURS="24",
        PYTHONPATH=str(REPO),
    )
    env.update(extra)
    return env
