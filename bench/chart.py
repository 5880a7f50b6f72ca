"""How long the chart and the calendar take: first made, then served from the cache.

Run: .venv/bin/python bench/chart.py   (prints a table; not part of the test run)

The first chart in a process includes importing matplotlib; a second as-of day shows the
cost of drawing alone.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from briefings.artifacts import Artifacts
from briefings.clock import Clock
from briefings.document import Attachment
from briefings.store import Store

CACHED_ROUNDS = 1000


def timed(make: Callable[[], Attachment]) -> tuple[float, Attachment]:
    started = time.perf_counter()
    made = make()
    return time.perf_counter() - started, made


def cached(make: Callable[[], Attachment]) -> float:
    started = time.perf_counter()
    for _ in range(CACHED_ROUNDS):
        make()
    return (time.perf_counter() - started) / CACHED_ROUNDS


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "accord.db")
        maker = Artifacts(store)
        utc = ZoneInfo("UTC")
        cases: list[tuple[str, Callable[[], Attachment]]] = [
            ("chart, first in process", lambda: maker.chart(Clock(utc, date(2021, 12, 1)))),
            ("chart, another day", lambda: maker.chart(Clock(utc, date(2020, 9, 1)))),
            (
                "chart, a range",
                lambda: maker.chart(
                    Clock(utc, date(2021, 12, 1)), date(2020, 3, 1), date(2020, 4, 15)
                ),
            ),
            ("calendar", lambda: maker.calendar(Clock(utc, date(2021, 12, 1)), False)),
            ("calendar with events", lambda: maker.calendar(Clock(utc, date(2021, 12, 1)), True)),
        ]
        print(f"{'case':<26} {'first':>10} {'cached':>10} {'ratio':>10} {'bytes':>9}")
        for name, make in cases:
            first, made = timed(make)
            again = cached(make)
            print(
                f"{name:<26} {first * 1000:>8.1f}ms {again * 1e6:>8.2f}µs "
                f"{first / again:>9,.0f}x {len(made.content):>9,}"
            )
        store.close()


if __name__ == "__main__":
    main()
