"""Logging for `accord-bot run`: plain text or one JSON object per line, secrets redacted.

Every line goes through `Redacting`, which knows each configured secret's value and
replaces it wherever it appears (the message, its arguments, a traceback), so no logger
in any library can print a token.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

REDACTED = "[redacted]"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Extra fields a log call may carry (log.info(..., extra={"platform": "slack"})).
FIELDS = ("platform", "workspace", "channel", "key", "subscription", "kind", "result")
MIN_SECRET = 4


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, then any of FIELDS, then exc (a traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                entry[name] = str(value)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


class Redacting(logging.Formatter):
    """Formats with `inner`, then replaces every secret in the finished line."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str]) -> None:
        super().__init__()
        self.inner = inner
        # Longest first, so a secret containing another is replaced whole.
        # Each also as it appears inside a JSON string.
        forms = {f for s in secrets if len(s) >= MIN_SECRET for f in (s, json.dumps(s)[1:-1])}
        self.secrets = sorted(forms, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        line = self.inner.format(record)
        for secret in self.secrets:
            if secret in line:
                line = line.replace(secret, REDACTED)
        return line


def configure(
    log_format: str, secrets: Iterable[str], *, stream: TextIO | None = None
) -> logging.Handler:
    """Install the one handler on the root logger (replacing any), at INFO."""
    inner = JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(Redacting(inner, secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # APScheduler logs every job run at INFO; our own loggers say what matters.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    return handler
