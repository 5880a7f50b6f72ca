"""The /accord grammar shared by every platform, and the dispatcher behind it.

Slack's command text, the console's lines and Discord's typed options all become the
same `Command`; `Dispatcher.dispatch` turns a Command into a `Reply`: a briefing to show
in the channel, a confirmation, or a private error that says what was wrong and how to
write it. Nothing here imports a chat platform.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.delivery import Attachment
from briefings.catalogue import overview
from briefings.clock import Clock, InputError, parse_day, parse_zone
from briefings.compose import Composer
from briefings.document import Briefing
from briefings.store import Store

MAX_PAGE = 100_000
log = logging.getLogger("accord.commands")

USAGE: dict[str, str] = {
    "status": "/accord status",
    "countdown": "/accord countdown [deadline]",
    "timeline": "/accord timeline [from YYYY-MM-DD] [to YYYY-MM-DD] [page:N]",
    "event": "/accord event <id>",
    "digest": "/accord digest",
    "subscribe": "/accord subscribe digest [HH:MM] [Area/City] [chart]"
    "  |  /accord subscribe reminders [30,7,1,0] [passed]",
    "unsubscribe": "/accord unsubscribe [digest|reminders|all]",
    "subscriptions": "/accord subscriptions",
    "dossiers": "/accord dossiers",
    "follow": "/accord follow <dossier>",
    "chart": "/accord chart [from YYYY-MM-DD] [to YYYY-MM-DD]",
    "calendar": "/accord calendar [events]",
    "help": "/accord help",
}
SUBCOMMANDS = tuple(USAGE)
DESCRIPTIONS: dict[str, str] = {
    "status": "The accord in one screen: terms, every deadline's countdown, latest events",
    "countdown": "Every deadline (or one): due date, days until or since, outcome",
    "timeline": "The dated events in order, each with its sources",
    "event": "One event in full, with its sources",
    "digest": "Preview the daily digest this channel would get today",
    "subscribe": "Post the daily digest or countdown reminders to this channel",
    "unsubscribe": "Stop the digest, the reminders, or both in this channel",
    "subscriptions": "What this channel is subscribed to, with next run times",
    "dossiers": "Every dossier: signing date, deadlines to come, which one this channel follows",
    "follow": "Brief this channel on another dossier from now on",
    "chart": "The timeline as a picture: events, due dates, what became of each deadline",
    "calendar": "An iCalendar file of the deadlines, to import into any calendar",
    "help": "The commands, with examples",
}
SUB_KINDS = ("digest", "reminders")
MANAGING = ("subscribe", "unsubscribe", "follow")
BRIEFING_KINDS = ("status", "countdown", "timeline", "event", "digest")


class CommandError(InputError):
    """A command that cannot run: `message` says why, `usage` shows the right form."""

    def __init__(self, message: str, usage: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage


@dataclass(frozen=True)
class Command:
    name: str
    deadline: str | None = None
    event_id: str | None = None
    start: date | None = None
    end: date | None = None
    page: int = 1
    sub_kind: str | None = None
    at: time | None = None
    zone: str | None = None
    offsets: tuple[int, ...] | None = None
    include_passed: bool = False
    with_chart: bool = False
    with_events: bool = False
    dossier: str | None = None


@dataclass(frozen=True)
class Caller:
    """Who asked, and where: enough to answer and to check permission."""

    platform: str
    workspace: str
    channel: str
    user: str
    can_manage: bool = False
    in_dm: bool = False


@dataclass(frozen=True)
class Reply:
    """What the adapter shows: a briefing, or text; in the channel or only to the caller."""

    briefing: Briefing | None = None
    text: str | None = None
    public: bool = True
    error: bool = False
    usage: str | None = None
    attachment: Attachment | None = None

    @classmethod
    def failure(cls, message: str, usage: str | None = None) -> Reply:
        return cls(text=message, public=False, error=True, usage=usage)

    @property
    def plain_text(self) -> str:
        """The reply as one plain string (errors carry their usage line)."""
        parts = [self.text or (self.briefing.title if self.briefing else "")]
        if self.usage:
            parts.append(f"Usage: {self.usage}")
        return "\n".join(p for p in parts if p)


# -- parsing -----------------------------------------------------------------------------

_KEYED = re.compile(r"^(?P<key>[a-z_]+)[:=](?P<value>.+)$", re.IGNORECASE)
_TIME = re.compile(r"^(?P<h>\d{1,2}):(?P<m>\d{2})$")
_OPTION_KEYS = {
    "deadline",
    "id",
    "from",
    "to",
    "page",
    "time",
    "zone",
    "offsets",
    "kind",
    "dossier",
}


def parse_time(text: str) -> time:
    """HH:MM on a 24-hour clock.

    >>> parse_time("08:30")
    datetime.time(8, 30)
    """
    match = _TIME.match(text.strip())
    hour, minute = (int(match["h"]), int(match["m"])) if match else (-1, -1)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise CommandError(
            f"{text!r} is not a time of day; use HH:MM on a 24-hour clock, e.g. 08:00",
            USAGE["subscribe"],
        )
    return time(hour, minute)


def parse_offsets(text: str) -> tuple[int, ...]:
    """Days before each deadline, e.g. "30,7,1,0".

    >>> parse_offsets("7, 1,0")
    (7, 1, 0)
    """
    parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
    try:
        offsets = tuple(sorted({int(p) for p in parts}, reverse=True))
    except ValueError:
        offsets = ()
    if not offsets or any(not 0 <= o <= 366 for o in offsets):
        raise CommandError(
            f"{text!r} is not a list of reminder days; use whole numbers from 0 to 366 "
            "separated by commas, e.g. 30,7,1,0",
            USAGE["subscribe"],
        )
    return offsets


def _day(text: str, usage: str) -> date:
    try:
        return parse_day(text)
    except InputError as err:
        raise CommandError(str(err), usage) from None


def _zone(text: str, usage: str) -> str:
    try:
        return parse_zone(text).key
    except InputError as err:
        raise CommandError(str(err), usage) from None


def _page(text: str) -> int:
    # isdigit() alone admits "²" and other digits int() refuses.
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_PAGE:
        raise CommandError(
            f"{_shown(text)!r} is not a page number; use 1, 2, 3…", USAGE["timeline"]
        )
    return int(text)


def _clean(text: str) -> str:
    # Slack escapes &, < and > in command text; a stray mention or link must not confuse us.
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())


def _shown(word: str) -> str:
    return word if len(word) <= 40 else word[:37] + "…"


def parse_text(text: str) -> Command:
    """Parse the words after /accord (Slack's text, a console line).

    >>> parse_text("countdown some-deadline dossier:some-2020").deadline
    'some-deadline'
    >>> parse_text("timeline from:2020-03-01 2020-03-31").end
    datetime.date(2020, 3, 31)
    """
    words = _clean(text).split(" ")
    words = [w for w in words if w]
    if words and words[0].lower() in ("/accord", "accord"):
        words = words[1:]
    if not words:
        return Command("help")
    name = words[0].lower()
    if name not in USAGE:
        raise CommandError(
            f"Unknown subcommand {_shown(words[0])!r}. Valid subcommands: "
            f"{', '.join(SUBCOMMANDS)}. Try /accord help.",
            None,
        )
    options: dict[str, str] = {}
    positional: list[str] = []
    for word in words[1:]:
        keyed = _KEYED.match(word)
        if keyed and keyed["key"].lower() in _OPTION_KEYS and not _TIME.match(word):
            options[keyed["key"].lower()] = keyed["value"]
        else:
            positional.append(word)
    return _build(name, options, positional)


def from_options(name: str, options: Mapping[str, object], group: str | None = None) -> Command:
    """Build a Command from typed options (Discord): `subscribe digest time:08:00 ...`."""
    name = name.lower()
    if group is not None:
        # Discord subcommand groups: /accord subscribe digest -> name=subscribe, kind=digest
        name, options = group.lower(), {**options, "kind": name}
    if name not in USAGE:
        raise CommandError(
            f"Unknown subcommand {_shown(name)!r}. Valid subcommands: {', '.join(SUBCOMMANDS)}."
        )
    text_options = {k: str(v) for k, v in options.items() if v is not None and str(v).strip()}
    flags = [
        k
        for k in ("chart", "passed", "events")
        if text_options.pop(k, "").lower() in ("true", "1", "yes")
    ]
    return _build(name, text_options, flags)


def _build(name: str, options: dict[str, str], positional: list[str]) -> Command:
    if name == "follow":
        return _build_one(name, options, positional)
    dossier = options.pop("dossier", None)
    command = _build_one(name, options, positional)
    if dossier is None:
        return command
    if name in ("dossiers", "follow", "subscriptions"):
        raise CommandError(f"`{name}` does not take a dossier.", USAGE[name])
    return replace(command, dossier=dossier.strip().lower())


def _build_one(name: str, options: dict[str, str], positional: list[str]) -> Command:
    usage = USAGE[name]
    words = list(positional)

    def take() -> str | None:
        return words.pop(0) if words else None

    def leftover() -> None:
        if words:
            raise CommandError(f"`{name}` does not take {_shown(' '.join(words))!r}.", usage)

    if name in ("status", "digest", "subscriptions", "help", "dossiers"):
        leftover()
        return Command(name)
    if name == "follow":
        slug = options.get("dossier") or take()
        leftover()
        if not slug:
            raise CommandError("`follow` needs a dossier; see `/accord dossiers`.", usage)
        return Command(name, dossier=slug.lower())
    if name == "countdown":
        deadline = options.get("deadline") or take()
        leftover()
        return Command(name, deadline=deadline)
    if name == "event":
        event_id = options.get("id") or take()
        leftover()
        if not event_id:
            raise CommandError("`event` needs an event id; see `/accord timeline`.", usage)
        return Command(name, event_id=event_id)
    if name in ("timeline", "chart"):
        return _build_range(name, options, words)
    if name == "calendar":
        with_events = "events" in [w.lower() for w in words]
        words[:] = [w for w in words if w.lower() != "events"]
        leftover()
        return Command(name, with_events=with_events)
    if name == "subscribe":
        return _build_subscribe(options, words)
    # unsubscribe
    kind = (options.get("kind") or take() or "all").lower()
    leftover()
    if kind not in (*SUB_KINDS, "all"):
        raise CommandError(f"{_shown(kind)!r} is not something to unsubscribe from.", usage)
    return Command(name, sub_kind=kind)


def _build_range(name: str, options: dict[str, str], words: list[str]) -> Command:
    usage = USAGE[name]
    page_word = options.get("page")
    rest: list[str] = []
    for word in words:
        if word.lower().startswith("page") and word[4:].isdigit():
            page_word = word[4:]
        else:
            rest.append(word)
    start_text = options.get("from") or (rest.pop(0) if rest else None)
    end_text = options.get("to") or (rest.pop(0) if rest else None)
    if rest:
        raise CommandError(f"`{name}` does not take {_shown(' '.join(rest))!r}.", usage)
    start = _day(start_text, usage) if start_text else None
    end = _day(end_text, usage) if end_text else None
    if start and end and start > end:
        raise CommandError(f"`from` ({start}) is after `to` ({end}); swap them.", usage)
    page = _page(page_word) if page_word else 1
    if name == "chart" and page != 1:
        raise CommandError("`chart` has no pages.", usage)
    return Command(name, start=start, end=end, page=page)


def _build_subscribe(options: dict[str, str], words: list[str]) -> Command:
    usage = USAGE["subscribe"]
    kind = (options.get("kind") or (words.pop(0) if words else "")).lower()
    if kind not in SUB_KINDS:
        shown = f"{_shown(kind)!r} is not" if kind else "missing:"
        raise CommandError(f"Subscribe to what? {shown} one of digest, reminders.", usage)
    flags = {w.lower() for w in words if w.lower() in ("chart", "passed")}
    words = [w for w in words if w.lower() not in ("chart", "passed")]
    if kind == "digest":
        at_text = options.get("time")
        zone_text = options.get("zone")
        for word in words:
            if _TIME.match(word) or word[:1].isdigit():
                at_text = at_text or word
            else:
                zone_text = zone_text or word
                if zone_text != word:
                    raise CommandError(f"`subscribe digest` does not take {_shown(word)!r}.", usage)
        if "passed" in flags:
            raise CommandError("`passed` goes with reminders, not the digest.", usage)
        return Command(
            "subscribe",
            sub_kind=kind,
            at=parse_time(at_text) if at_text else None,
            zone=_zone(zone_text, usage) if zone_text else None,
            with_chart="chart" in flags,
        )
    offsets_text = options.get("offsets") or (" ".join(words) if words else None)
    if "chart" in flags:
        raise CommandError("`chart` goes with the digest, not reminders.", usage)
    return Command(
        "subscribe",
        sub_kind=kind,
        offsets=parse_offsets(offsets_text) if offsets_text else None,
        include_passed="passed" in flags,
    )


# -- dispatching -------------------------------------------------------------------------


class SubscriptionDesk(Protocol):
    """Stores and schedules subscriptions (the scheduler implements it)."""

    async def subscribe(self, caller: Caller, command: Command) -> str: ...

    async def unsubscribe(self, caller: Caller, kind: str, dossier: str | None) -> str: ...

    async def describe(self, caller: Caller) -> str: ...

    def zone_for(self, caller: Caller, dossier: str) -> str | None: ...

    def followed(self, caller: Caller) -> str | None: ...

    async def follow(self, caller: Caller, dossier: str) -> None: ...


class ArtifactMaker(Protocol):
    """Makes the chart picture and the calendar file (the chart module implements it)."""

    def chart(
        self, clock: Clock, start: date | None, end: date | None, dossier: str | None
    ) -> Attachment: ...

    def calendar(self, clock: Clock, with_events: bool, dossier: str | None) -> Attachment: ...


def help_text(store: Store, zone: str) -> str:
    """The commands, with examples taken from the dossier `store` briefs on."""
    info = store.info()
    lines = [f"*accord-bot*: sourced briefings on {info.title} (`{info.slug}`). Commands:"]
    lines += [f"• `{USAGE[name]}`: {DESCRIPTIONS[name]}" for name in SUBCOMMANDS]
    lines.append("Examples: " + " · ".join(f"`{e}`" for e in examples(store, zone)))
    return "\n".join(lines)


def examples(store: Store, zone: str) -> list[str]:
    """Example commands that work on this dossier: its own deadline and event ids."""
    found = ["/accord status"]
    slugs = store.deadline_slugs()
    if slugs:
        found.append(f"/accord countdown {slugs[0]}")
    signed = store.info().signed
    month_end = (signed.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    found.append(f"/accord timeline {signed.replace(day=1)} {month_end}")
    ids = store.event_ids(date.max)
    if ids:
        found.append(f"/accord event {ids[0]}")
    found.append(f"/accord subscribe digest 08:00 {zone}")
    found.append("/accord subscribe reminders 30,7,1,0")
    found.append("/accord dossiers")
    return found


def dossiers_text(store: Store, today: date, followed: str) -> str:
    """`/accord dossiers`: each one's slug, title, signing date, deadlines to come."""
    lines = ["Dossiers in this store:"]
    for entry in overview(store, today):
        mark = " ← this channel follows it" if entry.slug == followed else ""
        if entry.next_due is not None:
            to_come = (
                f"{entry.to_come} deadline{'s' if entry.to_come != 1 else ''} to come, "
                f"next `{entry.next_due.slug}` on {entry.next_due.due.isoformat()}"
            )
        else:
            to_come = "no deadline to come"
        lines.append(
            f"• `{entry.slug}`: {entry.title}, signed {entry.signed.isoformat()}; {to_come}{mark}"
        )
    lines.append("Brief on one once with `dossier:SLUG`, or `/accord follow SLUG`.")
    return "\n".join(lines)


@dataclass
class Dispatcher:
    """Command -> Reply for every platform; never raises for anything a user can type."""

    composer: Composer
    clock: Callable[[], Clock]
    desk: SubscriptionDesk | None = None
    artifacts: ArtifactMaker | None = None
    # ACCORD_DOSSIER: the dossier of a channel that follows none (None: the store's own).
    default_dossier: str | None = None

    def dossier_of(self, caller: Caller) -> str:
        """The dossier the caller's channel follows, else the configured default."""
        followed = self.desk.followed(caller) if self.desk is not None else None
        if followed is not None and self.composer.store.has(followed):
            return followed
        store = self.composer.store
        return store.view(self.default_dossier).dossier_slug

    async def handle_text(self, text: str, caller: Caller) -> Reply:
        try:
            command = parse_text(text)
        except CommandError as err:
            return Reply.failure(err.message, err.usage)
        except Exception:
            log.exception("could not parse /accord %r", text[:200])
            return Reply.failure("Something went wrong on our side; it has been logged.")
        return await self.dispatch(command, caller)

    async def dispatch(self, command: Command, caller: Caller) -> Reply:
        try:
            return await self._dispatch(command, caller)
        except CommandError as err:
            return Reply.failure(err.message, err.usage)
        except InputError as err:
            return Reply.failure(str(err), USAGE.get(command.name))
        except Exception:
            # Our fault, not the user's: say so briefly, keep the details for the operator.
            log.exception("/accord %s failed", command.name)
            return Reply.failure("Something went wrong on our side; it has been logged.")

    async def _dispatch(self, command: Command, caller: Caller) -> Reply:
        name = command.name
        clock = self.clock()
        store = self.composer.store
        explicit = command.dossier if name != "follow" else None
        # An unknown slug is refused here, privately, with the dossiers there are.
        dossier = store.view(command.dossier).dossier_slug if command.dossier else None
        dossier = dossier or self.dossier_of(caller)
        command = replace(command, dossier=dossier)
        if name == "help":
            return Reply(text=help_text(store.view(dossier), clock.zone.key), public=False)
        if name == "dossiers":
            return Reply(text=dossiers_text(store, clock.today(), dossier))
        if name == "digest" and self.desk is not None:
            # The preview shows the day the channel's own digest would cover.
            zone = self.desk.zone_for(caller, dossier)
            if zone is not None:
                clock = clock.with_zone(ZoneInfo(zone))
        if name in BRIEFING_KINDS:
            briefing = self.composer.compose(
                name,
                clock,
                deadline=command.deadline,
                event_id=command.event_id,
                start=command.start,
                end=command.end,
                page=command.page,
                dossier=dossier,
            )
            return Reply(briefing=briefing)
        if name in ("chart", "calendar"):
            return await self._artifact(command, clock)
        return await self._subscriptions(command, caller, explicit)

    async def _artifact(self, command: Command, clock: Clock) -> Reply:
        if self.artifacts is None:
            return Reply.failure(f"`{command.name}` is not available on this bot yet.")
        maker = self.artifacts
        if command.name == "chart":
            made = await asyncio.to_thread(
                maker.chart, clock, command.start, command.end, command.dossier
            )
        else:
            made = await asyncio.to_thread(
                maker.calendar, clock, command.with_events, command.dossier
            )
        return Reply(text=made.title, attachment=made)

    async def _subscriptions(
        self, command: Command, caller: Caller, explicit: str | None = None
    ) -> Reply:
        if caller.in_dm:
            return Reply.failure("Subscriptions work in server channels only, not in DMs.")
        if command.name in MANAGING and not caller.can_manage:
            who = {
                "discord": "members with Manage Server or Manage Channels",
                "slack": "workspace admins and owners (or users listed in the bot's settings)",
            }.get(caller.platform, "people who manage this channel")
            return Reply.failure(
                f"Only {who} can change what this channel receives; nothing was changed."
            )
        if self.desk is None:
            return Reply.failure("Subscriptions are not available yet on this bot.")
        if command.name == "follow":
            slug = command.dossier or ""
            await self.desk.follow(caller, slug)
            title = self.composer.store.view(slug).info().title
            return Reply(text=f"This channel now follows {title} (`{slug}`).")
        if command.name == "subscribe":
            text = await self.desk.subscribe(caller, command)
        elif command.name == "unsubscribe":
            text = await self.desk.unsubscribe(caller, command.sub_kind or "all", explicit)
        else:
            text = await self.desk.describe(caller)
        return Reply(text=text)
