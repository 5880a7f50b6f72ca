"""A digest due while the store refuses writes arrives once the store takes them again.

Through the real runtime (bot.runtime.Bot with the console adapter), the real
APScheduler and a real SQLite file: another connection holds the write lock for 30 s
across the due minute, or the disk the store lives on is full.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from test_scheduler import Harness, fire_at, traveller
from waiting import eventually

DUE = datetime(2026, 3, 7, 8, 0, tzinfo=UTC)
__all__ = ["traveller"]  # the shared clock fixture

POSTED = ["console:console:utc:digest:doha-2020|2026-03-07"]


def _loop_stays_free(samples: list[float]) -> None:
    # The loop answered every tick in well under the old 5 s busy timeout.
    assert samples and max(samples) < 1.0, max(samples)


async def _ticks(samples: list[float], stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        before = loop.time()
        await asyncio.sleep(0.05)
        samples.append(loop.time() - before - 0.05)


async def test_a_digest_due_while_the_store_is_locked_arrives_once_after(
    tmp_path: Path, traveller: time_machine.Coordinates
) -> None:
    harness = Harness(tmp_path / "accord.db")
    await harness.bot.start()
    try:
        await harness.subscribe("utc", "UTC")
        locker = sqlite3.connect(tmp_path / "accord.db", isolation_level=None, timeout=5)
        locker.execute("BEGIN EXCLUSIVE")
        samples: list[float] = []
        stop = asyncio.Event()
        ticking = asyncio.ensure_future(_ticks(samples, stop))
        try:
            with pytest.raises(AssertionError):
                await fire_at(harness, traveller, DUE, 1)  # nothing while the lock is held
            await asyncio.sleep(25)  # 30 s in all with fire_at's wait
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        assert await eventually(lambda: len(harness.posted) >= 1, timeout=15)
        stop.set()
        await ticking
        await asyncio.sleep(1)
        assert harness.posted == POSTED
        _loop_stays_free(samples)
        statuses = harness.bot.courier.ledger.counts()
        assert statuses == {"delivered": 1}
    finally:
        await harness.stop()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs of our own (root only), unmounted afterwards."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    where = tmp_path / "disk"
    where.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(where)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


async def test_a_digest_due_while_the_disk_is_full_arrives_once_after(
    small_disk: Path, traveller: time_machine.Coordinates
) -> None:
    harness = Harness(small_disk / "accord.db")
    await harness.bot.start()
    filler = small_disk / "filler"
    try:
        await harness.subscribe("utc", "UTC")
        # Unbuffered: a buffered file would fail again on close, flushing what did not fit.
        with filler.open("wb", buffering=0) as out:  # fill every byte the tmpfs has left
            block = b"\0" * 65536
            while True:
                try:
                    out.write(block)
                    out.flush()
                except OSError:
                    break
            with pytest.raises(AssertionError):
                await fire_at(harness, traveller, DUE, 1)
        filler.unlink()
        assert await eventually(lambda: len(harness.posted) >= 1, timeout=15)
        await asyncio.sleep(1)
        assert harness.posted == POSTED
        assert harness.bot.courier.ledger.counts() == {"delivered": 1}
    finally:
        filler.unlink(missing_ok=True)
        await harness.stop()
