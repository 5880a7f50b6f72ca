"""Any text a user can type after /accord: parsed, dispatched and answered, never a crash."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
from fakes.slack import FakeSlack
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_support import (
    check_payload,
    fixed_clock,
    make_dispatcher,
    post_command,
    running_adapter,
)

from bot.adapters.slack_blocks import reply_text, text_payload
from bot.commands import (
    APOLOGY,
    SUBCOMMANDS,
    Caller,
    Command,
    CommandError,
    Dispatcher,
    parse_text,
)
from briefings.clock import Clock
from briefings.compose import Composer
from briefings.document import Briefing
from briefings.store import Store

# Words that reach deeper into the grammar than random text does.
WORDS = st.sampled_from(
    [
        *SUBCOMMANDS,
        "digest",
        "reminders",
        "all",
        "page:2",
        "page:0",
        "from:2020-02-30",
        "to:2020-03-01",
        "2020-03-05",
        "08:00",
        "25:61",
        "Asia/Kabul",
        "Mars/Olympus",
        "30,7,1,0",
        "chart",
        "passed",
        "events",
        "&lt;!channel&gt;",
        "<@U1>",
        "drawdown-8600",
    ]
)
COMMAND_TEXT = st.one_of(
    st.text(max_size=4000),
    st.lists(st.one_of(WORDS, st.text(max_size=30)), max_size=8).map(" ".join),
)
CALLER = Caller("slack", "T0001", "C0GENERAL", "U0USER", can_manage=True)


@settings(max_examples=300, deadline=None)
@given(COMMAND_TEXT)
def test_parse_text_only_raises_command_errors(text: str) -> None:
    try:
        command = parse_text(text)
    except CommandError as err:
        assert err.message
        check_payload(text_payload(reply_text(err.message, err.usage)))
    else:
        assert isinstance(command, Command) and command.name in SUBCOMMANDS


def test_dispatcher_answers_anything(tmp_path: Path) -> None:
    dispatcher = make_dispatcher(Store.open(tmp_path / "a.db"))
    loop = asyncio.new_event_loop()

    @settings(max_examples=150, deadline=None)
    @given(COMMAND_TEXT)
    def check(text: str) -> None:
        reply = loop.run_until_complete(dispatcher.handle_text(text, CALLER))
        assert reply.briefing is not None or reply.text
        assert "Traceback" not in reply.plain_text
        assert APOLOGY not in reply.plain_text, text  # our fault, not the user's

    try:
        check()
    finally:
        loop.close()


class FailingComposer(Composer):
    def compose(self, kind: str, clock: Clock, **options: Any) -> Briefing:
        raise RuntimeError("broken on purpose")


def test_the_fuzz_check_catches_a_composer_that_always_fails(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "a.db")
    dispatcher = Dispatcher(FailingComposer(store), fixed_clock)
    reply = asyncio.run(dispatcher.handle_text("status", CALLER))
    assert APOLOGY in reply.plain_text  # what the fuzz tests refuse


def test_http_endpoint_never_fails(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "a.db")
    loop = asyncio.new_event_loop()

    async def setup() -> tuple[FakeSlack, aiohttp.ClientSession]:
        return await FakeSlack().start(), aiohttp.ClientSession()

    fake, session = loop.run_until_complete(setup())
    context = running_adapter(fake, make_dispatcher(store), store)
    adapter = loop.run_until_complete(context.__aenter__())
    statuses: list[int] = []

    @settings(
        max_examples=50,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(COMMAND_TEXT)
    def check(text: str) -> None:
        before = len(fake.responses)
        status, body = loop.run_until_complete(post_command(session, adapter, fake, text))
        statuses.append(status)
        assert status == 200, body
        loop.run_until_complete(fake.wait_responses(before + 1))

    try:
        check()
        loop.run_until_complete(asyncio.sleep(0.2))
    finally:
        loop.run_until_complete(context.__aexit__(None, None, None))
        loop.run_until_complete(session.close())
        loop.run_until_complete(fake.stop())
        loop.close()
    assert statuses and all(s == 200 for s in statuses)
    assert len(fake.responses) >= len(statuses)
    for answer in fake.responses:
        check_payload(answer)
        shown = json.dumps(answer)
        assert "Traceback" not in shown and "went wrong" not in shown
