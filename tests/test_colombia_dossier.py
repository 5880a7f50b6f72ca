"""The shipped colombia-2016 dossier, checked against the Colombia facts sheet.

The expected values below are transcribed from shared/sources/facts-colombia.md: the due
date of every tracked deadline, the date and status of each of its outcome updates, and
the day each update was first reported (its first source's publication, or its own date
when that is later), which is when replay must start showing it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from briefings.clock import Clock
from briefings.compose import Composer
from briefings.curation import load_dossier
from briefings.document import CountdownView
from briefings.model import Dossier
from briefings.store import Store

REPO = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).parent / "accord-bot"
# The evidence file lives with the project's shared sources, beside the repository.
EVIDENCE = Path(__file__).resolve().parents[2] / "shared" / "sources" / "evidence-colombia.md"


def _evidence() -> str:
    if not EVIDENCE.is_file():
        pytest.skip(f"the evidence file is not at {EVIDENCE}")
    return EVIDENCE.read_text(encoding="utf-8")


UTC = ZoneInfo("UTC")

# slug -> (due date, [(update date, status, day first reported), ...]) from the sheet.
SHEET: dict[str, tuple[date, list[tuple[date, str, date]]]] = {
    "zones-arrival": (
        date(2016, 12, 30),
        [
            (date(2016, 12, 29), "superseded", date(2016, 12, 29)),  # Stratfor, 29 Dec
            (date(2017, 1, 26), "superseded", date(2017, 1, 26)),  # Europa Press, 26 Jan
            (date(2017, 1, 31), "late", date(2017, 1, 31)),  # AP, 31 Jan
            (date(2017, 2, 14), "late", date(2017, 2, 14)),  # UN Mission, 14 Feb
            (date(2017, 2, 18), "late", date(2017, 2, 18)),  # Radio Santa Fe, 18 Feb
        ],
    ),
    "weapons-laydown": (
        date(2017, 5, 30),
        [
            (date(2017, 5, 29), "superseded", date(2017, 5, 29)),  # AP, 29 May
            (date(2017, 6, 26), "late", date(2017, 6, 26)),  # UN Mission, 26 June
            (date(2017, 6, 27), "late", date(2017, 6, 30)),  # UN press SC/12900, 30 June
        ],
    ),
    "zones-closure": (
        date(2017, 5, 30),
        [
            (date(2017, 5, 29), "superseded", date(2017, 5, 29)),  # AP, 29 May
            (date(2017, 8, 1), "superseded", date(2017, 8, 1)),  # Semana, written 1 Aug
            (date(2017, 8, 15), "late", date(2017, 8, 15)),  # BBC, 15 Aug
        ],
    ),
    "arms-caches": (
        date(2017, 9, 1),
        [
            (date(2017, 8, 31), "superseded", date(2017, 9, 1)),  # UN Mission, 1 Sept
            (date(2017, 9, 15), "missed", date(2017, 9, 15)),  # UN Mission, 15 Sept
            (date(2017, 9, 22), "missed", date(2017, 9, 22)),  # UN Mission, 22 Sept
        ],
    ),
    "farc-party": (
        date(2017, 9, 1),
        [
            (date(2017, 9, 1), "met", date(2017, 9, 1)),  # AFP, 1 Sept
            (date(2017, 10, 10), "met", date(2017, 10, 10)),  # teleSUR, 10 Oct
        ],
    ),
    "un-verification-mission": (
        date(2017, 9, 26),
        [(date(2017, 9, 26), "met", date(2017, 9, 26))],  # UN Verification Mission
    ),
    "fast-track": (
        date(2017, 11, 30),
        [(date(2017, 11, 30), "missed", date(2017, 11, 30))],  # El Mundo, undated page
    ),
    "jep-start": (
        date(2018, 1, 15),
        [
            (date(2018, 1, 15), "met", date(2018, 1, 15)),  # El Tiempo, 15 Jan
            (date(2018, 3, 15), "met", date(2018, 3, 15)),  # Reuters, 15 Mar
        ],
    ),
    "farc-seats": (
        date(2018, 7, 20),
        [(date(2018, 7, 20), "met", date(2018, 7, 20))],  # W Radio, 20 July
    ),
}
# The event ids the sheet fixes, with their dates.
FIXED_EVENTS = {
    "colombia-signing": date(2016, 11, 24),
    "cartagena-signing": date(2016, 9, 26),
    "plebiscite": date(2016, 10, 2),
    "congress-endorsement": date(2016, 11, 30),
    "d-day": date(2016, 12, 1),
}
# Each dated row of the sheet's "What happened afterwards" table, by date.
AFTERWARDS_DATES = [
    "2016-12-13", "2016-12-28", "2017-01-31", "2017-02-14", "2017-02-18", "2017-03-01",
    "2017-03-24", "2017-05-29", "2017-06-07", "2017-06-13", "2017-06-26", "2017-06-27",
    "2017-07-10", "2017-07-31", "2017-08-01", "2017-08-15", "2017-08-27", "2017-08-31",
    "2017-08-31", "2017-09-01", "2017-09-14", "2017-09-15", "2017-09-22", "2017-09-26",
    "2017-10-10", "2017-11-30", "2018-01-15", "2018-03-08", "2018-03-11", "2018-03-15",
    "2018-03-01", "2018-04-09", "2018-05-08", "2018-06-17", "2018-07-13", "2018-07-20",
    "2018-08-07", "2018-09-13", "2018-12-31", "2019-03-10", "2019-05-29", "2019-06-06",
    "2019-06-30", "2019-07-09", "2019-08-29", "2019-09-04", "2019-09-12",
]  # fmt: skip
LONG_RUN = 8  # words in a row that would count as copied from the evidence file


def shipped(name: str) -> Path:
    return Path(str(resources.files("briefings") / "dossiers" / name))


@pytest.fixture(scope="module")
def dossier() -> Dossier:
    return load_dossier(shipped("colombia-2016.yaml"))


@pytest.fixture()
def composer(tmp_path: Path) -> Composer:
    store = Store.open(tmp_path / "colombia.db", seed=False)
    store.import_dossiers([load_dossier(shipped("colombia-2016.yaml"))])
    return Composer(store)


def countdown_of(composer: Composer, slug: str, day: date) -> CountdownView:
    briefing = composer.compose("countdown", Clock(UTC, day), deadline=slug)
    assert briefing.dossier == "colombia-2016"
    (view,) = briefing.countdowns
    return view


def test_store_check_passes_on_both_shipped_dossiers() -> None:
    files = [str(shipped("doha-2020.yaml")), str(shipped("colombia-2016.yaml"))]
    result = subprocess.run(
        [str(SCRIPT), "store", "check", *files],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "ok: doha-2020:" in result.stdout
    assert "ok: colombia-2016:" in result.stdout
    assert result.stderr == ""


def test_the_editable_copy_is_the_shipped_one() -> None:
    edited = REPO / "config" / "dossiers" / "colombia-2016.yaml"
    assert edited.read_bytes() == shipped("colombia-2016.yaml").read_bytes()


def test_dossier_identity(dossier: Dossier) -> None:
    info = dossier.info
    assert info.slug == "colombia-2016"
    assert info.signed == date(2016, 11, 24)
    assert info.place == "Bogotá"
    assert info.parties == ("Government of Colombia", "FARC-EP")
    assert info.summary


def test_deadlines_due_dates_and_outcomes_match_the_sheet(
    composer: Composer, dossier: Dossier
) -> None:
    assert [d.slug for d in dossier.deadlines] == list(SHEET)
    end = date(2020, 1, 1)  # after every update was reported
    for slug, (due, updates) in SHEET.items():
        view = countdown_of(composer, slug, end)
        assert view.due == due, slug
        assert [(u.date, u.status) for u in view.history] == [(d, s) for d, s, _ in updates]
    for deadline in dossier.deadlines:
        for update in deadline.outcome:
            if update.status == "missed":
                assert "in part" in update.note, deadline.slug  # the sheet's "missed (in part)"


def test_fixed_events_and_every_afterwards_row(dossier: Dossier) -> None:
    dates = {e.id: e.date for e in dossier.events}
    for event_id, day in FIXED_EVENTS.items():
        assert dates.get(event_id) == day, event_id
    remaining = [e.date.isoformat() for e in dossier.events]
    for row_day in AFTERWARDS_DATES:
        assert row_day in remaining, f"no event dated {row_day}"
        remaining.remove(row_day)
    (month_only,) = [e for e in dossier.events if e.precision == "month"]
    assert month_only.date == date(2018, 3, 1)
    assert "approximate" in (month_only.summary or "")


def test_every_item_cites_a_source_with_its_outlet_and_url(dossier: Dossier) -> None:
    sources = {s.id: s for s in dossier.sources}
    cited: set[str] = set()
    for event in dossier.events:
        assert event.sources, event.id
        cited.update(event.sources)
    for deadline in dossier.deadlines:
        assert deadline.sources, deadline.slug
        cited.update(deadline.sources)
        for update in deadline.outcome:
            assert update.sources, deadline.slug
            cited.update(update.sources)
    assert cited == set(sources)  # every source is used, and every citation resolves
    evidence = _evidence()
    for source in sources.values():
        assert source.publisher, source.id
        assert source.url and source.url in evidence, source.id


def test_no_quotes(dossier: Dossier) -> None:
    assert all(e.quote is None for e in dossier.events)
    assert all(d.quote is None for d in dossier.deadlines)
    assert "quote:" not in shipped("colombia-2016.yaml").read_text(encoding="utf-8")


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _runs(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + LONG_RUN]) for i in range(len(words) - LONG_RUN + 1)}


def test_nothing_is_copied_from_the_evidence_file(dossier: Dossier) -> None:
    copied = _runs(_words(_evidence()))
    texts = {"dossier summary": dossier.info.summary}
    for event in dossier.events:
        texts[f"event {event.id}"] = f"{event.title}\n{event.summary or ''}"
    for deadline in dossier.deadlines:
        texts[f"deadline {deadline.slug}"] = "\n".join(
            [deadline.title, deadline.summary or "", deadline.basis or ""]
        )
        for update in deadline.outcome:
            texts[f"deadline {deadline.slug} {update.date}"] = update.note
    for name, text in texts.items():
        # Each line on its own: a run across the title/summary break is not a sentence.
        for line in text.splitlines():
            shared = _runs(_words(line)) & copied
            assert not shared, f"{name} copies {' '.join(sorted(shared)[0])!r}"


def test_the_overlap_check_catches_a_copied_sentence() -> None:
    copied = _runs(_words(_evidence()))
    lifted = "The last container left the Pondores transition zone in remote La Guajira province."
    assert _runs(_words(lifted)) & copied


def test_countdown_on_1_may_2017(composer: Composer) -> None:
    view = countdown_of(composer, "weapons-laydown", date(2017, 5, 1))
    assert view.days_until == 29
    assert view.state == "upcoming"
    assert view.outcome is None
    assert view.history == ()


def test_countdowns_on_1_july_2017_show_only_what_was_known(composer: Composer) -> None:
    day = date(2017, 7, 1)
    everything = composer.compose("countdown", Clock(UTC, day))
    # Deadlines announced later (the party date, the second mission, the fast track's
    # end, the JEP date) are not on the record yet.
    assert [c.slug for c in everything.countdowns] == [
        "zones-arrival",
        "weapons-laydown",
        "zones-closure",
        "arms-caches",
        "farc-seats",
    ]
    for view in everything.countdowns:
        slug = view.slug
        full = countdown_of(composer, slug, day)
        expected = [(d, s) for d, s, reported in SHEET[slug][1] if reported <= day]
        assert [(u.date, u.status) for u in full.history] == expected, slug
        last = expected[-1] if expected else None
        shown = (view.outcome.date, view.outcome.status) if view.outcome else None
        assert shown == last, slug
    laydown = countdown_of(composer, "weapons-laydown", day)
    assert [u.date for u in laydown.history] == [
        date(2017, 5, 29),
        date(2017, 6, 26),
        date(2017, 6, 27),
    ]
    closure = countdown_of(composer, "zones-closure", day)
    assert [u.date for u in closure.history] == [date(2017, 5, 29)]  # not 1 or 15 August


@pytest.mark.parametrize(
    ("slug", "update"),
    [(slug, update) for slug, (_, updates) in SHEET.items() for update in updates],
    ids=lambda v: v if isinstance(v, str) else v[0].isoformat(),
)
def test_replay_shows_each_outcome_from_the_day_it_was_reported(
    composer: Composer, slug: str, update: tuple[date, str, date]
) -> None:
    day, status, reported = update
    before = countdown_of(composer, slug, reported - timedelta(days=1))
    assert (day, status) not in [(u.date, u.status) for u in before.history]
    on = countdown_of(composer, slug, reported)
    assert (day, status) in [(u.date, u.status) for u in on.history]
