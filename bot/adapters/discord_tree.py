"""The Discord `/accord` tree, generated from the spec table (`bot.commands.spec`).

Every `Spec` becomes an `app_commands.Command` whose options are its params with
`discord=True`: typed (str, int with a range, bool), with choices as Discord choices,
and with an autocomplete source where the param names one. Grouped specs become a
subcommand group. Values reach `Answerer.run` as discord.py converted them (ints and
booleans stay typed).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Literal, Protocol

import discord
from discord import app_commands

from bot.commands.spec import SPECS, Group, Param, Registry, Spec

Interaction = discord.Interaction[discord.Client]
Completer = Callable[[Interaction, str], Coroutine[Any, Any, list[app_commands.Choice[str]]]]


class Answerer(Protocol):
    """What the generated callbacks call (the Discord adapter implements it)."""

    async def run(
        self,
        interaction: Interaction,
        name: str,
        options: Mapping[str, object],
        group: str | None = None,
    ) -> None: ...

    def completer(self, source: str) -> Completer: ...


def _annotation(param: Param) -> Any:
    if param.choices:
        return Literal[param.choices]
    if param.kind is int and param.minimum is not None and param.maximum is not None:
        return app_commands.Range[int, param.minimum, param.maximum]
    return param.kind


def _default(param: Param) -> Any:
    if param.required:
        return inspect.Parameter.empty
    if param.flag:
        return False
    return param.default if param.choices else None


def _command(answerer: Answerer, spec: Spec) -> app_commands.Command[Any, ..., None]:
    params = [p for p in spec.params if p.discord]
    by_argument = {p.argument: p.name for p in params}

    async def callback(interaction: Interaction, **values: Any) -> None:
        options = {by_argument[k]: v for k, v in values.items()}
        await answerer.run(interaction, spec.name, options, group=spec.group)

    signature = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    signature += [
        inspect.Parameter(
            p.argument,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=_annotation(p),
            default=_default(p),
        )
        for p in params
    ]
    callback.__signature__ = inspect.Signature(signature)  # type: ignore[attr-defined]
    callback.__qualname__ = callback.__name__ = f"accord_{spec.full_name.replace(' ', '_')}"
    func: Any = callback
    if params:
        func = app_commands.describe(**{p.argument: p.discord_help or p.help for p in params})(func)
        renames = {p.argument: p.name for p in params if p.argument != p.name}
        if renames:
            func = app_commands.rename(**renames)(func)
        completers = {p.argument: answerer.completer(p.complete) for p in params if p.complete}
        if completers:
            func = app_commands.autocomplete(**completers)(func)
    return app_commands.Command(
        name=spec.name, description=spec.discord_help or spec.help, callback=func
    )


def build_group(
    answerer: Answerer, description: str, registry: Registry = SPECS
) -> app_commands.Group:
    """`/accord` with every subcommand of `registry` (see docs: interface.md)."""
    accord = app_commands.Group(name="accord", description=description)
    for name, entry in registry.entries.items():
        if isinstance(entry, Group):
            group = app_commands.Group(name=name, description=entry.help, parent=accord)
            for spec in registry.members.get(name, {}).values():
                group.add_command(_command(answerer, spec))
        else:
            accord.add_command(_command(answerer, entry))
    return accord
