"""The calendar file: parses back, one all-day entry per deadline, stable UIDs, as-of rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from icalendar import Calendar

from bot.cli import main
from briefings.artifacts import Artifacts
from briefings.clock import Clock
from briefings.model import (
    Deadline,
    Dossier,
    DossierInfo,
    Event,
    OutcomeUpdate,
    Source,
)
from briefings.render.ics import render_ics
from briefings.store import Store

SLUGS = {
    "intra-afghan-talks",
    "prisoner-release",
    "drawdown-8600",
    "un-sanctions",
    "us-sanctions-review",
    "full-withdrawal",
}
STAMP = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def clock(day: str) -> Clock:
    return Clock(ZoneInfo("UTC"), date.fromisoformat(day))


@pytest.fixture(scope="module")
def store() -> Store:
    return Store.open(":memory:")


def entries(content: bytes) -> list[object]:
    calendar = Calendar.from_ical(content)
    return [c for c in calendar.walk("VEVENT")]


def by_uid(content: bytes) -> dict[str, object]:
    return {str(e["UID"]): e for e in Calendar.from_ical(content).walk("VEVENT")}


def test_one_all_day_entry_per_deadline(store: Store) -> None:
    content = render_ics(store, clock("2021-12-01"), stamp=STAMP)
    calendar = Calendar.from_ical(content)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert "accord-bot" in str(calendar["PRODID"])
    assert "Agreement for Bringing Peace to Afghanistan" in str(calendar["X-WR-CALNAME"])
    found = by_uid(content)
    assert set(found) == {f"doha-2020-{slug}@accord-bot" for slug in SLUGS}
    dues = {r.deadline.slug: r.due for r in store.deadlines(date(2021, 12, 1))}
    for slug, due in dues.items():
        entry = found[f"doha-2020-{slug}@accord-bot"]
        start, end = entry["DTSTART"].dt, entry["DTEND"].dt
        assert type(start) is date and type(end) is date  # all-day, not a datetime
        assert start == due and end == due + timedelta(days=1)
        assert entry["DTSTART"].params["VALUE"] == "DATE"
        assert entry["DTSTAMP"].dt == STAMP
    assert dues["drawdown-8600"] == date(2020, 7, 13)
    assert b"DTSTART;VALUE=DATE:20200713\r\n" in content


def test_wire_format_is_folded_crlf(store: Store) -> None:
    content = render_ics(store, clock("2021-12-01"), with_events=True, stamp=STAMP)
    assert content.startswith(b"BEGIN:VCALENDAR\r\n") and content.endswith(b"END:VCALENDAR\r\n")
    lines = content.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    assert b"\n" not in content.replace(b"\r\n", b"")
    content.decode("utf-8")  # folding never splits a character


def test_uids_stable_across_days_and_revisions(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "accord.db")
    early = by_uid(render_ics(store, clock("2020-03-05")))
    late = by_uid(render_ics(store, clock("2021-12-01")))
    assert set(early) == set(late)
    # More outcome updates known: a higher SEQUENCE, so a re-import updates the entry.
    uid = "doha-2020-full-withdrawal@accord-bot"
    assert int(late[uid]["SEQUENCE"]) > int(early[uid]["SEQUENCE"])


def test_as_of_rules(store: Store) -> None:
    early = render_ics(store, clock("2020-03-05"), stamp=STAMP)
    talks = by_uid(early)["doha-2020-intra-afghan-talks@accord-bot"]
    text = str(talks["DESCRIPTION"])
    assert "Basis: 10 March 2020 (agreement text)" in text
    assert "Upcoming as of 2020-03-05" in text
    assert "missed" not in text and "late" not in text
    assert "CRS" not in early.decode() and "Daily Times" not in early.decode()
    later = render_ics(store, clock("2020-09-20"), stamp=STAMP)
    text = str(by_uid(later)["doha-2020-intra-afghan-talks@accord-bot"]["DESCRIPTION"])
    assert "2020-03-10 missed: No talks opened on 10 March" in text
    assert "2020-09-12 late: Intra-Afghan negotiations opened in Doha" in text
    assert "(CRS)" in text
    assert "Within days of Afghan “peace” deal, US bombs Taliban" in text
    assert "http://www.wsws.org" in text
    un = by_uid(later)["doha-2020-un-sanctions@accord-bot"]
    assert "Missed" in un["CATEGORIES"].cats
    # The withdrawal's later updates are not known yet in 2020.
    withdrawal = str(by_uid(later)["doha-2020-full-withdrawal@accord-bot"]["DESCRIPTION"])
    assert "superseded" not in withdrawal and "Upcoming" in withdrawal


def test_events_on_request(store: Store) -> None:
    day = date(2020, 3, 5)
    content = render_ics(store, clock("2020-03-05"), with_events=True, stamp=STAMP)
    found = by_uid(content)
    events = {uid for uid in found if "-event-" in uid}
    assert events == {f"doha-2020-event-{i}@accord-bot" for i in store.event_ids(day)}
    assert len(found) == 6 + len(events)
    drone = found["doha-2020-event-us-drone-strike-helmand@accord-bot"]
    assert drone["DTSTART"].dt == date(2020, 3, 4)
    assert str(drone["SUMMARY"]) == "US drone strike on Taliban fighters in Helmand"
    assert "doha-2020-event-kabul-falls@accord-bot" not in found
    assert not [uid for uid in by_uid(render_ics(store, clock("2020-03-05"))) if "-event-" in uid]


TRICKY = 'Talks, phase 1; "final" round\nsecond line \\ with a backslash, and: a colon'


def tricky_dossier() -> Dossier:
    info = DossierInfo("test-2024", "Test accord", date(2024, 1, 1), ("A", "B"), "A test.")
    source = Source("s1", "A source; with, punctuation", "Publisher", None, date(2024, 1, 1))
    event = Event("e1", date(2024, 1, 2), "Event; one, two\nthree", ("s1",), "Summary \\ here")
    deadline = Deadline(
        "tricky",
        TRICKY,
        date(2024, 2, 29),
        ("s1",),
        basis="basis; with, commas",
        outcome=(OutcomeUpdate(date(2024, 3, 1), "late", "Done; finally, a day late.", ("s1",)),),
    )
    return Dossier(info, (source,), (event,), (deadline,))


def test_curated_text_round_trips(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "test.db", seed=False)
    store.import_dossiers([tricky_dossier()])
    content = render_ics(store, clock("2024-03-02"), with_events=True, stamp=STAMP)
    assert b'Talks\\, phase 1\\; "final" round\\nsecond line \\\\ with' in content.replace(
        b"\r\n ", b""
    )
    found = by_uid(content)
    entry = found["test-2024-tricky@accord-bot"]
    assert str(entry["SUMMARY"]) == TRICKY
    assert entry["DTSTART"].dt == date(2024, 2, 29)
    assert entry["DTEND"].dt == date(2024, 3, 1)
    description = str(entry["DESCRIPTION"])
    assert "Basis: basis; with, commas" in description
    assert "2024-03-01 late: Done; finally, a day late. (Publisher)" in description
    assert "A source; with, punctuation (Publisher)" in description
    event = found["test-2024-event-e1@accord-bot"]
    assert str(event["SUMMARY"]) == "Event; one, two\nthree"
    assert "Summary \\ here" in str(event["DESCRIPTION"])


def test_artifact_and_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store.open(tmp_path / "accord.db")
    maker = Artifacts(store)
    made = maker.calendar(clock("2020-09-20"), False)
    assert made.filename == "accord-doha-2020-2020-09-20.ics"
    assert made.mime_type == "text/calendar"
    assert maker.calendar(clock("2020-09-20"), False) is made
    assert len(entries(made.content)) == 6

    monkeypatch.setenv("ACCORD_DB", str(tmp_path / "accord.db"))
    out = tmp_path / "deadlines.ics"
    result = CliRunner().invoke(
        main, ["export", "ics", "--out", str(out), "--events", "--as-of", "2020-03-05"]
    )
    assert result.exit_code == 0, result.output
    written = by_uid(out.read_bytes())
    assert len(written) == 6 + len(store.event_ids(date(2020, 3, 5)))
    missing = CliRunner().invoke(main, ["export", "ics"])
    assert missing.exit_code == 2 and "--out" in missing.output
