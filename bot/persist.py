"""Writes to the store from the event loop: short waits, retried with back-off.

The runtime opens SQLite with a short busy timeout, so a write that meets another
process's lock (or a full disk) fails in milliseconds instead of freezing every
answer on the loop for seconds. `written` then tries again with back-off, sleeping on
the loop, until the write goes through or its deadline passes; it logs one line when
the store first refuses and one when it takes the write again.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import sys
import time
from collections.abc import Callable
from typing import TypeVar

log = logging.getLogger("accord.store")

T = TypeVar("T")

FIRST_WAIT = 0.1
LONGEST_WAIT = 5.0
# The runtime's SQLite busy timeout: how long one attempt may hold the loop.
BUSY_TIMEOUT_MS = 50


class StoreUnavailable(Exception):
    """The store refused a write until its deadline: `reason` is SQLite's word for why."""

    def __init__(self, what: str, reason: str) -> None:
        super().__init__(f"the store could not record {what}: {reason}")
        self.reason = reason


def transient(err: BaseException) -> bool:
    """A write that may succeed later: locked, busy, full disk, an I/O error; on
    PostgreSQL a lost connection or a server shutting down, or the pool out of them."""
    if isinstance(err, sqlite3.OperationalError):
        return True
    if "psycopg" not in sys.modules:
        return False
    import psycopg
    import psycopg_pool

    return isinstance(err, psycopg.OperationalError | psycopg_pool.PoolTimeout)


async def written(write: Callable[[], T], what: str, *, patience: float | None = None) -> T:
    """Run `write`, retrying transient store errors for `patience` seconds (None: forever)."""
    deadline = None if patience is None else time.monotonic() + patience
    wait = FIRST_WAIT
    refused: str | None = None
    while True:
        try:
            result = write()
        except Exception as err:
            if not transient(err):
                raise
            if deadline is not None and time.monotonic() + wait > deadline:
                log.error("gave up recording %s: the store still refuses (%s)", what, err)
                raise StoreUnavailable(what, str(err)) from None
            if refused is None:
                refused = str(err)
                log.error("the store refuses writes (%s); retrying %s with back-off", err, what)
            await asyncio.sleep(wait)
            wait = min(wait * 2, LONGEST_WAIT)
            continue
        if refused is not None:
            log.warning("the store takes writes again; recorded %s", what)
        return result
