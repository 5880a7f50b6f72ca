"""The store on both backends (SQLite, PostgreSQL): seeding, imports in one transaction,
and the as-of reads."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from time import sleep

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from bot.cli import main
from briefings.curation import load_dossier
from briefings.database import describe
from briefings.model import (
    Deadline,
    Dossier,
    DossierInfo,
    Event,
    OutcomeUpdate,
    RelativeDue,
    Source,
)
from briefings.store import Store, known_since, shipped_dossier_path

D = date.fromisoformat


def small_dossier(slug: str = "small", *, extra_events: tuple[Event, ...] = ()) -> Dossier:
    """Sources published on different days, to exercise `known_since`."""
    return Dossier(
        info=DossierInfo(slug, "Small accord", D("2020-01-01"), ("One", "Two"), "Summary."),
        sources=(
            Source("early", "Early report", published=D("2020-01-01")),
            Source("late", "Late report", "Paper", published=D("2020-02-01")),
            Source("undated", "Undated report"),
        ),
        events=(
            Event("signing", D("2020-01-01"), "Signing", ("early",)),
            Event("reported-late", D("2020-01-10"), "Reported late", ("late",)),
            Event("two-reports", D("2020-01-10"), "Two reports", ("late", "undated")),
            Event("undated-only", D("2020-01-12"), "Undated only", ("undated",)),
            Event("talks", D("2020-03-01"), "Talks", ("early",)),
            *extra_events,
        ),
        deadlines=(
            Deadline("fixed", "Fixed", D("2020-01-20"), ("early",)),
            Deadline("from-signing", "From signing", RelativeDue("signing", days=30), ("early",)),
            Deadline(
                "from-talks",
                "From talks",
                RelativeDue("talks", months=1),
                ("early",),
                outcome=(
                    OutcomeUpdate(D("2020-04-01"), "missed", "Missed.", ("undated",)),
                    OutcomeUpdate(D("2020-04-05"), "late", "Late, reported later.", ("late",)),
                ),
            ),
            Deadline("chained", "Chained", RelativeDue("from-talks", days=1), ("early",)),
        ),
    )


@pytest.fixture
def store(db_location: str) -> Iterator[Store]:
    opened = Store.open(db_location)
    yield opened
    opened.close()


@pytest.fixture
def small(db_location: str) -> Iterator[Store]:
    store = Store.open(db_location, seed=False)
    store.import_dossiers([small_dossier()])
    yield store
    store.close()


def test_open_seeds_the_shipped_dossier_once(db_location: str, tmp_path: Path) -> None:
    path = db_location if "://" in db_location else str(tmp_path / "sub" / "accord.db")
    store = Store.open(path)
    assert store.revision() == 1
    assert store.info().slug == "doha-2020"
    assert store.deadline_slugs() == [
        "intra-afghan-talks",
        "prisoner-release",
        "drawdown-8600",
        "un-sanctions",
        "us-sanctions-review",
        "full-withdrawal",
    ]
    store.close()
    again = Store.open(path)
    assert again.revision() == 1  # not seeded a second time
    again.close()


def test_an_unseeded_empty_store_says_what_to_do(db_location: str) -> None:
    store = Store.open(db_location, seed=False)
    assert store.revision() == 0
    with pytest.raises(LookupError, match="store import"):
        _ = store.dossier_slug


def test_shipped_due_dates_are_resolved_in_the_store(store: Store) -> None:
    due = {r.deadline.slug: r.due for r in store.deadlines(D("2022-01-01"))}
    assert due["drawdown-8600"] == D("2020-07-13")
    assert due["full-withdrawal"] == D("2021-04-29")
    assert due["intra-afghan-talks"] == D("2020-03-10")


def test_known_since_is_the_later_of_date_and_first_report() -> None:
    sources = {s.id: s for s in small_dossier().sources}
    assert known_since(D("2020-01-10"), ("late",), sources) == D("2020-02-01")
    # The earliest report counts; an undated source counts from the item's own date.
    assert known_since(D("2020-01-10"), ("late", "undated"), sources) == D("2020-01-10")
    assert known_since(D("2020-01-10"), ("early",), sources) == D("2020-01-10")


def test_events_appear_from_known_since(small: Store) -> None:
    assert small.event_ids(D("2019-12-31")) == []
    assert small.event_ids(D("2020-01-10")) == ["signing", "two-reports"]
    assert small.event_ids(D("2020-01-31")) == ["signing", "two-reports", "undated-only"]
    assert small.event_ids(D("2020-02-01")) == [
        "signing",
        "reported-late",
        "two-reports",
        "undated-only",
    ]
    assert small.event("reported-late", D("2020-01-31")) is None
    found = small.event("reported-late", D("2020-02-01"))
    assert found is not None and found.date == D("2020-01-10")
    assert [e.id for e in small.events_known_on(D("2020-02-01"))] == ["reported-late"]
    assert small.events_known_on(D("2020-01-11")) == []


def test_sources_are_hidden_until_published(small: Store) -> None:
    assert set(small.sources(D("2019-12-31"))) == {"undated"}
    assert set(small.sources(D("2020-01-31"))) == {"early", "undated"}
    assert set(small.sources(D("2020-02-01"))) == {"early", "late", "undated"}


def test_event_ranges_pages_and_order(small: Store) -> None:
    day = D("2020-12-31")
    assert [e.id for e in small.events(day, start=D("2020-01-10"), end=D("2020-01-12"))] == [
        "reported-late",
        "two-reports",
        "undated-only",
    ]
    assert small.count_events(day, start=D("2020-01-10"), end=D("2020-01-12")) == 3
    assert [e.id for e in small.events(day, limit=2, offset=1)] == ["reported-late", "two-reports"]
    assert [e.id for e in small.events(day, limit=2, newest_first=True)] == [
        "talks",
        "undated-only",
    ]
    assert small.count_events(D("2020-01-31")) == 3


def test_deadlines_and_outcomes_as_of(small: Store) -> None:
    before = small.deadlines(D("2020-02-29"))
    # Deadlines counted from the talks are not on the record before the talks are.
    assert [r.deadline.slug for r in before] == ["fixed", "from-signing"]
    after = {r.deadline.slug: r for r in small.deadlines(D("2020-04-04"))}
    assert list(after) == ["fixed", "from-signing", "from-talks", "chained"]
    assert after["from-talks"].due == D("2020-04-01")
    assert after["from-talks"].known_since == D("2020-03-01")
    assert after["chained"].due == D("2020-04-02")
    assert after["chained"].known_since == D("2020-03-01")
    assert after["from-signing"].due == D("2020-01-31")
    assert after["from-signing"].deadline.due == RelativeDue("signing", days=30)
    assert [u.status for u in after["from-talks"].deadline.outcome] == ["missed"]
    # The second update is dated 2020-04-05 but its only source is out on 2020-02-01:
    # known on its date.
    later = {r.deadline.slug: r for r in small.deadlines(D("2020-04-05"))}
    assert [u.status for u in later["from-talks"].deadline.outcome] == ["missed", "late"]


def test_a_good_import_replaces_content_and_bumps_the_revision(small: Store) -> None:
    assert small.revision() == 1
    smaller = small_dossier()
    smaller = Dossier(smaller.info, smaller.sources, smaller.events[:1], ())
    assert small.import_dossiers([smaller]) == 2
    assert small.revision() == 2
    assert small.event_ids(D("2030-01-01")) == ["signing"]
    assert small.deadlines(D("2030-01-01")) == []


def test_a_failing_import_changes_nothing(small: Store) -> None:
    before, revision = small.content_fingerprint(), small.revision()
    broken = small_dossier("other")
    # Not validated: an anchor that does not exist fails half way through the import.
    broken = Dossier(
        broken.info,
        broken.sources,
        broken.events,
        (Deadline("lost", "Lost", RelativeDue("nowhere", days=1), ("early",)),),
    )
    with pytest.raises(KeyError):
        small.import_dossiers([small_dossier("another"), broken])
    assert small.content_fingerprint() == before
    assert small.revision() == revision


BAD_FILE = """\
dossier: {slug: doha-2020, title: T, signed: 2020-01-01}
sources:
  - {id: s, title: S}
events:
  - {id: e, date: 2020-02-30, title: E, sources: [s]}
"""


def test_cli_import_of_a_bad_file_leaves_the_store_unchanged(
    db_location: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = db_location
    monkeypatch.setenv("ACCORD_DB", db)
    store = Store.open(db)
    before, revision = store.content_fingerprint(), store.revision()
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_FILE)
    result = CliRunner().invoke(main, ["store", "import", str(shipped_dossier_path()), str(bad)])
    assert result.exit_code == 1
    assert "event e: date: '2020-02-30' is not a real calendar date" in result.stderr
    assert "nothing was changed" in result.stderr
    assert store.content_fingerprint() == before
    assert store.revision() == revision


def test_cli_import_of_the_live_file_changes_nothing(
    db_location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = db_location
    monkeypatch.setenv("ACCORD_DB", db)
    store = Store.open(db)
    before = store.content_fingerprint()
    result = CliRunner().invoke(main, ["store", "import", str(shipped_dossier_path())])
    assert result.exit_code == 0, result.output
    assert "doha-2020: no change" in result.stdout
    assert store.revision() == 1
    assert store.content_fingerprint() == before
    reopened = Store.open(db)  # another process's view: a fresh store agrees
    assert reopened.revision() == 1
    reopened.close()


def test_cli_import_into_a_new_store(
    db_location: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = db_location if "://" in db_location else str(tmp_path / "new" / "accord.db")
    monkeypatch.setenv("ACCORD_DB", db)
    other = tmp_path / "small.yaml"
    other.write_text(
        "dossier: {slug: small, title: Small, signed: 2020-01-01}\n"
        "sources: [{id: s, title: S}]\n"
        "events: [{id: e, date: 2020-01-02, title: E, sources: [s]}]\n"
    )
    result = CliRunner().invoke(main, ["store", "import", str(other)])
    assert result.exit_code == 0, result.output
    store = Store.open(db)
    assert store.info().slug == "small"  # the last import is the active dossier
    assert store.event_ids(D("2020-01-02")) == ["e"]


def test_the_store_is_a_plain_sqlite_file_with_the_as_of_indexes(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "plain.db")
    assert isinstance(store.db, Database)
    path = store.db.conn.execute("PRAGMA database_list").fetchone()[2]
    conn = sqlite3.connect(path)
    indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    conn.close()
    assert {"idx_events_dossier_known_since_date_id", "idx_events_dossier_date"} <= indexes
    plan = " ".join(
        str(row)
        for row in store.db.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM events WHERE dossier = ? AND known_since <= ? "
            "AND date <= ? ORDER BY date DESC, id DESC LIMIT 5",
            ["doha-2020", "2020-03-05", "2020-03-05"],
        ).fetchall()
    )
    assert "USING INDEX" in plan


def test_shipped_file_and_store_agree(store: Store) -> None:
    dossier = load_dossier(shipped_dossier_path())
    assert store.event_ids(D("2030-01-01")) == [
        e.id for e in sorted(dossier.events, key=lambda e: (e.date, e.id))
    ]


def test_the_command_sync_hashes_are_the_stores_own_table(db_location: str) -> None:
    opened = Store.open(db_location)
    assert opened.db["discord_sync"].exists()
    assert opened.synced_commands("app:global") is None
    opened.record_synced_commands("app:global", "abc", "2020-03-05T00:00:00+00:00")
    assert opened.synced_commands("app:global") == "abc"
    opened.close()


def test_a_store_url_is_shown_without_its_password() -> None:
    url = "postgresql://accord:s3cret@db.internal:5433/accord"
    assert describe(url) == "postgresql://accord@db.internal:5433/accord"
    assert "s3cret" not in describe(url)


def test_two_stores_on_one_postgres_database_see_each_others_revisions(
    postgres_url: str,
) -> None:
    first, second = Store.open(postgres_url), Store.open(postgres_url)
    try:
        assert first.revision() == second.revision() == 1  # seeded once
        first.import_dossiers([small_dossier("other")])
        assert first.revision() == 2
        assert second.info().slug == "other"
        # Caches key on the revision: the other process sees the new one within 0.5 s.
        deadline = time.monotonic() + 2
        while second.revision() != 2:
            assert time.monotonic() < deadline
            sleep(0.05)
    finally:
        first.close()
        second.close()
