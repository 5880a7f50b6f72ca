"""Change alerts through the real runtime and the fake Slack, on both backends: a change
made from chat is posted once to each channel subscribed to its dossier's alerts, never
to the others, never again after a restart, once even when the first post fails; the
digest lists corrections; a replaying bot sends no alerts and lists none."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from fakes.slack import FakeSlack
from slack_support import post_command, settings_for
from waiting import eventually

from bot.alerts import Alerts
from bot.runtime import Bot
from briefings.clock import Clock
from briefings.compose import Composer
from briefings.store import Store

BOSS, ANA = "U0BOSS", "U0ANA"
EVENT = 'curate event date:2020-03-04 title:"Talks resume in Doha" sources:reuters'


@asynccontextmanager
async def running(fake: FakeSlack, db: str, **settings: Any) -> AsyncIterator[Bot]:
    bot = Bot(
        settings_for(
            fake,
            accord_db=db,
            slack_admin_ids=[BOSS],
            slack_curator_ids=[ANA],
            accord_http_port=0,
            **settings,
        )
    )
    await bot.start()
    bot.courier.base_backoff = 0.05
    try:
        yield bot
    finally:
        await bot.stop()


async def command(
    session: aiohttp.ClientSession, bot: Bot, fake: FakeSlack, text: str, **who: str
) -> str:
    before = len(fake.responses)
    status, _ = await post_command(session, bot.adapters[0], fake, text, **who)  # type: ignore[arg-type]
    assert status == 200
    answers = await fake.wait_responses(before + 1)
    return json.dumps(answers[-1])


def posts(fake: FakeSlack) -> Counter[str]:
    return Counter(m.channel for m in fake.messages)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.stop()


async def test_a_change_is_alerted_once_to_each_subscribed_channel(
    fake: FakeSlack, db_location: str
) -> None:
    async with aiohttp.ClientSession() as session:
        async with running(fake, db_location) as bot:
            for channel, extra in (("C1", ""), ("C2", ""), ("C3", " dossier:colombia-2016")):
                said = await command(
                    session, bot, fake, f"subscribe alerts{extra}", user=BOSS, channel=channel
                )
                assert "Subscribed this channel to the alerts" in said
            await asyncio.sleep(0.3)
            assert posts(fake) == Counter()  # no backlog when a channel subscribes
            fake.fail("chat.postMessage", channel="C2", status=500, retry_after=0)

            said = await command(session, bot, fake, EVENT, user=ANA, channel="C9")
            assert "recorded as revision" in said
            await eventually(lambda: posts(fake) == Counter({"C1": 1, "C2": 1}))
            assert posts(fake) == Counter({"C1": 1, "C2": 1}), bot.scheduler.history
            alert = next(m for m in fake.messages if m.channel == "C1").params
            shown = json.dumps(alert)
            assert "Talks resume in Doha" in shown and "Reuters" in shown
            assert "/accord history 2020-03-04-talks-resume-in-doha dossier:doha-2020" in shown
            c2 = [c for c in fake.calls("chat.postMessage") if c.params.get("channel") == "C2"]
            assert len(c2) == 2  # the 500, then the post

        # A restart right after the change: the ledger shows every channel has it.
        async with running(fake, db_location) as again:
            await again.alerts.tick()
            await asyncio.sleep(0.3)
            assert posts(fake) == Counter({"C1": 1, "C2": 1})

            # The next change (a correction) is alerted too, with what changed and why.
            correct = 'curate correct 2020-03-04-talks-resume-in-doha title:"Talks resume" '
            said = await command(
                session, again, fake, correct + 'reason:"shorter"', user=ANA, channel="C9"
            )
            assert "corrected as revision" in said
            assert await eventually(lambda: posts(fake) == Counter({"C1": 2, "C2": 2}))
            last = json.dumps(fake.messages[-1].params, ensure_ascii=False)
            assert "Talks resume in Doha → Talks resume" in last and "shorter" in last


async def test_two_watchers_on_one_database_alert_once(fake: FakeSlack, db_location: str) -> None:
    """Two processes' watchers see the same change: the ledger lets one post it."""
    async with aiohttp.ClientSession() as session, running(fake, db_location) as bot:
        for channel in ("C1", "C2", "C3"):
            await command(session, bot, fake, "subscribe alerts", user=BOSS, channel=channel)
        other = Alerts(bot.store, bot.subscriptions, bot.courier, bot.alerts.clock)
        other.cursor = bot.store.revision()
        await command(session, bot, fake, EVENT, user=ANA, channel="C9")
        await asyncio.gather(other.tick(), bot.alerts.tick(), other.tick())
        assert await eventually(lambda: sum(posts(fake).values()) == 3)
        await asyncio.sleep(0.3)
        assert posts(fake) == Counter({"C1": 1, "C2": 1, "C3": 1})


async def test_reminders_with_passed_get_a_recorded_outcome_at_once(
    fake: FakeSlack, db_location: str
) -> None:
    async with aiohttp.ClientSession() as session, running(fake, db_location) as bot:
        await command(session, bot, fake, "subscribe reminders 7 passed", user=BOSS, channel="C1")
        await command(session, bot, fake, "subscribe reminders 7", user=BOSS, channel="C2")
        deadline = bot.store.deadline_slugs()[0]
        outcome = (
            f"curate outcome {deadline} date:2020-09-12 status:late "
            'note:"Done months after the date." sources:reuters'
        )
        said = await command(session, bot, fake, outcome, user=ANA, channel="C9")
        assert "outcome recorded" in said
        assert await eventually(lambda: posts(fake) == Counter({"C1": 1}))
        assert "Outcome recorded" in json.dumps(fake.messages[-1].params)


def test_a_digest_lists_the_days_corrections_and_a_replay_none(tmp_path: Any) -> None:
    from briefings.changes import Change, Curator
    from briefings.revisions import Author

    store = Store.open(tmp_path / "accord.db")
    event = store.event_ids(store.info().signed)[0]
    Curator(store).apply(
        Change(
            "correct",
            "doha-2020",
            Author("slack", "U1", "Ana"),
            {"title": "Signed"},
            event,
            "the agreement's own name",
        )
    )
    composer = Composer(store)
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    digest = composer.compose("digest", Clock(ZoneInfo("UTC"), instant=tomorrow))
    corrections = [s for s in digest.sections if s.heading == "Corrections"]
    assert corrections, [s.heading for s in digest.sections]
    ((label, text),) = corrections[0].facts
    assert "Signed" in label and "→ Signed" in text and "the agreement's own name" in text

    today = composer.compose("digest", Clock(ZoneInfo("UTC")))
    assert not [s for s in today.sections if s.heading == "Corrections"]  # tomorrow's news
    replay = composer.compose("digest", Clock(ZoneInfo("UTC"), tomorrow.date()))
    assert not [s for s in replay.sections if s.heading == "Corrections"]


async def test_a_curated_file_loaded_over_the_dossier_is_one_alert(
    fake: FakeSlack, db_location: str
) -> None:
    from dataclasses import replace

    from briefings.records import live_dossier

    async with aiohttp.ClientSession() as session, running(fake, db_location) as bot:
        await command(session, bot, fake, "subscribe alerts", user=BOSS, channel="C1")
        live = live_dossier(bot.store.db, "doha-2020")
        assert live is not None
        first, second, *rest = live.events
        edited = replace(
            live,
            events=(
                replace(first, title="Renamed one"),
                replace(second, title="Renamed two"),
                *rest,
            ),
        )
        bot.store.import_dossiers([edited], files=["doha-2020.yaml"])
        await bot.alerts.tick()
        assert await eventually(lambda: posts(fake) == Counter({"C1": 1}))
        shown = json.dumps(fake.messages[-1].params)
        assert "2 changes from doha-2020.yaml" in shown
        assert "Renamed one" in shown and "Renamed two" in shown


def test_alert_posts_stay_within_both_platforms_limits(tmp_path: Any) -> None:
    """The longest values curators may type, in an alert of a correction and of a new
    event: every Slack block parses and fits, every Discord embed passes the fake's
    checks, and no mention survives."""
    from fakes.discord import embed_problems
    from slack_support import check_payload

    from bot.adapters.discord_embeds import message_payloads as discord_payloads
    from bot.adapters.slack_blocks import message_payloads as slack_payloads
    from briefings.changes import Change, Curator
    from briefings.compose import alert
    from briefings.revisions import Author, log

    store = Store.open(tmp_path / "accord.db")
    curator = Curator(store)
    loud = "<!channel> @everyone **bold** " + "x" * 2900
    who = Author("slack", "U1", "<@U2> " + "n" * 200)
    added = curator.apply(
        Change(
            "event",
            "doha-2020",
            who,
            {"date": "2020-03-04", "title": loud[:300], "summary": loud, "sources": "reuters"},
        )
    )
    curator.apply(
        Change(
            "correct", "doha-2020", who, {"summary": loud[::-1], "quote": loud}, added.item, loud
        )
    )
    clock = Clock(ZoneInfo("UTC"))
    for number in (added.revision, added.revision + 1):
        rows = [r for r in log(store.db, limit=2) if r.revision == number]
        made = alert(store.view("doha-2020"), clock, rows)
        assert made is not None
        for payload in slack_payloads(made):
            check_payload(payload)
            # Headers are plain_text, which Slack never reads as a mention.
            marked = [b for b in payload["blocks"] if b["type"] != "header"]
            assert "<!channel>" not in json.dumps([payload["text"], marked])
        for payload in discord_payloads(made):
            assert embed_problems(payload) == []
            assert payload["allowed_mentions"] == {"parse": []}  # @everyone pings no one
