"""A throwaway PostgreSQL server for tests: initdb and pg_ctl on a temporary directory.

`initdb` and `pg_ctl` refuse to run as root, so when the tests run as root the server
runs as the `postgres` user (through `runuser`) in a directory that user owns. It
listens on 127.0.0.1 only, on a free port, and trusts local connections.

    with PostgresServer.start() as server:
        url = server.create_database("accord_test")   # postgresql://postgres@127.0.0.1:PORT/...
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SERVICE_USER = "postgres"


class PostgresUnavailable(RuntimeError):
    """PostgreSQL's server programs are not installed (see `make postgres`)."""


def bindir() -> Path:
    """Where initdb and pg_ctl are, from `pg_config --bindir`."""
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        raise PostgresUnavailable(
            "pg_config is not on PATH: install PostgreSQL (`make postgres` does it on Debian)"
        )
    found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True)
    path = Path(found.stdout.strip())
    if not (path / "initdb").exists():
        raise PostgresUnavailable(f"no initdb in {path}: install the PostgreSQL server")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_service_user() -> list[str]:
    """The prefix that runs a command as the postgres user when we are root."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", SERVICE_USER, "--"]


@dataclass
class PostgresServer:
    directory: Path
    port: int
    programs: Path

    @property
    def url(self) -> str:
        return f"postgresql://{SERVICE_USER}@127.0.0.1:{self.port}/postgres"

    def database_url(self, name: str) -> str:
        return f"postgresql://{SERVICE_USER}@127.0.0.1:{self.port}/{name}"

    def _run(self, *argv: str) -> None:
        done = subprocess.run(
            [*_as_service_user(), *argv], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            log = self.directory / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{argv[0]} failed: {done.stderr.strip()}\n{tail}")

    def create_database(self, name: str) -> str:
        self._run(
            str(self.programs / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            SERVICE_USER,
            name,
        )
        return self.database_url(name)

    @classmethod
    @contextmanager
    def start(cls) -> Iterator[PostgresServer]:
        programs = bindir()
        directory = Path(tempfile.mkdtemp(prefix="accord-pg-"))
        if os.geteuid() == 0:
            account = pwd.getpwnam(SERVICE_USER)
            os.chown(directory, account.pw_uid, account.pw_gid)
        data = directory / "data"
        server = cls(directory, 0, programs)
        try:
            server._run(
                str(programs / "initdb"),
                "-D",
                str(data),
                "-U",
                SERVICE_USER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            )
            for _attempt in range(5):
                server.port = free_port()
                options = (
                    f"-h 127.0.0.1 -p {server.port} -k {directory} "
                    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                    "-c max_connections=200"
                )
                try:
                    server._run(
                        str(programs / "pg_ctl"),
                        "-D",
                        str(data),
                        "-l",
                        str(directory / "server.log"),
                        "-o",
                        options,
                        "-w",
                        "start",
                    )
                    break
                except RuntimeError:
                    if _attempt == 4:
                        raise
            yield server
        finally:
            if (data / "postmaster.pid").exists():
                subprocess.run(
                    [
                        *_as_service_user(),
                        str(programs / "pg_ctl"),
                        "-D",
                        str(data),
                        "-m",
                        "immediate",
                        "-w",
                        "stop",
                    ],
                    capture_output=True,
                    check=False,
                )
            shutil.rmtree(directory, ignore_errors=True)
