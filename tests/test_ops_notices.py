"""Delivery you can see: `/accord subscriptions` shows each subscription's last delivery
and why it is paused, and the person who subscribed is told privately, once."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import aiohttp
from discord_support import sub
from fakes.discord import GUILD_ID, USER_ID, FakeDiscord
from fakes.slack import TEAM, FakeSlack
from fanout_support import seed_digests
from slack_support import post_command, settings_for
from waiting import eventually

from bot.adapters.slack import SlackAdapter
from bot.runtime import Bot
from bot.settings import Settings


async def test_slack_pause_is_told_once_and_shown(tmp_path: Path) -> None:
    fake = await FakeSlack().start()
    db = tmp_path / "accord.db"
    seed_digests(db, "slack", TEAM, ["C0LIVE", "C0DEAD"])
    fake.fail("chat.postMessage", channel="C0DEAD", error="channel_not_found", times=99)
    bot = Bot(settings_for(fake, accord_db=db, digest_grace_hours=24))
    await bot.start()
    try:
        assert await eventually(lambda: len(bot.subscriptions.active()) == 1, 20)
        assert await eventually(lambda: bool(fake.calls("conversations.open")), 10)
        (opened,) = fake.calls("conversations.open")
        assert opened.params["users"] == "U0BOSS"
        assert await eventually(lambda: any(m.channel == "D0BOSS" for m in fake.messages), 10)
        (notice,) = [m for m in fake.messages if m.channel == "D0BOSS"]
        text = notice.params["text"]
        assert "C0DEAD" in text and "channel_not_found" in text
        assert "/accord subscribe digest" in text

        adapter = bot.adapters[0]
        assert isinstance(adapter, SlackAdapter)
        async with aiohttp.ClientSession() as session:
            await post_command(session, adapter, fake, "subscriptions", channel="C0DEAD")
            await post_command(session, adapter, fake, "subscriptions", channel="C0LIVE")
        dead, live = (json.dumps(r) for r in await fake.wait_responses(2))
        assert "PAUSED (channel_not_found" in dead
        assert "not delivered (gone: channel_not_found" in dead
        assert "last delivery" in live and ": delivered" in live
        assert "not delivered" not in live
    finally:
        await bot.stop()
    # A restart tells nobody again.
    again = Bot(settings_for(fake, accord_db=db, digest_grace_hours=24))
    await again.start()
    await again.stop()
    assert len(fake.calls("conversations.open")) == 1
    await fake.stop()


async def test_discord_pause_is_told_by_direct_message(tmp_path: Path) -> None:
    fake = await FakeDiscord().start()
    db = tmp_path / "accord.db"
    live, dead = "900000000000000001", "900000000000000002"
    seed_digests(db, "discord", str(GUILD_ID), [live, dead])
    bot_db = sqlite3.connect(db)
    bot_db.execute("UPDATE subscriptions SET created_by = ?", [str(USER_ID)])
    bot_db.commit()
    bot_db.close()
    for _ in range(3):
        fake.fail(dead, 404, {"code": 10003, "message": "Unknown Channel"})
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        accord_db=db,
        discord_token=fake.token,
        discord_api_base=fake.api_base,
        discord_guild_id=GUILD_ID,
        digest_grace_hours=24,
    )
    bot = Bot(settings)
    await bot.start()
    try:
        assert await eventually(lambda: str(USER_ID) in fake.dm_channels, 20)
        dm = fake.dm_channels[str(USER_ID)]
        assert await eventually(lambda: bool(fake.messages.get(dm)), 10)
        (notice,) = fake.messages[dm]
        assert "Unknown Channel" in notice["content"] and dead in notice["content"]
        assert notice["allowed_mentions"] == {"parse": []}
        assert len(fake.requests_to("POST", "/users/@me/channels")) == 1

        token = await fake.inject("accord", sub("subscriptions"), channel_id=int(dead))
        (answer,) = await fake.wait_answers(token)
        shown = json.dumps(answer.payload)
        assert "PAUSED" in shown and "last delivery" in shown and "not delivered (gone" in shown
    finally:
        await bot.stop()
        await fake.close()
