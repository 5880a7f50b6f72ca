"""Two-person review through the real discord.py client and the fake Discord: the
proposal posted to the review channel with buttons, MESSAGE_COMPONENT clicks (type 3),
the reason modal, and the review message updated once decided, after a restart too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from discord_support import option, running_bot, sub
from fakes.discord import EVERYONE, MANAGE_GUILD, FakeDiscord
from waiting import eventually

from briefings import revisions

CURATOR = EVERYONE | MANAGE_GUILD
ANA, BO, NOBODY = 900000000000000301, 900000000000000302, 900000000000000303
REVIEW = "900000000000000999"
EVENT_ID = "2020-03-04-talks-resume-in-doha"
FIELDS = 'date:2020-03-04 title:"Talks resume in Doha" sources:reuters'


async def propose(fake: FakeDiscord) -> dict[str, Any]:
    token = await fake.inject(
        "accord",
        sub("curate", option("action", "event"), option("fields", FIELDS)),
        permissions=CURATOR,
        user_id=ANA,
    )
    (answer,) = await fake.wait_answers(token)
    assert answer.ephemeral and "proposed as #1" in json.dumps(answer.message)
    await eventually(lambda: fake.messages.get(REVIEW))
    posted = fake.messages[REVIEW][0]
    return fake.full_messages[posted["_id"]]


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [c["custom_id"] for row in message.get("components") or [] for c in row["components"]]


async def test_the_proposer_cannot_approve_and_a_second_curator_can(tmp_path: Path) -> None:
    async with running_bot(tmp_path, day=None, review=True, discord_review_channel=REVIEW) as bot:
        fake, before = bot.fake, bot.store.content_fingerprint()
        message = await propose(fake)
        assert "Talks resume in Doha" in message["content"]
        assert custom_ids(message) == ["accord:review:approve:1", "accord:review:reject:1"]
        assert bot.store.content_fingerprint() == before

        token = await fake.click(
            message, "accord:review:approve:1", permissions=CURATOR, user_id=ANA
        )
        (refused,) = await fake.wait_answers(token)
        assert refused.type == 4 and refused.ephemeral
        assert "another curator must approve" in json.dumps(refused.message)

        token = await fake.click(message, "accord:review:approve:1", user_id=NOBODY)
        (refused,) = await fake.wait_answers(token)
        assert refused.ephemeral and "Only members with Manage Server" in json.dumps(
            refused.message
        )
        assert bot.store.content_fingerprint() == before

        token = await fake.click(
            message, "accord:review:approve:1", permissions=CURATOR, user_id=BO
        )
        (approved,) = await fake.wait_answers(token)
        assert approved.type == 7  # UPDATE_MESSAGE: the review message itself
        data = approved.payload["data"]
        assert "Approved by" in data["content"] and str(BO) in data["content"]
        assert data.get("components") == []

        rows = revisions.history(bot.store.db, "doha-2020", EVENT_ID)
        assert [(r.author.user_id, r.approver and r.approver.user_id) for r in rows] == [
            (str(ANA), str(BO))
        ]
        token = await fake.inject(
            "accord", sub("timeline", option("from", "2020-03-04"), option("to", "2020-03-04"))
        )
        (shown,) = await fake.wait_answers(token)
        assert "Talks resume in Doha" in json.dumps(shown.message)


async def test_reject_opens_a_modal_and_a_restarted_bot_still_knows_the_buttons(
    tmp_path: Path,
) -> None:
    fake = await FakeDiscord().start()
    try:
        async with running_bot(
            tmp_path, fake=fake, day=None, review=True, discord_review_channel=REVIEW
        ):
            message = await propose(fake)
        # A new process: nothing of the first one is in memory.
        async with running_bot(
            tmp_path, fake=fake, day=None, review=True, discord_review_channel=REVIEW
        ) as bot:
            token = await fake.click(
                message, "accord:review:reject:1", permissions=CURATOR, user_id=BO
            )
            (answer,) = await fake.wait_answers(token)
            assert answer.type == 9
            modal = fake.modal(token)
            token = await fake.submit_modal(
                modal, {"reason": "no source says so"}, permissions=CURATOR, user_id=BO
            )
            (told,) = await fake.wait_answers(token)
            assert told.ephemeral and "Rejected #1" in json.dumps(told.message)
            await eventually(lambda: fake.edits)
            channel, message_id, edit = fake.edits[-1]
            assert (channel, message_id) == (REVIEW, message["id"])
            assert "Rejected by" in edit["content"] and "no source says so" in edit["content"]
            assert revisions.history(bot.store.db, "doha-2020", EVENT_ID) == []
    finally:
        await fake.close()
