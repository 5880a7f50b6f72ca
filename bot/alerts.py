"""Change alerts: every change that goes live is posted at once to the channels that
subscribed to its dossier's alerts (and, for a new outcome, to the reminders that asked
for `passed`), through the courier and its delivery ledger, so each change reaches each
channel exactly once, whichever process (on whichever machine) sees it first.

Every process reads the revisions log every ALERT_SECONDS (and at once after a change
made through it), from where it last looked; at start it looks back LOOKBACK, so a change
made just before a restart is still announced, and the ledger says which channels
already have it. A curated file loaded with `store import` is one post listing what it
changed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.courier import Courier
from bot.ledger import Claim
from bot.subscriptions import Subscription, Subscriptions
from bot.tasks import watched
from briefings import revisions
from briefings.clock import Clock
from briefings.compose import alert
from briefings.document import Briefing
from briefings.revisions import Revision
from briefings.store import Store

log = logging.getLogger("accord.alerts")

ALERT_SECONDS = 10
LOOKBACK = timedelta(hours=1)
# An alert whose process died mid-post is finished by another, unless it is this old.
MAX_AGE = timedelta(hours=6)
WINDOW = 256  # deliveries started at a time, as for a digest slot
BATCH = 500  # revision rows read at a time
KIND = "alert"


def alert_key(sub: Subscription, revision: int) -> str:
    """The delivery key of one change for one subscription.

    >>> from datetime import time
    >>> sub = Subscription("slack:T:C:alerts:d", "slack", "T", "C", "alerts", time(9),
    ...     "UTC", (), False, False, "U1", datetime(2020, 1, 1, tzinfo=UTC))
    >>> alert_key(sub, 42), revision_of(alert_key(sub, 42))
    ('slack:T:C:alerts:d|alert@42', 42)
    """
    return f"{sub.id}|{KIND}@{revision}"


def revision_of(key: str) -> int | None:
    _, _, tail = key.rpartition(f"|{KIND}@")
    return int(tail) if tail.isdigit() else None


def _changes(rows: list[Revision]) -> list[list[Revision]]:
    """Rows grouped by (revision, dossier), in order."""
    groups: dict[tuple[int, str], list[Revision]] = {}
    for row in rows:
        groups.setdefault((row.revision, row.dossier), []).append(row)
    return list(groups.values())


class Alerts:
    """Watches the revisions log and posts each change to its subscribers."""

    def __init__(
        self,
        store: Store,
        subscriptions: Subscriptions,
        courier: Courier,
        clock: Callable[[], Clock],
    ) -> None:
        self.store = store
        self.subscriptions = subscriptions
        self.courier = courier
        self.clock = clock
        self.cursor: int | None = None  # the last revision looked at
        self.sent = 0  # deliveries this process started (for tests and the log)
        self._lock = asyncio.Lock()
        self._window = asyncio.Semaphore(WINDOW)
        self._stopping = False
        self._pokes: set[asyncio.Task[int]] = set()

    @property
    def live(self) -> bool:
        """Alerts are news: a replaying bot (ACCORD_AS_OF) sends none."""
        return not self.clock().replay

    def start(self, aps: AsyncIOScheduler) -> None:
        self.cursor = revisions.first_since(self.store.db, datetime.now(UTC) - LOOKBACK)
        aps.add_job(
            self.tick,
            "interval",
            seconds=ALERT_SECONDS,
            id="accord:alerts",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            next_run_time=datetime.now(UTC),
        )

    def stop(self) -> None:
        self._stopping = True

    def poke(self) -> None:
        """A change just went live through this process: look now, not in ten seconds."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = watched(loop.create_task(self.tick()), "the alerts")
        self._pokes.add(task)
        task.add_done_callback(self._pokes.discard)

    async def tick(self) -> int:
        """Post the changes made since the last look; how many deliveries were started."""
        if not self.live or self._stopping:
            return 0
        async with self._lock:
            if self.cursor is None:
                self.cursor = revisions.latest_revision(self.store.db)
            started = 0
            while not self._stopping:
                rows = revisions.after(self.store.db, self.cursor, limit=BATCH)
                if not rows:
                    break
                complete = rows if len(rows) < BATCH else _whole(rows)
                for change in _changes(complete):
                    started += await self._announce(change)
                self.cursor = complete[-1].revision
            return started

    async def _announce(self, rows: list[Revision]) -> int:
        main = rows[-1]
        outcome = main.change.what == "outcome"
        subs = self.subscriptions.alerted(main.dossier, main.revision, outcome=outcome)
        keyed = {alert_key(sub, main.revision): sub for sub in subs}
        done = self.courier.known(list(keyed))
        todo = [(key, sub) for key, sub in keyed.items() if key not in done]
        briefing = self._briefing(rows) if todo else None
        if briefing is None:
            return 0
        day = main.at.date().isoformat()
        tasks = []
        for key, sub in todo:
            if self._stopping:
                break
            await self._window.acquire()
            work = self.courier.deliver(sub, key, day, [briefing], kind=KIND)
            task = watched(asyncio.ensure_future(work), "an alert")
            task.add_done_callback(lambda _: self._window.release())
            tasks.append(task)
        self.sent += len(tasks)
        if tasks:
            await asyncio.wait(tasks)
            log.info(
                "alerted revision %s of %s to %d channel(s)",
                main.revision,
                main.dossier,
                len(tasks),
            )
        return len(tasks)

    def _briefing(self, rows: list[Revision]) -> Briefing | None:
        main = rows[-1]
        if not self.store.has(main.dossier):
            return None
        made = alert(self.store.view(main.dossier), self.clock(), rows)
        if made is None:
            return None
        if len(rows) > 1 and main.author.platform == "file":
            return made  # a file's changes, listed: each item has its own history
        # The way to every revision of the item, in chat words (the engine has none).
        hint = f"Every revision of it: /accord history {main.item} dossier:{main.dossier}"
        return replace(made, notes=(*made.notes, hint))

    async def settle(self, claim: Claim, sub: Subscription | None) -> str:
        """Finish an alert a process left in flight when it died."""
        number = revision_of(claim.key)
        rows = [] if number is None else self._rows_of(number, sub)
        if rows and datetime.now(UTC) - rows[-1].at > MAX_AGE:
            self.courier.expire(claim, "the change is too old to announce now")
            return "expired"
        briefing = self._briefing(rows) if rows else None
        return await self.courier.settle(claim, sub, [briefing] if briefing else [])

    def _rows_of(self, number: int, sub: Subscription | None) -> list[Revision]:
        rows = revisions.after(self.store.db, number - 1, limit=BATCH)
        return [
            r for r in rows if r.revision == number and (sub is None or r.dossier == sub.dossier)
        ]


def _whole(rows: list[Revision]) -> list[Revision]:
    """A full batch may end inside a revision: keep only the revisions it holds whole."""
    last = rows[-1].revision
    whole = [r for r in rows if r.revision != last]
    return whole or rows
