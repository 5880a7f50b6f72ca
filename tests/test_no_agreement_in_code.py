"""The runtime and the engine's code name no particular agreement: help, examples and
descriptions come from the dossier in use."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORDS = re.compile(r"doha|taliban|afghan", re.IGNORECASE)
FILES = sorted(
    [*ROOT.glob("bot/**/*.py"), *ROOT.glob("briefings/*.py"), *ROOT.glob("briefings/render/*.py")]
)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_agreement_word_in_code(path: Path) -> None:
    found = [
        f"{path.name}:{number}: {line.strip()}"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if WORDS.search(line)
    ]
    assert not found, found
