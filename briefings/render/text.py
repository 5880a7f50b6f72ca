"""Briefing -> terminal text: rich styling by role and deadline state, or the same words
unstyled (for pipes and files, without importing rich at all)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from briefings.document import Briefing
from briefings.render.plain import STATE_MARKS, lines

if TYPE_CHECKING:
    from rich.console import Group

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

Piece = tuple[str, str]  # (text, rich style)


def terminal_lines(briefing: Briefing) -> Iterator[tuple[Piece, ...]]:
    """Each terminal line as styled pieces; the words are the same styled or not."""
    for line in lines(briefing):
        if line.role == "countdown":
            state = line.state or "upcoming"
            yield (f"{line.mark or STATE_MARKS[state]} ", _STATE_STYLE[state]), (line.text, "bold")
        elif line.role == "heading":
            yield (("\n" + line.text, _ROLE_STYLE["heading"]),)
        else:
            indent = "    " if line.role in ("detail", "source") else ""
            yield ((indent + line.text, _ROLE_STYLE[line.role]),)


def render_terminal_plain(briefing: Briefing) -> str:
    """What `render_rich` prints to a pipe or file (no styles, no wrapping)."""
    return "\n".join("".join(text for text, _ in pieces) for pieces in terminal_lines(briefing))


def render_rich(briefing: Briefing) -> Group:
    from rich.console import Group
    from rich.text import Text

    rendered: list[Text] = []
    for pieces in terminal_lines(briefing):
        (first, style), *rest = pieces
        text = Text(first, style=style)
        for more, more_style in rest:
            text.append(more, style=more_style)
        rendered.append(text)
    return Group(*rendered)
