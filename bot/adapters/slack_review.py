"""Two-person review on Slack: each proposal posted to SLACK_REVIEW_CHANNEL with Approve
and Reject buttons (`block_actions`), a modal asking why on Reject (`view_submission`),
and the message updated with `chat.update` once decided.

>>> from briefings.proposals import Proposal
>>> blocks = proposal_blocks(["Proposal #3 by Ana: <b>"], "Waiting.", number=3)
>>> [b["type"] for b in blocks], blocks[0]["text"]["text"]
(['section', 'context', 'actions'], 'Proposal #3 by Ana: &lt;b&gt;')
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack_blocks import clip, escape
from bot.commands import Caller, author_of, reply_for
from bot.curating import Outcome
from bot.review import ReviewDesk, decision_line, proposal_lines
from briefings.proposals import Proposal

if TYPE_CHECKING:
    from bot.adapters.slack import SlackAdapter

log = logging.getLogger("accord.slack")

APPROVE = "accord_review_approve"
REJECT = "accord_review_reject"
REASON_CALLBACK = "accord_review_reason"
REASON_BLOCK = "reason"
SECTION_MAX = 3000
Ack = Callable[..., Awaitable[Any]]


def proposal_blocks(lines: list[str], status: str, *, number: int | None) -> list[dict[str, Any]]:
    """The review message: the proposal, its state, and the buttons while it is open."""
    text = clip(escape("\n".join(lines)), SECTION_MAX)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(status)[:3000]}]},
    ]
    if number is not None:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"accord_review_{number}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": APPROVE,
                        "text": {"type": "plain_text", "text": "Approve"},
                        "style": "primary",
                        "value": str(number),
                    },
                    {
                        "type": "button",
                        "action_id": REJECT,
                        "text": {"type": "plain_text", "text": "Reject"},
                        "style": "danger",
                        "value": str(number),
                    },
                ],
            }
        )
    return blocks


def reason_modal(number: int, channel: str) -> dict[str, Any]:
    """The form a Reject click opens: why (required)."""
    return {
        "type": "modal",
        "callback_id": REASON_CALLBACK,
        "title": {"type": "plain_text", "text": f"Reject #{number}"[:24]},
        "submit": {"type": "plain_text", "text": "Reject"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"n": number, "c": channel}),
        "blocks": [
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "label": {"type": "plain_text", "text": "Why is it rejected?"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "max_length": 1000,
                },
            }
        ],
    }


def _number(value: object) -> int | None:
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


class SlackReview:
    """The board (posting and updating review messages) and the buttons' handlers."""

    platform = "slack"

    def __init__(self, adapter: SlackAdapter, desk: ReviewDesk, channel: str) -> None:
        self.adapter = adapter
        self.desk = desk
        self.channel = channel
        app = adapter.app
        app.action(APPROVE)(self.on_approve)
        app.action(REJECT)(self.on_reject)
        app.view(REASON_CALLBACK)(self.on_reason)
        desk.boards[self.platform] = self

    def _client(self, workspace: str) -> AsyncWebClient | None:
        return self.adapter.poster.client_for(workspace)

    # -- the board -----------------------------------------------------------------------

    async def post_proposal(self, proposal: Proposal) -> tuple[str, str] | None:
        client = self._client(proposal.draft.origin.workspace)
        if client is None:
            return None
        lines = proposal_lines(proposal)
        try:
            answer = await client.chat_postMessage(
                channel=self.channel,
                text=clip(escape(lines[0]), 3000),
                blocks=proposal_blocks(lines, decision_line(proposal), number=proposal.number),
                unfurl_links=False,
                unfurl_media=False,
            )
        except (SlackApiError, TimeoutError, aiohttp.ClientError) as err:
            log.warning("slack: could not post proposal #%s: %s", proposal.number, err)
            return None
        return str(answer.get("channel") or self.channel), str(answer.get("ts") or "")

    async def show_decision(self, proposal: Proposal) -> None:
        if proposal.posted is None or proposal.posted[0] != self.platform:
            return
        _, channel, ts = proposal.posted
        client = self._client(proposal.draft.origin.workspace)
        if client is None:
            return
        lines = proposal_lines(proposal)
        try:
            await client.chat_update(
                channel=channel,
                ts=ts,
                text=clip(escape(f"{lines[0]}: {decision_line(proposal)}"), 3000),
                blocks=proposal_blocks(lines, decision_line(proposal), number=None),
            )
        except (SlackApiError, TimeoutError, aiohttp.ClientError) as err:
            log.warning("slack: could not update proposal #%s: %s", proposal.number, err)

    # -- clicks and the reason form ------------------------------------------------------

    async def _caller(self, body: dict[str, Any], client: AsyncWebClient, channel: str) -> Caller:
        if client.session is None:
            client.session = self.adapter.session()
        user = body.get("user") or {}
        user_id = str(user.get("id") or "")
        team = str((body.get("team") or {}).get("id") or self.adapter.team_id or "")
        return Caller(
            "slack",
            team,
            channel,
            user_id,
            can_curate=await self.adapter.can_curate(user_id, team, client),
            name=str(user.get("name") or user.get("username") or ""),
        )

    @staticmethod
    def _clicked(body: dict[str, Any]) -> tuple[int | None, str]:
        actions = body.get("actions") or [{}]
        number = _number(actions[0].get("value"))
        channel = str((body.get("channel") or {}).get("id") or "")
        return number, channel

    async def on_approve(self, ack: Ack, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        number, channel = self._clicked(body)
        caller = await self._caller(body, client, channel)
        if number is None:
            return
        outcome = self.desk.approve(number, author_of(caller), can_curate=caller.can_curate)
        if outcome.error:
            await self.adapter.tell(caller, reply_for(outcome), client)

    async def on_reject(self, ack: Ack, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        number, channel = self._clicked(body)
        caller = await self._caller(body, client, channel)
        if number is None:
            return
        refused = self.desk.refusal(number, author_of(caller), can_curate=caller.can_curate)
        if refused is not None:
            await self.adapter.tell(caller, reply_for(refused), client)
            return
        try:
            await client.views_open(
                trigger_id=str(body.get("trigger_id") or ""), view=reason_modal(number, channel)
            )
        except (SlackApiError, TimeoutError, aiohttp.ClientError) as err:
            log.warning("slack: could not open the rejection form: %s", type(err).__name__)
            text = f'Could not open the form; type /accord review reject {number} reason:"..."'
            await self.adapter.tell(caller, reply_for(Outcome(text, error=True)), client)

    async def on_reason(
        self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        try:
            meta = json.loads(str(view.get("private_metadata") or "{}"))
        except ValueError:
            meta = {}
        number = _number(meta.get("n")) if isinstance(meta, dict) else None
        channel = str(meta.get("c") or "") if isinstance(meta, dict) else ""
        values = (view.get("state") or {}).get("values") or {}
        reason = str(((values.get(REASON_BLOCK) or {}).get("value") or {}).get("value") or "")
        if number is None:
            await ack(response_action="errors", errors={REASON_BLOCK: "This form is not ours."})
            return
        caller = await self._caller(body, client, channel)
        outcome = self.desk.reject(number, author_of(caller), reason, can_curate=caller.can_curate)
        if outcome.error:
            await ack(response_action="errors", errors={REASON_BLOCK: (outcome.text or "")[:250]})
            return
        await ack()
