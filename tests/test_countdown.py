"""Countdowns: days until or since, state, outcome in force, reminder offsets."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
import time_machine

from briefings.clock import Clock
from briefings.compose import Composer
from briefings.countdown import count_down, days_phrase, offsets_on
from briefings.document import CountdownView
from briefings.model import Deadline, OutcomeUpdate
from briefings.store import ResolvedDeadline, Store

D = date.fromisoformat
UTC = ZoneInfo("UTC")


def resolved(due: str, *updates: tuple[str, str]) -> ResolvedDeadline:
    outcome = tuple(OutcomeUpdate(D(day), status, "note", ("s",)) for day, status in updates)  # type: ignore[arg-type]
    return ResolvedDeadline(Deadline("x", "X", D(due), ("s",), outcome=outcome), D(due), D(due))


@pytest.mark.parametrize(
    ("today", "days", "state"),
    [
        ("2020-03-05", 5, "upcoming"),
        ("2020-03-09", 1, "upcoming"),
        ("2020-03-10", 0, "today"),
        ("2020-03-11", -1, "passed"),
        ("2021-03-10", -365, "passed"),
    ],
)
def test_days_until_and_state(today: str, days: int, state: str) -> None:
    countdown = count_down(resolved("2020-03-10"), D(today))
    assert countdown.days_until == days
    assert countdown.state == state
    assert countdown.slug == "x" and countdown.due == D("2020-03-10")


def test_latest_update_on_or_before_the_day_applies() -> None:
    deadline = resolved("2020-03-10", ("2020-03-10", "missed"), ("2020-09-12", "late"))
    assert count_down(deadline, D("2020-03-09")).outcome is None
    missed = count_down(deadline, D("2020-03-10")).outcome
    assert missed is not None and missed.status == "missed"
    still = count_down(deadline, D("2020-09-11")).outcome
    assert still is not None and still.status == "missed"
    late = count_down(deadline, D("2020-09-12")).outcome
    assert late is not None and late.status == "late"


def test_passed_without_an_outcome() -> None:
    countdown = count_down(resolved("2020-03-10"), D("2020-04-01"))
    assert countdown.state == "passed" and countdown.outcome is None


@pytest.mark.parametrize(
    ("today", "offsets"),
    [("2020-02-09", [30]), ("2020-03-03", [7]), ("2020-03-09", [1]), ("2020-03-10", [0])],
)
def test_reminder_offsets_fall_on_their_days(today: str, offsets: list[int]) -> None:
    assert offsets_on(count_down(resolved("2020-03-10"), D(today))) == offsets
    assert offsets_on(count_down(resolved("2020-03-10"), D(today)), (3, 2)) == []


def test_days_phrase() -> None:
    assert days_phrase(0) == "today"
    assert days_phrase(1) == "in 1 day"
    assert days_phrase(5) == "in 5 days"
    assert days_phrase(-1) == "1 day ago"
    assert days_phrase(-1234) == "1,234 days ago"


def countdowns(store: Store, clock: Clock) -> dict[str, CountdownView]:
    briefing = Composer(store).compose("countdown", clock)
    return {c.slug: c for c in briefing.countdowns}


def test_as_of_the_article(store: Store) -> None:
    views = countdowns(store, Clock(UTC, D("2020-03-05")))
    assert {slug: v.days_until for slug, v in views.items()} == {
        "intra-afghan-talks": 5,
        "prisoner-release": 5,
        "un-sanctions": 85,
        "drawdown-8600": 130,
        "us-sanctions-review": 175,
        "full-withdrawal": 420,
    }
    assert all(v.state == "upcoming" and v.outcome is None for v in views.values())


def test_the_day_after_the_talks_were_due(store: Store) -> None:
    views = countdowns(store, Clock(UTC, D("2020-03-11")))
    for slug in ("intra-afghan-talks", "prisoner-release"):
        view = views[slug]
        assert view.state == "passed" and view.days_until == -1
        assert view.outcome is not None and view.outcome.status == "missed"
        assert view.outcome.date == D("2020-03-10")
    assert views["drawdown-8600"].outcome is None


def test_the_day_after_the_talks_opened(store: Store) -> None:
    views = countdowns(store, Clock(UTC, D("2020-09-13")))
    talks = views["intra-afghan-talks"].outcome
    assert talks is not None and talks.status == "late" and talks.date == D("2020-09-12")
    assert "186 days" in talks.note
    assert (D("2020-09-12") - views["intra-afghan-talks"].due).days == 186
    drawdown = views["drawdown-8600"].outcome
    assert drawdown is not None and drawdown.status == "met"
    withdrawal = views["full-withdrawal"]
    assert withdrawal.state == "upcoming" and withdrawal.outcome is None
    assert withdrawal.days_until == (D("2021-04-29") - D("2020-09-13")).days


LATEST = {
    "intra-afghan-talks": "late",
    "prisoner-release": "late",
    "drawdown-8600": "met",
    "un-sanctions": "missed",
    "us-sanctions-review": "missed",
    "full-withdrawal": "late",
}


def test_today_every_deadline_has_passed_with_its_latest_outcome(store: Store) -> None:
    clock = Clock(UTC)
    assert not clock.replay
    views = countdowns(store, clock)
    assert {slug: v.outcome.status if v.outcome else None for slug, v in views.items()} == LATEST
    assert all(v.state == "passed" and v.days_until < 0 for v in views.values())
    assert views["full-withdrawal"].outcome is not None
    assert views["full-withdrawal"].outcome.date == D("2021-08-30")


@time_machine.travel("2021-04-29 23:30:00+00:00", tick=False)
def test_today_is_the_day_in_the_clock_zone(store: Store) -> None:
    # 23:30 UTC on 29 April is already 30 April in Kabul (UTC+4:30).
    in_utc = countdowns(store, Clock(UTC))["full-withdrawal"]
    in_kabul = countdowns(store, Clock(ZoneInfo("Asia/Kabul")))["full-withdrawal"]
    assert (in_utc.state, in_utc.days_until) == ("today", 0)
    assert (in_kabul.state, in_kabul.days_until) == ("passed", -1)
