"""The review desk on both backends: proposals survive a restart, only a second curator
approves, two approvals racing (in two processes' connections) apply once, a proposal
whose item changed meanwhile is refused, a rejection keeps its reason."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from bot.review import ReviewDesk
from briefings import revisions
from briefings.changes import Change, Curator
from briefings.proposals import Origin, Proposals
from briefings.revisions import Author
from briefings.store import Store

ANA = Author("slack", "U0ANA", "Ana")
BO = Author("slack", "U0BO", "Bo")
CY = Author("discord", "3", "Cy")
HERE = Origin("slack", "T1", "C1")
EVENT = {"date": "2020-03-04", "title": "Talks resume", "sources": "reuters"}
EVENT_ID = "2020-03-04-talks-resume"


def desk_on(location: str) -> tuple[Store, ReviewDesk]:
    store = Store.open(location)
    return store, ReviewDesk(Curator(store), Proposals(store.db))


@pytest.fixture
def opened(db_location: str) -> Iterator[tuple[Store, ReviewDesk]]:
    store, desk = desk_on(db_location)
    yield store, desk
    store.close()


def test_a_proposal_waits_survives_a_restart_and_needs_another_curator(
    opened: tuple[Store, ReviewDesk], db_location: str
) -> None:
    store, desk = opened
    before = store.content_fingerprint()
    said = desk.propose(Change("event", "doha-2020", ANA, EVENT), HERE)
    assert "proposed as #1" in (said.text or "") and not said.error
    assert store.content_fingerprint() == before

    again, later = desk_on(db_location)  # another process, after a restart
    try:
        (waiting,) = later.proposals.open_ones()
        assert waiting.draft.item == EVENT_ID and waiting.draft.author == ANA
        assert "another curator" in (later.approve(1, ANA, can_curate=True).text or "")
        assert "Only" in (later.approve(1, BO, can_curate=False).text or "")
        done = later.approve(1, BO, can_curate=True)
        assert not done.error and "Approved #1" in (done.text or "")
    finally:
        again.close()
    (row,) = revisions.history(store.db, "doha-2020", EVENT_ID)
    assert (row.author, row.approver) == (ANA, BO)
    assert "already decided" in (desk.approve(1, CY, can_curate=True).text or "")


def test_racing_approvals_apply_once(db_location: str) -> None:
    store, desk = desk_on(db_location)
    try:
        desk.propose(Change("event", "doha-2020", ANA, EVENT), HERE)
        answers: list[str] = []
        start = threading.Barrier(4)

        def approve(who: Author) -> None:
            own_store, own_desk = desk_on(db_location)  # each its own connection
            try:
                start.wait()
                answers.append(own_desk.approve(1, who, can_curate=True).text or "")
            finally:
                own_store.close()

        threads = [threading.Thread(target=approve, args=(who,)) for who in (BO, CY, BO, CY)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sum("Approved #1" in a for a in answers) == 1, answers
        assert len(revisions.history(store.db, "doha-2020", EVENT_ID)) == 1
    finally:
        store.close()


def test_a_proposal_over_a_newer_version_is_refused(opened: tuple[Store, ReviewDesk]) -> None:
    store, desk = opened
    event = store.event_ids(store.info().signed)[0]
    first = Change("correct", "doha-2020", ANA, {"title": "First"}, event, "typo")
    second = Change("correct", "doha-2020", BO, {"title": "Second"}, event, "typo")
    desk.propose(first, HERE)
    desk.propose(second, HERE)
    assert not desk.approve(2, ANA, can_curate=True).error
    refused = desk.approve(1, BO, can_curate=True)
    assert refused.error and "changed since this was proposed" in (refused.text or "")
    proposal = desk.proposals.get(1)
    assert proposal is not None and proposal.status == "stale"
    titles = [r.change.after["title"] for r in revisions.history(store.db, "doha-2020", event)]
    assert titles[-1] == "Second"


def test_a_rejection_needs_a_reason_and_keeps_it(opened: tuple[Store, ReviewDesk]) -> None:
    store, desk = opened
    desk.propose(Change("event", "doha-2020", ANA, EVENT), HERE)
    assert desk.reject(1, BO, "  ", can_curate=True).error
    assert not desk.reject(1, BO, "no source says so", can_curate=True).error
    proposal = desk.proposals.get(1)
    assert proposal is not None and proposal.status == "rejected"
    assert proposal.decision_reason == "no source says so" and proposal.decider == BO
    assert revisions.history(store.db, "doha-2020", EVENT_ID) == []
    assert "already decided" in (desk.approve(1, CY, can_curate=True).text or "")


def test_a_bad_change_is_refused_before_it_becomes_a_proposal(
    opened: tuple[Store, ReviewDesk],
) -> None:
    _, desk = opened
    said = desk.propose(Change("event", "doha-2020", ANA, {**EVENT, "date": "2020-02-30"}), HERE)
    assert said.error and any(p.field == "date" for p in said.problems)
    assert desk.proposals.open_ones() == []
