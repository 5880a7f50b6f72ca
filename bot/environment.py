"""The engine's settings, read straight from the environment.

Kept free of heavy imports: `accord-bot brief` runs on this path and must start fast.
The full runtime settings (tokens, ports) live in bot.settings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from briefings.clock import Clock, parse_day, parse_zone

DEFAULT_DB = Path("data") / "accord.db"


@dataclass(frozen=True)
class EngineEnv:
    db_path: Path
    as_of: date | None
    zone: ZoneInfo
    dossier: str | None = None

    @classmethod
    def read(
        cls, *, as_of: str | None = None, tz: str | None = None, dossier: str | None = None
    ) -> EngineEnv:
        """Options given on the command line win over ACCORD_AS_OF, ACCORD_TZ and
        ACCORD_DOSSIER."""
        day_text = as_of or os.environ.get("ACCORD_AS_OF") or None
        zone_text = tz or os.environ.get("ACCORD_TZ") or "UTC"
        return cls(
            db_path=Path(os.environ.get("ACCORD_DB") or DEFAULT_DB),
            as_of=parse_day(day_text) if day_text else None,
            zone=parse_zone(zone_text),
            dossier=dossier or os.environ.get("ACCORD_DOSSIER") or None,
        )

    def clock(self) -> Clock:
        return Clock(self.zone, self.as_of)
