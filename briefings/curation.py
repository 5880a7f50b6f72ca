"""Curated YAML -> Dossier, reporting every problem at once with its file, item and field.

Dates are read as plain strings (the timestamp resolver is removed) so that an impossible
date like 2020-02-30 becomes one named problem instead of an exception for the whole file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta

from briefings.model import (
    OUTCOME_STATUSES,
    Deadline,
    Dossier,
    DossierInfo,
    Event,
    OutcomeUpdate,
    RelativeDue,
    Source,
)
from briefings.yaml_reader import CuratedMapping, read_curated_bytes, read_yaml


@dataclass(frozen=True)
class Problem:
    file: str
    item: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.item}: {self.field}: {self.message}"


class CurationError(Exception):
    """Raised with every problem found in one or more curated files."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


_Mapping = CuratedMapping

_DOSSIER_KEYS = {"slug", "title", "signed", "place", "parties", "summary"}
_SOURCE_KEYS = {"id", "title", "publisher", "author", "published", "url"}
_EVENT_KEYS = {"id", "date", "title", "summary", "quote", "tags", "sources", "precision"}
_DEADLINE_KEYS = {"slug", "title", "due", "basis", "summary", "quote", "sources", "outcome"}
_OUTCOME_KEYS = {"date", "status", "note", "sources"}
_DUE_KEYS = {"after", "days", "months"}
# A relative due date spans at most a century: beyond it a typo, and beyond year 9999.
_MAX_DUE = {"days": 36_600, "months": 1_200}
_TOP_KEYS = {"dossier", "sources", "events", "deadlines"}
# YYYY-MM-DD only: date.fromisoformat alone would also take 2020-W10-4 or 20200305.
_DAY_FORM = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


class _Checker:
    """Collects problems for one file while reading its items."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def problem(self, item: str, field: str, message: str, node: Any = None) -> None:
        line = node.line if isinstance(node, _Mapping) else None
        self.problems.append(Problem(self.file, item, field, message, line))

    def keys(self, item: str, node: _Mapping, allowed: set[str], prefix: str = "") -> None:
        for key in node:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                self.problem(item, f"{prefix}{key}", f"unknown key (known keys: {known})", node)

    def text(
        self, item: str, node: _Mapping, key: str, *, required: bool, label: str = ""
    ) -> str | None:
        value = node.get(key)
        key = label + key
        if value is None:
            if required:
                self.problem(item, key, "missing", node)
            return None
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.problem(item, key, "must be text", node)
            return None
        text = str(value).strip()
        if not text:
            self.problem(item, key, "must not be empty", node)
            return None
        return text

    def day(
        self, item: str, node: _Mapping, key: str, *, required: bool, label: str = ""
    ) -> date | None:
        value = node.get(key)
        key = label + key
        if value is None:
            if required:
                self.problem(item, key, "missing", node)
            return None
        return self.parse_day(item, key, value, node)

    def parse_day(self, item: str, key: str, value: Any, node: _Mapping) -> date | None:
        text = str(value).strip()
        if not _DAY_FORM.fullmatch(text):
            self.problem(item, key, f"{text!r} is not a date in YYYY-MM-DD form", node)
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.problem(item, key, f"{text!r} is not a real calendar date", node)
            return None

    def ids(
        self, item: str, node: _Mapping, key: str, *, required: bool, label: str = ""
    ) -> tuple[str, ...]:
        value = node.get(key)
        key = label + key
        if value is None:
            if required:
                self.problem(item, key, "missing (cite at least one source)", node)
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(item, key, "must be a list of ids", node)
            return ()
        if required and not value:
            self.problem(item, key, "must cite at least one source", node)
        return tuple(v.strip() for v in value)

    def items(self, section: str, raw: Any) -> list[_Mapping]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.problem(section, section, "must be a list")
            return []
        good = []
        for index, entry in enumerate(raw):
            if isinstance(entry, _Mapping):
                good.append(entry)
            else:
                self.problem(f"{section}[{index}]", section, "must be a mapping")
        return good


def load_dossier(path: Path | str) -> Dossier:
    """Read and validate one curated file.

    >>> from briefings.store import shipped_dossier_path
    >>> load_dossier(shipped_dossier_path()).info.signed.year > 1900
    True
    """
    return load_dossiers([path])[0]


def load_dossiers(paths: Iterable[Path | str]) -> list[Dossier]:
    """Validate every file; raise CurationError listing all problems of all files."""
    problems: list[Problem] = []
    dossiers: list[Dossier] = []
    for path in paths:
        data, why = read_curated_bytes(path)
        if data is None:
            problems.append(Problem(str(path), "file", "-", why or "cannot read"))
            continue
        dossier, found = parse_dossier(data, str(path))
        problems.extend(found)
        if dossier is not None:
            dossiers.append(dossier)
    if problems:
        raise CurationError(problems)
    return dossiers


def parse_dossier(text: str | bytes, file: str) -> tuple[Dossier | None, list[Problem]]:
    """Parse one file's text; the dossier is None whenever any problem was found."""
    check = _Checker(file)
    read = read_yaml(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    if read.problem is not None:
        return None, [Problem(file, "file", "-", read.problem, read.line)]
    raw = read.value
    if not isinstance(raw, _Mapping):
        return None, [Problem(file, "file", "-", "must be a mapping with a `dossier` key")]
    check.keys("file", raw, _TOP_KEYS)
    info = _read_info(check, raw.get("dossier"))
    source_nodes = check.items("sources", raw.get("sources"))
    event_nodes = check.items("events", raw.get("events"))
    deadline_nodes = check.items("deadlines", raw.get("deadlines"))
    sources = [_read_source(check, node) for node in source_nodes]
    events = [_read_event(check, node) for node in event_nodes]
    deadlines = [_read_deadline(check, node) for node in deadline_nodes]
    # References are checked against every id the file declares, so that an item with a
    # problem of its own (say an empty title) is not also reported as unknown elsewhere.
    _check_references(
        check,
        _declared(source_nodes, "id"),
        _declared(event_nodes, "id"),
        _declared(deadline_nodes, "slug"),
        events,
        deadlines,
    )
    if check.problems or info is None:
        return None, check.problems
    dossier = Dossier(
        info=info,
        sources=tuple(s for s in sources if s is not None),
        events=tuple(e for e in events if e is not None),
        deadlines=tuple(d for d in deadlines if d is not None),
    )
    _check_due_range(check, dossier)
    return (None, check.problems) if check.problems else (dossier, [])


def _check_due_range(check: _Checker, dossier: Dossier) -> None:
    """Every relative due date must land on a real day (not past 9999-12-31)."""
    days = {e.id: e.date for e in dossier.events}
    rules = {d.slug: d.due for d in dossier.deadlines}
    for slug in rules:
        due: date | RelativeDue | None = rules[slug]
        steps, total_days, total_months = 0, 0, 0
        while isinstance(due, RelativeDue) and steps <= len(rules):
            total_days, total_months = total_days + due.days, total_months + due.months
            anchor = days.get(due.after)
            due = anchor if anchor is not None else rules.get(due.after)
            steps += 1
        if not isinstance(due, date):
            continue
        try:
            due + relativedelta(days=total_days, months=total_months)
        except (OverflowError, ValueError):
            check.problem(f"deadline {slug}", "due", "falls after the year 9999")


def _read_info(check: _Checker, node: Any) -> DossierInfo | None:
    if not isinstance(node, _Mapping):
        check.problem("dossier", "dossier", "missing or not a mapping")
        return None
    check.keys("dossier", node, _DOSSIER_KEYS)
    slug = check.text("dossier", node, "slug", required=True)
    title = check.text("dossier", node, "title", required=True)
    signed = check.day("dossier", node, "signed", required=True)
    summary = check.text("dossier", node, "summary", required=False) or ""
    parties = node.get("parties") or []
    if not isinstance(parties, list) or not all(isinstance(p, str) for p in parties):
        check.problem("dossier", "parties", "must be a list of names", node)
        parties = []
    if slug is None or title is None or signed is None:
        return None
    place = check.text("dossier", node, "place", required=False)
    return DossierInfo(slug, title, signed, tuple(parties), summary, place)


def _item_name(section: str, node: _Mapping, key: str) -> str:
    value = node.get(key)
    return f"{section} {value}" if isinstance(value, str) and value else f"{section} (no {key})"


def _read_source(check: _Checker, node: _Mapping) -> Source | None:
    item = _item_name("source", node, "id")
    check.keys(item, node, _SOURCE_KEYS)
    source_id = check.text(item, node, "id", required=True)
    title = check.text(item, node, "title", required=True)
    url = check.text(item, node, "url", required=False)
    if url is not None and not url.startswith(("http://", "https://")):
        check.problem(item, "url", "must start with http:// or https://", node)
    if source_id is None or title is None:
        return None
    return Source(
        id=source_id,
        title=title,
        publisher=check.text(item, node, "publisher", required=False),
        author=check.text(item, node, "author", required=False),
        published=check.day(item, node, "published", required=False),
        url=url,
    )


def _read_event(check: _Checker, node: _Mapping) -> Event | None:
    item = _item_name("event", node, "id")
    check.keys(item, node, _EVENT_KEYS)
    event_id = check.text(item, node, "id", required=True)
    day = check.day(item, node, "date", required=True)
    title = check.text(item, node, "title", required=True)
    sources = check.ids(item, node, "sources", required=True)
    tags = node.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        check.problem(item, "tags", "must be a list of words", node)
        tags = []
    precision = node.get("precision", "day")
    if precision not in ("day", "month"):
        check.problem(item, "precision", "must be `day` or `month`", node)
        precision = "day"
    if event_id is None or day is None or title is None:
        return None
    return Event(
        id=event_id,
        date=day,
        title=title,
        sources=sources,
        summary=check.text(item, node, "summary", required=False),
        quote=check.text(item, node, "quote", required=False),
        tags=tuple(tags),
        precision=precision,
    )


def _read_due(check: _Checker, item: str, node: _Mapping) -> date | RelativeDue | None:
    value = node.get("due")
    if value is None:
        check.problem(item, "due", "missing (a date, or {after: EVENT_ID, days|months: N})", node)
        return None
    if not isinstance(value, _Mapping):
        return check.parse_day(item, "due", value, node)
    check.keys(item, value, _DUE_KEYS, prefix="due.")
    after = value.get("after")
    if not isinstance(after, str) or not after.strip():
        check.problem(item, "due.after", "must name an event id", node)
        return None
    counts: dict[str, int] = {}
    for unit in ("days", "months"):
        count = value.get(unit)
        if count is None:
            continue
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            check.problem(item, f"due.{unit}", "must be a whole number, 0 or more", node)
            return None
        if count > _MAX_DUE[unit]:
            check.problem(item, f"due.{unit}", f"must be at most {_MAX_DUE[unit]:,}", node)
            return None
        counts[unit] = count
    if not counts:
        check.problem(item, "due", "a relative due date needs `days` or `months`", node)
        return None
    return RelativeDue(after=after.strip(), **counts)


def _read_outcome(check: _Checker, item: str, node: _Mapping) -> tuple[OutcomeUpdate, ...]:
    updates: list[OutcomeUpdate] = []
    for index, entry in enumerate(check.items(f"{item} outcome", node.get("outcome"))):
        field = f"outcome[{index}]"
        check.keys(item, entry, _OUTCOME_KEYS, prefix=f"{field}.")
        label = f"{field}."
        day = check.day(item, entry, "date", required=True, label=label)
        status = entry.get("status")
        if status not in OUTCOME_STATUSES:
            allowed = ", ".join(OUTCOME_STATUSES)
            check.problem(item, f"{field}.status", f"must be one of {allowed}", entry)
        note = check.text(item, entry, "note", required=True, label=label)
        sources = check.ids(item, entry, "sources", required=True, label=label)
        if day is not None and note is not None and status in OUTCOME_STATUSES:
            updates.append(OutcomeUpdate(day, status, note, sources))
    dates = [u.date for u in updates]
    if dates != sorted(dates):
        check.problem(item, "outcome", "updates must be listed oldest first", node)
    return tuple(updates)


def _read_deadline(check: _Checker, node: _Mapping) -> Deadline | None:
    item = _item_name("deadline", node, "slug")
    check.keys(item, node, _DEADLINE_KEYS)
    slug = check.text(item, node, "slug", required=True)
    title = check.text(item, node, "title", required=True)
    due = _read_due(check, item, node)
    sources = check.ids(item, node, "sources", required=True)
    outcome = _read_outcome(check, item, node)
    if slug is None or title is None or due is None:
        return None
    return Deadline(
        slug=slug,
        title=title,
        due=due,
        sources=sources,
        basis=check.text(item, node, "basis", required=False),
        summary=check.text(item, node, "summary", required=False),
        quote=check.text(item, node, "quote", required=False),
        outcome=outcome,
    )


def _duplicates(check: _Checker, kind: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for item_id in ids:
        if item_id in seen:
            check.problem(
                f"{kind} {item_id}",
                "id" if kind != "deadline" else "slug",
                "duplicate: used by another " + kind,
            )
        seen.add(item_id)


def _declared(nodes: list[_Mapping], key: str) -> list[str]:
    """The ids that items declare, valid or not."""
    values = (node.get(key) for node in nodes)
    return [
        str(v).strip()
        for v in values
        if isinstance(v, str | int) and not isinstance(v, bool) and str(v).strip()
    ]


def _check_references(
    check: _Checker,
    source_ids: list[str],
    event_ids: list[str],
    deadline_slugs: list[str],
    events: list[Event | None],
    deadlines: list[Deadline | None],
) -> None:
    good_events = [e for e in events if e is not None]
    good_deadlines = [d for d in deadlines if d is not None]
    _duplicates(check, "source", source_ids)
    _duplicates(check, "event", event_ids)
    _duplicates(check, "deadline", deadline_slugs)
    known_sources = set(source_ids)
    anchors = set(event_ids) | set(deadline_slugs)

    def cited(item: str, field: str, ids: tuple[str, ...]) -> None:
        for source_id in ids:
            if source_id not in known_sources:
                check.problem(item, field, f"unknown source {source_id!r}")

    for event in good_events:
        cited(f"event {event.id}", "sources", event.sources)
    for deadline in good_deadlines:
        item = f"deadline {deadline.slug}"
        cited(item, "sources", deadline.sources)
        for index, update in enumerate(deadline.outcome):
            cited(item, f"outcome[{index}].sources", update.sources)
        if isinstance(deadline.due, RelativeDue) and deadline.due.after not in anchors:
            check.problem(item, "due.after", f"unknown event {deadline.due.after!r}")
    _check_cycles(check, good_deadlines, set(event_ids))


def _check_cycles(check: _Checker, deadlines: list[Deadline], event_ids: set[str]) -> None:
    """A relative due date may count from another deadline's slug; such chains must end."""
    after: dict[str, str] = {
        d.slug: d.due.after for d in deadlines if isinstance(d.due, RelativeDue)
    }
    step: Callable[[str], str | None] = after.get
    for slug in after:
        seen = {slug}
        current = step(slug)
        while current is not None and current not in event_ids:
            if current in seen:
                check.problem(f"deadline {slug}", "due.after", "relative due dates form a cycle")
                break
            seen.add(current)
            current = step(current)
