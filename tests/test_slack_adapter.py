"""/accord through the real Bolt app over HTTP, against the fake Slack."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import pytest
from fakes.slack import APP_TOKEN, TEAM, FakeSlack
from slack_support import (
    check_payload,
    command_body,
    make_dispatcher,
    post_command,
    running_adapter,
    settings_for,
    store_with,
)

from bot.adapters import AdapterError
from bot.adapters.slack import SlackAdapter
from bot.commands import SUBCOMMANDS, Caller, Command
from bot.delivery import Attachment
from briefings.clock import Clock
from briefings.curation import load_dossier
from briefings.store import Store


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.stop()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "accord.db")


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
async def adapter(fake: FakeSlack, store: Store) -> AsyncIterator[SlackAdapter]:
    async with running_adapter(fake, make_dispatcher(store), store) as running:
        yield running


def texts(payload: dict[str, Any]) -> str:
    return json.dumps(payload["blocks"], ensure_ascii=False) + payload["text"]


async def ask(
    session: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack, text: str, **kw: Any
) -> list[dict[str, Any]]:
    """Send a signed /accord, check the ack, and return the messages sent back."""
    before = len(fake.responses)
    status, body = await post_command(session, adapter, fake, text, **kw)
    assert status == 200, body
    await fake.wait_responses(before + 1)
    await asyncio.sleep(0.05)  # any further messages of the same answer
    answers = fake.responses[before:]
    for answer in answers:
        check_payload(answer)
        assert answer["replace_original"] is False
        assert "link_names" not in answer and "parse" not in answer
    return answers


async def test_start_reports_the_bound_port_and_checks_the_token(
    adapter: SlackAdapter, fake: FakeSlack
) -> None:
    assert adapter.port and adapter.port > 0
    assert adapter.team_id == TEAM
    assert fake.calls("auth.test")
    assert adapter.platform == "slack" and adapter.poster.platform == "slack"


async def test_bad_token_fails_fast(fake: FakeSlack, store: Store) -> None:
    adapter = SlackAdapter(
        settings_for(fake, slack_bot_token="xoxb-revoked"), make_dispatcher(store), store
    )
    with pytest.raises(AdapterError, match=r"Slack rejected SLACK_BOT_TOKEN \(invalid_auth\)"):
        await adapter.start()
    await adapter.stop()
    assert adapter.port is None


async def test_status_is_public_and_counts_down(
    session: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack
) -> None:
    (answer,) = await ask(session, adapter, fake, "status")
    assert answer["response_type"] == "in_channel"
    shown = texts(answer)
    for days in (5, 85, 130, 175, 420):
        assert f"in {days} days" in shown
    assert "status on 2020-03-05" in shown


@pytest.mark.parametrize("name", SUBCOMMANDS)
async def test_every_subcommand_answers(
    session: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack, name: str
) -> None:
    words = {
        "event": "event doha-signing",
        "subscribe": "subscribe digest 08:00 Asia/Kabul",
        "curate": "curate event",
        "history": "history doha-signing",
        "follow": "follow colombia-2016",
    }.get(name, name)
    answers = await ask(session, adapter, fake, words)
    public = answers[0]["response_type"] == "in_channel"
    shown = " ".join(texts(a) for a in answers)
    if name in ("status", "countdown", "timeline", "event", "digest"):
        assert public
    elif name == "help":
        assert not public and "/accord status" in shown
    elif name == "dossiers":
        assert public and "colombia-2016" in shown and "doha-2020" in shown
    elif name in ("subscribe", "unsubscribe", "follow"):
        # A plain member: a private refusal, before anything else is looked at.
        assert not public and "Only workspace admins and owners" in shown
        assert fake.calls("users.info")
    elif name == "subscriptions":
        assert not public and "not available yet" in shown
    elif name == "curate":  # a plain member: refused privately, no form
        assert not public and "Only workspace admins and owners" in shown
        assert not fake.views
    elif name == "history":
        assert not public and "#1 " in shown and "file:doha-2020.yaml" in shown
    elif name == "review":  # this bot applies changes at once
        assert not public and "Review is off" in shown
    else:  # chart, calendar without the artifact maker
        assert not public and "not available" in shown


async def test_admins_reach_the_subscription_desk(
    session: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack
) -> None:
    fake.users["U0ADMIN"] = {"is_admin": True}
    (answer,) = await ask(session, adapter, fake, "subscribe reminders 7,1", user="U0ADMIN")
    assert answer["response_type"] == "ephemeral"
    assert "Subscriptions are not available yet" in texts(answer)
    # The lookup is cached for a while.
    await ask(session, adapter, fake, "unsubscribe all", user="U0ADMIN")
    assert len(fake.calls("users.info")) == 1


class Desk:
    """A subscription desk that records what it was asked."""

    def __init__(self) -> None:
        self.seen: list[tuple[Caller, Command | str]] = []

    async def subscribe(self, caller: Caller, command: Command) -> str:
        self.seen.append((caller, command))
        return "Subscribed <#C1> to the digest"

    async def unsubscribe(self, caller: Caller, kind: str, dossier: str | None) -> str:
        self.seen.append((caller, kind))
        return "Unsubscribed"

    async def describe(self, caller: Caller) -> str:
        return "Nothing yet"

    def zone_for(self, caller: Caller, dossier: str) -> str | None:
        return None

    def followed(self, caller: Caller) -> str | None:
        return None

    async def follow(self, caller: Caller, dossier: str) -> None:
        return None


async def test_configured_admin_ids_and_caller(
    session: aiohttp.ClientSession, fake: FakeSlack, store: Store
) -> None:
    desk = Desk()
    dispatcher = make_dispatcher(store, desk=desk)
    async with running_adapter(fake, dispatcher, store, slack_admin_ids="U0BOSS") as adapter:
        (answer,) = await ask(session, adapter, fake, "subscribe digest 08:00", user="U0BOSS")
        assert answer["response_type"] == "in_channel"
        assert "&lt;#C1&gt;" in texts(answer)
        refused = await ask(
            session, adapter, fake, "subscribe digest", user="U0BOSS", channel="D0DM"
        )
        assert "not in DMs" in texts(refused[0])
    assert not fake.calls("users.info")
    caller, command = desk.seen[0]
    assert caller == Caller(
        "slack", TEAM, "C0GENERAL", "U0BOSS", can_manage=True, in_dm=False, name="someone"
    )
    assert isinstance(command, Command) and command.sub_kind == "digest"


async def test_unknown_subcommand_is_private_and_names_the_valid_ones(
    session: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack
) -> None:
    (answer,) = await ask(session, adapter, fake, "frobnicate")
    assert answer["response_type"] == "ephemeral"
    shown = texts(answer)
    assert "frobnicate" in shown
    for name in SUBCOMMANDS:
        assert name in shown


async def test_errors_carry_usage_privately(
    session: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack
) -> None:
    (answer,) = await ask(session, adapter, fake, "timeline 2020-03-31 2020-03-01")
    assert answer["response_type"] == "ephemeral"
    assert "swap them" in texts(answer) and "Usage: /accord timeline" in texts(answer)


async def test_user_text_echoed_back_cannot_mention(
    session: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack
) -> None:
    (answer,) = await ask(session, adapter, fake, "&lt;!channel&gt;")
    assert "<!channel>" not in texts(answer)
    assert "&lt;!channel&gt;" in texts(answer)


async def test_curated_mentions_arrive_escaped(
    session: aiohttp.ClientSession, fake: FakeSlack, tmp_path: Path
) -> None:
    source = tmp_path / "mention.yaml"
    source.write_text(
        """
dossier: {slug: m, title: Mentions, signed: 2020-02-29, parties: [A, B], summary: S}
sources:
  - {id: s, title: Source, publisher: Pub, published: 2020-03-01, url: "https://e.org"}
events:
  - {id: ev-1, date: 2020-03-01, title: "<!channel> & <@U123>", sources: [s]}
deadlines: []
""",
        encoding="utf-8",
    )
    store = store_with(tmp_path / "m.db", load_dossier(source))
    async with running_adapter(fake, make_dispatcher(store), store) as adapter:
        (answer,) = await ask(session, adapter, fake, "timeline")
    shown = texts(answer)
    assert "&lt;!channel&gt; &amp; &lt;@U123&gt;" in shown
    assert "<!channel>" not in shown and "<@U123>" not in shown


@pytest.mark.parametrize("forgery", ["signature", "stale"])
async def test_forged_or_stale_requests_are_refused(
    session: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack, forgery: str
) -> None:
    if forgery == "signature":
        status, _ = await post_command(session, adapter, fake, "status", secret="wrong")
    else:
        old = int(time.time()) - 6 * 60
        status, _ = await post_command(session, adapter, fake, "status", timestamp=old)
    assert status == 401
    await asyncio.sleep(0.2)
    assert fake.responses == []
    assert not fake.calls("chat.postMessage")


class SlowArtifacts:
    """Test stand-in for the chart module: fixed bytes, made slowly."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay

    def chart(
        self, clock: Clock, start: date | None, end: date | None, dossier: str | None
    ) -> Attachment:
        time.sleep(self.delay)
        return Attachment("timeline.png", b"\x89PNG fake chart", "image/png", "Timeline <chart>")

    def calendar(self, clock: Clock, with_events: bool, dossier: str | None) -> Attachment:
        time.sleep(self.delay)
        return Attachment("accord.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")


async def test_chart_is_uploaded_in_three_steps(
    session: aiohttp.ClientSession, fake: FakeSlack, store: Store
) -> None:
    dispatcher = make_dispatcher(store, artifacts=SlowArtifacts())
    async with running_adapter(fake, dispatcher, store) as adapter:
        status, _ = await post_command(session, adapter, fake, "chart", channel="C0CHARTS")
        assert status == 200
        for _ in range(100):
            if fake.calls("files.completeUploadExternal"):
                break
            await asyncio.sleep(0.05)
    steps = [
        r.method for r in fake.requests if r.method.startswith("files.") or r.method == "upload"
    ]
    assert steps == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    assert fake.uploads == [b"\x89PNG fake chart"]
    (complete,) = fake.calls("files.completeUploadExternal")
    assert complete.params["channel_id"] == "C0CHARTS"
    assert "Timeline &lt;chart&gt;" in complete.params["initial_comment"]
    (url_call,) = fake.calls("files.getUploadURLExternal")
    assert url_call.params["filename"] == "timeline.png"


async def test_failed_upload_is_explained_privately(
    session: aiohttp.ClientSession, fake: FakeSlack, store: Store
) -> None:
    fake.fail("files.getUploadURLExternal", error="not_in_channel")
    dispatcher = make_dispatcher(store, artifacts=SlowArtifacts())
    async with running_adapter(fake, dispatcher, store) as adapter:
        (answer,) = await ask(session, adapter, fake, "calendar")
    assert answer["response_type"] == "ephemeral"
    assert "/invite" in texts(answer)


async def test_ack_comes_before_a_slow_answer(
    session: aiohttp.ClientSession, fake: FakeSlack, store: Store
) -> None:
    dispatcher = make_dispatcher(store, artifacts=SlowArtifacts(delay=1.5))
    fake.fail("files.getUploadURLExternal", error="not_in_channel")
    async with running_adapter(fake, dispatcher, store) as adapter:
        started = time.monotonic()
        status, _ = await post_command(session, adapter, fake, "chart")
        acked = time.monotonic() - started
        assert status == 200
        assert fake.responses == []  # the answer has not come yet
        await fake.wait_responses(1)
        answered = time.monotonic() - started
    assert acked < 1.0 < answered


async def test_long_answers_use_several_responses(
    session: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack
) -> None:
    answers = await ask(session, adapter, fake, "timeline")
    assert 1 < len(answers) <= 5
    assert {a["response_type"] for a in answers} == {"in_channel"}


async def test_dm_detection(
    session: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack
) -> None:
    (answer,) = await ask(
        session, adapter, fake, "subscriptions", channel="C0PRIV", channel_name="directmessage"
    )
    assert "not in DMs" in texts(answer)


async def test_socket_mode(fake: FakeSlack, store: Store) -> None:
    command = dict(parse_qsl(command_body("countdown drawdown-8600", fake.response_url())))
    async with running_adapter(
        fake, make_dispatcher(store), store, slack_app_token=APP_TOKEN
    ) as adapter:
        assert adapter.mode == "socket" and adapter.port is None
        for _ in range(100):
            if fake.sockets:
                break
            await asyncio.sleep(0.05)
        envelope = await fake.send_envelope("slash_commands", command)
        (answer,) = await fake.wait_responses(1)
        for _ in range(100):
            if fake.socket_acks:
                break
            await asyncio.sleep(0.05)
    assert fake.calls("apps.connections.open")[0].token == APP_TOKEN
    assert fake.socket_acks[0]["envelope_id"] == envelope
    check_payload(answer)
    assert answer["response_type"] == "in_channel"
    assert "drawdown-8600" in texts(answer)
