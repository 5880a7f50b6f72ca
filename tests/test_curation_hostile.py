"""Hostile curated files: through `store check` and `store import`, each is one problem line
with file and line, found quickly and in bounded memory; never a traceback."""

from __future__ import annotations

import os
import re
import time
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_curation import BASE

from bot.cli import main
from briefings.curation import CurationError, load_dossiers

_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)

HOSTILE: list[tuple[str, bytes, str]] = [
    ("alias bomb", (_BOMB + BASE).encode(), "aliases"),
    (
        "alias into a date",
        BASE.replace("  signed: 2020-01-01", "  signed: &d 2020-01-01")
        .replace("    date: 2020-01-05", "    date: *d")
        .encode(),
        "aliases",
    ),
    ("python tag", BASE.replace("Test accord", "!!python/object:os.system x").encode(), "tags"),
    ("custom tag", BASE.replace("Test accord", "!thing x").encode(), "tags"),
    ("deep nesting", (BASE + "extra: " + "[" * 300 + "]" * 300 + "\n").encode(), "nested"),
    ("huge number", BASE.replace("days: 10", "days: " + "9" * 5000).encode(), "number"),
    ("huge float", BASE.replace("days: 10", "days: 1" + "0" * 400 + ".5").encode(), "number"),
    ("huge duration", BASE.replace("days: 10", "days: 99999999").encode(), "at most"),
    (
        "due after 9999",
        BASE.replace("date: 2020-01-01", "date: 9999-12-01")
        .replace("days: 10", "days: 365")
        .encode(),
        "9999",
    ),
    (
        "duplicate slug",
        BASE.replace("  slug: test-accord", "  slug: a\n  slug: b").encode(),
        "duplicate key 'slug'",
    ),
    ("duplicate events", (BASE + "events: []\n").encode(), "duplicate key 'events'"),
    ("latin-1", BASE.replace("Test accord", "Accord de paix à Genève").encode("latin-1"), "UTF-8"),
    ("utf-16", BASE.encode("utf-16"), "UTF-16"),
    ("utf-16-le no bom", BASE.encode("utf-16-le"), "UTF-16"),
    ("two documents", (BASE + "---\n" + BASE).encode(), "more than one"),
    (
        "complex key",
        BASE.replace("  slug: test-accord", "  ? [a, b]\n  : x").encode(),
        "plain text",
    ),
]


def _check(tmp_path: Path, path: Path, command: str) -> str:
    os.environ["ACCORD_DB"] = str(tmp_path / "accord.db")
    start = time.perf_counter()
    tracemalloc.start()
    try:
        result = CliRunner().invoke(main, ["store", command, str(path)])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 5
    assert peak < 64 * 1024 * 1024
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output + result.stderr
    return result.stderr


@pytest.mark.parametrize("command", ["check", "import"])
@pytest.mark.parametrize(("case", "data", "words"), HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_file_is_one_problem_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    case: str,
    data: bytes,
    words: str,
) -> None:
    monkeypatch.setenv("ACCORD_DB", str(tmp_path / "accord.db"))
    path = tmp_path / "bad.yaml"
    path.write_bytes(data)
    stderr = _check(tmp_path, path, command)
    lines = stderr.splitlines()
    assert re.match(rf"^{re.escape(str(path))}(:\d+)?: ", lines[0]), stderr
    assert words in lines[0], stderr
    assert "nothing was changed" in lines[-1]


@pytest.mark.parametrize("command", ["check", "import"])
def test_device_and_fifo_are_refused_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setenv("ACCORD_DB", str(tmp_path / "accord.db"))
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    for path in (Path("/dev/zero"), fifo):
        stderr = _check(tmp_path, path, command)
        assert f"{path}: file: -: not a regular file" in stderr


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    data=st.binary(max_size=64)
    | st.text(alphabet="&*!?[]{}:-,'\"|>#%@`\n \t\\x0123456789éZ\udcff", max_size=64).map(
        lambda t: t.encode("utf-8", "surrogatepass")
    ),
    where=st.integers(min_value=0, max_value=len(BASE)),
)
def test_fuzzed_files_never_raise(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, where: int
) -> None:
    base = BASE.encode()
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.yaml"
    path.write_bytes(base[:where] + data + base[where:])
    start = time.perf_counter()
    try:
        load_dossiers([path])
    except CurationError as err:
        assert err.problems
        assert all(str(p).startswith(str(path)) and "\n" not in str(p) for p in err.problems)
    assert time.perf_counter() - start < 2
