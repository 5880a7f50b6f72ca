"""Briefing -> Slack Block Kit message payloads (pure: no network, no slack_sdk import).

`message_payloads(briefing)` returns the messages exactly as posted: each a dict with a
plain `text` fallback and `blocks`. Every curated string is escaped for mrkdwn, so a
title like "<!channel>" shows as text and never notifies anyone; sources become
`<url|label>` links only for http(s) URLs. Long briefings are split across messages
on item boundaries, within Slack's limits.

>>> from datetime import date
>>> from briefings.document import Briefing
>>> payload = message_payloads(Briefing("status", "A & B", date(2020, 3, 5), "UTC", False, "d"))
>>> payload[0]["blocks"][0]["text"]["text"]
'A & B'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from briefings.document import Briefing, CountdownView, EventView, OutcomeView, SourceRef
from briefings.render.plain import mark_for

MAX_BLOCKS = 50
SECTION_TEXT = 3000
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
CONTEXT_TEXT = 3000
# A slash command's response_url takes at most 5 messages; keep every answer within that.
MAX_MESSAGES = 5
FALLBACK_TEXT = 3000

Block = dict[str, Any]
Payload = dict[str, Any]

_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,4}$")
_SAFE_URL = re.compile(r"^https?://[^\s<>|]+$", re.IGNORECASE)


def escape(text: str) -> str:
    """Escape the three characters that mrkdwn treats as markup.

    >>> escape("<!channel> & <@U123>")
    '&lt;!channel&gt; &amp; &lt;@U123&gt;'
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Shorten already-escaped text to `limit` characters without cutting an entity.

    >>> clip("a &amp; b", 4)
    'a …'
    """
    if len(text) <= limit:
        return text
    cut = _PARTIAL_ENTITY.sub("", text[: limit - 1])
    return cut + "…"


def link(ref: SourceRef) -> str:
    """A source as a mrkdwn link when its URL is http(s), else its escaped label.

    >>> link(SourceRef("a", "T", "P & Q", "https://example.org/?a=1&b=2"))
    '<https://example.org/?a=1&amp;b=2|P &amp; Q>'
    >>> link(SourceRef("a", "T", None, "javascript:alert(1)"))
    'T'
    """
    label = escape(ref.label)
    if ref.url and _SAFE_URL.match(ref.url):
        return f"<{escape(ref.url)}|{label}>"
    return label


def mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(clip(text, SECTION_TEXT))}


def context(*texts: str) -> Block:
    elements = [mrkdwn(clip(t, CONTEXT_TEXT)) for t in texts if t][:CONTEXT_ELEMENTS]
    return {"type": "context", "elements": elements}


def header(text: str) -> Block:
    plain = text if len(text) <= HEADER_TEXT else text[: HEADER_TEXT - 1] + "…"
    return {"type": "header", "text": {"type": "plain_text", "text": plain, "emoji": False}}


DIVIDER: Block = {"type": "divider"}


def sources_text(item_id: str, refs: tuple[SourceRef, ...]) -> str:
    """`[id] sources: <url|label> · label`, within one context element's limit."""
    text = f"`{escape(item_id)}`  sources: "
    if not refs:
        return text + "none on the record yet"
    shown = 0
    for ref in refs:
        piece = ("" if shown == 0 else " · ") + link(ref)
        rest = len(refs) - shown - 1
        reserve = len(f" · and {rest} more") if rest else 0
        if len(text) + len(piece) + reserve > CONTEXT_TEXT:
            break
        text += piece
        shown += 1
    if shown < len(refs):
        text += f" · and {len(refs) - shown} more"
    return text


@dataclass
class Unit:
    """Blocks that must stay in one message (an item and its sources), and their fallback."""

    blocks: list[Block]
    plain: str
    item: str | None = None  # "event" or "countdown" when the unit is one listed item


@dataclass
class _Message:
    blocks: list[Block] = field(default_factory=list)
    plain: list[str] = field(default_factory=list)


def _outcome_line(update: OutcomeView) -> str:
    return f"*{escape(update.status.upper())}* ({update.date}): {escape(update.note)}"


def countdown_unit(view: CountdownView) -> Unit:
    mark = mark_for(view)
    lines = [f"{mark} *{escape(view.title)}* — due {view.due} ({escape(view.phrase)})"]
    if view.basis:
        lines.append(f"_basis:_ {escape(view.basis)}")
    if view.history:
        lines += [_outcome_line(u) for u in view.history]
    elif view.outcome:
        lines.append(_outcome_line(view.outcome))
    elif view.state == "passed":
        lines.append("passed; no outcome on the record yet")
    if view.quote:
        lines.append(f"> {escape(view.quote)}")
    plain = f"{view.title} — due {view.due} ({view.phrase})"
    blocks = [section("\n".join(lines)), context(sources_text(view.slug, view.all_sources))]
    return Unit(blocks, plain, "countdown")


def event_unit(view: EventView) -> Unit:
    lines = [f"*{view.date_label}*  {escape(view.title)}"]
    if view.summary:
        lines.append(escape(view.summary))
    if view.quote:
        lines.append(f"> {escape(view.quote)}")
    blocks = [section("\n".join(lines)), context(sources_text(view.id, view.sources))]
    return Unit(blocks, f"{view.date_label}  {view.title}", "event")


def _paragraphs(text: str) -> Iterator[str]:
    """Escaped text in section-sized pieces, split on word boundaries."""
    rest = escape(text)
    while len(rest) > SECTION_TEXT:
        cut = rest.rfind(" ", 0, SECTION_TEXT - 1)
        cut = cut if cut > SECTION_TEXT // 2 else SECTION_TEXT - 1
        piece = _PARTIAL_ENTITY.sub("", rest[:cut])
        yield piece
        rest = rest[len(piece) :].lstrip()
    if rest:
        yield rest


def units(briefing: Briefing) -> Iterator[Unit]:
    """The briefing as a flat sequence of units, in reading order."""
    for number, sec in enumerate(briefing.sections):
        heading = [DIVIDER] if number else []
        heading.append(section(f"*{escape(sec.heading)}*"))
        yield Unit(heading, sec.heading)
        for paragraph in _paragraphs(sec.text or ""):
            yield Unit([section(paragraph)], "")
        if sec.facts:
            facts = "\n".join(f"*{escape(label)}:* {escape(value)}" for label, value in sec.facts)
            yield Unit([section(facts)], "; ".join(f"{k}: {v}" for k, v in sec.facts))
        for countdown in sec.countdowns:
            yield countdown_unit(countdown)
        for event in sec.events:
            yield event_unit(event)
        if not (sec.text or sec.facts or sec.countdowns or sec.events):
            yield Unit([context("none")], "none")


def _title(briefing: Briefing) -> str:
    return briefing.title + (" (replay)" if briefing.replay else "")


def _intro(briefing: Briefing) -> Block:
    replay = " · replay" if briefing.replay else ""
    return context(
        f"As of {briefing.as_of.isoformat()} ({escape(briefing.timezone)}){replay}"
        f" · dossier {escape(briefing.dossier_title or briefing.dossier)}"
        f" (`{escape(briefing.dossier)}`)"
    )


def _more_note(briefing: Briefing, left: list[Unit]) -> str:
    events = sum(1 for u in left if u.item == "event")
    countdowns = sum(1 for u in left if u.item == "countdown")
    parts = []
    if events:
        parts.append(f"{events:,} more event{'s' if events != 1 else ''}")
    if countdowns:
        parts.append(f"{countdowns:,} more deadline{'s' if countdowns != 1 else ''}")
    what = " and ".join(parts) or "more"
    how = []
    if events:
        how.append("`/accord timeline` (page by page, e.g. `/accord timeline page:2`)")
    if countdowns:
        how.append("`/accord countdown`")
    return f"…and {what} not shown here. See them with {' or '.join(how) or '`/accord help`'}."


def message_payloads(briefing: Briefing, *, max_messages: int = MAX_MESSAGES) -> list[Payload]:
    """The briefing as one or more Slack messages (at most `max_messages`)."""
    title = _title(briefing)
    notes = [context(escape(n)) for n in briefing.shown_notes()]
    # Room kept in every message: one block for a "continued" line, one for a closing note.
    room = MAX_BLOCKS - 2
    messages = [_Message([header(title), _intro(briefing)], [title])]
    pending = list(units(briefing))
    while pending:
        unit = pending[0]
        current = messages[-1]
        if len(current.blocks) + len(unit.blocks) <= room:
            current.blocks += unit.blocks
            current.plain.append(unit.plain)
            pending.pop(0)
            continue
        if len(messages) == max_messages:
            break
        messages.append(_Message([context(f"_{escape(title)}, continued_")], [title]))
    last = messages[-1]
    if pending:
        last.blocks.append(context(_more_note(briefing, pending)))
        last.plain.append(_more_note(briefing, pending).replace("`", ""))
    for note in notes:
        if len(last.blocks) >= MAX_BLOCKS:
            break
        last.blocks.append(note)
    last.plain += list(briefing.shown_notes())
    return [_payload(m, i, len(messages)) for i, m in enumerate(messages)]


def _payload(message: _Message, index: int, count: int) -> Payload:
    part = f" ({index + 1}/{count})" if count > 1 else ""
    first, *rest = [p for p in message.plain if p]
    text = escape("\n".join([first + part, *rest]))
    return {"text": clip(text, FALLBACK_TEXT), "blocks": message.blocks}


def text_payload(text: str) -> Payload:
    """A short answer (help, an error, a confirmation) as one message, escaped."""
    escaped = escape(text)
    blocks = [section(p) for p in _paragraphs(text)][:MAX_BLOCKS]
    return {"text": clip(escaped, FALLBACK_TEXT), "blocks": blocks}


def reply_text(text: str, usage: str | None = None) -> str:
    return text if not usage else f"{text}\nUsage: {usage}"


def flatten(payloads: Iterable[Payload]) -> list[Block]:
    """Every block of several payloads, in order."""
    return [block for payload in payloads for block in payload["blocks"]]
