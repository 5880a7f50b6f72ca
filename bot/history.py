"""Revisions in words: `/accord history ID` and `accord-bot store log`.

>>> from datetime import datetime, UTC
>>> from briefings.revisions import Author, ItemChange, Revision
>>> r = Revision(3, datetime(2020, 9, 12, 8, 0, tzinfo=UTC), Author("slack", "U1", "Ana"),
...     "typo", "accord-2020", ItemChange("event", "x", {"title": "Old"}, {"title": "New"}))
>>> print("\\n".join(revision_lines(r)))
#3 2020-09-12 08:00 UTC, Ana (U1) on slack: changed event x (why: typo)
  title: Old → New
"""

from __future__ import annotations

import json
from typing import Any

from briefings.revisions import Revision, history, log
from briefings.store import Store

MAX_VALUE = 120
MAX_LISTED = 10


def _value(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        text = ", ".join(value) or "(none)"
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def revision_lines(revision: Revision, *, fields: bool = True) -> list[str]:
    """One heading line (number, when, who, what, why), then field: before → after."""
    when = revision.at.strftime("%Y-%m-%d %H:%M UTC")
    change = revision.change
    why = f" (why: {revision.reason})" if revision.reason else ""
    who = revision.author.label
    if revision.approver is not None:
        who += f", approved by {revision.approver.label}"
    lines = [f"#{revision.revision} {when}, {who}: {change.verb} {change.kind} {change.item}{why}"]
    if fields and change.verb == "changed":
        lines += [
            f"  {name}: {_value(old)} → {_value(new)}"
            for name, old, new in revision.changed_fields()
        ]
    return lines


def history_lines(store: Store, dossier: str, item: str) -> list[str]:
    """Every revision of one item, oldest first."""
    return [line for r in history(store.db, dossier, item) for line in revision_lines(r)]


def log_lines(store: Store, *, dossier: str | None = None, limit: int = 20) -> list[str]:
    """The newest revisions, one line each; the items are listed when there are few."""
    grouped: dict[int, list[Revision]] = {}
    for row in log(store.db, dossier=dossier, limit=limit):
        grouped.setdefault(row.revision, []).append(row)
    lines: list[str] = []
    for number, rows in grouped.items():
        first = rows[0]
        when = first.at.strftime("%Y-%m-%d %H:%M UTC")
        why = f" (why: {first.reason})" if first.reason else ""
        if len(rows) == 1:
            lines.append(f"{first.dossier}: " + revision_lines(first, fields=False)[0])
            continue
        counts: dict[str, int] = {}
        for row in rows:
            key = f"{row.change.verb} {row.change.kind}"
            counts[key] = counts.get(key, 0) + 1
        what = ", ".join(f"{key} ×{n}" if n > 1 else key for key, n in counts.items())
        dossiers = ", ".join(dict.fromkeys(r.dossier for r in rows))
        lines.append(f"{dossiers}: #{number} {when}, {first.author.label}: {what}{why}")
        if len(rows) <= MAX_LISTED:
            lines += [f"  {r.change.verb} {r.change.kind} {r.item}" for r in rows]
    return lines
