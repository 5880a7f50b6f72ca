"""The dispatcher, counted: every answered command moves accord_commands_total and
accord_command_seconds."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from bot.commands import Caller, Command, Dispatcher, Reply
from bot.ops.metrics import Metrics


@dataclass
class MeteredDispatcher(Dispatcher):
    metrics: Metrics = field(default_factory=Metrics)

    async def dispatch(self, command: Command, caller: Caller) -> Reply:
        began = time.perf_counter()
        reply = await super().dispatch(command, caller)
        outcome = "error" if reply.error else "ok"
        self.metrics.command(caller.platform, command.name, outcome, time.perf_counter() - began)
        return reply
