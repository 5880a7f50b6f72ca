"""A store file that cannot be used at start (corrupted, truncated, in a directory that
cannot be made) and an empty ACCORD_TZ, through the real CLI: one line naming the file,
never a traceback; every command alike."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fanout_support import bot_env

from briefings.store import Store

COMMANDS = [
    ["run"],
    ["subscriptions"],
    ["export", "ics", "--out", "{tmp}/out.ics"],
    ["brief", "status"],
    ["store", "import", "config/dossiers/doha-2020.yaml"],
]
REPO = Path(__file__).resolve().parents[1]


def cli(args: list[str], db: Path, tmp: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from bot.cli import main; main()"]
    env = bot_env(db)
    env.update(extra)
    return subprocess.run(
        command + [a.replace("{tmp}", str(tmp)) for a in args],
        env=env,
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )


def corrupted(tmp: Path) -> Path:
    db = tmp / "corrupted.db"
    db.write_bytes(b"this is not a database at all\n" * 200)
    return db


def truncated(tmp: Path) -> Path:
    db = tmp / "truncated.db"
    Store.open(db).close()
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 3])
    return db


def unmakeable(tmp: Path) -> Path:
    return Path("/proc/accord-no-such-dir/accord.db")  # no directory can be made there


@pytest.mark.parametrize("make", [corrupted, truncated, unmakeable])
@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(c[:2]) for c in COMMANDS])
def test_a_bad_store_file_is_one_line_naming_it(
    tmp_path: Path, make: object, args: list[str]
) -> None:
    db = make(tmp_path)  # type: ignore[operator]
    result = cli(args, db, tmp_path)
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("accord-bot: error")]
    assert len(errors) == 1, result.stderr
    assert str(db) in errors[0] and "ACCORD_DB" in errors[0]


@pytest.mark.parametrize("args", [["run"], ["brief", "status"]])
def test_empty_accord_tz_is_utc_everywhere(tmp_path: Path, args: list[str]) -> None:
    result = cli(args, tmp_path / "a.db", tmp_path, ACCORD_TZ="", ACCORD_AS_OF="2020-03-05")
    assert result.returncode == 0, result.stderr
    assert "status on 2020-03-05" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs of our own (root only) holding a store, filled to the last byte."""
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
        Store.open(where / "accord.db").close()
        with (where / "filler").open("wb") as out, contextlib.suppress(OSError):
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        yield where / "accord.db"
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_run_on_a_full_disk_is_one_line_naming_the_store(full_disk: Path, tmp_path: Path) -> None:
    result = cli(["run"], full_disk, tmp_path)
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("accord-bot: error")]
    assert len(errors) == 1 and str(full_disk) in errors[0], result.stderr
