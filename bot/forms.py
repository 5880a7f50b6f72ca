"""Curation forms, described once for every platform: which fields each change asks for,
in which order, filled with what. Slack shows every field; a Discord modal holds five,
so each form lists its fields most needed first and Discord takes the first five (the
rest are set with the text form or a later correction).

    >>> form = form_for("event", None, "accord-2020")
    >>> [f.name for f in form.fields][:5]
    ['date', 'title', 'summary', 'sources', 'tags']
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

DISCORD_MAX_FIELDS = 5
REASON = "reason"


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    hint: str = ""
    required: bool = False
    multiline: bool = False
    value: str = ""


def _f(name: str, label: str, hint: str = "", **kw: Any) -> FormField:
    return FormField(name, label, hint, **kw)


DATE = _f("date", "Date", "YYYY-MM-DD", required=True)
# Required by the rules, not by the form: a new source may be given below instead.
SOURCES = _f("sources", "Sources", "source ids, comma-separated (or a new source's URL)")
EVENT = (
    DATE,
    _f("title", "Title", "what happened, in one line", required=True),
    _f("summary", "Summary", "a sentence or two", multiline=True),
    SOURCES,
    _f("tags", "Tags", "words, comma-separated"),
    _f("precision", "Precision", "day or month (default day)"),
    _f("quote", "Quote", "the sentence it rests on, verbatim", multiline=True),
    _f("id", "Id", "leave empty: made from date and title"),
    *(
        NEW_SOURCE := (
            _f("source_url", "New source: URL", "instead of a source id: https://..."),
            _f("source_publisher", "New source: publisher"),
            _f("source_published", "New source: published", "YYYY-MM-DD"),
        )
    ),
)
OUTCOME = (
    DATE,
    _f("status", "Status", "met, late, missed, superseded or pending", required=True),
    _f("note", "Note", "one sentence", required=True, multiline=True),
    SOURCES,
    *NEW_SOURCE,
)
SOURCE = (
    _f("id", "Id", "short, e.g. reuters-2020-09-12", required=True),
    _f("title", "Title", "the article's headline", required=True),
    _f("publisher", "Publisher"),
    _f("published", "Published", "YYYY-MM-DD"),
    _f("url", "URL", "https://..."),
    _f("author", "Author"),
)
DEADLINE = (
    _f("title", "Title", required=True),
    _f("due", "Due", "YYYY-MM-DD", required=True),
    _f("summary", "Summary", multiline=True),
    SOURCES,
    _f("basis", "Basis", "why it is due then"),
    _f("quote", "Quote", multiline=True),
)
REASON_FIELD = _f(REASON, "Reason", "why this correction", required=True, multiline=True)
FIELDS = {"event": EVENT, "outcome": OUTCOME, "source": SOURCE, "deadline": DEADLINE}
TITLES = {
    "event": "Record an event",
    "outcome": "Record an outcome",
    "source": "Add a source",
    "correct": "Correct",
}


@dataclass(frozen=True)
class Form:
    """A form to open: what it changes (action, target, dossier) and its fields."""

    action: str
    dossier: str
    title: str
    fields: tuple[FormField, ...]
    target: str | None = None
    kind: str | None = None  # for corrections: the kind of item corrected

    def metadata(self) -> str:
        """What the form changes, carried through the platform and back on submit."""
        return json.dumps(
            {"a": self.action, "d": self.dossier, "t": self.target, "k": self.kind},
            separators=(",", ":"),
        )

    def limited(self, count: int) -> Form:
        """At most `count` fields (Discord's modal): the first ones, the reason kept."""
        if len(self.fields) <= count and not any(f.name.startswith("source_") for f in self.fields):
            return self
        reason = [f for f in self.fields if f.name == REASON]
        # A new source takes three inputs together: on a short form, only in the text form.
        kept = [f for f in self.fields if f.name != REASON and not f.name.startswith("source_")]
        rest = kept[: count - len(reason)]
        return replace(self, fields=(*rest, *reason))

    def filled(self, values: Mapping[str, str]) -> Form:
        """The same form with these values typed in."""
        return replace(
            self,
            fields=tuple(replace(f, value=values.get(f.name, f.value)) for f in self.fields),
        )


def parse_metadata(text: str) -> dict[str, str | None]:
    """A form's metadata back from the platform ({} when it is not ours)."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError):
        return {}
    if not isinstance(data, dict) or "a" not in data or "d" not in data:
        return {}
    return {k: (str(v) if v is not None else None) for k, v in data.items()}


def form_for(
    action: str,
    target: str | None,
    dossier: str,
    *,
    kind: str | None = None,
    current: Mapping[str, Any] | None = None,
) -> Form:
    """The form for a change; a correction's is the item's own, filled in, plus a reason."""
    if action == "correct":
        fields = tuple(
            f
            for f in FIELDS[kind or "event"]
            if f.name != "id" and not f.name.startswith("source_")
        )
        values = {k: _text(v) for k, v in (current or {}).items()}
        form = Form(
            action,
            dossier,
            f"Correct {target}"[:45],
            (*fields, REASON_FIELD),
            target,
            kind,
        )
        return form.filled(values)
    title = TITLES[action] + (f": {target}" if target else "")
    return Form(action, dossier, title[:45], FIELDS[action], target)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return "" if value is None else str(value)


def submitted_fields(form: Form, values: Mapping[str, str]) -> dict[str, str]:
    """The fields a submit changes: typed ones for a new item; for a correction, only
    those that differ from the values the form was filled with (a cleared one included)."""
    if form.action != "correct":
        return {k: v.strip() for k, v in values.items() if v and v.strip()}
    shown = {f.name: f.value for f in form.fields}
    return {
        k: v.strip()
        for k, v in values.items()
        if k != REASON and k in shown and v.strip() != shown[k].strip()
    }
