"""The engine stands alone: nothing under briefings/ imports the runtime or a platform."""

from __future__ import annotations

import ast
import re
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


AGREEMENT_WORDS = re.compile(
    r"doha|taliban|afghan|kabul|colombia|farc|bogot|drawdown|helmand|santos|timochenko",
    re.IGNORECASE,
)


def test_no_agreement_is_named_outside_the_dossier_files() -> None:
    """The engine and the runtime brief on whatever dossier they are given: names of
    agreements, parties and places live in config/dossiers/ and the tests only."""
    root = Path(__file__).resolve().parents[1]
    files = [*sorted((root / "bot").rglob("*.py")), *sorted((root / "briefings").glob("*.py"))]
    files += sorted((root / "briefings" / "render").glob("*.py"))
    found = [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if AGREEMENT_WORDS.search(line)
    ]
    assert found == []
