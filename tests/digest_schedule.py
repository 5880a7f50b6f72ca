"""When an 08:00 digest falls due in three zones across the start of New York's DST."""

from __future__ import annotations

from datetime import UTC, datetime

ZONES = {"Asia/Kabul": "kabul", "America/New_York": "newyork", "UTC": "utc"}
# 7 March 2026: New York on EST (UTC-5); 8 March: daylight saving time (UTC-4).
SCHEDULE = [
    (datetime(2026, 3, 7, 3, 30, tzinfo=UTC), "kabul"),
    (datetime(2026, 3, 7, 8, 0, tzinfo=UTC), "utc"),
    (datetime(2026, 3, 7, 13, 0, tzinfo=UTC), "newyork"),
    (datetime(2026, 3, 8, 3, 30, tzinfo=UTC), "kabul"),
    (datetime(2026, 3, 8, 8, 0, tzinfo=UTC), "utc"),
    (datetime(2026, 3, 8, 12, 0, tzinfo=UTC), "newyork"),
]
