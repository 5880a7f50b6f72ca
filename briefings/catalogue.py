"""What the store holds, dossier by dossier, as of a day: for `/accord dossiers`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from briefings.store import ResolvedDeadline, Store


@dataclass(frozen=True)
class DueNext:
    slug: str
    title: str
    due: date


@dataclass(frozen=True)
class DossierEntry:
    slug: str
    title: str
    signed: date
    to_come: int
    next_due: DueNext | None


def overview(store: Store, today: date) -> list[DossierEntry]:
    """Every dossier with the deadlines on the record that are still to come.

    >>> store = Store.open(":memory:")
    >>> [e.slug for e in overview(store, date(2020, 3, 5))] == store.slugs()
    True
    """
    entries = []
    for summary in store.dossiers():
        coming: list[ResolvedDeadline] = [
            r for r in store.view(summary.slug).deadlines(today) if r.due >= today
        ]
        coming.sort(key=lambda r: r.due)
        first = coming[0] if coming else None
        entries.append(
            DossierEntry(
                summary.slug,
                summary.title,
                summary.signed,
                len(coming),
                DueNext(first.deadline.slug, first.deadline.title, first.due) if first else None,
            )
        )
    return entries
