"""Properties over random days and zones: nothing from the future, calendar-true
countdowns, digests that never announce the same event twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefings.clock import Clock
from briefings.compose import KINDS, Composer
from briefings.curation import load_dossier
from briefings.model import Dossier
from briefings.render.json import to_dict
from briefings.store import Store, resolve_due_dates, shipped_dossier_path

FIRST, LAST = date(2019, 1, 1), date(2023, 12, 31)
ZONES = sorted(available_timezones())
days = st.dates(min_value=FIRST, max_value=LAST)
zones = st.sampled_from(ZONES)
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store.open(tmp_path_factory.mktemp("properties") / "accord.db")
    yield store
    store.close()


@pytest.fixture(scope="module")
def dossier() -> Dossier:
    return load_dossier(shipped_dossier_path())


def known_since(dossier: Dossier) -> dict[str, date]:
    """The rule, computed here from the file: the later of an event's date and the first
    publication among its sources (an undated source counts from the event's date)."""
    published = {s.id: s.published for s in dossier.sources}
    return {
        e.id: max(e.date, min(published[s] or e.date for s in e.sources)) for e in dossier.events
    }


def dated_values(node: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """Every `date` and `published` value anywhere in a briefing's JSON."""
    if isinstance(node, dict):
        for name, value in node.items():
            yield from dated_values(value, name)
    elif isinstance(node, list):
        for value in node:
            yield from dated_values(value, key)
    elif key in ("date", "published") and node is not None:
        yield key, node


def briefings(composer: Composer, clock: Clock) -> Iterator[dict[str, Any]]:
    store = composer.store
    visible = store.event_ids(clock.today())
    for kind in KINDS:
        if kind == "event":
            for event_id in visible[-3:]:
                yield to_dict(composer.compose(kind, clock, event_id=event_id))
        elif kind == "timeline":
            pages = max(1, -(-store.count_events(clock.today()) // 25))
            for page in range(1, pages + 1):
                yield to_dict(composer.compose(kind, clock, page=page))
        elif kind == "countdown":
            yield to_dict(composer.compose(kind, clock))
            for slug in store.deadline_slugs():
                if any(r.deadline.slug == slug for r in store.deadlines(clock.today())):
                    yield to_dict(composer.compose(kind, clock, deadline=slug))
        else:
            yield to_dict(composer.compose(kind, clock))


@PROPERTY
@given(day=days, zone=zones)
def test_nothing_from_the_future(
    shared_store: Store, dossier: Dossier, day: date, zone: str
) -> None:
    clock = Clock(ZoneInfo(zone), day)
    known = known_since(dossier)
    dues = resolve_due_dates(dossier)
    for data in briefings(Composer(shared_store), clock):
        assert data["as_of"] == day.isoformat() and data["timezone"] == zone
        for key, value in dated_values(data):
            assert value <= day.isoformat(), (data["kind"], key, value)
        for event in data["events"]:
            assert known[event["id"]] <= day
        for countdown in data["countdowns"]:
            due = date.fromisoformat(countdown["due"])
            assert due == dues[countdown["slug"]]
            assert countdown["days_until"] == (due - day).days
            expected = "upcoming" if due > day else "today" if due == day else "passed"
            assert countdown["state"] == expected
    # What is visible is exactly what the rule says.
    assert set(shared_store.event_ids(day)) == {i for i, d in known.items() if d <= day}


@PROPERTY
@given(day=days)
def test_consecutive_digests_never_repeat_news(
    shared_store: Store, dossier: Dossier, day: date
) -> None:
    known = known_since(dossier)
    composer = Composer(shared_store)
    news: list[set[str]] = []
    outcomes: list[set[tuple[str, str, str]]] = []
    for offset in range(3):
        today = day + timedelta(days=offset)
        digest = composer.compose("digest", Clock(ZoneInfo("UTC"), today))
        new = {e.id for e in digest.sections[0].events}
        assert new == {i for i, d in known.items() if d == today}
        news.append(new)
        recorded = {
            (c.slug, c.outcome.status, c.outcome.date.isoformat())
            for s in digest.sections
            if s.heading.startswith("Deadline outcomes")
            for c in s.countdowns
            if c.outcome
        }
        outcomes.append(recorded)
    for first, second in pairwise(news):
        assert not first & second
    for first, second in pairwise(outcomes):
        assert not first & second


instants = st.datetimes(
    min_value=datetime(2019, 1, 1), max_value=datetime(2023, 12, 31, 23, 59), timezones=st.just(UTC)
)


@PROPERTY
@given(instant=instants, zone=zones)
def test_today_is_the_calendar_day_in_the_zone(
    shared_store: Store, dossier: Dossier, instant: datetime, zone: str
) -> None:
    dues = resolve_due_dates(dossier)
    local_day = instant.astimezone(ZoneInfo(zone)).date()
    with time_machine.travel(instant, tick=False):
        briefing = Composer(shared_store).compose("countdown", Clock(ZoneInfo(zone)))
    assert briefing.as_of == local_day and not briefing.replay
    for countdown in briefing.countdowns:
        assert countdown.days_until == (dues[countdown.slug] - local_day).days
        if countdown.outcome:
            assert countdown.outcome.date <= local_day


def test_store_path_is_module_scoped(shared_store: Store) -> None:
    path = Path(shared_store.db.conn.execute("PRAGMA database_list").fetchone()[2])
    assert path.name == "accord.db" and path.exists()
