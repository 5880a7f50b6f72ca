"""The Discord Poster: scheduled posts over the REST API, and what each failure means."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
from discord_support import PNG, REPLAY_DAY, running_bot
from fakes.discord import GUILD_ID, FakeDiscord

from bot.adapters.discord import nonce_for
from bot.delivery import Attachment, Target
from briefings.clock import Clock
from briefings.compose import Composer
from briefings.document import Briefing
from briefings.store import Store

CHANNEL = "700000000000000001"
TARGET = Target("discord", str(GUILD_ID), CHANNEL)


def digest(store: Store) -> Briefing:
    return Composer(store).compose("digest", Clock(ZoneInfo("UTC"), REPLAY_DAY))


async def test_post_delivers_with_a_nonce_and_no_mentions(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        result = await bot.adapter.poster.post(TARGET, digest(bot.store), key="digest:1:2020-03-05")
        assert result.status == "delivered" and result.message_id
        (posted,) = bot.fake.messages[CHANNEL]
        assert posted["nonce"] == nonce_for("digest:1:2020-03-05") and len(posted["nonce"]) <= 25
        assert posted["enforce_nonce"] is True
        assert posted["allowed_mentions"] == {"parse": []}
        assert posted["embeds"]
        # The same delivery again (a retry after a crash) is dropped by its nonce.
        again = await bot.adapter.poster.post(TARGET, digest(bot.store), key="digest:1:2020-03-05")
        assert again.status == "delivered"
        assert len(bot.fake.messages[CHANNEL]) == 1
        assert await bot.adapter.poster.was_posted(TARGET, "digest:1:2020-03-05") is None
        assert bot.adapter.poster.platform == "discord"


async def test_post_with_an_attachment_is_multipart(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        chart = Attachment("accord-timeline.png", PNG, "image/png", "Timeline chart")
        result = await bot.adapter.poster.post(
            TARGET, digest(bot.store), key="digest:2", attachment=chart
        )
        assert result.status == "delivered"
        (posted,) = bot.fake.messages[CHANNEL]
        (file,) = posted["_files"]
        assert (file["name"], file["filename"], file["content"]) == (
            "files[0]",
            "accord-timeline.png",
            PNG,
        )
        assert posted["embeds"][0]["image"]["url"] == "attachment://accord-timeline.png"
        assert posted["nonce"] == nonce_for("digest:2")


async def test_rate_limit_is_waited_out_then_delivered(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        bot.fake.rate_limit(CHANNEL, retry_after=0.05)
        started = time.perf_counter()
        result = await bot.adapter.poster.post(TARGET, digest(bot.store), key="k-429")
        assert result.status == "delivered"
        assert time.perf_counter() - started >= 0.05
        assert len(bot.fake.requests_to("POST", f"/channels/{CHANNEL}/messages")) == 2
        assert len(bot.fake.messages[CHANNEL]) == 1


async def test_server_error_is_retried_then_delivered(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        bot.fake.fail(CHANNEL, 500, {"code": 0, "message": "500: Internal Server Error"})
        result = await bot.adapter.poster.post(TARGET, digest(bot.store), key="k-500")
        assert result.status == "delivered"
        assert len(bot.fake.requests_to("POST", f"/channels/{CHANNEL}/messages")) == 2


async def test_unknown_channel_is_gone(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        bot.fake.fail(CHANNEL, 404, {"code": 10003, "message": "Unknown Channel"})
        result = await bot.adapter.poster.post(TARGET, digest(bot.store), key="k-404")
        assert result.status == "gone"
        assert "unknown channel" in result.reason and "10003" in result.reason
        assert len(bot.fake.requests_to("POST", f"/channels/{CHANNEL}/messages")) == 1


async def test_a_refused_message_fails_that_post_but_keeps_the_channel(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        bot.fake.fail(CHANNEL, 400, {"code": 50035, "message": "Invalid Form Body"})
        result = await bot.adapter.poster.post(TARGET, digest(bot.store), key="k-400")
        assert result.status == "failed" and "50035" in result.reason
        assert len(bot.fake.requests_to("POST", f"/channels/{CHANNEL}/messages")) == 1


async def test_missing_access_and_permissions_are_gone_and_never_retried(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        bot.fake.fail(CHANNEL, 403, {"code": 50001, "message": "Missing Access"})
        result = await bot.adapter.poster.post(TARGET, digest(bot.store), key="k-403")
        assert (result.status, result.reason) == ("gone", "the bot has no access to this channel")
        bot.fake.fail(CHANNEL, 403, {"code": 50013, "message": "Missing Permissions"})
        result = await bot.adapter.poster.post(TARGET, digest(bot.store), key="k-403b")
        assert result.status == "gone" and "lacks permission" in result.reason
        assert len(bot.fake.requests_to("POST", f"/channels/{CHANNEL}/messages")) == 2
        assert CHANNEL not in bot.fake.messages


async def test_rejected_token_is_fatal_and_never_retried(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        bot.fake.fail(CHANNEL, 401, {"code": 0, "message": "401: Unauthorized"})
        result = await bot.adapter.poster.post(TARGET, digest(bot.store), key="k-401")
        assert result.status == "fatal"
        assert len(bot.fake.requests_to("POST", f"/channels/{CHANNEL}/messages")) == 1


async def test_a_long_rate_limit_comes_back_as_retry_later(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        bot.fake.rate_limit(CHANNEL, retry_after=600.0)
        result = await bot.adapter.poster.post(TARGET, digest(bot.store), key="k-long")
        assert result.status == "retry" and result.retry_after == 600.0
        assert CHANNEL not in bot.fake.messages


async def test_no_answer_in_time_is_retry_and_the_retry_is_deduplicated(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        bot.adapter.poster.timeout = 0.2
        bot.fake.stall(CHANNEL, 0.5)
        result = await bot.adapter.poster.post(TARGET, digest(bot.store), key="k-slow")
        assert result.status == "retry" and "0.2 s" in result.reason
        await asyncio.sleep(0.5)  # the stalled post lands after all
        again = await bot.adapter.poster.post(TARGET, digest(bot.store), key="k-slow")
        assert again.status == "delivered"
        assert len(bot.fake.messages[CHANNEL]) == 1


async def test_the_fake_rejects_what_discord_would() -> None:
    fake = await FakeDiscord().start()
    try:
        headers = {"Authorization": f"Bot {fake.token}"}
        too_long = {"embeds": [{"title": "t", "description": "d" * 4000}] * 2}
        async with aiohttp.ClientSession() as session:
            url = f"{fake.api_base}/channels/{CHANNEL}/messages"
            async with session.post(url, json=too_long, headers=headers) as response:
                assert response.status == 400
                assert response.headers["Content-Type"] == "application/json"
                assert (await response.json())["code"] == 50035
            async with session.post(url, json={"content": "hi"}) as response:
                assert response.status == 401
        assert CHANNEL not in fake.messages
    finally:
        await fake.close()
