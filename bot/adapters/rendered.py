"""Renderings kept per briefing object: a fan-out posts one composed briefing to
thousands of channels, and each platform should render it once, not once per channel."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from briefings.document import Briefing
from briefings.lru import LRU

T = TypeVar("T")


class RenderCache(Generic[T]):
    """Calls `render` once per briefing object (held by identity) and extra key.

    >>> calls = []
    >>> cache = RenderCache(lambda b: calls.append(b) or len(calls))
    >>> from datetime import date
    >>> b = Briefing("status", "t", date(2020, 3, 5), "UTC", True, "demo-2020")
    >>> cache(b), cache(b), len(calls)
    (1, 1, 1)
    """

    def __init__(self, render: Callable[[Briefing], T], size: int = 32) -> None:
        self.render = render
        self.size = size
        self._kept: LRU[tuple[int, Hashable], tuple[Briefing, T]] = LRU(size)

    def __call__(self, briefing: Briefing, extra: Hashable = None) -> T:
        key = (id(briefing), extra)
        hit = self._kept.get(key)
        if hit is not None and hit[0] is briefing:
            return hit[1]
        made = self.render(briefing)
        self._kept.put(key, (briefing, made))
        return made
