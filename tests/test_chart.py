"""The timeline picture: its data as of a day, the PNG itself, its labels, the cache, the CLI."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
from datetime import date
from itertools import combinations
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.commands import Caller, Dispatcher
from briefings.artifacts import Artifacts
from briefings.clock import Clock, InputError
from briefings.compose import Composer
from briefings.render.chart import (
    HEIGHT_PX,
    WIDTH_PX,
    LabelBox,
    chart_data,
    render_chart,
)
from briefings.store import Store

UTC = ZoneInfo("UTC")


def clock(day: str | None) -> Clock:
    return Clock(UTC, date.fromisoformat(day) if day else None)


@pytest.fixture(scope="module")
def store() -> Store:
    return Store.open(":memory:")


def png_size(content: bytes) -> tuple[int, int]:
    """Width and height from the PNG signature and IHDR chunk."""
    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", content[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", content[16:24])
    return width, height


# -- data --------------------------------------------------------------------------------


def test_replay_day_shows_nothing_after_it(store: Store) -> None:
    data = chart_data(store, clock("2020-03-05"))
    day = date(2020, 3, 5)
    assert data.end == day and data.replay
    assert data.plotted_dates() and max(data.plotted_dates()) <= day
    assert all(event.date <= day for event in data.events)
    assert {e.id for e in data.events} <= set(store.event_ids(day))
    # Nothing had happened to any deadline yet: all six are still to come.
    assert len(data.lanes) == 6
    assert {lane.status for lane in data.lanes} == {"upcoming"}
    assert all(lane.outcome_date is None and lane.bar is None for lane in data.lanes)
    # Sources published later (the CRS insight, AP, ...) are not in the footnote.
    assert "CRS" not in data.sources and "AP" not in data.sources
    assert "World Socialist Web Site" in data.sources


def test_outcomes_as_bars_from_due_date(store: Store) -> None:
    data = chart_data(store, clock("2021-12-01"))
    lanes = {lane.slug: lane for lane in data.lanes}
    talks = lanes["intra-afghan-talks"]
    assert talks.status == "late" and talks.label == "late by 186 d"
    assert talks.bar == (date(2020, 3, 10), date(2020, 9, 12))
    assert lanes["prisoner-release"].label == "late by 184 d"
    drawdown = lanes["drawdown-8600"]
    assert drawdown.status == "met" and drawdown.label == "met on time"
    assert lanes["un-sanctions"].status == "missed"
    assert lanes["un-sanctions"].label.startswith("missed, open 5")  # 29 May 2020 to Dec 2021
    withdrawal = lanes["full-withdrawal"]
    assert withdrawal.status == "late" and withdrawal.label == "late by 123 d"
    assert [(m.date, m.status) for m in withdrawal.marks] == [
        (date(2021, 4, 14), "superseded"),
        (date(2021, 7, 8), "superseded"),
    ]
    assert data.caption().endswith("6 deadlines, 1 met, 3 late, 2 missed")


def test_open_deadline_bar_runs_to_today(store: Store) -> None:
    data = chart_data(store, clock("2020-06-10"))
    un = next(lane for lane in data.lanes if lane.slug == "un-sanctions")
    assert un.status == "missed"
    assert un.bar == (date(2020, 5, 29), date(2020, 6, 10))
    assert un.label == "missed, open 12 d"
    assert data.today_shown and data.end == date(2020, 6, 10)


def test_superseded_before_the_outcome(store: Store) -> None:
    data = chart_data(store, clock("2021-05-10"))
    withdrawal = next(lane for lane in data.lanes if lane.slug == "full-withdrawal")
    assert withdrawal.status == "superseded"
    assert withdrawal.label == "superseded 14 Apr 2021"
    assert withdrawal.due_shown


def test_range_limits_events_and_clips_bars(store: Store) -> None:
    start, end = date(2020, 3, 1), date(2020, 4, 15)
    data = chart_data(store, clock("2021-12-01"), start, end)
    assert (data.start, data.end, data.ranged) == (start, end, True)
    assert data.events and all(start <= e.date <= end for e in data.events)
    assert all(start <= d <= end for d in data.plotted_dates())
    lanes = {lane.slug: lane for lane in data.lanes}
    assert lanes["intra-afghan-talks"].bar == (date(2020, 3, 10), end)
    assert lanes["intra-afghan-talks"].continues
    assert lanes["drawdown-8600"].bar is None and lanes["drawdown-8600"].side == "after"
    assert lanes["drawdown-8600"].label == "due 13 Jul 2020, met on time"


def test_range_end_never_passes_today(store: Store) -> None:
    data = chart_data(store, clock("2020-03-05"), date(2020, 3, 1), date(2020, 12, 31))
    assert data.end == date(2020, 3, 5)
    assert max(data.plotted_dates()) <= date(2020, 3, 5)


def test_bad_ranges_are_refused(store: Store) -> None:
    with pytest.raises(InputError, match="swap"):
        chart_data(store, clock("2021-01-01"), date(2020, 5, 1), date(2020, 4, 1))
    with pytest.raises(InputError, match="after today"):
        chart_data(store, clock("2020-03-05"), date(2020, 4, 1), None)


def test_important_events_are_few_and_marked(store: Store) -> None:
    data = chart_data(store, clock("2021-12-01"))
    important = [e for e in data.events if e.important]
    assert 0 < len(important) <= 8
    ids = {e.id for e in important}
    assert {"doha-signing", "drawdown-8600-met", "intra-afghan-talks-open"} <= ids
    assert len({e.date for e in important}) == len(important)


# -- the picture -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        ("2020-03-05", None, None),
        ("2020-09-01", None, None),
        ("2021-05-10", None, None),
        ("2021-12-01", None, None),
        ("2021-12-01", "2020-03-01", "2020-04-15"),
        ("2020-03-05", "2020-03-05", "2020-03-05"),
    ],
)
def test_png_size_and_labels_apart(
    store: Store, day: str, start: str | None, end: str | None
) -> None:
    data = chart_data(
        store,
        clock(day),
        date.fromisoformat(start) if start else None,
        date.fromisoformat(end) if end else None,
    )
    boxes: list[LabelBox] = []
    content = render_chart(data, collect_boxes=boxes)
    assert png_size(content) == (WIDTH_PX, HEIGHT_PX) == (1200, 600)
    assert len(content) < 300_000
    kinds = {box.kind for box in boxes}
    assert {"title", "legend", "deadline", "outcome", "footnote", "tick"} <= kinds
    for box in boxes:  # nothing clipped at the picture's edges
        assert 0 <= box.x0 <= box.x1 <= WIDTH_PX, box
        assert 0 <= box.y0 <= box.y1 <= HEIGHT_PX, box
    for one, other in combinations(boxes, 2):
        assert not one.overlaps(other), (one, other)
    texts = [box.text for box in boxes]
    assert data.title in texts
    assert all(lane.label in texts for lane in data.lanes)


def test_png_reads_back_as_an_image(store: Store) -> None:
    from matplotlib import image

    content = render_chart(chart_data(store, clock("2021-12-01")))
    pixels = image.imread(io.BytesIO(content), format="png")
    assert pixels.shape[:2] == (600, 1200)
    # Opaque white background: the corners are white.
    assert pixels[0, 0][:3].tolist() == [1.0, 1.0, 1.0]
    assert pixels[0, 0][3] == 1.0


def test_event_labels_do_not_cross(store: Store) -> None:
    boxes: list[LabelBox] = []
    render_chart(chart_data(store, clock("2021-12-01")), collect_boxes=boxes)
    events = [b for b in boxes if b.kind == "event" and not b.text.startswith("+")]
    assert len(events) >= 4
    assert any(b.text.startswith("29 Feb  US and Taliban sign") for b in events)


# -- attachments, cache, dispatcher ------------------------------------------------------


def test_artifacts_cache_per_revision_day_and_range(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "accord.db")
    maker = Artifacts(store)
    first = maker.chart(clock("2020-03-05"), None, None)
    assert first.filename == "accord-doha-2020-2020-03-05.png"
    assert first.mime_type == "image/png" and "\n" not in first.title
    assert first.title.startswith("Timeline of doha-2020 as of 2020-03-05")
    assert maker.chart(clock("2020-03-05"), None, None) is first
    assert maker.renders == 1
    maker.chart(clock("2020-03-06"), None, None)
    ranged = maker.chart(clock("2020-03-06"), date(2020, 3, 1), None)
    assert ranged.filename == "accord-doha-2020-2020-03-06-2020-03-01-to-2020-03-06.png"
    assert maker.renders == 3
    # A curated change is a new store revision: the next answer is composed afresh.
    from briefings.changes import Change, apply_change
    from briefings.revisions import Author

    apply_change(
        store,
        Change(
            "correct",
            "doha-2020",
            Author("console", "test"),
            {"title": "US drone strike in Helmand"},
            "us-drone-strike-helmand",
            "shorter",
        ),
    )
    assert maker.chart(clock("2020-03-05"), None, None) is not first
    assert maker.renders == 4


async def test_dispatcher_answers_chart_and_calendar(tmp_path: Path) -> None:
    # The dispatcher draws in a worker thread; the store is a real file, as in the bot.
    store = Store.open(tmp_path / "accord.db")
    dispatcher = Dispatcher(
        Composer(store), lambda: clock("2020-09-20"), artifacts=Artifacts(store)
    )
    caller = Caller("console", "local", "console", "me")
    reply = await dispatcher.handle_text("chart 2020-03-01 2020-06-30", caller)
    assert reply.attachment is not None and not reply.error
    assert png_size(reply.attachment.content) == (1200, 600)
    assert reply.text == reply.attachment.title
    calendar = await dispatcher.handle_text("calendar events", caller)
    assert calendar.attachment is not None
    assert calendar.attachment.mime_type == "text/calendar"
    assert calendar.attachment.filename == "accord-doha-2020-2020-09-20-events.ics"
    refused = await dispatcher.handle_text("chart 2020-10-01", caller)
    assert refused.error and "after today" in (refused.text or "")


# -- command line ------------------------------------------------------------------------


def test_cli_brief_chart_writes_png(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_DB", str(tmp_path / "accord.db"))
    out = tmp_path / "chart.png"
    result = CliRunner().invoke(
        main, ["brief", "chart", "--as-of", "2020-09-01", "--tz", "Asia/Kabul", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert png_size(out.read_bytes()) == (1200, 600)
    assert "as of 2020-09-01" in result.output
    missing = CliRunner().invoke(main, ["brief", "chart", "--as-of", "2020-09-01"])
    assert missing.exit_code == 2 and "--out" in missing.output
    bad = CliRunner().invoke(
        main, ["brief", "chart", "--from", "2020-05-01", "--to", "2020-04-01", "--out", str(out)]
    )
    assert bad.exit_code == 2 and "swap" in bad.output


def test_chart_code_loads_matplotlib_only_when_drawing() -> None:
    code = (
        "import sys, bot.cli, briefings.artifacts, briefings.render.chart\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported eagerly'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_curated_text_draws_as_written_and_sparse_stores(tmp_path: Path) -> None:
    from briefings.model import Deadline, Dossier, DossierInfo, Event, Source

    info = DossierInfo("test-2024", "Test $accord$", date(2024, 1, 1), ("A", "B"), "A test.")
    source = Source("s1", "Source", "Pub $1", None, date(2024, 1, 1))
    events = (Event("e1", date(2024, 1, 2), "Paid $5 and $6_x^2 {braces}", ("s1",), None),)
    # Paired dollars with a backslash would be (broken) mathtext if parsed as such.
    deadline = Deadline("d", "Pay $\\frac{3}$ now", date(2024, 3, 1), ("s1",))
    store = Store.open(tmp_path / "test.db", seed=False)
    store.import_dossiers([Dossier(info, (source,), events, (deadline,))])
    for day in ("2023-06-01", "2024-01-02", "2024-03-01", "2024-06-01"):
        data = chart_data(store, clock(day))
        boxes: list[LabelBox] = []
        assert png_size(render_chart(data, collect_boxes=boxes)) == (1200, 600)
        texts = " ".join(box.text for box in boxes)
        assert "Test $accord$" in data.title and data.title in texts
        if day >= "2024-01-01":
            assert "Pay $\\frac{3}$ now" in texts
    empty = Store.open(tmp_path / "empty.db", seed=False)
    empty.import_dossiers([Dossier(info, (source,), (), ())])
    data = chart_data(empty, clock("2024-02-01"))
    assert data.lanes == () and data.events == ()
    assert png_size(render_chart(data)) == (1200, 600)


def test_quiet_record_ends_the_axis_soon_after_its_last_entry(store: Store) -> None:
    data = chart_data(store, clock("2024-06-01"))
    assert date(2021, 8, 30) < data.end < date(2022, 1, 1)
    assert not data.today_shown
    un = next(lane for lane in data.lanes if lane.slug == "un-sanctions")
    assert un.continues and un.bar == (date(2020, 5, 29), data.end)
    assert un.label == f"missed, open {(date(2024, 6, 1) - date(2020, 5, 29)).days:,} d"
    boxes: list[LabelBox] = []
    render_chart(data, collect_boxes=boxes)
    assert "replay day (2024-06-01) is further right ▸" in [b.text for b in boxes]
