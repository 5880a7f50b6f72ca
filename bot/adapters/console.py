"""The console adapter: /accord lines from standard input, replies and scheduled posts
to standard output. The default when no platform token is set, and scriptable:
`printf '/accord status\n' | accord-bot run` answers and exits at end of input."""

from __future__ import annotations

import asyncio
import getpass
import logging
import sys
import threading
from collections.abc import Iterator
from typing import TextIO

from rich.console import Console
from rich.text import Text

from bot.commands import Caller, Dispatcher, Reply
from bot.delivery import Attachment, PostResult, Target
from briefings.document import Briefing
from briefings.render.text import render_rich

log = logging.getLogger("accord.console")

PROMPT_HINT = "Type /accord help for the commands; Ctrl-D to quit."


class ConsolePoster:
    platform = "console"

    def __init__(self, console: Console) -> None:
        self.console = console
        self.posted: list[str] = []

    async def post(
        self, target: Target, briefing: Briefing, *, key: str, attachment: Attachment | None = None
    ) -> PostResult:
        self.console.print(Text(f"── scheduled post to #{target.channel} ──", style="magenta"))
        self.console.print(render_rich(briefing))
        if attachment is not None:
            self.console.print(Text(f"(attachment: {attachment.filename})", style="dim"))
        self.posted.append(key)
        return PostResult.delivered(message_id=key)

    async def was_posted(self, target: Target, key: str) -> bool | None:
        return key in self.posted


class ConsoleAdapter:
    platform = "console"

    def __init__(
        self, dispatcher: Dispatcher, *, stdin: TextIO | None = None, stdout: TextIO | None = None
    ) -> None:
        self.dispatcher = dispatcher
        self.stdin = stdin or sys.stdin
        self.console = Console(
            file=stdout or sys.stdout,
            highlight=False,
            soft_wrap=not (stdout or sys.stdout).isatty(),
        )
        self.poster = ConsolePoster(self.console)
        self.finished = asyncio.Event()
        self.caller = Caller("console", "console", "console", _user(), can_manage=True)
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.show(await self.dispatcher.handle_text("status", self.caller))
        self.console.print(Text(PROMPT_HINT, style="dim"))
        self._reader = asyncio.create_task(self._read())

    async def stop(self) -> None:
        if self._reader is not None and not self._reader.done():
            self._reader.cancel()

    async def _read(self) -> None:
        lines: asyncio.Queue[str] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def pump() -> None:
            # A daemon thread, not the loop's executor: a blocked readline must never keep
            # the process alive after SIGTERM. Whatever happens here, input ends cleanly.
            try:
                for line in input_lines(self.stdin):
                    loop.call_soon_threadsafe(lines.put_nowait, line or " ")
            except (OSError, ValueError) as err:
                loop.call_soon_threadsafe(log.warning, "console: input ended: %s", err)
            finally:
                loop.call_soon_threadsafe(lines.put_nowait, "")

        threading.Thread(target=pump, name="console-input", daemon=True).start()
        try:
            while line := await lines.get():
                if line.strip():
                    self.show(await self.dispatcher.handle_text(line, self.caller))
        finally:
            self.finished.set()

    def show(self, reply: Reply) -> None:
        if reply.briefing is not None:
            self.console.print(render_rich(reply.briefing))
        if reply.text:
            style = "red" if reply.error else ""
            self.console.print(Text(reply.text, style=style))
        if reply.usage:
            self.console.print(Text(f"Usage: {reply.usage}", style="dim"))
        if reply.attachment is not None:
            self.console.print(
                Text(
                    f"({reply.attachment.filename}, {len(reply.attachment.content):,} bytes; "
                    "save it with `accord-bot brief chart --out FILE` or `accord-bot export ics`)",
                    style="dim",
                )
            )
        self.console.file.flush()


def input_lines(stream: TextIO) -> Iterator[str]:
    """Lines of standard input as text; bytes that are not UTF-8 become U+FFFD.

    >>> import io
    >>> list(input_lines(io.TextIOWrapper(io.BytesIO(b"caf\\xe9\\n"))))
    ['caf\ufffd\\n']
    """
    raw = getattr(stream, "buffer", None)
    if raw is not None:
        for chunk in iter(raw.readline, b""):
            yield chunk.decode("utf-8", "replace")
        return
    for line in iter(stream.readline, ""):
        # A text stream decoded with surrogateescape hands undecodable bytes on as lone
        # surrogates, which SQLite and the platforms refuse.
        yield line.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "console"
