"""The operators' HTTP endpoints: /healthz, /readyz and /metrics, on aiohttp.

They get their own server on ACCORD_HTTP_HOST:ACCORD_HTTP_PORT, or join Slack's
HTTP-mode server when it listens on the same port (`routes()` is what it adds).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web
from aiohttp.abc import AbstractView
from aiohttp.typedefs import Handler

from bot.ops.health import Readiness
from bot.ops.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger("accord.ops")

Route = tuple[str, str, Handler | type[AbstractView]]


class OpsServer:
    def __init__(self, readiness: Readiness, metrics: Metrics, refresh: Callable[[], None]) -> None:
        self.readiness = readiness
        self.metrics = metrics
        self.refresh = refresh
        self.port: int | None = None
        self._runner: web.AppRunner | None = None

    def routes(self) -> list[Route]:
        return [
            ("GET", "/healthz", self.healthz),
            ("GET", "/readyz", self.readyz),
            ("GET", "/metrics", self.metrics_page),
        ]

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(self, request: web.Request) -> web.Response:
        report = await self.readiness.report()
        return web.json_response(report, status=200 if report["ready"] else 503)

    async def metrics_page(self, request: web.Request) -> web.Response:
        self.refresh()
        body = self.metrics.render()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    async def start(self, host: str, port: int) -> None:
        app = web.Application()
        for method, path, handler in self.routes():
            app.router.add_route(method, path, handler)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        addresses = self._runner.addresses
        self.port = int(addresses[0][1]) if addresses else port
        log.info("operators' endpoints on http://%s:%s (/healthz, /readyz, /metrics)", host, port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
