"""The tests' own PostgreSQL server: started as the postgres user, on 127.0.0.1 only."""

from __future__ import annotations

import psycopg
from postgres import PostgresServer


def test_each_test_gets_an_empty_database_on_the_shared_server(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    with psycopg.connect(postgres_url) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
        listen = conn.execute("SHOW listen_addresses").fetchone()
        version = conn.execute("SHOW server_version_num").fetchone()
    assert tables == (0,)
    assert listen == ("127.0.0.1",)
    assert version is not None and int(version[0]) >= 150000
    assert f":{postgres_server.port}/" in postgres_url
