"""Golden outputs for the shipped dossier: every briefing kind on every surface, and the
answers the Slack and Discord commands give. Regenerate with ACCORD_GOLDEN=update only
when a change of output is intended."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.adapters import discord_embeds, slack_blocks
from bot.commands import Caller, Dispatcher
from briefings.clock import Clock
from briefings.compose import Composer
from briefings.document import Briefing
from briefings.render.json import to_dict
from briefings.render.text import render_terminal_plain
from briefings.store import Store

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("ACCORD_GOLDEN") == "update"
TODAY = date(2020, 9, 20)
CALLER = Caller("slack", "T0", "C0", "U0", can_manage=True)

BRIEFINGS: dict[str, dict[str, Any]] = {
    "status": {},
    "countdown": {},
    "countdown-one": {"deadline": "drawdown-8600"},
    "timeline": {},
    "timeline-page2": {"page": 2},
    "timeline-range": {"start": date(2020, 3, 1), "end": date(2020, 3, 31)},
    "event": {"event_id": "doha-signing"},
    "digest": {},
}
COMMANDS = (
    "status",
    "countdown drawdown-8600",
    "timeline 2020-03-01 2020-03-31",
    "timeline page:2",
    "event doha-signing",
    "digest",
    "help",
    "bogus",
    "timeline page:x",
    "event",
    "subscribe weekly",
    "subscribe digest 25:00",
)


def _check(name: str, value: object) -> None:
    path = GOLDEN / f"{name}.json"
    text = json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False, default=str) + "\n"
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}; run with ACCORD_GOLDEN=update"
    assert json.loads(text) == json.loads(path.read_text(encoding="utf-8")), name


@pytest.fixture(scope="module")
def composer(tmp_path_factory: pytest.TempPathFactory) -> Composer:
    return Composer(Store.open(tmp_path_factory.mktemp("golden") / "a.db"))


def _clock() -> Clock:
    return Clock(ZoneInfo("UTC"), TODAY)


def _compose(composer: Composer, name: str) -> Briefing:
    kind = name.split("-")[0]
    return composer.compose(kind, _clock(), **BRIEFINGS[name])


@pytest.mark.parametrize("name", BRIEFINGS)
def test_every_briefing_on_every_surface(composer: Composer, name: str) -> None:
    briefing = _compose(composer, name)
    _check(
        f"briefing-{name}",
        {
            "text": render_terminal_plain(briefing).splitlines(),
            "json": to_dict(briefing),
            "slack": slack_blocks.message_payloads(briefing),
            "discord": discord_embeds.message_payloads(briefing),
        },
    )


def test_reminders_on_every_surface(composer: Composer) -> None:
    made = composer.reminders(Clock(ZoneInfo("UTC"), date(2020, 7, 13)), (30, 7, 1, 0), True)
    _check(
        "briefing-reminders",
        [
            {
                "text": render_terminal_plain(b).splitlines(),
                "json": to_dict(b),
                "slack": slack_blocks.message_payloads(b),
                "discord": discord_embeds.message_payloads(b),
            }
            for b in made
        ],
    )


def _slack_answer(reply: Any) -> list[Any]:
    # What SlackAdapter.send posts to the response_url.
    if reply.briefing is not None:
        payloads = slack_blocks.message_payloads(reply.briefing)
    else:
        payloads = [
            slack_blocks.text_payload(slack_blocks.reply_text(reply.text or "", reply.usage))
        ]
    return [{"public": reply.public, **p} for p in payloads]


@pytest.mark.parametrize("line", COMMANDS)
async def test_command_answers_on_slack_and_discord(composer: Composer, line: str) -> None:
    reply = await Dispatcher(composer, _clock).handle_text(line, CALLER)
    _check(
        "command-" + line.replace(" ", "_").replace(":", "=").replace("/", "_"),
        {
            "public": reply.public,
            "error": reply.error,
            "slack": _slack_answer(reply),
            "discord": discord_embeds.reply_payloads(reply),
        },
    )
