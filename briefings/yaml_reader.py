"""Bounded YAML reading for curated files: one problem line for any hostile input.

The file is read as at most MAX_BYTES of a regular file, decoded as strict UTF-8, and
built from the parser's event stream without recursion, so that none of these can cost
more than the file's own size: aliases (refused), explicit tags (refused), nesting deeper
than MAX_DEPTH, duplicate keys, several documents, numbers longer than MAX_NUMBER_CHARS.
libyaml's C parser is used when PyYAML was built with it (about ten times faster).

    >>> read_yaml(b"dossier: {slug: x}\\n").value["dossier"]["slug"]
    'x'
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml import events as ev
from yaml.nodes import ScalarNode

MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 32
MAX_NUMBER_CHARS = 32
_NUMBER_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class CuratedMapping(dict[str, Any]):
    """A YAML mapping that remembers the line it started on."""

    line: int | None = None


_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc]
    """The safe loader without the timestamp resolver: dates stay strings."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class YamlResult:
    value: Any = None
    problem: str | None = None
    line: int | None = None


class _Refused(Exception):
    def __init__(self, message: str, mark: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = mark.line + 1 if mark is not None else None


def read_curated_bytes(path: Path | str) -> tuple[bytes | None, str | None]:
    """The file's bytes, or why it cannot be read (not a regular file, too large, ...)."""
    try:
        # Non-blocking open: a FIFO would otherwise wait for a writer forever.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with open(fd, "rb") as handle:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                return None, "not a regular file (a device, FIFO or directory)"
            if info.st_size > MAX_BYTES:
                return None, f"larger than {MAX_BYTES // (1024 * 1024)} MB"
            data = handle.read(info.st_size + 1)
    except OSError as err:
        return None, f"cannot read: {err.strerror or err}"
    if len(data) > MAX_BYTES:
        return None, f"larger than {MAX_BYTES // (1024 * 1024)} MB"
    return data, None


def read_yaml(data: bytes) -> YamlResult:
    """Decode and parse one curated file's bytes; never raises."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        return YamlResult(problem="not UTF-8 (it looks like UTF-16): save the file as UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        return YamlResult(problem="not valid UTF-8: save the file as UTF-8", line=line)
    loader = _Loader(text)
    try:
        return YamlResult(value=_build(loader))
    except _Refused as err:
        return YamlResult(problem=err.message, line=err.line)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        words = [getattr(err, "context", None), getattr(err, "problem", None)]
        reason = "; ".join(str(w) for w in words if w) or str(err).splitlines()[0]
        if mark is not None:
            reason += f" (column {mark.column + 1})"
        return YamlResult(problem=f"not valid YAML: {reason}", line=_line(mark))
    finally:
        loader.dispose()


def _line(mark: Any) -> int | None:
    return int(mark.line) + 1 if mark is not None else None


class _Frame:
    __slots__ = ("container", "key", "mark")

    def __init__(self, container: CuratedMapping | list[Any], mark: Any) -> None:
        self.container = container
        self.key: Any = _NO_KEY
        self.mark = mark


_NO_KEY = object()


def _build(loader: Any) -> Any:
    """Values from the event stream, with an explicit stack instead of recursion."""
    stack: list[_Frame] = []
    root: Any = None
    documents = 0
    while True:
        event = loader.get_event()
        if isinstance(event, ev.StreamEndEvent):
            return root
        if isinstance(event, ev.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise _Refused("holds more than one YAML document", event.start_mark)
            continue
        if isinstance(event, ev.StreamStartEvent | ev.DocumentEndEvent):
            continue
        if isinstance(event, ev.AliasEvent):
            raise _Refused("YAML aliases (*name) are not allowed", event.start_mark)
        if isinstance(event, ev.MappingEndEvent | ev.SequenceEndEvent):
            done = stack.pop()
            value: Any = done.container
        elif isinstance(event, ev.MappingStartEvent | ev.SequenceStartEvent):
            _check_tag(event)
            if len(stack) >= MAX_DEPTH:
                raise _Refused(f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
            container: CuratedMapping | list[Any]
            if isinstance(event, ev.MappingStartEvent):
                container = CuratedMapping()
                container.line = _line(event.start_mark)
            else:
                container = []
            stack.append(_Frame(container, event.start_mark))
            continue
        else:
            value = _scalar(loader, event)
        if not stack:
            root = value
        else:
            _place(stack, value, event)


def _check_tag(event: Any) -> None:
    if event.tag not in (None, "!"):
        raise _Refused(f"YAML tags ({event.tag}) are not allowed", event.start_mark)


def _scalar(loader: Any, event: ev.ScalarEvent) -> Any:
    _check_tag(event)
    tag = loader.resolve(ScalarNode, event.value, event.implicit)
    if event.tag == "!":
        tag = "tag:yaml.org,2002:str"
    if tag in _NUMBER_TAGS and len(event.value) > MAX_NUMBER_CHARS:
        raise _Refused(f"a number longer than {MAX_NUMBER_CHARS} characters", event.start_mark)
    node = ScalarNode(tag, event.value, None, None, event.style)
    try:
        return loader.yaml_constructors[tag](loader, node)
    except (ValueError, OverflowError, KeyError) as err:
        raise _Refused(f"cannot read the value {event.value[:40]!r}", event.start_mark) from err


def _place(stack: list[_Frame], value: Any, event: Any) -> None:
    top = stack[-1]
    if isinstance(top.container, list):
        top.container.append(value)
        return
    if top.key is _NO_KEY:
        if isinstance(value, dict | list):
            raise _Refused("a mapping key must be plain text", event.start_mark)
        key = "" if value is None else str(value)
        if key in top.container:
            raise _Refused(f"duplicate key {key[:40]!r} in one mapping", event.start_mark)
        top.key = key
        return
    top.container[top.key] = value
    top.key = _NO_KEY
