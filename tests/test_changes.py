"""Curated changes in the engine: validation by the file's rules, revisions, ids,
corrections, and all-or-nothing writes (even under kill -9)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from briefings import revisions
from briefings.changes import Change, ChangeRejected, Curator, apply_change
from briefings.clock import Clock
from briefings.compose import Composer
from briefings.records import live_dossier, records
from briefings.revisions import Author
from briefings.store import Store

ANA = Author("slack", "U1", "Ana")
DOSSIER = "doha-2020"


@pytest.fixture
def store(db_location: str) -> Iterator[Store]:
    """The shipped dossier's store, on each backend (SQLite file, PostgreSQL database)."""
    opened = Store.open(db_location)
    yield opened
    opened.close()


def event_change(**fields: str) -> Change:
    base = {"date": "2020-09-12", "title": "Talks open in Doha", "sources": "crs-in11502"}
    return Change("event", DOSSIER, ANA, {**base, **fields})


def test_an_event_without_id_gets_one_from_date_and_title(store: Store) -> None:
    done = apply_change(store, event_change())
    assert done.item == "2020-09-12-talks-open-in-doha"
    assert done.summary == f"event {done.item} recorded as revision 2"
    again = apply_change(store, event_change())
    assert again.item == "2020-09-12-talks-open-in-doha-2"
    assert store.event(done.item, date(2020, 9, 12)) is not None


def test_a_bad_change_names_each_field_and_stores_nothing(store: Store) -> None:
    before = store.content_fingerprint()
    with pytest.raises(ChangeRejected) as err:
        apply_change(store, event_change(date="2020-02-30", sources="no-such-source"))
    fields = {p.field: p.message for p in err.value.problems}
    assert "not a real calendar date" in fields["date"]
    assert "no-such-source" in fields["sources"]
    with pytest.raises(ChangeRejected) as err:
        apply_change(store, event_change(colour="red"))
    assert err.value.problems[0].field == "colour"
    assert store.content_fingerprint() == before
    assert revisions.latest_revision(store.db) == 1


def test_the_next_answer_shows_the_change(store: Store) -> None:
    composer = Composer(store)
    clock = Clock(ZoneInfo("UTC"), date(2021, 1, 1))
    first = composer.compose("timeline", clock, start=date(2020, 9, 12), end=date(2020, 9, 12))
    done = apply_change(store, event_change(title="A curated line"))
    second = composer.compose("timeline", clock, start=date(2020, 9, 12), end=date(2020, 9, 12))
    assert "A curated line" not in repr(first)
    assert "A curated line" in repr(second) and done.item in repr(second)


def test_an_outcome_update_goes_in_date_order(store: Store) -> None:
    curator = Curator(store)
    done = curator.apply(
        Change(
            "outcome",
            DOSSIER,
            ANA,
            {"date": "2020-03-11", "status": "missed", "note": "Still none.", "sources": "reuters"},
            target="intra-afghan-talks",
        )
    )
    outcome = (done.change.after or {})["outcome"]
    assert [u["date"] for u in outcome] == ["2020-03-10", "2020-03-11", "2020-09-12"]
    with pytest.raises(ChangeRejected) as err:
        curator.apply(Change("outcome", DOSSIER, ANA, {"date": "2020-03-12"}, target="nope"))
    assert "intra-afghan-talks" in err.value.problems[0].message


def test_a_correction_changes_only_its_fields_and_needs_a_reason(store: Store) -> None:
    target = "us-drone-strike-helmand"
    old = records(live_dossier(store.db, DOSSIER))[("event", target)]  # type: ignore[arg-type]
    with pytest.raises(ChangeRejected) as err:
        apply_change(store, Change("correct", DOSSIER, ANA, {"title": "Drone strike"}, target))
    assert err.value.problems[0].field == "reason"
    done = apply_change(
        store, Change("correct", DOSSIER, ANA, {"title": "Drone strike"}, target, "shorter")
    )
    new = done.change.after or {}
    assert new == {**old, "title": "Drone strike"}
    rows = revisions.history(store.db, DOSSIER, target)
    assert [r.revision for r in rows] == [1, 2]
    assert rows[-1].changed_fields() == [("title", old["title"], "Drone strike")]
    assert rows[-1].reason == "shorter" and rows[-1].author == ANA


def test_a_new_source_can_then_be_cited(store: Store) -> None:
    curator = Curator(store)
    curator.apply(
        Change(
            "source",
            DOSSIER,
            ANA,
            {"id": "new-report", "title": "A report", "url": "https://example.org/r"},
        )
    )
    done = curator.apply(event_change(sources="new-report"))
    assert store.event(done.item, date(2020, 9, 12)) is not None
    with pytest.raises(ChangeRejected):
        curator.apply(Change("source", DOSSIER, ANA, {"id": "x", "title": "X", "url": "ftp://x"}))


def test_a_change_names_its_dossier_and_touches_no_other(store: Store) -> None:
    with pytest.raises(ChangeRejected) as err:
        apply_change(store, Change("event", "other", ANA, {"date": "2020-01-01"}))
    assert "doha-2020" in err.value.problems[0].message


KILLER = textwrap.dedent(
    """
    import sys
    from briefings.changes import Author, Change, Curator
    from briefings.store import Store
    curator = Curator(Store.open(sys.argv[1]))
    number = 0
    while True:
        number += 1
        curator.apply(Change("event", "doha-2020", Author("console", "k"),
            {"date": "2020-09-12", "title": f"Change {number}", "sources": "reuters"}))
        curator.apply(Change("correct", "doha-2020", Author("console", "k"),
            {"title": f"Change {number} corrected"}, target="us-drone-strike-helmand",
            reason="test"))
        if number == 1:
            print("ready", flush=True)  # changes are being made: kill at any moment now
    """
)


@pytest.mark.parametrize("delay", [0.01, 0.13, 0.31])
def test_kill_9_mid_change_keeps_all_or_nothing(db_location: str, delay: float) -> None:
    path = db_location
    Store.open(path).close()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    child = subprocess.Popen([sys.executable, "-c", KILLER, path], stdout=subprocess.PIPE, env=env)
    assert child.stdout is not None and child.stdout.readline().strip() == b"ready"
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait()
    store = Store.open(path)
    try:
        assert store.revision() == revisions.latest_revision(store.db) > 1
        # The live state is exactly what the log's latest "after" of each item says.
        latest: dict[tuple[str, str], object] = {}
        for row in reversed(revisions.log(store.db, dossier=DOSSIER)):
            latest[(row.change.kind, row.item)] = row.change.after
        live = records(live_dossier(store.db, DOSSIER))  # type: ignore[arg-type]
        assert {k: v for k, v in latest.items() if v is not None} == live
    finally:
        store.close()


def test_export_check_dry_run_and_an_edited_import(
    db_location: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from bot.cli import main

    db = db_location
    monkeypatch.setenv("ACCORD_DB", db)
    store = Store.open(db)
    apply_change(store, event_change(title="Curated from chat"))
    out = tmp_path / "doha.yaml"
    run = CliRunner().invoke
    exported = run(main, ["store", "export", DOSSIER, "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    assert "Curated from chat" in out.read_text()
    assert run(main, ["store", "check", str(out)]).exit_code == 0
    dry = run(main, ["store", "import", "--dry-run", str(out)])
    assert dry.exit_code == 0 and "doha-2020: no change" in dry.stdout
    assert run(main, ["store", "import", str(out)]).exit_code == 0
    assert store.revision() == 2  # importing the live state changes nothing

    text = out.read_text()
    text = text.replace("title: Curated from chat", "title: Curated, then edited in the file")
    text = text.replace("  place: Doha\n", "")
    out.write_text(text)
    dry = run(main, ["store", "import", "--dry-run", str(out)])
    assert "changed dossier doha-2020" in dry.stdout and store.revision() == 2
    done = run(main, ["store", "import", str(out)])
    assert "(revision 3)" in done.stdout, done.output
    rows = revisions.log(store.db, limit=1)
    assert {(r.change.kind, r.item) for r in rows} == {
        ("event", "2020-09-12-curated-from-chat"),
        ("dossier", DOSSIER),
    }
    assert all(r.author == Author.file("doha.yaml") for r in rows)
    logged = run(main, ["store", "log", "--limit", "2"])
    assert logged.stdout.splitlines()[0].startswith("doha-2020: #3 ")
    assert "file:doha.yaml" in logged.stdout and "#2 " in logged.stdout


def test_a_new_source_given_by_url_goes_in_the_same_revision(store: Store) -> None:
    done = apply_change(
        store,
        Change(
            "event",
            DOSSIER,
            ANA,
            {
                "date": "2020-09-12",
                "title": "Talks open",
                "source_url": "https://example.org/talks",
                "source_publisher": "Example Daily",
                "source_published": "2020-09-12",
            },
        ),
    )
    rows = revisions.log(store.db, limit=1)
    assert [(r.change.kind, r.item) for r in rows] == [
        ("source", "example-daily-2020-09-12"),
        ("event", done.item),
    ]
    assert (done.change.after or {})["sources"] == ["example-daily-2020-09-12"]
    with pytest.raises(ChangeRejected) as err:
        apply_change(
            store, event_change(source_url="ftp://x", source_publisher="X", sources="reuters")
        )
    assert err.value.problems[0].field == "source_url"
