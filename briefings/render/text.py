"""Briefing -> a rich renderable for terminals (colour by role and deadline state)."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text

from briefings.document import Briefing
from briefings.render.plain import STATE_MARKS, lines

_STATE_STYLE = {"upcoming": "bold yellow", "today": "bold red", "passed": "green"}
_ROLE_STYLE = {
    "title": "bold underline",
    "heading": "bold cyan",
    "text": "",
    "event": "bold",
    "detail": "",
    "source": "dim",
    "note": "italic",
}


def render_rich(briefing: Briefing) -> Group:
    rendered: list[Text] = []
    for line in lines(briefing):
        if line.role == "countdown":
            state = line.state or "upcoming"
            text = Text(f"{STATE_MARKS[state]} ", style=_STATE_STYLE[state])
            text.append(line.text, style="bold")
        elif line.role == "heading":
            text = Text("\n" + line.text, style=_ROLE_STYLE["heading"])
        else:
            indent = "    " if line.role in ("detail", "source") else ""
            text = Text(indent + line.text, style=_ROLE_STYLE[line.role])
        rendered.append(text)
    return Group(*rendered)
