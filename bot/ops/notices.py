"""Delivery you can see: the last delivery of a subscription, and a private word to the
person who created a subscription when it is paused (once per pause)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import ledger
from bot.subscriptions import Subscription
from briefings.database import Database

log = logging.getLogger("accord.notices")

NOTICES = "pause_notices"
# (workspace, user id, text) -> sent; each platform's poster offers one.
DirectMessage = Callable[[str, str, str], Awaitable[bool]]
WORDS = {
    "delivered": "delivered",
    "claimed": "being posted now",
    "interrupted": "interrupted by a stop; it is finished at the next start",
}


def last_delivery(db: Database, sub: Subscription) -> str | None:
    """`last delivery 2026-03-07 09:00 Europe/Berlin: delivered` (or why it was not)."""
    row = ledger.latest(db, sub.id)
    if row is None:
        return None
    stamp = row["updated_at"] or row["claimed_at"]
    local = datetime.fromisoformat(stamp).astimezone(ZoneInfo(sub.zone))
    status = str(row["status"])
    outcome = WORDS.get(status) or f"not delivered ({status}: {row['reason'] or 'no reason given'})"
    return f"last delivery {local:%Y-%m-%d %H:%M} {sub.zone}: {outcome}"


def pause_text(sub: Subscription, reason: str) -> str:
    return (
        f"The accord {sub.kind} subscription of channel {sub.channel} was paused: {reason}. "
        f"Once that is fixed, run `/accord subscribe {sub.kind}` in the channel to resume it."
    )


class PauseNotices:
    """Tells a paused subscription's creator privately, once per pause."""

    def __init__(self, db: Database, senders: Mapping[str, DirectMessage]) -> None:
        self.db = db
        self.senders = dict(senders)
        self.pending: set[asyncio.Task[None]] = set()
        table = db.table(NOTICES)
        if not table.exists():
            columns = {"subscription": str, "paused_at": str, "sent": int}
            table.create(columns, pk=("subscription", "paused_at"))

    def paused(self, sub: Subscription, reason: str) -> None:
        """Called as the courier pauses `sub`; sends in the background."""
        send = self.senders.get(sub.platform)
        if send is None or not sub.created_by:
            return
        rows = list(self.db.query("SELECT paused_at FROM subscriptions WHERE id = ?", [sub.id]))
        paused_at = str(rows[0]["paused_at"]) if rows else ""
        cursor = self.db.execute(
            f"INSERT OR IGNORE INTO {NOTICES} (subscription, paused_at, sent) VALUES (?, ?, 0)",
            [sub.id, paused_at],
        )
        if cursor.rowcount != 1:
            return
        task = asyncio.ensure_future(self._send(send, sub, reason, paused_at))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def _send(
        self, send: DirectMessage, sub: Subscription, reason: str, paused_at: str
    ) -> None:
        try:
            sent = await send(sub.workspace, sub.created_by, pause_text(sub, reason))
        except Exception:  # a notice is a courtesy: it never stops deliveries
            log.exception("could not tell %s that %s was paused", sub.created_by, sub.id)
            return
        if sent:
            self.db.execute(
                f"UPDATE {NOTICES} SET sent = 1 WHERE subscription = ? AND paused_at = ?",
                [sub.id, paused_at],
            )

    async def drain(self, timeout: float = 5.0) -> None:
        if self.pending:
            await asyncio.wait(set(self.pending), timeout=timeout)
