"""A fake Discord for tests and benchmarks: REST API and gateway on 127.0.0.1.

It speaks enough of Discord's API v10 for the real discord.py client to log in, fetch
the gateway from `GET /gateway/bot`, connect and identify, sync application commands,
receive INTERACTION_CREATE events that a test injects, and answer them (callbacks,
follow-ups, edits), and for channel messages to be posted (JSON or multipart). Every
request is recorded; message payloads are checked against Discord's embed limits and
rejected with 400 like Discord does; faults can be scripted per channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, WSMsgType, web

API = "/api/v10"
JSON_TYPE = "application/json"

APPLICATION_ID = 900000000000000001
BOT_USER_ID = 900000000000000002
GUILD_ID = 900000000000000100
CHANNEL_ID = 900000000000000200
USER_ID = 900000000000000300
CURATOR_ROLE_ID = 900000000000000400  # a role named "Curators" in the fake guild

# Permission bits (https://discord.com/developers/docs/topics/permissions)
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
SEND_MESSAGES = 1 << 11
EVERYONE = (1 << 10) | SEND_MESSAGES | (1 << 16)  # view channel, send, read history


@dataclass
class Recorded:
    """One request as it reached the fake."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None
    files: list[dict[str, Any]] = field(default_factory=list)
    at: float = 0.0  # time.perf_counter() when the request arrived


@dataclass
class Answer:
    """Something the bot sent for an interaction: a callback, a follow-up, an edit."""

    kind: str  # "callback" | "followup" | "edit" | "delete"
    payload: dict[str, Any]
    files: list[dict[str, Any]] = field(default_factory=list)
    at: float = 0.0  # when the request carrying it arrived

    @property
    def type(self) -> int | None:
        value = self.payload.get("type")
        return int(value) if value is not None else None

    @property
    def message(self) -> dict[str, Any] | None:
        """The message this answer carries, if any (callback type 4's data, a follow-up)."""
        if self.kind == "callback":
            data = self.payload.get("data")
            return data if self.type == 4 and isinstance(data, dict) else None
        return self.payload if self.kind in ("followup", "edit") else None

    @property
    def ephemeral(self) -> bool:
        data = self.payload.get("data") if self.kind == "callback" else self.payload
        return bool(isinstance(data, dict) and int(data.get("flags") or 0) & 64)


def modal_problems(data: dict[str, Any]) -> list[str]:
    """What Discord refuses in a modal: a title over 45, no custom_id, not 1 to 5 rows of
    one text input each, labels over 45, values over 4000."""
    problems = []
    if not data.get("custom_id"):
        problems.append("custom_id missing")
    if not 1 <= len(str(data.get("title") or "")) <= 45:
        problems.append("title must be 1 to 45 characters")
    rows = data.get("components") or []
    if not 1 <= len(rows) <= 5:
        problems.append(f"{len(rows)} components: a modal holds 1 to 5")
    for row in rows:
        inputs = row.get("components") or []
        if row.get("type") != 1 or len(inputs) != 1 or inputs[0].get("type") != 4:
            problems.append("each row must hold one text input")
            continue
        text_input = inputs[0]
        if not text_input.get("custom_id") or not 1 <= len(text_input.get("label", "")) <= 45:
            problems.append("a text input needs a custom_id and a label of 1 to 45 characters")
        if len(text_input.get("value") or "") > 4000:
            problems.append("a value is over 4000 characters")
    return problems


def embed_problems(payload: dict[str, Any]) -> list[str]:
    """What Discord would reject in a message payload (limits on content and embeds)."""
    problems: list[str] = []
    content = payload.get("content") or ""
    if len(content) > 2000:
        problems.append(f"content: {len(content)} > 2000")
    embeds = payload.get("embeds") or []
    if len(embeds) > 10:
        problems.append(f"embeds: {len(embeds)} > 10")
    total = 0
    for i, embed in enumerate(embeds):
        title = embed.get("title") or ""
        description = embed.get("description") or ""
        fields = embed.get("fields") or []
        footer = (embed.get("footer") or {}).get("text") or ""
        author = (embed.get("author") or {}).get("name") or ""
        for name, text, limit in (
            ("title", title, 256),
            ("description", description, 4096),
            ("footer", footer, 2048),
            ("author", author, 256),
        ):
            if len(text) > limit:
                problems.append(f"embeds.{i}.{name}: {len(text)} > {limit}")
        if len(fields) > 25:
            problems.append(f"embeds.{i}.fields: {len(fields)} > 25")
        for j, item in enumerate(fields):
            if not item.get("name") or not item.get("value"):
                problems.append(f"embeds.{i}.fields.{j}: name and value are required")
            if len(item.get("name") or "") > 256:
                problems.append(f"embeds.{i}.fields.{j}.name > 256")
            if len(item.get("value") or "") > 1024:
                problems.append(f"embeds.{i}.fields.{j}.value > 1024")
        total += len(title) + len(description) + len(footer) + len(author)
        total += sum(len(f.get("name") or "") + len(f.get("value") or "") for f in fields)
    if total > 6000:
        problems.append(f"embeds: {total} characters > 6000")
    return problems


def _user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
        "bot": bot,
        "flags": 0,
        "public_flags": 0,
    }


def _channel(channel_id: int, guild_id: int | None) -> dict[str, Any]:
    if guild_id is None:
        return {"id": str(channel_id), "type": 1, "recipients": [], "last_message_id": None}
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(guild_id),
        "name": "general",
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
    }


class FakeDiscord:
    """Start with `await fake.start()`; point discord.py at `fake.api_base`."""

    def __init__(self, *, token: str = "fake-bot-token", guild_ids: tuple[int, ...] = (GUILD_ID,)):
        self.token = token
        self.guild_ids = guild_ids
        self.requests: list[Recorded] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}  # "global" or guild id
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.answers: dict[str, list[Answer]] = {}  # by interaction token
        self._kinds: dict[str, int] = {}  # interaction type by interaction id
        self.created: dict[str, dict[str, Any]] = {}  # message made by a callback, by token
        self.faults: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.identified = 0
        self.identifies: list[tuple[int, int]] = []  # (shard id, shard count) per IDENTIFY
        self.dispatched_to: dict[str, list[int]] = {}  # interaction token -> shards sent to
        self.shards = 1
        self._ids = itertools.count(1_000_000_000_000_000_000)
        self._sockets: list[tuple[web.WebSocketResponse, list[int]]] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._current: dict[int, Recorded] = {}
        self.port = 0
        # Channel posts allowed per second across all channels (None: no limit); posts over
        # it get a 429 with retry_after and Via, as Discord's global limit answers.
        self.posts_per_second: float | None = None
        self.rate_limited = 0
        self._window, self._window_count = -1, 0
        # When set, READY waits for it (a gateway slow to let the bot in).
        self.ready_gate: asyncio.Event | None = None
        self.resumed = 0
        self.dm_channels: dict[str, str] = {}  # user id -> DM channel id
        self.posted_ids: dict[str, set[str]] = {}  # channel -> ids of the messages posted
        self.edits: list[tuple[str, str, dict[str, Any]]] = []  # PATCHed channel messages
        self.full_messages: dict[str, dict[str, Any]] = {}  # message objects posted, by id

    # -- life cycle ----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return self.base_url + API

    async def start(self) -> FakeDiscord:
        app = web.Application(middlewares=[self._record])
        r = app.router
        r.add_get(API + "/gateway/bot", self._gateway_bot)
        r.add_get(API + "/gateway", self._gateway_bot)
        r.add_get(API + "/users/@me", self._me)
        r.add_get(API + "/oauth2/applications/@me", self._application)
        r.add_get(API + "/applications/@me", self._application)
        commands = API + "/applications/{app}/commands"
        guild_commands = API + "/applications/{app}/guilds/{guild}/commands"
        r.add_put(commands, self._put_commands)
        r.add_get(commands, self._get_commands)
        r.add_put(guild_commands, self._put_commands)
        r.add_get(guild_commands, self._get_commands)
        r.add_post(API + "/interactions/{id}/{token}/callback", self._callback)
        r.add_post(API + "/webhooks/{app}/{token}", self._followup)
        r.add_patch(API + "/webhooks/{app}/{token}/messages/{message}", self._edit)
        r.add_delete(API + "/webhooks/{app}/{token}/messages/{message}", self._delete)
        r.add_post(API + "/channels/{channel}/messages", self._channel_message)
        r.add_patch(API + "/channels/{channel}/messages/{message}", self._edit_channel_message)
        r.add_post(API + "/users/@me/channels", self._open_dm)
        r.add_get("/gateway", self._gateway)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        for ws, _ in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- scripting -----------------------------------------------------------------------

    def fail(self, channel: int | str, status: int, body: dict[str, Any] | None = None) -> None:
        """The next post to `channel` fails with this status (queue several for a series)."""
        self.faults.setdefault(str(channel), []).append((status, body or {}))

    async def kick(self, code: int, message: str = "") -> None:
        """Close every gateway connection with a close code (4004: authentication failed)."""
        for ws, _ in list(self._sockets):
            await ws.close(code=code, message=message.encode())

    def stall(self, channel: int | str, seconds: float) -> None:
        """The next post to `channel` gets its answer only after `seconds` (then succeeds)."""
        self.fail(channel, 0, {"stall": seconds})

    def rate_limit(self, channel: int | str, retry_after: float = 0.05) -> None:
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": False,
        }
        self.fail(channel, 429, body)

    def requests_to(self, method: str, fragment: str) -> list[Recorded]:
        return [q for q in self.requests if q.method == method and fragment in q.path]

    def sent_messages(self) -> list[dict[str, Any]]:
        """Every message payload the bot sent: interaction answers and channel posts."""
        found = [a.message for answers in self.answers.values() for a in answers]
        found += [m for posted in self.messages.values() for m in posted]
        return [m for m in found if m]

    # -- interactions --------------------------------------------------------------------

    def _interaction(
        self,
        kind: int,
        data: dict[str, Any],
        *,
        guild_id: int | None,
        channel_id: int,
        permissions: int,
        user_id: int,
        roles: tuple[int, ...] = (),
    ) -> dict[str, Any]:
        interaction_id = next(self._ids)
        self._kinds[str(interaction_id)] = kind
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(APPLICATION_ID),
            "type": kind,
            "data": data,
            "token": f"itoken-{interaction_id}",
            "version": 1,
            "channel_id": str(channel_id),
            "channel": _channel(channel_id, guild_id),
            "locale": "en-US",
            "app_permissions": str(EVERYONE | (1 << 14) | (1 << 15)),
            "attachment_size_limit": 10 * 1024 * 1024,
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild_id or 0)},
            "context": 0 if guild_id else 1,
        }
        user = _user(user_id, "member")
        if guild_id is not None:
            payload["guild_id"] = str(guild_id)
            payload["guild_locale"] = "en-US"
            payload["guild"] = {"id": str(guild_id), "locale": "en-US", "features": []}
            payload["member"] = {
                "user": user,
                "roles": [str(r) for r in roles],
                "joined_at": "2020-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
                "nick": None,
                "permissions": str(permissions),
            }
        else:
            payload["user"] = user
        return payload

    async def inject(
        self,
        name: str,
        options: list[dict[str, Any]] | None = None,
        *,
        autocomplete: bool = False,
        guild_id: int | None = GUILD_ID,
        channel_id: int = CHANNEL_ID,
        permissions: int = EVERYONE,
        user_id: int = USER_ID,
        roles: tuple[int, ...] = (),
    ) -> str:
        """Send an application command (or autocomplete) interaction; return its token.

        `name` is the top-level command; `options` the nested subcommand options as
        Discord sends them, e.g. [{"type": 1, "name": "status", "options": []}].
        """
        scope = str(guild_id) if str(guild_id) in self.commands else "global"
        known = {c["name"]: c for c in self.commands.get(scope, [])}
        data = {
            "id": known[name]["id"] if name in known else str(next(self._ids)),
            "name": name,
            "type": 1,
            "options": options or [],
        }
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        payload = self._interaction(
            4 if autocomplete else 2,
            data,
            guild_id=guild_id,
            channel_id=channel_id,
            permissions=permissions,
            user_id=user_id,
            roles=roles,
        )
        self.answers[payload["token"]] = []
        self.dispatched_to[payload["token"]] = await self.dispatch("INTERACTION_CREATE", payload)
        return str(payload["token"])

    def modal(self, token: str) -> dict[str, Any]:
        """The modal the bot answered an interaction with (callback type 9)."""
        for answer in self.answers.get(token, []):
            if answer.kind == "callback" and answer.type == 9:
                return dict(answer.payload["data"])
        raise AssertionError(f"no modal in the answers to {token}")

    async def submit_modal(
        self,
        modal: dict[str, Any],
        values: dict[str, str],
        *,
        guild_id: int | None = GUILD_ID,
        channel_id: int = CHANNEL_ID,
        permissions: int = EVERYONE,
        user_id: int = USER_ID,
        roles: tuple[int, ...] = (),
    ) -> str:
        """A MODAL_SUBMIT (type 5) for a modal the bot sent: each text input's custom_id
        and value, in action rows as Discord sends them (untouched inputs keep their value)."""
        rows = []
        for row in modal["components"]:
            text_input = row["components"][0]
            value = values.get(text_input["custom_id"], text_input.get("value") or "")
            rows.append(
                {
                    "type": 1,
                    "components": [
                        {"type": 4, "custom_id": text_input["custom_id"], "value": value}
                    ],
                }
            )
        data = {"custom_id": modal["custom_id"], "components": rows}
        payload = self._interaction(
            5,
            data,
            guild_id=guild_id,
            channel_id=channel_id,
            permissions=permissions,
            user_id=user_id,
            roles=roles,
        )
        self.answers[payload["token"]] = []
        await self.dispatch("INTERACTION_CREATE", payload)
        return str(payload["token"])

    async def click(
        self,
        message: dict[str, Any],
        custom_id: str,
        *,
        guild_id: int | None = GUILD_ID,
        permissions: int = EVERYONE,
        user_id: int = USER_ID,
        roles: tuple[int, ...] = (),
    ) -> str:
        """A button click on a message the bot sent (MESSAGE_COMPONENT, type 3)."""
        data = {"custom_id": custom_id, "component_type": 2}
        payload = self._interaction(
            3,
            data,
            guild_id=guild_id,
            channel_id=int(message.get("channel_id") or CHANNEL_ID),
            permissions=permissions,
            user_id=user_id,
            roles=roles,
        )
        payload["message"] = message
        self.answers[payload["token"]] = []
        await self.dispatch("INTERACTION_CREATE", payload)
        return str(payload["token"])

    async def dispatch(self, event: str, data: dict[str, Any]) -> list[int]:
        """Send a gateway dispatch event to the shard that owns its guild (DMs: shard 0),
        as Discord does: `(guild_id >> 22) % shard_count`. Returns the shards it went to."""
        guild = int(data.get("guild_id") or 0)
        sent: list[int] = []
        for ws, seq in list(self._sockets):
            shard, count = seq[1], seq[2]
            if shard != ((guild >> 22) % count if guild else 0):
                continue
            seq[0] += 1
            await ws.send_str(json.dumps({"op": 0, "t": event, "s": seq[0], "d": data}))
            sent.append(shard)
        return sent

    async def wait_identified(self, count: int, timeout: float = 10.0) -> None:
        """Until `count` shards have identified and are connected."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(
                    lambda: len(self.identifies) >= count and len(self._sockets) >= count
                ),
                timeout,
            )

    async def send_raw(self, frame: str) -> None:
        """Send one gateway frame exactly as given (any text, valid JSON or not) to every shard."""
        for ws, _ in list(self._sockets):
            await ws.send_str(frame)

    def interaction_frame(self, name: str, options: list[dict[str, Any]]) -> tuple[str, str]:
        """An INTERACTION_CREATE frame as JSON text, and its token, for `send_raw`."""
        data = {"id": str(next(self._ids)), "name": name, "type": 1, "options": options}
        data["guild_id"] = str(GUILD_ID)
        payload = self._interaction(
            2, data, guild_id=GUILD_ID, channel_id=CHANNEL_ID, permissions=EVERYONE, user_id=USER_ID
        )
        self.answers[payload["token"]] = []
        frame = json.dumps({"op": 0, "t": "INTERACTION_CREATE", "s": None, "d": payload})
        return frame, str(payload["token"])

    async def wait_answers(self, token: str, count: int = 1, timeout: float = 5.0) -> list[Answer]:
        """The answers to one interaction, once there are at least `count`."""

        def enough() -> bool:
            return len(self.answers.get(token, [])) >= count

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(enough), timeout)
        return list(self.answers[token])

    async def wait_connected(self, timeout: float = 5.0) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: bool(self._sockets)), timeout)

    async def _note(self, token: str, answer: Answer, arrived: float | None = None) -> None:
        answer.at = arrived or time.perf_counter()
        async with self._changed:
            self.answers.setdefault(token, []).append(answer)
            self._changed.notify_all()

    # -- HTTP helpers --------------------------------------------------------------------

    @staticmethod
    def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        # discord.py compares the content type with ==, so no charset parameter.
        return web.Response(
            body=json.dumps(data).encode(),
            status=status,
            headers={"Content-Type": JSON_TYPE, **(headers or {})},
        )

    def _over_rate(self) -> bool:
        if self.posts_per_second is None:
            return False
        second = int(asyncio.get_running_loop().time())
        if second != self._window:
            self._window, self._window_count = second, 0
        self._window_count += 1
        return self._window_count > self.posts_per_second

    def _error(self, status: int, code: int, message: str) -> web.Response:
        return self._json({"code": code, "message": message}, status)

    @web.middleware
    async def _record(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        entry = Recorded(request.method, request.path, dict(request.query), dict(request.headers))
        entry.at = time.perf_counter()
        if request.content_type == JSON_TYPE and request.can_read_body:
            entry.json = await request.json()
        elif request.content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader):
                    continue
                body = await part.read()
                if part.name == "payload_json":
                    entry.json = json.loads(body)
                else:
                    entry.files.append(
                        {
                            "name": part.name,
                            "filename": part.filename,
                            "content_type": part.headers.get("Content-Type"),
                            "content": bytes(body),
                        }
                    )
        self.requests.append(entry)
        self._current[id(request)] = entry
        # Interaction callbacks and follow-ups authenticate by their token in the path.
        open_paths = (API + "/interactions/", API + "/webhooks/", "/gateway")
        authorized = request.headers.get("Authorization") == f"Bot {self.token}"
        if not request.path.startswith(open_paths) and not authorized:
            return self._error(401, 0, "401: Unauthorized")
        try:
            response: web.StreamResponse = await handler(request)
        finally:
            self._current.pop(id(request), None)
        return response

    def _message(
        self, channel_id: str, payload: dict[str, Any], files: list[dict[str, Any]]
    ) -> dict[str, Any]:
        message_id = str(next(self._ids))
        return {
            "id": message_id,
            "channel_id": channel_id,
            "type": 0,
            "content": payload.get("content") or "",
            "author": _user(BOT_USER_ID, "accord", bot=True),
            "embeds": payload.get("embeds") or [],
            "attachments": [
                {
                    "id": str(next(self._ids)),
                    "filename": f["filename"],
                    "size": len(f["content"]),
                    "url": f"{self.base_url}/attachments/{message_id}/{f['filename']}",
                    "proxy_url": f"{self.base_url}/attachments/{message_id}/{f['filename']}",
                }
                for f in files
            ],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": "2020-03-05T12:00:00+00:00",
            "edited_timestamp": None,
            "flags": int(payload.get("flags") or 0),
            "components": payload.get("components") or [],
            "nonce": payload.get("nonce"),
            "application_id": str(APPLICATION_ID),
            "webhook_id": str(APPLICATION_ID),
        }

    def _invalid(self, payload: dict[str, Any]) -> web.Response | None:
        problems = embed_problems(payload)
        if problems:
            return self._json(
                {"code": 50035, "message": "Invalid Form Body", "errors": problems}, 400
            )
        return None

    # -- REST ----------------------------------------------------------------------------

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        return self._json(
            {
                "url": f"ws://127.0.0.1:{self.port}/gateway",
                "shards": self.shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 14400000,
                    "max_concurrency": 1,
                },
            }
        )

    async def _me(self, request: web.Request) -> web.Response:
        return self._json(_user(BOT_USER_ID, "accord", bot=True))

    async def _application(self, request: web.Request) -> web.Response:
        return self._json(
            {
                "id": str(APPLICATION_ID),
                "name": "accord",
                "icon": None,
                "description": "",
                "rpc_origins": [],
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": _user(USER_ID, "owner"),
                "summary": "",
                "verify_key": "0" * 64,
                "team": None,
                "flags": 0,
            }
        )

    def _scope(self, request: web.Request) -> str:
        return request.match_info.get("guild", "global")

    async def _put_commands(self, request: web.Request) -> web.Response:
        scope = self._scope(request)
        body = self._current[id(request)].json or []
        stored = []
        for command in body:
            item = {
                **command,
                "id": str(next(self._ids)),
                "application_id": str(APPLICATION_ID),
                "version": str(next(self._ids)),
            }
            if scope != "global":
                item["guild_id"] = scope
            stored.append(item)
        self.commands[scope] = stored
        return self._json(stored)

    async def _get_commands(self, request: web.Request) -> web.Response:
        return self._json(self.commands.get(self._scope(request), []))

    async def _callback(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        recorded: Recorded = self._current[id(request)]
        payload = recorded.json or {}
        kind = int(payload.get("type", 0))
        data = payload.get("data") or {}
        if kind == 4 and (invalid := self._invalid(data)):
            return invalid
        if kind == 9 and (problems := modal_problems(data)):
            return self._json(
                {"code": 50035, "message": "Invalid Form Body", "errors": problems}, 400
            )
        if any(a.kind == "callback" for a in self.answers.get(token, [])):
            return self._error(400, 40060, "Interaction has already been acknowledged.")
        await self._note(token, Answer("callback", payload, recorded.files), recorded.at)
        interaction = {
            "id": request.match_info["id"],
            "type": self._kinds.get(request.match_info["id"], 2),
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool(int(data.get("flags") or 0) & 64),
        }
        if kind in (4, 5):
            message = self._message(str(CHANNEL_ID), data if kind == 4 else {}, recorded.files)
            self.created[token] = message
            interaction["response_message_id"] = message["id"]
            return self._json(
                {"interaction": interaction, "resource": {"type": kind, "message": message}}
            )
        return self._json({"interaction": interaction, "resource": {"type": kind}})

    async def _followup(self, request: web.Request) -> web.Response:
        recorded: Recorded = self._current[id(request)]
        payload = recorded.json or {}
        if invalid := self._invalid(payload):
            return invalid
        await self._note(request.match_info["token"], Answer("followup", payload, recorded.files))
        return self._json(self._message(str(CHANNEL_ID), payload, recorded.files))

    async def _edit(self, request: web.Request) -> web.Response:
        recorded: Recorded = self._current[id(request)]
        payload = recorded.json or {}
        if invalid := self._invalid(payload):
            return invalid
        await self._note(request.match_info["token"], Answer("edit", payload, recorded.files))
        return self._json(self._message(str(CHANNEL_ID), payload, recorded.files))

    async def _delete(self, request: web.Request) -> web.Response:
        await self._note(request.match_info["token"], Answer("delete", {}))
        return web.Response(status=204)

    async def _open_dm(self, request: web.Request) -> web.Response:
        """POST /users/@me/channels: the DM channel with `recipient_id` (one per user)."""
        recipient = str((await request.json())["recipient_id"])
        channel = self.dm_channels.setdefault(recipient, str(next(self._ids)))
        return self._json(
            {
                "id": channel,
                "type": 1,
                "last_message_id": None,
                "recipients": [_user(int(recipient), "someone")],
            }
        )

    async def _channel_message(self, request: web.Request) -> web.Response:
        channel = request.match_info["channel"]
        recorded: Recorded = self._current[id(request)]
        queue = self.faults.get(channel)
        if queue and queue[0][0] == 0:
            await asyncio.sleep(queue.pop(0)[1]["stall"])
        elif queue:
            status, body = queue.pop(0)
            headers = {"Via": "1.1 google"} if status == 429 else {}
            if status == 429:
                headers["Retry-After"] = str(body.get("retry_after", 1))
                headers["X-RateLimit-Scope"] = "user"
            return self._json(body or {"code": 0, "message": f"{status}"}, status, headers)
        payload = recorded.json or {}
        if invalid := self._invalid(payload):
            return invalid
        if self._over_rate():
            self.rate_limited += 1
            wait = 1 - (asyncio.get_running_loop().time() % 1)
            body = {
                "message": "You are being rate limited.",
                "retry_after": round(wait, 3),
                "global": True,
            }
            headers = {
                "Via": "1.1 google",
                "Retry-After": str(wait),
                "X-RateLimit-Global": "true",
                "X-RateLimit-Scope": "global",
            }
            return self._json(body, 429, headers)
        posted = self.messages.setdefault(channel, [])
        nonce = payload.get("nonce")
        if nonce is not None and payload.get("enforce_nonce"):
            for earlier in posted:
                if earlier.get("nonce") == nonce:
                    return self._json(self._message(channel, earlier, []))
        message = self._message(channel, payload, recorded.files)
        posted.append({**payload, "_files": recorded.files, "_id": message["id"]})
        self.posted_ids.setdefault(channel, set()).add(message["id"])
        self.full_messages[message["id"]] = message
        return self._json(message)

    async def _edit_channel_message(self, request: web.Request) -> web.Response:
        """PATCH a message the bot posted: recorded in `edits` as (channel, message, payload)."""
        channel, message = request.match_info["channel"], request.match_info["message"]
        recorded: Recorded = self._current[id(request)]
        payload = recorded.json or {}
        if message not in self.posted_ids.get(channel, set()):
            return self._error(404, 10008, "Unknown Message")
        if invalid := self._invalid(payload):
            return invalid
        self.edits.append((channel, message, payload))
        return self._json({**self._message(channel, payload, []), "id": message})

    # -- gateway -------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        seq = [0, 0, 1]  # last sequence number sent, shard id, shard count
        await ws.send_str(
            json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        )
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op = frame.get("op")
                if op == 1:
                    await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
                elif op == 2:
                    await self._identify(ws, seq, frame["d"])
                elif op == 6:
                    self.resumed += 1
                    seq[0] += 1
                    await ws.send_str(json.dumps({"op": 0, "t": "RESUMED", "s": seq[0], "d": {}}))
                    async with self._changed:
                        self._sockets.append((ws, seq))
                        self._changed.notify_all()
        finally:
            with contextlib.suppress(ValueError):
                self._sockets.remove((ws, seq))
        return ws

    async def _identify(
        self, ws: web.WebSocketResponse, seq: list[int], data: dict[str, Any]
    ) -> None:
        if data.get("token") not in (self.token, f"Bot {self.token}"):
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        self.identified += 1
        if self.ready_gate is not None:
            await self.ready_gate.wait()
        shard = data.get("shard") or [0, 1]
        seq[1:] = [int(shard[0]), int(shard[1])]
        self.identifies.append((seq[1], seq[2]))
        ready = {
            "v": 10,
            "user": _user(BOT_USER_ID, "accord", bot=True),
            "guilds": [
                {"id": str(g), "unavailable": True}
                for g in self.guild_ids
                if (g >> 22) % seq[2] == seq[1]
            ],
            "session_id": f"session-{self.identified}",
            "resume_gateway_url": f"ws://127.0.0.1:{self.port}/gateway",
            "application": {"id": str(APPLICATION_ID), "flags": 0},
            "shard": shard,
            "private_channels": [],
            "relationships": [],
        }
        seq[0] += 1
        await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": seq[0], "d": ready}))
        for guild_id in self.guild_ids:
            if (guild_id >> 22) % seq[2] != seq[1]:
                continue
            seq[0] += 1
            guild = {
                "id": str(guild_id),
                "name": "Accord test server",
                "unavailable": False,
                "member_count": 2,
                "owner_id": str(USER_ID),
                "features": [],
                "roles": [
                    {
                        "id": str(guild_id),
                        "name": "@everyone",
                        "permissions": str(EVERYONE),
                        "position": 0,
                        "color": 0,
                        "hoist": False,
                        "managed": False,
                        "mentionable": False,
                        "flags": 0,
                    },
                    {
                        "id": str(CURATOR_ROLE_ID),
                        "name": "Curators",
                        "permissions": "0",
                        "position": 1,
                        "color": 0,
                        "hoist": False,
                        "managed": False,
                        "mentionable": False,
                        "flags": 0,
                    },
                ],
                "channels": [_channel(CHANNEL_ID, guild_id)],
                "threads": [],
                "members": [],
                "voice_states": [],
                "presences": [],
                "emojis": [],
                "stickers": [],
                "stage_instances": [],
                "guild_scheduled_events": [],
                "soundboard_sounds": [],
                "large": False,
                "joined_at": "2020-01-01T00:00:00+00:00",
            }
            await ws.send_str(json.dumps({"op": 0, "t": "GUILD_CREATE", "s": seq[0], "d": guild}))
        async with self._changed:
            self._sockets.append((ws, seq))
            self._changed.notify_all()
