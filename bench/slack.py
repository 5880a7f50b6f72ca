"""Signed `/accord status` requests per second through the Slack adapter's HTTP endpoint,
against a minimal Bolt AsyncApp that only acks, with the same client in the same run.

    .venv/bin/python bench/slack.py [--requests 2000] [--concurrency 16]
    .venv/bin/python bench/slack.py --db postgresql://USER@HOST/DB   # the PostgreSQL store
    .venv/bin/python bench/slack.py --db postgresql                  # a throwaway server

Latency is the time to the ack (the HTTP 200). The adapter then composes the briefing
and posts it to the response_url, in the same process, so its throughput includes that
work; the fake Slack receiving the answers runs in a separate process.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from asyncio.subprocess import PIPE
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fakes.slack import FakeSlack  # noqa: E402
from slack_support import (  # noqa: E402
    SIGNING_SECRET,
    command_body,
    make_dispatcher,
    running_adapter,
    sign,
)

from bot.adapters.slack import make_client  # noqa: E402
from bot.ops.metered import MeteredDispatcher  # noqa: E402
from briefings.database import describe  # noqa: E402
from briefings.store import Store  # noqa: E402

TARGET_RATIO = 0.8
METRICS_COST = 0.05  # metrics on: throughput and p50 within 5% of metrics off
TARGET_P99_MS = 50.0
ROUNDS = 8


async def serve_minimal(fake: FakeSlack) -> tuple[web.AppRunner, int]:
    """The baseline: a Bolt AsyncApp whose /accord handler acks a constant text."""
    app = AsyncApp(
        client=make_client("xoxb-test-token", fake.api_url), signing_secret=SIGNING_SECRET
    )

    @app.command("/accord")
    async def accord(ack: Callable[..., Awaitable[Any]]) -> None:
        await ack("ok")

    async def handle(request: web.Request) -> web.Response:
        response = await app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    application = web.Application()
    application.router.add_post("/slack/events", handle)
    runner = web.AppRunner(application, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


async def load(
    session: aiohttp.ClientSession, port: int, response_url: str, requests: int, concurrency: int
) -> tuple[float, list[float]]:
    """Send `requests` signed commands, `concurrency` at a time; (seconds, latencies)."""
    url = f"http://127.0.0.1:{port}/slack/events"
    body = command_body("status", response_url)
    latencies: list[float] = []
    queue = iter(range(requests))

    async def worker() -> None:
        for _ in queue:
            headers = sign(body, int(time.time()))
            started = time.perf_counter()
            async with session.post(url, data=body.encode(), headers=headers) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"HTTP {response.status}")
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def start_fake() -> tuple[asyncio.subprocess.Process, FakeSlack]:
    """The fake Slack in its own process, as Slack is not in the bot's process."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "tests" / "fakes" / "slack.py"), "--sink", stdout=PIPE
    )
    assert child.stdout is not None
    port = int((await child.stdout.readline()).decode())
    return child, FakeSlack(port=port)  # addresses only: the server runs in the child


async def main(requests: int, concurrency: int, url: str | None) -> int:
    child, fake = await start_fake()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(url or Path(tmp) / "bench.db")
        runner, minimal_port = await serve_minimal(fake)
        base = make_dispatcher(store)
        metered = MeteredDispatcher(base.composer, base.clock)
        async with (
            aiohttp.ClientSession() as session,
            running_adapter(fake, base, store) as adapter,
            running_adapter(fake, metered, store) as counted,
        ):
            assert adapter.port is not None and counted.port is not None
            ports = (minimal_port, adapter.port, counted.port)
            # Warm all (auth.test, the composer's cache, connections).
            for port in ports:
                await load(session, port, fake.response_url(), 50, concurrency)
            # Alternate short rounds, so a change in the machine's load hits all alike.
            names = (
                "minimal Bolt app (ack only)",
                "accord adapter (/accord status)",
                "accord adapter, metrics on",
            )
            runs: dict[str, tuple[float, list[float]]] = {name: (0.0, []) for name in names}
            pairs = list(zip(names, ports, strict=True))
            for round_ in range(ROUNDS):
                # Rotate the order: each row follows every other row's leftover work alike.
                shift = round_ % len(pairs)
                for name, port in pairs[shift:] + pairs[:shift]:
                    seconds, latencies = await load(
                        session, port, fake.response_url(), requests // ROUNDS, concurrency
                    )
                    total, seen = runs[name]
                    runs[name] = (total + seconds, seen + latencies)
                    await asyncio.sleep(0.2)  # the adapter's answers drain between rounds
            # Let the adapter's answers drain before closing.
            await asyncio.sleep(0.5)
        await runner.cleanup()
        store.close()
    child.terminate()
    await child.wait()
    rows = []
    for name, (seconds, latencies) in runs.items():
        rows.append(
            (
                name,
                len(latencies) / seconds,
                statistics.median(latencies) * 1000,
                percentile(latencies, 0.99) * 1000,
            )
        )
    baseline = rows[0][1]
    where = describe(url) if url else "SQLite"
    print(
        f"{requests} requests, {concurrency} concurrent, store on {where}, "
        f"Python {sys.version.split()[0]}\n"
    )
    print("| app | requests/s | p50 ms | p99 ms | vs minimal |")
    print("|---|---:|---:|---:|---:|")
    for name, rate, p50, p99 in rows:
        print(f"| {name} | {rate:,.0f} | {p50:.1f} | {p99:.1f} | {rate / baseline:.2f} |")
    _, rate, p50, p99 = rows[1]
    ok = rate >= TARGET_RATIO * baseline and p99 < TARGET_P99_MS
    print(
        f"\ntarget: >= {TARGET_RATIO:.0%} of the minimal app's throughput, "
        f"p99 < {TARGET_P99_MS:.0f} ms: {'met' if ok else 'NOT met'}"
    )
    _, on_rate, on_p50, _ = rows[2]
    slower, later = 1 - on_rate / rate, on_p50 / p50 - 1
    cheap = slower <= METRICS_COST and later <= METRICS_COST
    print(
        f"metrics on: throughput {-slower:+.1%}, p50 {later:+.1%} vs off "
        f"(target within {METRICS_COST:.0%}): {'met' if cheap else 'NOT met'}"
    )
    return 0 if ok and cheap else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--db", default=None, help="a postgresql:// URL, or `postgresql` for a throwaway server"
    )
    args = parser.parse_args()
    if args.db == "postgresql":
        from postgres import PostgresServer

        with PostgresServer.start() as server:
            url = server.create_database("accord_bench")
            sys.exit(asyncio.run(main(args.requests, args.concurrency, url)))
    sys.exit(asyncio.run(main(args.requests, args.concurrency, args.db)))
