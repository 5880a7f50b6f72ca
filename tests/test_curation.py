"""Curated files: every validation problem, reported at once with file, item and field;
and the shipped dossier itself."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from briefings.curation import CurationError, load_dossier, load_dossiers, parse_dossier
from briefings.model import RelativeDue
from briefings.store import resolve_due_dates, shipped_dossier_path

BASE = """\
dossier:
  slug: test-accord
  title: Test accord
  signed: 2020-01-01
  parties: [One, Two]
  summary: A small dossier for tests.
sources:
  - id: src-a
    title: Source A
    published: 2020-01-02
  - id: src-b
    title: Source B
events:
  - id: ev-a
    date: 2020-01-01
    title: Event A
    sources: [src-a]
  - id: ev-b
    date: 2020-01-05
    title: Event B
    sources: [src-b]
deadlines:
  - slug: dl-a
    title: Deadline A
    due: {after: ev-a, days: 10}
    sources: [src-a]
    outcome:
      - date: 2020-01-11
        status: missed
        note: Not done.
        sources: [src-b]
      - date: 2020-02-01
        status: late
        note: Done late.
        sources: [src-b]
  - slug: dl-b
    title: Deadline B
    due: 2020-03-01
    sources: [src-b]
"""


def edit(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


# (case, file text, [(item, field, words in the message)])
CASES: list[tuple[str, str, list[tuple[str, str, str]]]] = [
    (
        "unknown key",
        edit("    title: Event A\n", "    title: Event A\n    colour: red\n"),
        [("event ev-a", "colour", "unknown key")],
    ),
    (
        "unknown key in due",
        edit("{after: ev-a, days: 10}", "{after: ev-a, days: 10, weeks: 2}"),
        [("deadline dl-a", "due.weeks", "unknown key")],
    ),
    (
        "unknown top-level key",
        BASE + "extras: []\n",
        [("file", "extras", "unknown key")],
    ),
    (
        "bad date format",
        edit("date: 2020-01-05", "date: 05/01/2020"),
        [("event ev-b", "date", "YYYY-MM-DD")],
    ),
    (
        "impossible date",
        edit("date: 2020-01-05", "date: 2020-02-30"),
        [("event ev-b", "date", "not a real calendar date")],
    ),
    (
        "impossible due date",
        edit("due: 2020-03-01", "due: 2021-02-29"),
        [("deadline dl-b", "due", "not a real calendar date")],
    ),
    (
        "unknown source",
        edit("    sources: [src-a]\n  - id: ev-b", "    sources: [src-z]\n  - id: ev-b"),
        [("event ev-a", "sources", "unknown source 'src-z'")],
    ),
    (
        "unknown source in an outcome",
        edit(
            "note: Done late.\n        sources: [src-b]", "note: Done late.\n        sources: [x]"
        ),
        [("deadline dl-a", "outcome[1].sources", "unknown source 'x'")],
    ),
    (
        "unknown event in due.after",
        edit("{after: ev-a, days: 10}", "{after: ev-ghost, days: 10}"),
        [("deadline dl-a", "due.after", "unknown event 'ev-ghost'")],
    ),
    (
        "duplicate event id",
        edit("  - id: ev-b\n", "  - id: ev-a\n"),
        [("event ev-a", "id", "duplicate")],
    ),
    (
        "duplicate source id",
        edit("events:\n", "  - id: src-a\n    title: Source A again\nevents:\n"),
        [("source src-a", "id", "duplicate")],
    ),
    (
        "duplicate deadline slug",
        edit("  - slug: dl-b\n", "  - slug: dl-a\n"),
        [("deadline dl-a", "slug", "duplicate")],
    ),
    (
        "relative deadlines in a cycle",
        edit(
            "{after: ev-a, days: 10}",
            "{after: dl-b, days: 10}",
            edit("due: 2020-03-01", "due: {after: dl-a, months: 1}"),
        ),
        [
            ("deadline dl-a", "due.after", "cycle"),
            ("deadline dl-b", "due.after", "cycle"),
        ],
    ),
    (
        "deadline after itself",
        edit("{after: ev-a, days: 10}", "{after: dl-a, days: 10}"),
        [("deadline dl-a", "due.after", "cycle")],
    ),
    (
        "empty title",
        edit("title: Event B", 'title: ""'),
        [("event ev-b", "title", "must not be empty")],
    ),
    (
        "missing title",
        edit("    title: Deadline B\n", ""),
        [("deadline dl-b", "title", "missing")],
    ),
    (
        "missing sources",
        edit("    title: Event B\n    sources: [src-b]\n", "    title: Event B\n"),
        [("event ev-b", "sources", "cite at least one source")],
    ),
    (
        "empty sources",
        edit(
            "    due: 2020-03-01\n    sources: [src-b]\n", "    due: 2020-03-01\n    sources: []\n"
        ),
        [("deadline dl-b", "sources", "at least one source")],
    ),
    (
        "bad outcome status",
        edit("status: missed", "status: failed"),
        [("deadline dl-a", "outcome[0].status", "must be one of pending, met, late")],
    ),
    (
        "outcome updates out of order",
        edit("date: 2020-02-01", "date: 2020-01-03"),
        [("deadline dl-a", "outcome", "oldest first")],
    ),
    (
        "invalid YAML",
        edit("    title: Event A\n", "    title: [Event A\n"),
        [("file", "-", "not valid YAML: while parsing a flow sequence")],
    ),
    (
        "an item with a problem is still a known reference",
        edit("    title: Event A\n", '    title: ""\n'),
        [("event ev-a", "title", "must not be empty")],
    ),
    (
        "not a mapping",
        "- just\n- a list\n",
        [("file", "-", "must be a mapping")],
    ),
    (
        "relative due without a count",
        edit("{after: ev-a, days: 10}", "{after: ev-a}"),
        [("deadline dl-a", "due", "needs `days` or `months`")],
    ),
]


def problem_line(file: Path, item: str, field: str, words: str) -> re.Pattern[str]:
    """file[:line]: item: field: message (with `words` in the message)."""
    return re.compile(
        rf"^{re.escape(str(file))}(:\d+)?: {re.escape(item)}: {re.escape(field)}: "
        rf".*{re.escape(words)}"
    )


def problem_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if not line.startswith("accord-bot: error:")]


def test_base_file_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(BASE)
    dossier = load_dossier(path)
    assert [e.id for e in dossier.events] == ["ev-a", "ev-b"]
    assert dossier.deadlines[0].due == RelativeDue("ev-a", days=10)
    assert resolve_due_dates(dossier) == {"dl-a": date(2020, 1, 11), "dl-b": date(2020, 3, 1)}
    result = CliRunner().invoke(main, ["store", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert "ok: test-accord: 2 sources, 2 events, 2 deadlines" in result.stdout


@pytest.mark.parametrize("command", ["check", "import"])
@pytest.mark.parametrize(("case", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_every_problem_is_named(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    case: str,
    text: str,
    expected: list[tuple[str, str, str]],
) -> None:
    monkeypatch.setenv("ACCORD_DB", str(tmp_path / "accord.db"))
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["store", command, str(path)])
    assert result.exit_code == 1, result.output
    found = problem_lines(result.stderr)
    assert len(found) == len(expected), result.stderr
    for (item, field, words), line in zip(expected, found, strict=True):
        assert problem_line(path, item, field, words).match(line), line
    count = len(expected)
    assert result.stderr.splitlines()[-1] == (
        f"accord-bot: error: {count} problem{'s' if count != 1 else ''} found; nothing was changed"
    )
    # The library raises the same problems.
    with pytest.raises(CurationError) as raised:
        load_dossier(path)
    assert [str(p) for p in raised.value.problems] == found


def test_every_problem_reported_at_once(tmp_path: Path) -> None:
    text = edit("date: 2020-01-05", "date: 2020-02-30")
    text = edit("title: Event A", 'title: ""', text)
    text = edit("status: missed", "status: done", text)
    path = tmp_path / "three.yaml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["store", "check", str(path)])
    assert result.exit_code == 1
    lines = problem_lines(result.stderr)
    assert len(lines) == 3, result.stderr
    expected = [
        ("event ev-a", "title", "must not be empty"),
        ("event ev-b", "date", "not a real calendar date"),
        ("deadline dl-a", "outcome[0].status", "must be one of"),
    ]
    for (item, field, words), line in zip(expected, lines, strict=True):
        assert problem_line(path, item, field, words).match(line), line
    assert "3 problems found" in result.stderr


def test_problems_of_several_files_are_all_listed(tmp_path: Path) -> None:
    good, bad_one, bad_two = tmp_path / "good.yaml", tmp_path / "one.yaml", tmp_path / "two.yaml"
    good.write_text(BASE)
    bad_one.write_text(edit("status: missed", "status: done"))
    bad_two.write_text(edit("title: Event B", 'title: ""'))
    with pytest.raises(CurationError) as raised:
        load_dossiers([good, bad_one, bad_two, tmp_path / "missing.yaml"])
    files = [p.file for p in raised.value.problems]
    assert files == [str(bad_one), str(bad_two), str(tmp_path / "missing.yaml")]
    assert "cannot read" in raised.value.problems[-1].message


def test_problem_lines_carry_the_item_line_number(tmp_path: Path) -> None:
    text = edit("date: 2020-01-05", "date: 2020-13-05")
    _, problems = parse_dossier(text, "f.yaml")
    (problem,) = problems
    assert problem.line == BASE.splitlines().index("  - id: ev-b") + 1
    assert str(problem).startswith(f"f.yaml:{problem.line}: event ev-b: date: ")


def test_dates_stay_text_so_yaml_timestamps_do_not_slip_through() -> None:
    # A datetime is not a day; YAML would otherwise read it as a timestamp.
    dossier, problems = parse_dossier(edit("date: 2020-01-05", "date: 2020-01-05 10:00"), "f")
    assert dossier is None
    assert [(p.item, p.field) for p in problems] == [("event ev-b", "date")]


# -- the shipped dossier ----------------------------------------------------------------

SLUGS = {
    "intra-afghan-talks",
    "prisoner-release",
    "drawdown-8600",
    "un-sanctions",
    "us-sanctions-review",
    "full-withdrawal",
}
ARTICLE_NAME = "wsws-2020-03-05-within-days-of-afghan-peace-deal.txt"
ARTICLE_SOURCE = "wsws-2020-03-05"


def article_path() -> Path | None:
    """The article the dossier quotes: in shared/ beside the clone, or in /work/shared."""
    for shared in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared")):
        candidate = shared / "sources" / ARTICLE_NAME
        if candidate.is_file():
            return candidate
    return None


def collapse(text: str) -> str:
    return " ".join(text.split())


def test_shipped_dossier_loads_cleanly() -> None:
    path = shipped_dossier_path()
    dossier = load_dossier(path)
    assert dossier.info.slug == "doha-2020"
    assert dossier.info.signed == date(2020, 2, 29)
    assert {d.slug for d in dossier.deadlines} == SLUGS
    due = resolve_due_dates(dossier)
    assert due["drawdown-8600"] == date(2020, 7, 13)
    assert due["full-withdrawal"] == date(2021, 4, 29)
    result = CliRunner().invoke(main, ["store", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_shipped_dossier_is_the_config_file() -> None:
    repo = Path(__file__).resolve().parents[1]
    shipped = shipped_dossier_path()
    assert shipped.read_bytes() == (repo / "config" / "dossiers" / "doha-2020.yaml").read_bytes()


def test_shipped_dossier_cites_existing_sources() -> None:
    dossier = load_dossier(shipped_dossier_path())
    source_ids = {s.id for s in dossier.sources}
    for item in (*dossier.events, *dossier.deadlines):
        assert item.sources, item
        assert set(item.sources) <= source_ids, item
    for deadline in dossier.deadlines:
        for update in deadline.outcome:
            assert update.sources and set(update.sources) <= source_ids
    citing = [e for e in dossier.events if ARTICLE_SOURCE in e.sources]
    assert len(citing) >= 20
    # Every quote comes from the article, its first source.
    for item in (*dossier.events, *dossier.deadlines):
        if item.quote:
            assert item.sources[0] == ARTICLE_SOURCE, item


def test_shipped_quotes_are_verbatim_from_the_article() -> None:
    path = article_path()
    if path is None:
        pytest.skip(f"{ARTICLE_NAME} is not available next to this clone")
    article = collapse(path.read_text(encoding="utf-8"))
    dossier = load_dossier(shipped_dossier_path())
    quotes = [item.quote for item in (*dossier.events, *dossier.deadlines) if item.quote]
    assert len(quotes) >= 20
    for quote in quotes:
        assert collapse(quote) in article, quote
