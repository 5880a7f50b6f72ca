"""Curation forms as Slack modals, and their submissions back as field values.

>>> from bot.forms import form_for
>>> view = modal(form_for("event", None, "accord-2020"), channel="C1")
>>> view["callback_id"], view["blocks"][0]["block_id"], len(view["title"]["text"]) <= 24
('accord_curate', 'date', True)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from bot.forms import Form, parse_metadata
from briefings.changes import FieldProblem

CALLBACK_ID = "accord_curate"
ACTION_ID = "value"
TITLE_MAX = 24  # Slack's limit for a modal's title
LABEL_MAX = 2000
HINT_MAX = 2000
VALUE_MAX = 3000  # plain_text_input max_length
ERROR_MAX = 250


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit] or " "}


def modal(form: Form, *, channel: str) -> dict[str, Any]:
    """A modal view for the form; what it changes rides in private_metadata."""
    blocks = []
    for field in form.fields:
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": ACTION_ID,
            "multiline": field.multiline,
            "max_length": VALUE_MAX,
        }
        if field.value:
            element["initial_value"] = field.value[:VALUE_MAX]
        block: dict[str, Any] = {
            "type": "input",
            "block_id": field.name,
            "optional": not field.required,
            "label": _plain(field.label, LABEL_MAX),
            "element": element,
        }
        if field.hint:
            block["hint"] = _plain(field.hint, HINT_MAX)
        blocks.append(block)
    metadata = {**json.loads(form.metadata()), "c": channel}
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": _plain(form.title, TITLE_MAX),
        "submit": _plain("Save", TITLE_MAX),
        "close": _plain("Cancel", TITLE_MAX),
        "private_metadata": json.dumps(metadata, separators=(",", ":")),
        "blocks": blocks,
    }


def submitted(view: Mapping[str, Any]) -> tuple[dict[str, str | None], dict[str, str]]:
    """(metadata, values by field name) from a view_submission's view."""
    metadata = parse_metadata(str(view.get("private_metadata") or ""))
    values: dict[str, str] = {}
    state = (view.get("state") or {}).get("values") or {}
    for block_id, actions in state.items():
        if isinstance(actions, dict) and isinstance(actions.get(ACTION_ID), dict):
            values[str(block_id)] = str(actions[ACTION_ID].get("value") or "")
    return metadata, values


def field_errors(problems: Iterable[FieldProblem], view: Mapping[str, Any]) -> dict[str, str]:
    """`response_action: errors` messages by block id; a problem with no field of its own
    in the form goes on the first field, naming what it is about."""
    blocks = [str(b.get("block_id")) for b in view.get("blocks") or [] if b.get("block_id")]
    errors: dict[str, str] = {}
    for problem in problems:
        if problem.field in blocks:
            block, text = problem.field, problem.message
        else:
            block, text = (blocks[0] if blocks else "date"), f"{problem.field}: {problem.message}"
        joined = f"{errors[block]}; {text}" if block in errors else text
        errors[block] = joined[:ERROR_MAX]
    return errors
