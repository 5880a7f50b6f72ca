"""Engine benchmark: compose + render every briefing kind, and the CLI's cold start.

    .venv/bin/python bench/engine.py [--events 100000] [--runs 10]

Prints Markdown tables (the README's Performance section is a copy of one run):
the median time to compose and render (text and JSON) each kind, with the shipped
dossier and with a generated store of 100,000 events; then the median cold start of
`accord-bot brief status` against `python -c "import sqlite_utils"` (the floor: the
store's own library) measured in the same run, as a ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from chart import main as chart_bench  # bench/chart.py, beside this file

from briefings.clock import Clock
from briefings.compose import KINDS, Composer
from briefings.curation import load_dossier
from briefings.document import Briefing
from briefings.model import Dossier, Event
from briefings.render.json import render_json
from briefings.render.text import render_terminal_plain
from briefings.store import Store, shipped_dossier_path

AS_OF = date(2021, 8, 30)  # the last US flight: every deadline passed, a busy record
TARGET_STATUS_MS = (2.0, 20.0)  # shipped dossier, 100,000 events
COLD_TARGET = 1.5
MANY_DOSSIERS, EVENTS_EACH, MANY_TARGET = 50, 2_000, 1.2
GENERATED_SOURCES = ("reuters", "ap", "wsws-2020-03-05", "crs-in11502", "dawn")
TAGS = ("violence", "politics", "talks", "troops", "prisoners", "diplomacy")


def generated_dossier(count: int) -> Dossier:
    """The shipped dossier plus generated events up to `count`, 2001-01-01..2021-12-31."""
    shipped = load_dossier(shipped_dossier_path())
    first, last = date(2001, 1, 1), date(2021, 12, 31)
    span = (last - first).days + 1
    extra = count - len(shipped.events)
    events = tuple(
        Event(
            id=f"generated-{n:06d}",
            date=first + timedelta(days=n * span // extra),
            title=f"Generated event number {n:,} of the benchmark dossier",
            sources=(GENERATED_SOURCES[n % len(GENERATED_SOURCES)],),
            summary="A generated event with a sentence of summary, as curated events have.",
            tags=(TAGS[n % len(TAGS)],),
        )
        for n in range(extra)
    )
    return replace(shipped, events=shipped.events + events)


def median_ms(work: Callable[[], object], runs: int) -> float:
    work()  # warm up: first queries, caches of sqlite and Python
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def compose_and_render(
    store: Store, kind: str, clock: Clock, render: Callable[[Briefing], str]
) -> str:
    # A new Composer each time: no cache hit, and its revision check is counted.
    event_id = "doha-signing" if kind == "event" else None
    return render(Composer(store).compose(kind, clock, event_id=event_id))


def compose_table(stores: dict[str, Store], runs: dict[str, int]) -> list[str]:
    clock = Clock(ZoneInfo("UTC"), AS_OF)
    names = list(stores)
    header = "| kind | " + " | ".join(f"{n} text | {n} json" for n in names) + " |"
    rows = [header, "|---" * (1 + 2 * len(names)) + "|"]
    status: dict[str, float] = {}
    for kind in KINDS:
        cells = []
        for name, store in stores.items():
            for render in (render_terminal_plain, render_json):
                work = partial(compose_and_render, store, kind, clock, render)
                ms = median_ms(work, runs[name])
                if kind == "status":
                    status[name] = max(status.get(name, 0.0), ms)
                cells.append(f"{ms:.2f} ms")
        rows.append(f"| {kind} | " + " | ".join(cells) + " |")
    rows.append("")
    for name, limit in zip(names, TARGET_STATUS_MS, strict=True):
        verdict = "met" if status[name] < limit else "MISSED"
        rows.append(f"status with {name}: {status[name]:.2f} ms, target < {limit:g} ms: {verdict}")
    return rows


def many_dossiers_table(tmp: Path, runs: int = 100) -> list[str]:
    """Status and digest on one dossier of 2,000 events, alone in its store and beside 49
    more of the same size: the other dossiers should cost (almost) nothing."""
    base = generated_dossier(EVENTS_EACH)

    def copy(n: int) -> Dossier:
        return replace(base, info=replace(base.info, slug=f"bench-{n:02d}"))

    one = Store.open(tmp / "one.db", seed=False)
    one.import_dossiers([copy(0)])
    many = Store.open(tmp / "many.db", seed=False)
    many.import_dossiers([copy(n) for n in range(MANY_DOSSIERS)])
    clock = Clock(ZoneInfo("UTC"), AS_OF)
    rows = [
        f"| kind | 1 dossier of {EVENTS_EACH:,} events | {MANY_DOSSIERS} dossiers of "
        f"{EVENTS_EACH:,} events | ratio |",
        "|---|---|---|---|",
    ]
    verdicts = []
    for kind in ("status", "digest"):
        timed = []
        for store in (one, many):
            view = store.view("bench-00" if store is one else f"bench-{MANY_DOSSIERS // 2:02d}")
            timed.append(
                median_ms(partial(compose_and_render, view, kind, clock, render_json), runs)
            )
        ratio = timed[1] / timed[0]
        verdicts.append(ratio <= MANY_TARGET)
        rows.append(f"| {kind} | {timed[0]:.2f} ms | {timed[1]:.2f} ms | {ratio:.2f}x |")
    verdict = "met" if all(verdicts) else "MISSED"
    rows.append("")
    rows.append(f"{MANY_DOSSIERS} dossiers: target within {MANY_TARGET}x of one: {verdict}")
    one.close()
    many.close()
    return rows


def cold_start_table(db: Path, runs: int) -> list[str]:
    script = Path(sys.executable).parent / "accord-bot"
    env = {**os.environ, "ACCORD_DB": str(db)}
    env.pop("ACCORD_AS_OF", None)
    commands = {
        "floor: python -c 'import sqlite_utils'": [sys.executable, "-c", "import sqlite_utils"],
        "accord-bot brief status": [str(script), "brief", "status"],
        "accord-bot brief status --format json": [
            str(script),
            "brief",
            "status",
            "--format",
            "json",
        ],
    }
    subprocess.run(commands["accord-bot brief status"], env=env, check=True, capture_output=True)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):  # interleaved, so that a busy moment hurts every command alike
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(t) * 1000 for name, t in times.items()}
    floor = next(iter(medians.values()))
    rows = ["| command | median | ratio to floor |", "|---|---|---|"]
    for name, ms in medians.items():
        rows.append(f"| `{name}` | {ms:.0f} ms | {ms / floor:.2f}x |")
    ratio = medians["accord-bot brief status"] / floor
    verdict = "met" if ratio <= COLD_TARGET else "MISSED"
    rows.append("")
    rows.append(f"cold start: {ratio:.2f}x the floor, target <= {COLD_TARGET}x: {verdict}")
    return rows


TARGET_CHECK = (10.0, 400.0)  # store check of 100,000 events: seconds, MB peak


def generated_yaml(path: Path, count: int) -> None:
    """The shipped dossier file with generated events up to `count` (as curated YAML)."""
    shipped = shipped_dossier_path().read_text(encoding="utf-8")
    extra = count - len(load_dossier(shipped_dossier_path()).events)
    first, last = date(2001, 1, 1), date(2021, 12, 31)
    span = (last - first).days + 1
    lines = [
        f"  - id: generated-{n:06d}\n"
        f"    date: {first + timedelta(days=n * span // extra)}\n"
        f"    title: Generated event number {n:,} of the benchmark dossier\n"
        f"    summary: A generated event with a sentence of summary, as curated events have.\n"
        f"    tags: [{TAGS[n % len(TAGS)]}]\n"
        f"    sources: [{GENERATED_SOURCES[n % len(GENERATED_SOURCES)]}]\n"
        for n in range(extra)
    ]
    path.write_text(shipped.replace("\nevents:\n", "\nevents:\n" + "".join(lines), 1))


def store_check_table(tmp: Path, count: int) -> list[str]:
    """`accord-bot store check` of a curated file of `count` events: wall time, peak RSS."""
    path = tmp / "large.yaml"
    generated_yaml(path, count)
    script = Path(sys.executable).parent / "accord-bot"
    env = {**os.environ, "ACCORD_DB": str(tmp / "check.db")}
    start = time.perf_counter()
    child = subprocess.Popen(
        [str(script), "store", "check", str(path)], env=env, stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"store check of the generated file failed ({status})")
    peak_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    size_mb = path.stat().st_size / (1024 * 1024)
    verdict = "met" if seconds < TARGET_CHECK[0] and peak_mb < TARGET_CHECK[1] else "MISSED"
    return [
        "| file | time | peak memory |",
        "|---|---|---|",
        f"| {count:,} events ({size_mb:.0f} MB) | {seconds:.1f} s | {peak_mb:.0f} MB |",
        "",
        f"store check: targets < {TARGET_CHECK[0]:g} s and < {TARGET_CHECK[1]:g} MB: {verdict}"
        f" (libyaml parser: {'yes' if hasattr(yaml, 'CSafeLoader') else 'no'})",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=10, help="cold-start runs per command")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="accord-bench-") as tmp:
        shipped = Store.open(Path(tmp) / "shipped.db")
        large = Store.open(Path(tmp) / "large.db", seed=False)
        start = time.perf_counter()
        dossier = generated_dossier(args.events)
        built = time.perf_counter()
        large.import_dossiers([dossier])
        imported = time.perf_counter()
        large_name = f"{args.events // 1000}k events"
        print(
            f"Generated {len(dossier.events):,} events in {built - start:.1f} s, "
            f"imported in {imported - built:.1f} s. As of {AS_OF}, UTC.\n"
        )
        print("Compose + render, median per briefing (fresh Composer, no cache):\n")
        stores = {"shipped": shipped, large_name: large}
        for row in compose_table(stores, {"shipped": 200, large_name: 30}):
            print(row)
        print("\nMany dossiers in one store (JSON, fresh Composer, a dossier in the middle):\n")
        for row in many_dossiers_table(Path(tmp)):
            print(row)
        print(f"\nCold start, median of {args.runs} runs (stdout to a pipe, existing store):\n")
        for row in cold_start_table(Path(tmp) / "shipped.db", args.runs):
            print(row)
        print(f"\n`accord-bot store check` of {args.events:,} events (one run):\n")
        for row in store_check_table(Path(tmp), args.events):
            print(row)
        print("\nThe chart and the calendar, first render and cached (bench/chart.py):\n")
        chart_bench()
        shipped.close()
        large.close()


if __name__ == "__main__":
    main()
