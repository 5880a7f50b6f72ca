"""`accord-bot run` with DISCORD_TOKEN: the runtime starts the Discord adapter, slash
commands reach the real subscription desk, and the scheduler posts through the Poster."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import time_machine
from discord_support import option, sub
from fakes.discord import CHANNEL_ID, EVERYONE, GUILD_ID, MANAGE_CHANNELS, FakeDiscord
from waiting import eventually

from bot.adapters.discord import DiscordAdapter, nonce_for
from bot.runtime import Bot
from bot.settings import Settings


async def test_run_with_a_discord_token_subscribes_and_posts_reminders(tmp_path: Path) -> None:
    fake = await FakeDiscord().start()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        accord_db=tmp_path / "accord.db",
        accord_tz="UTC",
        accord_as_of="2020-03-03",
        discord_token=fake.token,
        discord_api_base=fake.api_base,
        discord_guild_id=GUILD_ID,
    )
    with time_machine.travel(datetime(2026, 3, 6, 20, 0, tzinfo=UTC), tick=True) as moving:
        bot = Bot(settings)
        (adapter,) = bot.adapters
        assert isinstance(adapter, DiscordAdapter)
        try:
            await bot.start()
            assert fake.identified == 1
            options = sub("reminders", option("offsets", "7,1"), group="subscribe")
            token = await fake.inject("accord", options, permissions=EVERYONE | MANAGE_CHANNELS)
            (answer,) = await fake.wait_answers(token)
            assert not answer.ephemeral
            assert "countdown reminders 7, 1 days" in json.dumps(answer.payload)

            token = await fake.inject("accord", sub("subscriptions"))
            (answer,) = await fake.wait_answers(token)
            assert "next: 2026-03-07 09:00 UTC" in json.dumps(answer.payload)

            # The real chart: deferred, then the picture as a file inside its embed.
            token = await fake.inject("accord", sub("chart"))
            defer, followup = await fake.wait_answers(token, 2, timeout=30)
            assert defer.type == 5
            (file,) = followup.files
            assert file["content"].startswith(b"\x89PNG") and file["filename"].endswith(".png")
            image = followup.payload["embeds"][0]["image"]["url"]
            assert image == f"attachment://{file['filename']}"

            moving.move_to(datetime(2026, 3, 7, 8, 59, 59, tzinfo=UTC))
            bot.scheduler.aps.wakeup()
            channel = str(CHANNEL_ID)
            assert await eventually(lambda: bool(fake.messages.get(channel)))
            (posted,) = fake.messages[channel]
            assert posted["enforce_nonce"] is True
            assert posted["allowed_mentions"] == {"parse": []}
            assert "Intra-Afghan negotiations" in json.dumps(posted, ensure_ascii=False)
            key = f"discord:{GUILD_ID}:{channel}:reminders:doha-2020|2026-03-07@2020-03-03"
            assert posted["nonce"] == nonce_for(key)
        finally:
            await bot.stop()
            await fake.close()
