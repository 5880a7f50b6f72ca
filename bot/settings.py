"""Runtime settings: environment variables, a git-ignored .env, and config/settings.toml.

Secrets (tokens, signing secrets) come only from the environment or .env and are held as
SecretStr, so they never show up in a repr or a log line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from bot.environment import DEFAULT_DB
from bot.sources import ENV_FILE, SETTINGS_TOML
from briefings.clock import parse_day, parse_zone


class Settings(BaseSettings):
    """Every setting; see config/settings.example.toml for what each one means."""

    model_config = SettingsConfigDict(
        env_file=ENV_FILE, env_file_encoding="utf-8", extra="ignore", toml_file=SETTINGS_TOML
    )

    # A path for the embedded SQLite store, or postgresql://USER:PASSWORD@HOST:PORT/DB.
    accord_db: str = str(DEFAULT_DB)
    accord_as_of: str | None = None
    accord_tz: str = "UTC"
    # The dossier of a channel that follows none (default: the shipped default dossier).
    accord_dossier: str | None = None

    discord_token: SecretStr | None = None
    discord_api_base: str = "https://discord.com/api/v10"
    discord_guild_id: int | None = None
    # Shard ranges across processes: DISCORD_SHARD_IDS=0,1 of DISCORD_SHARD_COUNT=4.
    discord_shard_count: int | None = Field(default=None, ge=1)
    discord_shard_ids: Annotated[list[int], NoDecode] | None = None

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    # Multi-workspace mode (Slack's OAuth install) instead of one SLACK_BOT_TOKEN.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_redirect_uri: str | None = None
    slack_port: int = 3000
    slack_host: str = "0.0.0.0"
    # Slack user ids allowed to manage subscriptions besides workspace admins and owners.
    slack_admin_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Slack user ids allowed to curate besides workspace admins and owners.
    slack_curator_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Discord role ids or names whose members may curate (besides Manage Server).
    discord_curator_roles: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Two-person review: `required` makes every curated change a proposal, posted to the
    # review channel (a channel id) of the platform it came from.
    accord_review: Literal["off", "required"] = "off"
    discord_review_channel: str | None = None
    slack_review_channel: str | None = None

    # Delivery: how many posts may be in flight at once per platform, and per second.
    delivery_concurrency: int = 20
    delivery_rate_per_second: float = 40.0
    # A daily digest missed while the bot was down is still delivered within this many hours.
    digest_grace_hours: int = 12

    @field_validator("accord_db", mode="before")
    @classmethod
    def _db_location(cls, value: object) -> object:
        return str(value) if isinstance(value, Path) else value

    # Operators: /healthz, /readyz and /metrics (port 0 turns them off), and the log format.
    accord_http_host: str = "127.0.0.1"
    accord_http_port: int = 8080
    accord_log_format: Literal["text", "json"] = "text"

    @field_validator("accord_as_of")
    @classmethod
    def _check_day(cls, value: str | None) -> str | None:
        if value:
            parse_day(value)
        return value or None

    @field_validator("accord_tz")
    @classmethod
    def _check_zone(cls, value: str) -> str:
        # Empty means unset, as for every command: UTC.
        return parse_zone(value.strip() or "UTC").key

    @field_validator("slack_admin_ids", "slack_curator_ids", "discord_curator_roles", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("discord_shard_ids", mode="before")
    @classmethod
    def _split_shards(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            return parts or None
        return value

    @model_validator(mode="after")
    def _check_slack_mode(self) -> Settings:
        if self.slack_bot_token is not None and self.slack_client_id:
            raise ValueError(
                "SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set: set SLACK_BOT_TOKEN for one "
                "workspace, or SLACK_CLIENT_ID with SLACK_CLIENT_SECRET to install in many"
            )
        return self

    @model_validator(mode="after")
    def _check_shards(self) -> Settings:
        ids, count = self.discord_shard_ids, self.discord_shard_count
        if ids is None:
            return self
        if count is None:
            raise ValueError("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT (the total shard count)")
        outside = [i for i in ids if not 0 <= i < count]
        if outside:
            raise ValueError(
                f"DISCORD_SHARD_IDS {outside} outside 0..{count - 1} (DISCORD_SHARD_COUNT={count})"
            )
        if len(set(ids)) != len(ids):
            raise ValueError("DISCORD_SHARD_IDS lists a shard twice")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            TomlConfigSettingsSource(settings_cls),
        )

    @property
    def slack_multi_workspace(self) -> bool:
        """SLACK_CLIENT_ID (and no bot token): installs in many workspaces through OAuth."""
        return bool(self.slack_client_id) and self.slack_bot_token is None

    @property
    def slack_enabled(self) -> bool:
        if self.slack_multi_workspace:
            return True
        return self.slack_bot_token is not None and (
            self.slack_signing_secret is not None or self.slack_app_token is not None
        )

    def secrets(self) -> list[str]:
        """Every configured secret's value (for the log filter that redacts them)."""
        held = [getattr(self, name) for name, _ in type(self).model_fields.items()]
        return [s.get_secret_value() for s in held if isinstance(s, SecretStr)]

    @property
    def discord_syncs_commands(self) -> bool:
        """Only the process holding shard 0 (or every shard) syncs the slash commands."""
        return self.discord_shard_ids is None or 0 in self.discord_shard_ids

    @property
    def discord_enabled(self) -> bool:
        return self.discord_token is not None
