"""Replay days near year 1 or 9999, through the real CLI and console: one short line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from test_storage_at_start import cli

from bot.cli import main


@pytest.mark.parametrize("day", ["0001-01-01", "0001-01-02", "9999-12-30", "9999-12-31"])
@pytest.mark.parametrize("kind", ["status", "countdown", "timeline", "digest"])
def test_brief_on_a_day_near_the_ends_of_the_calendar_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, day: str, kind: str
) -> None:
    monkeypatch.setenv("ACCORD_DB", str(tmp_path / "a.db"))
    result = CliRunner().invoke(main, ["brief", kind, "--as-of", day])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.strip().splitlines() == [
        f"accord-bot: error: {day} is outside the days the bot briefs on (1000-01-01 to 8999-12-31)"
    ]


def test_console_chart_and_replay_near_the_ends_are_short_errors(tmp_path: Path) -> None:
    result = cli(["run"], tmp_path / "a.db", tmp_path, ACCORD_AS_OF="9999-12-31")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "ACCORD_AS_OF" in result.stderr and "outside the days" in result.stderr
