"""`accord-bot run` on the console, as a person or a script uses it: it shows the status,
answers /accord lines, ends at end of input, and stops cleanly on SIGINT or SIGTERM even
while its input is still open."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from fanout_support import bot_command, bot_env


def test_scripted_console_answers_and_ends_at_end_of_input(tmp_path: Path) -> None:
    result = subprocess.run(
        bot_command(),
        input="/accord countdown drawdown-8600\n/accord frobnicate\n",
        env=bot_env(tmp_path / "a.db", ACCORD_AS_OF="2020-03-05"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "status on 2020-03-05" in out  # the status briefing first
    assert "due 2020-07-13 (in 130 days)" in out
    assert "Unknown subcommand 'frobnicate'" in out
    assert "Traceback" not in out + result.stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_the_bot_cleanly_with_input_still_open(
    tmp_path: Path, signum: signal.Signals
) -> None:
    process = subprocess.Popen(
        bot_command(),
        env=bot_env(tmp_path / "a.db"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 30
        while "Ctrl-D" not in (process.stdout.readline() or ""):
            assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.5)
        process.send_signal(signum)
        assert process.wait(timeout=10) == 0
        assert "Traceback" not in (process.stderr.read() if process.stderr else "")
    finally:
        if process.poll() is None:
            process.kill()
        if process.stdin:
            process.stdin.close()


@pytest.mark.parametrize("encoding", [None, "utf-8:strict"])
def test_console_input_that_is_not_utf8_is_answered_and_input_still_ends(
    tmp_path: Path, encoding: str | None
) -> None:
    env = bot_env(tmp_path / "a.db", ACCORD_AS_OF="2020-03-05")
    if encoding:
        env["PYTHONIOENCODING"] = encoding
    result = subprocess.run(
        bot_command(),
        input=b"/accord event \xff\xfe\n/accord subscribe digest 08:00 Europe/\xff\n"
        b"/accord status\n",
        env=env,
        capture_output=True,
        timeout=30,
    )
    out, err = result.stdout.decode("utf-8", "replace"), result.stderr.decode("utf-8", "replace")
    assert result.returncode == 0, err
    assert "Traceback" not in out + err
    assert "Something went wrong" not in out
    assert out.count("status on 2020-03-05") == 2, out  # the last line was answered too


def test_console_chart_near_year_1_or_9999_is_a_short_error(tmp_path: Path) -> None:
    result = subprocess.run(
        bot_command(),
        input="/accord chart 0001-01-01\n/accord chart 2020-01-01 9999-12-31\n",
        env=bot_env(tmp_path / "a.db", ACCORD_AS_OF="2020-03-05"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "Something went wrong" not in result.stdout
    assert result.stdout.count("outside the days the bot briefs on") == 2


def test_console_follows_a_dossier_and_accord_dossier_sets_the_default(tmp_path: Path) -> None:
    script = (
        "/accord follow colombia-2016\n/accord countdown weapons-laydown\n"
        "/accord countdown drawdown-8600 dossier:doha-2020\n"
    )
    result = subprocess.run(
        bot_command(),
        input=script,
        env=bot_env(tmp_path / "a.db", ACCORD_AS_OF="2017-05-01"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "now follows" in out and "(colombia-2016)" in out
    assert "due 2017-05-30 (in 29 days)" in out
    assert "Dossier: " in out and "(doha-2020)" in out
    started = subprocess.run(
        bot_command(),
        input="/accord status\n",
        env=bot_env(tmp_path / "b.db", ACCORD_AS_OF="2017-05-01", ACCORD_DOSSIER="colombia-2016"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode == 0, started.stderr
    assert "(colombia-2016)" in started.stdout.splitlines()[1]
    refused = subprocess.run(
        bot_command(),
        input="",
        env=bot_env(tmp_path / "c.db", ACCORD_DOSSIER="nowhere-1999"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
    assert "no dossier 'nowhere-1999'" in refused.stderr and "Traceback" not in refused.stderr
