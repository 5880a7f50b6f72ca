"""Posting scheduled briefings: the ledger claim, bounded concurrency and rate, retries.

`Courier.deliver` is the one path every digest and reminder takes to a channel: claim
the delivery key, post through the platform's Poster within its concurrency and rate,
retry what can be retried with bounded backoff, pause channels that are gone, and stop a
platform whose credentials are refused.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from bot.delivery import Attachment, Poster, PostResult, Target
from bot.ledger import Claim, Ledger
from bot.persist import StoreUnavailable, written
from bot.subscriptions import Subscription, Subscriptions
from bot.tasks import watched
from briefings.document import Briefing

log = logging.getLogger("accord.delivery")

MAX_ATTEMPTS = 6
MAX_BACKOFF = 60.0


class RateLimiter:
    """Spaces calls evenly at `rate` per second (a token bucket of depth one)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


@dataclass
class _Lane:
    """One platform's poster with its concurrency and rate limits."""

    poster: Poster
    slots: asyncio.Semaphore
    rate: RateLimiter
    stopped: str | None = None


class Courier:
    def __init__(
        self,
        ledger: Ledger,
        subscriptions: Subscriptions,
        posters: Sequence[Poster],
        *,
        concurrency: int = 20,
        rate_per_second: float = 40.0,
        base_backoff: float = 1.0,
    ) -> None:
        self.ledger = ledger
        self.subscriptions = subscriptions
        self.base_backoff = base_backoff
        self.lanes = {
            p.platform: _Lane(p, asyncio.Semaphore(concurrency), RateLimiter(rate_per_second))
            for p in posters
        }
        self.in_flight: set[asyncio.Task[str]] = set()
        # (platform, kind, result) of every post attempt: the metrics hook.
        self.observe: Callable[[str, str, str], None] = lambda platform, kind, result: None
        # After a restore from backup: deliveries for local days up to this one ask the
        # platform first whether they arrived (the backup's ledger predates them).
        self.confirm_through: str | None = None
        # Set on a graceful stop: no new claims; posts already claimed may finish.
        self.closing = False
        # Told of every pause (the notices hook).
        self.on_pause: Callable[[Subscription, str], None] = lambda sub, reason: None

    def share_rate(self, processes: int) -> None:
        """Several processes on one database share each platform's rate: each takes
        DELIVERY_RATE_PER_SECOND divided by the number of live processes."""
        for lane in self.lanes.values():
            if lane.rate.rate > 0:
                lane.rate.interval = max(1, processes) / lane.rate.rate

    def platform_stopped(self, platform: str) -> str | None:
        lane = self.lanes.get(platform)
        return "no adapter for this platform" if lane is None else lane.stopped

    async def deliver(
        self,
        sub: Subscription,
        key: str,
        local_date: str,
        briefings: Sequence[Briefing],
        attachment: Attachment | None = None,
        *,
        patience: float | None = None,
        kind: str | None = None,
    ) -> str:
        """Claim `key` and post; returns the ledger status (or `duplicate` if claimed before).

        A store that refuses the claim (locked, full) is asked again with back-off for
        `patience` seconds; only then is the post given up, as `store-unavailable`.
        `kind` is what the ledger records (default: the subscription's kind; `alert`).
        """
        if self.platform_stopped(sub.platform) or self.closing:
            return "skipped"
        recorded = kind or sub.kind
        try:
            claimed = await written(
                lambda: self.ledger.claim(key, sub.id, recorded, local_date),
                f"the claim of {key}",
                patience=patience,
            )
        except StoreUnavailable:
            return "store-unavailable"
        if not claimed:
            self.observe(sub.platform, sub.kind, "skipped_duplicate")
            return "duplicate"
        confirm = self.confirm_through is not None and local_date <= self.confirm_through
        work = self._post_all(sub, key, briefings, attachment, resuming=confirm)
        return await self._tracked(work)

    async def settle(
        self,
        claim: Claim,
        sub: Subscription | None,
        briefings: Sequence[Briefing],
        attachment: Attachment | None = None,
    ) -> str:
        """Finish an orphaned claim: post each part the platform has not seen arrive."""
        if self.closing:
            return "taken"
        if not await written(lambda: self.ledger.adopt(claim), f"the adoption of {claim.key}"):
            return "taken"
        if sub is None or sub.paused:
            await self._finish(claim.key, "cancelled", "subscription removed or paused")
            return "cancelled"
        if sub.platform not in self.lanes:
            await self._finish(claim.key, "interrupted", "platform not running")
            return "interrupted"
        work = self._post_all(sub, claim.key, briefings, attachment, resuming=True)
        return await self._tracked(work)

    async def _arrived(self, sub: Subscription, target: Target, key: str) -> bool:
        try:
            return bool(await self.lanes[sub.platform].poster.was_posted(target, key))
        except Exception:  # only a hint: posting again (under the same key) is the fallback
            log.exception("could not ask %s whether %s arrived", sub.platform, key)
            return False

    async def _tracked(self, work: Coroutine[Any, Any, str]) -> str:
        task = watched(asyncio.ensure_future(work), "a delivery")
        self.in_flight.add(task)
        task.add_done_callback(self.in_flight.discard)
        return await asyncio.shield(task)

    async def _post_all(
        self,
        sub: Subscription,
        key: str,
        briefings: Sequence[Briefing],
        attachment: Attachment | None,
        *,
        resuming: bool = False,
    ) -> str:
        """Post every part under its own key (key, key#1, …); when resuming after a crash,
        skip the parts the platform confirms it already has."""
        target = Target(sub.platform, sub.workspace, sub.channel)
        status, message_id = "delivered", None
        for index, briefing in enumerate(briefings):
            part_key = key if index == 0 else f"{key}#{index}"
            if resuming and await self._arrived(sub, target, part_key):
                continue
            result = await self._post_one(
                sub, target, part_key, briefing, attachment if index == 0 else None
            )
            self.observe(sub.platform, sub.kind, result.status)
            if result.status != "delivered":
                status = result.status
                await self._record(sub, key, result)
                return status
            message_id = message_id or result.message_id
        await self._finish(key, status, message_id=message_id)
        return status

    async def _finish(
        self, key: str, status: str, reason: str = "", message_id: str | None = None
    ) -> None:
        # What happened must reach the ledger, however long the store refuses: a
        # `claimed` row left behind would be settled as an orphan and posted again.
        await written(
            lambda: self.ledger.finish(key, status, reason, message_id), f"the outcome of {key}"
        )

    async def _post_one(
        self,
        sub: Subscription,
        target: Target,
        key: str,
        briefing: Briefing,
        attachment: Attachment | None,
    ) -> PostResult:
        lane = self.lanes[sub.platform]
        result = PostResult("retry", "not attempted")
        for attempt in range(MAX_ATTEMPTS):
            if lane.stopped:
                return PostResult("fatal", lane.stopped)
            async with lane.slots:
                await lane.rate.wait()
                try:
                    result = await lane.poster.post(
                        target, briefing, key=key, attachment=attachment
                    )
                except (TimeoutError, OSError) as err:
                    result = PostResult("retry", f"network error: {err.__class__.__name__}")
            if result.status != "retry":
                return result
            self.observe(sub.platform, sub.kind, "retried")
            delay = (
                result.retry_after
                if result.retry_after is not None
                else (self.base_backoff * 2**attempt)
            )
            log.info(
                "retrying %s in %.1fs: %s",
                key,
                delay,
                result.reason,
                extra={"platform": sub.platform, "channel": sub.channel, "key": key},
            )
            await asyncio.sleep(min(delay, MAX_BACKOFF))
        return PostResult("failed", f"gave up after {MAX_ATTEMPTS} attempts: {result.reason}")

    async def _record(self, sub: Subscription, key: str, result: PostResult) -> None:
        if result.status == "gone":
            await written(
                lambda: self.subscriptions.pause(sub.id, result.reason), f"the pause of {sub.id}"
            )
            self.on_pause(sub, result.reason)
            log.warning(
                "paused %s: %s",
                sub.id,
                result.reason,
                extra={"platform": sub.platform, "channel": sub.channel, "key": key},
            )
        elif result.status == "fatal":
            lane = self.lanes[sub.platform]
            if not lane.stopped:
                lane.stopped = result.reason or "credentials refused"
                log.error("STOPPING all %s deliveries: %s", sub.platform, lane.stopped)
        await self._finish(key, result.status, result.reason)

    # -- the ledger, for the scheduler (which talks to the courier only) -----------------

    def heartbeat(self) -> None:
        """This process is alive (other processes leave its claims alone), and takes its
        share of each platform's rate among the live processes."""
        self.ledger.heartbeat()
        self.take_share()

    def take_share(self) -> None:
        """This process's share of each platform's rate among the live processes."""
        self.share_rate(self.ledger.live_instances())

    def retire(self) -> None:
        """This process has stopped."""
        self.ledger.retire()

    def status(self, key: str) -> str | None:
        """What became of the delivery `key` (None: never claimed)."""
        return self.ledger.status(key)

    def last_delivered(self, subscriptions: list[str], before: str) -> dict[str, str]:
        """Each subscription's latest local day with a delivered post, before `before`."""
        return self.ledger.last_delivered(subscriptions, before)

    def known(self, keys: list[str]) -> set[str]:
        """The delivery keys already claimed, by any process."""
        return self.ledger.known(keys)

    def orphans(self) -> list[Claim]:
        """Claims left in flight by processes that are no longer running."""
        return list(self.ledger.orphans())

    def expire(self, claim: Claim, reason: str) -> None:
        """Close an orphaned claim without posting (its day is over)."""
        if self.ledger.adopt(claim):
            self.ledger.finish(claim.key, "expired", reason)

    async def drain(self, timeout: float) -> None:
        """Let in-flight posts finish; record the rest as interrupted (settled on restart)."""
        if not self.in_flight:
            return
        _done, pending = await asyncio.wait(set(self.in_flight), timeout=timeout)
        for task in pending:
            task.cancel()
        self.ledger.interrupt_own()
