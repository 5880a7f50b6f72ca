"""The /accord grammar shared by every platform, and the dispatcher behind it.

`spec` declares every subcommand once; `text` turns Slack's text, console lines and
Discord's typed options into the same `Command`; `handlers` holds the table's handlers
and the `Dispatcher` that turns a Command into a `Reply`. Nothing here imports a chat
platform.
"""

from bot.commands.curate import author_of, origin_of, reply_for  # registers curate and history
from bot.commands.handlers import (
    APOLOGY,
    MAX_PAGE,
    SUB_KINDS,
    ArtifactMaker,
    Dispatcher,
    SubscriptionDesk,
    help_text,
    managing,
    parse_offsets,
    parse_time,
)
from bot.commands.model import Caller, Command, Reply
from bot.commands.spec import SPECS, Audience, CommandError, Group, Param, Registry, Spec, register
from bot.commands.text import from_options, parse_text

USAGE: dict[str, str] = {name: e.usage for name, e in SPECS.entries.items()}
SUBCOMMANDS = SPECS.names
DESCRIPTIONS: dict[str, str] = {name: e.help for name, e in SPECS.entries.items()}
MANAGING = managing()
# The subcommands whose callers' curator rights are looked up (curate, review).
CURATING = managing(audience=Audience.CURATORS)

__all__ = [
    "APOLOGY",
    "CURATING",
    "DESCRIPTIONS",
    "MANAGING",
    "MAX_PAGE",
    "SPECS",
    "SUBCOMMANDS",
    "SUB_KINDS",
    "USAGE",
    "ArtifactMaker",
    "Audience",
    "Caller",
    "Command",
    "CommandError",
    "Dispatcher",
    "Group",
    "Param",
    "Registry",
    "Reply",
    "Spec",
    "SubscriptionDesk",
    "author_of",
    "from_options",
    "help_text",
    "managing",
    "origin_of",
    "parse_offsets",
    "parse_text",
    "parse_time",
    "register",
    "reply_for",
]
