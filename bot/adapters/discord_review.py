"""Two-person review on Discord: each proposal posted to DISCORD_REVIEW_CHANNEL with
Approve and Reject buttons (message components), a modal asking why on Reject, and the
message edited once decided.

The buttons are discord.py `DynamicItem`s: their custom id (`accord:review:approve:12`)
carries the proposal's number, so a click is understood after a restart too, without
any view kept in memory.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.adapters.discord_embeds import escape
from bot.commands import author_of, reply_for
from bot.curating import Outcome
from bot.review import ReviewDesk, decision_line, proposal_lines
from briefings.proposals import Proposal

if TYPE_CHECKING:
    from bot.adapters.discord import DiscordAdapter

log = logging.getLogger("accord.discord")

Interaction = discord.Interaction[discord.Client]
CONTENT_MAX = 2000
TEMPLATE = r"accord:review:(?P<action>approve|reject):(?P<number>[0-9]{1,9})"
REASON_TIMEOUT = 15 * 60.0


def review_content(proposal: Proposal) -> str:
    """The review message: the proposal (curated values shown literally) and its state."""
    lines = [escape(line) for line in proposal_lines(proposal)]
    lines[0] = f"**{lines[0]}**"
    status = f"_{escape(decision_line(proposal))}_"
    text = "\n".join(lines)
    room = CONTENT_MAX - len(status) - 2
    if len(text) > room:
        text = text[: room - 1] + "…"
    return f"{text}\n{status}"


class ReasonModal(discord.ui.Modal):
    """Why a proposal is rejected (required)."""

    def __init__(self, number: int, on_reason: Callable[[Interaction, int, str], Awaitable[None]]):
        super().__init__(title=f"Reject proposal #{number}"[:45], timeout=REASON_TIMEOUT)
        self.number = number
        self._on_reason = on_reason
        self.reason: discord.ui.TextInput[ReasonModal] = discord.ui.TextInput(
            label="Why is it rejected?",
            custom_id="reason",
            style=discord.TextStyle.paragraph,
            required=True,
            max_length=1000,
        )
        self.add_item(self.reason)

    async def on_submit(self, interaction: Interaction) -> None:
        await self._on_reason(interaction, self.number, self.reason.value)


class DiscordReview:
    """The board (posting and editing review messages) and the buttons' handling."""

    platform = "discord"

    def __init__(self, adapter: DiscordAdapter, desk: ReviewDesk, channel: str) -> None:
        self.adapter = adapter
        self.desk = desk
        self.channel = channel
        self.button = _button_type(self)
        adapter.client.add_dynamic_items(self.button)
        desk.boards[self.platform] = self

    def buttons(self, number: int) -> discord.ui.View:
        view = discord.ui.View(timeout=None)
        view.add_item(self.button("approve", number))
        view.add_item(self.button("reject", number))
        return view

    # -- the board -----------------------------------------------------------------------

    async def post_proposal(self, proposal: Proposal) -> tuple[str, str] | None:
        channel = self.adapter.client.get_partial_messageable(int(self.channel))
        try:
            message = await channel.send(
                content=review_content(proposal),
                view=self.buttons(proposal.number),
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except (discord.HTTPException, ValueError) as err:
            log.warning("could not post proposal #%s: %s", proposal.number, err)
            return None
        return self.channel, str(message.id)

    async def show_decision(self, proposal: Proposal) -> None:
        if proposal.posted is None or proposal.posted[0] != self.platform:
            return
        _, channel_id, message_id = proposal.posted
        channel = self.adapter.client.get_partial_messageable(int(channel_id))
        try:
            await channel.get_partial_message(int(message_id)).edit(
                content=review_content(proposal), view=None
            )
        except (discord.HTTPException, ValueError) as err:
            log.warning("could not update proposal #%s: %s", proposal.number, err)

    # -- clicks and the reason form ------------------------------------------------------

    async def clicked(self, interaction: Interaction, action: str, number: int) -> None:
        caller = self.adapter.caller(interaction)
        who = author_of(caller)
        if action == "reject":
            refused = self.desk.refusal(number, who, can_curate=caller.can_curate)
            if refused is not None:
                await self._tell(interaction, refused)
                return
            await interaction.response.send_modal(ReasonModal(number, self.reason_given))
            return
        outcome = self.desk.approve(number, who, can_curate=caller.can_curate, show=False)
        proposal = self.desk.proposals.get(number)
        decided_now = proposal is not None and not proposal.is_open and proposal.decider == who
        if proposal is None or not decided_now:
            await self._tell(interaction, outcome)
            return
        # The click's own answer updates the message it was on (UPDATE_MESSAGE).
        await interaction.response.edit_message(content=review_content(proposal), view=None)
        if outcome.error:
            await interaction.followup.send(_text(outcome), ephemeral=True)

    async def reason_given(self, interaction: Interaction, number: int, reason: str) -> None:
        caller = self.adapter.caller(interaction)
        outcome = self.desk.reject(number, author_of(caller), reason, can_curate=caller.can_curate)
        await self._tell(interaction, outcome)

    async def _tell(self, interaction: Interaction, outcome: Outcome) -> None:
        await interaction.response.send_message(_text(outcome), ephemeral=True)


def _text(outcome: Outcome) -> str:
    reply = reply_for(outcome)
    text = reply.text or "Done."
    return (escape(text) if reply.curated else text)[:CONTENT_MAX]


def _button_type(review: DiscordReview) -> Any:
    """The Approve/Reject button class, bound to this board's handling."""

    class ReviewButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=TEMPLATE):
        def __init__(self, action: str, number: int) -> None:
            approve = action == "approve"
            super().__init__(
                discord.ui.Button(
                    label="Approve" if approve else "Reject",
                    style=discord.ButtonStyle.success if approve else discord.ButtonStyle.danger,
                    custom_id=f"accord:review:{action}:{number}",
                )
            )
            self.action = action
            self.number = number

        @classmethod
        async def from_custom_id(
            cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
        ) -> ReviewButton:
            return cls(match["action"], int(match["number"]))

        async def callback(self, interaction: Interaction) -> None:
            await review.clicked(interaction, self.action, self.number)

    return ReviewButton
