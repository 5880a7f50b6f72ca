"""Several dossiers on Slack, through the real Bolt app and the real runtime against the
fake Slack: follow, status per channel and per `dossier:`, and one digest of each of two
dossiers in one channel, exactly once across restarts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import time_machine
from fakes.slack import FakeSlack
from slack_support import post_command, settings_for
from waiting import eventually

from bot.runtime import Bot

CHANNEL = "C0DESK"


async def say(bot: Bot, fake: FakeSlack, text: str, user: str = "U0USER") -> dict[str, Any]:
    before = len(fake.responses)
    async with aiohttp.ClientSession() as session:
        status, _ = await post_command(
            session,
            bot.adapters[0],
            fake,
            text,
            user=user,
            channel=CHANNEL,  # type: ignore[arg-type]
        )
    assert status == 200
    answers = await fake.wait_responses(before + 1)
    return answers[before]


def shown(answer: dict[str, Any]) -> str:
    return json.dumps(answer, ensure_ascii=False)


async def test_follow_status_and_dossier_option_on_slack(tmp_path: Path) -> None:
    fake = await FakeSlack().start()
    bot = Bot(settings_for(fake, accord_db=tmp_path / "a.db", slack_admin_ids=["U0BOSS"]))
    await bot.start()
    try:
        refused = await say(bot, fake, "follow colombia-2016", user="U0NOBODY")
        assert refused["response_type"] == "ephemeral" and "nothing was changed" in shown(refused)
        assert bot.subscriptions.followed("slack", "T0TEAM", CHANNEL) is None
        before = await say(bot, fake, "status")
        assert "doha-2020" in shown(before)  # ACCORD_DOSSIER's default

        followed = await say(bot, fake, "follow colombia-2016", user="U0BOSS")
        assert "now follows" in shown(followed) and "colombia-2016" in shown(followed)
        status = await say(bot, fake, "status")
        assert status["response_type"] == "in_channel"
        assert "(`colombia-2016`)" in shown(status) and "Bogotá" in shown(status)
        doha = await say(bot, fake, "status dossier:doha-2020")
        assert doha["response_type"] == "in_channel"
        assert "(`doha-2020`)" in shown(doha) and "Bogotá" not in shown(doha)
        countdown = await say(bot, fake, "countdown weapons-laydown")
        assert "weapons-laydown" in shown(countdown)

        unknown = await say(bot, fake, "status dossier:nowhere-1999")
        assert unknown["response_type"] == "ephemeral"
        assert "colombia-2016, doha-2020" in shown(unknown)
        listing = await say(bot, fake, "dossiers")
        text = shown(listing)
        assert "`colombia-2016`" in text and "`doha-2020`" in text
        assert "signed 2016-11-24" in text and "this channel follows it" in text
        help_text = await say(bot, fake, "help")
        assert "countdown zones-arrival" in shown(help_text)  # examples from the dossier
    finally:
        await bot.stop()
        await fake.stop()


def digests(fake: FakeSlack) -> list[str]:
    found = []
    for message in fake.messages:
        text = json.dumps(message.params, ensure_ascii=False)
        if message.channel == CHANNEL and "Daily digest" in text:
            found.append("colombia-2016" if "`colombia-2016`" in text else "doha-2020")
    return found


async def test_one_digest_of_each_dossier_across_restarts(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    fake = await FakeSlack().start()
    settings = settings_for(fake, accord_db=db, slack_admin_ids=["U0BOSS"], accord_tz="UTC")
    try:
        with time_machine.travel(datetime(2026, 3, 6, 20, 0, tzinfo=UTC), tick=True):
            bot = Bot(settings)
            await bot.start()
            try:
                await say(bot, fake, "follow colombia-2016", user="U0BOSS")
                one = await say(bot, fake, "subscribe digest 08:00 UTC", user="U0BOSS")
                assert "of `colombia-2016`" in shown(one)
                two = await say(
                    bot, fake, "subscribe digest 08:00 UTC dossier:doha-2020", user="U0BOSS"
                )
                assert "Subscribed" in shown(two) and "of `doha-2020`" in shown(two)
                listed = await say(bot, fake, "subscriptions")
                assert str(listed["text"]).count("daily digest at 08:00 UTC") == 2
            finally:
                await bot.stop()
        # Down over 08:00: the restart catches both up, once each.
        with time_machine.travel(datetime(2026, 3, 7, 8, 30, tzinfo=UTC), tick=True):
            bot = Bot(settings)
            await bot.start()
            try:
                assert await eventually(lambda: len(digests(fake)) >= 2)
            finally:
                await bot.stop()
        with time_machine.travel(datetime(2026, 3, 7, 9, 0, tzinfo=UTC), tick=True):
            bot = Bot(settings)
            await bot.start()
            try:
                assert bot.scheduler._catching_up is not None
                await bot.scheduler._catching_up
                stopped = await say(
                    bot, fake, "unsubscribe digest dossier:colombia-2016", user="U0BOSS"
                )
                assert "digest of `colombia-2016`" in shown(stopped)
                assert [s.dossier for s in bot.subscriptions.all()] == ["doha-2020"]
            finally:
                await bot.stop()
        assert sorted(digests(fake)) == ["colombia-2016", "doha-2020"]
    finally:
        await fake.stop()
