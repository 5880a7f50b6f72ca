"""The subscription desk: /accord subscribe, unsubscribe and subscriptions, for every
platform, storing in the subscriptions table and (re)scheduling jobs live."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.commands import Caller, Command, CommandError
from bot.ops.notices import last_delivery
from bot.persist import StoreUnavailable, written
from bot.scheduler import Scheduler
from bot.subscriptions import Subscription, Subscriptions

T = TypeVar("T")


def _when(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%Y-%m-%d %H:%M} {zone} (UTC{local:%z})"


def describe_subscription(sub: Subscription, next_run: datetime | None) -> str:
    if sub.kind == "alerts":
        what = "alerts: each new event, outcome and correction as it goes live"
    elif sub.kind == "digest":
        what = f"daily digest at {sub.at:%H:%M} {sub.zone}" + (
            " with the chart" if sub.with_chart else ""
        )
    else:
        days = ", ".join(str(o) for o in sub.offsets)
        what = (
            f"countdown reminders {days} days before each deadline, at {sub.at:%H:%M} "
            f"{sub.zone}" + (", with outcomes of passed deadlines" if sub.include_passed else "")
        )
    what += f" of `{sub.dossier}`" if sub.dossier else ""
    if sub.paused:
        return f"• {what}: PAUSED ({sub.paused_reason}); subscribe again to resume"
    if next_run is None:
        return f"• {what}"
    return f"• {what}; next: {_when(next_run, sub.zone)}"


# A person is waiting: try the store for a few seconds, then say it is busy.
ANSWER_PATIENCE = 8.0


async def _written(write: Callable[[], T]) -> T:
    try:
        return await written(write, "a subscription change", patience=ANSWER_PATIENCE)
    except StoreUnavailable:
        raise CommandError(
            "The store is busy and could not record that; nothing changed. Try again shortly."
        ) from None


class Desk:
    def __init__(
        self,
        subscriptions: Subscriptions,
        scheduler: Scheduler,
        default_zone: str,
        revision: Callable[[], int] = lambda: 0,
    ) -> None:
        self.subscriptions = subscriptions
        self.scheduler = scheduler
        self.default_zone = default_zone
        # The store's revision now: alerts start after it (no backlog).
        self.revision = revision

    async def subscribe(self, caller: Caller, command: Command) -> str:
        kind = command.sub_kind or "digest"
        dossier = command.dossier or ""
        before = self.subscriptions.find(
            caller.platform, caller.workspace, caller.channel, kind, dossier
        )
        sub, created = await _written(
            lambda: self.subscriptions.upsert(
                caller.platform,
                caller.workspace,
                caller.channel,
                kind,
                dossier=dossier,
                by=caller.user,
                zone=command.zone,
                default_zone=self.default_zone,
                at=command.at,
                offsets=command.offsets,
                include_passed=command.include_passed,
                with_chart=command.with_chart,
                revision=self.revision(),
            )
        )
        self.scheduler.schedule(sub)
        if before is not None:
            self.scheduler.release(before)
        verb = "Subscribed this channel to the" if created else "Updated this channel's"
        return f"{verb} {describe_subscription(sub, self.scheduler.next_run(sub))[2:]}"

    def zone_for(self, caller: Caller, dossier: str) -> str | None:
        """The zone of the channel's digest of `dossier` (else of any dossier), if it has
        one (for `/accord digest`)."""
        digests = [
            s
            for s in self.subscriptions.for_channel(
                caller.platform, caller.workspace, caller.channel
            )
            if s.kind == "digest"
        ]
        digests.sort(key=lambda s: s.dossier != dossier)
        return digests[0].zone if digests else None

    def followed(self, caller: Caller) -> str | None:
        return self.subscriptions.followed(caller.platform, caller.workspace, caller.channel)

    async def follow(self, caller: Caller, dossier: str) -> None:
        await _written(
            lambda: self.subscriptions.follow(
                caller.platform, caller.workspace, caller.channel, dossier, caller.user
            )
        )

    async def unsubscribe(self, caller: Caller, kind: str, dossier: str | None) -> str:
        """Stop the channel's subscriptions of `kind` (all: both kinds) to `dossier`, or to
        every dossier when none is named."""
        kinds = ("digest", "reminders", "alerts") if kind == "all" else (kind,)
        removed = await _written(
            lambda: self.subscriptions.remove(
                caller.platform, caller.workspace, caller.channel, kinds, dossier
            )
        )
        for sub in removed:
            self.scheduler.release(sub)
        if not removed:
            return "This channel had no such subscription; nothing changed."
        names = " and ".join(
            f"{sub.kind} of `{sub.dossier}`" if sub.dossier else sub.kind for sub in removed
        )
        return f"Unsubscribed this channel from the {names}."

    async def describe(self, caller: Caller) -> str:
        subs = self.subscriptions.for_channel(caller.platform, caller.workspace, caller.channel)
        if not subs:
            return (
                "This channel has no subscriptions. Try `/accord subscribe digest 08:00 "
                f"{self.default_zone}` or `/accord subscribe reminders`."
            )
        lines = ["This channel receives:"]
        for sub in subs:
            lines.append(describe_subscription(sub, self.scheduler.next_run(sub)))
            if last := last_delivery(self.subscriptions.db, sub):
                lines.append(f"  {last}")
        return "\n".join(lines)
