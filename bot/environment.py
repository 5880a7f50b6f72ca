"""The engine's settings: the database, the replay day and the zone.

Read from the same sources, in the same order, as the runtime's `bot.settings.Settings`
(the environment, `.env`, `config/settings.toml`; see `bot.sources`). Kept free of heavy
imports: `accord-bot brief` runs on this path and must start fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.sources import setting
from briefings.clock import Clock, parse_day, parse_zone

DEFAULT_DB = Path("data") / "accord.db"


@dataclass(frozen=True)
class EngineEnv:
    db_path: str  # a file path, or a postgresql:// URL
    as_of: date | None
    zone: ZoneInfo
    dossier: str | None = None

    @classmethod
    def read(
        cls, *, as_of: str | None = None, tz: str | None = None, dossier: str | None = None
    ) -> EngineEnv:
        """Options given on the command line win over ACCORD_AS_OF, ACCORD_TZ and
        ACCORD_DOSSIER."""
        day_text = as_of or setting("accord_as_of")
        zone_text = tz or setting("accord_tz") or "UTC"
        return cls(
            db_path=str(setting("accord_db") or DEFAULT_DB),
            as_of=parse_day(day_text) if day_text else None,
            zone=parse_zone(zone_text),
            dossier=dossier or setting("accord_dossier") or None,
        )

    def clock(self) -> Clock:
        return Clock(self.zone, self.as_of)
