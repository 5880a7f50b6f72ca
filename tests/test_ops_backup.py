"""Backup during a 1,000-channel fan-out, restore, restart: the copy is sound and no
channel gets its digest twice. Restore refuses what is not an accord store, a newer
schema and a running bot, and keeps the replaced store."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from fakes.slack import TEAM, FakeSlack
from fanout_support import seed_digests
from slack_support import settings_for
from waiting import eventually

from bot.ops.backup import BackupError, backup, restore
from bot.runtime import Bot
from briefings.store import Store

CHANNELS = [f"C{n:05d}" for n in range(1000)]


def make_bot(fake: FakeSlack, db: Path) -> Bot:
    return Bot(
        settings_for(
            fake,
            accord_db=db,
            digest_grace_hours=24,
            delivery_concurrency=20,
            delivery_rate_per_second=2000,
        )
    )


def delivered(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        (n,) = conn.execute("SELECT count(*) FROM deliveries WHERE status='delivered'").fetchone()
    return int(n)


async def test_backup_during_fan_out_then_restore_posts_nothing_twice(tmp_path: Path) -> None:
    fake = await FakeSlack().start()
    fake.post_delay = 0.01
    db = tmp_path / "accord.db"
    copy = tmp_path / "backups" / "accord-backup.db"
    seed_digests(db, "slack", TEAM, CHANNELS)
    bot = make_bot(fake, db)
    await bot.start()
    try:
        assert await eventually(lambda: len(fake.messages) >= 200, 60)
        await asyncio.to_thread(backup, db, copy)  # while the loop keeps posting
        at_backup = len(fake.messages)
        assert await eventually(lambda: len(fake.messages) >= len(CHANNELS), 90)
    finally:
        await bot.stop()
    assert at_backup < len(CHANNELS)
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        (subs,) = conn.execute("SELECT count(*) FROM subscriptions").fetchone()
        assert subs == len(CHANNELS)
    assert delivered(copy) < len(CHANNELS)

    kept = restore(copy, db)
    assert kept is not None and kept.exists() and kept.parent == db.parent
    assert delivered(kept) == len(CHANNELS)

    again = make_bot(fake, db)
    await again.start()
    try:
        assert await eventually(lambda: delivered(db) == len(CHANNELS), 90), delivered(db)
        await asyncio.sleep(0.5)
    finally:
        await again.stop()
    counts = Counter(m.channel for m in fake.messages)
    assert set(counts) == set(CHANNELS)
    assert max(counts.values()) == 1, [c for c, n in counts.items() if n > 1][:5]
    await fake.stop()


def test_restore_refuses_what_it_should(tmp_path: Path) -> None:
    db = tmp_path / "accord.db"
    Store.open(db).close()
    stranger = tmp_path / "other.db"
    with sqlite3.connect(stranger) as conn:
        conn.execute("CREATE TABLE notes (x)")
    with pytest.raises(BackupError, match="not an accord store"):
        restore(stranger, db)
    text = tmp_path / "notes.txt"
    text.write_text("hello, not a database at all" * 100)
    with pytest.raises(BackupError, match="not an accord store"):
        restore(text, db)

    newer = tmp_path / "newer.db"
    backup(db, newer)
    with sqlite3.connect(newer) as conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
            " VALUES ('accord-store', 'add_tomorrows_column', '2030-01-01')"
        )
    with pytest.raises(BackupError, match="newer schema: accord-store has add_tomorrows_column"):
        restore(newer, db)

    good = tmp_path / "good.db"
    backup(db, good)
    with pytest.raises(BackupError, match="already exists"):
        backup(db, good)
    # A running bot (a fresh heartbeat from this very process) blocks the restore.
    running = Store.open(db)
    from bot.ledger import Ledger

    ledger = Ledger(running.db)
    try:
        with pytest.raises(BackupError, match="the bot is running"):
            restore(good, db)
    finally:
        ledger.retire()
        running.close()
    kept = restore(good, db)
    assert kept is not None and kept.name.startswith("accord.db.replaced-")
    Store.open(db).close()  # the restored store opens
