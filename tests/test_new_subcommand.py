"""Adding a subcommand is one spec entry and one handler: the text parser, the synced
Discord schema and help all pick it up, with typed values end to end."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from discord_support import GUILD_ID, option, running_bot, sub

from bot.commands import (
    SPECS,
    Caller,
    Command,
    Dispatcher,
    Param,
    Registry,
    Reply,
    Spec,
    parse_text,
)

CALLER = Caller("console", "console", "room", "tester")


async def echo(dispatcher: Dispatcher, command: Command, caller: Caller) -> Reply:
    extra = command.extra
    return Reply(text=f"echo {extra['title']!r} x{extra['times']} loud={extra['loud']}")


def _times(text: str) -> int:
    return int(text)


def with_echo() -> Registry:
    registry = SPECS.copy()
    registry.register(
        Spec(
            "echo",
            "Say a title back",
            "/accord echo title:TEXT [times:N] [loud]",
            echo,
            params=(
                Param("title", "a title to say", required=True, positional=False),
                Param(
                    "times", "How often", kind=int, convert=_times, default=1, minimum=1, maximum=9
                ),
                Param("loud", "Shout it", kind=bool, flag=True, default=False),
            ),
            examples=('/accord echo title:"Talks open"',),
        )
    )
    return registry


def test_the_text_parser_knows_the_new_subcommand() -> None:
    registry = with_echo()
    command = parse_text("echo title:“Talks open” 3 loud", registry)
    assert command.name == "echo"
    assert dict(command.extra) == {"title": "Talks open", "times": 3, "loud": True}
    straight = parse_text('echo title:"Talks open" times:2', registry)
    assert straight.extra["title"] == "Talks open" and straight.extra["times"] == 2
    assert "echo" not in SPECS.names  # the shipped table is untouched


async def test_help_and_usage_errors_come_from_the_spec(tmp_path: Path) -> None:
    from briefings.clock import Clock
    from briefings.compose import Composer
    from briefings.store import Store

    store = Store.open(tmp_path / "a.db")
    clock = Clock(ZoneInfo("UTC"), date(2020, 3, 5))
    dispatcher = Dispatcher(Composer(store), lambda: clock, registry=with_echo())
    help_reply = await dispatcher.handle_text("help", CALLER)
    assert "`/accord echo title:TEXT [times:N] [loud]`: Say a title back" in help_reply.plain_text
    missing = await dispatcher.handle_text("echo 3", CALLER)
    assert missing.error and "`echo` needs a title to say" in missing.plain_text
    assert "Usage: /accord echo title:TEXT" in missing.plain_text
    said = await dispatcher.handle_text("echo title:“Talks open” loud", CALLER)
    assert said.plain_text == "echo 'Talks open' x1 loud=True"


async def test_the_synced_discord_schema_has_it_and_values_stay_typed(tmp_path: Path) -> None:
    async with running_bot(tmp_path, registry=with_echo()) as bot:
        (accord,) = bot.fake.commands[str(GUILD_ID)]
        options = {o["name"]: o for o in accord["options"]}
        echo_options = {o["name"]: o for o in options["echo"]["options"]}
        assert options["echo"]["description"] == "Say a title back"
        assert echo_options["title"]["type"] == 3 and echo_options["title"]["required"]
        assert echo_options["times"]["type"] == 4 and echo_options["times"]["max_value"] == 9
        assert echo_options["loud"]["type"] == 5
        token = await bot.fake.inject(
            "accord",
            sub("echo", option("title", "Talks open"), option("times", 2), option("loud", True)),
        )
        (answer,) = await bot.fake.wait_answers(token, 1)
        assert "echo 'Talks open' x2 loud=True" in str(answer.message)
