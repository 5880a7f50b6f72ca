"""Curating from Discord through the real discord.py client: /accord curate answers with
a modal (callback type 9), the MODAL_SUBMIT stores the change, a failed submit lists its
problems privately with a button that reopens the form filled in, and rights are checked
on submit too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from discord_support import option, running_bot, sub
from fakes.discord import CURATOR_ROLE_ID, EVERYONE, MANAGE_GUILD, FakeDiscord

from briefings import revisions

CURATOR = EVERYONE | MANAGE_GUILD
EVENT = {
    "date": "2020-03-04",
    "title": "Ceasefire talks in Kabul @everyone",
    "summary": "Officials met **briefly**.",
    "sources": "reuters",
}
EVENT_ID = "2020-03-04-ceasefire-talks-in-kabul-everyone"


def inputs(modal: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["components"][0]["custom_id"]: row["components"][0] for row in modal["components"]}


async def open_form(fake: FakeDiscord, *extra: dict[str, Any], **who: Any) -> dict[str, Any]:
    token = await fake.inject("accord", sub("curate", option("action", "event"), *extra), **who)
    (answer,) = await fake.wait_answers(token)
    assert answer.kind == "callback" and answer.type == 9
    return fake.modal(token)


async def test_curate_answers_with_a_modal_and_the_submit_stores_the_event(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, day=None) as bot:
        modal = await open_form(bot.fake, permissions=CURATOR)
        fields = inputs(modal)
        assert list(fields) == ["date", "title", "summary", "sources", "tags"]  # five at most
        assert len(modal["title"]) <= 45
        token = await bot.fake.submit_modal(modal, EVENT, permissions=CURATOR)
        (answer,) = await bot.fake.wait_answers(token)
        assert answer.type == 4 and answer.ephemeral
        message = answer.message or {}
        assert f"event {EVENT_ID} recorded as revision 2" in message["content"].replace("\\", "")
        rows = revisions.history(bot.store.db, "doha-2020", EVENT_ID)
        assert len(rows) == 1 and rows[0].author.platform == "discord"

        token = await bot.fake.inject("accord", sub("event", option("id", EVENT_ID)))
        (shown,) = await bot.fake.wait_answers(token)
        text = json.dumps(shown.message)
        assert "Ceasefire talks in Kabul" in text and "Reuters" in text
        assert "\\\\*\\\\*briefly" in text  # markdown made literal
        assert shown.message is not None
        assert shown.message.get("allowed_mentions") == {"parse": []}  # no ping


async def test_a_failed_submit_lists_problems_and_reopens_filled(tmp_path: Path) -> None:
    async with running_bot(tmp_path, day=None) as bot:
        modal = await open_form(bot.fake, permissions=CURATOR)
        before = bot.store.content_fingerprint()
        bad = {**EVENT, "date": "2020-02-30", "sources": "nope"}
        token = await bot.fake.submit_modal(modal, bad, permissions=CURATOR)
        (answer,) = await bot.fake.wait_answers(token)
        message = answer.message or {}
        assert answer.ephemeral
        assert "date: '2020-02-30' is not a real calendar date" in message["content"]
        assert "unknown source 'nope'" in message["content"]
        assert bot.store.content_fingerprint() == before
        button = message["components"][0]["components"][0]
        assert button["type"] == 2 and button["label"] == "Reopen the form"

        sent = bot.fake.created[token]  # the message as Discord made it, with its id
        click = await bot.fake.click(sent, button["custom_id"], permissions=CURATOR)
        (reopened,) = await bot.fake.wait_answers(click)
        assert reopened.type == 9
        again = inputs(bot.fake.modal(click))
        assert again["date"]["value"] == "2020-02-30" and again["sources"]["value"] == "nope"
        assert again["title"]["value"] == EVENT["title"]


async def test_a_member_without_rights_is_refused_privately(tmp_path: Path) -> None:
    async with running_bot(tmp_path, day=None, discord_curator_roles=["curators"]) as bot:
        token = await bot.fake.inject("accord", sub("curate", option("action", "event")))
        (answer,) = await bot.fake.wait_answers(token)
        assert answer.type == 4 and answer.ephemeral
        assert "Only members with Manage Server or a curator role" in json.dumps(answer.message)

        # A member of the Curators role (by name) may; losing the rights before the
        # submit is caught on submit.
        modal = await open_form(bot.fake, roles=(CURATOR_ROLE_ID,))
        before = bot.store.content_fingerprint()
        token = await bot.fake.submit_modal(modal, EVENT)  # no role any more
        (refused,) = await bot.fake.wait_answers(token)
        assert refused.ephemeral and "Only members with Manage Server" in json.dumps(
            refused.message
        )
        assert bot.store.content_fingerprint() == before


async def test_the_text_form_on_discord_applies_at_once(tmp_path: Path) -> None:
    async with running_bot(tmp_path, day=None) as bot:
        fields = "date:2020-03-04 title:“Talks in Kabul” sources:reuters"
        token = await bot.fake.inject(
            "accord",
            sub("curate", option("action", "event"), option("fields", fields)),
            permissions=CURATOR,
        )
        (answer,) = await bot.fake.wait_answers(token)
        assert answer.type == 4 and answer.ephemeral
        assert "2020-03-04-talks-in-kabul" in json.dumps(answer.message)
        token = await bot.fake.inject(
            "accord", sub("history", option("id", "2020-03-04-talks-in-kabul"))
        )
        (history,) = await bot.fake.wait_answers(token)
        assert "#2 " in json.dumps(history.message)


async def test_correct_modal_holds_five_inputs_filled_with_a_reason(tmp_path: Path) -> None:
    async with running_bot(tmp_path, day=None) as bot:
        target = "us-drone-strike-helmand"
        token = await bot.fake.inject(
            "accord",
            sub("curate", option("action", "correct"), option("id", target)),
            permissions=CURATOR,
        )
        (answer,) = await bot.fake.wait_answers(token)
        assert answer.type == 9
        modal = bot.fake.modal(token)
        fields = inputs(modal)
        assert len(fields) == 5 and list(fields)[-1] == "reason"
        assert fields["date"]["value"] == "2020-03-04" and not fields["reason"].get("value")
        changed = {"title": "US drone strike in Helmand", "reason": "shorter"}
        token = await bot.fake.submit_modal(modal, changed, permissions=CURATOR)
        (done,) = await bot.fake.wait_answers(token)
        assert "corrected as revision 2" in json.dumps(done.message)
        last = revisions.history(bot.store.db, "doha-2020", target)[-1]
        assert [name for name, _, _ in last.changed_fields()] == ["title"]
        assert last.reason == "shorter" and last.author.platform == "discord"
