"""Where settings come from, in order: the environment, a git-ignored `.env`, then
`config/settings.toml`. The engine's `EngineEnv` and the runtime's `Settings` both read
these sources in this order (`Settings` through pydantic-settings' own sources, set up
in `bot.settings`), so `accord-bot store import`, `brief` and `run` see one database.

Kept light (no pydantic): `accord-bot brief` reads its settings through here.
"""

from __future__ import annotations

import os
import tomllib
from functools import cache
from pathlib import Path

from dotenv import dotenv_values

ENV_FILE = Path(".env")
SETTINGS_TOML = Path("config") / "settings.toml"


@cache
def _dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    return {k.lower(): v for k, v in dotenv_values(path).items() if v is not None}


@cache
def _toml(path: Path) -> dict[str, object]:
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        return {k.lower(): v for k, v in tomllib.load(handle).items()}


def setting(name: str) -> str | None:
    """One setting's raw text from the first source that has it (empty counts as unset).

    >>> import os; os.environ["ACCORD_EXAMPLE_SETTING"] = "x"; setting("accord_example_setting")
    'x'
    """
    found = os.environ.get(name.upper())
    if found:
        return found
    for source in (_dotenv(Path.cwd() / ENV_FILE), _toml(Path.cwd() / SETTINGS_TOML)):
        value = source.get(name.lower())
        if value not in (None, ""):
            return str(value)
    return None
