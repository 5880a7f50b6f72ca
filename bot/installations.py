"""Slack installations and OAuth states, kept in the store (multi-workspace mode).

`InstallationStore` is the `AsyncInstallationStore` Bolt's OAuth flow saves to and its
authorize step reads from: one row per workspace (enterprise, team) with its bot token.
`tokens_revoked` removes the bot token only; `app_uninstalled` removes the row.
`OAuthStateStore` keeps the OAuth `state` values server-side (one use each, for ten
minutes), so any process on the same store can finish an install another one began.

    installations = InstallationStore(store.db)
    token = installations.bot_token("T0001")
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from sqlite_utils import Migrations

from briefings.database import Database, apply_migrations

log = logging.getLogger(__name__)

INSTALLATIONS = "slack_installations"
STATES = "slack_oauth_states"
STATE_SECONDS = 600

migrations = Migrations("accord-slack-installations")


@migrations()
def create_tables(db: Database) -> None:
    db.table(INSTALLATIONS).create(
        {
            "id": str,
            "enterprise_id": str,
            "team_id": str,
            "bot_token": str,
            "bot_user_id": str,
            "installed_at": str,
            "data": str,
        },
        pk="id",
    )
    db.table(STATES).create({"state": str, "expires_at": float}, pk="state")


def workspace_key(enterprise_id: str | None, team_id: str | None) -> str:
    return f"{enterprise_id or '-'}:{team_id or '-'}"


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"cannot store {type(value).__name__}")


class InstallationStore(AsyncInstallationStore):
    """Bot installations per workspace (user tokens are not asked for, so none are kept)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        apply_migrations(migrations, db)

    @property
    def logger(self) -> logging.Logger:
        return log

    # -- Bolt's interface ----------------------------------------------------------------

    async def async_save(self, installation: Installation) -> None:
        self._save(installation)

    async def async_save_bot(self, bot: Bot) -> None:
        installation = Installation(
            app_id=bot.app_id,
            enterprise_id=bot.enterprise_id,
            team_id=bot.team_id,
            bot_token=bot.bot_token,
            bot_id=bot.bot_id,
            bot_user_id=bot.bot_user_id,
            bot_scopes=bot.bot_scopes,
            user_id="",
            is_enterprise_install=bot.is_enterprise_install,
        )
        self._save(installation)

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        installation = self._find(enterprise_id, team_id if not is_enterprise_install else None)
        if installation is None or installation.bot_token is None:
            return None
        return installation.to_bot()

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        if user_id is not None:
            return None  # no user tokens are kept
        return self._find(enterprise_id, team_id if not is_enterprise_install else None)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        key = workspace_key(enterprise_id, team_id)
        rows = list(self.db.query(f"SELECT data FROM {INSTALLATIONS} WHERE id = ?", [key]))
        if not rows:
            return
        data = json.loads(rows[0]["data"])
        for field in ("bot_token", "bot_id", "bot_user_id", "bot_refresh_token"):
            data[field] = None
        self.db.execute(
            f"UPDATE {INSTALLATIONS} SET bot_token = NULL, data = ? WHERE id = ?",
            [json.dumps(data, default=_encode), key],
        )

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        if user_id is not None:
            return  # a user's own token: none are kept
        self.db.execute(
            f"DELETE FROM {INSTALLATIONS} WHERE id = ?", [workspace_key(enterprise_id, team_id)]
        )

    # -- ours ----------------------------------------------------------------------------

    def bot_token(self, team_id: str, enterprise_id: str | None = None) -> str | None:
        rows = list(
            self.db.query(
                f"SELECT bot_token FROM {INSTALLATIONS} WHERE id = ?",
                [workspace_key(enterprise_id, team_id)],
            )
        )
        if not rows or rows[0]["bot_token"] is None:
            # An org-wide install answers for all of its workspaces.
            rows = list(
                self.db.query(
                    f"SELECT bot_token FROM {INSTALLATIONS} WHERE team_id = ?"
                    " AND bot_token IS NOT NULL",
                    [team_id],
                )
            )
        return str(rows[0]["bot_token"]) if rows and rows[0]["bot_token"] else None

    def teams(self) -> list[str]:
        return [str(r["team_id"]) for r in self.db.query(f"SELECT team_id FROM {INSTALLATIONS}")]

    def _save(self, installation: Installation) -> None:
        data = installation.to_dict_for_copying()
        key = workspace_key(installation.enterprise_id, installation.team_id)
        if installation.is_enterprise_install:
            key = workspace_key(installation.enterprise_id, None)
        row = {
            "id": key,
            "enterprise_id": installation.enterprise_id,
            "team_id": installation.team_id,
            "bot_token": installation.bot_token,
            "bot_user_id": installation.bot_user_id,
            "installed_at": datetime.fromtimestamp(installation.installed_at, UTC).isoformat(
                timespec="seconds"
            ),
            "data": json.dumps(data, default=_encode),
        }
        self.db.table(INSTALLATIONS).upsert(row, pk="id")
        log.info("slack: installed in workspace %s", installation.team_id)

    def _find(self, enterprise_id: str | None, team_id: str | None) -> Installation | None:
        rows = list(
            self.db.query(
                f"SELECT data FROM {INSTALLATIONS} WHERE id = ?",
                [workspace_key(enterprise_id, team_id)],
            )
        )
        if not rows and enterprise_id is not None:
            rows = list(
                self.db.query(
                    f"SELECT data FROM {INSTALLATIONS} WHERE id = ?",
                    [workspace_key(enterprise_id, None)],
                )
            )
        if not rows:
            return None
        return Installation(**json.loads(rows[0]["data"]))


class OAuthStateStore(AsyncOAuthStateStore):
    """One-use OAuth `state` values, valid for ten minutes, shared through the store."""

    def __init__(self, db: Database, expiration_seconds: int = STATE_SECONDS) -> None:
        self.db = db
        self.expiration_seconds = expiration_seconds
        apply_migrations(migrations, db)

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(24)
        now = time.time()
        self.db.execute(f"DELETE FROM {STATES} WHERE expires_at < ?", [now])
        self.db.execute(
            f"INSERT INTO {STATES} (state, expires_at) VALUES (?, ?)",
            [state, now + self.expiration_seconds],
        )
        return state

    async def async_consume(self, state: str) -> bool:
        cursor = self.db.execute(
            f"DELETE FROM {STATES} WHERE state = ? AND expires_at >= ?", [state, time.time()]
        )
        return bool(cursor.rowcount == 1)
