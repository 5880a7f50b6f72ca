"""The chart picture and the calendar file as attachments, cached.

`Artifacts` is what the dispatcher calls for `/accord chart` and `/accord calendar`. A
file depends only on the store revision, the range, the as-of day, the zone and replay
mode, so it is made once per such key and served from memory afterwards.

The dispatcher calls it from a worker thread (drawing takes a few hundred
milliseconds), and an SQLite connection belongs to the thread that opened it, so each
thread reads a file-backed store through a connection of its own.
"""

from __future__ import annotations

import threading
from datetime import date

from briefings.clock import Clock
from briefings.document import Attachment
from briefings.lru import LRU
from briefings.store import Store

PNG = "image/png"
ICS = "text/calendar"


class Artifacts:
    """Makes and caches the chart (PNG) and the calendar (ICS) for the store's dossier.

    >>> from zoneinfo import ZoneInfo
    >>> made = Artifacts(Store.open(":memory:")).chart(Clock(ZoneInfo("UTC"), date(2020, 3, 5)))
    >>> made.filename.endswith("-2020-03-05.png"), made.mime_type
    (True, 'image/png')
    """

    def __init__(self, store: Store, *, size: int = 64) -> None:
        self.store = store
        self.size = size
        self.renders = 0
        self._cache: LRU[tuple[object, ...], Attachment] = LRU(size)
        # One maker at a time: a burst of identical requests renders once.
        self._lock = threading.Lock()
        self._home = threading.get_ident()
        self._path = _file_of(store)
        self._local = threading.local()

    def chart(
        self,
        clock: Clock,
        start: date | None = None,
        end: date | None = None,
        dossier: str | None = None,
    ) -> Attachment:
        """The timeline picture as of the clock's day, within [start, end] if given."""
        store = self._reader(dossier)
        key = ("chart", start, end, *self._context(store, clock))
        with self._lock:
            return self._cached(key) or self._keep(key, self._make_chart(store, clock, start, end))

    def calendar(
        self, clock: Clock, with_events: bool = False, dossier: str | None = None
    ) -> Attachment:
        """The deadlines (and, with `with_events`, the events) as an iCalendar file."""
        store = self._reader(dossier)
        key = ("calendar", with_events, *self._context(store, clock))
        with self._lock:
            return self._cached(key) or self._keep(
                key, self._make_calendar(store, clock, with_events)
            )

    def _reader(self, dossier: str | None) -> Store:
        """The store on `dossier`, through a connection this thread may use."""
        if threading.get_ident() == self._home or self._path is None:
            return self.store.view(dossier)
        reader: Store | None = getattr(self._local, "store", None)
        if reader is None:
            reader = Store.open(self._path, seed=False)
            self._local.store = reader
        # The default is the one this maker was given, not the file's last import.
        return reader.view(dossier or self.store.dossier_slug)

    @staticmethod
    def _context(store: Store, clock: Clock) -> tuple[object, ...]:
        return (
            store.dossier_slug,
            store.revision(),
            clock.today(),
            clock.zone.key,
            clock.replay,
        )

    def _cached(self, key: tuple[object, ...]) -> Attachment | None:
        return self._cache.get(key)

    def _keep(self, key: tuple[object, ...], made: Attachment) -> Attachment:
        self.renders += 1
        self._cache.put(key, made)
        return made

    def _make_chart(
        self, store: Store, clock: Clock, start: date | None, end: date | None
    ) -> Attachment:
        from briefings.render.chart import chart_data, render_chart

        data = chart_data(store, clock, start, end)
        span = f"-{data.start.isoformat()}-to-{data.end.isoformat()}" if start or end else ""
        return Attachment(
            filename=f"accord-{data.dossier}-{data.as_of.isoformat()}{span}.png",
            content=render_chart(data),
            mime_type=PNG,
            title=data.caption(),
        )

    def _make_calendar(self, store: Store, clock: Clock, with_events: bool) -> Attachment:
        from briefings.render.ics import render_ics

        today = clock.today()
        slug = store.dossier_slug
        deadlines = len(store.deadlines(today))
        what = f"{deadlines} deadlines" + (" and the events" if with_events else "")
        suffix = "-events" if with_events else ""
        return Attachment(
            filename=f"accord-{slug}-{today.isoformat()}{suffix}.ics",
            content=render_ics(store, clock, with_events=with_events),
            mime_type=ICS,
            title=(
                f"Calendar of {store.info().title} ({slug}) as of {today.isoformat()}: {what}, "
                "for Google Calendar, Outlook or Apple Calendar"
            ),
        )


def _file_of(store: Store) -> str | None:
    """The database file behind a store (None for an in-memory one)."""
    rows = store.db.execute("PRAGMA database_list").fetchall()
    path = next((row[2] for row in rows if row[1] == "main"), "")
    return str(path) if path else None
