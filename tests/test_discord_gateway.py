"""Whatever a gateway frame holds, the bot keeps its connection and answers what follows."""

from __future__ import annotations

import json
from pathlib import Path

from discord_support import option, running_bot, sub
from fakes.discord import FakeDiscord
from waiting import eventually


async def _answers_status(bot_fake: FakeDiscord) -> None:
    token = await bot_fake.inject("accord", sub("status"))
    (answer,) = await bot_fake.wait_answers(token)
    assert answer.type == 4


async def test_a_lone_surrogate_escape_is_answered_and_the_gateway_stays(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        frame, token = bot.fake.interaction_frame(
            "accord", sub("countdown", option("deadline", "PLACEHOLDER"))
        )
        # orjson refuses this escape; the JSON standard allows it.
        await bot.fake.send_raw(frame.replace("PLACEHOLDER", "\\udcff"))
        (answer,) = await bot.fake.wait_answers(token)
        assert answer.ephemeral
        assert "\ufffd" in json.dumps(answer.payload, ensure_ascii=False)
        await _answers_status(bot.fake)
        assert bot.fake.identified == 1
        assert bot.adapter.client.gateway.ready


async def test_garbage_and_malformed_frames_are_dropped(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        await bot.fake.send_raw("{not json at all")
        await bot.fake.send_raw("[]")
        await bot.fake.send_raw(json.dumps({"op": 0, "t": "INTERACTION_CREATE", "d": {"id": 1}}))
        await bot.fake.send_raw(json.dumps({"op": 0, "t": "GUILD_CREATE", "d": None}))
        await _answers_status(bot.fake)
        assert bot.fake.identified == 1


async def test_a_connection_discord_py_gives_up_on_is_made_again(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        # 4010 (invalid shard) is a close code discord.py does not reconnect after.
        await bot.fake.kick(4010, "Invalid shard")
        assert await eventually(lambda: not bot.adapter.client.gateway.ready, timeout=5)
        assert await eventually(lambda: bot.fake.identified == 2, timeout=10)
        assert await eventually(lambda: bot.adapter.client.gateway.ready, timeout=5)
        await _answers_status(bot.fake)
