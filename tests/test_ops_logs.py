"""Logs: one JSON object per line from a real `accord-bot run`, and no secret in any line
whichever logger prints it."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import signal
import time
from pathlib import Path

import aiohttp
import discord  # noqa: F401  (their loggers exist once imported)
import slack_bolt  # noqa: F401
from fakes.slack import APP_TOKEN, BOT_TOKEN, TEAM, FakeSlack
from fanout_support import bot_command, bot_env, seed_digests
from ops_support import free_port, readyz
from slack_support import SIGNING_SECRET, command_body, sign
from waiting import eventually

import bot.runtime  # noqa: F401
from bot.ops import logs
from bot.settings import Settings

SECRETS = {
    "discord_token": "MTIzNDU2Nzg5MDEyMzQ1Njc4.discord-secret-token",
    "slack_bot_token": "xoxb-1234-secret-bot-token",
    "slack_app_token": "xapp-1-secret-app-token",
    "slack_signing_secret": "signing-secret-0123456789",
}


def test_no_logger_prints_a_configured_secret() -> None:
    settings = Settings(_env_file=None, **SECRETS)  # type: ignore[arg-type]
    assert sorted(settings.secrets()) == sorted(SECRETS.values())
    out = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        logs.configure("json", settings.secrets(), stream=out)
        names = ["", *logging.root.manager.loggerDict]
        for name in names:
            logger = logging.getLogger(name)
            for secret in SECRETS.values():
                logger.warning("token %s in a message", secret)
                logger.warning(f"token inside the format {secret}")
                logger.warning("as an argument: %r", {"token": secret})
                try:
                    raise RuntimeError(f"failed with {secret}")
                except RuntimeError:
                    logger.exception("with a traceback")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    lines = out.getvalue().splitlines()
    assert len(lines) >= len(names) * 4 * len(SECRETS) * 0.9  # loggers below WARNING drop some
    for line in lines:
        entry = json.loads(line)
        assert {"time", "level", "logger", "message"} <= set(entry)
        for secret in SECRETS.values():
            assert secret not in line
    assert logs.REDACTED in out.getvalue()


async def test_every_line_of_a_json_run_parses(tmp_path: Path) -> None:
    fake = await FakeSlack().start()
    db = tmp_path / "accord.db"
    channels = [f"C{n:04d}" for n in range(50)]
    seed_digests(db, "slack", TEAM, channels)
    fake.fail("chat.postMessage", channel=channels[0], error="channel_not_found", times=9)
    fake.fail("chat.postMessage", channel=channels[1], status=500, retry_after=0)
    http_port, slack_port = free_port(), free_port()
    env = bot_env(
        db,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        SLACK_PORT=str(slack_port),
        SLACK_HOST="127.0.0.1",
        ACCORD_HTTP_PORT=str(http_port),
        ACCORD_LOG_FORMAT="json",
    )
    errors = tmp_path / "bot.log"
    with errors.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            *bot_command(), env=env, stdin=asyncio.subprocess.DEVNULL, stderr=sink
        )
        try:

            async def ready() -> bool:
                try:
                    return (await readyz(http_port))[0] == 200
                except aiohttp.ClientError:
                    return False

            for _ in range(300):
                if await ready():
                    break
                await asyncio.sleep(0.1)
            assert await ready(), errors.read_text()
            assert await eventually(lambda: len(fake.messages) >= len(channels) - 1, 30)
            # A command, and a forged one (Bolt logs the bad signature).
            body = command_body("event no-such-event", fake.response_url())
            url = f"http://127.0.0.1:{slack_port}/slack/events"
            async with aiohttp.ClientSession() as session:
                for stamp, want in ((int(time.time()), 200), (1, 401)):
                    headers = sign(body, stamp)
                    async with session.post(url, data=body.encode(), headers=headers) as answer:
                        assert answer.status == want
            assert await eventually(lambda: bool(fake.responses), 10)
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(process.wait(), 30)
    await fake.stop()
    text = errors.read_text()
    assert code == 0, text
    lines = text.splitlines()
    assert len(lines) >= 3
    loggers = set()
    for line in lines:
        entry = json.loads(line)
        loggers.add(entry["logger"])
        for secret in (BOT_TOKEN, SIGNING_SECRET, APP_TOKEN):
            assert secret not in line
    assert "accord" in loggers
