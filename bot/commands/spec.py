"""The /accord grammar, declared once: every subcommand is one `Spec` in `SPECS`.

A `Spec` names its typed `Param`s (converter, choices, autocomplete source, default),
who may use it, its handler, help line, usage and examples. The text parser
(`bot.commands.text`), the Discord tree (`bot.adapters.discord_tree`), help and usage
errors and the CLI's `brief` kinds are all read from this table, so adding a subcommand
is one `register(Spec(...))` and one handler.

A subcommand inside a group (Discord's subcommand groups, `subscribe digest`) is a Spec
with `group` set; the group itself is a `Group` entry giving its help and usage.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from briefings.clock import InputError

if TYPE_CHECKING:
    from bot.commands.handlers import Dispatcher
    from bot.commands.model import Caller, Command, Reply

Handler = Callable[["Dispatcher", "Command", "Caller"], Awaitable["Reply"]]


class Audience(Enum):
    """Who may run a subcommand."""

    EVERYONE = "everyone"
    MANAGERS = "channel managers"
    CURATORS = "curators"


class CommandError(InputError):
    """A command that cannot run: `message` says why, `usage` shows the right form."""

    def __init__(self, message: str, usage: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage


def _always(word: str) -> bool:
    return True


@dataclass(frozen=True)
class Param:
    """One typed parameter.

    `kind` is the value's type on Discord (str, int or bool); `convert` turns a typed
    word into the value (it raises `CommandError`/`InputError` for bad input). `flag`
    params are booleans written as their bare name (`chart`). Positional words go to the
    first unfilled positional param whose `accepts(word)` is true; a `rest` param takes
    every remaining word. `field` is the `Command` attribute it fills (default: `name`;
    params without a matching attribute land in `Command.extra`). `complete` names an
    autocomplete source (see `bot.adapters.discord_tree.COMPLETERS`).
    """

    name: str
    help: str
    kind: type = str
    convert: Callable[[str], Any] | None = None
    choices: tuple[str, ...] = ()
    complete: str | None = None
    default: Any = None
    required: bool = False
    positional: bool = True
    flag: bool = False
    rest: bool = False
    accepts: Callable[[str], bool] = _always
    field: str | None = None
    py_name: str | None = None  # the Discord callback's argument name, if `name` is a keyword
    minimum: int | None = None
    maximum: int | None = None
    discord_help: str | None = None  # the Discord option's description, if not `help`
    discord: bool = True  # offered as a Discord option (False: text grammar only)

    @property
    def attribute(self) -> str:
        return self.field or self.name

    @property
    def argument(self) -> str:
        return self.py_name or self.name


def flag(name: str, help: str, field: str | None = None) -> Param:
    """A boolean written as its bare name in text (`chart`), a checkbox on Discord."""
    return Param(name, help, kind=bool, flag=True, default=False, field=field)


@dataclass(frozen=True)
class Spec:
    """One subcommand. `check` validates the converted values together."""

    name: str
    help: str
    usage: str
    handler: Handler
    params: tuple[Param, ...] = ()
    audience: Audience = Audience.EVERYONE
    group: str | None = None
    examples: tuple[str, ...] = ()
    check: Callable[[Mapping[str, Any], str], None] | None = None
    refuse: Mapping[str, str] = field(default_factory=dict)
    channels_only: bool = False  # refused in DMs
    briefing: bool = False  # a briefing kind the CLI's `brief` can print
    discord_help: str | None = None  # a shorter description for Discord, if any

    @property
    def full_name(self) -> str:
        return f"{self.group} {self.name}" if self.group else self.name

    @property
    def key(self) -> str:
        """The name the dispatcher knows it by: the group's name for grouped ones."""
        return self.group or self.name

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


@dataclass(frozen=True)
class Group:
    """A group of subcommands (`subscribe digest|reminders`)."""

    name: str
    help: str
    usage: str
    missing: str  # e.g. "Subscribe to what?"


class Registry:
    """The ordered table of subcommands and groups."""

    def __init__(self) -> None:
        self.entries: dict[str, Spec | Group] = {}
        self.members: dict[str, dict[str, Spec]] = {}

    def register(self, entry: Spec | Group) -> Spec | Group:
        if isinstance(entry, Spec) and entry.group is not None:
            if entry.group not in self.entries:
                raise ValueError(f"register group {entry.group!r} before its members")
            self.members.setdefault(entry.group, {})[entry.name] = entry
        else:
            self.entries[entry.name] = entry
        return entry

    def copy(self) -> Registry:
        """A registry with the same entries, to extend without touching this one."""
        made = Registry()
        made.entries = dict(self.entries)
        made.members = {k: dict(v) for k, v in self.members.items()}
        return made

    def remove(self, name: str) -> None:
        self.entries.pop(name, None)
        self.members.pop(name, None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.entries)

    def usage(self, name: str) -> str | None:
        entry = self.entries.get(name)
        return entry.usage if entry is not None else None

    def spec_for(self, name: str, sub: str | None = None) -> Spec | None:
        entry = self.entries.get(name)
        if isinstance(entry, Group):
            return self.members.get(name, {}).get(sub or "")
        return entry

    def specs(self) -> list[Spec]:
        """Every runnable subcommand, grouped ones in their group's place."""
        found: list[Spec] = []
        for name, entry in self.entries.items():
            if isinstance(entry, Spec):
                found.append(entry)
            else:
                found.extend(self.members.get(name, {}).values())
        return found

    def briefing_kinds(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.specs() if s.briefing)


SPECS = Registry()
register = SPECS.register
