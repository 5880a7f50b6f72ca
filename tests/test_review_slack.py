"""Two-person review through the real Bolt app and the fake Slack: a proposal posted to
the review channel with buttons, signed `block_actions` clicks, the reason modal, and
the review message updated with chat.update."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from fakes.slack import FakeSlack
from slack_support import (
    TEAM,
    make_dispatcher,
    post_command,
    post_interaction,
    running_adapter,
    view_submission,
)
from waiting import eventually

from bot.adapters.slack import SlackAdapter
from bot.commands import Dispatcher
from bot.runtime import curation_desk
from briefings import revisions
from briefings.store import Store

ANA, BO, NOBODY = "U0ANA", "U0BO", "U0NOBODY"
REVIEW = "C0REVIEW"
EVENT_ID = "2020-03-04-talks-resume-in-doha"
TEXT = 'curate event date:2020-03-04 title:"Talks resume in Doha" sources:reuters'


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


def reviewing(store: Store) -> Dispatcher:
    dispatcher = make_dispatcher(store)
    dispatcher.curation = curation_desk(store, review=True)
    return dispatcher


@pytest.fixture
async def adapter(fake: FakeSlack, store: Store) -> AsyncIterator[SlackAdapter]:
    async with running_adapter(
        fake,
        reviewing(store),
        store,
        slack_curator_ids=f"{ANA},{BO}",
        slack_review_channel=REVIEW,
    ) as running:
        yield running


def block_actions(message: dict[str, Any], action_id: str, *, user: str) -> dict[str, Any]:
    """What Slack posts when someone clicks a button on a message the app posted."""
    blocks = message["blocks"]
    actions = next(b for b in blocks if b["type"] == "actions")
    button = next(e for e in actions["elements"] if e["action_id"] == action_id)
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
        "api_app_id": "A0APP",
        "token": "unused-verification-token",
        "container": {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": message["channel"],
            "is_ephemeral": False,
        },
        "trigger_id": "7.8.9",
        "team": {"id": TEAM, "domain": "test"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": message["channel"], "name": "review"},
        "message": {"type": "message", "ts": message["ts"], "text": "", "blocks": blocks},
        "state": {"values": {}},
        "response_url": "http://127.0.0.1:1/unused",
        "actions": [
            {
                "action_id": action_id,
                "block_id": actions["block_id"],
                "text": button["text"],
                "value": button["value"],
                "type": "button",
                "action_ts": "1583400000.000100",
            }
        ],
    }


async def propose(
    session: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack
) -> dict[str, Any]:
    status, _ = await post_command(session, adapter, fake, TEXT, user=ANA)
    assert status == 200
    told = (await fake.wait_responses(1))[-1]
    assert "proposed as #1" in json.dumps(told)
    await eventually(lambda: [m for m in fake.messages if m.channel == REVIEW])
    posted = next(m for m in fake.messages if m.channel == REVIEW)
    return {"channel": posted.channel, "ts": posted.ts, "blocks": posted.params["blocks"]}


def blocks_of(params: dict[str, Any]) -> Any:
    blocks = params["blocks"]
    return json.loads(blocks) if isinstance(blocks, str) else blocks


async def test_the_proposer_cannot_approve_and_a_second_curator_can(
    session: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack, store: Store
) -> None:
    before = store.content_fingerprint()
    message = await propose(session, adapter, fake)
    message["blocks"] = blocks_of({"blocks": message["blocks"]})
    shown = json.dumps(message["blocks"])
    assert "Proposal #1" in shown and "Talks resume in Doha" in shown
    assert store.content_fingerprint() == before  # nothing live yet

    status, _ = await post_interaction(
        session, adapter, block_actions(message, "accord_review_approve", user=ANA)
    )
    assert status == 200
    await eventually(lambda: fake.ephemeral)
    assert fake.ephemeral[-1].params["user"] == ANA
    assert "another curator must approve" in fake.ephemeral[-1].params["text"]
    assert store.content_fingerprint() == before and fake.updates == []

    await post_interaction(
        session, adapter, block_actions(message, "accord_review_approve", user=NOBODY)
    )
    await eventually(lambda: len(fake.ephemeral) == 2)
    assert "Only workspace admins" in fake.ephemeral[-1].params["text"]

    status, _ = await post_interaction(
        session, adapter, block_actions(message, "accord_review_approve", user=BO)
    )
    assert status == 200
    await eventually(lambda: fake.updates)
    update = fake.updates[-1]
    assert (update.channel, update.ts) == (message["channel"], message["ts"])
    updated = json.dumps(blocks_of(update.params))
    assert "Approved by" in updated and BO in updated
    assert "accord_review_approve" not in updated  # no buttons once decided

    rows = revisions.history(store.db, "doha-2020", EVENT_ID)
    assert [(r.author.user_id, r.approver.user_id if r.approver else None) for r in rows] == [
        (ANA, BO)
    ]
    await post_command(session, adapter, fake, "timeline 2020-03-04 2020-03-04", user=NOBODY)
    assert "Talks resume in Doha" in json.dumps((await fake.wait_responses(2))[-1])

    # A second click (a double click, another curator) applies nothing more.
    await post_interaction(
        session, adapter, block_actions(message, "accord_review_approve", user=BO)
    )
    await eventually(lambda: len(fake.ephemeral) == 3)
    assert "already decided" in fake.ephemeral[-1].params["text"]
    assert len(revisions.history(store.db, "doha-2020", EVENT_ID)) == 1


async def test_reject_asks_for_a_reason_in_a_modal(
    session: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack, store: Store
) -> None:
    message = await propose(session, adapter, fake)
    message["blocks"] = blocks_of({"blocks": message["blocks"]})
    await post_interaction(
        session, adapter, block_actions(message, "accord_review_reject", user=BO)
    )
    await eventually(lambda: fake.views)
    view = fake.views[-1].view
    assert fake.views[-1].trigger_id == "7.8.9" and view["callback_id"] == "accord_review_reason"

    status, body = await post_interaction(
        session, adapter, view_submission(view, {"reason": "   "}, user=BO)
    )
    assert json.loads(body)["response_action"] == "errors"  # a reason is needed
    status, body = await post_interaction(
        session, adapter, view_submission(view, {"reason": "no source says so"}, user=BO)
    )
    assert status == 200 and not json.loads(body or "{}").get("response_action")
    await eventually(lambda: fake.updates)
    updated = json.dumps(blocks_of(fake.updates[-1].params))
    assert "Rejected by" in updated and "no source says so" in updated
    assert revisions.history(store.db, "doha-2020", EVENT_ID) == []


async def test_text_form_review_and_a_stale_proposal_is_refused(
    session: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack, store: Store
) -> None:
    correct = 'curate correct {id} title:"{title}" reason:"typo"'
    event = store.event_ids(store.info().signed)[0]
    await post_command(session, adapter, fake, correct.format(id=event, title="First"), user=ANA)
    await post_command(session, adapter, fake, correct.format(id=event, title="Second"), user=BO)
    await fake.wait_responses(2)
    await post_command(session, adapter, fake, "review", user=BO)
    listing = json.dumps((await fake.wait_responses(3))[-1])
    assert "#1" in listing and "#2" in listing and "First" in listing

    await post_command(session, adapter, fake, "review approve 2", user=ANA)
    assert "Approved #2" in json.dumps((await fake.wait_responses(4))[-1])
    await post_command(session, adapter, fake, "review approve 1", user=BO)
    refused = json.dumps((await fake.wait_responses(5))[-1])
    assert "not applied" in refused and "changed since" in refused
    rows = revisions.history(store.db, "doha-2020", event)
    assert [r.change.after["title"] for r in rows if r.change.after][-1] == "Second"

    await post_command(session, adapter, fake, 'review reject 1 reason:"late"', user=BO)
    assert "already decided" in json.dumps((await fake.wait_responses(6))[-1])
