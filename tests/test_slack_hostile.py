"""Hostile requests at the real Bolt HTTP endpoint, before the signature is checked:
400 or 401, at most one short log line each, never a traceback."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from fakes.slack import FakeSlack
from slack_support import make_dispatcher, post_command, running_adapter, sign
from waiting import eventually

from bot.adapters.slack import EVENTS_PATH
from briefings.store import Store

NOW = int(time.time())
FORM = "application/x-www-form-urlencoded"
HOSTILE: list[tuple[str, bytes, dict[str, str]]] = [
    ("json with a bad body", b'{"type": ', {"Content-Type": "application/json"}),
    ("json not an object", b"[1, 2]", {"Content-Type": "application/json"}),
    ("garbage payload", b"payload=%7Bnot-json", {"Content-Type": FORM}),
    ("unknown charset", b"text=hi", {"Content-Type": FORM + "; charset=klingon"}),
    ("invalid utf-8", b"text=\xff\xfe\xfd", {"Content-Type": FORM}),
    (
        "non-numeric timestamp",
        b"text=hi",
        {
            "Content-Type": FORM,
            "X-Slack-Request-Timestamp": "soon",
            "X-Slack-Signature": "v0=00",
        },
    ),
    (
        "huge timestamp",
        b"text=hi",
        {"X-Slack-Request-Timestamp": "9" * 400, "X-Slack-Signature": "v0=00"},
    ),
    ("signed but stale", b"text=hi", sign("text=hi", NOW - 3600)),
]


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.stop()


@pytest.mark.parametrize(("case", "body", "headers"), HOSTILE, ids=[c[0] for c in HOSTILE])
async def test_hostile_request_gets_400_or_401_and_one_short_line(
    fake: FakeSlack,
    tmp_path: object,
    caplog: pytest.LogCaptureFixture,
    case: str,
    body: bytes,
    headers: dict[str, str],
) -> None:
    store = Store.open(f"{tmp_path}/accord.db")
    caplog.set_level(logging.DEBUG)
    async with (
        running_adapter(fake, make_dispatcher(store), store) as adapter,
        aiohttp.ClientSession() as session,
    ):
        caplog.clear()
        url = f"http://127.0.0.1:{adapter.port}{EVENTS_PATH}"
        async with session.post(url, data=body, headers=headers) as response:
            assert response.status in (400, 401), await response.text()
    store.close()
    mine = [r for r in caplog.records if not r.name.startswith(("aiohttp.access", "asyncio"))]
    assert all(r.exc_info is None for r in caplog.records), [r.getMessage() for r in mine]
    warnings = [r for r in mine if r.levelno >= logging.WARNING]
    assert len(warnings) <= 1, [r.getMessage() for r in warnings]
    assert all(len(r.getMessage()) < 200 and "\n" not in r.getMessage() for r in warnings)
    assert not fake.responses


async def test_a_huge_zone_or_time_is_not_echoed_whole(fake: FakeSlack, tmp_path: object) -> None:
    store = Store.open(f"{tmp_path}/accord.db")
    async with (
        running_adapter(fake, make_dispatcher(store), store) as adapter,
        aiohttp.ClientSession() as session,
    ):
        for text in ("subscribe digest " + "9" * 100_000, "subscribe digest 08:00 " + "A" * 99_000):
            before = len(fake.responses)
            status, _ = await post_command(session, adapter, fake, text)
            assert status == 200
            assert await eventually(lambda: len(fake.responses) > before)  # noqa: B023
            assert all(len(json.dumps(r)) < 3000 for r in fake.responses[before:])
    store.close()
