"""The timeline picture: what to plot (`chart_data`), then how it looks (`render_chart`).

One row per deadline: a diamond at the due date and a bar to what became of it (green
met, amber late, red missed or still without an outcome, grey superseded). Below, an
events strip with a mark per event and labels for the few that matter most. Nothing
after the as-of day is plotted. matplotlib is imported inside the drawing functions so
that the rest of the bot never pays for it.
"""

from __future__ import annotations

import io
import textwrap
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

from briefings.clock import Clock, InputError
from briefings.countdown import count_down
from briefings.model import Event, OutcomeUpdate
from briefings.store import ResolvedDeadline, Store

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure
    from matplotlib.text import Text

WIDTH_PX, HEIGHT_PX, DPI = 1200, 600, 100
LEAD_IN = timedelta(days=14)
MAX_EVENT_LABELS = 8
KEY_TAGS = ("agreement", "talks", "withdrawal")

LaneStatus = Literal["met", "late", "missed", "open", "superseded", "upcoming", "today"]

COLORS: dict[str, str] = {
    "met": "#2e7d32",
    "late": "#e08a00",
    "missed": "#c62828",
    "open": "#c62828",
    "superseded": "#7b8088",
    "upcoming": "#1f5fbf",
    "today": "#1f5fbf",
    "pending": "#1f5fbf",
}
INK = "#1b1f24"
MUTED = "#57606a"
RULE = "#6e40c9"


@dataclass(frozen=True)
class Mark:
    """An earlier outcome update drawn as a small mark on its deadline's row."""

    date: date
    status: str


@dataclass(frozen=True)
class Lane:
    """One deadline's row. `bar` is the plotted span, already clipped to the chart."""

    slug: str
    title: str
    due: date
    status: LaneStatus
    label: str
    outcome_date: date | None = None
    bar: tuple[date, date] | None = None
    continues: bool = False
    marks: tuple[Mark, ...] = ()
    side: Literal["before", "after"] | None = None  # all of it lies outside the chart

    @property
    def due_shown(self) -> bool:
        return self.bar is not None and self.bar[0] <= self.due <= self.bar[1]


@dataclass(frozen=True)
class EventMark:
    """An event on the strip; `rank` orders the few worth a label (None: a mark only)."""

    id: str
    date: date
    title: str
    rank: int | None = None

    @property
    def important(self) -> bool:
        return self.rank is not None


@dataclass(frozen=True)
class ChartData:
    """Everything the picture shows, in plain values (tests read this, not pixels)."""

    dossier: str
    dossier_title: str
    as_of: date
    zone: str
    replay: bool
    start: date
    end: date
    lanes: tuple[Lane, ...]
    events: tuple[EventMark, ...]
    sources: tuple[str, ...]
    earlier_events: int = 0
    ranged: bool = False  # the range was asked for (else it is the default window)

    @property
    def title(self) -> str:
        mode = " (replay)" if self.replay else ""
        return f"{self.dossier_title} ({self.dossier}), as of {self.as_of}{mode}"

    @property
    def today_shown(self) -> bool:
        return self.start <= self.as_of <= self.end

    def plotted_dates(self) -> list[date]:
        """Every date the picture places something at."""
        found = [e.date for e in self.events]
        for lane in self.lanes:
            if lane.bar is not None:
                found.extend(lane.bar)
            found.extend(m.date for m in lane.marks)
        return found

    def tally(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for lane in self.lanes:
            key = "missed" if lane.status == "open" else lane.status
            counts[key] = counts.get(key, 0) + 1
        return counts

    def caption(self) -> str:
        """One line for the message that carries the picture."""
        order = ("met", "late", "missed", "superseded", "today", "upcoming")
        tally = self.tally()
        parts = [f"{tally[k]} {k}" for k in order if tally.get(k)]
        counted = f": {len(self.lanes)} deadlines, " + ", ".join(parts) if parts else ""
        return f"Timeline of {self.dossier} as of {self.as_of}{counted}"


# -- the data ------------------------------------------------------------------------------


def chart_data(
    store: Store, clock: Clock, start: date | None = None, end: date | None = None
) -> ChartData:
    """What the chart shows as of the clock's day, within [start, end] if given.

    >>> from zoneinfo import ZoneInfo
    >>> data = chart_data(Store.open(":memory:"), Clock(ZoneInfo("UTC"), date(2020, 3, 5)))
    >>> max(data.plotted_dates()) <= date(2020, 3, 5)
    True
    """
    today = clock.today()
    if start is not None and end is not None and start > end:
        raise InputError(f"`from` ({start}) is after `to` ({end}); swap them")
    if start is not None and start > today:
        raise InputError(f"`from` ({start}) is after today ({today}); the chart ends today")
    info = store.info()
    resolved = store.deadlines(today)
    known_events = store.events(today)
    first = min([info.signed, *(r.due for r in resolved)])
    left = start if start is not None else first - LEAD_IN
    right = (
        min(end, today) if end is not None else _default_end(resolved, known_events, left, today)
    )
    if right < left:
        left = right - LEAD_IN
    lanes = tuple(_lane(r, today, left, right) for r in resolved)
    in_range = [e for e in known_events if left <= e.date <= right]
    marks = _event_marks(in_range, resolved, info.signed, today)
    sources = store.sources(today)
    cited = _cited_sources(resolved, in_range, today)
    names = [sources[s].publisher or sources[s].title for s in cited if s in sources]
    return ChartData(
        dossier=info.slug,
        dossier_title=info.title,
        as_of=today,
        zone=clock.zone.key,
        replay=clock.replay,
        start=left,
        end=right,
        lanes=lanes,
        events=marks,
        sources=tuple(dict.fromkeys(names)),
        earlier_events=sum(1 for e in known_events if e.date < left),
        ranged=start is not None or end is not None,
    )


def _default_end(
    resolved: list[ResolvedDeadline], events: list[Event], left: date, today: date
) -> date:
    """Today, unless the record went quiet long ago: then shortly after its last entry."""
    dated = [e.date for e in events if e.date >= left]
    for r in resolved:
        dated.extend(u.date for u in r.deadline.outcome if u.date <= today)
        if r.due <= today:
            dated.append(r.due)
    last = max(dated, default=today)
    quiet = (today - last).days
    if quiet <= 120:
        return today
    # Room after the last entry for the words beside the bars that end there.
    room = max(45, (last - left).days // 7)
    return min(today, last + timedelta(days=room))


def _lane(resolved: ResolvedDeadline, today: date, left: date, right: date) -> Lane:
    countdown = count_down(resolved, today)
    deadline = resolved.deadline
    due = resolved.due
    outcome = countdown.outcome
    earlier = [u for u in deadline.outcome if u.date <= today and u is not outcome]
    marks = tuple(
        Mark(u.date, u.status) for u in earlier if u.date != due and left <= u.date <= right
    )
    status, label, span = _status(due, outcome, today)
    bar, continues = _clip(span, left, right) if span else (None, False)
    side: Literal["before", "after"] | None = None
    if bar is None:
        side = "before" if span is not None and span[1] < left else "after"
        if status != "upcoming":
            label = f"due {due:%d %b %Y}, {label}"
    return Lane(
        slug=deadline.slug,
        title=deadline.title,
        due=due,
        status=status,
        label=label,
        outcome_date=outcome.date if outcome else None,
        bar=bar,
        continues=continues,
        marks=marks,
        side=side,
    )


def _days(count: int) -> str:
    return f"{count:,} d"


def _status(
    due: date, outcome: OutcomeUpdate | None, today: date
) -> tuple[LaneStatus, str, tuple[date, date] | None]:
    """The row's state, its label, and the span its bar covers before clipping."""
    if outcome is None or outcome.status == "pending":
        if due > today:
            return "upcoming", f"due {due:%d %b %Y}, in {_days((due - today).days)}", None
        if due == today:
            return "today", "due today", (due, due)
        return "open", f"no outcome yet, {_days((today - due).days)} overdue", (due, today)
    done = outcome.date
    if outcome.status == "met":
        early = (due - done).days
        label = (
            "met on time"
            if early == 0
            else f"met {_days(abs(early))} " + ("early" if early > 0 else "late")
        )
        return "met", label, (min(due, done), max(due, done))
    if outcome.status == "late":
        return "late", f"late by {_days((done - due).days)}", (due, max(due, done))
    if outcome.status == "missed":
        open_for = (today - due).days
        label = f"missed, open {_days(open_for)}" if open_for > 0 else "missed"
        return "missed", label, (due, max(due, today))
    return "superseded", f"superseded {done:%d %b %Y}", (min(due, done), max(due, done))


def _clip(
    span: tuple[date, date], left: date, right: date
) -> tuple[tuple[date, date] | None, bool]:
    begin, finish = span
    if finish < left or begin > right:
        return None, False
    return (max(begin, left), min(finish, right)), finish > right


def _event_marks(
    events: list[Event], resolved: list[ResolvedDeadline], signed: date, today: date
) -> tuple[EventMark, ...]:
    """Every event in range; the few that matter most are marked important (labelled)."""
    key_days = {signed, *(r.due for r in resolved)}
    key_days |= {u.date for r in resolved for u in r.deadline.outcome if u.date <= today}

    def rank(event: Event) -> tuple[int, int, date]:
        tags = set(event.tags)
        score = 0 if event.date in key_days else 1 if "agreement" in tags else 2
        if score == 2 and not tags & set(KEY_TAGS):
            score = 3
        return score, 0 if "agreement" in tags else 1 if tags & set(KEY_TAGS) else 2, event.date

    chosen: list[Event] = []
    for event in sorted(events, key=rank):
        if rank(event)[0] == 3 or len(chosen) >= MAX_EVENT_LABELS:
            break
        if all(c.date != event.date for c in chosen):  # one label per day keeps them apart
            chosen.append(event)
    ranks = {e.id: position for position, e in enumerate(chosen)}
    return tuple(EventMark(e.id, e.date, e.title, ranks.get(e.id)) for e in events)


def _cited_sources(
    resolved: list[ResolvedDeadline], events: Iterable[Event], today: date
) -> list[str]:
    ids: list[str] = []
    for r in resolved:
        ids.extend(r.deadline.sources)
        for update in r.deadline.outcome:
            if update.date <= today:
                ids.extend(update.sources)
    for event in events:
        ids.extend(event.sources)
    return list(dict.fromkeys(ids))


# -- the picture ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelBox:
    """Where a piece of text landed, in pixels from the bottom-left corner."""

    kind: str
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: LabelBox) -> bool:
        return (
            self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1
        )


_LOCK = threading.Lock()


@dataclass
class _Canvas:
    """The figure being drawn, with every label placed so far (to avoid collisions)."""

    figure: Figure
    renderer: RendererBase
    placed: list[tuple[str, Text]] = field(default_factory=list)
    taken: list[LabelBox] = field(default_factory=list)

    def box(self, text: Text, kind: str = "") -> LabelBox:
        extent = text.get_window_extent(self.renderer)
        return LabelBox(kind, text.get_text(), extent.x0, extent.y0, extent.x1, extent.y1)

    def fits(self, text: Text, pad: float = 2.0) -> bool:
        return self.free(self.box(text), pad)

    def free(self, mine: LabelBox, pad: float = 2.0) -> bool:
        """Whether a box lies inside the picture without touching anything placed."""
        if mine.x0 < 1 or mine.y0 < 1 or mine.x1 > WIDTH_PX - 1 or mine.y1 > HEIGHT_PX - 1:
            return False
        grown = LabelBox("", "", mine.x0 - pad, mine.y0 - pad, mine.x1 + pad, mine.y1 + pad)
        return not any(grown.overlaps(other) for other in self.taken)

    def keep(self, kind: str, text: Text, *, settled: bool = True) -> None:
        """Record a label; a settled one (placed now, not at draw time) blocks later ones."""
        self.placed.append((kind, text))
        if settled:
            self.taken.append(self.box(text, kind))

    def boxes(self) -> list[LabelBox]:
        """Every label's final box, tick labels included (call after drawing)."""
        found = [self.box(text, kind) for kind, text in self.placed if text.get_text()]
        for ax in self.figure.axes:
            ticks = [*ax.get_xticklabels(), ax.xaxis.get_offset_text()]
            found.extend(self.box(t, "tick") for t in ticks if t.get_visible() and t.get_text())
        return found


def render_chart(data: ChartData, *, collect_boxes: list[LabelBox] | None = None) -> bytes:
    """The picture as PNG bytes, exactly 1200x600; label boxes go to `collect_boxes`."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # Curated text is text: a "$" in a title must not start mathtext.
    with _LOCK, rc_context({"text.parse_math": False}):
        figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor="white")
        canvas = _Canvas(figure, FigureCanvasAgg(figure).get_renderer())  # type: ignore[no-untyped-call]
        _draw(canvas, data)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI, facecolor="white", metadata=_METADATA)
        if collect_boxes is not None:
            collect_boxes.extend(canvas.boxes())
    return buffer.getvalue()


_METADATA = {"Software": "accord-bot", "Title": "accord-bot timeline chart"}


def _num(day: date) -> float:
    from matplotlib.dates import date2num

    return float(date2num(day))  # type: ignore[no-untyped-call]


def _draw(canvas: _Canvas, data: ChartData) -> None:
    figure = canvas.figure
    lanes_ax = figure.add_axes((0.25, 0.40, 0.725, 0.43))
    events_ax = figure.add_axes((0.25, 0.12, 0.725, 0.26), sharex=lanes_ax)
    span = max((data.end - data.start).days, 1)
    pad = max(span * 0.015, 0.6)
    lanes_ax.set_xlim(_num(data.start) - pad, _num(data.end) + pad)
    _style_axes(lanes_ax, events_ax)
    _header(canvas, data)
    _date_axis(canvas, events_ax, span)
    _today_line(canvas, data, lanes_ax, events_ax)
    _lanes(canvas, data, lanes_ax)
    _events(canvas, data, events_ax)
    _footnote(canvas, data)


def _style_axes(lanes_ax: Axes, events_ax: Axes) -> None:
    for ax in (lanes_ax, events_ax):
        ax.set_facecolor("white")
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        ax.spines["bottom"].set_color("#d0d7de")
        ax.tick_params(axis="y", left=False, labelleft=False)
    lanes_ax.tick_params(axis="x", bottom=False, labelbottom=False)
    events_ax.set_ylim(0, 1)


def _header(canvas: _Canvas, data: ChartData) -> None:
    figure = canvas.figure
    name = data.dossier_title
    for attempt in range(12):
        size = max(11, 15 - attempt)
        words = data.title.replace(data.dossier_title, name, 1)
        title = figure.text(
            0.012, 0.955, words, fontsize=size, fontweight="bold", color=INK, va="center"
        )
        if canvas.fits(title) or len(name) < 12:
            break
        title.remove()
        if size == 11:  # too long even small: shorten the dossier's name, keep the date
            name = textwrap.shorten(name, int(len(name) * 0.85), placeholder="…")
    canvas.keep("title", title)
    _legend(canvas)


def _legend(canvas: _Canvas) -> None:
    from matplotlib.lines import Line2D

    def line(color: str, label: str, **style: Any) -> Line2D:
        return Line2D([], [], color=color, label=label, **style)

    handles = [
        line(INK, "due date", marker="D", markerfacecolor="white", linestyle="none"),
        line(COLORS["met"], "met", linewidth=6),
        line(COLORS["late"], "late (bar to when it happened)", linewidth=6),
        line(COLORS["missed"], "missed / no outcome yet", linewidth=6),
        line(COLORS["superseded"], "superseded", linewidth=6),
        line(COLORS["upcoming"], "upcoming", marker=">", linestyle="none"),
        line(RULE, "today", linestyle="--"),
    ]
    legend = canvas.figure.legend(
        handles=handles,
        loc="center left",
        bbox_to_anchor=(0.006, 0.895),
        ncol=len(handles),
        frameon=False,
        fontsize=9.5,
        handlelength=1.6,
        columnspacing=1.4,
        labelcolor=INK,
    )
    for text in legend.get_texts():
        canvas.keep("legend", text, settled=False)  # the legend is laid out at draw time


def _date_axis(canvas: _Canvas, events_ax: Axes, span: int) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, DateFormatter

    locator = AutoDateLocator(minticks=4, maxticks=9, interval_multiples=span > 60)  # type: ignore[no-untyped-call]
    events_ax.xaxis.set_major_locator(locator)
    if span <= 60:
        events_ax.xaxis.set_major_formatter(DateFormatter("%d %b"))  # type: ignore[no-untyped-call]
    else:
        events_ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, show_offset=False))  # type: ignore[no-untyped-call]
    events_ax.tick_params(axis="x", labelsize=9.5, colors=MUTED, length=3)


def _today_line(canvas: _Canvas, data: ChartData, lanes_ax: Axes, events_ax: Axes) -> None:
    if data.ranged:
        shown = lanes_ax.text(
            0.0,
            1.02,
            f"showing {data.start:%d %b %Y} to {data.end:%d %b %Y}",
            transform=lanes_ax.transAxes,
            ha="left",
            va="bottom",
            fontsize=9,
            color=MUTED,
        )
        canvas.keep("range", shown)
    if not data.today_shown:
        note = lanes_ax.text(
            1.0,
            1.02,
            f"{'replay day' if data.replay else 'today'} ({data.as_of}) is further right ▸",
            transform=lanes_ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=9,
            color=RULE,
        )
        canvas.keep("today", note)
        return
    x = _num(data.as_of)
    for ax in (lanes_ax, events_ax):
        ax.axvline(x, color=RULE, linestyle="--", linewidth=1.3, zorder=1)
    word = "replay day" if data.replay else "today"
    label = lanes_ax.text(
        x,
        1.02,
        f"{word} {data.as_of}",
        transform=lanes_ax.get_xaxis_transform(),
        ha="right" if _near_right(data, data.as_of) else "center",
        va="bottom",
        fontsize=9,
        color=RULE,
        fontweight="bold",
    )
    canvas.keep("today", label)


def _near_right(data: ChartData, day: date) -> bool:
    span = max((data.end - data.start).days, 1)
    return (data.end - day).days < span * 0.12


def _lanes(canvas: _Canvas, data: ChartData, ax: Axes) -> None:
    count = max(len(data.lanes), 1)
    ax.set_ylim(count - 0.5, -0.5)
    for row, lane in enumerate(data.lanes):
        if row % 2 == 0:
            ax.axhspan(row - 0.5, row + 0.5, color="#f3f5f8", zorder=0, linewidth=0)
        _lane_title(canvas, ax, row, lane, len(data.lanes))
        _lane_bar(canvas, data, ax, row, lane)
    if not data.lanes:
        empty = ax.text(
            0.5,
            0.5,
            "No deadlines on the record yet.",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=11,
            color=MUTED,
        )
        canvas.keep("lane", empty)


def _lane_title(canvas: _Canvas, ax: Axes, row: int, lane: Lane, rows: int) -> None:
    # Two lines while the rows are tall enough; one, and smaller, for a long list.
    lines = textwrap.wrap(lane.title, 40, max_lines=2 if rows <= 7 else 1, placeholder="…")
    text = ax.text(
        -0.012,
        row,
        "\n".join(lines),
        transform=ax.get_yaxis_transform(),
        ha="right",
        va="center",
        fontsize=9.5 if rows <= 10 else 8,
        color=INK,
        linespacing=1.15,
    )
    canvas.keep("deadline", text)


def _lane_bar(canvas: _Canvas, data: ChartData, ax: Axes, row: int, lane: Lane) -> None:
    color = COLORS[lane.status]
    for mark in lane.marks:
        tick = COLORS.get(mark.status, MUTED)
        ax.plot(
            _num(mark.date), row, marker="|", markersize=18, markeredgewidth=3, color=tick, zorder=3
        )
        _block(canvas, ax, _num(mark.date), row, 4)
    if lane.bar is not None:
        begin, finish = (_num(d) for d in lane.bar)
        ax.plot(
            [begin, finish], [row, row], color=color, linewidth=10, solid_capstyle="butt", zorder=2
        )
        if lane.continues:
            ax.plot(finish, row, marker=">", markersize=12, color=color, zorder=3)
        if lane.outcome_date is not None and lane.bar[0] <= lane.outcome_date <= lane.bar[1]:
            ax.plot(
                _num(lane.outcome_date),
                row,
                marker="o",
                markersize=10,
                color=color,
                markeredgecolor="white",
                zorder=4,
            )
            _block(canvas, ax, _num(lane.outcome_date), row, 7)
    if lane.due_shown or (lane.bar is None and data.start <= lane.due <= data.end):
        face = color if lane.status == "met" else "white"
        ax.plot(
            _num(lane.due),
            row,
            marker="D",
            markersize=10,
            markerfacecolor=face,
            markeredgecolor=INK,
            markeredgewidth=1.6,
            zorder=5,
        )
        _block(canvas, ax, _num(lane.due), row, 8)
    if lane.side == "after":
        ax.plot(_num(data.end), row, marker=">", markersize=12, color=color, zorder=3)
    elif lane.side == "before":
        ax.plot(_num(data.start), row, marker="<", markersize=12, color=color, zorder=3)
    _lane_label(canvas, data, ax, row, lane, color)


def _block(canvas: _Canvas, ax: Axes, x: float, row: int, half: float) -> None:
    """Keep labels off a marker drawn at (x, row): `half` pixels each way."""
    px, py = ax.transData.transform((x, row))
    canvas.taken.append(LabelBox("mark", "", px - half, py - half, px + half, py + half))


def _lane_label(
    canvas: _Canvas, data: ChartData, ax: Axes, row: int, lane: Lane, color: str
) -> None:
    """The outcome words beside the bar: right of it, else left of it, else on it."""
    left, right = (_num(d) for d in lane.bar) if lane.bar else (_num(data.end),) * 2
    gap = (ax.get_xlim()[1] - ax.get_xlim()[0]) * 0.012
    # Dark words on the amber bar, white ones on the darker bars.
    on_bar = INK if lane.status == "late" else "white"
    leftmost = min([left, *(_num(m.date) for m in lane.marks)])
    tries = [
        (right + gap * 1.6, "left", color, False),
        (left - gap * 1.6, "right", color, False),
        (right - gap * 2.4, "right", on_bar, True),
        (leftmost - gap * 1.2, "right", color, False),
    ]
    if lane.side == "after":
        tries = [(_num(data.end) - gap * 2.4, "right", color, False)]
    elif lane.side == "before":
        tries = [(_num(data.start) + gap * 2.4, "left", color, False)]
    for x, align, ink, inside_bar in tries:
        text = _outcome_text(ax, x, row, lane.label, align, ink)
        if inside_bar:
            low, high = ax.transData.transform([(left, row), (right, row)])[:, 0]
            box = canvas.box(text)
            if box.x0 >= low + 10 and box.x1 <= high - 8 and canvas.fits(text, pad=1):
                break
        elif _inside(canvas, ax, text) and canvas.fits(text):
            break
        text.remove()
    else:
        x, align, ink, _ = tries[2] if lane.bar else tries[0]
        text = _outcome_text(ax, x, row, lane.label, align, ink)
    canvas.keep("outcome", text)


def _outcome_text(ax: Axes, x: float, row: int, words: str, align: str, ink: str) -> Text:
    return ax.text(
        x, row, words, ha=align, va="center", fontsize=9.5, fontweight="bold", color=ink, zorder=6
    )


def _inside(canvas: _Canvas, ax: Axes, text: Text) -> bool:
    """Within the plot's width; the last few pixels, right of the axis end, may be used."""
    box = canvas.box(text)
    frame = ax.get_window_extent(canvas.renderer)
    return bool(box.x0 >= frame.x0 and box.x1 <= frame.x1 + 12)


def _events(canvas: _Canvas, data: ChartData, ax: Axes) -> None:
    per_day: dict[date, int] = {}
    for event in data.events:
        per_day[event.date] = per_day.get(event.date, 0) + 1
    stacked: dict[date, int] = {}
    for event in data.events:
        level = stacked.get(event.date, 0)
        stacked[event.date] = level + 1
        if level < 4:
            ax.plot(
                _num(event.date),
                0.07 + level * 0.045,
                marker="o",
                markersize=4.5,
                color="#3d4b5c",
                linestyle="none",
                zorder=3,
            )
    caption = ax.text(
        -0.012,
        0.1,
        _events_caption(data),
        transform=ax.transAxes,
        ha="right",
        va="center",
        fontsize=9.5,
        color=INK,
    )
    canvas.keep("events", caption)
    _event_labels(canvas, ax, [e for e in data.events if e.important], per_day)
    for day, count in per_day.items():
        if count > 4:
            _count_label(canvas, ax, day, count - 4)


def _count_label(canvas: _Canvas, ax: Axes, day: date, extra: int) -> None:
    """ "+N" beside a day's stack of marks, wherever it fits (else the stack speaks alone)."""
    top = 0.07 + 3 * 0.045
    for offset, align in (((5, 0), "left"), ((-5, 0), "right"), ((0, 9), "center")):
        more = ax.annotate(
            f"+{extra}",
            (_num(day), top),
            xytext=offset,
            textcoords="offset points",
            ha=align,
            va="center",
            fontsize=8,
            color=MUTED,
        )
        if canvas.fits(more, pad=1):
            canvas.keep("event", more)
            return
        more.remove()


def _events_caption(data: ChartData) -> str:
    words = f"Events ({len(data.events)})"
    if data.earlier_events:
        words += f"\n{data.earlier_events} earlier not shown"
    return words


@dataclass(frozen=True)
class _Spot:
    """A candidate place for an event label: its box and its leader line, in pixels."""

    mark: EventMark
    tier: float
    align: str
    box: LabelBox
    leader: LabelBox


def _event_labels(
    canvas: _Canvas, ax: Axes, marks: Sequence[EventMark], per_day: dict[date, int]
) -> None:
    """Label the chosen events in free tiers; neither words nor leader lines may cross.

    Every label is measured once; the placement itself is arithmetic on boxes, tried in a
    few orders (by importance, right to left, left to right), keeping the layout that
    labels the most important events.
    """
    frame = ax.get_window_extent(canvas.renderer)
    spots = {mark.id: _spots(canvas, ax, mark, per_day) for mark in marks}
    # (order, whether left-reaching labels try the top tier first): right to left climbs
    # a staircase up, left to right steps down one.
    orders = [
        (sorted(marks, key=lambda m: m.rank or 0), False),
        (sorted(marks, key=lambda m: m.rank or 0), True),
        (sorted(marks, key=lambda m: m.date, reverse=True), False),
        (sorted(marks, key=lambda m: m.date), True),
    ]
    best: list[_Spot] = []
    for order, top_down in orders:
        chosen = _place(order, spots, canvas.taken, frame.x0, frame.x1, top_down)
        if _worth(chosen) > _worth(best):
            best = chosen
    for spot in best:
        x = _num(spot.mark.date)
        low = 0.07 + min(per_day[spot.mark.date], 4) * 0.045
        ax.plot([x, x], [low, spot.tier - 0.05], color="#9aa4af", linewidth=0.8, zorder=2)
        text = ax.text(
            x,
            spot.tier,
            _event_words(spot.mark),
            ha=spot.align,
            va="center",
            fontsize=8.5,
            color=INK,
        )
        canvas.keep("event", text)
        canvas.taken.append(spot.leader)


def _event_words(mark: EventMark) -> str:
    return f"{mark.date:%d %b}  " + textwrap.shorten(mark.title, 34, placeholder="…")


def _spots(canvas: _Canvas, ax: Axes, mark: EventMark, per_day: dict[date, int]) -> list[_Spot]:
    tiers = (0.33, 0.47, 0.61, 0.75, 0.89)
    x = _num(mark.date)
    probe = ax.text(x, tiers[0], _event_words(mark), ha="left", va="center", fontsize=8.5)
    measured = canvas.box(probe)
    probe.remove()
    width, height = measured.x1 - measured.x0, measured.y1 - measured.y0
    low = 0.07 + min(per_day[mark.date], 4) * 0.045
    found = []
    # Low tiers first when reaching right; high tiers first when reaching left (near the
    # right edge), so a label spanning other marks sits above their leader lines.
    places = [(t, "left") for t in tiers] + [(t, "right") for t in reversed(tiers)]
    for tier, align in places:
        (px, py), (_, base), (_, top) = ax.transData.transform(
            [(x, tier), (x, low), (x, tier - 0.05)]
        )
        x0 = px if align == "left" else px - width
        box = LabelBox("event", "", x0, py - height / 2, x0 + width, py + height / 2)
        leader = LabelBox("leader", "", px - 1, base, px + 1, top)
        found.append(_Spot(mark, tier, align, box, leader))
    return found


def _place(
    order: Sequence[EventMark],
    spots: dict[str, list[_Spot]],
    fixed: Sequence[LabelBox],
    left: float,
    right: float,
    top_down: bool,
) -> list[_Spot]:
    chosen: list[_Spot] = []
    for mark in order:
        candidates = spots[mark.id]
        if top_down:
            candidates = sorted(candidates, key=lambda s: (s.align != "left", -s.tier))
        for spot in candidates:
            if spot.box.x0 < left or spot.box.x1 > right + 12:
                continue
            labels = [*fixed, *(c.box for c in chosen)]
            grown = LabelBox(
                "", "", spot.box.x0 - 3, spot.box.y0 - 2, spot.box.x1 + 3, spot.box.y1 + 2
            )
            if any(grown.overlaps(o) for o in [*labels, *(c.leader for c in chosen)]):
                continue
            if any(spot.leader.overlaps(o) for o in labels):
                continue
            chosen.append(spot)
            break
    return chosen


def _worth(chosen: Sequence[_Spot]) -> int:
    """A layout's value: each label outweighs all less important ones together."""
    return sum(2 ** (MAX_EVENT_LABELS - (s.mark.rank or 0)) for s in chosen)


def _footnote(canvas: _Canvas, data: ChartData) -> None:
    names = list(data.sources)
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    words = (
        f"Sources: {shown or 'none on the record yet'}. Curated dossier {data.dossier}; "
        f"nothing recorded after {data.as_of} is shown. Chart: accord-bot."
    )
    lines = textwrap.wrap(words, 190, max_lines=2, placeholder="…")
    text = canvas.figure.text(0.012, 0.02, "\n".join(lines), fontsize=8, color=MUTED, va="bottom")
    canvas.keep("footnote", text)
