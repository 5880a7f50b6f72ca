"""A fake Slack on 127.0.0.1: the Web API methods the bot calls, response_urls, uploads.

Every request is recorded, with the token it carried; each token belongs to one
workspace (`fake.install(team, token)` adds one), and `oauth.v2.access` exchanges the
codes `fake.grant(code, team)` hands out for that workspace's new bot token, checking
the app's client id and secret as Slack does. Faults are scripted per method and channel:
`fake.fail("chat.postMessage", channel="C1", times=2, status=429, retry_after=0)` makes
the next two matching calls answer 429, `fake.fail(..., error="is_archived")` answers
`{"ok": false, "error": "is_archived"}`.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
TEAM = "T0001"
BOT_USER = "U0BOT"
CLIENT_ID = "1111.2222"
CLIENT_SECRET = "fake-client-secret"
# Methods Slack answers without a bot token.
NO_TOKEN = frozenset({"oauth.v2.access"})


@dataclass
class Recorded:
    method: str
    params: dict[str, Any]
    token: str | None = None


@dataclass
class Fault:
    method: str
    channel: str | None
    times: int
    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    delay: float = 0.0
    skip: int = 0


@dataclass
class Posted:
    channel: str
    ts: str
    params: dict[str, Any]
    at: float = field(default_factory=time.perf_counter)  # when it arrived


class SlackFault(Exception):
    """A Web API method refusing its arguments, as Slack does: ok false and an error code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class OpenedView:
    trigger_id: str
    view: dict[str, Any]


@dataclass
class FakeSlack:
    """Start with `await fake.start()`; `fake.api_url` is the SLACK_API_URL to use."""

    tokens: set[str] = field(default_factory=lambda: {BOT_TOKEN, APP_TOKEN})
    # The workspace each bot token belongs to (auth.test answers with it).
    teams: dict[str, str] = field(default_factory=lambda: {BOT_TOKEN: TEAM})
    # OAuth codes not yet exchanged: code -> (team id, the bot token it will give).
    grants: dict[str, tuple[str, str]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    uploads: list[bytes] = field(default_factory=list)
    messages: list[Posted] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    views: list[OpenedView] = field(default_factory=list)  # views.open calls accepted
    ephemeral: list[Posted] = field(default_factory=list)  # chat.postEphemeral
    updates: list[Posted] = field(default_factory=list)  # chat.update calls accepted
    expired_triggers: set[str] = field(default_factory=set)
    port: int = 0
    # Seconds to hold the answer to an accepted chat.postMessage (the message is already
    # recorded): widens the window in which a bot can die between post and ledger.
    post_delay: float = 0.0
    # chat.postMessage calls allowed per second, like Slack's own limits: more get 429.
    rate_limit: float | None = None
    rate_limited: int = 0
    # False: accept response_url posts without parsing or keeping them (the bench).
    keep_responses: bool = True
    response_event: asyncio.Event = field(default_factory=asyncio.Event)
    # Socket Mode: the open WebSocket connections and what the app sent back on them.
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    socket_acks: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._window, self._window_count = -1, 0
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{hook}", self._respond)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        self._app = app

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> FakeSlack:
        self._runner = web.AppRunner(self._app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, hook: str = "hook") -> str:
        return f"{self.base}/respond/{hook}"

    # -- scripting -------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        channel: str | None = None,
        times: int = 1,
        status: int = 200,
        error: str | None = None,
        retry_after: int | None = None,
        delay: float = 0.0,
        skip: int = 0,
    ) -> None:
        """Make the next `times` matching calls fail, after letting `skip` of them through."""
        fault = Fault(method, channel, times, status, error, retry_after, delay, skip)
        self.faults.append(fault)

    def install(self, team: str, token: str) -> None:
        """A workspace with a valid bot token."""
        self.tokens.add(token)
        self.teams[token] = team

    def grant(self, code: str, team: str) -> str:
        """An OAuth code that oauth.v2.access turns into a new bot token for `team`."""
        token = f"xoxb-{team}-{next(self._ts)}"
        self.grants[code] = (team, token)
        return token

    def revoke(self, team: str) -> None:
        """Every bot token of a workspace stops working (as after an uninstall)."""
        for token, owner in list(self.teams.items()):
            if owner == team:
                self.tokens.discard(token)

    def calls(self, method: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method]

    async def wait_responses(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        async def wait() -> None:
            while len(self.responses) < count:
                self.response_event.clear()
                await self.response_event.wait()

        await asyncio.wait_for(wait(), timeout)
        return self.responses

    def _fault(self, method: str, channel: str | None) -> Fault | None:
        for fault in self.faults:
            if fault.method == method and fault.channel in (None, channel) and fault.times > 0:
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                fault.times -= 1
                return fault
        return None

    # -- handlers --------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        body = await request.read()
        if body:
            if request.content_type == "application/json":
                params.update(json.loads(body))
            else:
                params.update(parse_qsl(body.decode()))
        return params

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params = await self._params(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") or params.get("token")
        self.requests.append(Recorded(method, params, token))
        fault = self._fault(method, params.get("channel") or params.get("channel_id"))
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status != 200:
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = str(fault.retry_after)
                if fault.status == 429:
                    return web.json_response(
                        {"ok": False, "error": "ratelimited"}, status=429, headers=headers
                    )
                return web.Response(status=fault.status, text="server error", headers=headers)
            if fault.error:
                return web.json_response({"ok": False, "error": fault.error})
        if method in NO_TOKEN:
            return web.json_response(self._oauth_v2_access(request, params))
        if token not in self.tokens:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if method == "auth.test":
            return web.json_response({"ok": True, **self._auth_test(str(token))})
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        if method == "chat.postMessage" and self._over_rate():
            self.rate_limited += 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
            )
        try:
            data: dict[str, Any] = handler(params)
        except SlackFault as fault_error:
            return web.json_response({"ok": False, "error": fault_error.code})
        if method == "chat.postMessage" and self.post_delay:
            await asyncio.sleep(self.post_delay)
        return web.json_response({"ok": True, **data})

    def _over_rate(self) -> bool:
        """A fixed one-second window, as Slack counts its per-minute tiers."""
        if self.rate_limit is None:
            return False
        second = int(asyncio.get_running_loop().time())
        if second != self._window:
            self._window, self._window_count = second, 0
        self._window_count += 1
        return self._window_count > self.rate_limit

    def _auth_test(self, token: str) -> dict[str, Any]:
        team = self.teams.get(token, TEAM)
        return {"team_id": team, "user_id": BOT_USER, "bot_id": "B0BOT", "team": "Test"}

    def _oauth_v2_access(self, request: web.Request, params: dict[str, Any]) -> dict[str, Any]:
        client_id, client_secret = params.get("client_id"), params.get("client_secret")
        basic = request.headers.get("Authorization", "")
        if basic.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
        if (client_id, client_secret) != (CLIENT_ID, CLIENT_SECRET):
            return {"ok": False, "error": "invalid_client_id"}
        grant = self.grants.pop(str(params.get("code")), None)
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        team, token = grant
        self.install(team, token)
        return {
            "ok": True,
            "app_id": "A0APP",
            "authed_user": {"id": "U0INSTALLER"},
            "scope": "commands,chat:write,users:read,files:write,channels:history",
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": BOT_USER,
            "team": {"id": team, "name": f"Workspace {team}"},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _m_apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": f"ws://127.0.0.1:{self.port}/socket"}

    def _m_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = {"id": params.get("user"), "is_admin": False, "is_owner": False}
        user.update(self.users.get(str(params.get("user")), {}))
        return {"user": user}

    def _m_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params["channel"])
        ts = f"1583400000.{next(self._ts):06d}"
        self.messages.append(Posted(channel, ts, params))
        return {"channel": channel, "ts": ts, "message": {"text": params.get("text")}}

    def _m_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        """Like Slack: the message must exist (channel and ts of a chat.postMessage)."""
        channel, ts = str(params.get("channel") or ""), str(params.get("ts") or "")
        if not any(m.channel == channel and m.ts == ts for m in self.messages):
            raise SlackFault("message_not_found")
        self.updates.append(Posted(channel, ts, params))
        return {"channel": channel, "ts": ts, "text": params.get("text")}

    def _m_views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        """Like Slack: a trigger_id and a modal view are required; the view comes back."""
        trigger = params.get("trigger_id")
        raw = params.get("view")
        view = json.loads(raw) if isinstance(raw, str) else raw
        if not trigger:
            raise SlackFault("invalid_arguments")
        if trigger in self.expired_triggers:
            raise SlackFault("expired_trigger_id")
        if not isinstance(view, dict) or view.get("type") != "modal":
            raise SlackFault("invalid_arguments")
        if len(view.get("title", {}).get("text", "")) > 24 or len(view.get("blocks", [])) > 100:
            raise SlackFault("invalid_arguments")
        self.views.append(OpenedView(str(trigger), view))
        return {"view": {**view, "id": f"V{next(self._ts):06d}", "state": {"values": {}}}}

    def _m_chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("user") or not params.get("channel"):
            raise SlackFault("invalid_arguments")
        self.ephemeral.append(Posted(str(params["channel"]), "", params))
        return {"message_ts": f"1583400000.{next(self._ts):06d}"}

    def _m_conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        user = str(params.get("users", ""))
        return {"channel": {"id": "D" + user.removeprefix("U"), "is_im": True}}

    def _m_conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params["channel"])
        limit = int(params.get("limit", 100))
        with_metadata = str(params.get("include_all_metadata")).lower() in ("1", "true")
        found = []
        for posted in reversed(self.messages):
            if posted.channel != channel:
                continue
            message: dict[str, Any] = {"type": "message", "ts": posted.ts}
            metadata = posted.params.get("metadata")
            if with_metadata and metadata:
                message["metadata"] = (
                    json.loads(metadata) if isinstance(metadata, str) else metadata
                )
            found.append(message)
        return {"messages": found[:limit], "has_more": len(found) > limit}

    def _m_files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._ts):06d}"
        return {"upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        files = params.get("files")
        items = json.loads(files) if isinstance(files, str) else files or []
        return {"files": [{"id": f["id"], "title": f.get("title")} for f in items]}

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(Recorded("upload", {"file_id": request.match_info["file_id"]}))
        self.uploads.append(body)
        return web.Response(text="OK - " + str(len(body)))

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.sockets.append(socket)
        hello = {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0APP"}}
        await socket.send_json(hello)
        async for message in socket:
            if message.type == aiohttp.WSMsgType.TEXT:
                self.socket_acks.append(json.loads(message.data))
        self.sockets.remove(socket)
        return socket

    async def send_envelope(self, kind: str, payload: dict[str, Any]) -> str:
        """Push an event to the connected Socket Mode app; returns its envelope id."""
        envelope_id = f"env-{next(self._ts)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": True,
        }
        await self.sockets[-1].send_json(envelope)
        return envelope_id

    async def _respond(self, request: web.Request) -> web.StreamResponse:
        if not self.keep_responses:
            await request.read()
            return web.Response(text="ok")
        payload = await request.json()
        self.requests.append(Recorded("respond", payload))
        self.responses.append(payload)
        self.response_event.set()
        return web.Response(text="ok")


async def serve_forever(keep_responses: bool) -> None:
    """Run the fake on its own (the bench runs it in a separate process, as Slack is)."""
    fake = await FakeSlack(keep_responses=keep_responses).start()
    print(fake.port, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    import sys

    asyncio.run(serve_forever(keep_responses="--sink" not in sys.argv))
