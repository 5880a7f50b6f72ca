"""`/accord curate ...` and `/accord history ID` for every platform.

The text form (`curate event date:2020-09-12 title:"Talks open" sources:crs-in11502`)
applies at once; without fields, a form opens (the adapter shows it as a Slack or Discord
modal) and its submit comes back through `submit`. Rights are checked on both.

    >>> parse_curate('curate correct x title:“New title” reason:"a typo"').fields
    {'title': 'New title'}
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.forms import Form, form_for, submitted_fields
from bot.history import history_lines
from briefings.changes import Change as EngineChange
from briefings.changes import ChangeRejected, Curator, FieldProblem
from briefings.proposals import Origin
from briefings.records import Item, dossier_slugs, item_key, record
from briefings.revisions import Author

if TYPE_CHECKING:
    from bot.review import ReviewDesk

ACTIONS = ("event", "outcome", "source", "correct")
USAGE = {
    "curate": "/accord curate event|source [key:value ...]  |  /accord curate outcome "
    "<deadline> [key:value ...]  |  /accord curate correct <id> [key:value ...] "
    'reason:"..."',
    "history": "/accord history <event-id or deadline-slug>",
}
EXAMPLES = (
    '/accord curate event date:2020-09-12 title:"Talks open" sources:crs-in11502',
    '/accord curate correct EVENT-ID title:"..." reason:"..."',
)
_WORD = re.compile(
    r"""(?P<key>[A-Za-z_]+):(?:"(?P<dq>[^"]*)"|“(?P<cq>[^”]*)”|‘(?P<sq>[^’]*)’|'(?P<aq>[^']*)'"""
    r"""|(?P<bare>\S*))|(?P<word>\S+)"""
)


class CurateSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class CurateCommand:
    """`curate ACTION [target] key:value...` or `history ID`, as typed."""

    name: str  # curate | history
    action: str | None = None
    target: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    reason: str | None = None
    dossier: str | None = None


def words(text: str) -> list[tuple[str | None, str]]:
    """(key, value) pairs, and (None, word) for plain words; quotes straight or curly.

    >>> words('a title:"two words" b:‘x y’')
    [(None, 'a'), ('title', 'two words'), ('b', 'x y')]
    """
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    found: list[tuple[str | None, str]] = []
    for match in _WORD.finditer(text):
        if match["word"] is not None:
            found.append((None, match["word"]))
            continue
        value = next(
            (match[g] for g in ("dq", "cq", "sq", "aq", "bare") if match[g] is not None), ""
        )
        found.append((match["key"].lower(), " ".join(value.split())))
    return found


def parse_curate(text: str) -> CurateCommand:
    """The words after /accord, for `curate` and `history`."""
    pairs = words(text)
    if pairs and pairs[0] == (None, "/accord"):
        pairs = pairs[1:]
    name = (pairs[0][1] if pairs else "").lower()
    plain = [v for k, v in pairs[1:] if k is None]
    keyed = {k: v for k, v in pairs[1:] if k is not None}
    dossier = keyed.pop("dossier", None)
    if name == "history":
        target = keyed.pop("id", None) or (plain.pop(0) if plain else None)
        if not target or plain or keyed:
            raise CurateSyntaxError("`history` takes one event id or deadline slug.")
        return CurateCommand("history", target=target, dossier=dossier)
    if not plain:
        raise CurateSyntaxError("Curate what? One of: " + ", ".join(ACTIONS) + ".")
    action = plain.pop(0).lower()
    if action not in ACTIONS:
        raise CurateSyntaxError(f"{action!r} is not something to curate: {', '.join(ACTIONS)}.")
    target = None
    if action in ("outcome", "correct"):
        target = keyed.pop("deadline" if action == "outcome" else "id", None) or (
            plain.pop(0) if plain else None
        )
        if not target:
            what = "a deadline slug" if action == "outcome" else "an event id or deadline slug"
            raise CurateSyntaxError(f"`curate {action}` needs {what}.")
    if plain:
        raise CurateSyntaxError(
            f"`curate {action}` does not take {' '.join(plain)!r}; write fields as key:value "
            'with quotes around spaces, e.g. title:"Talks open".'
        )
    reason = keyed.pop("reason", None)
    return CurateCommand("curate", action, target, keyed, reason, dossier)


@dataclass(frozen=True)
class Outcome:
    """What the desk answers: a text, a form to open, or problems by field (form kept)."""

    text: str | None = None
    form: Form | None = None
    problems: tuple[FieldProblem, ...] = ()
    public: bool = False
    error: bool = False
    curated: bool = False  # the text carries curated values: escape it on every platform


def rejected(err: ChangeRejected, heading: str) -> Outcome:
    """A change the rules refused: each problem on its own line, and by field (for forms)."""
    listed = "\n".join(f"• {p.field}: {p.message}" for p in err.problems)
    return Outcome(f"{heading}\n{listed}", problems=tuple(err.problems), error=True, curated=True)


REFUSAL = {
    "discord": "members with Manage Server or a curator role",
    "slack": "workspace admins and owners and the curators listed in the bot's settings",
}


class CurationDesk:
    """Curation for every platform: rights, forms, the text form and history."""

    def __init__(
        self,
        curator: Curator,
        dossier_for: Callable[[str | None], str],
        review: ReviewDesk | None = None,
    ) -> None:
        self.curator = curator
        self.dossier_for = dossier_for
        # Under ACCORD_REVIEW=required every change becomes a proposal there.
        self.review = review
        # Told when a change goes live (the alerts watcher looks at once).
        self.on_live: Callable[[], None] = lambda: None

    def refusal(self, platform: str) -> Outcome:
        who = REFUSAL.get(platform, "curators")
        return Outcome(f"Only {who} can change the record; nothing was changed.", error=True)

    def handle(
        self,
        command: CurateCommand,
        *,
        platform: str,
        author: Author,
        can_curate: bool,
        origin: Origin | None = None,
    ) -> Outcome:
        dossier = self.dossier_for(command.dossier)
        known = dossier_slugs(self.curator.store.db)
        if dossier not in known:
            listed = ", ".join(known) or "none"
            return Outcome(f"No dossier {dossier!r}; the dossiers are: {listed}.", error=True)
        if command.name == "history":
            return self.history(dossier, command.target or "")
        if not can_curate:
            return self.refusal(platform)
        assert command.action is not None
        if not command.fields:
            return self.open_form(command.action, command.target, dossier, command.reason)
        change = EngineChange(
            command.action, dossier, author, command.fields, command.target, command.reason
        )
        return self._apply(change, origin or Origin(platform, "", ""))

    def open_form(
        self, action: str, target: str | None, dossier: str, reason: str | None = None
    ) -> Outcome:
        if action == "outcome":
            live = self.curator.live(dossier)
            if live is None or target not in {d.slug for d in live.deadlines}:
                known = ", ".join(d.slug for d in live.deadlines) if live else ""
                return Outcome(f"No deadline {target!r}; deadlines: {known}.", error=True)
        if action != "correct":
            return Outcome(form=form_for(action, target, dossier))
        found = self._item(dossier, target or "")
        if found is None:
            return Outcome(f"Nothing in {dossier} has the id {target!r}.", error=True)
        kind, current = found
        form = form_for("correct", target, dossier, kind=kind, current=current)
        return Outcome(form=form.filled({"reason": reason}) if reason else form)

    def _item(self, dossier: str, item_id: str) -> tuple[str, dict[str, object]] | None:
        live = self.curator.live(dossier)
        if live is None:
            return None
        items: tuple[Item, ...] = (*live.events, *live.deadlines, *live.sources)
        for item in items:
            kind, key = item_key(item)
            if key == item_id:
                current = record(item)
                current.pop("outcome", None)
                return kind, current
        return None

    def submit(
        self,
        metadata: Mapping[str, str | None],
        values: Mapping[str, str],
        *,
        platform: str,
        author: Author,
        can_curate: bool,
        origin: Origin | None = None,
    ) -> Outcome:
        """A form came back: rights again, then the change for the dossier the form names."""
        if not can_curate:
            return self.refusal(platform)
        action, dossier, target = metadata.get("a"), metadata.get("d"), metadata.get("t")
        if action not in ACTIONS or not dossier:
            return Outcome("This form is not one of ours; nothing was changed.", error=True)
        form = self.open_form(action, target, dossier).form
        if form is None:
            return Outcome(f"{target!r} is no longer in {dossier}; nothing was changed.")
        fields = submitted_fields(form, values)
        change = EngineChange(action, dossier, author, fields, target, values.get("reason"))
        return self._apply(change, origin or Origin(platform, "", ""))

    def _apply(self, change: EngineChange, origin: Origin) -> Outcome:
        if self.review is not None:
            return self.review.propose(change, origin)
        try:
            done = self.curator.apply(change)
        except ChangeRejected as err:
            return rejected(err, "Nothing was changed:")
        self.on_live()
        return Outcome(f"{done.summary} in {change.dossier}.", curated=True)

    def history(self, dossier: str, item: str) -> Outcome:
        lines = history_lines(self.curator.store, dossier, item)
        if not lines:
            return Outcome(f"No revisions of {item!r} in {dossier}.", error=True, curated=True)
        return Outcome("\n".join([f"History of {item} ({dossier}):", *lines]), curated=True)
