"""`accord-bot doctor` against the fakes: one line per check, exit 1 on any failure,
never a secret on screen."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from fakes.discord import FakeDiscord
from fakes.slack import BOT_TOKEN, FakeSlack

from briefings.store import Store

SCRIPT = Path(sys.executable).with_name("accord-bot")


async def doctor(env: dict[str, str], db: Path) -> tuple[int, str]:
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("ACCORD_", "SLACK_", "DISCORD_"))
    }
    environ.update(env, ACCORD_DB=str(db))
    process = await asyncio.create_subprocess_exec(
        str(SCRIPT),
        "doctor",
        env=environ,
        cwd=db.parent,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode()


async def test_doctor_checks_everything_and_fails_on_a_bad_token(tmp_path: Path) -> None:
    discord, slack = await FakeDiscord().start(), await FakeSlack().start()
    db = tmp_path / "accord.db"
    Store.open(db).close()
    env = {
        "DISCORD_TOKEN": discord.token,
        "DISCORD_API_BASE": discord.api_base,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": "doctor-signing-secret",
        "SLACK_API_URL": slack.api_url,
    }
    try:
        code, out = await doctor(env, db)
        assert code == 0, out
        lines = out.splitlines()
        assert [line.split(":")[0] for line in lines] == [
            "ok   settings",
            "ok   zone",
            "ok   store",
            "ok   zones",
            "ok   discord",
            "ok   slack",
        ]
        assert "revision 1" in out and "schema current" in out
        assert discord.requests_to("GET", "/users/@me")

        wrong = {"DISCORD_TOKEN": "MTIz.not-the-token-at-all", "SLACK_BOT_TOKEN": "xoxb-nope-1"}
        bad = {**env, **wrong}
        code, out = await doctor(bad, db)
        assert code == 1
        assert "FAIL discord: Discord rejected DISCORD_TOKEN (401" in out
        assert "FAIL slack: Slack rejected SLACK_BOT_TOKEN (invalid_auth)" in out
        for secret in (*bad.values(), *env.values()):
            if "token" in secret or secret.startswith("xox") or "secret" in secret:
                assert secret not in out
    finally:
        await discord.close()
        await slack.stop()


async def test_doctor_names_a_bad_setting_and_a_newer_store(tmp_path: Path) -> None:
    db = tmp_path / "accord.db"
    code, out = await doctor({"ACCORD_TZ": "Mars/Olympus"}, db)
    assert code == 1 and out.startswith("FAIL settings: ACCORD_TZ")
    Store.open(db).close()
    Store.open(db).db.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
        " VALUES ('accord-store', 'from_the_future', '2030-01-01')"
    )
    code, out = await doctor({}, db)
    assert code == 1
    assert "FAIL store:" in out and "newer schema" in out and "from_the_future" in out
