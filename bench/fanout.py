"""10,000 digests due in the same minute, fanned out to the fake Slack and the fake
Discord, each limited to a rate like the real platforms' (default 500 posts/s).

    .venv/bin/python bench/fanout.py [--channels 10000] [--limit 500]
    .venv/bin/python bench/fanout.py --processes 3 --db postgresql://USER@HOST/EMPTY_DB
    .venv/bin/python bench/fanout.py --processes 3 --db postgresql   # a throwaway server
    .venv/bin/python bench/fanout.py --alerts [--channels 5000]    # one change alerted

The bot runs as `accord-bot run` in child processes (one by default, on a fresh SQLite
store; with --db on a PostgreSQL database, which must hold no subscriptions yet); the
fakes run here, count what arrives, and answer posts over the limit with 429s. Reported:
posts per second achieved in aggregate as a fraction of the limit, compositions (one per
distinct zone and day per process is the target), duplicates and losses (0), and the peak
memory of the largest bot process (< 200 MB).
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
from briefings.database import describe  # noqa: E402
from briefings.store import Store  # noqa: E402

ZONES = ("UTC", "Asia/Kabul", "America/New_York", "Europe/Berlin")


def seed(db: Path | str, channels: int, due: datetime) -> None:
    """Half the channels on each platform, spread over four zones, all due at `due`."""
    store = Store.open(db)
    subs = Subscriptions(store.db)
    if subs.all():
        store.close()
        raise SystemExit(f"bench/fanout.py: {describe(db)} already has subscriptions")
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


def clean(db: Path | str) -> None:
    """Remove what the bench made (a PostgreSQL database outlives it)."""
    store = Store.open(db)
    with store.db.atomic():
        store.db.execute(
            "DELETE FROM deliveries WHERE subscription IN"
            " (SELECT id FROM subscriptions WHERE created_by = 'bench')"
        )
        store.db.execute("DELETE FROM subscriptions WHERE created_by = 'bench'")
    store.close()


async def run(channels: int, limit: float, bot_rate: float, processes: int, url: str | None) -> int:
    slack = await FakeSlack().start()
    slack.rate_limit = limit
    slack.keep_responses = False
    discord = await FakeDiscord().start()
    discord.posts_per_second = limit
    scratch = tempfile.TemporaryDirectory(prefix="accord-fanout-")
    workdir = Path(scratch.name)
    db: Path | str = url or workdir / "accord.db"
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
    log_paths = [workdir / f"bot-{n}.log" for n in range(processes)]
    bots = []
    for log_path in log_paths:
        with log_path.open("wb") as log:
            bot = await asyncio.create_subprocess_exec(
                *bot_command(),
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log,
            )
        bots.append(bot)
    print(
        f"{channels:,} channels due at {due:%H:%M:%S} UTC on {processes} process(es); waiting…",
        file=sys.stderr,
    )
    half = channels // 2
    deadline = due + timedelta(seconds=30 + 3 * channels / limit)
    while datetime.now(UTC) < deadline:
        slack_posts = len(slack.messages)
        discord_posts = sum(len(m) for m in discord.messages.values())
        if slack_posts >= half and discord_posts >= channels - half:
            break
        await asyncio.sleep(0.5)
    await asyncio.sleep(2)  # anything later would be a duplicate
    for bot in bots:
        bot.send_signal(signal.SIGTERM)
    codes = [await bot.wait() for bot in bots]
    code = max(codes, key=abs)
    each = []
    for log_path in log_paths:
        found = re.search(r"with (\d+) compositions", log_path.read_text(errors="replace"))
        each.append(int(found.group(1)) if found else -1)
    compositions = max(each) if -1 not in each else -1
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
    where = describe(db) if url else "SQLite"
    print(
        f"\nfan-out of {channels:,} digests due at one minute by {processes} process(es) on "
        f"{where}; fakes limited to {limit:g} posts/s each, DELIVERY_RATE_PER_SECOND "
        f"{bot_rate:g} per platform (shared by the processes)\n"
    )
    print("| platform | due | delivered | duplicates | losses | posts/s | of limit | 429s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, expected, got, dup, lost, achieved, fraction, limited in rows:
        print(
            f"| {name} | {expected:,} | {got:,} | {dup} | {lost} | {achieved:,.0f} | "
            f"{fraction:.2f} | {limited} |"
        )
    print("\n| compositions per process | distinct zones×days | peak memory per process | exits |")
    print("|---|---|---|---|")
    shown = ", ".join(map(str, each))
    print(f"| {shown} | {len(ZONES)} | {peak_mb:,.0f} MB | {codes} |")
    if url:
        clean(db)
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
    parser.add_argument("--processes", type=int, default=1, help="accord-bot run processes")
    parser.add_argument(
        "--db",
        default=None,
        help="a postgresql:// URL of an empty database, or `postgresql` for a throwaway server",
    )
    parser.add_argument(
        "--alerts",
        action="store_true",
        help="the alerts row: one change alerted to --channels (default 5,000) channels",
    )
    args = parser.parse_args()
    bot_rate = args.bot_rate or args.limit * 0.98
    if args.alerts:
        from fanout_alerts import run_alerts

        channels = args.channels if "--channels" in sys.argv else 5_000
        return asyncio.run(run_alerts(channels, args.limit, bot_rate, args.db))
    if args.db == "postgresql":
        from postgres import PostgresServer

        with PostgresServer.start() as server:
            url = server.create_database("accord_bench")
            return asyncio.run(run(args.channels, args.limit, bot_rate, args.processes, url))
    return asyncio.run(run(args.channels, args.limit, bot_rate, args.processes, args.db))


if __name__ == "__main__":
    sys.exit(main())
