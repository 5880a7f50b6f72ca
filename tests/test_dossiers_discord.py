"""Several dossiers on Discord, through the real discord.py client and the real runtime
against the fake Discord: follow, the `dossier` option and its autocomplete, and one
digest of each of two dossiers in one channel, exactly once across restarts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import time_machine
from discord_support import option, sub
from fakes.discord import CHANNEL_ID, EVERYONE, GUILD_ID, MANAGE_CHANNELS, FakeDiscord
from waiting import eventually

from bot.runtime import Bot
from bot.settings import Settings

MANAGER = EVERYONE | MANAGE_CHANNELS


def settings(fake: FakeDiscord, db: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        accord_db=db,
        accord_tz="UTC",
        discord_token=fake.token,
        discord_api_base=fake.api_base,
        discord_guild_id=GUILD_ID,
    )


async def ask(
    fake: FakeDiscord, options: list[dict[str, Any]], permissions: int = EVERYONE
) -> tuple[bool, str]:
    token = await fake.inject("accord", options, permissions=permissions)
    answers = await fake.wait_answers(token)
    return answers[0].ephemeral, json.dumps([a.payload for a in answers], ensure_ascii=False)


async def test_follow_status_and_the_dossier_option_on_discord(tmp_path: Path) -> None:
    fake = await FakeDiscord().start()
    bot = Bot(settings(fake, tmp_path / "a.db"))
    await bot.start()
    try:
        private, text = await ask(fake, sub("follow", option("dossier", "colombia-2016")))
        assert private and "nothing was changed" in text
        assert bot.subscriptions.followed("discord", str(GUILD_ID), str(CHANNEL_ID)) is None

        private, text = await ask(
            fake, sub("follow", option("dossier", "colombia-2016")), permissions=MANAGER
        )
        assert not private and "now follows" in text
        colombia = bot.store.view("colombia-2016").info().title
        private, text = await ask(fake, sub("status"))
        assert not private and colombia in text and "Bogotá" in text
        doha = bot.store.view("doha-2020").info().title
        private, text = await ask(fake, sub("status", option("dossier", "doha-2020")))
        assert not private and doha in text and "Bogotá" not in text
        private, text = await ask(fake, sub("status", option("dossier", "nowhere-1999")))
        assert private and "colombia-2016, doha-2020" in text
        private, text = await ask(fake, sub("dossiers"))
        assert not private and "this channel follows it" in text and "signed 2016-11-24" in text

        # Autocomplete: dossiers by slug or title; deadlines of the dossier in use.
        token = await fake.inject(
            "accord", sub("status", option("dossier", "col", focused=True)), autocomplete=True
        )
        (answer,) = await fake.wait_answers(token)
        assert [c["value"] for c in answer.payload["data"]["choices"]] == ["colombia-2016"]
        word = doha.split()[-1].lower()
        token = await fake.inject(
            "accord", sub("status", option("dossier", word, focused=True)), autocomplete=True
        )
        (answer,) = await fake.wait_answers(token)
        assert "doha-2020" in [c["value"] for c in answer.payload["data"]["choices"]]
        token = await fake.inject(
            "accord", sub("countdown", option("deadline", "", focused=True)), autocomplete=True
        )
        (answer,) = await fake.wait_answers(token)
        slugs = {c["value"] for c in answer.payload["data"]["choices"]}
        assert slugs == set(bot.store.view("colombia-2016").deadline_slugs())
        token = await fake.inject(
            "accord",
            sub(
                "countdown",
                option("deadline", "", focused=True),
                option("dossier", "doha-2020"),
            ),
            autocomplete=True,
        )
        (answer,) = await fake.wait_answers(token)
        slugs = {c["value"] for c in answer.payload["data"]["choices"]}
        assert slugs == set(bot.store.view("doha-2020").deadline_slugs())
    finally:
        await bot.stop()
        await fake.close()


def digests(fake: FakeDiscord) -> list[str]:
    found = []
    for message in fake.messages.get(str(CHANNEL_ID), []):
        text = json.dumps(message, ensure_ascii=False)
        if "Daily digest" in text:
            found.append("colombia-2016" if "Colombia" in text else "doha-2020")
    return found


async def test_one_digest_of_each_dossier_across_restarts_on_discord(tmp_path: Path) -> None:
    fake = await FakeDiscord().start()
    config = settings(fake, tmp_path / "a.db")
    try:
        with time_machine.travel(datetime(2026, 3, 6, 20, 0, tzinfo=UTC), tick=True):
            bot = Bot(config)
            await bot.start()
            try:
                digest = option("time", "08:00"), option("zone", "UTC")
                private, text = await ask(
                    fake,
                    sub("digest", *digest, option("dossier", "colombia-2016"), group="subscribe"),
                    permissions=MANAGER,
                )
                assert not private and "of `colombia-2016`" in text
                private, text = await ask(
                    fake, sub("digest", *digest, group="subscribe"), permissions=MANAGER
                )
                assert not private and "of `doha-2020`" in text
            finally:
                await bot.stop()
        with time_machine.travel(datetime(2026, 3, 7, 8, 30, tzinfo=UTC), tick=True):
            bot = Bot(config)
            await bot.start()
            try:
                assert await eventually(lambda: len(digests(fake)) >= 2)
            finally:
                await bot.stop()
        with time_machine.travel(datetime(2026, 3, 7, 9, 0, tzinfo=UTC), tick=True):
            bot = Bot(config)
            await bot.start()
            try:
                assert bot.scheduler._catching_up is not None
                await bot.scheduler._catching_up
                private, text = await ask(
                    fake, sub("unsubscribe", option("kind", "all")), permissions=MANAGER
                )
                assert "digest of `colombia-2016`" in text and "digest of `doha-2020`" in text
                assert bot.subscriptions.all() == []
            finally:
                await bot.stop()
        assert sorted(digests(fake)) == ["colombia-2016", "doha-2020"]
    finally:
        await fake.close()
