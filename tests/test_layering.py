"""The engine stands alone: nothing under briefings/ imports the runtime or a platform."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[1] / "briefings"
FORBIDDEN = ("bot", "discord", "slack_bolt", "slack_sdk", "apscheduler", "aiohttp")


@pytest.mark.parametrize("module", sorted(ENGINE.rglob("*.py")), ids=lambda p: p.name)
def test_engine_module_imports_no_runtime_or_platform(module: Path) -> None:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            assert name.split(".")[0] not in FORBIDDEN, f"{module.name} imports {name}"
