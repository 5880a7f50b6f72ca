"""The Poster protocol: how the scheduler hands a briefing to a platform, and what came of it.

Every adapter implements `Poster.post`. The result tells the scheduler what to do next:
`delivered` (record it), `retry` (try again later, after `retry_after` seconds if given),
`gone` (the channel cannot receive posts: pause its subscription with `reason`) or
`fatal` (the credentials are bad: stop that platform's deliveries).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from briefings.document import Attachment, Briefing

__all__ = ["Attachment", "PostResult", "Poster", "Status", "Target"]

# `failed` is the courier's own verdict after its bounded retries; posters never return it.
Status = Literal["delivered", "retry", "gone", "fatal", "failed"]


@dataclass(frozen=True)
class Target:
    """A channel on a platform: (platform, workspace or guild id, channel id)."""

    platform: str
    workspace: str
    channel: str


@dataclass(frozen=True)
class PostResult:
    status: Status
    reason: str = ""
    retry_after: float | None = None
    message_id: str | None = None

    @classmethod
    def delivered(cls, message_id: str | None = None) -> PostResult:
        return cls("delivered", message_id=message_id)


class Poster(Protocol):
    """Posts a briefing to a channel without needing any gateway cache."""

    platform: str

    async def post(
        self,
        target: Target,
        briefing: Briefing,
        *,
        key: str,
        attachment: Attachment | None = None,
    ) -> PostResult:
        """Post once. `key` is the delivery key: use it for the platform's idempotency
        (Discord's nonce with enforce_nonce, Slack's message metadata)."""
        ...

    async def was_posted(self, target: Target, key: str) -> bool | None:
        """Whether a post with this delivery key reached the channel (None: cannot tell)."""
        ...
