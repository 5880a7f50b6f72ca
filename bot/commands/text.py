"""Words and typed options -> `Command`, driven by the spec table.

Slack's command text and console lines go through `parse_text`: `key:value` words (values
in straight or curly quotes may hold spaces) and positional words. Discord's typed options
go through `from_options`, which keeps ints and booleans as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from bot.commands.model import Command
from bot.commands.spec import SPECS, CommandError, Group, Registry, Spec
from briefings.clock import InputError

_KEYED = re.compile(r"^(?P<key>[a-z_]+)[:=](?P<value>.+)$", re.IGNORECASE | re.DOTALL)
_WORD = re.compile(r'(?:[^\s"]+|"[^"]*")+|"[^"]*$')
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})
_FIELDS = {f.name for f in fields(Command)} - {"name", "extra"}


def shown(word: str) -> str:
    """A user's word, shortened for an error message."""
    return word if len(word) <= 40 else word[:37] + "…"


def _clean(text: str) -> str:
    # Slack escapes &, < and > in command text; a stray mention or link must not confuse us.
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def words_of(text: str) -> list[str]:
    """Split on spaces, keeping quoted values (straight or curly) whole.

    >>> words_of('curate title:“Talks open” x')
    ['curate', 'title:"Talks open"', 'x']
    """
    return _WORD.findall(_clean(text).translate(_QUOTES))


def _unquote(value: str) -> str:
    return value.replace('"', "")


def _unknown(name: str, registry: Registry, hint: bool) -> CommandError:
    tail = " Try /accord help." if hint else ""
    return CommandError(
        f"Unknown subcommand {shown(name)!r}. Valid subcommands: "
        f"{', '.join(registry.names)}.{tail}",
        None,
    )


def _resolve(
    registry: Registry, name: str, sub: str | None, hint: bool
) -> tuple[Spec, Group | None]:
    entry = registry.entries.get(name.lower())
    if entry is None:
        raise _unknown(name, registry, hint)
    if isinstance(entry, Spec):
        return entry, None
    members = registry.members.get(entry.name, {})
    spec = members.get((sub or "").lower())
    if spec is None:
        what = f"{shown((sub or '').lower())!r} is not" if sub else "missing:"
        raise CommandError(f"{entry.missing} {what} one of {', '.join(members)}.", entry.usage)
    return spec, entry


def parse_text(text: str, registry: Registry = SPECS) -> Command:
    """Parse the words after /accord (Slack's text, a console line).

    >>> parse_text("countdown first-step dossier:some-2020").deadline
    'first-step'
    >>> parse_text("timeline from:2020-03-01 2020-03-31").end
    datetime.date(2020, 3, 31)
    """
    words = [w for w in words_of(text) if w]
    if words and words[0].lower() in ("/accord", "accord"):
        words = words[1:]
    if not words:
        return Command("help")
    name, words = words[0], words[1:]
    sub = None
    if isinstance(registry.entries.get(name.lower()), Group):
        sub, words = (words[0] if words else None), words[1:]
    spec, group = _resolve(registry, name, sub, hint=True)
    usage = (group or spec).usage
    raw: dict[str, Any] = {}
    positional: list[str] = []
    for word in words:
        keyed = _KEYED.match(word)
        param = spec.param(keyed["key"].lower()) if keyed else None
        if keyed and param is not None and not param.flag:
            raw[param.name] = _unquote(keyed["value"])
        else:
            positional.append(_unquote(word))
    _place(spec, raw, positional, usage)
    return _build(spec, raw, usage)


def _place(spec: Spec, raw: dict[str, Any], words: list[str], usage: str) -> None:
    flags = {p.name: p for p in spec.params if p.flag}
    rest: list[str] = []
    for word in words:
        lower = word.lower()
        if lower in flags:
            raw[lower] = True
        elif lower in spec.refuse:
            raise CommandError(spec.refuse[lower], usage)
        else:
            rest.append(word)
    for index, word in enumerate(rest):
        target = next(
            (
                p
                for p in spec.params
                if p.positional and not p.flag and p.name not in raw and p.accepts(word)
            ),
            None,
        )
        if target is None:
            left = " ".join(rest[index:])
            raise CommandError(f"`{spec.full_name}` does not take {shown(left)!r}.", usage)
        if target.rest:
            raw[target.name] = " ".join(rest[index:])
            return
        raw[target.name] = word


def from_options(
    name: str, options: Mapping[str, object], group: str | None = None, registry: Registry = SPECS
) -> Command:
    """Build a Command from typed options (Discord): ints and booleans stay typed."""
    if group is not None:
        spec, entry = _resolve(registry, group, name, hint=False)
    else:
        spec, entry = _resolve(registry, name, None, hint=False)
    usage = (entry or spec).usage
    raw: dict[str, Any] = {}
    for key, value in options.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if spec.param(key) is None:
            raise CommandError(f"`{spec.full_name}` does not take {shown(key)!r}.", usage)
        raw[key] = value
    return _build(spec, raw, usage)


def _build(spec: Spec, raw: dict[str, Any], usage: str) -> Command:
    values: dict[str, Any] = {}
    for param in spec.params:
        value = raw.get(param.name)
        if value is None:
            if param.required:
                raise CommandError(f"`{spec.full_name}` needs {param.help}.", usage)
            values[param.name] = param.default
            continue
        refused = param.choices and not param.convert and value.lower() not in param.choices
        if isinstance(value, str) and refused:
            raise CommandError(f"{shown(value)!r} is not one of {', '.join(param.choices)}.", usage)
        if isinstance(value, str) and param.convert is not None:
            try:
                value = param.convert(value)
            except CommandError as err:
                raise CommandError(err.message, err.usage or usage) from None
            except InputError as err:
                raise CommandError(str(err), usage) from None
        elif isinstance(value, str) and param.choices:
            value = value.lower()
        values[param.name] = value
    if spec.check is not None:
        spec.check(values, usage)
    known = {p.attribute: values[p.name] for p in spec.params if p.attribute in _FIELDS}
    extra = {p.name: values[p.name] for p in spec.params if p.attribute not in _FIELDS}
    if spec.group is not None:
        known.setdefault("sub_kind", spec.name)
    return Command(spec.key, **known, extra=extra)
