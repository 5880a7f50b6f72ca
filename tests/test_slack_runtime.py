"""`accord-bot run` with Slack settings: the runtime starts the Slack adapter, wired to
the subscription desk and the chart maker, against the fake Slack."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from contextlib import redirect_stderr
from pathlib import Path

import aiohttp
import pytest
from fakes.slack import FakeSlack
from slack_support import post_command, settings_for

from bot.adapters.slack import SlackAdapter
from bot.runtime import Bot, serve


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.stop()


async def test_bad_token_stops_the_bot_with_a_clear_message(
    fake: FakeSlack, tmp_path: Path
) -> None:
    settings = settings_for(fake, slack_bot_token="xoxb-bad", accord_db=tmp_path / "a.db")
    errors = io.StringIO()
    with redirect_stderr(errors):
        code = await asyncio.wait_for(serve(settings), 10)
    assert code == 1
    assert "Slack rejected SLACK_BOT_TOKEN (invalid_auth)" in errors.getvalue()


async def test_run_serves_slack_with_desk_and_chart(fake: FakeSlack, tmp_path: Path) -> None:
    settings = settings_for(
        fake, accord_db=tmp_path / "a.db", accord_as_of="2020-03-05", slack_admin_ids="U0BOSS"
    )
    bot = Bot(settings)
    (adapter,) = bot.adapters
    assert isinstance(adapter, SlackAdapter)
    await bot.start()
    try:
        async with aiohttp.ClientSession() as session:
            for text in ("subscribe digest 08:00 Asia/Kabul", "subscriptions", "chart"):
                status, _ = await post_command(session, adapter, fake, text, user="U0BOSS")
                assert status == 200
            await fake.wait_responses(2)
            for _ in range(200):
                if fake.calls("files.completeUploadExternal"):
                    break
                await asyncio.sleep(0.05)
    finally:
        await bot.stop()
    subscribed, listed = (json.dumps(r) for r in fake.responses[:2])
    assert fake.responses[0]["response_type"] == "in_channel"
    assert "08:00" in subscribed and "Asia/Kabul" in subscribed
    assert "digest" in listed
    assert fake.uploads and fake.uploads[0].startswith(b"\x89PNG")
