"""Digest and reminder jobs on APScheduler, rebuilt from the subscriptions table.

Subscriptions that fire together share one job: a slot (kind, local time, zone) with the
stable id `digest@08:00@Europe/Berlin` and a CronTrigger in that zone, so 10,000 channels at
08:00 in four zones are four jobs, and the fan-out behind each is bounded. APScheduler
keeps no state of ours: at start the jobs are rebuilt with `replace_existing=True`, and
a digest missed while the bot was down is caught up once, the same local day, because
the ledger shows it was never claimed.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.job import Job
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.alerts import KIND as ALERT
from bot.alerts import Alerts
from bot.commands import ArtifactMaker
from bot.courier import Courier
from bot.delivery import Attachment
from bot.ledger import Claim
from bot.persist import transient
from bot.subscriptions import Subscription, Subscriptions
from bot.tasks import watched
from briefings.clock import Clock
from briefings.compose import Composer
from briefings.document import Briefing

log = logging.getLogger("accord.scheduler")

HEARTBEAT_SECONDS = 10
SWEEP_SECONDS = 15
# Deliveries of one slot started at a time: enough to keep every platform's lane busy,
# few enough that a slot of 10,000 channels does not hold 10,000 tasks.
FANOUT_WINDOW = 256
ALERTS = "alerts"
CORRECTIONS_DAYS = 14


@dataclass(frozen=True)
class Slot:
    """Subscriptions that fire together: one APScheduler job per (kind, time, zone)."""

    kind: str
    at: time
    zone: str

    @classmethod
    def of(cls, sub: Subscription) -> Slot:
        return cls(sub.kind, sub.at, sub.zone)

    @property
    def job_id(self) -> str:
        return f"{self.kind}@{self.at:%H:%M}@{self.zone}"


def delivery_key(sub: Subscription, local_date: str, as_of: str | None) -> str:
    """(subscription, kind, local day), plus the replay day when rehearsing."""
    replay = f"@{as_of}" if as_of else ""
    return f"{sub.id}|{local_date}{replay}"


class Scheduler:
    def __init__(
        self,
        *,
        subscriptions: Subscriptions,
        courier: Courier,
        composer: Composer,
        clock: Callable[[ZoneInfo], Clock],
        grace: timedelta,
        artifacts: ArtifactMaker | None = None,
    ) -> None:
        self.subscriptions = subscriptions
        self.courier = courier
        self.composer = composer
        self.clock = clock
        self.grace = grace
        self.artifacts = artifacts
        self.aps = AsyncIOScheduler(timezone=UTC)
        self.runs: set[asyncio.Task[str]] = set()
        # (subscription id, outcome) of recent runs, newest last: for `subscriptions` and tests.
        self.history: deque[tuple[str, str]] = deque(maxlen=20_000)
        self._window = asyncio.Semaphore(FANOUT_WINDOW)
        self._stopping = False
        self._catching_up: asyncio.Future[None] | None = None
        # Posts each change as it goes live (bot.alerts); None: no alerts.
        self.alerts: Alerts | None = None
        # Each digest's previous delivered local day (read once per slot run), from which
        # its Corrections part starts.
        self._previous: dict[str, str] = {}

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Start inside the running loop: rebuild every job, then catch up missed digests."""
        self.aps.start()
        for sub in self.subscriptions.active():
            self.schedule(sub)
        self.aps.add_job(
            self._heartbeat,
            "interval",
            seconds=HEARTBEAT_SECONDS,
            id="accord:heartbeat",
            replace_existing=True,
        )
        self.aps.add_job(
            self.sweep,
            "interval",
            seconds=SWEEP_SECONDS,
            id="accord:sweep",
            replace_existing=True,
            next_run_time=datetime.now(UTC),
        )
        self._catching_up = asyncio.ensure_future(self.catch_up())
        if self.alerts is not None:
            self.alerts.start(self.aps)

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop firing jobs, let in-flight posts finish (or record them), retire."""
        self._stopping = True
        if self.alerts is not None:
            self.alerts.stop()
        if self._catching_up is not None:
            self._catching_up.cancel()
        if self.aps.running:
            self.aps.shutdown(wait=False)
        if self.runs:
            await asyncio.wait(set(self.runs), timeout=timeout)
        await self.courier.drain(timeout=1.0)
        self.courier.retire()
        outcomes = Counter(outcome for _, outcome in self.history)
        log.info(
            "stopped after %s runs (%s) with %d compositions",
            len(self.history),
            dict(outcomes),
            self.composer.compositions,
        )

    async def _heartbeat(self) -> None:
        # A coroutine on purpose: APScheduler runs plain functions in a thread, and the
        # SQLite connection belongs to the loop's thread.
        try:
            self.courier.heartbeat()
        except Exception as err:
            if not transient(err):
                raise
            # The next beat tries again; other processes wait HEARTBEAT_STALE first.
            log.warning("heartbeat not recorded: %s", err)

    # -- jobs ----------------------------------------------------------------------------

    def schedule(self, sub: Subscription) -> None:
        """Make sure the job of the subscription's slot exists (idempotent). Alerts have
        no time of day: the alerts watcher posts them."""
        if sub.kind == ALERTS:
            return
        slot = Slot.of(sub)
        trigger = CronTrigger(
            hour=slot.at.hour, minute=slot.at.minute, timezone=ZoneInfo(slot.zone)
        )
        self.aps.add_job(
            self.fire,
            trigger,
            args=[slot.kind, slot.at.isoformat(), slot.zone],
            id=slot.job_id,
            name=slot.job_id,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=int(self.grace.total_seconds()),
        )

    def release(self, sub: Subscription) -> None:
        """Drop the slot's job once no active subscription is left in it."""
        if sub.kind == ALERTS:
            return
        slot = Slot.of(sub)
        empty = not self.subscriptions.in_slot(slot.kind, slot.at, slot.zone)
        if empty and self.aps.get_job(slot.job_id) is not None:
            self.aps.remove_job(slot.job_id)

    def job_for(self, sub: Subscription) -> Job | None:
        if sub.kind == ALERTS:
            return None
        return self.aps.get_job(Slot.of(sub).job_id)

    def next_run(self, sub: Subscription) -> datetime | None:
        job = self.job_for(sub)
        return job.next_run_time if job is not None else None

    def _remember_previous(self, subs: list[Subscription]) -> None:
        """One ledger read for the slot: the day of each digest's previous delivery."""
        if not subs:
            return
        today = self.clock(ZoneInfo(subs[0].zone)).read().now().date().isoformat()
        self._previous.update(self.courier.last_delivered([s.id for s in subs], today))

    async def catch_up(self) -> None:
        """Deliver today's digests and reminders whose time passed while the bot was down."""
        active = self.subscriptions.active()
        self._remember_previous([s for s in active if s.kind == "digest"])
        for sub in active:
            if self._stopping:
                return
            if sub.kind == ALERTS:
                continue
            clock = self.clock(ZoneInfo(sub.zone)).read()
            if self._due_today(sub, clock) and self.courier.status(self._key(sub, clock)) is None:
                log.info("catching up %s", sub.id)
                await self._start_run(sub)

    def _due_today(self, sub: Subscription, clock: Clock) -> bool:
        now = clock.now()
        scheduled = datetime.combine(now.date(), sub.at, tzinfo=ZoneInfo(sub.zone))
        return scheduled <= now and sub.created_at < scheduled and now - scheduled <= self.grace

    def _key(self, sub: Subscription, clock: Clock) -> str:
        """The delivery key of the run `clock` was read for: its local day, its as-of."""
        as_of = clock.as_of.isoformat() if clock.as_of else None
        return delivery_key(sub, clock.now().date().isoformat(), as_of)

    def _spawn(self, work: Coroutine[Any, Any, str]) -> asyncio.Task[str]:
        task = watched(asyncio.ensure_future(work), "a scheduled run")
        self.runs.add(task)
        task.add_done_callback(self.runs.discard)
        return task

    async def _start_run(self, sub: Subscription) -> None:
        """Start one channel's delivery once a place in the fan-out window is free, so a
        slot of 10,000 channels holds a bounded number of tasks at a time."""
        await self._window.acquire()
        task = self._spawn(self.run(sub.id, sub))
        task.add_done_callback(lambda _: self._window.release())

    async def fire(self, kind: str, at: str, zone: str) -> int:
        """The job body: APScheduler calls this at the slot's local time."""
        # Every process on the database fires the slot; the ledger's claims share it out.
        self.courier.take_share()
        subs = self.subscriptions.in_slot(kind, time.fromisoformat(at), zone)
        if kind == "digest":
            self._remember_previous(subs)
        for sub in subs:
            if self._stopping:
                break
            await self._start_run(sub)
        return len(subs)

    async def run(self, sub_id: str, sub: Subscription | None = None) -> str:
        outcome = await self._run(sub or self.subscriptions.get(sub_id))
        self.history.append((sub_id, outcome))
        return outcome

    async def _run(self, sub: Subscription | None) -> str:
        if sub is None or sub.paused:
            return "skipped"
        # One reading of the clock for the whole run: its local day, its delivery key and
        # the briefing's today cannot straddle midnight.
        clock = self.clock(ZoneInfo(sub.zone)).read()
        now = clock.now()
        if now.time() < sub.at.replace(second=0):
            # A run late enough to cross local midnight belongs to a day that is over.
            return "skipped"
        briefings, attachment = await self._compose(sub, clock)
        if not briefings:
            return "nothing"
        key = self._key(sub, clock)
        patience = self._patience(sub, now)
        return await self.courier.deliver(
            sub, key, now.date().isoformat(), briefings, attachment, patience=patience
        )

    def _patience(self, sub: Subscription, now: datetime) -> float:
        """How long a refused claim may be retried: within the grace and the local day."""
        scheduled = datetime.combine(now.date(), sub.at, tzinfo=now.tzinfo)
        midnight = datetime.combine(now.date() + timedelta(days=1), time(0), tzinfo=now.tzinfo)
        until = min(scheduled + self.grace, midnight)
        return max((until - now).total_seconds(), 0.0)

    async def _compose(
        self, sub: Subscription, clock: Clock
    ) -> tuple[list[Briefing], Attachment | None]:
        dossier = sub.dossier or None
        if sub.kind == "digest":
            window = self._corrections_window(sub, clock)
            briefing = self.composer.compose("digest", clock, dossier=dossier, window=window)
            attachment = None
            if sub.with_chart and self.artifacts is not None:
                attachment = await asyncio.to_thread(
                    self.artifacts.chart, clock, None, None, dossier
                )
            return [briefing], attachment
        return self.composer.reminders(clock, sub.offsets, sub.include_passed, dossier), None

    def _corrections_window(self, sub: Subscription, clock: Clock) -> tuple[datetime, datetime]:
        """From the channel's previous digest (its scheduled time) to this one's; a channel
        with none yet gets the day before (or since it subscribed, if earlier). At most
        CORRECTIONS_DAYS back. Channels of a slot share it, and so their composition."""
        zone = ZoneInfo(sub.zone)
        today = clock.now().date()
        scheduled = datetime.combine(today, sub.at, tzinfo=zone)
        previous = self._previous.get(sub.id)
        if previous is not None and previous < today.isoformat():
            start = datetime.combine(date.fromisoformat(previous), sub.at, tzinfo=zone)
        else:
            # Whole days, so the channels that subscribed on one day share a composition.
            joined = datetime.combine(sub.created_at.astimezone(zone).date(), sub.at, tzinfo=zone)
            start = min(scheduled - timedelta(days=1), joined)
        return max(start, scheduled - timedelta(days=CORRECTIONS_DAYS)), scheduled

    async def sweep(self) -> None:
        """Settle orphaned claims left by a process that died mid-post, and schedule the
        slots another process's subscribers opened."""
        for claim in self.courier.orphans():
            self._spawn(self._settle(claim))
        for sub in self.subscriptions.slot_representatives():
            if self.aps.get_job(Slot.of(sub).job_id) is None:
                self.schedule(sub)

    async def _settle(self, claim: Claim) -> str:
        sub = self.subscriptions.get(claim.subscription)
        if claim.kind == ALERT:
            if self.alerts is None:
                return "taken"  # a process that posts alerts will finish it
            return await self.alerts.settle(claim, sub)
        local_date = claim.local_date
        if sub is not None:
            clock = self.clock(ZoneInfo(sub.zone)).read()
            if clock.now().date().isoformat() != local_date:
                # Never post yesterday's digest today; just close the claim.
                self.courier.expire(claim, "day over before restart")
                return "expired"
            briefings, attachment = await self._compose(sub, clock)
        else:
            briefings, attachment = [], None
        return await self.courier.settle(claim, sub, briefings, attachment)
