"""Curating from Slack through the real Bolt app: views.open on /accord curate, signed
view_submission payloads, errors on their fields, rights checked again on submit."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from fakes.slack import FakeSlack
from slack_support import (
    make_dispatcher,
    post_command,
    post_interaction,
    running_adapter,
    view_submission,
)
from waiting import eventually

from bot.adapters.slack import SlackAdapter
from briefings import revisions
from briefings.store import Store

CURATOR = "U0CURATOR"
EVENT_ID = "2020-03-04-ceasefire-talks-in-kabul-channel"
GOOD = {
    "date": "2020-03-04",
    "title": "Ceasefire talks in Kabul <!channel>",
    "summary": "Officials met *briefly*.",
    "sources": "reuters",
}


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack(users={"U0OWNER": {"is_owner": True}}).start()
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
    dispatcher = make_dispatcher(store)
    async with running_adapter(fake, dispatcher, store, slack_curator_ids=CURATOR) as running:
        yield running


async def open_event_form(
    session: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack
) -> dict[str, Any]:
    status, _ = await post_command(session, adapter, fake, "curate event", user=CURATOR)
    assert status == 200
    for _ in range(200):
        if fake.views:
            break
        await asyncio.sleep(0.01)
    assert len(fake.views) == 1
    opened = fake.views[0]
    assert opened.trigger_id == "1.2.3"  # the command's trigger_id
    return opened.view


async def test_curate_event_opens_a_modal_with_the_commands_trigger(
    session: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack
) -> None:
    view = await open_event_form(session, adapter, fake)
    assert view["type"] == "modal" and view["callback_id"] == "accord_curate"
    blocks = [b["block_id"] for b in view["blocks"]]
    assert blocks[:5] == ["date", "title", "summary", "sources", "tags"]
    assert json.loads(view["private_metadata"])["d"] == "doha-2020"
    assert fake.responses == []  # no message: the form is the answer


async def test_bad_date_is_shown_on_its_field_and_nothing_is_stored(
    session: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack, store: Store
) -> None:
    view = await open_event_form(session, adapter, fake)
    before = store.content_fingerprint()
    payload = view_submission(view, {**GOOD, "date": "2020-02-30"}, user=CURATOR)
    status, body = await post_interaction(session, adapter, payload)
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    assert "not a real calendar date" in answer["errors"]["date"]
    assert set(answer["errors"]) == {"date"}
    assert store.content_fingerprint() == before


async def test_good_submit_stores_the_event_and_the_timeline_shows_it(
    session: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack, store: Store
) -> None:
    view = await open_event_form(session, adapter, fake)
    status, body = await post_interaction(
        session, adapter, view_submission(view, GOOD, user=CURATOR)
    )
    assert status == 200 and not json.loads(body or "{}").get("response_action")
    await eventually(lambda: fake.ephemeral)
    rows = revisions.history(store.db, "doha-2020", EVENT_ID)
    assert [r.author.platform for r in rows] == ["slack"] and rows[0].author.user_id == CURATOR
    told = fake.ephemeral[-1].params
    assert told["user"] == CURATOR and told["channel"] == "C0GENERAL"
    assert f"event {EVENT_ID} recorded as revision 2" in told["text"]

    await post_command(session, adapter, fake, "timeline 2020-03-04 2020-03-04")
    shown = json.dumps((await fake.wait_responses(1))[-1])
    assert "Ceasefire talks in Kabul" in shown and "Reuters" in shown
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown  # no ping


async def test_forged_submit_from_a_non_curator_is_refused(
    session: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack, store: Store
) -> None:
    view = await open_event_form(session, adapter, fake)
    before = store.content_fingerprint()
    payload = view_submission(view, GOOD, user="U0NOBODY")  # validly signed, wrong user
    status, body = await post_interaction(session, adapter, payload)
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    assert "Only workspace admins and owners" in json.dumps(answer["errors"])
    assert store.content_fingerprint() == before


async def test_non_curator_command_is_refused_privately_and_owner_may_curate(
    session: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack
) -> None:
    await post_command(session, adapter, fake, "curate event", user="U0NOBODY")
    refused = (await fake.wait_responses(1))[-1]
    assert refused["response_type"] == "ephemeral" and "Only workspace admins" in refused["text"]
    assert fake.views == []
    await post_command(session, adapter, fake, "curate event", user="U0OWNER")
    for _ in range(200):
        if fake.views:
            break
        await asyncio.sleep(0.01)
    assert len(fake.views) == 1


async def test_a_submit_changes_only_the_dossier_it_names(
    session: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack, store: Store
) -> None:
    view = await open_event_form(session, adapter, fake)
    metadata = json.loads(view["private_metadata"])
    forged = {**view, "private_metadata": json.dumps({**metadata, "d": "another-dossier"})}
    before = store.content_fingerprint()
    _, body = await post_interaction(session, adapter, view_submission(forged, GOOD, user=CURATOR))
    answer = json.loads(body)
    assert answer["response_action"] == "errors" and "another-dossier" in json.dumps(answer)
    assert store.content_fingerprint() == before


async def test_correct_form_is_filled_and_changes_only_what_was_edited(
    session: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack, store: Store
) -> None:
    target = "us-drone-strike-helmand"
    await post_command(session, adapter, fake, f"curate correct {target}", user=CURATOR)
    await eventually(lambda: fake.views)
    view = fake.views[0].view
    initial = {b["block_id"]: b["element"].get("initial_value") for b in view["blocks"]}
    assert initial["date"] == "2020-03-04" and initial["reason"] is None
    assert "reason" in initial and "id" not in initial
    payload = view_submission(view, {"title": "US drone strike in Helmand"}, user=CURATOR)
    _, body = await post_interaction(session, adapter, payload)
    assert json.loads(body)["errors"]["reason"] == 'a correction needs a reason (reason:"...")'
    payload = view_submission(
        view, {"title": "US drone strike in Helmand", "reason": "shorter"}, user=CURATOR
    )
    status, body = await post_interaction(session, adapter, payload)
    assert status == 200 and not json.loads(body or "{}").get("response_action")
    last = revisions.history(store.db, "doha-2020", target)[-1]
    assert [name for name, _, _ in last.changed_fields()] == ["title"]
    assert last.reason == "shorter" and last.author.user_id == CURATOR
