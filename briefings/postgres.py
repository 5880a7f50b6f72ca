"""The store on PostgreSQL: a database with the shape of sqlite-utils' `Database`.

Every module that keeps state (the store, subscriptions, the delivery ledger, Slack
installations) writes its SQL once, in the dialect both engines share: `?` placeholders,
`INSERT ... ON CONFLICT DO NOTHING` for claims, TEXT dates, integers for flags. With
`ACCORD_DB=postgresql://...` they get a `PostgresDatabase` instead of a sqlite-utils
`Database`: the same calls (`execute`, `query`, `table(...).create/insert_all/upsert/
rows_where`, `atomic()`), the same migrations (sqlite-utils' `Migrations`, applied under
an advisory lock so processes starting together apply each one once), on connections
from psycopg's pool. Text is compared byte-wise (`COLLATE "C"`), as SQLite compares it.

    db = PostgresDatabase("postgresql://accord@db.internal/accord")
    db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", ["a", "b"])
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

MIGRATIONS_LOCK = 7_317_001  # pg_advisory_lock key: one migrating process at a time
POOL_SIZE = 16

_TYPES: dict[type, str] = {
    str: 'TEXT COLLATE "C"',
    int: "BIGINT",
    float: "DOUBLE PRECISION",
    bool: "INTEGER",
    bytes: "BYTEA",
}


def translate(sql: str) -> str:
    """SQLite-style `?` placeholders as psycopg's `%s` (and a literal `%` as `%%`)."""
    out: list[str] = []
    quote: str | None = None
    for char in sql:
        if quote is not None:
            out.append("%%" if char == "%" else char)
            if char == quote:
                quote = None
            continue
        if char in ("'", '"'):
            quote = char
            out.append(char)
        elif char == "?":
            out.append("%s")
        elif char == "%":
            out.append("%%")
        else:
            out.append(char)
    return "".join(out)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Result:
    """What `execute` returns: the rows already fetched, and the row count."""

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.rows)

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None


class PostgresDatabase:
    """The subset of sqlite-utils' Database the project uses, on a psycopg pool."""

    def __init__(self, url: str, *, pool_size: int = POOL_SIZE) -> None:
        self.url = url
        self.pool: ConnectionPool[Connection[Any]] = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True},
            open=True,
            name="accord",
        )
        self.pool.wait(timeout=30)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._homes: list[Connection[Any]] = []

    # -- connections and transactions ------------------------------------------------------

    def _home(self) -> Connection[Any]:
        """This thread's connection, taken from the pool once and kept: the event loop's
        thread makes every statement on it without a pool round trip each time."""
        conn: Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is not None and not conn.closed and not conn.broken:
            return conn
        if conn is not None:
            with self._lock:
                if conn in self._homes:
                    self._homes.remove(conn)
            self.pool.putconn(conn)  # the pool replaces a broken one
        conn = self.pool.getconn()
        self._local.conn = conn
        with self._lock:
            self._homes.append(conn)
        return conn

    @contextmanager
    def _connection(self) -> Iterator[Connection[Any]]:
        yield self._home()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """One transaction (a savepoint when nested) on this thread's connection."""
        with self._home().transaction():
            yield

    @contextmanager
    def migrating(self) -> Iterator[None]:
        """Hold the migrations lock: processes starting together migrate one at a time."""
        with self.pool.connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", [MIGRATIONS_LOCK])
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", [MIGRATIONS_LOCK])

    def close(self) -> None:
        with self._lock:
            homes, self._homes = self._homes, []
        for conn in homes:
            if not conn.closed:
                self.pool.putconn(conn)
        self.pool.close()

    # -- statements ------------------------------------------------------------------------

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> Result:
        if sql.lstrip().upper().startswith("PRAGMA"):
            return Result([], 0)  # SQLite's own settings
        with self._connection() as conn, conn.cursor() as cursor:
            cursor.execute(translate(sql), list(parameters or []))
            rows = cursor.fetchall() if cursor.description is not None else []
            return Result(rows, cursor.rowcount)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self._connection() as conn, conn.cursor() as cursor:
            cursor.executemany(translate(sql), [list(r) for r in rows])

    def query(self, sql: str, params: Sequence[Any] | None = None) -> Iterator[dict[str, Any]]:
        with self._connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            cursor.execute(translate(sql), list(params or []))
            rows = cursor.fetchall()
        yield from rows

    def table(self, name: str) -> PostgresTable:
        return PostgresTable(self, name)

    def __getitem__(self, name: str) -> PostgresTable:
        return self.table(name)

    def table_names(self) -> list[str]:
        rows = self.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
        return sorted(str(r["table_name"]) for r in rows)


class PostgresTable:
    """The subset of sqlite-utils' Table the project uses."""

    def __init__(self, db: PostgresDatabase, name: str) -> None:
        self.db = db
        self.name = name

    def exists(self) -> bool:
        rows = list(self.db.query("SELECT to_regclass(?) IS NOT NULL AS found", [self.name]))
        return bool(rows[0]["found"])

    @property
    def pks(self) -> list[str]:
        rows = self.db.query(
            "SELECT a.attname AS name FROM pg_index i"
            " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
            " WHERE i.indrelid = to_regclass(?) AND i.indisprimary ORDER BY a.attnum",
            [self.name],
        )
        return [str(r["name"]) for r in rows]

    def create(
        self,
        columns: Mapping[str, type],
        pk: str | Sequence[str] | None = None,
        if_not_exists: bool = False,
        **_options: Any,
    ) -> PostgresTable:
        keys = [pk] if isinstance(pk, str) else list(pk or [])
        parts = []
        for column, kind in columns.items():
            sql_type = _TYPES.get(kind, "TEXT")
            if keys == [column] and kind is int:
                sql_type = "BIGINT GENERATED BY DEFAULT AS IDENTITY"
            parts.append(f"{_quote(column)} {sql_type}")
        if keys:
            parts.append(f"PRIMARY KEY ({', '.join(map(_quote, keys))})")
        sql = f"CREATE TABLE {'IF NOT EXISTS ' if if_not_exists else ''}{_quote(self.name)}"
        sql += f" ({', '.join(parts)})"
        if if_not_exists:
            # Two processes creating the same table at once still collide in PostgreSQL's
            # catalog; the migrations lock makes them take turns.
            with self.db.migrating():
                self.db.execute(sql)
        else:
            self.db.execute(sql)
        return self

    def create_index(
        self,
        columns: Sequence[str],
        index_name: str | None = None,
        unique: bool = False,
        if_not_exists: bool = False,
        **_options: Any,
    ) -> PostgresTable:
        name = index_name or f"idx_{self.name}_{'_'.join(columns)}"
        self.db.execute(
            f"CREATE {'UNIQUE ' if unique else ''}INDEX"
            f"{' IF NOT EXISTS' if if_not_exists else ''} {_quote(name)}"
            f" ON {_quote(self.name)} ({', '.join(map(_quote, columns))})"
        )
        return self

    def add_column(self, name: str, kind: type | None = None, **_options: Any) -> PostgresTable:
        sql_type = _TYPES.get(kind or str, "TEXT")
        self.db.execute(f"ALTER TABLE {_quote(self.name)} ADD COLUMN {_quote(name)} {sql_type}")
        return self

    def insert(self, row: Mapping[str, Any], pk: Any = None, **_options: Any) -> PostgresTable:
        return self.insert_all([row])

    def insert_all(self, rows: Iterable[Mapping[str, Any]], **_options: Any) -> PostgresTable:
        batch = list(rows)
        if not batch:
            return self
        columns = list(batch[0])
        sql = (
            f"INSERT INTO {_quote(self.name)} ({', '.join(map(_quote, columns))})"
            f" VALUES ({', '.join('?' for _ in columns)})"
        )
        self.db.executemany(sql, ([row.get(c) for c in columns] for row in batch))
        return self

    def upsert(self, row: Mapping[str, Any], pk: str | Sequence[str], **_options: Any) -> Any:
        keys = [pk] if isinstance(pk, str) else list(pk)
        columns = list(row)
        updates = [c for c in columns if c not in keys]
        action = (
            "DO UPDATE SET " + ", ".join(f"{_quote(c)} = EXCLUDED.{_quote(c)}" for c in updates)
            if updates
            else "DO NOTHING"
        )
        self.db.execute(
            f"INSERT INTO {_quote(self.name)} ({', '.join(map(_quote, columns))})"
            f" VALUES ({', '.join('?' for _ in columns)})"
            f" ON CONFLICT ({', '.join(map(_quote, keys))}) {action}",
            [row[c] for c in columns],
        )
        return self

    def rows_where(
        self,
        where: str | None = None,
        where_args: Sequence[Any] | None = None,
        order_by: str | None = None,
        limit: int | None = None,
        **_options: Any,
    ) -> Iterator[dict[str, Any]]:
        sql = f"SELECT * FROM {_quote(self.name)}"
        if where:
            sql += f" WHERE {where}"
        if order_by:
            # SQLite's rowid is insertion order; here the (identity) primary key is.
            sql += f" ORDER BY {', '.join(self.pks) if order_by == 'rowid' else order_by}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        yield from self.db.query(sql, list(where_args or []))
