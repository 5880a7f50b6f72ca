"""Briefing -> the JSON document of the interface (`--format json`)."""

from __future__ import annotations

import json
from typing import Any

from briefings.document import Briefing, CountdownView, EventView, OutcomeView, SourceRef


def source_dict(ref: SourceRef) -> dict[str, Any]:
    return {
        "id": ref.id,
        "title": ref.title,
        "publisher": ref.publisher,
        "url": ref.url,
        "published": ref.published.isoformat() if ref.published else None,
    }


def outcome_dict(outcome: OutcomeView) -> dict[str, Any]:
    return {
        "status": outcome.status,
        "date": outcome.date.isoformat(),
        "note": outcome.note,
        "sources": [source_dict(s) for s in outcome.sources],
    }


def countdown_dict(view: CountdownView) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": view.slug,
        "title": view.title,
        "due": view.due.isoformat(),
        "days_until": view.days_until,
        "state": view.state,
        "outcome": outcome_dict(view.outcome) if view.outcome else None,
        "basis": view.basis,
        "sources": [source_dict(s) for s in view.sources],
    }
    if view.history:
        data["history"] = [outcome_dict(u) for u in view.history]
    if view.quote:
        data["quote"] = view.quote
    return data


def event_dict(view: EventView) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": view.id,
        "date": view.date.isoformat(),
        "title": view.title,
        "sources": [source_dict(s) for s in view.sources],
    }
    if view.precision != "day":
        data["precision"] = view.precision
    if view.summary:
        data["summary"] = view.summary
    if view.quote:
        data["quote"] = view.quote
    if view.tags:
        data["tags"] = list(view.tags)
    return data


def to_dict(briefing: Briefing) -> dict[str, Any]:
    """The interface's keys (kind, as_of, timezone, title, countdowns, events), and more."""
    return {
        "kind": briefing.kind,
        "as_of": briefing.as_of.isoformat(),
        "timezone": briefing.timezone,
        "replay": briefing.replay,
        "dossier": {"slug": briefing.dossier, "title": briefing.dossier_title},
        "title": briefing.title,
        "countdowns": [countdown_dict(c) for c in briefing.countdowns],
        "events": [event_dict(e) for e in briefing.events],
        "sections": [
            {
                "heading": s.heading,
                "text": s.text,
                "facts": [{"label": label, "value": value} for label, value in s.facts],
                "countdowns": [c.slug for c in s.countdowns],
                "events": [e.id for e in s.events],
            }
            for s in briefing.sections
        ],
        "notes": list(briefing.shown_notes("chat")),
        "sources": [source_dict(s) for s in briefing.sources],
    }


def render_json(briefing: Briefing) -> str:
    return json.dumps(to_dict(briefing), ensure_ascii=False, indent=2)
