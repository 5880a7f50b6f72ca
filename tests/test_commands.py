"""The shared /accord grammar and dispatcher, as every platform uses them."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.commands import Caller, CommandError, Dispatcher, parse_text
from briefings.clock import Clock, InputError, parse_zone
from briefings.compose import Composer, reminders
from briefings.render.text import render_terminal_plain
from briefings.store import Store

CALLER = Caller("console", "console", "room", "tester", can_manage=True)


@pytest.fixture
def dispatcher(tmp_path: Path) -> Dispatcher:
    store = Store.open(tmp_path / "a.db")
    return Dispatcher(Composer(store), lambda: Clock(ZoneInfo("UTC"), date(2020, 9, 20)))


@pytest.mark.parametrize("page", ["²", "٣", "0", "-1", "1e3", "999999999"])
def test_odd_page_numbers_are_refused_in_words(page: str) -> None:
    with pytest.raises(CommandError, match="is not a page number"):
        parse_text(f"timeline page:{page}")


@pytest.mark.parametrize("zone", ["localtime", "Factory", "posixrules", "posix/UTC"])
def test_files_of_the_zone_database_that_are_not_zones_are_refused(zone: str) -> None:
    with pytest.raises(InputError, match="not a time zone"):
        parse_zone(zone)


async def test_long_unknown_ids_are_not_echoed_in_full(dispatcher: Dispatcher) -> None:
    reply = await dispatcher.handle_text("event " + "ü" * 5000, CALLER)
    assert reply.error and not reply.public
    assert len(reply.plain_text) < 400


async def test_from_after_today_is_an_error(dispatcher: Dispatcher) -> None:
    reply = await dispatcher.handle_text("timeline 3000-01-01", CALLER)
    assert reply.error and "after today" in reply.plain_text


async def test_an_internal_failure_is_a_private_apology_not_a_traceback(
    dispatcher: Dispatcher,
) -> None:
    dispatcher.composer.store.close()  # every read now fails inside the engine
    reply = await dispatcher.handle_text("status", CALLER)
    assert reply.error and not reply.public
    assert "went wrong on our side" in reply.plain_text
    assert "Traceback" not in reply.plain_text


def test_marks_say_what_became_of_a_deadline(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "a.db")
    text = render_terminal_plain(
        Composer(store).compose("countdown", Clock(ZoneInfo("UTC"), date(2020, 9, 13)))
    )
    assert "◔ Intra-Afghan negotiations begin" in text  # late
    assert "✓ US forces reduced from 13,000 to 8,600" in text  # met
    assert "✗ US to work toward removing Taliban members" in text  # missed
    assert "◷ Withdrawal of all US and coalition forces" in text  # upcoming


def test_passed_reminders_report_outcomes_recorded_on_the_due_date(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "a.db")
    made = reminders(store, Clock(ZoneInfo("UTC"), date(2020, 7, 13)), (7, 1), True)
    assert [b.title for b in made] == ["Outcome recorded today"]
    assert made[0].countdowns[0].slug == "drawdown-8600"
    assert reminders(store, Clock(ZoneInfo("UTC"), date(2020, 7, 13)), (7, 1), False) == []


def test_an_outcome_names_its_own_source_on_every_platform(tmp_path: Path) -> None:
    import json

    from bot.adapters.discord_embeds import message_payloads as discord_payloads
    from bot.adapters.slack_blocks import message_payloads as slack_payloads

    store = Store.open(tmp_path / "a.db")
    briefing = Composer(store).compose(
        "countdown", Clock(ZoneInfo("UTC"), date(2020, 3, 11)), deadline="intra-afghan-talks"
    )
    assert "Daily Times" in render_terminal_plain(briefing)
    assert "Daily Times" in json.dumps(slack_payloads(briefing))
    assert "Daily Times" in json.dumps(discord_payloads(briefing))
