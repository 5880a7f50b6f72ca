"""The embed renderer: every briefing fits Discord's limits, split on item boundaries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from fakes.discord import embed_problems
from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.discord_embeds import (
    CONTENT_MAX,
    EMBEDS_PER_MESSAGE,
    clip,
    embed_size,
    message_payloads,
    pagify,
    text_payloads,
)
from bot.cli import main
from briefings.clock import Clock
from briefings.compose import Composer, timeline
from briefings.document import Briefing, Section
from briefings.model import Deadline, Dossier, DossierInfo, Event, OutcomeUpdate, Source
from briefings.store import Store

GENERATED_EVENTS = 2_000


def check(payloads: list[dict[str, Any]]) -> None:
    """Each payload is one message Discord accepts, with mentions switched off."""
    assert payloads
    for payload in payloads:
        assert embed_problems(payload) == [], payload
        assert 1 <= len(payload["embeds"]) <= EMBEDS_PER_MESSAGE
        assert sum(embed_size(e) for e in payload["embeds"]) <= 6000
        assert len(payload.get("content") or "") <= CONTENT_MAX
        assert payload["allowed_mentions"] == {"parse": []}


def briefings(store: Store, clock: Clock) -> Iterator[Briefing]:
    composer = Composer(store)
    today = clock.today()
    for kind in ("status", "countdown", "digest", "timeline"):
        yield composer.compose(kind, clock)
    for slug in store.deadline_slugs():
        if any(d.deadline.slug == slug for d in store.deadlines(today)):
            yield composer.compose("countdown", clock, deadline=slug)
    for event_id in store.event_ids(today):
        yield composer.compose("event", clock, event_id=event_id)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "accord.db")
    yield opened
    opened.close()


@pytest.mark.parametrize(
    "day", [date(2020, 2, 29), date(2020, 3, 5), date(2020, 9, 12), date(2021, 8, 31), None]
)
def test_shipped_dossier_fits_every_limit(store: Store, day: date | None) -> None:
    for zone in ("UTC", "Asia/Kabul"):
        for briefing in briefings(store, Clock(ZoneInfo(zone), day)):
            check(message_payloads(briefing))


def test_replay_shows_plain_dates_and_live_shows_discord_timestamps(store: Store) -> None:
    replay = Composer(store).compose("status", Clock(ZoneInfo("UTC"), date(2020, 3, 5)))
    text = json.dumps(message_payloads(replay))
    assert "<t:" not in text and "in 5 days" in text and "(replay)" in text
    live = Composer(store).compose("status", Clock(ZoneInfo("UTC")))
    text = json.dumps(message_payloads(live))
    assert ":D>" in text and ":R>" in text
    assert "(replay)" not in text


def test_colour_follows_state_and_outcome(store: Store) -> None:
    composer = Composer(store)
    before = composer.compose("countdown", Clock(ZoneInfo("UTC"), date(2020, 3, 5)))
    after = composer.compose("countdown", Clock(ZoneInfo("UTC"), date(2021, 8, 31)))
    before_colours = {e["color"] for m in message_payloads(before) for e in m["embeds"]}
    after_colours = {e["color"] for m in message_payloads(after) for e in m["embeds"]}
    assert 0x3B82F6 in before_colours  # upcoming
    assert before_colours != after_colours
    assert 0x3B82F6 not in after_colours  # nothing upcoming after the withdrawal


def generated_dossier(count: int) -> Dossier:
    start = date(2020, 3, 1)
    sources = tuple(
        Source(
            f"src-{i}",
            f"Report {i} " + "x" * 150,
            f"Publisher {i}",
            None,
            start,
            f"https://example.org/{i}",
        )
        for i in range(50)
    )
    events = tuple(
        Event(
            id=f"event-{i:05d}",
            date=start + timedelta(days=i % 700),
            title=f"Event {i:05d} @everyone *not bold* " + "t" * (i % 300),
            sources=tuple(f"src-{(i + k) % 50}" for k in range(1 + i % 5)),
            summary=("Summary of a long day. " * (1 + i % 250)).strip(),
            quote="A quoted sentence. " * (i % 40) or None,
        )
        for i in range(count)
    )
    deadlines = tuple(
        Deadline(
            slug=f"deadline-{i}",
            title=f"Deadline {i} " + "d" * 200,
            due=start + timedelta(days=30 * i),
            sources=tuple(s.id for s in sources[:20]),
            basis="b" * 900,
            quote="q" * 3000,
            outcome=(
                OutcomeUpdate(start + timedelta(days=30 * i + 3), "late", "n" * 900, ("src-1",)),
            ),
        )
        for i in range(30)
    )
    info = DossierInfo(
        "generated", "A generated dossier " + "g" * 300, start, ("Party A", "Party B"), "s" * 9000
    )
    return Dossier(info, sources, events, deadlines)


def test_generated_dossier_of_2000_events_fits_and_splits_on_items(store: Store) -> None:
    store.import_dossiers([generated_dossier(GENERATED_EVENTS)])
    assert store.dossier_slug == "generated"
    clock = Clock(ZoneInfo("UTC"), date(2022, 6, 1))
    composer = Composer(store)
    for kind in ("status", "countdown", "digest", "timeline"):
        check(message_payloads(composer.compose(kind, clock)))
    for event_id in ("event-00000", "event-00249", "event-01999"):
        check(message_payloads(composer.compose("event", clock, event_id=event_id)))
    check(message_payloads(composer.compose("countdown", clock, deadline="deadline-3")))

    # Every event in one briefing: many messages, each event whole and in order.
    everything = timeline(store, clock, page_size=GENERATED_EVENTS)
    payloads = message_payloads(everything)
    check(payloads)
    assert len(payloads) > 1
    names = [f["name"] for p in payloads for e in p["embeds"] for f in e.get("fields", ())]
    assert len(names) == GENERATED_EVENTS
    expected = [e.title for e in everything.events]
    for name, title in zip(names, expected, strict=True):
        shown = name.split(" · ", 1)[1]
        assert title.startswith(shown.rstrip("…"))


def test_text_replies_split_and_keep_their_usage() -> None:
    long_text = "\n".join(f"line {i} " + "w" * 90 for i in range(200))
    payloads = text_payloads(long_text, error=True, usage="/accord timeline [from] [to]")
    check(payloads)
    assert payloads[-1]["embeds"][-1]["fields"][0]["value"] == "`/accord timeline [from] [to]`"
    joined = "\n".join(e["description"] for p in payloads for e in p["embeds"])
    assert joined == long_text


@given(st.text(min_size=0, max_size=3000), st.integers(min_value=20, max_value=500))
def test_pagify_keeps_every_word_within_the_limit(text: str, limit: int) -> None:
    pieces = list(pagify(text, limit))
    assert all(0 < len(p) <= limit for p in pieces)
    assert "".join("".join(p.split()) for p in pieces) == "".join(text.split())


@given(st.text(max_size=600), st.integers(min_value=2, max_value=300))
def test_clip_never_exceeds_the_limit(text: str, limit: int) -> None:
    assert len(clip(text, limit)) <= limit


def test_cli_prints_the_discord_payload(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_DB", str(tmp_path / "cli.db"))
    result = CliRunner().invoke(
        main, ["brief", "status", "--as-of", "2020-03-05", "--format", "discord"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    check([payload])
    assert "in 420 days" in result.output


def test_a_single_item_is_headed_by_the_briefing_title(store: Store) -> None:
    clock = Clock(ZoneInfo("UTC"), date(2020, 3, 5))
    briefing = Composer(store).compose("event", clock, event_id="doha-signing")
    ((embed,),) = [p["embeds"] for p in message_payloads(briefing)]
    assert embed["author"]["name"] == briefing.title + " (replay)"
    assert embed["footer"]["text"].startswith("Sources: ")
    assert "doha-signing" in embed["description"]


def test_curated_markdown_is_shown_literally() -> None:
    text = "# Not a heading\n*not bold* and [not](a link) ||no spoiler|| @everyone"
    section = Section("The accord", text=text)
    briefing = Briefing("status", "Status", date(2020, 3, 5), "UTC", False, "x", (section,))
    payloads = message_payloads(briefing)
    check(payloads)
    description = payloads[0]["embeds"][0]["description"]
    assert description.startswith("\\# Not a heading")
    assert "\\*not bold\\*" in description and "\\[not\\]" in description
    assert "\\|\\|no spoiler\\|\\|" in description
