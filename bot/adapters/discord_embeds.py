"""Briefing -> Discord message payloads (embeds), within every Discord limit.

A pure renderer: it returns the JSON Discord's Create Message (or an interaction
response) takes, one dict per message, and imports nothing from discord.py. Long output
is split across messages on item boundaries (a countdown, an event), never mid-item.

>>> from briefings.document import Briefing
>>> from datetime import date
>>> payloads = message_payloads(Briefing("status", "Status", date(2020, 3, 5), "UTC", True, "x"))
>>> payloads[0]["embeds"][0]["title"], payloads[0]["allowed_mentions"]
('Status (replay)', {'parse': []})
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from bot.commands import Reply
from bot.delivery import Attachment
from briefings.document import Briefing, CountdownView, EventView, OutcomeView, Section, SourceRef
from briefings.render.plain import mark_for

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits)
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBEDS_PER_MESSAGE = 10
EMBED_TOTAL_MAX = 6000
CONTENT_MAX = 2000

NO_MENTIONS: dict[str, list[str]] = {"parse": []}

COLOURS = {
    "upcoming": 0x3B82F6,
    "today": 0xF59E0B,
    "passed": 0x6B7280,
    "met": 0x16A34A,
    "late": 0xEAB308,
    "missed": 0xDC2626,
    "superseded": 0x8B5CF6,
    "pending": 0x0EA5E9,
    "info": 0x2563EB,
    "error": 0xDC2626,
}

Embed = dict[str, Any]
Payload = dict[str, Any]

_MARKDOWN = re.compile(r"([\\*_~`|>\[\]])")
_LINE_START = re.compile(r"^(\s*)(#{1,3} |-# |- )", re.MULTILINE)


def escape(text: str) -> str:
    """Curated text shown literally: Discord markdown characters lose their meaning.

    >>> escape("a *bold* claim")
    'a \\\\*bold\\\\* claim'
    """
    return _LINE_START.sub(r"\1\\\2", _MARKDOWN.sub(r"\\\1", text))


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary with an ellipsis.

    >>> clip("one two three", 9)
    'one two…'
    """
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    # Never end on a lone backslash: it would escape the ellipsis.
    return cut.rstrip("\\ ") + "…"


def _unix(day: date, zone: str) -> int:
    # Noon in the briefing's zone: every reader from UTC-11 to UTC+11 sees the same day.
    return int(datetime.combine(day, time(12), ZoneInfo(zone)).timestamp())


def day_text(day: date, briefing: Briefing, *, relative: str | None = None) -> str:
    """A date: Discord timestamps (each reader's zone and language) live, plain in replay."""
    if briefing.replay:
        return day.isoformat() + (f" ({relative})" if relative else "")
    stamp = _unix(day, briefing.timezone)
    return f"<t:{stamp}:D>" + (f" (<t:{stamp}:R>)" if relative else "")


def _source_link(ref: SourceRef) -> str:
    label = escape(ref.label)
    return f"[{label}]({ref.url})" if ref.url and ref.url.startswith("http") else label


def sources_line(refs: Iterable[SourceRef]) -> str:
    return "Sources: " + ", ".join(_source_link(r) for r in refs)


def links_line(refs: Iterable[SourceRef]) -> str | None:
    """The sources that have a web address, as links (the footer names them all)."""
    linked = [_source_link(r) for r in refs if r.url and r.url.startswith("http")]
    return "Read: " + ", ".join(linked) if linked else None


def footer(refs: Iterable[SourceRef], limit: int = FOOTER_MAX // 2) -> dict[str, str] | None:
    """The embed's footer naming its sources; kept short so the embed fits one message."""
    labels = list(dict.fromkeys(r.label for r in refs))
    return {"text": clip("Sources: " + "; ".join(labels), limit)} if labels else None


def embed_size(embed: Embed) -> int:
    """Characters Discord counts towards the 6,000 per message."""
    size = len(embed.get("title", "")) + len(embed.get("description", ""))
    size += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", ()))
    size += len(embed.get("footer", {}).get("text", ""))
    size += len(embed.get("author", {}).get("name", ""))
    return size


def _outcome_line(update: OutcomeView, briefing: Briefing) -> str:
    return f"**{update.status.upper()}** ({day_text(update.date, briefing)}): {escape(update.note)}"


def _colour(view: CountdownView) -> int:
    if view.outcome is not None:
        return COLOURS.get(view.outcome.status, COLOURS[view.state])
    return COLOURS[view.state]


def countdown_embed(view: CountdownView, briefing: Briefing) -> Embed:
    """One deadline: due date, days until or since, outcome, basis, quote, sources."""
    relative = view.phrase if briefing.replay else "relative"
    due = day_text(view.due, briefing, relative=relative)
    lines = [f"Due {due} · {view.state}"]
    updates = view.history or ((view.outcome,) if view.outcome else ())
    lines += [_outcome_line(u, briefing) for u in updates]
    if not updates and view.state == "passed":
        lines.append("Passed; no outcome on the record yet.")
    if view.basis:
        lines.append(f"Basis: {escape(view.basis)}")
    if view.quote:
        lines.append("> " + escape(view.quote.strip('“”"')))
    refs = list(view.all_sources)
    if links := links_line(refs):
        lines.append(links)
    embed: Embed = {
        "title": clip(f"{mark_for(view)} {view.title}", TITLE_MAX),
        "description": clip("\n".join(lines), DESCRIPTION_MAX),
        "color": _colour(view),
    }
    if note := footer(refs):
        embed["footer"] = note
    return embed


def event_field(view: EventView, briefing: Briefing) -> dict[str, Any]:
    when = view.date_label if briefing.replay or view.precision != "day" else None
    name = f"{when or day_text(view.date, briefing)} · {view.title}"
    parts = [escape(view.summary)] if view.summary else []
    parts.append(sources_line(view.sources) if view.sources else f"`{view.id}`")
    value = "\n".join(parts)
    if len(value) > FIELD_VALUE_MAX:
        value = (
            clip(escape(view.summary or ""), FIELD_VALUE_MAX - 300) + "\n" + clip(parts[-1], 299)
        )
    # Field names show no markdown, so the title stays unescaped there.
    return {"name": clip(name, FIELD_NAME_MAX), "value": clip(value, FIELD_VALUE_MAX)}


def event_embed(view: EventView, briefing: Briefing) -> Embed:
    """One event in full (the `event` briefing): summary, quote and sources."""
    when = view.date_label if briefing.replay or view.precision != "day" else None
    lines = [when or day_text(view.date, briefing)]
    if view.summary:
        lines.append(escape(view.summary))
    if view.quote:
        lines.append("> " + escape(view.quote))
    if view.tags:
        lines.append("Tags: " + ", ".join(escape(t) for t in view.tags))
    if links := links_line(view.sources):
        lines.append(links)
    lines.append(f"id: `{view.id}`")
    embed: Embed = {
        "title": clip(view.title, TITLE_MAX),
        "description": clip("\n".join(lines), DESCRIPTION_MAX),
        "color": COLOURS["info"],
    }
    if note := footer(view.sources):
        embed["footer"] = note
    return embed


def _field_embeds(
    heading: str, fields: list[dict[str, Any]], refs: list[SourceRef]
) -> Iterator[Embed]:
    """Fields in embeds of at most 25, each embed small enough to travel alone."""
    # Room is left for a title, a short footer and an author line (see briefing_embeds).
    budget = EMBED_TOTAL_MAX - FOOTER_MAX // 4 - 2 * TITLE_MAX
    chunk: list[dict[str, Any]] = []
    size = 0
    first = True

    def flush() -> Embed:
        title = heading if first else f"{heading} (continued)"
        embed: Embed = {"title": clip(title, TITLE_MAX), "color": COLOURS["info"], "fields": chunk}
        if note := footer(refs, FOOTER_MAX // 4):
            embed["footer"] = note
        return embed

    for field in fields:
        grow = len(field["name"]) + len(field["value"])
        if chunk and (len(chunk) == FIELDS_MAX or size + grow > budget):
            yield flush()
            chunk, size, first = [], 0, False
        chunk.append(field)
        size += grow
    if chunk:
        yield flush()


def _text_embeds(title: str | None, text: str, colour: int) -> Iterator[Embed]:
    """A long text as one or more embeds, split on line boundaries."""
    for index, part in enumerate(pagify(text, DESCRIPTION_MAX)):
        embed: Embed = {"description": part, "color": colour}
        if title and index == 0:
            embed["title"] = clip(title, TITLE_MAX)
        yield embed


def pagify(text: str, limit: int) -> Iterator[str]:
    """Pieces of at most `limit` characters, split at line ends, else at spaces.

    >>> list(pagify("aa\\nbb\\ncc", 5))
    ['aa\\nbb', 'cc']
    """
    rest = text.strip()
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        yield rest[:cut].rstrip()
        rest = rest[cut:].lstrip()
    if rest:
        yield rest


def _section_embeds(section: Section, briefing: Briefing, *, lead: Embed | None) -> Iterator[Embed]:
    embed: Embed = lead if lead is not None else {"title": clip(section.heading, TITLE_MAX)}
    embed.setdefault("color", COLOURS["info"])
    parts = list(pagify(escape(section.text), DESCRIPTION_MAX)) if section.text else []
    facts: list[dict[str, Any]] = [
        {
            "name": clip(label, FIELD_NAME_MAX),
            "value": clip(escape(value), FIELD_VALUE_MAX) or "—",
            "inline": True,
        }
        for label, value in section.facts
    ]
    if parts:
        embed["description"] = parts[0]
    if facts and len(facts) <= FIELDS_MAX:
        embed["fields"] = facts
        if embed_size(embed) > EMBED_TOTAL_MAX:
            del embed["fields"]
    if lead is not None or parts or "fields" in embed:
        yield embed
    yield from ({"description": p, "color": COLOURS["info"]} for p in parts[1:])
    if facts and "fields" not in embed:
        yield from _field_embeds(section.heading, facts, [])
    for view in section.countdowns:
        yield countdown_embed(view, briefing)
    full = [e for e in section.events if e.summary or e.quote]
    if len(section.events) == 1 and full:
        yield event_embed(section.events[0], briefing)
    elif section.events:
        fields = [event_field(e, briefing) for e in section.events]
        refs = [r for e in section.events for r in e.sources]
        yield from _field_embeds(section.heading, fields, refs)
    if not (section.text or section.facts or section.countdowns or section.events):
        yield {
            "title": clip(section.heading, TITLE_MAX),
            "description": "None on the record.",
            "color": COLOURS["passed"],
        }


def briefing_embeds(briefing: Briefing) -> list[Embed]:
    """Every embed of a briefing, in order, each within the per-embed limits."""
    title = briefing.title + (" (replay)" if briefing.replay else "")
    if briefing.dossier_title and briefing.dossier_title not in title:
        title = f"{briefing.dossier_title} · {title}"
    lead: Embed | None = {"title": clip(title, TITLE_MAX), "color": COLOURS["info"]}
    embeds: list[Embed] = []
    for section in briefing.sections:
        embeds.extend(_section_embeds(section, briefing, lead=lead))
        lead = None
    if lead is not None:
        embeds.append(lead)
    notes = briefing.shown_notes()
    if notes:
        embeds.extend(_text_embeds(None, "\n".join(escape(n) for n in notes), COLOURS["passed"]))
    first = embeds[0]
    bare = set(first) == {"title", "color"}
    if (
        bare
        and len(embeds) > 1
        and "author" not in embeds[1]
        and embed_size(embeds[1]) + len(first["title"]) <= EMBED_TOTAL_MAX
    ):
        # A bare title would stand alone above the first item: it heads that item instead.
        embeds[1] = {"author": {"name": first["title"]}, **embeds[1]}
        del embeds[0]
    return embeds


def pack(embeds: Iterable[Embed], *, content: str | None = None) -> list[Payload]:
    """Embeds into messages: at most 10 embeds and 6,000 characters each, order kept."""
    messages: list[Payload] = []
    current: list[Embed] = []
    size = 0
    for embed in embeds:
        grow = embed_size(embed)
        if current and (len(current) == EMBEDS_PER_MESSAGE or size + grow > EMBED_TOTAL_MAX):
            messages.append(_message(current))
            current, size = [], 0
        current.append(embed)
        size += grow
    if current or not messages:
        messages.append(_message(current))
    if content:
        messages[0]["content"] = clip(content, CONTENT_MAX)
    return messages


def _message(embeds: list[Embed]) -> Payload:
    return {"embeds": embeds, "allowed_mentions": dict(NO_MENTIONS)}


def message_payloads(briefing: Briefing) -> list[Payload]:
    """The Discord messages for one briefing, exactly as posted (the CLI prints these)."""
    return pack(briefing_embeds(briefing))


def text_payloads(text: str, *, error: bool = False, usage: str | None = None) -> list[Payload]:
    """A text reply (help, a confirmation, an error with its usage) as embeds."""
    colour = COLOURS["error"] if error else COLOURS["info"]
    embeds = list(_text_embeds(None, text, colour))
    if usage and embeds:
        last = embeds[-1]
        last["fields"] = [{"name": "Usage", "value": clip(f"`{usage}`", FIELD_VALUE_MAX)}]
        if embed_size(last) > EMBED_TOTAL_MAX:
            del last["fields"]
    return pack(embeds)


def reply_payloads(reply: Reply) -> list[Payload]:
    """A dispatcher Reply as Discord messages: its briefing, else its text."""
    if reply.briefing is not None:
        return message_payloads(reply.briefing)
    return text_payloads(reply.text or "Done.", error=reply.error, usage=reply.usage)


def attach_file(payload: Payload, attachment: Attachment) -> Payload:
    """The first message of a reply with a file: a picture shows inside its first embed."""
    embeds = [dict(e) for e in payload.get("embeds", [])]
    if attachment.mime_type.startswith("image/") and embeds:
        embeds[0]["image"] = {"url": f"attachment://{attachment.filename}"}
    return {**payload, "embeds": embeds}
