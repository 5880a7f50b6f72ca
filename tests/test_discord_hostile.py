"""Interactions no real client would send, through the fake gateway: each gets a short
private answer (or an empty list of choices), never "Something went wrong" or silence."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from discord_support import option, running_bot, sub


def _text(answer: Any) -> str:
    return json.dumps(answer.payload, ensure_ascii=False)


@pytest.mark.parametrize(
    "options",
    [
        sub("frobnicate"),
        [],
        sub("digest", group="frobnicate"),
        [{"type": 1, "name": "subscribe", "options": []}],
    ],
    ids=["unknown subcommand", "no options", "unknown group", "group without sub"],
)
async def test_unknown_or_empty_commands_get_a_short_private_answer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, options: list[dict[str, Any]]
) -> None:
    async with running_bot(tmp_path) as bot:
        token = await bot.fake.inject("accord", options)
        (answer,) = await bot.fake.wait_answers(token)
        assert answer.ephemeral, answer.payload
        assert "went wrong" not in _text(answer)
        assert len(_text(answer)) < 2000
    assert all(r.exc_info is None for r in caplog.records if r.levelno >= logging.ERROR)


@pytest.mark.parametrize(
    "options",
    [
        sub("countdown", {"type": 4, "name": "deadline", "value": 12, "focused": True}),
        sub("timeline", option("page", 2, focused=True)),
        sub("chart", option("from", "2020", focused=True)),
        sub("frobnicate", option("x", "y", focused=True)),
    ],
    ids=["integer value", "non-autocomplete int", "non-autocomplete text", "unknown"],
)
async def test_odd_autocomplete_is_answered_with_choices(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, options: list[dict[str, Any]]
) -> None:
    async with running_bot(tmp_path) as bot:
        token = await bot.fake.inject("accord", options, autocomplete=True)
        (answer,) = await bot.fake.wait_answers(token, timeout=3)
        assert answer.type == 8, answer.payload  # APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
    assert all(r.exc_info is None for r in caplog.records if r.levelno >= logging.ERROR)


async def test_a_huge_zone_or_time_is_not_echoed_whole(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        for options in (
            sub("digest", option("time", "9" * 100_000), group="subscribe"),
            sub("digest", option("zone", "A" * 100_000), group="subscribe"),
        ):
            token = await bot.fake.inject("accord", options)
            answers = await bot.fake.wait_answers(token)
            assert len(answers) == 1 and answers[0].ephemeral
            assert len(_text(answers[0])) < 2000


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "0001-01-02"])
async def test_a_chart_near_year_1_or_9999_is_a_short_error(tmp_path: Path, day: str) -> None:
    async with running_bot(tmp_path) as bot:
        for options in (sub("chart", option("from", day)), sub("chart", option("to", day))):
            token = await bot.fake.inject("accord", options)
            (answer,) = await bot.fake.wait_answers(token)
            assert answer.ephemeral and "went wrong" not in _text(answer), _text(answer)
