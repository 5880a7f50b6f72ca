"""Readiness: each component's state, read from the live objects when asked.

A component is a name and an async check returning its state ("ready" or what it is
doing instead: "connecting", "rejected", "behind", "stopped", ...). The bot is ready
when every component is "ready".
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.events import EVENT_JOB_SUBMITTED, JobSubmissionEvent

from bot.scheduler import HEARTBEAT_SECONDS, Scheduler
from briefings.store import Store

READY = "ready"
MAX_LAG = 60.0

Check = Callable[[], Awaitable[str]]


class Readiness:
    def __init__(self) -> None:
        self.checks: dict[str, Check] = {}

    def add(self, name: str, check: Check) -> None:
        self.checks[name] = check

    async def report(self) -> dict[str, Any]:
        components: dict[str, str] = {}
        for name, check in self.checks.items():
            try:
                components[name] = await check()
            except Exception as err:  # a check that fails says so; it never breaks /readyz
                components[name] = f"error: {type(err).__name__}"
        ready = bool(components) and all(s == READY for s in components.values())
        return {"ready": ready, "components": components}


class SchedulerWatch:
    """How late the scheduler runs its jobs; its heartbeat job runs every few seconds,
    so a loop that stops firing shows up as growing lag."""

    def __init__(self, scheduler: Scheduler, on_lag: Callable[[float], None]) -> None:
        self.scheduler = scheduler
        self.on_lag = on_lag
        self.lag = 0.0
        self.last_fired = time.time()
        scheduler.aps.add_listener(self._submitted, EVENT_JOB_SUBMITTED)

    def _submitted(self, event: JobSubmissionEvent) -> None:
        now = time.time()
        due = max(t.timestamp() for t in event.scheduled_run_times)
        self.lag = max(0.0, now - due)
        self.last_fired = now
        self.on_lag(self.lag)

    def current_lag(self) -> float:
        """The last job's lateness, or how overdue the next heartbeat is."""
        overdue = time.time() - self.last_fired - HEARTBEAT_SECONDS
        return max(self.lag, overdue, 0.0)

    async def check(self) -> str:
        if not self.scheduler.aps.running:
            return "stopped"
        lag = self.current_lag()
        self.on_lag(lag)
        return READY if lag < MAX_LAG else f"behind by {lag:.0f} s"


def store_check(store: Store) -> Check:
    async def check() -> str:
        store.db.execute("SELECT 1").fetchone()
        return READY

    return check


def discord_check(client: Any) -> Check:
    """READY received and not lost: the adapter's gateway state (shards ready or resumed,
    none disconnected since) and every shard's gateway socket open."""

    async def check() -> str:
        if client.is_closed():
            return "stopped"
        if not client.is_ready():
            return "connecting"
        gateway = getattr(client, "gateway", None)
        if gateway is not None and gateway.describe() != READY:
            return str(gateway.describe())
        if any(shard.is_closed() for shard in client.shards.values()):
            return "reconnecting"
        return READY

    return check


def slack_check(adapter: Any) -> Check:
    """auth.test accepted and, in Socket Mode, the socket connected."""

    async def check() -> str:
        if adapter.team_id is None:
            return "connecting"
        return READY if await adapter.connected() else "reconnecting"

    return check


def failed_check(state: str) -> Check:
    async def check() -> str:
        return state

    return check
