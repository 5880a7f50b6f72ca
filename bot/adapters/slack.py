"""Slack: `/accord` on Bolt's AsyncApp (HTTP or Socket Mode), and the Slack Poster.

The adapter is a thin edge: a slash command becomes a `Command` and a `Caller`, the
shared dispatcher answers with a `Reply`, and the reply becomes Block Kit messages sent
through the command's response_url (what Bolt's respond() sends, over pooled
connections). `ack()` always comes first, so Slack hears back within its 3 seconds
however slow the answer is.

    adapter = SlackAdapter(Settings(), dispatcher, store)
    await adapter.start()   # raises AdapterError when auth.test rejects the token
    ...
    await adapter.stop()

With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET instead of SLACK_BOT_TOKEN it serves many
workspaces: Bolt's OAuth flow installs the app (`GET /slack/install`, `GET
/slack/oauth_redirect`, beside `POST /slack/events`), installations and OAuth states are
kept in the store (`bot.installations`), and every answer and post uses its workspace's
token. `app_uninstalled` and `tokens_revoked` remove that workspace's installation (or
token) and pause its subscriptions.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters import AdapterError
from bot.adapters.rendered import RenderCache
from bot.adapters.slack_blocks import Payload, escape, message_payloads, reply_text, text_payload
from bot.adapters.slack_forms import CALLBACK_ID, field_errors, modal, submitted
from bot.adapters.slack_review import SlackReview
from bot.commands import (
    CURATING,
    MANAGING,
    Caller,
    CommandError,
    Dispatcher,
    Reply,
    author_of,
    origin_of,
    parse_text,
    reply_for,
)
from bot.delivery import Attachment, PostResult, Target
from bot.installations import InstallationStore, OAuthStateStore
from bot.settings import Settings
from bot.subscriptions import Subscriptions
from briefings.changes import FieldProblem
from briefings.document import Briefing
from briefings.lru import LRU
from briefings.store import Store

log = logging.getLogger(__name__)

PLATFORM = "slack"
EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# The bot scopes the install asks for (as in config/slack-manifest.yaml).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "users:read",
    "files:write",
    "channels:history",
    "groups:history",
)
UNINSTALLED = "the app was uninstalled from this Slack workspace"
REVOKED = "the bot token for this Slack workspace was revoked"
NOT_INSTALLED = "the app is not installed in this Slack workspace (reinstall it)"
METADATA_TYPE = "accord_delivery"
HISTORY_LIMIT = 50
ADMIN_CACHE_SECONDS = 60.0
API_TIMEOUT = 15
# A 429 asking to wait longer than this is handed back to the scheduler instead of
# holding a delivery slot while sleeping.
RATE_LIMIT_WAIT = 3.0
RENDER_CACHE = 64
RESPOND_TIMEOUT = aiohttp.ClientTimeout(total=API_TIMEOUT)
JSON_HEADERS = {"Content-Type": "application/json;charset=utf-8"}

GONE = {
    "channel_not_found": "the channel no longer exists or the bot cannot see it",
    "is_archived": "the channel is archived",
    "not_in_channel": "the bot is not in the channel; /invite the bot to the channel",
    "restricted_action": "posting is restricted in this channel",
    "team_access_not_granted": "the bot has no access to this workspace",
}
FATAL = {
    "invalid_auth": "Slack rejected SLACK_BOT_TOKEN (invalid_auth)",
    "token_revoked": "the Slack bot token was revoked (token_revoked)",
    "account_inactive": "the Slack app or its workspace is inactive (account_inactive)",
    "not_authed": "no Slack bot token was sent (not_authed)",
    "missing_scope": "the Slack app lacks a scope it needs (missing_scope)",
}

Respond = Callable[..., Awaitable[Any]]


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            if isinstance(value, list | tuple):
                return str(value[0]) if value else None
            return str(value)
    return None


def retry_after(headers: Mapping[str, Any] | None, default: float = 1.0) -> float:
    """Seconds from a Retry-After header (Slack sends whole seconds)."""
    value = _header(headers, "Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else default
    except ValueError:
        return default


class ShortRateLimitRetry(AsyncRateLimitErrorRetryHandler):
    """Retry a 429 once in place when Slack asks for a short wait; longer waits go back
    to the caller (the scheduler retries later)."""

    def __init__(self, max_wait: float = RATE_LIMIT_WAIT) -> None:
        super().__init__(max_retry_count=1)
        self.max_wait = max_wait

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        return retry_after(response.headers) <= self.max_wait


def make_client(token: str | None, base_url: str) -> AsyncWebClient:
    """The Web API client: SLACK_API_URL as its base, retrying 429s and dropped connections."""
    handlers: list[AsyncRetryHandler] = [AsyncConnectionErrorRetryHandler(), ShortRateLimitRetry()]
    return AsyncWebClient(
        token=token, base_url=base_url, timeout=API_TIMEOUT, retry_handlers=handlers
    )


def _error_code(err: SlackApiError) -> str | None:
    data = getattr(err.response, "data", None)
    return str(data.get("error")) if isinstance(data, dict) and data.get("error") else None


def classify(err: Exception) -> PostResult:
    """What a failed Web API call means for a delivery."""
    if isinstance(err, SlackApiError):
        status = int(getattr(err.response, "status_code", 0) or 0)
        code = _error_code(err)
        headers = getattr(err.response, "headers", None)
        if status == 429 or code == "ratelimited":
            return PostResult("retry", "rate limited by Slack", retry_after(headers))
        if status >= 500:
            return PostResult("retry", f"Slack answered HTTP {status}", retry_after(headers, 5.0))
        if code in GONE:
            return PostResult("gone", f"{code}: {GONE[code]}")
        if code in FATAL:
            return PostResult("fatal", FATAL[code])
        return PostResult("retry", f"Slack refused the post ({code or status})", 60.0)
    if isinstance(err, TimeoutError):
        return PostResult("retry", "timed out talking to Slack", 5.0)
    if isinstance(err, aiohttp.ClientError):
        return PostResult("retry", f"could not reach Slack ({type(err).__name__})", 5.0)
    raise err


class SlackPoster:
    """Posts briefings to Slack channels with chat.postMessage.

    Every message carries the delivery key in its metadata, so `was_posted` can find it
    again in conversations.history after a crash.
    """

    platform = PLATFORM

    def __init__(
        self, client: AsyncWebClient, installations: InstallationStore | None = None
    ) -> None:
        self.client = client
        # Multi-workspace mode: each workspace's token from its installation.
        self.installations = installations
        self._clients: dict[str, AsyncWebClient] = {}
        self._payloads = RenderCache(message_payloads)

    def client_for(self, workspace: str) -> AsyncWebClient | None:
        """The Web API client for a workspace (None: the app is not installed there)."""
        if self.installations is None:
            return self.client
        token = self.installations.bot_token(workspace)
        if token is None:
            return None
        client = self._clients.get(token)
        if client is None:
            if len(self._clients) > 1000:
                self._clients.clear()
            client = make_client(token, self.client.base_url)
            self._clients[token] = client
        client.session = self.client.session
        return client

    @staticmethod
    def metadata(key: str, part: int = 1, parts: int = 1) -> dict[str, Any]:
        payload: dict[str, Any] = {"key": key}
        if parts > 1:
            payload.update(part=part, parts=parts)
        return {"event_type": METADATA_TYPE, "event_payload": payload}

    async def post(
        self,
        target: Target,
        briefing: Briefing,
        *,
        key: str,
        attachment: Attachment | None = None,
    ) -> PostResult:
        client = self.client_for(target.workspace)
        if client is None:
            return PostResult("gone", NOT_INSTALLED)
        payloads = self._payloads(briefing)
        first_ts: str | None = None
        posted = 0
        try:
            for number, payload in enumerate(payloads, start=1):
                response = await client.chat_postMessage(
                    channel=target.channel,
                    text=payload["text"],
                    blocks=payload["blocks"],
                    metadata=self.metadata(key, number, len(payloads)),
                    unfurl_links=False,
                    unfurl_media=False,
                )
                first_ts = first_ts or str(response.get("ts") or "") or None
                posted = number
            if attachment is not None:
                await upload(client, target.channel, attachment)
        except (SlackApiError, TimeoutError, aiohttp.ClientError) as err:
            result = classify(err)
            if result.status == "fatal" and self.installations is not None:
                # One workspace's token, not the whole platform: pause that channel.
                result = PostResult("gone", result.reason)
            log.warning("slack post to %s failed: %s", target.channel, result.reason)
            if posted == 0:
                return result
            # Part of it is in the channel already: posting it again would repeat that
            # part, so the delivery counts as made, with what went missing.
            missing = "the file" if posted == len(payloads) else "the rest"
            reason = f"posted {posted} of {len(payloads)} messages; {missing} failed: "
            return PostResult("delivered", reason + result.reason, message_id=first_ts)
        return PostResult.delivered(first_ts)

    async def direct_message(self, workspace: str, user: str, text: str) -> bool:
        """A private message to a user: conversations.open, then chat.postMessage."""
        try:
            opened = await self.client.conversations_open(users=user)
            channel = (opened.get("channel") or {}).get("id")
            if not channel:
                return False
            await self.client.chat_postMessage(channel=channel, text=text, unfurl_links=False)
        except (SlackApiError, TimeoutError, aiohttp.ClientError) as err:
            log.warning("could not send a direct message to %s: %s", user, err)
            return False
        return True

    async def was_posted(self, target: Target, key: str) -> bool | None:
        """True when a recent message in the channel carries this delivery key."""
        client = self.client_for(target.workspace)
        if client is None:
            return None
        try:
            response = await client.conversations_history(
                channel=target.channel, include_all_metadata=True, limit=HISTORY_LIMIT
            )
        except (SlackApiError, TimeoutError, aiohttp.ClientError) as err:
            log.warning("slack history for %s unavailable: %s", target.channel, err)
            return None
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") != METADATA_TYPE:
                continue
            if (metadata.get("event_payload") or {}).get("key") == key:
                return True
        return False


async def upload(
    client: AsyncWebClient, channel: str, attachment: Attachment, comment: str | None = None
) -> None:
    """Upload a chart or calendar file to a channel (files.getUploadURLExternal flow)."""
    await client.files_upload_v2(
        channel=channel,
        file=attachment.content,
        filename=attachment.filename,
        title=attachment.title or attachment.filename,
        initial_comment=comment or None,
    )


def in_dm(command: Mapping[str, Any]) -> bool:
    channel = str(command.get("channel_id") or "")
    return command.get("channel_name") == "directmessage" or channel.startswith("D")


class SlackAdapter:
    """`/accord` for one Slack workspace.

    HTTP mode serves `POST /slack/events` on settings.slack_host:slack_port (port 0
    picks a free port; `port` holds the bound one after start). With SLACK_APP_TOKEN
    set it uses Socket Mode instead and opens no port.
    """

    platform = PLATFORM

    def __init__(self, settings: Settings, dispatcher: Dispatcher, store: Store) -> None:
        self.multi = settings.slack_multi_workspace
        app_token = settings.slack_app_token
        secret = settings.slack_signing_secret
        if self.multi:
            if settings.slack_client_secret is None or secret is None:
                raise AdapterError(
                    "SLACK_CLIENT_ID needs SLACK_CLIENT_SECRET and SLACK_SIGNING_SECRET"
                )
            app_token = None  # installs arrive over HTTP: no Socket Mode
        elif settings.slack_bot_token is None:
            raise AdapterError("SLACK_BOT_TOKEN is not set")
        if app_token is None and secret is None:
            raise AdapterError("set SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN")
        self.settings = settings
        self.dispatcher = dispatcher
        self.store = store
        self.mode = "socket" if app_token is not None else "http"
        token = settings.slack_bot_token
        self.client = make_client(
            token.get_secret_value() if token else None, settings.slack_api_url
        )
        self.installations: InstallationStore | None = None
        self.subscriptions = Subscriptions(store.db)
        options: dict[str, Any] = {}
        if self.multi:
            self.installations = InstallationStore(store.db)
            options = self._oauth_options()
        self.poster = SlackPoster(self.client, self.installations)
        self.app = AsyncApp(
            client=self.client,
            signing_secret=secret.get_secret_value() if secret else "",
            process_before_response=False,
            logger=logging.getLogger("slack_bolt"),
            **options,
        )
        self.app.command("/accord")(self.on_command)
        self.app.view(CALLBACK_ID)(self.on_form_submit)
        if self.multi:
            self.app.event("app_uninstalled")(self.on_app_uninstalled)
            self.app.event("tokens_revoked")(self.on_tokens_revoked)
        self._verifier = SignatureVerifier(secret.get_secret_value()) if secret else None
        self.host = settings.slack_host
        self.port: int | None = None
        self.team_id: str | None = None
        self.bot_user_id: str | None = None
        self._admins = set(settings.slack_admin_ids)
        self._curators = set(settings.slack_curator_ids)
        self._admin_cache: dict[str, tuple[bool, float]] = {}
        self._runner: web.AppRunner | None = None
        # More (method, path, handler) routes for the HTTP-mode server (operators' endpoints).
        self.extra_routes: list[tuple[str, str, Any]] = []
        self._socket: AsyncSocketModeHandler | None = None
        self._session: aiohttp.ClientSession | None = None
        self._rendered: LRU[tuple[int, bool], tuple[Briefing, list[Outgoing]]] = LRU(RENDER_CACHE)
        review = dispatcher.curation.review if dispatcher.curation is not None else None
        if review is not None and settings.slack_review_channel:
            SlackReview(self, review, settings.slack_review_channel)

    def session(self) -> aiohttp.ClientSession | None:
        """The pooled HTTP session the Web API calls share (None before start)."""
        return self._session

    def _oauth_options(self) -> dict[str, Any]:
        """AsyncApp's arguments for the OAuth install and per-workspace authorization."""
        settings = self.settings
        assert settings.slack_client_id and settings.slack_client_secret is not None
        assert self.installations is not None
        secret = settings.slack_client_secret.get_secret_value()
        oauth = AsyncOAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=secret,
            scopes=list(BOT_SCOPES),
            redirect_uri=settings.slack_redirect_uri,
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
            installation_store=self.installations,
            installation_store_bot_only=True,
            state_store=OAuthStateStore(self.store.db),
            logger=logging.getLogger("slack_bolt"),
        )
        # The same lookups Bolt makes by default, with auth.test answers cached per token.
        authorize = AsyncInstallationStoreAuthorize(
            installation_store=self.installations,
            client_id=settings.slack_client_id,
            client_secret=secret,
            logger=logging.getLogger("slack_bolt"),
            bot_only=True,
            cache_enabled=True,
            client=self.client,
        )
        return {
            "oauth_settings": oauth,
            "authorize": authorize,
            "installation_store": self.installations,
            "installation_store_bot_only": True,
        }

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        if not self.multi:
            await self.check_token()
        self._session = aiohttp.ClientSession()
        # Web API calls (the Poster's fan-out too) share the pooled connections.
        self.client.session = self._session
        if self.mode == "socket":
            assert self.settings.slack_app_token is not None
            self._socket = AsyncSocketModeHandler(
                self.app, self.settings.slack_app_token.get_secret_value()
            )
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
            log.info("slack: connected in Socket Mode to team %s", self.team_id)
            return
        self._runner = web.AppRunner(self.web_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.settings.slack_port)
        await site.start()
        addresses = self._runner.addresses
        self.port = int(addresses[0][1]) if addresses else self.settings.slack_port
        log.info("slack: listening on %s:%s%s", self.host, self.port, EVENTS_PATH)
        if self.multi:
            log.info("slack: installs at %s and %s", INSTALL_PATH, REDIRECT_PATH)

    async def check_token(self) -> None:
        """auth.test: fail fast with a clear message when Slack rejects the token."""
        try:
            response = await self.client.auth_test()
        except SlackApiError as err:
            code = _error_code(err)
            if code in FATAL:
                raise AdapterError(
                    "Slack rejected SLACK_BOT_TOKEN (invalid_auth)"
                    if code == "invalid_auth"
                    else FATAL[code]
                ) from None
            raise AdapterError(f"Slack auth.test failed: {code or err}") from None
        except (TimeoutError, aiohttp.ClientError) as err:
            raise AdapterError(
                f"cannot reach Slack at {self.settings.slack_api_url}: {type(err).__name__}"
            ) from None
        self.team_id = response.get("team_id")
        self.bot_user_id = response.get("user_id")

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
        self.client.session = None

    def web_app(self) -> web.Application:
        """The aiohttp application serving POST /slack/events."""
        application = web.Application()
        application.router.add_post(EVENTS_PATH, self._handle_http)
        if self.multi:
            application.router.add_get(INSTALL_PATH, self._handle_install)
            application.router.add_get(REDIRECT_PATH, self._handle_redirect)
        for method, path, handler in self.extra_routes:
            application.router.add_route(method, path, handler)
        return application

    async def connected(self) -> bool:
        """In Socket Mode, whether the socket is up (HTTP mode: always, once started)."""
        if self.mode != "socket":
            return True
        return self._socket is not None and bool(await self._socket.client.is_connected())

    async def _handle_http(self, request: web.Request) -> web.Response:
        # The signature is checked on the raw bytes before anything parses them, so that no
        # unsigned body, charset or header can reach Bolt's parsers (or fill the log).
        raw = await request.read()
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not self._signed(raw, timestamp, signature):
            log.info("slack: refused a request without a valid signature (HTTP 401)")
            return web.Response(status=401, text="invalid request signature")
        try:
            bolt_request = AsyncBoltRequest(
                body=raw.decode("utf-8"),
                query=request.query_string,
                headers=dict(request.headers),
            )
        except (UnicodeDecodeError, ValueError, TypeError, KeyError):
            log.info("slack: refused a signed request with an unreadable body (HTTP 400)")
            return web.Response(status=400, text="unreadable request body")
        bolt_response = await self.app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    async def _handle_install(self, request: web.Request) -> web.Response:
        flow = self.app.oauth_flow
        assert flow is not None
        return await to_aiohttp_response(
            await flow.handle_installation(await to_bolt_request(request))
        )

    async def _handle_redirect(self, request: web.Request) -> web.Response:
        flow = self.app.oauth_flow
        assert flow is not None
        return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

    # -- installs and uninstalls ----------------------------------------------------------

    async def on_app_uninstalled(
        self, ack: Callable[[], Awaitable[Any]], context: AsyncBoltContext
    ) -> None:
        await ack()
        assert self.installations is not None
        await self.installations.async_delete_all(
            enterprise_id=context.enterprise_id, team_id=context.team_id
        )
        self._paused(context.team_id, UNINSTALLED)

    async def on_tokens_revoked(
        self, ack: Callable[[], Awaitable[Any]], event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await ack()
        if not (event.get("tokens") or {}).get("bot"):
            return  # only user tokens, and none are kept
        assert self.installations is not None
        await self.installations.async_delete_bot(
            enterprise_id=context.enterprise_id, team_id=context.team_id
        )
        self._paused(context.team_id, REVOKED)

    def _paused(self, team_id: str | None, reason: str) -> None:
        if not team_id:
            return
        count = self.subscriptions.pause_workspace(PLATFORM, team_id, reason)
        log.warning("slack: %s (%s); paused %d subscription(s)", reason, team_id, count)

    def _signed(self, raw: bytes, timestamp: str, signature: str) -> bool:
        if self._verifier is None or not (0 < len(timestamp) <= 12 and timestamp.isdigit()):
            return False
        if not timestamp.isascii() or not signature.isascii():
            return False
        return self._verifier.is_valid(raw, timestamp, signature)

    # -- the slash command ---------------------------------------------------------------

    async def on_command(
        self,
        ack: Callable[[], Awaitable[Any]],
        command: dict[str, Any],
        respond: Respond,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        # Bolt's client carries this workspace's token (multi-workspace mode) or ours.
        if client.session is None:
            client.session = self._session
        try:
            reply = await self.answer(command, client)
            await self.send(reply, command, respond, client)
        except Exception:
            log.exception("slack: /accord failed")
            sorry = "Something went wrong on our side; nothing was changed."
            try:
                await self.deliver(command, respond, outgoing(text_payload(sorry), public=False))
            except Exception:
                log.exception("slack: could not tell the user about a failure")

    async def answer(
        self, command: Mapping[str, Any], client: AsyncWebClient | None = None
    ) -> Reply:
        """The Reply for a slash command's text."""
        text = str(command.get("text") or "")
        try:
            parsed = parse_text(text)
        except CommandError as err:
            return Reply.failure(err.message, err.usage)
        manage = parsed.name in MANAGING and await self.can_manage(command, client)
        curate = parsed.name in CURATING and await self.can_curate(
            str(command.get("user_id") or ""), str(command.get("team_id") or ""), client
        )
        caller = self.caller(command, can_manage=manage, can_curate=curate)
        return await self.dispatcher.dispatch(parsed, caller)

    def caller(
        self, command: Mapping[str, Any], *, can_manage: bool = False, can_curate: bool = False
    ) -> Caller:
        return Caller(
            platform=PLATFORM,
            workspace=str(command.get("team_id") or self.team_id or ""),
            channel=str(command.get("channel_id") or ""),
            user=str(command.get("user_id") or ""),
            can_manage=can_manage,
            in_dm=in_dm(command),
            can_curate=can_curate,
            name=str(command.get("user_name") or ""),
        )

    async def can_manage(
        self, command: Mapping[str, Any], client: AsyncWebClient | None = None
    ) -> bool:
        """Workspace admins and owners (users.info), or ids in SLACK_ADMIN_IDS."""
        user = str(command.get("user_id") or "")
        team = str(command.get("team_id") or "")
        return bool(user) and (user in self._admins or await self.is_admin(user, team, client))

    async def can_curate(
        self, user: str, team: str = "", client: AsyncWebClient | None = None
    ) -> bool:
        """Workspace admins and owners, or ids in SLACK_CURATOR_IDS."""
        return bool(user) and (user in self._curators or await self.is_admin(user, team, client))

    async def is_admin(
        self, user: str, team: str = "", client: AsyncWebClient | None = None
    ) -> bool:
        """users.info (with that workspace's client): an admin or owner there."""
        key = f"{team}:{user}"
        cached = self._admin_cache.get(key)
        now = time.monotonic()
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            response = await (client or self.client).users_info(user=user)
        except (SlackApiError, TimeoutError, aiohttp.ClientError) as err:
            log.warning("slack: users.info failed for a caller: %s", type(err).__name__)
            return False
        info = response.get("user") or {}
        allowed = any(bool(info.get(k)) for k in ("is_admin", "is_owner", "is_primary_owner"))
        self._admin_cache[key] = (allowed, now + ADMIN_CACHE_SECONDS)
        return allowed

    # -- curation forms ------------------------------------------------------------------

    async def open_form(
        self,
        reply: Reply,
        command: Mapping[str, Any],
        respond: Respond,
        client: AsyncWebClient | None = None,
    ) -> None:
        """views.open with the command's trigger_id (valid for 3 s: called right away)."""
        assert reply.form is not None
        view = modal(reply.form, channel=str(command.get("channel_id") or ""))
        try:
            await (client or self.client).views_open(
                trigger_id=str(command.get("trigger_id") or ""), view=view
            )
        except (SlackApiError, TimeoutError, aiohttp.ClientError) as err:
            log.warning("slack: views.open failed: %s", type(err).__name__)
            names = " ".join(f"{f.name}:..." for f in reply.form.fields)
            why = f"Could not open the form; use the text form: /accord {reply.form.action} {names}"
            await self.deliver(command, respond, outgoing(text_payload(why), public=False))

    async def on_form_submit(
        self,
        ack: Callable[..., Awaitable[Any]],
        body: dict[str, Any],
        view: dict[str, Any],
        client: AsyncWebClient,
    ) -> None:
        """A curation modal's view_submission: rights again, then the change it names."""
        desk = self.dispatcher.curation
        user = body.get("user") or {}
        user_id = str(user.get("id") or "")
        metadata, values = submitted(view)
        if desk is None:
            await ack(response_action="errors", errors=field_errors([], view))
            return
        # Bolt's client carries this workspace's token (multi-workspace mode) or ours.
        if client.session is None:
            client.session = self._session
        team = str((body.get("team") or {}).get("id") or self.team_id or "")
        caller = Caller(
            PLATFORM,
            team,
            str(metadata.get("c") or ""),
            user_id,
            can_curate=await self.can_curate(user_id, team, client),
            name=str(user.get("name") or user.get("username") or ""),
        )
        outcome = desk.submit(
            metadata,
            values,
            platform=PLATFORM,
            author=author_of(caller),
            can_curate=caller.can_curate,
            origin=origin_of(caller),
        )
        reply = reply_for(outcome)
        if reply.error:
            # Kept open, with what was typed and each problem on its field.
            problems = list(reply.problems)
            if not problems:
                problems = [FieldProblem("form", reply.text or "not saved")]
            await ack(response_action="errors", errors=field_errors(problems, view))
            return
        await ack()
        await self.tell(caller, reply, client)

    async def tell(
        self, caller: Caller, reply: Reply, client: AsyncWebClient | None = None
    ) -> None:
        """A private note to one person in a channel (chat.postEphemeral)."""
        if not caller.channel:
            return
        try:
            await (client or self.client).chat_postEphemeral(
                channel=caller.channel, user=caller.user, **text_payload(reply.text or "Done.")
            )
        except (SlackApiError, TimeoutError, aiohttp.ClientError) as err:
            log.warning("slack: could not tell a curator the outcome: %s", type(err).__name__)

    async def send(
        self,
        reply: Reply,
        command: Mapping[str, Any],
        respond: Respond,
        client: AsyncWebClient | None = None,
    ) -> None:
        """Reply -> messages through the response_url (or the file, for a chart)."""
        if reply.attachment is not None:
            await self._upload(reply, command, respond, client or self.client)
            return
        if reply.form is not None:
            await self.open_form(reply, command, respond, client)
            return
        if reply.briefing is not None:
            messages = self.messages(reply.briefing, public=reply.public)
        else:
            # text_payload escapes: curated values in it stay inert.
            text = text_payload(reply_text(reply.text or "", reply.usage))
            messages = [outgoing(text, public=reply.public)]
        for message in messages:
            await self.deliver(command, respond, message)

    async def deliver(
        self, command: Mapping[str, Any], respond: Respond, message: Outgoing
    ) -> None:
        """What Bolt's respond() does, over the adapter's pooled connections: a JSON POST
        to the command's response_url (no new HTTP session for every message)."""
        url = command.get("response_url")
        session = self._session
        if not url or session is None or session.closed:
            await respond(**message.args)
            return
        async with session.post(
            str(url), data=message.body, headers=JSON_HEADERS, timeout=RESPOND_TIMEOUT
        ) as response:
            await response.read()
            if response.status != 200:
                log.warning("slack: response_url answered HTTP %s", response.status)

    def messages(self, briefing: Briefing, *, public: bool) -> list[Outgoing]:
        """Rendered and encoded once for each briefing the composer keeps (same object)."""
        key = (id(briefing), public)
        hit = self._rendered.get(key)
        if hit is not None and hit[0] is briefing:
            return hit[1]
        messages = [outgoing(p, public=public) for p in message_payloads(briefing)]
        self._rendered.put(key, (briefing, messages))
        return messages

    async def _upload(
        self,
        reply: Reply,
        command: Mapping[str, Any],
        respond: Respond,
        client: AsyncWebClient,
    ) -> None:
        assert reply.attachment is not None
        channel = str(command.get("channel_id") or "")
        try:
            await upload(client, channel, reply.attachment, comment=escape(reply.text or ""))
        except (SlackApiError, TimeoutError, aiohttp.ClientError) as err:
            result = classify(err)
            log.warning("slack: upload to %s failed: %s", channel, result.reason)
            why = f"Could not post {reply.attachment.filename}: {result.reason}."
            await self.deliver(command, respond, outgoing(text_payload(why), public=False))


@dataclass(frozen=True)
class Outgoing:
    """One message for the response_url: respond()'s arguments and their JSON body."""

    args: dict[str, Any]
    body: bytes


def outgoing(payload: Payload, *, public: bool) -> Outgoing:
    """A payload as a slash-command answer: in the channel, or only to the caller."""
    args = {
        "text": payload["text"],
        "blocks": payload["blocks"],
        "response_type": "in_channel" if public else "ephemeral",
        "replace_original": False,
        "unfurl_links": False,
        "unfurl_media": False,
    }
    return Outgoing(args, json.dumps(args, ensure_ascii=False).encode())
