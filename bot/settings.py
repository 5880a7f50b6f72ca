"""Runtime settings: environment variables, a git-ignored .env, and config/settings.toml.

Secrets (tokens, signing secrets) come only from the environment or .env and are held as
SecretStr, so they never show up in a repr or a log line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
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

    accord_db: Path = DEFAULT_DB
    accord_as_of: str | None = None
    accord_tz: str = "UTC"
    # The dossier of a channel that follows none (default: the shipped default dossier).
    accord_dossier: str | None = None

    discord_token: SecretStr | None = None
    discord_api_base: str = "https://discord.com/api/v10"
    discord_guild_id: int | None = None

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_port: int = 3000
    slack_host: str = "0.0.0.0"
    # Slack user ids allowed to manage subscriptions besides workspace admins and owners.
    slack_admin_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Delivery: how many posts may be in flight at once per platform, and per second.
    delivery_concurrency: int = 20
    delivery_rate_per_second: float = 40.0
    # A daily digest missed while the bot was down is still delivered within this many hours.
    digest_grace_hours: int = 12

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

    @field_validator("slack_admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

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
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None and (
            self.slack_signing_secret is not None or self.slack_app_token is not None
        )

    def secrets(self) -> list[str]:
        """Every configured secret's value (for the log filter that redacts them)."""
        held = [getattr(self, name) for name, _ in type(self).model_fields.items()]
        return [s.get_secret_value() for s in held if isinstance(s, SecretStr)]

    @property
    def discord_enabled(self) -> bool:
        return self.discord_token is not None
