"""`accord-bot run`: one asyncio loop with every configured adapter, the scheduler and,
when no platform token is set, the console."""

from __future__ import annotations

import asyncio
import logging
import signal
import sqlite3
import sys
from datetime import timedelta
from typing import Protocol, TextIO
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from bot.adapters import AdapterError
from bot.adapters.console import ConsoleAdapter
from bot.alerts import Alerts
from bot.commands import ArtifactMaker, Dispatcher
from bot.courier import Courier
from bot.curating import CurationDesk
from bot.delivery import Poster
from bot.desk import Desk
from bot.ledger import Ledger
from bot.ops import backup, health, logs
from bot.ops.http import OpsServer
from bot.ops.metered import MeteredDispatcher
from bot.ops.metrics import Metrics
from bot.ops.notices import PauseNotices
from bot.persist import BUSY_TIMEOUT_MS
from bot.review import ReviewDesk
from bot.scheduler import Scheduler
from bot.settings import Settings
from bot.subscriptions import Subscriptions
from briefings.changes import Curator
from briefings.clock import Clock, parse_day
from briefings.compose import Composer
from briefings.proposals import Proposals
from briefings.store import Store

log = logging.getLogger("accord")

# Seconds a stop gives in-flight posts (then a second to record the rest).
STOP_GRACE = 8.0


class Adapter(Protocol):
    @property
    def platform(self) -> str: ...

    @property
    def poster(self) -> Poster: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def _artifacts(store: Store) -> ArtifactMaker | None:
    try:
        from briefings.artifacts import Artifacts  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    made: ArtifactMaker = Artifacts(store)
    return made


def curation_desk(store: Store, review: bool = False) -> CurationDesk:
    """Curation on the store; a change names its dossier, else the store's current one.
    With `review`, every change becomes a proposal for a second curator."""
    curator = Curator(store)
    desk = ReviewDesk(curator, Proposals(store.db)) if review else None
    return CurationDesk(curator, lambda slug: slug or store.dossier_slug, desk)


def _platform_adapters(settings: Settings, dispatcher: Dispatcher, store: Store) -> list[Adapter]:
    adapters: list[Adapter] = []
    if settings.discord_enabled:
        from bot.adapters.discord import DiscordAdapter  # type: ignore[import-not-found,unused-ignore]

        adapters.append(DiscordAdapter(settings, dispatcher, store))
    if settings.slack_enabled:
        from bot.adapters.slack import SlackAdapter  # type: ignore[import-not-found,unused-ignore]

        adapters.append(SlackAdapter(settings, dispatcher, store))
    return adapters


def _warn_unreviewed(settings: Settings, platforms: list[str]) -> None:
    """Under review, a platform with no review channel still takes proposals; they are
    decided with the text form only. Say so once at start."""
    if settings.accord_review != "required":
        return
    channels = {
        "slack": settings.slack_review_channel,
        "discord": settings.discord_review_channel,
    }
    for platform in platforms:
        if platform in channels and not channels[platform]:
            log.warning(
                "ACCORD_REVIEW=required but %s_REVIEW_CHANNEL is not set: proposals made on "
                "%s are decided with `/accord review` only",
                platform.upper(),
                platform,
            )


class Bot:
    """Everything `accord-bot run` starts, built from settings and wired together."""

    def __init__(
        self, settings: Settings, *, stdin: TextIO | None = None, stdout: TextIO | None = None
    ) -> None:
        self.settings = settings
        # Briefings with no dossier named are about ACCORD_DOSSIER's (checked here, at start).
        self.store = Store.open(settings.accord_db).default_view(settings.accord_dossier)
        # Short waits for a lock on the loop; bot.persist retries the writes that matter.
        self.store.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        as_of = parse_day(settings.accord_as_of) if settings.accord_as_of else None
        default_zone = ZoneInfo(settings.accord_tz)
        self.composer = Composer(self.store)
        artifacts = _artifacts(self.store)
        self.metrics = Metrics()
        self.dispatcher: Dispatcher = MeteredDispatcher(
            self.composer,
            lambda: Clock(default_zone, as_of),
            artifacts=artifacts,
            metrics=self.metrics,
            curation=curation_desk(self.store, review=settings.accord_review == "required"),
            default_dossier=settings.accord_dossier,
        )
        self.adapters = _platform_adapters(settings, self.dispatcher, self.store)
        _warn_unreviewed(settings, [a.platform for a in self.adapters])
        self.console: ConsoleAdapter | None = None
        if not self.adapters:
            self.console = ConsoleAdapter(self.dispatcher, stdin=stdin, stdout=stdout)
            self.adapters.append(self.console)
        self.subscriptions = Subscriptions(self.store.db)
        self.courier = Courier(
            Ledger(self.store.db),
            self.subscriptions,
            [a.poster for a in self.adapters],
            concurrency=settings.delivery_concurrency,
            rate_per_second=settings.delivery_rate_per_second,
        )
        self.scheduler = Scheduler(
            subscriptions=self.subscriptions,
            courier=self.courier,
            composer=self.composer,
            clock=lambda zone: Clock(zone, as_of),
            grace=timedelta(hours=settings.digest_grace_hours),
            artifacts=artifacts,
        )
        self.dispatcher.desk = Desk(
            self.subscriptions, self.scheduler, settings.accord_tz, revision=self.store.revision
        )
        self.alerts = Alerts(
            self.store, self.subscriptions, self.courier, lambda: Clock(ZoneInfo("UTC"), as_of)
        )
        self.scheduler.alerts = self.alerts
        curation = self.dispatcher.curation
        if curation is not None:
            curation.on_live = self.alerts.poke
            if curation.review is not None:
                curation.review.on_live = self.alerts.poke
        self._started: list[Adapter] = []
        self.courier.observe = self.metrics.post
        self.courier.confirm_through = backup.confirm_through(self.store.db)
        senders = {
            a.platform: a.poster.direct_message
            for a in self.adapters
            if hasattr(a.poster, "direct_message")
        }
        self.notices = PauseNotices(self.store.db, senders)
        self.courier.on_pause = self.notices.paused
        self.readiness = health.Readiness()
        self.watch = health.SchedulerWatch(self.scheduler, self.metrics.scheduler_lag.set)
        self.ops = OpsServer(self.readiness, self.metrics, self._refresh_metrics)
        self._ops_shared = self._share_ops_port()

    def _share_ops_port(self) -> bool:
        """Serve the operators' endpoints on Slack's HTTP-mode server when the ports match."""
        port = self.settings.accord_http_port
        for adapter in self.adapters:
            if getattr(adapter, "mode", None) == "http" and port == self.settings.slack_port:
                adapter.extra_routes.extend(self.ops.routes())  # type: ignore[attr-defined]
                return True
        return False

    def _refresh_metrics(self) -> None:
        self.metrics.refresh(self.store.db)

    def _watch(self, adapter: Adapter) -> None:
        if adapter.platform == "discord":
            self.readiness.add("discord", health.discord_check(adapter.client))  # type: ignore[attr-defined]
        elif adapter.platform == "slack":
            self.readiness.add("slack", health.slack_check(adapter))
        else:
            self.readiness.add(adapter.platform, health.failed_check(health.READY))

    async def start(self) -> None:
        """Start the operators' endpoints, every adapter (AdapterError if one cannot), then
        the scheduler."""
        self.readiness.add("scheduler", self.watch.check)
        self.readiness.add("store", health.store_check(self.store))
        if self.settings.accord_http_port and not self._ops_shared:
            host, port = self.settings.accord_http_host, self.settings.accord_http_port
            try:
                await self.ops.start(host, port)
            except OSError as err:
                raise AdapterError(
                    f"cannot serve ACCORD_HTTP_HOST:ACCORD_HTTP_PORT {host}:{port}: {err.strerror}"
                ) from None
        for adapter in self.adapters:
            self._watch(adapter)
            try:
                await adapter.start()
            except AdapterError as err:
                failed = "rejected" if "rejected" in str(err) else "failed"
                self.readiness.add(adapter.platform, health.failed_check(failed))
                raise
            self._started.append(adapter)
            log.info("%s adapter started", adapter.platform)
        self.scheduler.start()

    async def wait(self, stop: asyncio.Event) -> None:
        """Until `stop` is set or the console's input ends."""
        waits = [asyncio.ensure_future(stop.wait())]
        if self.console is not None:
            waits.append(asyncio.ensure_future(self.console.finished.wait()))
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for waiting in waits:
            waiting.cancel()

    async def stop(self) -> None:
        """No new posts start; in-flight ones get STOP_GRACE seconds to finish, the rest
        are recorded as interrupted (the next start completes them); then scheduler,
        adapters and store close. Fits Docker's default 10 s stop."""
        self.courier.closing = True
        await self.scheduler.stop(timeout=STOP_GRACE)
        curation = self.dispatcher.curation
        if curation is not None and curation.review is not None:
            await curation.review.settled()
        await self.notices.drain()
        for adapter in reversed(self._started):
            await adapter.stop()
        self._started.clear()
        await self.ops.stop()
        self.store.close()


async def serve(
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Run until `stop` is set (or the console's input ends); 0 on a clean stop."""
    try:
        bot = Bot(settings, stdin=stdin, stdout=stdout)
    except (sqlite3.Error, OSError) as err:
        message = f"cannot open the store at {settings.accord_db} (ACCORD_DB): {err}"
        log.error("%s", message)
        print(f"accord-bot: error: {message}", file=sys.stderr)
        return 1
    try:
        await bot.start()
        await bot.wait(stop or asyncio.Event())
    except AdapterError as err:
        log.error("%s", err)
        print(f"accord-bot: error: {err}", file=sys.stderr)
        return 1
    finally:
        await bot.stop()
    return 0


def run_bot() -> int:
    try:
        settings = Settings()
    except ValidationError as err:
        problems = "; ".join(_problem(e["loc"], e["msg"]) for e in err.errors())
        print(f"accord-bot: error: bad setting: {problems}", file=sys.stderr)
        return 2
    logs.configure(settings.accord_log_format, settings.secrets())
    return asyncio.run(_main(settings))


def _problem(loc: tuple[int | str, ...], message: str) -> str:
    message = message.removeprefix("Value error, ")
    return f"{'.'.join(map(str, loc)).upper()}: {message}" if loc else message


async def _main(settings: Settings) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return await serve(settings, stop=stop)
