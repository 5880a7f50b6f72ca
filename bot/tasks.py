"""Background tasks that cannot fail unseen.

A task nobody awaits that raises is reported by asyncio only when it is garbage
collected, as "Task exception was never retrieved", if at all. `watched` logs the
failure with what the task was for, the moment it ends.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, TypeVar

log = logging.getLogger("accord")

F = TypeVar("F", bound="asyncio.Future[Any]")


def watched(task: F, what: str) -> F:
    """`task`, with its failure (if any) logged as soon as it ends."""

    def report(done: asyncio.Future[Any]) -> None:
        if done.cancelled():
            return
        err = done.exception()
        if err is not None:
            log.error("%s failed: %s: %s", what, type(err).__name__, err, exc_info=err)

    task.add_done_callback(report)
    return task
