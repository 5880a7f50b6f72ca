"""Discord shard ranges across processes: two `accord-bot run` processes with
DISCORD_SHARD_IDS=0,1 and 2,3 of DISCORD_SHARD_COUNT=4 against one fake Discord. Each
shard identifies exactly once, each guild's interactions reach (and are answered by) the
process holding its shard, and only the process holding shard 0 syncs the commands."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
from pathlib import Path

from discord_support import sub
from fakes.discord import FakeDiscord
from fanout_support import bot_command, bot_env

SHARDS = 4


def guild_on_shard(shard: int) -> int:
    """A guild id Discord routes to `shard` of SHARDS: (guild_id >> 22) % count."""
    return ((1000 * SHARDS + shard) << 22) | 4242


async def test_two_processes_split_four_shards(tmp_path: Path) -> None:
    guilds = {shard: guild_on_shard(shard) for shard in range(SHARDS)}
    fake = await FakeDiscord(guild_ids=tuple(guilds.values())).start()
    processes: list[asyncio.subprocess.Process] = []
    try:
        for name, ids in (("a", "0,1"), ("b", "2,3")):
            env = bot_env(
                tmp_path / f"{name}.db",  # a store each: the sync rule alone keeps one sync
                ACCORD_AS_OF="2020-03-05",
                DISCORD_TOKEN=fake.token,
                DISCORD_API_BASE=fake.api_base,
                DISCORD_SHARD_COUNT=str(SHARDS),
                DISCORD_SHARD_IDS=ids,
            )
            processes.append(
                await asyncio.create_subprocess_exec(
                    *bot_command(),
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=(tmp_path / f"{name}.log").open("w"),
                )
            )
        await fake.wait_identified(SHARDS, timeout=60)
        assert sorted(fake.identifies) == [(shard, SHARDS) for shard in range(SHARDS)]

        for shard, guild in guilds.items():
            token = await fake.inject("accord", sub("status"), guild_id=guild)
            assert fake.dispatched_to[token] == [shard]
            (answer,) = await fake.wait_answers(token, timeout=15)
            assert "status on 2020-03-05" in json.dumps(answer.payload)

        assert len(fake.requests_to("PUT", "/commands")) == 1
        assert len(fake.identifies) == SHARDS  # nobody identified twice
    finally:
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
        codes = [await asyncio.wait_for(p.wait(), 20) for p in processes]
        await fake.close()
    logs = "".join((tmp_path / f"{n}.log").read_text() for n in "ab")
    assert "Traceback" not in logs
    assert codes == [0, 0], logs


def test_shard_ids_without_a_count_is_refused_at_start(tmp_path: Path) -> None:
    env = bot_env(tmp_path / "a.db", DISCORD_TOKEN="x", DISCORD_SHARD_IDS="0,1")
    result = subprocess.run(
        bot_command(), env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT" in result.stderr
    assert "Traceback" not in result.stderr


def test_shard_ids_outside_the_count_are_refused(tmp_path: Path) -> None:
    env = bot_env(
        tmp_path / "a.db", DISCORD_TOKEN="x", DISCORD_SHARD_COUNT="2", DISCORD_SHARD_IDS="1,2"
    )
    result = subprocess.run(
        bot_command(), env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "DISCORD_SHARD_IDS [2] outside 0..1" in result.stderr
