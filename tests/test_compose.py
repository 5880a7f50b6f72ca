"""Briefings composed from the store, and their renderings."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

from briefings.clock import Clock, InputError
from briefings.compose import KINDS, TIMELINE_PAGE, Composer
from briefings.document import Briefing
from briefings.model import Deadline, Dossier, DossierInfo, Event, OutcomeUpdate, Source
from briefings.render.json import render_json, to_dict
from briefings.render.plain import render_plain
from briefings.render.text import render_rich, render_terminal_plain
from briefings.store import Store

D = date.fromisoformat
UTC = ZoneInfo("UTC")


def on(day: str, zone: str = "UTC") -> Clock:
    return Clock(ZoneInfo(zone), D(day))


def compose(store: Store, kind: str, day: str, **options: object) -> Briefing:
    return Composer(store).compose(kind, on(day), **options)  # type: ignore[arg-type]


def test_status_as_of_the_article(store: Store) -> None:
    briefing = compose(store, "status", "2020-03-05")
    assert briefing.kind == "status" and briefing.replay and briefing.timezone == "UTC"
    assert briefing.title.endswith("status on 2020-03-05")
    facts = dict(briefing.sections[0].facts)
    assert facts["Signed"] == "2020-02-29 in Doha"
    assert facts["Since signing"] == "5 days"
    latest = briefing.sections[2].events
    assert len(latest) == 5
    assert all(e.date == D("2020-03-05") for e in latest)
    assert [c.slug for c in briefing.countdowns][:2] == ["intra-afghan-talks", "prisoner-release"]


def test_status_before_anything_is_on_the_record(store: Store) -> None:
    briefing = compose(store, "status", "2019-01-01")
    assert briefing.countdowns == () and briefing.events == ()
    assert "Nothing on the record yet for this day." in briefing.notes
    assert "Since signing" not in dict(briefing.sections[0].facts)


def test_a_quote_waits_for_its_source(store: Store) -> None:
    # On signing day the article (5 March) is not out: its quote and citation are not shown.
    before = compose(store, "countdown", "2020-03-01", deadline="drawdown-8600").countdowns[0]
    assert before.quote is None
    assert [s.id for s in before.sources] == ["doha-agreement"]
    after = compose(store, "countdown", "2020-03-05", deadline="drawdown-8600").countdowns[0]
    assert after.quote is not None and after.quote.startswith("These terms include")
    assert [s.id for s in after.sources] == ["wsws-2020-03-05", "doha-agreement"]
    # The article's events only enter the record with the article.
    signing = compose(store, "event", "2020-03-01", event_id="doha-signing").events[0]
    assert signing.quote is None and [s.id for s in signing.sources] == ["doha-agreement"]


def test_countdown_of_one_deadline_has_its_history(store: Store) -> None:
    view = compose(store, "countdown", "2020-10-01", deadline="intra-afghan-talks").countdowns[0]
    assert [u.status for u in view.history] == ["missed", "late"]
    assert view.outcome is not None and view.outcome.status == "late"
    assert view.outcome.sources[0].id == "crs-in11502"
    earlier = compose(store, "countdown", "2020-05-01", deadline="intra-afghan-talks")
    assert [u.status for u in earlier.countdowns[0].history] == ["missed"]


def test_unknown_deadline(store: Store) -> None:
    with pytest.raises(
        InputError,
        match="no deadline 'drawdown' on the record as of 2020-03-05; "
        "known deadlines: intra-afghan-talks, prisoner-release, drawdown-8600,",
    ):
        compose(store, "countdown", "2020-03-05", deadline="drawdown")
    # Before the signing no deadline is on the record, and none is named.
    with pytest.raises(InputError) as raised:
        compose(store, "countdown", "2019-06-01", deadline="drawdown-8600")
    assert str(raised.value) == (
        "no deadline 'drawdown-8600' on the record as of 2019-06-01; known deadlines: none yet"
    )


def test_timeline_pages(store: Store) -> None:
    first = compose(store, "timeline", "2030-01-01")
    total = store.count_events(D("2030-01-01"))
    assert total > TIMELINE_PAGE
    assert len(first.events) == TIMELINE_PAGE
    assert first.events[0].id == "us-invasion-2001" and first.events[0].date_label == "2001-10"
    assert first.notes[0].startswith(f"Events 1–{TIMELINE_PAGE} of {total} (page 1 of 2).")
    assert "Next: /accord timeline page:2" in first.shown_notes()[0]
    second = compose(store, "timeline", "2030-01-01", page=2)
    assert len(second.events) == total - TIMELINE_PAGE
    assert "Next" not in second.shown_notes()[0]
    dates = [e.date for e in (*first.events, *second.events)]
    assert dates == sorted(dates)
    with pytest.raises(InputError, match="page 3 does not exist: there are 2 pages"):
        compose(store, "timeline", "2030-01-01", page=3)
    with pytest.raises(InputError, match="page numbers start at 1"):
        compose(store, "timeline", "2030-01-01", page=0)


def test_timeline_range(store: Store) -> None:
    march = compose(store, "timeline", "2020-03-31", start=D("2020-03-04"), end=D("2020-03-09"))
    assert {e.date for e in march.events} <= {D(f"2020-03-0{d}") for d in range(4, 10)}
    assert "rival-inaugurations" in [e.id for e in march.events]
    assert march.notes == ()
    with pytest.raises(InputError, match="is after"):
        compose(store, "timeline", "2020-03-31", start=D("2020-03-09"), end=D("2020-03-04"))
    empty = compose(store, "timeline", "2020-03-31", start=D("2019-01-01"), end=D("2019-02-01"))
    assert empty.events == () and empty.notes[0].startswith("No events on the record")


def test_event_in_full(store: Store) -> None:
    briefing = compose(store, "event", "2020-03-05", event_id="us-drone-strike-helmand")
    (view,) = briefing.events
    assert view.summary and view.quote and view.quote.startswith("The US military")
    assert [s.id for s in view.sources] == ["wsws-2020-03-05"]
    assert briefing.sections[0].heading == "2020-03-04"


def test_unknown_or_future_event(store: Store) -> None:
    with pytest.raises(InputError, match=r"no event 'drone' .* Did you mean: us-drone"):
        compose(store, "event", "2020-03-05", event_id="drone")
    # Known later: not on the record yet, and not suggested either.
    with pytest.raises(InputError, match="no event 'kabul-falls' on the record as of 2020-03-05"):
        compose(store, "event", "2020-03-05", event_id="kabul-falls")
    with pytest.raises(InputError, match="needs an event id"):
        compose(store, "event", "2020-03-05")


def test_unknown_kind(store: Store) -> None:
    with pytest.raises(InputError, match="unknown briefing 'weather'"):
        compose(store, "weather", "2020-03-05")


def test_digest_lists_what_entered_the_record_that_day(store: Store) -> None:
    article_day = compose(store, "digest", "2020-03-05")
    new = article_day.sections[0]
    assert new.heading == "New on the record"
    ids = [e.id for e in new.events]
    # Older events that only the article reports enter the record with it.
    assert "us-invasion-2001" in ids and "leggett-tweet" in ids
    assert "doha-signing" not in ids  # on the record since the agreement's text
    coming = next(s for s in article_day.sections if s.heading.startswith("Coming up"))
    assert [c.slug for c in coming.countdowns] == ["intra-afghan-talks", "prisoner-release"]
    due_day = compose(store, "digest", "2020-03-10")
    outcomes = next(s for s in due_day.sections if s.heading.startswith("Deadline outcomes"))
    assert [c.slug for c in outcomes.countdowns] == ["intra-afghan-talks", "prisoner-release"]
    quiet = compose(store, "digest", "2020-03-11")
    assert not any(s.heading.startswith("Deadline outcomes") for s in quiet.sections)
    assert quiet.sections[0].events == ()
    assert "Nothing new on the record today." in quiet.notes


def late_report_dossier() -> Dossier:
    """An outcome dated 10 March whose only source appears on 20 March."""
    return Dossier(
        DossierInfo("late", "Late", D("2020-03-01"), ("A", "B"), "S."),
        sources=(
            Source("text", "Text", published=D("2020-03-01")),
            Source("report", "Report", published=D("2020-03-20")),
        ),
        events=(Event("signing", D("2020-03-01"), "Signing", ("text",)),),
        deadlines=(
            Deadline(
                "talks",
                "Talks",
                D("2020-03-10"),
                ("text",),
                outcome=(OutcomeUpdate(D("2020-03-10"), "missed", "Missed.", ("report",)),),
            ),
        ),
    )


def test_digest_announces_an_outcome_when_it_is_reported(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "late.db", seed=False)
    store.import_dossiers([late_report_dossier()])

    def announced(day: str) -> list[str]:
        digest = compose(store, "digest", day)
        sections = [s for s in digest.sections if s.heading.startswith("Deadline outcomes")]
        return [c.slug for s in sections for c in s.countdowns]

    assert announced("2020-03-10") == []
    assert compose(store, "countdown", "2020-03-19").countdowns[0].outcome is None
    assert announced("2020-03-20") == ["talks"]
    assert announced("2020-03-21") == []


def test_composer_caches_by_day_zone_and_revision(store: Store) -> None:
    composer = Composer(store)
    first = composer.compose("status", on("2020-03-05"))
    assert composer.compose("status", on("2020-03-05")) is first
    assert composer.compositions == 1
    assert composer.compose("status", on("2020-03-05", "Asia/Kabul")).timezone == "Asia/Kabul"
    assert composer.compose("status", on("2020-03-06")) is not first
    assert composer.compositions == 3
    from briefings.curation import load_dossier
    from briefings.store import shipped_dossier_path

    store.import_dossiers([load_dossier(shipped_dossier_path())])
    assert composer.compose("status", on("2020-03-05")) is not first
    assert composer.compositions == 4


def test_composer_cache_is_bounded(store: Store) -> None:
    composer = Composer(store, size=2)
    for day in ("2020-03-05", "2020-03-06", "2020-03-07"):
        composer.compose("countdown", on(day))
    composer.compose("countdown", on("2020-03-05"))
    assert composer.compositions == 4


@pytest.mark.parametrize("kind", KINDS)
def test_renderings_agree(store: Store, kind: str) -> None:
    options = {"event_id": "doha-signing"} if kind == "event" else {}
    briefing = compose(store, kind, "2020-09-13", **options)
    data = json.loads(render_json(briefing))
    assert data == to_dict(briefing)
    assert {"kind", "as_of", "timezone", "title", "countdowns", "events"} <= set(data)
    assert data["kind"] == kind and data["as_of"] == "2020-09-13"
    plain = render_plain(briefing)
    assert plain.startswith(briefing.title + " (replay)")
    for countdown in briefing.countdowns:
        assert f"[{countdown.slug}]" in plain
    for event in briefing.events:
        assert f"[{event.id}]" in plain
    # Unstyled terminal text is exactly what rich prints to a pipe.
    out = io.StringIO()
    Console(file=out, soft_wrap=True, highlight=False, color_system=None).print(
        render_rich(briefing)
    )
    assert out.getvalue() == render_terminal_plain(briefing) + "\n"


def test_json_outcome_shape(store: Store) -> None:
    data = to_dict(compose(store, "countdown", "2020-09-13"))
    talks = next(c for c in data["countdowns"] if c["slug"] == "intra-afghan-talks")
    assert talks["outcome"]["status"] == "late"
    assert talks["outcome"]["date"] == "2020-09-12"
    assert talks["outcome"]["sources"][0]["id"] == "crs-in11502"
    assert talks["days_until"] == -187 and talks["state"] == "passed"
