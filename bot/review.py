"""Two-person review (ACCORD_REVIEW=required): a curator's change becomes a numbered
proposal, posted to the review channel of the platform it came from; another curator
approves it (it goes live as a revision naming both) or rejects it with a reason.

The desk is the same for every platform: the adapters give it clicks and modal submits
as `approve` and `reject`, and show its proposals on their `Board` (a message with
Approve and Reject buttons, updated once decided). Proposals live in the store, so they
survive restarts; a board that is not running when a decision is made is simply not
updated.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from bot.curating import REFUSAL, Outcome, rejected
from bot.tasks import watched
from briefings.changes import BaseChanged, Change, ChangeRejected, Curator, Expected
from briefings.proposals import Draft, Origin, Proposal, Proposals
from briefings.revisions import Author, ItemChange

log = logging.getLogger("accord.review")

MAX_VALUE = 300
MAX_LISTED = 20
WHAT = {
    "event": "record the event",
    "source": "add the source",
    "outcome": "record an outcome of",
    "correct": "correct",
}


class Board(Protocol):
    """Where a platform shows proposals: the review channel, with buttons."""

    platform: str

    async def post_proposal(self, proposal: Proposal) -> tuple[str, str] | None:
        """Post the review message; (channel, message id) or None when it could not."""
        ...

    async def show_decision(self, proposal: Proposal) -> None:
        """Update the review message to say who decided and when."""
        ...


class _Decided(Exception):
    """The proposal was decided by someone else while this approval was being applied."""


def _value(value: Any) -> str:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        text = ", ".join(value) or "(none)"
    elif value is None or value == "":
        text = "(none)"
    else:
        text = str(value)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _outcome_line(update: dict[str, Any]) -> str:
    sources = ", ".join(update.get("sources") or [])
    return f"{update.get('date')} {update.get('status')}: {update.get('note')} ({sources})"


def change_lines(change: ItemChange) -> list[str]:
    """The change in words: each field of a new item, else each field before → after.

    >>> change_lines(ItemChange("event", "x", {"title": "Old"}, {"title": "New"}))
    ['title: Old → New']
    """
    before, after = change.before or {}, change.after or {}
    if change.before is None:
        return [f"{k}: {_value(v)}" for k, v in after.items()]
    lines = []
    for key in dict.fromkeys([*before, *after]):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if key == "outcome" and isinstance(old, list) and isinstance(new, list):
            lines += [f"new outcome: {_outcome_line(u)}" for u in new if u not in old]
            continue
        lines.append(f"{key}: {_value(old)} → {_value(new)}")
    return lines


def heading(proposal: Proposal) -> str:
    draft = proposal.draft
    what = WHAT.get(draft.action, draft.action)
    return (
        f"Proposal #{proposal.number} by {draft.author.label}: {what} {draft.kind} "
        f"{draft.item} in {draft.dossier}"
    )


def decision_line(proposal: Proposal) -> str:
    """Who decided and when, e.g. `Approved by Bo (U2) on slack, 2020-09-12 08:00 UTC`."""
    if proposal.is_open:
        return "Waiting for another curator."
    who = proposal.decider.label if proposal.decider else "someone"
    when = f"{proposal.decided_at:%Y-%m-%d %H:%M} UTC" if proposal.decided_at else ""
    if proposal.status == "approved":
        return f"Approved by {who}, {when}: live as revision {proposal.revision}."
    if proposal.status == "rejected":
        return f"Rejected by {who}, {when}: {proposal.decision_reason}"
    return f"Not applied ({who} tried, {when}): {proposal.decision_reason}"


def proposal_lines(proposal: Proposal) -> list[str]:
    """The whole proposal in words, as every board and `review` shows it."""
    draft = proposal.draft
    change = ItemChange(draft.kind, draft.item, draft.before, draft.after)
    lines = [heading(proposal), *(f"• {line}" for line in change_lines(change))]
    if draft.reason:
        lines.append(f"Why: {draft.reason}")
    return lines


def refusal_text(platform: str) -> str:
    """Why someone who is not a curator cannot decide proposals."""
    who = REFUSAL.get(platform, "curators")
    return f"Only {who} can review changes; nothing was decided."


class ReviewDesk:
    """Proposals: made from curated changes, decided by a second curator."""

    def __init__(self, curator: Curator, proposals: Proposals) -> None:
        self.curator = curator
        self.proposals = proposals
        self.boards: dict[str, Board] = {}
        # Told when a change goes live (the alerts watcher looks at once).
        self.on_live: Callable[[], None] = lambda: None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- proposing -----------------------------------------------------------------------

    def propose(self, change: Change, origin: Origin) -> Outcome:
        """Check the change by every rule, then keep it as an open proposal."""
        try:
            preview = self.curator.preview(change)
        except ChangeRejected as err:
            return rejected(err, "Nothing was proposed:")
        fields = dict(change.fields)
        if change.action == "event":
            fields["id"] = preview.item  # the id it was reviewed under, not a new one later
        item_change = preview.change
        draft = Draft(
            action=change.action,
            dossier=change.dossier,
            author=change.author,
            fields=fields,
            target=change.target,
            reason=change.reason,
            kind=item_change.kind,
            item=item_change.item,
            before=item_change.before,
            after=item_change.after,
            origin=origin,
        )
        proposal = self.proposals.create(draft)
        self._show(proposal, new=True)
        return Outcome(
            f"{draft.kind} {draft.item} proposed as #{proposal.number} in {draft.dossier}: "
            "another curator approves or rejects it.",
            curated=True,
        )

    # -- deciding ------------------------------------------------------------------------

    def refusal(self, number: int, who: Author, *, can_curate: bool) -> Outcome | None:
        """Why `who` cannot decide proposal `number` now, or None when they may."""
        return self._decidable(number, who, can_curate)[1]

    def _decidable(
        self, number: int, who: Author, can_curate: bool
    ) -> tuple[Proposal | None, Outcome | None]:
        if not can_curate:
            return None, Outcome(refusal_text(who.platform), error=True)
        proposal = self.proposals.get(number)
        if proposal is None:
            return None, Outcome(f"There is no proposal #{number}.", error=True)
        if not proposal.is_open:
            return None, Outcome(
                f"Proposal #{number} is already decided. {decision_line(proposal)}",
                error=True,
                curated=True,
            )
        return proposal, None

    def approve(
        self, number: int, approver: Author, *, can_curate: bool, show: bool = True
    ) -> Outcome:
        """Apply the proposal as a revision naming proposer and approver; never the
        proposer's own, never over a newer version of the item."""
        proposal, refused = self._decidable(number, approver, can_curate)
        if proposal is None:
            assert refused is not None
            return refused
        draft = proposal.draft
        if (draft.author.platform, draft.author.user_id) == (approver.platform, approver.user_id):
            return Outcome(f"You proposed #{number}; another curator must approve it.", error=True)
        change = Change(
            draft.action, draft.dossier, draft.author, draft.fields, draft.target, draft.reason
        )

        def mark(revision: int) -> None:
            if not self.proposals.decide(number, "approved", approver, revision=revision):
                raise _Decided

        try:
            applied = self.curator.apply(
                change,
                expect=Expected(draft.kind, draft.item, draft.before),
                approver=approver,
                within=mark,
            )
        except _Decided:
            return self._decidable(number, approver, can_curate)[1] or Outcome(
                f"Proposal #{number} was decided meanwhile.", error=True
            )
        except BaseChanged as err:
            why = f"{err.problems[0].message}; propose it again against the current version"
            if self.proposals.decide(number, "stale", approver, reason=why) and show:
                self._show_number(number)
            return Outcome(f"Proposal #{number} was not applied: {why}.", error=True, curated=True)
        except ChangeRejected as err:
            return rejected(
                err, f"Proposal #{number} cannot be applied as it stands (it stays open):"
            )
        if show:
            self._show_number(number)
        self.on_live()
        return Outcome(f"Approved #{number}: {applied.summary} in {draft.dossier}.", curated=True)

    def reject(
        self,
        number: int,
        decider: Author,
        reason: str | None,
        *,
        can_curate: bool,
        show: bool = True,
    ) -> Outcome:
        """Close the proposal unapplied, keeping the reason (which it needs)."""
        proposal, refused = self._decidable(number, decider, can_curate)
        if proposal is None:
            assert refused is not None
            return refused
        why = " ".join((reason or "").split())
        if not why:
            return Outcome('A rejection needs a reason: reason:"...".', error=True)
        if not self.proposals.decide(number, "rejected", decider, reason=why):
            return self._decidable(number, decider, can_curate)[1] or Outcome(
                f"Proposal #{number} was decided meanwhile.", error=True
            )
        if show:
            self._show_number(number)
        return Outcome(f"Rejected #{number}: {why}", curated=True)

    def listing(self, dossier: str | None = None) -> Outcome:
        """`review`: the open proposals, oldest first."""
        waiting = self.proposals.open_ones(dossier)
        if not waiting:
            return Outcome("No proposal is waiting for review.")
        lines = [f"{len(waiting)} proposal(s) waiting for review:"]
        for proposal in waiting[:MAX_LISTED]:
            lines += proposal_lines(proposal)
        if len(waiting) > MAX_LISTED:
            lines.append(f"… and {len(waiting) - MAX_LISTED} more.")
        lines.append('Decide with `review approve N` or `review reject N reason:"..."`.')
        return Outcome("\n".join(lines), curated=True)

    # -- the boards ----------------------------------------------------------------------

    def _show_number(self, number: int) -> None:
        proposal = self.proposals.get(number)
        if proposal is not None:
            self._show(proposal, new=False)

    def _show(self, proposal: Proposal, *, new: bool) -> None:
        board = self.boards.get(proposal.draft.origin.platform)
        if board is None:
            return
        self._later(self._post(board, proposal) if new else board.show_decision(proposal))

    async def _post(self, board: Board, proposal: Proposal) -> None:
        where = await board.post_proposal(proposal)
        if where is not None:
            self.proposals.posted_at(proposal.number, board.platform, *where)

    def _later(self, work: Coroutine[Any, Any, None]) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no running loop (a script): nothing to show it on
            work.close()
            return
        task = watched(loop.create_task(work), "a review message")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settled(self) -> None:
        """Wait for review messages being posted or updated (a stop, tests)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))
