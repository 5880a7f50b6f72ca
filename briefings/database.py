"""Where the store lives: an SQLite file (sqlite-utils) or a PostgreSQL database.

`ACCORD_DB` is a path for the embedded SQLite store, or a `postgresql://` URL. Both give
an object with sqlite-utils' Database shape (see `briefings.postgres`), and every
module's migrations run through `apply_migrations`, which on PostgreSQL holds a lock so
that processes starting together apply each migration once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias, cast
from urllib.parse import urlsplit, urlunsplit

from sqlite_utils import Database as SQLiteDatabase
from sqlite_utils import Migrations

if TYPE_CHECKING:  # psycopg is imported only when a postgresql:// URL is used
    from briefings.postgres import PostgresDatabase

Database: TypeAlias = "SQLiteDatabase | PostgresDatabase"
SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(location: object) -> bool:
    return isinstance(location, str) and location.startswith(SCHEMES)


def open_sqlite(path: Path | str) -> SQLiteDatabase:
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # No sqlite-utils plugins: scanning installed packages for them costs a cold start
    # more than the whole briefing.
    db = SQLiteDatabase(
        str(path) if str(path) != ":memory:" else None,
        memory=str(path) == ":memory:",
        execute_plugins=False,
    )
    db.execute("PRAGMA busy_timeout = 5000")
    if str(path) != ":memory:":
        db.enable_wal()
        # In WAL mode NORMAL survives a crash of the process (not of the machine) and
        # spares an fsync per commit: the delivery ledger commits once per post.
        db.execute("PRAGMA synchronous = NORMAL")
    return db


def open_database(location: Path | str) -> Database:
    """The database at ACCORD_DB: a postgresql:// URL, else an SQLite file path."""
    if is_postgres_url(str(location)):
        from briefings.postgres import PostgresDatabase

        return PostgresDatabase(str(location))
    return open_sqlite(location)


def open_failures(location: Path | str) -> tuple[type[Exception], ...]:
    """What opening the database may raise besides OSError (psycopg's, for a URL)."""
    if not is_postgres_url(str(location)):
        return ()
    import psycopg
    import psycopg_pool

    return (psycopg.Error, psycopg_pool.PoolTimeout)


def apply_migrations(migrations: Migrations, db: Database) -> None:
    if not isinstance(db, SQLiteDatabase):
        with db.migrating():
            migrations.apply(cast(SQLiteDatabase, db))
        return
    migrations.apply(db)


def describe(location: Path | str) -> str:
    """ACCORD_DB as it may be shown: a URL without its password."""
    text = str(location)
    if not is_postgres_url(text):
        return text
    parts = urlsplit(text)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit((parts.scheme, user + host, parts.path, "", ""))
