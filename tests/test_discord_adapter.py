"""The Discord adapter end to end: the real discord.py client against the fake Discord."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import discord
import pytest
from discord import app_commands
from discord_support import (
    ICS,
    PNG,
    REPLAY_DAY,
    MemoryDesk,
    make_settings,
    option,
    running_bot,
    sub,
)
from fakes.discord import (
    APPLICATION_ID,
    EVERYONE,
    GUILD_ID,
    MANAGE_CHANNELS,
    MANAGE_GUILD,
    FakeDiscord,
    embed_problems,
)

from bot.adapters import AdapterError
from bot.adapters.discord import DiscordAdapter, rank
from bot.commands import Caller, Command, CommandError, Dispatcher
from briefings.clock import Clock
from briefings.compose import Composer
from briefings.store import Store

SUBCOMMANDS = {
    "status",
    "countdown",
    "timeline",
    "event",
    "digest",
    "subscribe",
    "unsubscribe",
    "subscriptions",
    "dossiers",
    "follow",
    "chart",
    "calendar",
    "curate",
    "history",
    "review",
    "help",
}


def _text(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False)


async def test_status_as_of_replay_day_shows_every_countdown(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        token = await bot.fake.inject("accord", sub("status"))
        answers = await bot.fake.wait_answers(token)
        assert answers[0].type == 4
        assert not answers[0].ephemeral
        message = answers[0].message
        assert message is not None
        text = _text(message)
        for days in (5, 85, 130, 175, 420):
            assert f"in {days} days" in text
        # Replay mode: plain dates, never Discord timestamps (they count from the real now).
        assert "<t:" not in text
        assert "2020-03-10" in text


async def test_synced_commands_have_the_group_and_every_subcommand(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        puts = bot.fake.requests_to("PUT", f"/guilds/{GUILD_ID}/commands")
        assert len(puts) == 1
        assert bot.adapter.synced is True
        (accord,) = bot.fake.commands[str(GUILD_ID)]
        assert accord["name"] == "accord"
        options = {o["name"]: o for o in accord["options"]}
        assert set(options) == SUBCOMMANDS
        assert options["subscribe"]["type"] == 2  # a subcommand group
        assert {o["name"] for o in options["subscribe"]["options"]} == {
            "digest",
            "reminders",
            "alerts",
        }
        timeline = {o["name"]: o for o in options["timeline"]["options"]}
        assert set(timeline) == {"from", "to", "page", "dossier"}
        assert timeline["page"]["type"] == 4 and timeline["page"]["min_value"] == 1
        countdown = options["countdown"]["options"][0]
        assert countdown["name"] == "deadline" and countdown["autocomplete"] is True
        event = options["event"]["options"][0]
        assert event["name"] == "id" and event["required"] and event["autocomplete"]
        digest = {o["name"]: o for o in options["subscribe"]["options"][0]["options"]}
        assert digest["zone"]["autocomplete"] is True and digest["chart"]["type"] == 5
        kinds = options["unsubscribe"]["options"][0]["choices"]
        assert [c["value"] for c in kinds] == ["digest", "reminders", "alerts", "all"]
        for name in ("status", "countdown", "timeline", "event", "digest", "chart", "calendar"):
            dossier = {o["name"]: o for o in options[name]["options"]}["dossier"]
            assert dossier["autocomplete"] is True and not dossier.get("required")
        for kind in options["subscribe"]["options"]:
            assert "dossier" in {o["name"] for o in kind["options"]}
        (follow,) = options["follow"]["options"]
        assert follow["name"] == "dossier" and follow["required"] and follow["autocomplete"]
        assert not bot.fake.requests_to("PUT", f"/applications/{APPLICATION_ID}/commands")


async def test_second_start_with_unchanged_commands_does_not_sync(tmp_path: Path) -> None:
    fake = await FakeDiscord().start()
    try:
        async with running_bot(tmp_path, fake=fake) as first:
            assert first.adapter.synced is True
        async with running_bot(tmp_path, fake=fake) as second:
            assert second.adapter.synced is False
            assert fake.identified == 2
        assert len(fake.requests_to("PUT", "/commands")) == 1
        # Another scope (global instead of one guild) is a change: it syncs there once.
        async with running_bot(tmp_path, fake=fake, guild_id=None) as third:
            assert third.adapter.synced is True
        assert len(fake.requests_to("PUT", f"/applications/{APPLICATION_ID}/commands")) == 1
    finally:
        await fake.close()


async def test_sync_happens_in_setup_hook_before_the_gateway(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        paths = [r.path for r in bot.fake.requests]
        put = next(i for i, p in enumerate(paths) if p.endswith("/commands"))
        gateway = paths.index("/api/v10/gateway/bot")
        assert put < gateway
        assert paths[0] == "/api/v10/users/@me"


CASES: list[tuple[list[dict[str, Any]], int, bool, str]] = [
    (sub("status"), 1, False, "status on 2020-03-05"),
    (sub("countdown"), 1, False, "Countdowns on 2020-03-05"),
    (sub("countdown", option("deadline", "drawdown-8600")), 1, False, "8,600"),
    (sub("countdown", option("deadline", "no-such")), 1, True, "no deadline"),
    (sub("timeline"), 1, False, "Timeline to 2020-03-05"),
    (sub("timeline", option("from", "2020-03-01"), option("to", "2020-03-05")), 1, False, "Events"),
    (sub("timeline", option("from", "March")), 1, True, "YYYY-MM-DD"),
    (sub("timeline", option("page", 1)), 1, False, "Timeline"),
    (sub("event", option("id", "doha-signing")), 1, False, "doha-signing"),
    (sub("event", option("id", "nope")), 1, True, "nope"),
    (sub("digest"), 1, False, "2020-03-05"),
    (sub("subscriptions"), 1, False, "Subscriptions"),
    (sub("help"), 1, True, "/accord status"),
    (sub("calendar", option("events", True)), 2, False, "Deadlines calendar"),
    (sub("chart", option("from", "2020-02-01")), 2, False, "Timeline chart"),
]


@pytest.mark.parametrize(("options", "count", "ephemeral", "expected"), CASES)
async def test_each_subcommand_answers(
    tmp_path: Path, options: list[dict[str, Any]], count: int, ephemeral: bool, expected: str
) -> None:
    async with running_bot(tmp_path) as bot:
        token = await bot.fake.inject("accord", options)
        answers = await bot.fake.wait_answers(token, count)
        shown = [a for a in answers if a.message is not None]
        assert shown, answers
        assert all(a.ephemeral == ephemeral for a in shown)
        assert expected in _text(shown[0].message or {})
        for answer in shown:
            assert (answer.message or {}).get("allowed_mentions") == {"parse": []}
            assert embed_problems(answer.message or {}) == []


async def test_every_message_the_bot_sends_allows_no_mentions(tmp_path: Path) -> None:
    manage = EVERYONE | MANAGE_GUILD
    async with running_bot(tmp_path) as bot:
        tokens = []
        for options, *_ in CASES:
            tokens.append(await bot.fake.inject("accord", options, permissions=manage))
        tokens.append(await bot.fake.inject("accord", sub("digest", group="subscribe")))
        tokens.append(await bot.fake.inject("accord", sub("unsubscribe"), permissions=manage))
        for token in tokens:
            await bot.fake.wait_answers(token)
        for token in tokens[-4:-2]:  # calendar and chart: deferred, then followed up
            await bot.fake.wait_answers(token, 2)
        sent = bot.fake.sent_messages()
        assert len(sent) >= len(tokens)
        for message in sent:
            assert message["allowed_mentions"] == {"parse": []}


async def test_subscribe_without_permission_is_refused_privately(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        options = sub("digest", option("time", "08:00"), group="subscribe")
        token = await bot.fake.inject("accord", options, permissions=EVERYONE)
        (answer,) = await bot.fake.wait_answers(token)
        assert answer.type == 4
        assert answer.payload["data"]["flags"] & 64
        assert "Manage Server or Manage Channels" in _text(answer.payload)
        assert bot.desk.subscribed == []

        token = await bot.fake.inject("accord", sub("unsubscribe"), permissions=EVERYONE)
        (answer,) = await bot.fake.wait_answers(token)
        assert answer.ephemeral and "nothing was changed" in _text(answer.payload)


@pytest.mark.parametrize("permission", [MANAGE_GUILD, MANAGE_CHANNELS])
async def test_managers_subscribe_with_typed_options(tmp_path: Path, permission: int) -> None:
    async with running_bot(tmp_path) as bot:
        options = sub(
            "digest",
            option("time", "07:30"),
            option("zone", "Asia/Kabul"),
            option("chart", True),
            group="subscribe",
        )
        token = await bot.fake.inject("accord", options, permissions=EVERYONE | permission)
        (answer,) = await bot.fake.wait_answers(token)
        assert not answer.ephemeral
        ((caller, command),) = bot.desk.subscribed
        assert (caller.platform, caller.workspace, caller.can_manage) == (
            "discord",
            str(GUILD_ID),
            True,
        )
        assert command.sub_kind == "digest" and command.zone == "Asia/Kabul"
        assert command.at is not None and command.at.isoformat() == "07:30:00"
        assert command.with_chart is True

        reminders = sub("reminders", option("offsets", "7,1"), group="subscribe")
        token = await bot.fake.inject("accord", reminders, permissions=EVERYONE | permission)
        await bot.fake.wait_answers(token)
        assert bot.desk.subscribed[-1][1].offsets == (7, 1)


async def test_bad_zone_is_a_private_error_and_changes_nothing(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        options = sub("digest", option("zone", "Mars/Olympus"), group="subscribe")
        token = await bot.fake.inject("accord", options, permissions=EVERYONE | MANAGE_GUILD)
        (answer,) = await bot.fake.wait_answers(token)
        assert answer.ephemeral
        assert "not a time zone" in _text(answer.payload)
        assert bot.desk.subscribed == []


async def test_subscriptions_in_a_dm_answer_server_channels_only(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        options = sub("digest", group="subscribe")
        token = await bot.fake.inject("accord", options, guild_id=None)
        (answer,) = await bot.fake.wait_answers(token)
        assert answer.ephemeral
        assert "server channels only" in _text(answer.payload)
        assert bot.desk.subscribed == []


async def test_chart_is_deferred_then_sent_as_a_file_with_its_embed(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        token = await bot.fake.inject("accord", sub("chart"))
        defer, followup = await bot.fake.wait_answers(token, 2)
        assert defer.kind == "callback" and defer.type == 5
        assert followup.kind == "followup"
        (file,) = followup.files
        assert file["name"] == "files[0]"
        assert file["filename"] == "accord-timeline.png"
        assert file["content"] == PNG
        embed = followup.payload["embeds"][0]
        assert embed["image"]["url"] == "attachment://accord-timeline.png"
        assert followup.payload["attachments"][0]["filename"] == "accord-timeline.png"


async def test_calendar_file_arrives_intact(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        token = await bot.fake.inject("accord", sub("calendar"))
        _, followup = await bot.fake.wait_answers(token, 2)
        assert followup.files[0]["content"] == ICS
        assert followup.files[0]["filename"] == "accord-deadlines.ics"


def _choices(answer: Any) -> list[dict[str, str]]:
    assert answer.type == 8
    choices: list[dict[str, str]] = answer.payload["data"]["choices"]
    assert len(choices) <= 25
    return choices


async def test_autocomplete_offers_ranked_valid_choices(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        slugs = set(bot.store.deadline_slugs())
        token = await bot.fake.inject(
            "accord", sub("countdown", option("deadline", "sanc", focused=True)), autocomplete=True
        )
        choices = _choices((await bot.fake.wait_answers(token))[0])
        assert [c["value"] for c in choices] == ["un-sanctions", "us-sanctions-review"]
        assert {c["value"] for c in choices} <= slugs

        token = await bot.fake.inject(
            "accord", sub("countdown", option("deadline", "", focused=True)), autocomplete=True
        )
        assert {c["value"] for c in _choices((await bot.fake.wait_answers(token))[0])} == slugs

        options = sub("digest", option("zone", "kab", focused=True), group="subscribe")
        token = await bot.fake.inject("accord", options, autocomplete=True)
        zones = _choices((await bot.fake.wait_answers(token))[0])
        assert zones[0]["value"] == "Asia/Kabul"

        options = sub("digest", option("zone", "america/", focused=True), group="subscribe")
        token = await bot.fake.inject("accord", options, autocomplete=True)
        zones = _choices((await bot.fake.wait_answers(token))[0])
        assert len(zones) == 25 and all(z["value"].startswith("America/") for z in zones)

        known = set(bot.store.event_ids(REPLAY_DAY))
        token = await bot.fake.inject(
            "accord", sub("event", option("id", "", focused=True)), autocomplete=True
        )
        ids = [c["value"] for c in _choices((await bot.fake.wait_answers(token))[0])]
        assert ids and set(ids) <= known


def test_rank_puts_prefix_matches_before_substring_matches() -> None:
    options = ["us-sanctions-review", "un-sanctions", "sanctions-a", "x"]
    assert rank(options, "sanc") == ["sanctions-a", "us-sanctions-review", "un-sanctions"]
    assert rank([f"o{i}" for i in range(40)], "o") == [f"o{i}" for i in range(25)]


async def test_a_rejected_token_stops_the_start(tmp_path: Path) -> None:
    fake = await FakeDiscord(token="the-real-one").start()
    store = Store.open(tmp_path / "accord.db")
    try:
        settings = make_settings(fake, tmp_path / "accord.db", token="a-revoked-one")
        clock = Clock(ZoneInfo("UTC"), REPLAY_DAY)
        dispatcher = Dispatcher(Composer(store), lambda: clock)
        adapter = DiscordAdapter(settings, dispatcher, store)
        with pytest.raises(AdapterError, match="Discord rejected DISCORD_TOKEN"):
            await adapter.start()
        assert fake.requests[0].path == "/api/v10/users/@me"
        assert not fake.requests_to("PUT", "/commands")
        await adapter.stop()
    finally:
        store.close()
        await fake.close()


class SlowDesk(MemoryDesk):
    """A desk that takes its time, as a busy database would."""

    async def describe(self, caller: Caller) -> str:
        await asyncio.sleep(0.2)
        return "Subscriptions: none"

    def zone_for(self, caller: Caller, dossier: str) -> str | None:
        return None

    def followed(self, caller: Caller) -> str | None:
        return None

    async def follow(self, caller: Caller, dossier: str) -> None:
        return None

    async def subscribe(self, caller: Caller, command: Command) -> str:
        await asyncio.sleep(0.2)
        raise CommandError("That channel cannot take a digest.")


async def test_a_slow_answer_is_deferred_then_followed_up(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        bot.adapter.answer_within = 0.05
        bot.adapter.dispatcher.desk = SlowDesk()
        token = await bot.fake.inject("accord", sub("subscriptions"))
        defer, followup = await bot.fake.wait_answers(token, 2)
        assert (defer.type, followup.kind) == (5, "followup")
        assert "Subscriptions: none" in _text(followup.payload)
        assert not followup.ephemeral

        # A private answer after a public defer replaces the public placeholder.
        options = sub("digest", group="subscribe")
        token = await bot.fake.inject("accord", options, permissions=EVERYONE | MANAGE_GUILD)
        defer, delete, followup = await bot.fake.wait_answers(token, 3)
        assert (defer.type, delete.kind) == (5, "delete")
        assert followup.ephemeral and "cannot take a digest" in _text(followup.payload)


async def test_a_changed_command_set_is_synced_again(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        assert await bot.adapter.sync_commands() is False
        extra = app_commands.Command(name="ping", description="A new command", callback=_ping)
        bot.adapter.tree.add_command(extra)
        assert await bot.adapter.sync_commands() is True
        assert len(bot.fake.requests_to("PUT", "/commands")) == 2
        assert {c["name"] for c in bot.fake.commands[str(GUILD_ID)]} == {"accord", "ping"}
        assert await bot.adapter.sync_commands() is False


async def _ping(interaction: discord.Interaction[discord.Client]) -> None:
    await interaction.response.send_message("pong")


async def test_shards_follow_gateway_bot_and_each_guild_is_answered_once(tmp_path: Path) -> None:
    other_guild = GUILD_ID + (1 << 22)  # lands on the other shard
    fake = await FakeDiscord(guild_ids=(GUILD_ID, other_guild)).start()
    fake.shards = 2
    try:
        async with running_bot(tmp_path, fake=fake) as bot:
            assert fake.identified == 2
            assert bot.adapter.client.shard_count == 2
            for guild in (GUILD_ID, other_guild, None):
                token = await fake.inject("accord", sub("status"), guild_id=guild)
                await fake.wait_answers(token)
                await asyncio.sleep(0.05)
                assert len(fake.answers[token]) == 1
    finally:
        await fake.close()


async def test_a_gateway_that_refuses_the_token_later_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(tmp_path) as bot:
        await bot.fake.kick(4004, "Authentication failed.")
        runner = bot.adapter._runner
        assert runner is not None
        await asyncio.wait_for(asyncio.wait({runner}), 5)
        assert "ended for good" in caplog.text
