"""The subcommands' handlers, their spec entries, and the dispatcher that runs them.

Each handler is `async (dispatcher, command, caller) -> Reply`; each is registered with
its `Spec` right below it. Nothing here imports a chat platform.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from bot.commands.model import Caller, Command, Reply

if TYPE_CHECKING:
    from bot.curating import CurationDesk

from bot.commands.spec import (
    SPECS,
    Audience,
    CommandError,
    Group,
    Param,
    Registry,
    Spec,
    flag,
    register,
)
from bot.commands.text import from_options, parse_text, shown
from bot.delivery import Attachment
from briefings.catalogue import overview
from briefings.clock import Clock, InputError, parse_day, parse_zone
from briefings.compose import Composer
from briefings.store import Store

MAX_PAGE = 100_000
SUB_KINDS = ("digest", "reminders", "alerts")
APOLOGY = "Something went wrong on our side; it has been logged."
log = logging.getLogger("accord.commands")
_TIME = re.compile(r"^(?P<h>\d{1,2}):(?P<m>\d{2})$")
SUBSCRIBE_USAGE = (
    "/accord subscribe digest [HH:MM] [Area/City] [chart]"
    "  |  /accord subscribe reminders [30,7,1,0] [passed]"
    "  |  /accord subscribe alerts"
)


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


# -- converters --------------------------------------------------------------------------


def parse_time(text: str) -> time:
    """HH:MM on a 24-hour clock.

    >>> parse_time("08:30")
    datetime.time(8, 30)
    """
    match = _TIME.match(text.strip())
    hour, minute = (int(match["h"]), int(match["m"])) if match else (-1, -1)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise CommandError(
            f"{shown(text)!r} is not a time of day; use HH:MM on a 24-hour clock, e.g. 08:00",
            SUBSCRIBE_USAGE,
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
            f"{shown(text)!r} is not a list of reminder days; use whole numbers from 0 to 366 "
            "separated by commas, e.g. 30,7,1,0",
            SUBSCRIBE_USAGE,
        )
    return offsets


def parse_page(text: str) -> int:
    """A page number, 1 to MAX_PAGE; `page2` is accepted as a word.

    >>> parse_page("page3")
    3
    """
    digits = text[4:] if text.lower().startswith("page") else text
    # isdigit() alone admits "²" and other digits int() refuses.
    if not (digits.isascii() and digits.isdigit()) or not 1 <= int(digits) <= MAX_PAGE:
        raise CommandError(
            f"{shown(digits)!r} is not a page number; use 1, 2, 3…", SPECS.usage("timeline")
        )
    return int(digits)


def _zone(text: str) -> str:
    return parse_zone(text).key


def _unsubscribe_kind(text: str) -> str:
    kind = text.lower()
    if kind not in (*SUB_KINDS, "all"):
        raise CommandError(f"{shown(kind)!r} is not something to unsubscribe from.")
    return kind


def _page_word(word: str) -> bool:
    return word.lower().startswith("page") and word[4:].isdigit()


def _not_page_word(word: str) -> bool:
    return not _page_word(word)


def _looks_like_time(word: str) -> bool:
    return bool(_TIME.match(word)) or word[:1].isdigit()


def _range_check(values: Mapping[str, Any], usage: str) -> None:
    start, end = values.get("from"), values.get("to")
    if start and end and start > end:
        raise CommandError(f"`from` ({start}) is after `to` ({end}); swap them.", usage)


def _chart_check(values: Mapping[str, Any], usage: str) -> None:
    _range_check(values, usage)
    if values.get("page") not in (None, 1):
        raise CommandError("`chart` has no pages.", usage)


FROM = Param(
    "from",
    "First day, YYYY-MM-DD",
    convert=parse_day,
    field="start",
    py_name="start",
    accepts=_not_page_word,
)
TO = Param(
    "to",
    "Last day, YYYY-MM-DD",
    convert=parse_day,
    field="end",
    py_name="end",
    accepts=_not_page_word,
)
PAGE = Param(
    "page",
    "Page",
    kind=int,
    convert=parse_page,
    default=1,
    accepts=_page_word,
    minimum=1,
    maximum=MAX_PAGE,
)


# -- handlers ----------------------------------------------------------------------------


async def brief(dispatcher: Dispatcher, command: Command, caller: Caller) -> Reply:
    """A briefing from the composer, in the channel."""
    clock = dispatcher.clock()
    dossier = dispatcher.dossier_for(command, caller)
    if command.name == "digest" and dispatcher.desk is not None:
        # The preview shows the day the channel's own digest would cover.
        zone = dispatcher.desk.zone_for(caller, dossier)
        if zone is not None:
            clock = clock.with_zone(ZoneInfo(zone))
    briefing = dispatcher.composer.compose(
        command.name,
        clock,
        deadline=command.deadline,
        event_id=command.event_id,
        start=command.start,
        end=command.end,
        page=command.page,
        dossier=dossier,
    )
    return Reply(briefing=briefing)


async def show_help(dispatcher: Dispatcher, command: Command, caller: Caller) -> Reply:
    clock = dispatcher.clock()
    store = dispatcher.composer.store.view(dispatcher.dossier_for(command, caller))
    info = store.info()
    events = store.event_ids(clock.today())
    slugs = store.deadline_slugs()
    month = info.signed.replace(day=1)
    end = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    words = {
        "deadline": slugs[0] if slugs else "",
        "event": events[0] if events else "",
        "month_start": month.isoformat(),
        "month_end": end.isoformat(),
        "zone": clock.zone.key,
    }
    name = f"{info.title} (`{info.slug}`)"
    return Reply(text=help_text(dispatcher.registry, name, words), public=False)


async def make_artifact(dispatcher: Dispatcher, command: Command, caller: Caller) -> Reply:
    if dispatcher.artifacts is None:
        return Reply.failure(f"`{command.name}` is not available on this bot yet.")
    maker, clock = dispatcher.artifacts, dispatcher.clock()
    dossier = dispatcher.dossier_for(command, caller)
    if command.name == "chart":
        made = await asyncio.to_thread(maker.chart, clock, command.start, command.end, dossier)
    else:
        made = await asyncio.to_thread(maker.calendar, clock, command.with_events, dossier)
    return Reply(text=made.title, attachment=made)


def _desk(dispatcher: Dispatcher) -> SubscriptionDesk:
    if dispatcher.desk is None:
        raise CommandError("Subscriptions are not available yet on this bot.")
    return dispatcher.desk


async def subscribe(dispatcher: Dispatcher, command: Command, caller: Caller) -> Reply:
    # Without `dossier:`, the channel's own dossier.
    resolved = replace(command, dossier=dispatcher.dossier_for(command, caller))
    return Reply(text=await _desk(dispatcher).subscribe(caller, resolved))


async def unsubscribe(dispatcher: Dispatcher, command: Command, caller: Caller) -> Reply:
    # Without `dossier:`, that kind of every dossier.
    kind = command.sub_kind or "all"
    return Reply(text=await _desk(dispatcher).unsubscribe(caller, kind, command.dossier))


async def list_dossiers(dispatcher: Dispatcher, command: Command, caller: Caller) -> Reply:
    store = dispatcher.composer.store
    today = dispatcher.clock().today()
    return Reply(text=dossiers_text(store, today, dispatcher.dossier_of(caller)))


async def follow(dispatcher: Dispatcher, command: Command, caller: Caller) -> Reply:
    slug = command.dossier or ""
    title = dispatcher.composer.store.view(slug).info().title
    await _desk(dispatcher).follow(caller, slug)
    return Reply(text=f"This channel now follows {title} (`{slug}`).")


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


def _slug(text: str) -> str:
    return text.strip().lower()


DOSSIER = Param(
    "dossier",
    "Another dossier, once (default: the one this channel follows)",
    convert=_slug,
    complete="dossier",
    positional=False,
)


async def describe(dispatcher: Dispatcher, command: Command, caller: Caller) -> Reply:
    return Reply(text=await _desk(dispatcher).describe(caller))


# -- the table ---------------------------------------------------------------------------

register(
    Spec(
        "status",
        "The accord in one screen: terms, every deadline's countdown, latest events",
        "/accord status",
        brief,
        briefing=True,
        params=(DOSSIER,),
        examples=("/accord status",),
    )
)
register(
    Spec(
        "countdown",
        "Every deadline (or one): due date, days until or since, outcome",
        "/accord countdown [deadline]",
        brief,
        briefing=True,
        params=(
            Param("deadline", "One deadline (leave empty for all)", complete="deadline"),
            DOSSIER,
        ),
        examples=("/accord countdown {deadline}",),
    )
)
register(
    Spec(
        "timeline",
        "The dated events in order, each with its sources",
        "/accord timeline [from YYYY-MM-DD] [to YYYY-MM-DD] [page:N]",
        brief,
        briefing=True,
        params=(FROM, TO, PAGE, DOSSIER),
        check=_range_check,
        examples=("/accord timeline {month_start} {month_end}",),
    )
)
register(
    Spec(
        "event",
        "One event in full, with its sources",
        "/accord event <id>",
        brief,
        briefing=True,
        params=(
            Param(
                "id",
                "an event id (see /accord timeline)",
                discord_help="The event's id (start typing to see them)",
                field="event_id",
                py_name="event_id",
                required=True,
                complete="event",
            ),
            DOSSIER,
        ),
        examples=("/accord event {event}",),
    )
)
register(
    Spec(
        "digest",
        "Preview the daily digest this channel would get today",
        "/accord digest",
        brief,
        briefing=True,
        params=(DOSSIER,),
    )
)
register(
    Group(
        "subscribe",
        "Post the daily digest or countdown reminders to this channel",
        SUBSCRIBE_USAGE,
        "Subscribe to what?",
    )
)
register(
    Spec(
        "digest",
        "Post the daily digest to this channel",
        "/accord subscribe digest [HH:MM] [Area/City] [chart]",
        subscribe,
        group="subscribe",
        audience=Audience.MANAGERS,
        channels_only=True,
        params=(
            Param(
                "time",
                "Local time, HH:MM (default 08:00)",
                convert=parse_time,
                field="at",
                accepts=_looks_like_time,
            ),
            Param(
                "zone",
                "Time zone, Area/City (default: the bot's zone)",
                convert=_zone,
                complete="zone",
            ),
            flag("chart", "Attach the timeline picture", "with_chart"),
            DOSSIER,
        ),
        refuse={"passed": "`passed` goes with reminders, not the digest."},
        examples=("/accord subscribe digest 08:00 {zone}",),
    )
)
register(
    Spec(
        "reminders",
        "Post countdown reminders to this channel",
        "/accord subscribe reminders [30,7,1,0] [passed]",
        subscribe,
        group="subscribe",
        audience=Audience.MANAGERS,
        channels_only=True,
        params=(
            Param(
                "offsets",
                "Days before each deadline, e.g. 30,7,1,0",
                convert=parse_offsets,
                rest=True,
            ),
            flag("passed", "Also remind of passed ones", "include_passed"),
            DOSSIER,
        ),
        refuse={"chart": "`chart` goes with the digest, not reminders."},
        examples=("/accord subscribe reminders 30,7,1,0",),
    )
)
register(
    Spec(
        "alerts",
        "Post each new event, outcome and correction to this channel as it goes live",
        "/accord subscribe alerts [dossier:SLUG]",
        subscribe,
        group="subscribe",
        audience=Audience.MANAGERS,
        channels_only=True,
        params=(DOSSIER,),
        refuse={
            "chart": "`chart` goes with the digest, not alerts.",
            "passed": "`passed` goes with reminders, not alerts.",
        },
        examples=("/accord subscribe alerts",),
    )
)
register(
    Spec(
        "unsubscribe",
        "Stop the digest, the reminders, the alerts, or all of them in this channel",
        "/accord unsubscribe [digest|reminders|alerts|all]",
        unsubscribe,
        audience=Audience.MANAGERS,
        channels_only=True,
        params=(
            Param(
                "kind",
                "What to stop (default: all)",
                convert=_unsubscribe_kind,
                choices=(*SUB_KINDS, "all"),
                default="all",
                field="sub_kind",
            ),
            Param(
                "dossier",
                "Of this dossier only (default: of every one)",
                convert=_slug,
                complete="dossier",
                positional=False,
            ),
        ),
    )
)
register(
    Spec(
        "subscriptions",
        "What this channel is subscribed to, with next run times",
        "/accord subscriptions",
        describe,
        channels_only=True,
    )
)
register(
    Spec(
        "chart",
        "The timeline as a picture: events, due dates, what became of each deadline",
        "/accord chart [from YYYY-MM-DD] [to YYYY-MM-DD]",
        make_artifact,
        params=(
            FROM,
            TO,
            Param("page", "Page", kind=int, convert=parse_page, accepts=_page_word, discord=False),
            DOSSIER,
        ),
        check=_chart_check,
        briefing=True,
    )
)
register(
    Spec(
        "calendar",
        "An iCalendar file of the deadlines, to import into any calendar",
        "/accord calendar [events]",
        make_artifact,
        params=(
            flag("events", "Include the dated events, not only the deadlines", "with_events"),
            DOSSIER,
        ),
    )
)
register(
    Spec(
        "dossiers",
        "Every dossier: signing date, deadlines to come, which one this channel follows",
        "/accord dossiers",
        list_dossiers,
        examples=("/accord dossiers",),
    )
)
register(
    Spec(
        "follow",
        "Brief this channel on another dossier from now on",
        "/accord follow <dossier>",
        follow,
        audience=Audience.MANAGERS,
        channels_only=True,
        params=(
            Param(
                "dossier",
                "The dossier this channel follows from now on (see /accord dossiers)",
                convert=_slug,
                complete="dossier",
                required=True,
            ),
        ),
    )
)
register(
    Spec(
        "help",
        "The commands, with examples",
        "/accord help",
        show_help,
        params=(DOSSIER,),
    )
)


def managing(registry: Registry = SPECS, audience: Audience = Audience.MANAGERS) -> tuple[str, ...]:
    """The subcommands only channel managers (or another `audience`) may run."""
    return tuple(dict.fromkeys(s.key for s in registry.specs() if s.audience is audience))


def help_text(
    registry: Registry = SPECS, agreement: str = "a peace agreement", words: Mapping[str, str] = {}
) -> str:
    """The commands with their usage and help lines, and examples filled in from `words`
    (the dossier in use: a deadline, an event, its month, the zone)."""
    lines = [f"*accord-bot*: sourced briefings on {agreement}. Commands:"]
    lines += [f"• `{e.usage}`: {e.help}" for e in registry.entries.values()]
    examples: list[str] = []
    for spec in registry.specs():
        for example in spec.examples:
            try:
                filled = example.format_map(words)
            except KeyError:
                continue  # no such word in this dossier: leave the example out
            if "{" not in filled and not filled.endswith(" "):
                examples.append(filled)
    lines.append(
        "Add `dossier:SLUG` to a briefing, `chart`, `calendar`, `subscribe` or `unsubscribe` "
        "for another dossier (see `/accord dossiers`)."
    )
    lines.append("Examples: " + " · ".join(f"`{e}`" for e in examples))
    return "\n".join(lines)


_WHO = {
    "discord": "members with Manage Server or Manage Channels",
    "slack": "workspace admins and owners (or users listed in the bot's settings)",
}


@dataclass
class Dispatcher:
    """Command -> Reply for every platform; never raises for anything a user can type."""

    composer: Composer
    clock: Callable[[], Clock]
    desk: SubscriptionDesk | None = None
    artifacts: ArtifactMaker | None = None
    registry: Registry = SPECS
    curation: CurationDesk | None = None  # see bot.curating
    # ACCORD_DOSSIER: the dossier of a channel that follows none (None: the store's own).
    default_dossier: str | None = None

    def dossier_of(self, caller: Caller) -> str:
        """The dossier the caller's channel follows, else the configured default."""
        store = self.composer.store
        followed = self.desk.followed(caller) if self.desk is not None else None
        if followed is not None and store.has(followed):
            return followed
        return store.view(self.default_dossier).dossier_slug

    def dossier_for(self, command: Command, caller: Caller) -> str:
        """The dossier `dossier:` names (UnknownDossier, listing them, if there is no
        such one), else the channel's."""
        if command.dossier:
            return self.composer.store.view(command.dossier).dossier_slug
        return self.dossier_of(caller)

    async def handle_text(self, text: str, caller: Caller) -> Reply:
        try:
            command = parse_text(text, self.registry)
        except CommandError as err:
            return Reply.failure(err.message, err.usage)
        except Exception:
            log.exception("could not parse /accord %r", text[:200])
            return Reply.failure(APOLOGY)
        return await self.dispatch(command, caller)

    def parse_options(
        self, name: str, options: Mapping[str, object], group: str | None = None
    ) -> Command:
        return from_options(name, options, group, self.registry)

    async def dispatch(self, command: Command, caller: Caller) -> Reply:
        usage = self.registry.usage(command.name)
        try:
            return await self._dispatch(command, caller)
        except CommandError as err:
            return Reply.failure(err.message, err.usage)
        except InputError as err:
            return Reply.failure(str(err), usage)
        except Exception:
            # Our fault, not the user's: say so briefly, keep the details for the operator.
            log.exception("/accord %s failed", command.name)
            return Reply.failure(APOLOGY)

    async def _dispatch(self, command: Command, caller: Caller) -> Reply:
        if command.dossier:
            self.dossier_for(command, caller)  # an unknown slug: a private list of them
        spec = self.registry.spec_for(command.name, command.sub_kind)
        if spec is None:
            entry = self.registry.entries.get(command.name)
            if not isinstance(entry, Group):
                raise CommandError(f"Unknown subcommand {shown(command.name)!r}.")
            spec = next(iter(self.registry.members[entry.name].values()))
        if spec.channels_only and caller.in_dm:
            return Reply.failure("Subscriptions work in server channels only, not in DMs.")
        if spec.audience is Audience.MANAGERS and not caller.can_manage:
            who = _WHO.get(caller.platform, "people who manage this channel")
            return Reply.failure(
                f"Only {who} can change what this channel receives; nothing was changed."
            )
        return await spec.handler(self, command, caller)
