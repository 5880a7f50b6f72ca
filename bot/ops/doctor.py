"""`accord-bot doctor`: one line per check, never a secret, non-zero exit on a failure.

Checks the settings, the zones (ACCORD_TZ and every subscription's), the store's schema
and revision, and each configured token against its platform: Slack's `auth.test` at
SLACK_API_URL, Discord's `GET /users/@me` at DISCORD_API_BASE.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from pydantic import ValidationError

from bot.ops.backup import BackupError, check_accord, known_migrations
from bot.ops.logs import REDACTED
from bot.settings import Settings
from briefings.clock import InputError, parse_zone
from briefings.database import describe, is_postgres_url

TIMEOUT = aiohttp.ClientTimeout(total=10)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


def load_settings() -> tuple[Settings | None, Check]:
    try:
        settings = Settings()
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in err.errors()
        )
        return None, Check("settings", False, problems)
    platforms = [
        p
        for p, on in (("discord", settings.discord_enabled), ("slack", settings.slack_enabled))
        if on
    ]
    detail = f"read; platforms: {', '.join(platforms) or 'none (the console)'}"
    if settings.slack_bot_token is not None and not settings.slack_enabled:
        return settings, Check(
            "settings", False, "SLACK_BOT_TOKEN needs SLACK_SIGNING_SECRET or SLACK_APP_TOKEN"
        )
    return settings, Check("settings", True, detail)


def store_checks(location: Path | str, default_zone: str) -> Iterator[Check]:
    yield Check("zone", True, f"ACCORD_TZ {default_zone}")
    if is_postgres_url(str(location)):
        yield postgres_check(str(location))
        return
    db = Path(location)
    if not db.exists():
        yield Check("store", True, f"{db} does not exist yet; the first start creates it")
        return
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    except sqlite3.Error as err:
        yield Check("store", False, f"cannot open {db}: {err}")
        return
    with closing(conn):
        try:
            check_accord(conn, str(db))
            (verdict,) = conn.execute("PRAGMA quick_check").fetchone()
        except (BackupError, sqlite3.Error) as err:
            yield Check("store", False, str(err))
            return
        if verdict != "ok":
            yield Check("store", False, f"{db} fails its integrity check: {verdict}")
            return
        applied = {
            (s, n) for s, n in conn.execute("SELECT migration_set, name FROM _sqlite_migrations")
        }
        present = {s for s, _ in applied}  # a set not there yet is created at start
        pending = sum(
            1
            for s, names in known_migrations().items()
            if s in present
            for n in names
            if (s, n) not in applied
        )
        row = conn.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()
        revision = row[0] if row else "0"
        schema = "current" if not pending else f"{pending} migration(s) to apply at next start"
        yield Check("store", True, f"{db}: schema {schema}, revision {revision}")
        zones: set[str] = set()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "subscriptions" in tables:
            zones = {str(r[0]) for r in conn.execute("SELECT DISTINCT zone FROM subscriptions")}
    bad = []
    for zone in sorted(zones):
        try:
            parse_zone(zone)
        except InputError:
            bad.append(zone)
    if bad:
        yield Check("zones", False, f"unknown zone(s) in subscriptions: {', '.join(bad)}")
    else:
        yield Check("zones", True, f"{len(zones)} zone(s) in subscriptions, all known")


async def _get_json(
    session: aiohttp.ClientSession, method: str, url: str, headers: dict[str, str]
) -> tuple[int, Any]:
    async with session.request(method, url, headers=headers) as response:
        try:
            data = await response.json(content_type=None)
        except ValueError:
            data = None
        return response.status, data


async def discord_check(session: aiohttp.ClientSession, settings: Settings) -> Check:
    assert settings.discord_token is not None
    base = settings.discord_api_base.rstrip("/")
    auth = {"Authorization": f"Bot {settings.discord_token.get_secret_value()}"}
    try:
        status, data = await _get_json(session, "GET", f"{base}/users/@me", auth)
    except (aiohttp.ClientError, TimeoutError) as err:
        return Check("discord", False, f"cannot reach {base}: {type(err).__name__}")
    if status == 200 and isinstance(data, dict):
        return Check("discord", True, f"DISCORD_TOKEN accepted (bot {data.get('username')})")
    if status == 401:
        return Check("discord", False, f"Discord rejected DISCORD_TOKEN (401 at {base})")
    return Check("discord", False, f"GET /users/@me answered {status} at {base}")


async def slack_check(session: aiohttp.ClientSession, settings: Settings) -> Check:
    assert settings.slack_bot_token is not None
    url = settings.slack_api_url.rstrip("/") + "/auth.test"
    auth = {"Authorization": f"Bearer {settings.slack_bot_token.get_secret_value()}"}
    try:
        status, data = await _get_json(session, "POST", url, auth)
    except (aiohttp.ClientError, TimeoutError) as err:
        return Check("slack", False, f"cannot reach {url}: {type(err).__name__}")
    if isinstance(data, dict) and data.get("ok"):
        return Check("slack", True, f"SLACK_BOT_TOKEN accepted (team {data.get('team_id')})")
    code = data.get("error") if isinstance(data, dict) else f"HTTP {status}"
    return Check("slack", False, f"Slack rejected SLACK_BOT_TOKEN ({code})")


def postgres_check(url: str) -> Check:
    """A PostgreSQL store: reachable, and its revision (the first start creates it)."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            found = conn.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()
            if not found or not found[0]:
                return Check("store", True, f"{describe(url)} is empty; the first start fills it")
            row = conn.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()
    except psycopg.Error as err:
        return Check("store", False, f"cannot reach {describe(url)}: {err}".strip())
    return Check("store", True, f"{describe(url)} at revision {row[0] if row else 0}")


async def run_checks() -> list[Check]:
    settings, first = load_settings()
    checks = [first]
    if settings is None:
        return checks
    checks += store_checks(settings.accord_db, settings.accord_tz)
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        if settings.discord_token is not None:
            checks.append(await discord_check(session, settings))
        if settings.slack_bot_token is not None:
            checks.append(await slack_check(session, settings))
    if not any(c.name in ("discord", "slack") for c in checks):
        checks.append(Check("tokens", True, "none configured; `run` starts the console"))
    secrets = settings.secrets()
    return [_scrubbed(c, secrets) for c in checks]


def _scrubbed(check: Check, secrets: list[str]) -> Check:
    detail = check.detail
    for secret in secrets:
        if secret:
            detail = detail.replace(secret, REDACTED)
    return Check(check.name, check.ok, detail)
