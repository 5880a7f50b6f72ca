"""10,000 digests due in the same minute, fanned out to the fake Slack and the fake
Discord, each limited to a rate like the real platforms' (default 500 posts/s).

    .venv/bin/python bench/fanout.py [--channels 10000] [--limit 500]

The bot runs as `accord-bot run` in a child process on a fresh store; the fakes run
here, count what arrives, and answer posts over the limit with 429s. Reported: posts per
second achieved as a fraction of the limit, compositions (one per distinct zone and
day is the target), duplicates and losses (0), and the bot's peak memory (< 200 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import resource
import signal
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fakes.discord import GUILD_ID, FakeDiscord  # noqa: E402
from fakes.slack import BOT_TOKEN, TEAM, FakeSlack  # noqa: E402
from fanout_support import bot_command, bot_env  # noqa: E402

from bot.subscriptions import Subscriptions  # noqa: E402
from briefings.store import Store  # noqa: E402

ZONES = ("UTC", "Asia/Kabul", "America/New_York", "Europe/Berlin")


def seed(db: Path, channels: int, due: datetime) -> None:
    """Half the channels on each platform, spread over four zones, all due at `due`."""
    store = Store.open(db)
    subs = Subscriptions(store.db)
    with store.db.atomic():
        for n in range(channels):
            zone = ZONES[n % len(ZONES)]
            at = due.astimezone(ZoneInfo(zone)).time()
            if n % 2:
                subs.upsert(
                    "slack", TEAM, f"C{n:06d}", "digest", dossier="", by="bench", zone=zone, at=at
                )
            else:
                channel = str(900000000001000000 + n)
                subs.upsert(
                    "discord",
                    str(GUILD_ID),
                    channel,
                    "digest",
                    dossier="",
                    by="bench",
                    zone=zone,
                    at=at,
                )
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat(timespec="seconds")
    store.db.execute("UPDATE subscriptions SET created_at = ?", [yesterday])
    store.close()


def rate(times: list[float]) -> float:
    times = sorted(times)
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0


async def run(channels: int, limit: float, bot_rate: float) -> int:
    slack = await FakeSlack().start()
    slack.rate_limit = limit
    slack.keep_responses = False
    discord = await FakeDiscord().start()
    discord.posts_per_second = limit
    scratch = tempfile.TemporaryDirectory(prefix="accord-fanout-")
    workdir = Path(scratch.name)
    db = workdir / "accord.db"
    due = (datetime.now(UTC) + timedelta(seconds=75)).replace(second=0, microsecond=0)
    seed(db, channels, due)
    env = bot_env(
        db,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET="bench",
        SLACK_API_URL=slack.api_url,
        SLACK_PORT="0",
        SLACK_HOST="127.0.0.1",
        DISCORD_TOKEN=discord.token,
        DISCORD_API_BASE=discord.api_base,
        DISCORD_GUILD_ID=str(GUILD_ID),
        DELIVERY_CONCURRENCY="64",
        DELIVERY_RATE_PER_SECOND=str(bot_rate),
    )
    log_path = workdir / "bot.log"
    with log_path.open("wb") as log:
        bot = await asyncio.create_subprocess_exec(
            *bot_command(),
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
        )
        print(f"{channels:,} channels due at {due:%H:%M:%S} UTC; waiting…", file=sys.stderr)
        half = channels // 2
        deadline = due + timedelta(seconds=30 + 3 * channels / limit)
        while datetime.now(UTC) < deadline:
            slack_posts = len(slack.messages)
            discord_posts = sum(len(m) for m in discord.messages.values())
            if slack_posts >= half and discord_posts >= channels - half:
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(2)  # anything later would be a duplicate
        bot.send_signal(signal.SIGTERM)
        code = await bot.wait()
    text = log_path.read_text(errors="replace")
    found = re.search(r"with (\d+) compositions", text)
    compositions = int(found.group(1)) if found else -1
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    slack_counts = Counter(m.channel for m in slack.messages)
    discord_counts = Counter({c: len(m) for c, m in discord.messages.items() if m})
    rows = []
    for name, counts, expected, times, limited in (
        ("slack", slack_counts, channels // 2, [m.at for m in slack.messages], slack.rate_limited),
        (
            "discord",
            discord_counts,
            channels - channels // 2,
            [q.at for q in discord.requests_to("POST", "/channels/") if q.json],
            discord.rate_limited,
        ),
    ):
        duplicates = sum(n - 1 for n in counts.values() if n > 1)
        losses = expected - len(counts)
        achieved = rate(times)
        rows.append(
            (name, expected, len(counts), duplicates, losses, achieved, achieved / limit, limited)
        )
    print(
        f"\nfan-out of {channels:,} digests due at one minute; fakes limited to "
        f"{limit:g} posts/s each, bot set to {bot_rate:g}/s per platform\n"
    )
    print("| platform | due | delivered | duplicates | losses | posts/s | of limit | 429s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, expected, got, dup, lost, achieved, fraction, limited in rows:
        print(
            f"| {name} | {expected:,} | {got:,} | {dup} | {lost} | {achieved:,.0f} | "
            f"{fraction:.2f} | {limited} |"
        )
    print("\n| compositions | distinct zones×days | bot peak memory | bot exit |")
    print("|---|---|---|---|")
    print(f"| {compositions} | {len(ZONES)} | {peak_mb:,.0f} MB | {code} |")
    await slack.stop()
    await discord.close()
    scratch.cleanup()
    good = (
        all(r[3] == 0 and r[4] == 0 and r[6] >= 0.9 for r in rows)
        and compositions == len(ZONES)
        and peak_mb < 200
        and code == 0
    )
    return 0 if good else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=10_000)
    parser.add_argument("--limit", type=float, default=500.0)
    parser.add_argument(
        "--bot-rate",
        type=float,
        default=None,
        help="the bot's DELIVERY_RATE_PER_SECOND (default: 98%% of --limit)",
    )
    args = parser.parse_args()
    return asyncio.run(run(args.channels, args.limit, args.bot_rate or args.limit * 0.98))


if __name__ == "__main__":
    sys.exit(main())
