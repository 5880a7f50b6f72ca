"""`accord-bot backup` and `accord-bot restore`: the store copied with SQLite's online
backup API, and put back with the bot stopped.

A backup is consistent while the bot runs and posts (the backup API copies one snapshot
of the database). It records when it was taken; a restored store remembers that time,
so the next start asks the platform before posting anything due since then (the
deliveries made after the backup are not in its ledger).
"""

from __future__ import annotations

import os
import socket
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot import ledger
from bot.ledger import migrations as ledger_migrations
from bot.subscriptions import migrations as subscription_migrations
from briefings.database import Database as AnyDatabase
from briefings.proposals import migrations as proposal_migrations
from briefings.revisions import migrations as revision_migrations
from briefings.store import migrations as store_migrations

TAKEN_AT = "backup_taken_at"
RESTORED_FROM = "restored_backup_taken_at"
MIGRATIONS = "_sqlite_migrations"
RUNNING_WITHIN = timedelta(seconds=30)


class BackupError(Exception):
    """What is wrong, in one line for the operator."""


def known_migrations() -> dict[str, set[str]]:
    """Migration names this version knows, by migration set."""
    sets = (
        store_migrations,
        subscription_migrations,
        revision_migrations,
        ledger_migrations,
        proposal_migrations,
    )
    return {m.name: {step.name for step in m._migrations} for m in sets}


def _now() -> datetime:
    return datetime.now(UTC)


def backup(db: Path, out: Path) -> str:
    """Copy `db` to `out` (never over it); returns the time it was taken."""
    if not db.exists():
        raise BackupError(f"no store at {db} (ACCORD_DB)")
    if out.exists():
        raise BackupError(f"{out} already exists; choose a new file")
    if out.resolve() == db.resolve():
        raise BackupError("the backup must not be the store itself")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    taken = _now().isoformat(timespec="seconds")
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as source:
        check_accord(source, str(db))
        with closing(sqlite3.connect(partial)) as copy:
            source.backup(copy)
            copy.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [TAKEN_AT, taken]
            )
            copy.commit()
            (verdict,) = copy.execute("PRAGMA integrity_check").fetchone()
            if verdict != "ok":
                raise BackupError(f"the copy failed its integrity check: {verdict}")
    partial.replace(out)
    return taken


def check_accord(conn: sqlite3.Connection, name: str) -> None:
    """Refuse a file that is not an accord store, or one from a newer schema."""
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError:
        raise BackupError(f"{name} is not an accord store (not an SQLite database)") from None
    if MIGRATIONS not in tables or "meta" not in tables:
        raise BackupError(f"{name} is not an accord store (no accord schema in it)")
    applied: dict[str, set[str]] = {}
    for migration_set, step in conn.execute(f"SELECT migration_set, name FROM {MIGRATIONS}"):
        applied.setdefault(str(migration_set), set()).add(str(step))
    if store_migrations.name not in applied:
        raise BackupError(f"{name} is not an accord store (no {store_migrations.name} schema)")
    known = known_migrations()
    for migration_set, steps in sorted(applied.items()):
        unknown = steps - known.get(migration_set, set())
        if unknown:
            raise BackupError(
                f"{name} comes from a newer schema: {migration_set} has "
                f"{', '.join(sorted(unknown))}, which this version does not know; "
                "upgrade accord-bot first"
            )


def _running_instances(conn: sqlite3.Connection) -> list[str]:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "instances" not in tables:
        return []
    recent = (_now() - RUNNING_WITHIN).isoformat()
    here = socket.gethostname()
    found = []
    for pid, host, beat in conn.execute("SELECT pid, host, heartbeat_at FROM instances"):
        if beat < recent:
            continue
        if host == here:
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                continue
            except PermissionError:
                pass
        found.append(f"pid {pid} on {host}")
    return found


def restore(backup_file: Path, db: Path) -> Path | None:
    """Put `backup_file` in place of `db`; returns where the replaced store was kept."""
    if not backup_file.is_file():
        raise BackupError(f"no backup file at {backup_file}")
    with closing(sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)) as source:
        check_accord(source, str(backup_file))
        (verdict,) = source.execute("PRAGMA integrity_check").fetchone()
        if verdict != "ok":
            raise BackupError(f"{backup_file} fails its integrity check: {verdict}")
        row = source.execute("SELECT value FROM meta WHERE key = ?", [TAKEN_AT]).fetchone()
        taken = str(row[0]) if row else _now().isoformat(timespec="seconds")
        kept = _set_aside(db)
        db.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(db)) as target:
            source.backup(target)
            ledger.forget_instances(target)
            target.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [RESTORED_FROM, taken]
            )
            target.commit()
    return kept


def _set_aside(db: Path) -> Path | None:
    """Refuse while a bot runs on `db`; else move it (WAL folded in) beside itself."""
    if not db.exists():
        return None
    with closing(sqlite3.connect(db, timeout=30)) as current:
        running = _running_instances(current)
        if running:
            raise BackupError(
                f"the bot is running on {db} ({'; '.join(running)}); stop it, then restore"
            )
        current.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    stamp = _now().strftime("%Y%m%dT%H%M%SZ")
    kept = db.with_name(f"{db.name}.replaced-{stamp}")
    db.replace(kept)
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    return kept


def confirm_through(db: AnyDatabase) -> str | None:
    """For a restored store, the last local day (YYYY-MM-DD) whose deliveries may have
    been made after the backup: the backup's day plus one (zones ahead of UTC)."""
    rows = list(db.query("SELECT value FROM meta WHERE key = ?", [RESTORED_FROM]))
    if not rows:
        return None
    day = datetime.fromisoformat(str(rows[0]["value"])).date() + timedelta(days=1)
    return day.isoformat()
