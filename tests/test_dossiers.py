"""Several dossiers in one store: import, list, remove, `--dossier`, per-dossier
subscriptions and their migration from the schema of one subscription per kind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from bot import subscriptions as subscriptions_module
from bot.ledger import Ledger
from bot.scheduler import delivery_key
from bot.subscriptions import Subscriptions
from briefings import revisions
from briefings.curation import load_dossier
from briefings.model import Deadline, Dossier, DossierInfo, Event, Source
from briefings.store import Store, UnknownDossier, shipped_dossier_paths

SCRIPT = Path(sys.executable).parent / "accord-bot"


def run(
    *args: str, db: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    environ.update(env or {}, ACCORD_DB=str(db))
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, env=environ, timeout=60, check=False
    )


def tiny(slug: str = "tiny-2001") -> Dossier:
    info = DossierInfo(slug, "A Tiny Accord", date(2001, 1, 1), ("Left", "Right"), "Terms.")
    source = Source("s1", "A report", "An outlet", None, date(2001, 1, 2), "https://example.org/1")
    events = (Event("signing", date(2001, 1, 1), "Signed", ("s1",)),)
    deadline = Deadline("first-step", "The first step", date(2001, 2, 1), ("s1",))
    return Dossier(info, (source,), events, (deadline,))


def test_a_new_store_holds_both_shipped_dossiers(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "a.db")
    assert store.slugs() == ["colombia-2016", "doha-2020"]
    assert store.dossier_slug == "doha-2020"  # the shipped default
    assert [p.stem for p in shipped_dossier_paths()] == ["colombia-2016", "doha-2020"]
    colombia = store.view("colombia-2016")
    assert colombia.info().signed == date(2016, 11, 24)
    assert "weapons-laydown" in colombia.deadline_slugs()
    assert "weapons-laydown" not in store.deadline_slugs()
    with pytest.raises(UnknownDossier, match="colombia-2016, doha-2020"):
        store.view("nowhere-1999")


def test_import_adds_or_replaces_one_dossier_and_leaves_the_others(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "a.db")
    before = store.view("colombia-2016").content_fingerprint()
    store.import_dossiers([tiny()])
    assert store.slugs() == ["colombia-2016", "doha-2020", "tiny-2001"]
    doha = store.view("doha-2020")
    assert len(doha.deadline_slugs()) == 6
    store.import_dossiers([tiny()])  # replaced, not doubled
    assert store.view("tiny-2001").deadline_slugs() == ["first-step"]
    listed = {d.slug: d for d in store.dossiers()}
    assert (listed["tiny-2001"].events, listed["tiny-2001"].deadlines) == (1, 1)
    # The same file again is no change: no new revision.
    assert listed["tiny-2001"].revision == 2 and listed["doha-2020"].revision == 1
    colombia_rows = [r for r in before if "colombia-2016" in r]
    assert colombia_rows and all(r in store.content_fingerprint() for r in colombia_rows)


def test_store_list_and_remove_through_the_cli(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    listed = run("store", "list", db=db)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["colombia-2016", "doha-2020"]
    assert "6 deadlines" in lines[1] and "9 deadlines" in lines[0] and "revision 1" in lines[0]
    subs = Subscriptions(Store.open(db).db)
    for kind in ("digest", "reminders"):
        subs.upsert("slack", "T1", "C1", kind, dossier="colombia-2016", by="U1", zone="UTC")
    subs.upsert("slack", "T1", "C1", "digest", dossier="doha-2020", by="U1", zone="UTC")
    subs.follow("slack", "T1", "C1", "colombia-2016", "U1")
    asked = run("store", "remove", "colombia-2016", db=db)
    assert asked.returncode == 1
    assert "would remove colombia-2016:" in asked.stdout and "2 subscriptions" in asked.stdout
    assert "colombia-2016" in Store.open(db).slugs()
    done = run("store", "remove", "colombia-2016", "--yes", db=db)
    assert done.returncode == 0, done.stderr
    events = len(load_dossier(shipped_dossier_paths()[0]).events)
    assert f"removed colombia-2016: {events} events, 9 deadlines and 2 subscriptions" in done.stdout
    after = Store.open(db)
    assert after.slugs() == ["doha-2020"]
    left = Subscriptions(after.db)
    assert [(s.kind, s.dossier) for s in left.all()] == [("digest", "doha-2020")]
    assert left.followed("slack", "T1", "C1") is None
    # The removal is a revision like any other: every item's history ends in `removed`.
    gone = revisions.log(after.db, dossier="colombia-2016", limit=1)
    assert {r.change.verb for r in gone} == {"removed"}
    assert len(gone) == 1 + events + 9 + len(load_dossier(shipped_dossier_paths()[0]).sources)
    assert gone[0].author.platform == "command-line" and gone[0].reason == "store remove"
    unknown = run("store", "remove", "nowhere-1999", "--yes", db=db)
    assert unknown.returncode == 2
    assert "no dossier 'nowhere-1999'" in unknown.stderr and "doha-2020" in unknown.stderr


def brief_json(db: Path, *args: str) -> dict[str, Any]:
    result = run("brief", "countdown", "--format", "json", *args, db=db)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_colombia_countdown_on_1_may_2017_through_the_cli(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    data = brief_json(db, "--dossier", "colombia-2016", "--as-of", "2017-05-01")
    assert data["dossier"] == {
        "slug": "colombia-2016",
        "title": Store.open(db).view("colombia-2016").info().title,
    }
    (laydown,) = [c for c in data["countdowns"] if c["slug"] == "weapons-laydown"]
    assert laydown["days_until"] == 29 and laydown["due"] == "2017-05-30"
    assert laydown["state"] == "upcoming" and laydown["outcome"] is None


def test_colombia_countdown_on_1_july_2017_shows_only_what_was_known(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    args = ("--dossier", "colombia-2016", "--as-of", "2017-07-01")
    data = brief_json(db, *args, "--deadline", "weapons-laydown")
    (laydown,) = data["countdowns"]
    assert laydown["outcome"]["status"] == "late"
    assert laydown["outcome"]["date"] == "2017-06-27"  # reported 30 June
    everything = brief_json(db, *args)
    for countdown in everything["countdowns"]:
        if countdown["outcome"] is not None:
            assert countdown["outcome"]["date"] <= "2017-07-01", countdown["slug"]
            for source in countdown["outcome"]["sources"]:
                assert (source.get("published") or "") <= "2017-07-01"
    # No later update of any deadline leaks in: the next one of weapons-laydown's
    # neighbours is not there yet.
    slugs_with_outcome = {c["slug"] for c in everything["countdowns"] if c["outcome"]}
    assert "weapons-laydown" in slugs_with_outcome


def test_the_default_dossier_and_accord_dossier(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    assert brief_json(db, "--as-of", "2020-03-05")["dossier"]["slug"] == "doha-2020"
    env = {"ACCORD_DOSSIER": "colombia-2016"}
    result = run("brief", "status", "--format", "json", db=db, env=env)
    assert json.loads(result.stdout)["dossier"]["slug"] == "colombia-2016"
    bad = run("brief", "status", "--dossier", "nowhere-1999", db=db)
    assert bad.returncode == 2
    assert "colombia-2016, doha-2020" in bad.stderr and "Traceback" not in bad.stderr


def test_ics_uids_are_distinct_per_dossier(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    uids: dict[str, set[str]] = {}
    for slug in ("doha-2020", "colombia-2016"):
        out = tmp_path / f"{slug}.ics"
        result = run(
            "export", "ics", "--dossier", slug, "--as-of", "2021-01-01", "--out", str(out), db=db
        )
        assert result.returncode == 0, result.stderr
        text = out.read_text()
        uids[slug] = {line[4:] for line in text.splitlines() if line.startswith("UID:")}
        again = tmp_path / f"{slug}-again.ics"
        run("export", "ics", "--dossier", slug, "--as-of", "2021-01-01", "--out", str(again), db=db)
        assert {
            line[4:] for line in again.read_text().splitlines() if line.startswith("UID:")
        } == uids[slug]
    assert uids["doha-2020"] and uids["colombia-2016"]
    assert not uids["doha-2020"] & uids["colombia-2016"]
    assert any("colombia-2016-weapons-laydown" in u for u in uids["colombia-2016"])


def test_chart_takes_the_dossier(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    out = tmp_path / "c.png"
    result = run(
        "brief",
        "chart",
        "--dossier",
        "colombia-2016",
        "--as-of",
        "2017-07-01",
        "--out",
        str(out),
        db=db,
    )
    assert result.returncode == 0, result.stderr
    assert "colombia-2016" in result.stdout and out.read_bytes().startswith(b"\x89PNG")


def old_schema_store(path: Path) -> Database:
    """A store as the one-dossier versions left it: only the shipped dossier of then,
    subscriptions keyed by (channel, kind), one digest already delivered today."""
    store = Store.open(path, seed=False)
    store.import_dossiers([load_dossier(shipped_dossier_paths()[-1])])
    db = store.db
    subscriptions_module.migrations.apply(db, stop_before="subscriptions_per_dossier")
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for kind, at in (("digest", "07:30:00"), ("reminders", "09:00:00")):
        db.table("subscriptions").insert(
            {
                "id": f"slack:T1:C1:{kind}",
                "platform": "slack",
                "workspace": "T1",
                "channel": "C1",
                "kind": kind,
                "at": at,
                "zone": "Europe/Berlin",
                "offsets": "[7, 1]",
                "include_passed": 0,
                "with_chart": 1,
                "created_by": "U1",
                "created_at": now,
                "updated_at": now,
                "paused": 0,
                "paused_reason": None,
                "paused_at": None,
            }
        )
    return db


def test_existing_subscriptions_migrate_to_the_dossier_they_were_made_under(tmp_path: Path) -> None:
    db = old_schema_store(tmp_path / "old.db")
    assert "dossier" not in db.table("subscriptions").columns_dict
    today = datetime.now(UTC).date().isoformat()
    Ledger(db).claim(f"slack:T1:C1:digest|{today}", "slack:T1:C1:digest", "digest", today)
    db.close()
    # The new version imports the second shipped dossier into the old file.
    imported = run("store", "import", str(shipped_dossier_paths()[0]), db=tmp_path / "old.db")
    assert imported.returncode == 0, imported.stderr
    store = Store.open(tmp_path / "old.db")
    assert store.slugs() == ["colombia-2016", "doha-2020"]
    subs = Subscriptions(store.db)
    migrated = {s.kind: s for s in subs.all()}
    assert set(migrated) == {"digest", "reminders"}
    digest = migrated["digest"]
    assert digest.dossier == "doha-2020" and digest.id == "slack:T1:C1:digest"
    assert (digest.at.isoformat(), digest.zone, digest.with_chart) == (
        "07:30:00",
        "Europe/Berlin",
        True,
    )
    assert migrated["reminders"].offsets == (7, 1)
    # The delivery key is the one of before: today's digest is not posted again.
    assert not Ledger(store.db).claim(delivery_key(digest, today, None), digest.id, "digest", today)
    # Subscribing again updates that row; the other dossier gets a row of its own.
    again, created = subs.upsert(
        "slack", "T1", "C1", "digest", dossier="doha-2020", by="U2", zone=None
    )
    assert not created and again.id == digest.id and again.zone == "Europe/Berlin"
    other, created = subs.upsert(
        "slack", "T1", "C1", "digest", dossier="colombia-2016", by="U2", zone=None
    )
    assert created and other.id != digest.id
    assert sorted((s.kind, s.dossier) for s in subs.for_channel("slack", "T1", "C1")) == [
        ("digest", "colombia-2016"),
        ("digest", "doha-2020"),
        ("reminders", "doha-2020"),
    ]
    removed = subs.remove("slack", "T1", "C1", ("digest",), "colombia-2016")
    assert [s.dossier for s in removed] == ["colombia-2016"]
    assert len(subs.remove("slack", "T1", "C1", ("digest", "reminders"))) == 2
    assert subs.all() == []
