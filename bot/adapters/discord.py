"""The Discord adapter: `/accord` slash commands on discord.py, and a Poster for digests.

A thin edge: an interaction's typed options become a `Command` (`Dispatcher.parse_options`,
from the spec table; the tree itself comes from `discord_tree`),
the dispatcher answers with a `Reply`, and `discord_embeds` turns that into messages.
The client is an `AutoShardedClient`: the gateway URL (and, unless DISCORD_SHARD_COUNT is
set, the shard count) comes from `GET /gateway/bot` at `DISCORD_API_BASE`; with
DISCORD_SHARD_IDS this process runs only those shards. Commands are synced once per
start, in `setup_hook`, by the process holding shard 0 alone, and only when their JSON
changed since the last sync (a hash in the store).

    adapter = DiscordAdapter(settings, dispatcher, store)
    await adapter.start()      # logs in, connects, returns when ready
    await adapter.poster.post(target, briefing, key="digest:42:2020-03-05")
    await adapter.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from functools import cache
from typing import Any
from zoneinfo import available_timezones

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.http import MultipartParameters, Route

from bot.adapters import AdapterError, discord_gateway
from bot.adapters.discord_embeds import (
    Payload,
    attach_file,
    escape,
    reply_payloads,
)
from bot.adapters.discord_embeds import message_payloads as briefing_payloads
from bot.adapters.discord_forms import CurationModal, ReopenView
from bot.adapters.discord_gateway import GatewayState
from bot.adapters.discord_review import DiscordReview
from bot.adapters.discord_tree import Completer, build_group
from bot.adapters.rendered import RenderCache
from bot.commands import (
    Caller,
    Command,
    CommandError,
    Dispatcher,
    Reply,
    author_of,
    origin_of,
    reply_for,
)
from bot.delivery import Attachment, PostResult, Target
from bot.forms import Form
from bot.settings import Settings
from briefings.document import Briefing
from briefings.store import Store

log = logging.getLogger(__name__)

Interaction = discord.Interaction[discord.Client]

MAX_CHOICES = 25
# Answer directly when the reply is ready this fast; otherwise defer (Discord allows 3 s).
ANSWER_WITHIN = 1.5
# Always slow (a picture, a file): defer at once.
DEFER_AT_ONCE = frozenset({"chart", "calendar"})
NONCE_LENGTH = 25
RENDER_CACHE = 64
# Long enough for discord.py's own waits (a 429 up to 30 s, 5xx back-off), then retry later.
POST_TIMEOUT = 90.0
# Back-off between logins when discord.py gives up on the gateway: 1 s, doubling to 60 s.
RECONNECT_FIRST = 1.0
RECONNECT_LAST = 60.0
# Gateway close codes after which Discord will refuse us again: bad token, bad intents.
FATAL_CLOSE_CODES = frozenset({4004, 4013, 4014})


# -- autocomplete ranking ------------------------------------------------------------------


def rank(options: Iterable[str], typed: str, limit: int = MAX_CHOICES) -> list[str]:
    """Options matching what was typed: prefix matches first, then segment, then substring.

    >>> rank(["Europe/Berlin", "America/Berlin_like", "Asia/Tokyo"], "ber")
    ['Europe/Berlin', 'America/Berlin_like']
    """
    typed = typed.strip().lower()
    tiers: tuple[list[str], list[str], list[str]] = ([], [], [])
    for option in options:
        lowered = option.lower()
        if lowered.startswith(typed):
            tiers[0].append(option)
        elif any(part.startswith(typed) for part in lowered.replace("_", "/").split("/")):
            tiers[1].append(option)
        elif typed in lowered:
            tiers[2].append(option)
    return [*tiers[0], *tiers[1], *tiers[2]][:limit]


@cache
def zone_names() -> tuple[str, ...]:
    return tuple(sorted(z for z in available_timezones() if "/" in z or z == "UTC"))


def choices(values: Iterable[str]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=v[:100], value=v[:100]) for v in values]


# -- command sync ledger -------------------------------------------------------------------


def commands_digest(payload: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


# -- the client ----------------------------------------------------------------------------


class AccordClient(discord.AutoShardedClient):
    """The gateway client: syncs the commands once per login and keeps `gateway` true."""

    def __init__(self, on_setup: Callable[[], Awaitable[None]], **options: Any) -> None:
        super().__init__(
            intents=discord.Intents(guilds=True),
            allowed_mentions=discord.AllowedMentions.none(),
            **options,
        )
        self._on_setup = on_setup
        self.gateway = GatewayState()

    async def setup_hook(self) -> None:
        # Runs once per login, unlike on_ready (which fires again after every reconnect).
        await self._on_setup()

    async def launch_shards(self) -> None:
        # discord.py asks Discord for the gateway only when it also asks for the shard
        # count; with a count given, the gateway still comes from GET /gateway/bot.
        if self.shard_count is None or self.is_closed():
            await super().launch_shards()
            return
        _advised, url, _limit = await self.http.get_bot_gateway()
        gateway = yarl.URL(url)
        self._connection.shard_count = self.shard_count
        shard_ids = self.shard_ids or list(range(self.shard_count))
        self._connection.shard_ids = shard_ids
        for shard_id in shard_ids:
            await self.launch_shard(gateway, shard_id, initial=shard_id == shard_ids[0])

    async def on_shard_ready(self, shard_id: int) -> None:
        self.gateway.connected(shard_id)

    async def on_shard_resumed(self, shard_id: int) -> None:
        self.gateway.connected(shard_id)

    async def on_shard_disconnect(self, shard_id: int) -> None:
        self.gateway.lost(shard_id)


STALE_COMMAND_ERRORS = (
    app_commands.CommandNotFound,
    app_commands.CommandSignatureMismatch,
    app_commands.TransformerError,
)
UNKNOWN_COMMAND = (
    "That is not an /accord command this bot knows (its commands may have just changed: "
    "try again in a minute)."
)


class AccordTree(app_commands.CommandTree[AccordClient]):
    """The command tree; every autocomplete gets an answer, even one it cannot serve."""

    async def _call(self, interaction: discord.Interaction[AccordClient]) -> None:
        autocomplete = interaction.type is discord.InteractionType.autocomplete
        if autocomplete and not self._can_complete(interaction):
            # discord.py answers nothing when the focused option has no autocomplete, and
            # logs a traceback for a value of another type: give no choices instead.
            with contextlib.suppress(discord.HTTPException):
                await interaction.response.autocomplete([])
            return
        await super()._call(interaction)

    def _can_complete(self, interaction: discord.Interaction[AccordClient]) -> bool:
        try:
            command, options = self._get_app_command_options(interaction.data)  # type: ignore[arg-type]
        except app_commands.AppCommandError:
            return False
        focused = next((o for o in options if o.get("focused")), None)
        if focused is None or not isinstance(command, app_commands.Command):
            return False
        name = focused.get("name")
        # Discord sends the shown (possibly renamed) name of the option.
        parameter = next((p for p in command.parameters if p.display_name == name), None)
        return (
            parameter is not None
            and parameter.autocomplete
            and isinstance(focused.get("value"), str)
        )


# -- the adapter ---------------------------------------------------------------------------


class DiscordAdapter:
    """`/accord` on Discord; `poster` posts scheduled briefings through the REST API."""

    platform = "discord"

    def __init__(
        self,
        settings: Settings,
        dispatcher: Dispatcher,
        store: Store,
        *,
        ready_timeout: float = 60.0,
        guild_ready_timeout: float = 1.0,
    ) -> None:
        self.settings = settings
        self.dispatcher = dispatcher
        self.store = store
        self.ready_timeout = ready_timeout
        self.answer_within = ANSWER_WITHIN
        discord_gateway.install()
        self.client = AccordClient(
            self._setup,
            guild_ready_timeout=guild_ready_timeout,
            max_ratelimit_timeout=30.0,
            shard_count=settings.discord_shard_count,
            shard_ids=settings.discord_shard_ids,
        )
        self._configured_shard_count = self.client.shard_count
        self.tree: app_commands.CommandTree[AccordClient] = AccordTree(self.client)
        self.tree.add_command(build_group(self, _group_description(store), dispatcher.registry))
        self.tree.error(self._on_tree_error)
        self.poster = DiscordPoster(self.client)
        review = dispatcher.curation.review if dispatcher.curation is not None else None
        self.review: DiscordReview | None = None
        if review is not None and settings.discord_review_channel:
            self.review = DiscordReview(self, review, settings.discord_review_channel)
        self.synced: bool | None = None  # whether the last start synced the commands
        self._runner: asyncio.Task[None] | None = None
        self._stopping = False
        self._rendered = RenderCache(
            lambda briefing: [message_kwargs(p) for p in briefing_payloads(briefing)],
            size=RENDER_CACHE,
        )

    # -- life cycle ----------------------------------------------------------------------

    async def start(self) -> None:
        if self.settings.discord_token is None:
            raise AdapterError("DISCORD_TOKEN is not set")
        base = self.settings.discord_api_base.rstrip("/")
        Route.BASE = base
        try:
            await self.client.login(self.settings.discord_token.get_secret_value())
        except discord.LoginFailure:
            await self.client.close()
            raise AdapterError("Discord rejected DISCORD_TOKEN") from None
        except (discord.HTTPException, aiohttp.ClientError, OSError) as err:
            await self.client.close()
            raise AdapterError(f"cannot reach Discord's API at {base}: {err}") from None
        self._runner = asyncio.create_task(self._stay_connected(base))
        ready = asyncio.create_task(self.client.wait_until_ready())
        done, _ = await asyncio.wait(
            {ready, self._runner}, timeout=self.ready_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if ready in done:
            return
        ready.cancel()
        problem = "no READY from Discord's gateway in time"
        failure = self._runner.exception() if self._runner in done else None
        if failure is not None:
            problem = f"Discord's gateway failed: {failure}"
        await self.stop()
        raise AdapterError(problem)

    async def _stay_connected(self, base: str) -> None:
        """Run the gateway; when discord.py gives up on it, log in again after a back-off.

        discord.py reconnects and resumes by itself after ordinary drops. It ends the
        client only on errors it does not expect; those are logged here and the
        connection is made again, unless Discord refuses the token or the intents.
        """
        delay = RECONNECT_FIRST
        while True:
            started = asyncio.get_running_loop().time()
            try:
                await self.client.connect(reconnect=True)
                return  # closed on purpose
            except Exception as err:
                self.client.gateway.lost()
                if _refused_for_good(err):
                    log.error("the Discord gateway connection ended for good: %s", err)
                    raise
                if self._stopping:
                    return
                log.error(
                    "the Discord gateway connection ended (%s: %s); connecting again in %.0f s",
                    type(err).__name__,
                    str(err)[:200],
                    delay,
                )
            if asyncio.get_running_loop().time() - started > RECONNECT_LAST:
                delay = RECONNECT_FIRST  # it had been up a while: this is a new failure
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_LAST)
            if self._stopping:
                return
            await self._login_again(base)

    async def _login_again(self, base: str) -> None:
        assert self.settings.discord_token is not None
        with contextlib.suppress(Exception):
            await self.client.close()
        discord_gateway.reopen(self.client, self._configured_shard_count)
        Route.BASE = base
        try:
            await self.client.login(self.settings.discord_token.get_secret_value())
        except Exception as err:
            # connect() then fails at once and the next back-off follows.
            log.error("cannot log in to Discord's API at %s again: %s", base, err)

    async def stop(self) -> None:
        self._stopping = True
        await self.client.close()
        if self._runner is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self._runner, timeout=10)
            self._runner = None

    async def _setup(self) -> None:
        if not self.settings.discord_syncs_commands:
            log.info("commands are synced by the process holding shard 0; not syncing here")
            self.synced = False
            return
        try:
            self.synced = await self.sync_commands()
        except discord.HTTPException as err:
            # The bot still answers with the commands Discord already has.
            log.error("could not sync the /accord commands: %s", err)
            self.synced = False

    async def sync_commands(self) -> bool:
        """Sync to DISCORD_GUILD_ID (or globally) if the command set changed; True if synced."""
        guild_id = self.settings.discord_guild_id
        guild = discord.Object(id=guild_id) if guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        payload = [c.to_dict(self.tree) for c in self.tree.get_commands(guild=guild)]
        app = self.client.application_id
        scope = f"{app}:guild:{guild_id}" if guild_id else f"{app}:global"
        digest = commands_digest(payload)
        if self.store.synced_commands(scope) == digest:
            log.info("the /accord commands are unchanged; not syncing (%s)", scope)
            return False
        synced = await self.tree.sync(guild=guild)
        synced_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.store.record_synced_commands(scope, digest, synced_at)
        log.info("synced %d command(s) to %s", len(synced), scope)
        return True

    # -- answering -----------------------------------------------------------------------

    def caller(self, interaction: Interaction) -> Caller:
        perms = interaction.permissions
        guild_id = interaction.guild_id
        return Caller(
            platform="discord",
            workspace=str(guild_id) if guild_id else "dm",
            channel=str(interaction.channel_id or ""),
            user=str(interaction.user.id),
            can_manage=bool(perms.administrator or perms.manage_guild or perms.manage_channels),
            in_dm=guild_id is None,
            can_curate=self.can_curate(interaction),
            name=interaction.user.display_name,
        )

    def can_curate(self, interaction: Interaction) -> bool:
        """Manage Server, or a role whose id or name is in DISCORD_CURATOR_ROLES."""
        perms = interaction.permissions
        if interaction.guild_id is None:
            return False
        if perms.administrator or perms.manage_guild:
            return True
        wanted = {r.strip().lower() for r in self.settings.discord_curator_roles}
        member = interaction.user
        if not wanted or not isinstance(member, discord.Member):
            return False
        if not isinstance(member.guild, discord.Guild):
            return False
        return any(str(role.id) in wanted or role.name.lower() in wanted for role in member.roles)

    # -- curation forms ------------------------------------------------------------------

    async def on_form_submit(
        self, interaction: Interaction, form: Form, values: dict[str, str]
    ) -> None:
        """A modal came back: rights again, then the change for the dossier it names."""
        desk = self.dispatcher.curation
        if desk is None:
            await interaction.response.send_message("Curation is not available.", ephemeral=True)
            return
        caller = self.caller(interaction)
        outcome = desk.submit(
            json.loads(form.metadata()),
            values,
            platform="discord",
            author=author_of(caller),
            can_curate=caller.can_curate,
            origin=origin_of(caller),
        )
        reply = reply_for(outcome)
        text = escape(reply.text or "Done.") if reply.curated else reply.text or "Done."
        if reply.problems:
            view = ReopenView(form.filled(values), self.on_form_submit)
            await interaction.response.send_message(content=text[:2000], view=view, ephemeral=True)
            return
        await interaction.response.send_message(content=text[:2000], ephemeral=True)

    async def run(
        self,
        interaction: Interaction,
        name: str,
        options: Mapping[str, object],
        group: str | None = None,
    ) -> None:
        """Answer one subcommand: build the Command, dispatch it, show the Reply."""
        try:
            command = self.dispatcher.parse_options(name, options, group=group)
        except CommandError as err:
            await self.respond(interaction, Reply.failure(err.message, err.usage))
            return
        if command.name in DEFER_AT_ONCE:
            await interaction.response.defer(thinking=True)
            await self.follow_up(interaction, await self._dispatch(command, interaction))
            return
        # Most answers are ready in a millisecond: answer directly. If this one is not
        # ready in time, a timer defers it (keeping Discord's 3 seconds) while it runs on.
        deferring: list[asyncio.Task[None]] = []

        async def defer() -> None:
            await interaction.response.defer(thinking=True)

        timer = asyncio.get_running_loop().call_later(
            self.answer_within, lambda: deferring.append(asyncio.ensure_future(defer()))
        )
        try:
            reply = await self._dispatch(command, interaction)
        finally:
            timer.cancel()
        if not deferring:
            await self.respond(interaction, reply)
            return
        await deferring[0]
        await self.follow_up(interaction, reply)

    async def _dispatch(self, command: Command, interaction: Interaction) -> Reply:
        try:
            return await self.dispatcher.dispatch(command, self.caller(interaction))
        except Exception:
            log.exception("/accord %s failed", command.name)
            return Reply.failure(
                "Something went wrong on our side; nothing was changed. Try again."
            )

    async def respond(self, interaction: Interaction, reply: Reply) -> None:
        """The first answer to an interaction, then follow-ups for any further messages."""
        if reply.form is not None:
            await interaction.response.send_modal(CurationModal(reply.form, self.on_form_submit))
            return
        ephemeral = not reply.public
        first, *rest = self.messages(reply)
        await interaction.response.send_message(**first, ephemeral=ephemeral)
        for kwargs in rest:
            await interaction.followup.send(**kwargs, ephemeral=ephemeral)

    async def follow_up(self, interaction: Interaction, reply: Reply) -> None:
        """Answer after a (public) defer; a private reply replaces the public placeholder."""
        ephemeral = not reply.public
        if ephemeral:
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()
        for kwargs in self.messages(reply):
            await interaction.followup.send(**kwargs, ephemeral=ephemeral)

    def messages(self, reply: Reply) -> list[dict[str, Any]]:
        """discord.py send() arguments per message; a file goes with the first."""
        if reply.attachment is not None:
            payloads = reply_payloads(reply)
            first = message_kwargs(attach_file(payloads[0], reply.attachment), reply.attachment)
            return [first, *(message_kwargs(p) for p in payloads[1:])]
        if reply.briefing is None:
            return [message_kwargs(p) for p in reply_payloads(reply)]
        # The composer hands out the same Briefing object while nothing changed, so its
        # rendering is kept too (embeds are only read when sent).
        return self._rendered(reply.briefing)

    async def _on_tree_error(
        self, interaction: Interaction, error: app_commands.AppCommandError
    ) -> None:
        if interaction.type is discord.InteractionType.autocomplete:
            # Choices for an option that has none, or a value of another type: no choices.
            log.info("/accord autocomplete not answered with choices: %s", error)
            with contextlib.suppress(discord.HTTPException):
                if not interaction.response.is_done():
                    await interaction.response.autocomplete([])
            return
        if isinstance(error, STALE_COMMAND_ERRORS):
            # Discord sent a command this bot does not declare (an old or forged one).
            log.info("/accord interaction for a command the bot does not have: %s", error)
            reply = Reply.failure(UNKNOWN_COMMAND, "/accord help")
        else:
            log.error("/accord interaction failed: %s", error, exc_info=error)
            reply = Reply.failure(
                "Something went wrong on our side; nothing was changed. Try again."
            )
        with contextlib.suppress(discord.HTTPException):
            if interaction.response.is_done():
                await interaction.followup.send(**self.messages(reply)[0], ephemeral=True)
            else:
                await self.respond(interaction, reply)

    # -- autocomplete --------------------------------------------------------------------

    def completer(self, source: str) -> Completer:
        """The autocomplete callback a spec's `complete` names."""
        found: Completer = getattr(self, f"complete_{source}")
        return found

    def _dossier_view(self, interaction: Interaction) -> Store:
        """The dossier an option is being typed for: the `dossier` option when it names
        one, else the channel's."""
        typed = getattr(interaction.namespace, "dossier", None)
        if isinstance(typed, str) and self.store.has(typed.strip().lower()):
            return self.store.view(typed.strip().lower())
        return self.store.view(self.dispatcher.dossier_of(self.caller(interaction)))

    async def complete_deadline(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return choices(rank(self._dossier_view(interaction).deadline_slugs(), current))

    async def complete_dossier(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """By slug or by title: `col` and `final agreement` both find a dossier."""
        titles = {d.slug: d.title for d in self.store.dossiers()}
        typed = current.strip().lower()
        slugs = rank(titles, current)
        slugs += [s for s in titles if s not in slugs and typed in titles[s].lower()]
        return [
            app_commands.Choice(name=f"{s} · {titles[s]}"[:100], value=s)
            for s in slugs[:MAX_CHOICES]
        ]

    async def complete_event(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        today = self.dispatcher.clock().today()
        ids = self._dossier_view(interaction).event_ids(today)
        # Newest first when nothing is typed: the likeliest to be asked about.
        return choices(rank(reversed(ids) if not current.strip() else ids, current))

    async def complete_item(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        ids = [*self.store.deadline_slugs(), *reversed(self.store.event_ids(date.max))]
        return choices(rank(ids, current))

    async def complete_zone(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return choices(rank(zone_names(), current))


class RenderedEmbed(discord.Embed):
    """An embed sent exactly as `discord_embeds` rendered it (already within the limits).

    discord.py rebuilds an embed's JSON on every send; a briefing's embeds are rendered
    once and sent as they are.
    """

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__()
        self._rendered = data

    def to_dict(self) -> Any:
        return self._rendered


def _refused_for_good(err: Exception) -> bool:
    """Whether Discord refused the token or the intents: logging in again cannot help."""
    if isinstance(err, discord.LoginFailure | discord.PrivilegedIntentsRequired):
        return True
    return isinstance(err, discord.ConnectionClosed) and err.code in FATAL_CLOSE_CODES


def message_kwargs(payload: Payload, attachment: Attachment | None = None) -> dict[str, Any]:
    """A message payload as discord.py send() arguments (embeds, content, file)."""
    kwargs: dict[str, Any] = {
        "embeds": [RenderedEmbed(e) for e in payload.get("embeds", [])],
        "allowed_mentions": discord.AllowedMentions.none(),
    }
    if payload.get("content"):
        kwargs["content"] = payload["content"]
    if attachment is not None:
        kwargs["file"] = discord.File(io.BytesIO(attachment.content), filename=attachment.filename)
    return kwargs


# -- posting -------------------------------------------------------------------------------


def _group_description(store: Store) -> str:
    """`/accord`'s description: one store may hold several dossiers, so it names none."""
    return "Sourced briefings on peace agreements, with a dossier option for each"


def nonce_for(key: str, index: int = 0) -> str:
    """Discord's nonce (at most 25 characters) for message `index` of a delivery.

    >>> len(nonce_for("digest:1:2020-03-05", 3))
    25
    """
    return hashlib.sha256(key.encode()).hexdigest()[: NONCE_LENGTH - 3] + f"{index:03d}"


FORBIDDEN_REASONS = {
    50001: "the bot has no access to this channel",
    50013: "the bot lacks permission to post here (Send Messages, Embed Links, Attach Files)",
}


class DiscordPoster:
    """Posts briefings with the REST API alone (no gateway cache); never retries 401/403."""

    platform = "discord"

    def __init__(self, client: discord.Client, *, timeout: float = POST_TIMEOUT) -> None:
        self.client = client
        self.timeout = timeout
        self._payloads = RenderCache(briefing_payloads)

    async def post(
        self,
        target: Target,
        briefing: Briefing,
        *,
        key: str,
        attachment: Attachment | None = None,
    ) -> PostResult:
        payloads = list(self._payloads(briefing))  # a copy: the cached list is shared
        if attachment is not None:
            payloads[0] = attach_file(payloads[0], attachment)
        first_id: str | None = None
        for index, payload in enumerate(payloads):
            sent = {**payload, "nonce": nonce_for(key, index), "enforce_nonce": True}
            result = await self._send(int(target.channel), sent, attachment if index == 0 else None)
            if result.status != "delivered":
                return result
            first_id = first_id or result.message_id
        return PostResult.delivered(first_id)

    async def direct_message(self, workspace: str, user: str, text: str) -> bool:
        """A private message to a user: open the DM channel, then post in it."""
        try:
            channel = await self.client.http.start_private_message(int(user))
            payload = {"content": text[:2000], "allowed_mentions": {"parse": []}}
            params = MultipartParameters(payload=payload, multipart=None, files=None)
            await self.client.http.send_message(int(channel["id"]), params=params)
        except (discord.HTTPException, aiohttp.ClientError, OSError, ValueError) as err:
            log.warning("could not send a direct message to %s: %s", user, err)
            return False
        return True

    async def was_posted(self, target: Target, key: str) -> bool | None:
        # Discord offers no lookup by nonce; enforce_nonce makes a repeat within minutes harmless.
        return None

    async def _send(
        self, channel_id: int, payload: Payload, attachment: Attachment | None
    ) -> PostResult:
        try:
            # A post cut off here may still have arrived: its retry carries the same nonce.
            data = await asyncio.wait_for(
                self.client.http.send_message(channel_id, params=_params(payload, attachment)),
                self.timeout,
            )
        except discord.NotFound as err:
            return PostResult("gone", f"unknown channel (Discord {err.code}: {err.text})")
        except discord.Forbidden as err:
            reason = FORBIDDEN_REASONS.get(err.code, f"forbidden (Discord {err.code}: {err.text})")
            return PostResult("gone", reason)
        except discord.RateLimited as err:
            return PostResult("retry", "rate limited", retry_after=err.retry_after)
        except discord.DiscordServerError as err:
            return PostResult("retry", f"Discord server error {err.status}")
        except discord.HTTPException as err:
            return _http_failure(err)
        except TimeoutError:
            return PostResult("retry", f"no answer from Discord within {self.timeout:g} s")
        except (aiohttp.ClientError, OSError) as err:
            return PostResult("retry", f"network: {type(err).__name__}")
        return PostResult.delivered(str(data["id"]))


def _http_failure(err: discord.HTTPException) -> PostResult:
    if err.status == 401:
        return PostResult("fatal", "Discord rejected DISCORD_TOKEN (401)")
    if err.status == 429:
        header = err.response.headers.get("Retry-After") if err.response is not None else None
        return PostResult("retry", "rate limited", retry_after=float(header) if header else None)
    if err.status >= 500:
        return PostResult("retry", f"Discord server error {err.status}")
    # Any other 4xx (a message Discord refuses, a file too large) will not pass on retry,
    # but the channel is still there: this post fails, the subscription stays live.
    return PostResult("failed", f"Discord refused the post ({err.status} {err.code}: {err.text})")


def _params(payload: Payload, attachment: Attachment | None) -> MultipartParameters:
    if attachment is None:
        return MultipartParameters(payload=payload, multipart=None, files=None)
    file = discord.File(io.BytesIO(attachment.content), filename=attachment.filename)
    body = {**payload, "attachments": [file.to_dict(0)]}
    multipart: list[dict[str, Any]] = [
        {"name": "payload_json", "value": json.dumps(body)},
        {
            "name": "files[0]",
            "value": file.fp,
            "filename": file.filename,
            "content_type": attachment.mime_type,
        },
    ]
    return MultipartParameters(payload=None, multipart=multipart, files=[file])
