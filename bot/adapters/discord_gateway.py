"""Where the Discord adapter reaches into discord.py's gateway, and why.

discord.py ends the whole client when one gateway frame cannot be handled: orjson refuses
a lone surrogate escape (`"\\udcff"`) that the JSON standard allows, and a dispatch whose
data lacks a field raises from its parser. Neither is a reason to stop answering a
server, so this module makes frames tolerant, in one place a discord.py upgrade can check:

- `tolerant_loads` decodes what orjson refuses with the standard library and replaces
  lone surrogates, so such an interaction is answered instead of killing the gateway;
- `install` wraps `DiscordWebSocket.received_message` so a frame that still fails is
  logged in one line and dropped; the connection, its heartbeat and its resume go on.

`GatewayState` is what the adapter knows of its connection, for readiness checks.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import discord.utils
from discord.gateway import DiscordWebSocket, ReconnectWebSocket

log = logging.getLogger(__name__)

Receive = Callable[[DiscordWebSocket, Any], Coroutine[Any, Any, None]]
_LONE_SURROGATE = range(0xD800, 0xE000)


def _scrub(value: Any) -> Any:
    """`value` with every lone surrogate in its strings replaced by U+FFFD."""
    if isinstance(value, str):
        if any(ord(c) in _LONE_SURROGATE for c in value):
            return "".join("\ufffd" if ord(c) in _LONE_SURROGATE else c for c in value)
        return value
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    return value


def tolerant_loads(text: Any, fast: Callable[[Any], Any] = discord.utils._from_json) -> Any:
    """Decode a gateway frame: the fast decoder first, the standard library when it refuses.

    >>> tolerant_loads('{"name": "\\\\udcff"}')
    {'name': '\\ufffd'}
    """
    try:
        return fast(text)
    except ValueError:
        return _scrub(json.loads(text))


@dataclass
class GatewayState:
    """Whether every shard of the gateway is connected, and since when it is not."""

    shards: dict[int, bool] = field(default_factory=dict)
    lost_at: float | None = None
    restarts: int = 0

    @property
    def ready(self) -> bool:
        return bool(self.shards) and all(self.shards.values())

    def connected(self, shard: int) -> None:
        self.shards[shard] = True
        if self.ready:
            self.lost_at = None

    def lost(self, shard: int | None = None) -> None:
        for known in [shard] if shard is not None else list(self.shards):
            self.shards[known] = False
        if self.lost_at is None:
            self.lost_at = time.monotonic()

    def describe(self) -> str:
        if not self.shards:
            return "connecting"
        return "ready" if self.ready else "disconnected"


def reopen(client: discord.AutoShardedClient, shard_count: int | None) -> None:
    """Make a closed client ready for `login` and `connect` again.

    `clear()` is discord.py's way back from `close()`, but it keeps the HTTP connector
    that `close()` shut (so the next login would fail) and the shard count it learnt
    (with a count set it connects to its default gateway, not the one `GET /gateway/bot`
    at our API base names).
    """
    client.clear()
    client.http.connector = discord.utils.MISSING
    client.shard_count = shard_count  # type: ignore[assignment]  # None: ask the API


_installed = False


def install() -> None:
    """Make discord.py's gateway tolerant of frames it cannot handle (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    fast = discord.utils._from_json
    discord.utils._from_json = lambda text: tolerant_loads(text, fast)
    original: Receive = DiscordWebSocket.received_message

    async def received_message(ws: DiscordWebSocket, msg: Any, /) -> None:
        try:
            await original(ws, msg)
        except ReconnectWebSocket:
            raise  # discord.py's own signal to reconnect
        except Exception as err:
            log.warning(
                "dropped a Discord gateway frame that could not be handled (shard %s): %s: %s",
                ws.shard_id,
                type(err).__name__,
                str(err)[:200],
            )

    DiscordWebSocket.received_message = received_message  # type: ignore[method-assign]
