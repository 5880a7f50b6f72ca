"""The `accord-bot` command line: the installed console script and click in-process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import main
from briefings.store import shipped_dossier_path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SCRIPT = BIN / "accord-bot"

ARTICLE_DAY = {
    "intra-afghan-talks": 5,
    "prisoner-release": 5,
    "un-sanctions": 85,
    "drawdown-8600": 130,
    "us-sanctions-review": 175,
    "full-withdrawal": 420,
}


def run_script(
    *args: str, db: Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    if not SCRIPT.exists():
        pytest.fail(f"the console script is not installed next to {sys.executable}")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    environ.update({"ACCORD_HTTP_PORT": "0", **(env or {})}, ACCORD_DB=str(db))
    return subprocess.run(
        [str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def invoke(*args: str, db: Path, env: dict[str, str] | None = None) -> Any:
    environ = {
        "ACCORD_DB": str(db),
        "ACCORD_AS_OF": "",
        "ACCORD_TZ": "",
        "ACCORD_HTTP_PORT": "0",
        **(env or {}),
    }
    return CliRunner().invoke(main, list(args), env=environ)


def days(data: Any) -> Iterator[str]:
    """Every dated value in the JSON: event dates, outcome dates, source publications."""
    for event in data["events"]:
        yield event["date"]
        yield from (s["published"] for s in event["sources"] if s["published"])
    for countdown in data["countdowns"]:
        yield from (s["published"] for s in countdown["sources"] if s["published"])
        for update in (countdown["outcome"], *countdown.get("history", ())):
            if update:
                yield update["date"]
                yield from (s["published"] for s in update["sources"] if s["published"])
    yield from (s["published"] for s in data["sources"] if s["published"])


def check_article_day(data: Any) -> None:
    assert data["kind"] == "status" and data["as_of"] == "2020-03-05"
    assert {c["slug"]: c["days_until"] for c in data["countdowns"]} == ARTICLE_DAY
    assert all(c["state"] == "upcoming" and c["outcome"] is None for c in data["countdowns"])
    assert data["events"]
    assert max(days(data)) <= "2020-03-05"


def test_console_script_status_as_of_the_article(tmp_path: Path) -> None:
    result = run_script(
        "brief", "status", "--as-of", "2020-03-05", "--format", "json", db=tmp_path / "a.db"
    )
    assert result.returncode == 0, result.stderr
    check_article_day(json.loads(result.stdout))
    assert (tmp_path / "a.db").exists()


def test_in_process_status_as_of_the_article(tmp_path: Path) -> None:
    result = invoke(
        "brief", "status", "--as-of", "2020-03-05", "--format", "json", db=tmp_path / "a.db"
    )
    assert result.exit_code == 0, result.output
    check_article_day(json.loads(result.stdout))


def test_as_of_from_the_environment(tmp_path: Path) -> None:
    result = invoke(
        "brief",
        "status",
        "--format",
        "json",
        db=tmp_path / "a.db",
        env={"ACCORD_AS_OF": "2020-03-05"},
    )
    assert result.exit_code == 0, result.output
    check_article_day(json.loads(result.stdout))
    # The option wins over the environment.
    result = invoke(
        "brief",
        "status",
        "--as-of",
        "2020-03-06",
        "--format",
        "json",
        db=tmp_path / "a.db",
        env={"ACCORD_AS_OF": "2020-03-05", "ACCORD_TZ": "Asia/Kabul"},
    )
    data = json.loads(result.stdout)
    assert data["as_of"] == "2020-03-06" and data["timezone"] == "Asia/Kabul"


def statuses(result: Any) -> dict[str, tuple[str, str | None, int]]:
    data = json.loads(result.stdout)
    return {
        c["slug"]: (c["state"], c["outcome"]["status"] if c["outcome"] else None, c["days_until"])
        for c in data["countdowns"]
    }


def test_today_every_deadline_has_passed(tmp_path: Path) -> None:
    result = run_script("brief", "countdown", "--format", "json", db=tmp_path / "a.db")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    as_of = date.fromisoformat(data["as_of"])
    assert abs((as_of - datetime.now(UTC).date()).days) <= 1  # allow for midnight
    assert data["replay"] is False
    assert {slug: s[:2] for slug, s in statuses(result).items()} == {
        "intra-afghan-talks": ("passed", "late"),
        "prisoner-release": ("passed", "late"),
        "drawdown-8600": ("passed", "met"),
        "un-sanctions": ("passed", "missed"),
        "us-sanctions-review": ("passed", "missed"),
        "full-withdrawal": ("passed", "late"),
    }


def test_outcomes_over_time(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    march = statuses(
        invoke("brief", "countdown", "--as-of", "2020-03-11", "--format", "json", db=db)
    )
    assert march["intra-afghan-talks"] == ("passed", "missed", -1)
    assert march["prisoner-release"] == ("passed", "missed", -1)
    september = statuses(
        invoke("brief", "countdown", "--as-of", "2020-09-13", "--format", "json", db=db)
    )
    assert september["intra-afghan-talks"][:2] == ("passed", "late")
    assert september["drawdown-8600"][:2] == ("passed", "met")
    assert september["full-withdrawal"] == ("upcoming", None, 228)
    one = invoke(
        "brief",
        "countdown",
        "--deadline",
        "intra-afghan-talks",
        "--as-of",
        "2020-09-13",
        "--format",
        "json",
        db=db,
    )
    (talks,) = json.loads(one.stdout)["countdowns"]
    assert talks["outcome"]["date"] == "2020-09-12"
    assert "186 days" in talks["outcome"]["note"]
    assert [u["status"] for u in talks["history"]] == ["missed", "late"]


def test_every_kind_prints_text_and_json(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    for kind, extra in [
        ("status", []),
        ("countdown", ["--deadline", "drawdown-8600"]),
        ("timeline", ["--from", "2020-03-01", "--to", "2020-03-31", "--page", "1"]),
        ("event", ["--id", "doha-signing"]),
        ("digest", []),
    ]:
        for fmt in ("text", "json"):
            result = invoke("brief", kind, *extra, "--as-of", "2020-09-13", "--format", fmt, db=db)
            assert result.exit_code == 0, (kind, fmt, result.output)
            if fmt == "json":
                assert json.loads(result.stdout)["kind"] == kind
            else:
                assert "(replay)" in result.stdout.splitlines()[0]


def test_text_to_a_pipe_is_plain(tmp_path: Path) -> None:
    result = run_script("brief", "status", "--as-of", "2020-03-05", db=tmp_path / "a.db")
    assert result.returncode == 0, result.stderr
    assert "\x1b[" not in result.stdout
    lines = result.stdout.splitlines()
    assert lines[0].endswith("status on 2020-03-05 (replay)")
    assert "◷ Intra-Afghan negotiations begin — due 2020-03-10 (in 5 days)" in lines


BAD_INPUT = [
    (["brief", "status", "--as-of", "2020-02-30"], "'2020-02-30' is not a date"),
    (["brief", "status", "--as-of", "yesterday"], "'yesterday' is not a date"),
    (["brief", "status", "--as-of", "2020-W10-4"], "is not a date; use YYYY-MM-DD"),
    (["brief", "status", "--tz", "Mars/Olympus_Mons"], "'Mars/Olympus_Mons' is not a time zone"),
    (["brief", "status", "--tz", "../../etc/passwd"], "is not a time zone"),
    (["brief", "countdown", "--deadline", "nope"], "no deadline 'nope' on the record as of"),
    (["brief", "event", "--id", "nope"], "no event 'nope' on the record"),
    (["brief", "event"], "`event` needs an event id"),
    (["brief", "timeline", "--from", "2020-13-01"], "'2020-13-01' is not a date"),
    (["brief", "timeline", "--from", "2020-03-09", "--to", "2020-03-01"], "is after"),
    (["brief", "timeline", "--page", "99"], "page 99 does not exist"),
]


@pytest.mark.parametrize(("args", "reason"), BAD_INPUT, ids=[" ".join(a) for a, _ in BAD_INPUT])
def test_bad_input_is_one_line(tmp_path: Path, args: list[str], reason: str) -> None:
    result = invoke(*args, db=tmp_path / "a.db")
    assert result.exit_code == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("accord-bot: error: ") and reason in line


def test_bad_input_from_the_console_script(tmp_path: Path) -> None:
    for args, reason in [
        (["brief", "status", "--as-of", "2020-02-30"], "is not a date"),
        (["brief", "status", "--tz", "Nowhere/City"], "is not a time zone"),
        (["brief", "countdown", "--deadline", "nope"], "no deadline 'nope'"),
        (["brief", "event", "--id", "nope"], "no event 'nope'"),
    ]:
        result = run_script(*args, db=tmp_path / "a.db")
        assert result.returncode == 2, result
        assert "Traceback" not in result.stderr
        (line,) = result.stderr.splitlines()
        assert line.startswith("accord-bot: error: ") and reason in line


def test_bad_environment_is_one_line(tmp_path: Path) -> None:
    for env, reason in [({"ACCORD_AS_OF": "soon"}, "is not a date"), ({"ACCORD_TZ": "X"}, "zone")]:
        result = invoke("brief", "status", db=tmp_path / "a.db", env=env)
        assert result.exit_code == 2
        (line,) = result.stderr.splitlines()
        assert reason in line


def test_a_store_that_cannot_be_opened_is_one_line(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_text("not a database")
    for db in (tmp_path, garbage):
        for args in (["brief", "status"], ["store", "import", str(shipped_dossier_path())]):
            result = invoke(*args, db=db)
            assert result.exit_code == 2
            (line,) = result.stderr.splitlines()
            assert line.startswith(f"accord-bot: error: cannot open the store at {db}")
    assert garbage.read_text() == "not a database"


def test_click_usage_errors_are_non_zero(tmp_path: Path) -> None:
    for args in (["brief", "weather"], ["brief", "status", "--format", "xml"], ["nope"]):
        result = invoke(*args, db=tmp_path / "a.db")
        assert result.exit_code == 2
        assert "Error:" in result.stderr


COMMANDS = [
    [],
    ["brief"],
    ["store"],
    ["store", "check"],
    ["store", "import"],
    ["store", "list"],
    ["store", "remove"],
    ["subscriptions"],
    ["export"],
    ["export", "ics"],
    ["run"],
    ["backup"],
    ["restore"],
    ["doctor"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "accord-bot")
def test_help_for_every_command(tmp_path: Path, command: list[str]) -> None:
    for flag in ("--help", "-h"):
        result = invoke(*command, flag, db=tmp_path / "a.db")
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("Usage: ")
    assert not (tmp_path / "a.db").exists()  # help touches no store


def test_every_subcommand_is_covered() -> None:
    import click

    names: list[list[str]] = [[]]

    def walk(group: click.Group, prefix: list[str]) -> None:
        for name, command in group.commands.items():
            names.append([*prefix, name])
            if isinstance(command, click.Group):
                walk(command, [*prefix, name])

    walk(main, [])
    assert sorted(names) == sorted(COMMANDS)


HEAVY = (
    "discord",
    "slack_sdk",
    "slack_bolt",
    "apscheduler",
    "matplotlib",
    "pydantic",
    "rich",
    "yaml",
)


def test_brief_imports_no_platform_or_heavy_library(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    assert run_script("brief", "status", db=db).returncode == 0  # creates and seeds the store
    probe = (
        "import sys\n"
        "from bot.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    for fmt in ("text", "json"):
        result = subprocess.run(
            [sys.executable, "-c", probe, "brief", "status", "--format", fmt],
            capture_output=True,
            text=True,
            env={**os.environ, "ACCORD_DB": str(db)},
            timeout=60,
            check=True,
        )
        loaded = result.stderr.split()
        assert "briefings.compose" in loaded
        assert [m for m in loaded if m.split(".")[0] in HEAVY] == []


def test_pip_install_into_a_new_environment(tmp_path: Path) -> None:
    """A built and installed copy carries the dossier and answers from any directory.

    The project's dependencies come from this environment (a .pth line), so only the
    project itself is built and installed here.
    """
    source = tmp_path / "src"
    shutil.copytree(
        REPO,
        source,
        symlinks=True,
        ignore=shutil.ignore_patterns(".venv", ".git", "*cache*", "build", "*.egg-info", "data"),
    )
    assert (source / "briefings" / "dossiers").is_symlink()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    import sysconfig

    Path(purelib, "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert install.returncode == 0, install.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    result = subprocess.run(
        [
            str(venv / "bin" / "accord-bot"),
            "brief",
            "status",
            "--as-of",
            "2020-03-05",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env=environ,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    check_article_day(json.loads(result.stdout))
    assert (elsewhere / "data" / "accord.db").exists()
    where = subprocess.run(
        [str(python), "-c", "import briefings.store as s; print(s.shipped_dossier_path())"],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        check=True,
    ).stdout.strip()
    shipped = Path(where)
    assert shipped.is_relative_to(venv) and shipped.is_file() and not shipped.is_symlink()


def test_engine_bench_runs_on_a_small_store() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "engine.py"), "--events", "2000", "--runs", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "| status |" in result.stdout and "ratio to floor" in result.stdout


def test_accord_db_in_dotenv_is_the_database_of_import_brief_and_run(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ACCORD_DB=from-dotenv.db\n", encoding="utf-8")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    for args in (["store", "import", str(shipped_dossier_path())], ["brief", "status"]):
        done = subprocess.run(
            [str(SCRIPT), *args],
            capture_output=True,
            text=True,
            env=environ,
            cwd=tmp_path,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "from-dotenv.db").exists()
    assert not (tmp_path / "data").exists()
    # `run` reads Settings: the same sources give the same database.
    probe = "from bot.settings import Settings; print(Settings().accord_db)"
    shown = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=environ,
        cwd=tmp_path,
        timeout=60,
        check=True,
    )
    assert shown.stdout.strip() == "from-dotenv.db"


def test_settings_toml_is_read_after_dotenv_by_the_engine_too(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "settings.toml").write_text('accord_db = "toml.db"\n', "utf-8")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    done = subprocess.run(
        [str(SCRIPT), "brief", "status"],
        capture_output=True,
        text=True,
        env=environ,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "toml.db").exists()
