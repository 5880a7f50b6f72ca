"""The `accord-bot` command line: brief, store check/import, export, run.

Only the engine is imported on the `brief` path; chat libraries load inside the
commands that need them, so a one-off briefing starts fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from bot.commands import SPECS
from bot.environment import EngineEnv
from briefings.clock import InputError, parse_day
from briefings.revisions import Author

if TYPE_CHECKING:
    from briefings.store import Store

FORMATS = ("text", "json", "slack", "discord")
KINDS = SPECS.briefing_kinds()  # the spec table's briefing kinds, chart included


def fail(message: str, code: int = 2) -> NoReturn:
    """One line on standard error, then a non-zero exit."""
    click.echo(f"accord-bot: error: {message}", err=True)
    sys.exit(code)


def _optional_day(value: str | None) -> Any:
    return parse_day(value) if value else None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="accord-bot")
def main() -> None:
    """accord-bot: sourced briefings on a peace agreement, in Discord, Slack or a terminal.

    \b
    Examples:
      accord-bot brief status
      accord-bot brief countdown --dossier SLUG --as-of 2020-03-05
      accord-bot brief timeline --from 2020-03-01 --to 2020-03-31 --format json
      accord-bot brief chart --as-of 2020-09-01 --out chart.png
      accord-bot export ics --out deadlines.ics
      accord-bot store check my-dossier.yaml
      accord-bot store list
      accord-bot run
    """


@main.command()
@click.argument("kind", type=click.Choice(KINDS, case_sensitive=False), metavar="KIND")
@click.option(
    "--as-of",
    "as_of",
    metavar="YYYY-MM-DD",
    help="Replay: brief as if today were this day (default: ACCORD_AS_OF or today).",
)
@click.option(
    "--tz", metavar="Area/City", help="Time zone for 'today' (default: ACCORD_TZ or UTC)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text for terminals, json, or the exact Slack/Discord payload.",
)
@click.option(
    "--dossier",
    metavar="SLUG",
    help="The dossier to brief on (default: ACCORD_DOSSIER, else the shipped default).",
)
@click.option("--deadline", metavar="SLUG", help="countdown: just this deadline.")
@click.option("--id", "event_id", metavar="EVENT", help="event: the event id.")
@click.option("--from", "start", metavar="YYYY-MM-DD", help="timeline, chart: first day.")
@click.option("--to", "end", metavar="YYYY-MM-DD", help="timeline, chart: last day.")
@click.option("--page", type=click.IntRange(min=1), default=1, help="timeline: page number.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="chart: the PNG file to write (required for chart).",
)
def brief(
    kind: str,
    as_of: str | None,
    tz: str | None,
    fmt: str,
    deadline: str | None,
    event_id: str | None,
    start: str | None,
    end: str | None,
    page: int,
    out: Path | None,
    dossier: str | None,
) -> None:
    """Print once exactly what the bot would post for KIND.

    KIND is one of status, countdown, timeline, event, digest, or chart (the timeline
    picture, written to --out FILE.png).
    """
    from briefings.compose import Composer

    if kind.lower() == "chart":
        _write_chart(as_of, tz, start, end, out, dossier)
        return
    if out is not None:
        fail("--out goes with `brief chart`; the other briefings print to standard output")
    try:
        env = EngineEnv.read(as_of=as_of, tz=tz, dossier=dossier)
        store = _open_store(env.db_path).default_view(env.dossier)
        briefing = Composer(store).compose(
            kind.lower(),
            env.clock(),
            deadline=deadline,
            event_id=event_id,
            start=_optional_day(start),
            end=_optional_day(end),
            page=page,
        )
    except InputError as err:
        fail(str(err))
    _print_briefing(briefing, fmt)


def _open_store(path: Path | str) -> Store:
    """The store at ACCORD_DB, or one line saying why it cannot be opened."""
    import sqlite3

    from briefings.database import describe, open_failures
    from briefings.store import Store

    failures: tuple[type[Exception], ...] = (OSError, sqlite3.DatabaseError, *open_failures(path))
    try:
        return Store.open(path)
    except failures as err:
        fail(f"cannot open the store at {describe(path)} (ACCORD_DB): {err}")


def _file_store(location: str, what: str) -> Path:
    """The SQLite file at ACCORD_DB; a PostgreSQL store is backed up with its own tools."""
    from briefings.database import is_postgres_url

    if is_postgres_url(location):
        tool = "pg_dump" if what == "backup" else "pg_restore"
        fail(f"ACCORD_DB is a PostgreSQL database: use {tool} for its {what}", 2)
    return Path(location)


def _store_write(path: Path | str, work: Callable[[], Any]) -> Any:
    """A write to the store, or one line saying why the file refused it."""
    import sqlite3

    from briefings.database import describe, open_failures

    failures: tuple[type[Exception], ...] = (OSError, sqlite3.DatabaseError, *open_failures(path))
    try:
        return work()
    except failures as err:
        fail(f"cannot write the store at {describe(path)} (ACCORD_DB): {err}")


def _write_chart(
    as_of: str | None,
    tz: str | None,
    start: str | None,
    end: str | None,
    out: Path | None,
    dossier: str | None,
) -> None:
    from briefings.artifacts import Artifacts

    if out is None:
        fail("`brief chart` needs --out FILE.png, the picture to write")
    try:
        env = EngineEnv.read(as_of=as_of, tz=tz, dossier=dossier)
        made = Artifacts(_open_store(env.db_path).default_view(env.dossier)).chart(
            env.clock(), _optional_day(start), _optional_day(end)
        )
    except InputError as err:
        fail(str(err))
    _write_file(out, made.content)
    click.echo(f"wrote {out} ({len(made.content):,} bytes): {made.title}")


def _write_file(path: Path, content: bytes) -> None:
    try:
        path.write_bytes(content)
    except OSError as err:
        fail(f"cannot write {path}: {err.strerror or err}")


def _print_briefing(briefing: Any, fmt: str) -> None:
    if fmt == "json":
        from briefings.render.json import render_json

        click.echo(render_json(briefing))
    elif fmt == "text" and not sys.stdout.isatty():
        # A pipe or file gets the same words unstyled, without the cost of importing rich.
        from briefings.render.text import render_terminal_plain

        click.echo(render_terminal_plain(briefing))
    elif fmt == "text":
        from rich.console import Console

        from briefings.render.text import render_rich

        Console(highlight=False).print(render_rich(briefing))
    else:
        render = _platform_renderer(fmt)
        click.echo(render(briefing))


def _platform_renderer(fmt: str) -> Callable[[Any], str]:
    """The JSON payload a platform adapter would send (imported only when asked)."""
    import json
    from importlib import import_module

    # By name: each platform's renderer ships with its adapter.
    module = import_module(
        "bot.adapters.slack_blocks" if fmt == "slack" else "bot.adapters.discord_embeds"
    )
    message_payloads: Callable[[Any], list[dict[str, Any]]] = module.message_payloads

    def render(briefing: Any) -> str:
        payloads = message_payloads(briefing)
        return json.dumps(
            payloads[0] if len(payloads) == 1 else payloads, ensure_ascii=False, indent=2
        )

    return render


@main.group()
def store() -> None:
    """Validate curated dossier files and load them into the store."""


@store.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def store_check(files: tuple[Path, ...]) -> None:
    """Validate FILES; list every problem as file, item and field."""
    from briefings.curation import CurationError, load_dossiers

    try:
        dossiers = load_dossiers(files)
    except CurationError as err:
        _report_problems(err)
    for dossier in dossiers:
        click.echo(
            f"ok: {dossier.info.slug}: {len(dossier.sources)} sources, "
            f"{len(dossier.events)} events, {len(dossier.deadlines)} deadlines"
        )


def _report_problems(err: Any) -> NoReturn:
    for problem in err.problems:
        click.echo(str(problem), err=True)
    count = len(err.problems)
    fail(f"{count} problem{'s' if count != 1 else ''} found; nothing was changed", code=1)


@store.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print what would change; change nothing.")
def store_import(files: tuple[Path, ...], dry_run: bool) -> None:
    """Validate FILES, then load them into the store as one revision of what differs."""
    from briefings.curation import CurationError, load_dossiers
    from briefings.database import describe
    from briefings.revisions import import_changes

    try:
        dossiers = load_dossiers(files)
    except CurationError as err:
        _report_problems(err)
    try:
        env = EngineEnv.read()
    except InputError as err:
        fail(str(err))
    from bot.subscriptions import Subscriptions

    store: Store = _store_write(env.db_path, lambda: _open_store(env.db_path))
    for dossier in dossiers:
        changes = import_changes(store.db, dossier)
        _print_changes(dossier.info.slug, changes, dry_run=dry_run)
    if dry_run:
        click.echo("dry run: nothing was changed")
        return
    before = store.revision()
    names = [f.name for f in files]

    def write() -> int:
        # Subscriptions of an older schema learn which dossier they were made under before
        # an import can change the store's default.
        Subscriptions(store.db)
        return store.import_dossiers(dossiers, files=names)

    revision = _store_write(env.db_path, write)
    if revision == before:
        click.echo(f"nothing to import into {describe(env.db_path)} (revision {revision})")
    else:
        slugs = ", ".join(d.info.slug for d in dossiers)
        click.echo(f"imported {slugs} into {describe(env.db_path)} (revision {revision})")


def _print_changes(slug: str, changes: Any, *, dry_run: bool) -> None:
    if not changes:
        click.echo(f"{slug}: no change")
        return
    verbs = ("added", "changed", "removed")
    counts = {verb: sum(1 for c in changes if c.verb == verb) for verb in verbs}
    would = "would be " if dry_run else ""
    click.echo(f"{slug}: " + ", ".join(f"{n} {would}{verb}" for verb, n in counts.items()))
    for change in changes:
        click.echo(f"  {change.verb} {change.kind} {change.item}")


@store.command("log")
@click.option("--dossier", "slug", metavar="SLUG", help="Only this dossier's revisions.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
def store_log(slug: str | None, limit: int) -> None:
    """The revisions, newest first: who changed which items, when and why."""
    from bot.history import log_lines

    try:
        env = EngineEnv.read()
    except InputError as err:
        fail(str(err))
    lines = log_lines(_open_store(env.db_path), dossier=slug, limit=limit)
    click.echo("\n".join(lines) if lines else "no revisions recorded")


@store.command("export")
@click.argument("slug")
@click.option("--out", type=click.Path(path_type=Path), required=True, metavar="FILE.yaml")
def store_export(slug: str, out: Path) -> None:
    """Write the live dossier SLUG as a curated file (it passes `store check`)."""
    from briefings.export import dossier_yaml
    from briefings.records import dossier_slugs, live_dossier

    try:
        env = EngineEnv.read()
    except InputError as err:
        fail(str(err))
    store = _open_store(env.db_path)
    dossier = live_dossier(store.db, slug)
    if dossier is None:
        fail(f"no dossier {slug!r}; dossiers: {', '.join(dossier_slugs(store.db)) or 'none'}")
    _write_file(out, dossier_yaml(dossier).encode())
    click.echo(f"wrote {slug} (revision {store.revision()}) to {out}")


@store.command("list")
def store_list() -> None:
    """Every dossier in the store: slug, title, events, deadlines, store revision."""
    try:
        env = EngineEnv.read()
    except InputError as err:
        fail(str(err))
    found = _open_store(env.db_path).dossiers()
    if not found:
        click.echo("the store holds no dossier; run `accord-bot store import FILE`")
    for d in found:
        click.echo(
            f"{d.slug}\t{d.title}\t{d.events} events\t{d.deadlines} deadlines"
            f"\trevision {d.revision}"
        )


@store.command("remove")
@click.argument("slug")
@click.option("--yes", is_flag=True, help="Remove it (without --yes, only say what would go).")
def store_remove(slug: str, yes: bool) -> None:
    """Remove dossier SLUG, its events, deadlines and the subscriptions to it."""
    from bot.subscriptions import Subscriptions
    from briefings.store import UnknownDossier

    try:
        env = EngineEnv.read()
    except InputError as err:
        fail(str(err))
    opened = _open_store(env.db_path)
    summary = next((d for d in opened.dossiers() if d.slug == slug), None)
    if summary is None:
        fail(str(UnknownDossier(slug, opened.slugs())))
    subs = Subscriptions(opened.db)
    count = len(subs.for_dossier(slug))
    what = (
        f"{slug}: {summary.events} events, {summary.deadlines} deadlines and "
        f"{count} subscription{'s' if count != 1 else ''}"
    )
    if not yes:
        click.echo(f"would remove {what}; run again with --yes to remove them")
        sys.exit(1)
    with opened.db.atomic():
        subs.remove_dossier(slug)
        # The operator at this machine: the log names who removed it.
        who = Author("command-line", os.environ.get("USER") or "operator")
        removed = opened.remove(slug, who)
    click.echo(f"removed {what} (revision {removed.revision})")


@main.group()
def export() -> None:
    """Write the dossier to files other tools read."""


@export.command("ics")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The .ics file to write.",
)
@click.option(
    "--events", "with_events", is_flag=True, help="Include the events, not just deadlines."
)
@click.option(
    "--as-of",
    "as_of",
    metavar="YYYY-MM-DD",
    help="Only what was on the record that day (default: ACCORD_AS_OF or today).",
)
@click.option("--dossier", metavar="SLUG", help="The dossier (default: ACCORD_DOSSIER).")
def export_ics(out: Path, with_events: bool, as_of: str | None, dossier: str | None) -> None:
    """Write the deadlines as an iCalendar file (Google Calendar, Outlook, Apple Calendar).

    Each deadline is an all-day event on its due date with a stable UID, so importing a
    newer file updates the entries instead of duplicating them.
    """
    from briefings.artifacts import Artifacts

    try:
        env = EngineEnv.read(as_of=as_of, dossier=dossier)
        store = _open_store(env.db_path).default_view(env.dossier)
        made = Artifacts(store).calendar(env.clock(), with_events)
    except InputError as err:
        fail(str(err))
    _write_file(out, made.content)
    click.echo(f"wrote {out} ({len(made.content):,} bytes): {made.title}")


@main.command("subscriptions")
def subscriptions_list() -> None:
    """List every channel's subscriptions, paused ones with the reason."""
    from bot.desk import describe_subscription
    from bot.subscriptions import Subscriptions

    try:
        env = EngineEnv.read()
    except InputError as err:
        fail(str(err))
    subs = Subscriptions(_open_store(env.db_path).db)
    rows = subs.all()
    if not rows:
        click.echo("no subscriptions")
    for sub in rows:
        where = f"{sub.platform} {sub.workspace} #{sub.channel}"
        click.echo(f"{where}: {describe_subscription(sub, None)[2:]}")


@main.command()
def run() -> None:
    """Start every adapter whose credentials are set; with none, the console."""
    from importlib import import_module

    run_bot: Callable[[], int] = import_module("bot.runtime").run_bot
    try:
        code = run_bot()
    except InputError as err:
        fail(str(err))
    sys.exit(code)


@main.command()
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="New file.")
def backup(out: Path) -> None:
    """A consistent copy of the store (ACCORD_DB), safe while the bot runs."""
    from bot.ops.backup import BackupError
    from bot.ops.backup import backup as take

    db = _file_store(EngineEnv.read().db_path, "backup")
    try:
        taken = take(db, out)
    except BackupError as err:
        fail(str(err), 1)
    click.echo(f"backed up {db} to {out} at {taken}")


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
def restore(file: Path) -> None:
    """Put a backup in place of the store (ACCORD_DB); the bot must be stopped."""
    from bot.ops.backup import BackupError
    from bot.ops.backup import restore as put_back

    db = _file_store(EngineEnv.read().db_path, "restore")
    try:
        kept = put_back(file, db)
    except BackupError as err:
        fail(str(err), 1)
    beside = f"; the replaced store is kept at {kept}" if kept else ""
    click.echo(f"restored {file} to {db}{beside}")


@main.command()
def doctor() -> None:
    """Check settings, zones, the store and each configured token; one line per check."""
    import asyncio

    from bot.ops.doctor import run_checks

    checks = asyncio.run(run_checks())
    for check in checks:
        click.echo(check.line())
    sys.exit(0 if all(c.ok for c in checks) else 1)
