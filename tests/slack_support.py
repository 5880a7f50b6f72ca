"""Helpers for the Slack tests: signed slash-command requests, a fixed clock, a running
adapter against the fake Slack, and a generated dossier of any size."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import aiohttp
from fakes.slack import BOT_TOKEN, TEAM, FakeSlack
from slack_sdk.models.blocks import Block

from bot.adapters.slack import SlackAdapter
from bot.adapters.slack_blocks import CONTEXT_ELEMENTS, HEADER_TEXT, MAX_BLOCKS, SECTION_TEXT
from bot.commands import ArtifactMaker, Dispatcher, SubscriptionDesk
from bot.settings import Settings
from briefings.clock import Clock
from briefings.compose import Composer
from briefings.model import Deadline, Dossier, DossierInfo, Event, Source
from briefings.store import Store

SIGNING_SECRET = "test-signing-secret"
AS_OF = date(2020, 3, 5)


def fixed_clock() -> Clock:
    return Clock(ZoneInfo("UTC"), AS_OF)


def make_dispatcher(
    store: Store,
    *,
    artifacts: ArtifactMaker | None = None,
    desk: SubscriptionDesk | None = None,
) -> Dispatcher:
    return Dispatcher(Composer(store), fixed_clock, desk=desk, artifacts=artifacts)


def settings_for(fake: FakeSlack, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": fake.api_url,
        "slack_host": "127.0.0.1",
        "slack_port": 0,
        "slack_admin_ids": [],
    }
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def running_adapter(
    fake: FakeSlack, dispatcher: Dispatcher, store: Store, **overrides: Any
) -> AsyncIterator[SlackAdapter]:
    adapter = SlackAdapter(settings_for(fake, **overrides), dispatcher, store)
    await adapter.start()
    try:
        yield adapter
    finally:
        await adapter.stop()


def sign(body: str, timestamp: int, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Slack's v0 request signature headers."""
    base = f"v0:{timestamp}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def command_body(
    text: str,
    response_url: str,
    *,
    user: str = "U0USER",
    channel: str = "C0GENERAL",
    channel_name: str = "general",
    team: str = TEAM,
) -> str:
    return urlencode(
        {
            "token": "unused-verification-token",
            "team_id": team,
            "team_domain": "test",
            "channel_id": channel,
            "channel_name": channel_name,
            "user_id": user,
            "user_name": "someone",
            "command": "/accord",
            "text": text,
            "api_app_id": "A0APP",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    )


async def post_command(
    session: aiohttp.ClientSession,
    adapter: SlackAdapter,
    fake: FakeSlack,
    text: str,
    *,
    timestamp: int | None = None,
    secret: str = SIGNING_SECRET,
    **fields: str,
) -> tuple[int, str]:
    body = command_body(text, fake.response_url(), **fields)
    headers = sign(body, int(time.time()) if timestamp is None else timestamp, secret)
    url = f"http://127.0.0.1:{adapter.port}/slack/events"
    async with session.post(url, data=body.encode(), headers=headers) as response:
        return response.status, await response.text()


def check_payload(payload: dict[str, Any]) -> None:
    """One message within Slack's limits, every block accepted by slack_sdk's models."""
    assert isinstance(payload.get("text"), str) and payload["text"].strip()
    blocks = payload["blocks"]
    assert 1 <= len(blocks) <= MAX_BLOCKS
    for raw in blocks:
        parsed = Block.parse(raw)
        assert parsed is not None, raw
        parsed.validate_json()
        if raw["type"] == "header":
            assert raw["text"]["type"] == "plain_text"
            assert len(raw["text"]["text"]) <= HEADER_TEXT
        if raw["type"] == "section":
            assert len(raw["text"]["text"]) <= SECTION_TEXT
        if raw["type"] == "context":
            assert 1 <= len(raw["elements"]) <= CONTEXT_ELEMENTS
            assert all(len(e["text"]) <= SECTION_TEXT for e in raw["elements"])


def big_dossier(events: int = 2000, deadlines: int = 60, sources: int = 15) -> Dossier:
    """A generated dossier: long titles and summaries, mention-like text, many sources."""
    signed = date(2019, 1, 1)
    refs = tuple(
        Source(
            f"src-{n}",
            f"Source <{n}> & co",
            f"Publisher {n} <!here>",
            # Published on the as-of day: every item enters the record that day (digest).
            published=AS_OF,
            url=f"https://example.org/{n}?a=1&b=<2>" if n % 2 else "ftp://example.org/x",
        )
        for n in range(sources)
    )
    ids = tuple(s.id for s in refs)
    listed = tuple(
        Event(
            f"ev-{n:05d}",
            signed + timedelta(days=n % 400),
            f"Event {n} <!channel> & <@U123> " + "x" * (n % 300),
            ids,
            summary=("Summary <b>&</b> " * 400) if n % 7 == 0 else None,
            quote="“A quote” <!everyone>",
        )
        for n in range(events)
    )
    dues = tuple(
        Deadline(
            f"deadline-{n:03d}",
            f"Deadline {n} <!subteam^S1> " + "y" * 200,
            signed + timedelta(days=30 * n),
            ids,
            basis="basis & <more>",
        )
        for n in range(deadlines)
    )
    info = DossierInfo(
        "generated", "Generated dossier " + "z" * 200, signed, ("A", "B"), "Summary " * 800
    )
    return Dossier(info, refs, listed, dues)


def store_with(path: Path, *dossiers: Dossier) -> Store:
    store = Store.open(path, seed=False)
    store.import_dossiers(list(dossiers))
    return store


async def post_event(
    session: aiohttp.ClientSession,
    adapter: SlackAdapter,
    team: str,
    event: dict[str, Any],
    secret: str = SIGNING_SECRET,
) -> int:
    """An Events API callback (app_uninstalled, tokens_revoked, ...) as Slack signs it."""
    body = json.dumps(
        {
            "token": "unused-verification-token",
            "team_id": team,
            "api_app_id": "A0APP",
            "type": "event_callback",
            "event_id": f"Ev{team}{int(time.time() * 1000)}",
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [
                {"team_id": team, "user_id": "U0BOT", "is_bot": True, "enterprise_id": None}
            ],
        }
    )
    headers = {**sign(body, int(time.time()), secret), "Content-Type": "application/json"}
    url = f"http://127.0.0.1:{adapter.port}/slack/events"
    async with session.post(url, data=body.encode(), headers=headers) as response:
        await response.read()
        return response.status
