"""SlackPoster: what every Slack answer to chat.postMessage means for a delivery."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fakes.slack import BOT_TOKEN, FakeSlack
from slack_support import big_dossier, fixed_clock, store_with

from bot.adapters.slack import SlackPoster, make_client
from bot.adapters.slack_blocks import message_payloads
from bot.delivery import Attachment, Poster, Target
from briefings.compose import Composer
from briefings.document import Briefing
from briefings.store import Store

CHANNEL = "C0DIGEST"
TARGET = Target("slack", "T0001", CHANNEL)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.stop()


@pytest.fixture
async def poster(fake: FakeSlack) -> AsyncIterator[SlackPoster]:
    client = make_client(BOT_TOKEN, fake.api_url)
    yield SlackPoster(client)
    if client.session is not None:
        await client.session.close()


@pytest.fixture
def briefing(tmp_path: Path) -> Briefing:
    return Composer(Store.open(tmp_path / "a.db")).compose("status", fixed_clock())


def test_is_a_poster(poster: SlackPoster) -> None:
    checked: Poster = poster
    assert checked.platform == "slack"


async def test_delivered_with_the_key_in_metadata(
    poster: SlackPoster, fake: FakeSlack, briefing: Briefing
) -> None:
    result = await poster.post(TARGET, briefing, key="digest:1:2020-03-05")
    assert result.status == "delivered" and result.message_id
    (call,) = fake.calls("chat.postMessage")
    assert call.params["channel"] == CHANNEL
    metadata = call.params["metadata"]
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
    assert metadata == {
        "event_type": "accord_delivery",
        "event_payload": {"key": "digest:1:2020-03-05"},
    }
    (payload,) = message_payloads(briefing)
    assert call.params["blocks"] == payload["blocks"]
    assert call.params["text"] == payload["text"]
    assert "link_names" not in call.params and "parse" not in call.params


async def test_was_posted_finds_the_key(
    poster: SlackPoster, fake: FakeSlack, briefing: Briefing
) -> None:
    assert await poster.was_posted(TARGET, "k1") is False
    await poster.post(TARGET, briefing, key="k1")
    assert await poster.was_posted(TARGET, "k1") is True
    assert await poster.was_posted(TARGET, "k2") is False
    assert await poster.was_posted(Target("slack", "T0001", "C0OTHER"), "k1") is False
    history = fake.calls("conversations.history")[-1].params
    assert str(history["include_all_metadata"]).lower() in ("1", "true")
    assert int(history["limit"]) <= 100


async def test_was_posted_cannot_tell_when_slack_fails(
    poster: SlackPoster, fake: FakeSlack
) -> None:
    fake.fail("conversations.history", status=500)
    assert await poster.was_posted(TARGET, "k") is None


async def test_one_429_is_retried_in_place(
    poster: SlackPoster, fake: FakeSlack, briefing: Briefing
) -> None:
    fake.fail("chat.postMessage", channel=CHANNEL, status=429, retry_after=0)
    result = await poster.post(TARGET, briefing, key="k")
    assert result.status == "delivered"
    assert len(fake.calls("chat.postMessage")) == 2
    assert len(fake.messages) == 1


async def test_429_after_the_retry_handler_gives_up(
    poster: SlackPoster, fake: FakeSlack, briefing: Briefing
) -> None:
    fake.fail("chat.postMessage", channel=CHANNEL, times=2, status=429, retry_after=0)
    result = await poster.post(TARGET, briefing, key="k")
    assert result.status == "retry" and "rate limited" in result.reason
    assert result.retry_after == 0
    assert len(fake.calls("chat.postMessage")) == 2
    assert fake.messages == []


async def test_persistent_429_means_retry_later(
    poster: SlackPoster, fake: FakeSlack, briefing: Briefing
) -> None:
    fake.fail("chat.postMessage", channel=CHANNEL, status=429, retry_after=30)
    result = await poster.post(TARGET, briefing, key="k")
    assert result.status == "retry"
    assert result.retry_after == 30
    assert len(fake.calls("chat.postMessage")) == 1  # no long sleep in place
    assert (await poster.post(TARGET, briefing, key="k")).status == "delivered"


async def test_other_channels_are_not_limited(
    poster: SlackPoster, fake: FakeSlack, briefing: Briefing
) -> None:
    fake.fail("chat.postMessage", channel=CHANNEL, times=5, status=429, retry_after=30)
    other = Target("slack", "T0001", "C0OTHER")
    assert (await poster.post(other, briefing, key="k")).status == "delivered"


async def test_server_error_then_success(
    poster: SlackPoster, fake: FakeSlack, briefing: Briefing
) -> None:
    fake.fail("chat.postMessage", channel=CHANNEL, status=500)
    first = await poster.post(TARGET, briefing, key="k")
    assert first.status == "retry" and "500" in first.reason
    assert first.retry_after is not None and first.retry_after > 0
    assert (await poster.post(TARGET, briefing, key="k")).status == "delivered"


async def test_timeout_means_retry(fake: FakeSlack, briefing: Briefing) -> None:
    client = make_client(BOT_TOKEN, fake.api_url)
    client.timeout = 1
    fake.fail("chat.postMessage", channel=CHANNEL, delay=3)
    try:
        result = await SlackPoster(client).post(TARGET, briefing, key="k")
    finally:
        if client.session is not None:
            await client.session.close()
    assert result.status == "retry" and "timed out" in result.reason


@pytest.mark.parametrize(
    ("error", "status", "words"),
    [
        ("channel_not_found", "gone", "channel_not_found"),
        ("is_archived", "gone", "archived"),
        ("not_in_channel", "gone", "/invite"),
        ("invalid_auth", "fatal", "invalid_auth"),
        ("token_revoked", "fatal", "token_revoked"),
        ("account_inactive", "fatal", "account_inactive"),
    ],
)
async def test_errors_map_to_gone_or_fatal(
    poster: SlackPoster,
    fake: FakeSlack,
    briefing: Briefing,
    error: str,
    status: str,
    words: str,
) -> None:
    fake.fail("chat.postMessage", channel=CHANNEL, error=error)
    result = await poster.post(TARGET, briefing, key="k")
    assert result.status == status
    assert words in result.reason
    assert len(fake.calls("chat.postMessage")) == 1  # never retried blindly


async def test_revoked_token_is_fatal(fake: FakeSlack, briefing: Briefing) -> None:
    client = make_client("xoxb-not-valid", fake.api_url)
    try:
        result = await SlackPoster(client).post(TARGET, briefing, key="k")
    finally:
        if client.session is not None:
            await client.session.close()
    assert result.status == "fatal"
    assert "SLACK_BOT_TOKEN" in result.reason


async def test_attachment_is_uploaded_after_the_message(
    poster: SlackPoster, fake: FakeSlack, briefing: Briefing
) -> None:
    attachment = Attachment("chart.png", b"\x89PNG", "image/png", "Chart")
    result = await poster.post(TARGET, briefing, key="k", attachment=attachment)
    assert result.status == "delivered"
    assert fake.uploads == [b"\x89PNG"]
    (complete,) = fake.calls("files.completeUploadExternal")
    assert complete.params["channel_id"] == CHANNEL


async def test_long_briefings_post_every_part_with_the_key(
    poster: SlackPoster, fake: FakeSlack, tmp_path: Path
) -> None:
    store = store_with(tmp_path / "big.db", big_dossier(events=300, deadlines=40))
    briefing = Composer(store).compose("digest", fixed_clock())
    result = await poster.post(TARGET, briefing, key="big")
    assert result.status == "delivered"
    calls = fake.calls("chat.postMessage")
    assert len(calls) == len(message_payloads(briefing)) > 1
    for number, call in enumerate(calls, start=1):
        metadata = call.params["metadata"]
        metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
        assert metadata["event_payload"]["key"] == "big"
        assert metadata["event_payload"]["part"] == number
    assert await poster.was_posted(TARGET, "big") is True


async def test_a_failure_after_the_first_part_is_not_posted_again(
    poster: SlackPoster, fake: FakeSlack, tmp_path: Path
) -> None:
    store = store_with(tmp_path / "big.db", big_dossier(events=300, deadlines=40))
    briefing = Composer(store).compose("digest", fixed_clock())
    fake.fail("chat.postMessage", channel=CHANNEL, skip=1, error="is_archived")
    result = await poster.post(TARGET, briefing, key="part")
    assert result.status == "delivered"
    assert "posted 1 of" in result.reason and "is_archived" in result.reason
    assert len(fake.messages) == 1
