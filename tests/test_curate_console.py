"""Curating from the console: the text form, history, corrections with before → after."""

from __future__ import annotations

import subprocess
from pathlib import Path

from fanout_support import bot_command, bot_env

from briefings import revisions
from briefings.store import Store

ID = "2020-09-12-talks-open-in-doha"


def run_console(db: Path, *lines: str) -> str:
    result = subprocess.run(
        bot_command(),
        input="".join(f"{line}\n" for line in lines),
        env=bot_env(db, ACCORD_AS_OF="2020-09-13"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout


def test_text_form_then_history_then_a_correction(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    out = run_console(
        db,
        '/accord curate event date:2020-09-12 title:"Talks open in Doha" '
        "summary:“Delegations met at last.” sources:crs-in11502 tags:talks",
        f"/accord history {ID}",
    )
    assert f"event {ID} recorded as revision 2 in doha-2020." in out
    history = out.split(f"History of {ID}")[1]
    assert "#2 " in history and "added event" in history and "#3" not in history

    out = run_console(
        db,
        f'/accord curate correct {ID} title:"Intra-Afghan talks open" reason:"the usual name"',
        f"/accord history {ID}",
        "/accord timeline 2020-09-12 2020-09-12",
    )
    assert f"event {ID} corrected as revision 3" in out
    history = out.split(f"History of {ID}")[1]
    assert "#2 " in history and "#3 " in history
    assert "(why: the usual name)" in history
    assert "title: Talks open in Doha → Intra-Afghan talks open" in history
    assert "Intra-Afghan talks open\n" in out.split("Events from")[1]
    store = Store.open(db)
    rows = revisions.history(store.db, "doha-2020", ID)
    assert [r.reason for r in rows] == [None, "the usual name"]
    assert rows[1].change.after == {
        **(rows[0].change.after or {}),
        "title": "Intra-Afghan talks open",
    }


def test_console_bad_fields_are_listed_and_nothing_changes(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    out = run_console(
        db,
        "/accord curate event date:2020-02-30 title:X sources:nope",
        "/accord curate correct doha-signing title:Y",
        "/accord curate frobnicate",
        "/accord history nope",
        "/accord history doha-signing dossier:nowhere",
    )
    assert "date: '2020-02-30' is not a real calendar date" in out
    assert "sources: unknown source 'nope'" in out
    assert "reason: a correction needs a reason" in out
    assert "'frobnicate' is not one of event, outcome, source, correct" in out
    assert "No revisions of 'nope'" in out
    assert "'nowhere' in the store; the dossiers are: colombia-2016, doha-2020" in out
    assert Store.open(db).revision() == 1
