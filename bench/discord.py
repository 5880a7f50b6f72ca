"""Latency of `/accord status` on Discord: interaction in, callback out.

Runs the real adapter and, for comparison, a minimal discord.py bot that answers a
constant text, one after the other against the same fake Discord on 127.0.0.1, and
prints p50/p99 of the time from the injected INTERACTION_CREATE to the bot's callback
reaching the fake. Targets: p50 at most 1.3x the minimal bot's, p99 under 50 ms.

    .venv/bin/python bench/discord.py [--count 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

# This file is named discord.py: keep its folder off the path so `import discord` finds
# the library, and put the tests' fake Discord on it.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent / "tests"))

import discord  # noqa: E402
from discord import app_commands  # noqa: E402
from discord.http import Route  # noqa: E402
from discord_support import running_bot, sub  # noqa: E402
from fakes.discord import FakeDiscord  # noqa: E402

P50_RATIO = 1.3
METRICS_COST = 0.05  # metrics on: p50 within 5% of metrics off
P99_MAX_MS = 50.0
ISOLATED_PAUSE = 0.002  # seconds between interactions in the one-at-a-time rows


async def measure(fake: FakeDiscord, count: int, pause: float, warmup: int = 50) -> list[float]:
    """Milliseconds from injecting `/accord status` to its callback, `count` times.

    With a pause, each interaction comes alone, after the last one's tail work (parsing
    Discord's answer) is done: latency as a user sees it. Without, they come back to back.
    """
    samples: list[float] = []
    for index in range(warmup + count):
        if pause:
            await asyncio.sleep(pause)
        started = time.perf_counter()
        token = await fake.inject("accord", sub("status"))
        (answer,) = await fake.wait_answers(token, 1)
        if index >= warmup:
            samples.append((answer.at - started) * 1000)
    return samples


async def minimal_bot(fake: FakeDiscord, count: int, pause: float) -> list[float]:
    """The floor: a bare discord.py bot answering the same command with a constant."""
    Route.BASE = fake.api_base
    client = discord.AutoShardedClient(
        intents=discord.Intents(guilds=True), guild_ready_timeout=0.02
    )
    tree = app_commands.CommandTree(client)
    group = app_commands.Group(name="accord", description="accord")

    @group.command(name="status", description="status")
    async def status(interaction: discord.Interaction[discord.Client]) -> None:
        await interaction.response.send_message("The accord: status.")

    tree.add_command(group)
    await client.login(fake.token)
    runner = asyncio.create_task(client.connect())
    await client.wait_until_ready()
    try:
        return await measure(fake, count, pause)
    finally:
        await client.close()
        await asyncio.gather(runner, return_exceptions=True)


async def accord_bot(
    fake: FakeDiscord, count: int, pause: float, *, metered: bool = False
) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        async with running_bot(Path(tmp), fake=fake, metered=metered):
            return await measure(fake, count, pause)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def main(count: int) -> int:
    fake = await FakeDiscord().start()
    rows: list[tuple[str, str, list[float]]] = []
    try:
        for spacing, pause in (("one at a time", ISOLATED_PAUSE), ("back to back", 0.0)):
            rows.append(("minimal discord.py bot", spacing, await minimal_bot(fake, count, pause)))
            rows.append(
                ("accord-bot /accord status", spacing, await accord_bot(fake, count, pause))
            )
            metered = await accord_bot(fake, count, pause, metered=True)
            rows.append(("accord-bot, metrics on", spacing, metered))
    finally:
        await fake.close()
    print(
        f"{count:,} interactions per row, INTERACTION_CREATE -> callback, fake Discord on 127.0.0.1"
    )
    print(f"| {'bot':<26} | {'arrival':<13} | {'p50 ms':>7} | {'p99 ms':>7} | {'mean ms':>7} |")
    print(f"| {'-' * 26} | {'-' * 13} | {'-' * 6}:| {'-' * 6}:| {'-' * 6}:|")
    for name, spacing, samples in rows:
        p50, p99, mean = percentile(samples, 50), percentile(samples, 99), statistics.mean(samples)
        print(f"| {name:<26} | {spacing:<13} | {p50:7.2f} | {p99:7.2f} | {mean:7.2f} |")
    ok = True
    for spacing in ("one at a time", "back to back"):
        floor, ours, metered = (s for _, sp, s in rows if sp == spacing)
        ratio = percentile(ours, 50) / percentile(floor, 50)
        p99 = percentile(ours, 99)
        met = ratio <= P50_RATIO and p99 < P99_MAX_MS
        ok = ok and (met or spacing == "back to back")
        print(
            f"{spacing}: p50 {ratio:.2f}x the minimal bot's (target <= {P50_RATIO}x), "
            f"p99 {p99:.1f} ms (target < {P99_MAX_MS:.0f} ms): {'met' if met else 'NOT met'}"
        )
        cost = percentile(metered, 50) / percentile(ours, 50) - 1
        cheap = cost <= METRICS_COST
        ok = ok and (cheap or spacing == "back to back")
        print(
            f"{spacing}: metrics on, p50 {cost:+.1%} vs off "
            f"(target within {METRICS_COST:.0%}): {'met' if cheap else 'NOT met'}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    sys.exit(asyncio.run(main(parser.parse_args().count)))
