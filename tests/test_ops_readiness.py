"""/healthz and /readyz follow the real adapters: Discord's READY, a lost and resumed
gateway, a Slack token Slack rejects, the endpoints sharing Slack's HTTP-mode port."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest
from fakes.discord import GUILD_ID, FakeDiscord
from fakes.slack import FakeSlack
from ops_support import free_port, readyz
from slack_support import settings_for
from waiting import eventually

from bot.adapters import AdapterError
from bot.runtime import Bot
from bot.settings import Settings


async def test_discord_readiness_follows_the_gateway(tmp_path: Path) -> None:
    fake = await FakeDiscord().start()
    fake.ready_gate = asyncio.Event()
    port = free_port()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        accord_db=tmp_path / "accord.db",
        discord_token=fake.token,
        discord_api_base=fake.api_base,
        discord_guild_id=GUILD_ID,
        accord_http_port=port,
    )
    bot = Bot(settings)
    starting = asyncio.ensure_future(bot.start())
    try:
        assert await eventually(lambda: fake.identified == 1, 10)
        status, body = await readyz(port)
        assert status == 503
        assert body["ready"] is False
        assert body["components"]["discord"] == "connecting"
        assert body["components"]["store"] == "ready"
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/healthz") as response,
        ):
            assert response.status == 200
            assert await response.json() == {"status": "ok"}

        fake.ready_gate.set()
        await asyncio.wait_for(starting, 20)
        status, body = await readyz(port)
        assert (status, body) == (
            200,
            {
                "ready": True,
                "components": {"scheduler": "ready", "store": "ready", "discord": "ready"},
            },
        )

        # The gateway goes away (a close code the client may resume after).
        lost = time.monotonic()
        await fake.kick(4000, "Unknown error")
        seen_down = False
        while time.monotonic() - lost < 10:
            status, body = await readyz(port)
            if status == 503:
                seen_down = True
                lost_states = ("reconnecting", "disconnected", "connecting")
                assert body["components"]["discord"] in lost_states
                break
            await asyncio.sleep(0.01)
        assert seen_down, "/readyz stayed 200 after the gateway closed"

        async def back() -> bool:
            return (await readyz(port))[0] == 200

        for _ in range(300):
            if await back():
                break
            await asyncio.sleep(0.05)
        assert await back()
        assert fake.resumed == 1 and fake.identified == 1  # resumed, not a new session
    finally:
        if not starting.done():
            starting.cancel()
        await bot.stop()
        await fake.close()


async def test_rejected_slack_token_names_slack(tmp_path: Path) -> None:
    fake = await FakeSlack().start()
    port = free_port()
    settings = settings_for(
        fake, slack_bot_token="xoxb-bad", accord_db=tmp_path / "a.db", accord_http_port=port
    )
    bot = Bot(settings)
    try:
        with pytest.raises(AdapterError):
            await bot.start()
        status, body = await readyz(port)
        assert status == 503
        assert body["components"]["slack"] == "rejected"
    finally:
        await bot.stop()
        await fake.stop()


async def test_endpoints_share_slacks_http_port(tmp_path: Path) -> None:
    fake = await FakeSlack().start()
    port = free_port()
    settings = settings_for(
        fake, accord_db=tmp_path / "a.db", slack_port=port, accord_http_port=port
    )
    bot = Bot(settings)
    try:
        await bot.start()
        status, body = await readyz(port)
        assert status == 200, body
        assert body["components"]["slack"] == "ready"
    finally:
        await bot.stop()
        await fake.stop()
