"""`curate` and `history` in the spec table. The text form's `key:value` fields are params
of the text grammar; Discord gets the action, the item, the text form in one `fields`
option, and the dossier. Both reach the curation desk as the same `CurateCommand`."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.commands.model import Caller, Command, Reply
from bot.commands.spec import Audience, CommandError, Param, Spec, register
from bot.forms import FIELDS, REASON
from briefings.proposals import Origin
from briefings.revisions import Author

if TYPE_CHECKING:  # the curation desk (and PyYAML) load with the bot, not with `brief`
    from bot.commands.handlers import Dispatcher
    from bot.curating import CurateCommand, CurationDesk, Outcome

ACTIONS = ("event", "outcome", "source", "correct")

CURATE_USAGE = "/accord curate event|outcome <deadline>|source|correct <id> [key:value ...]"
HISTORY_USAGE = "/accord history <event-id or deadline-slug>"
REVIEW_USAGE = (
    '/accord review  |  /accord review approve N  |  /accord review reject N reason:"..."'
)
REVIEW_ACTIONS = ("list", "approve", "reject")
FIELD_NAMES = tuple(
    dict.fromkeys([f.name for form in FIELDS.values() for f in form if f.name != "id"] + [REASON])
)
DOSSIER = Param("dossier", "another dossier than this channel's", positional=False)
ITEM = Param(
    "id",
    "an event id or deadline slug",
    discord_help="The deadline (outcome) or the event id or deadline slug (correct)",
    complete="item",
)


def author_of(caller: Caller) -> Author:
    return Author(caller.platform, caller.user, caller.name or caller.user)


def origin_of(caller: Caller) -> Origin:
    return Origin(caller.platform, caller.workspace, caller.channel)


def reply_for(outcome: Outcome) -> Reply:
    """A curation desk's answer as a Reply (always private: it is the curator's business)."""
    return Reply(
        text=outcome.text,
        public=False,
        error=outcome.error,
        form=outcome.form,
        problems=outcome.problems,
        curated=outcome.curated,
    )


def _desk(dispatcher: Dispatcher) -> CurationDesk:
    if dispatcher.curation is None:
        raise CommandError("Curation is not available on this bot.")
    return dispatcher.curation


def _curate_command(extra: dict[str, Any]) -> CurateCommand:
    from bot.curating import CurateCommand, CurateSyntaxError, words

    action = str(extra.pop("action"))
    target = extra.pop("id", None)
    dossier = extra.pop("dossier", None)
    typed = extra.pop("fields", None)
    fields = {k: str(v) for k, v in extra.items() if v is not None}
    reason = fields.pop(REASON, None)
    for key, value in words(str(typed)) if typed else ():
        if key is None:
            raise CurateSyntaxError(f"write fields as key:value, not {value!r}")
        if key == REASON:
            reason = value
        elif key == "dossier":
            dossier = value
        else:
            fields[key] = value
    if action in ("event", "source") and target:
        fields["id"] = str(target)
        target = None
    if action in ("outcome", "correct") and not target:
        what = "a deadline slug" if action == "outcome" else "an event id or deadline slug"
        raise CurateSyntaxError(f"`curate {action}` needs {what}.")
    return CurateCommand("curate", action, target, fields, reason, dossier)


async def curate(dispatcher: Dispatcher, command: Command, caller: Caller) -> Reply:
    from bot.curating import CurateSyntaxError

    try:
        parsed = _curate_command(dict(command.extra))
    except CurateSyntaxError as err:
        return Reply.failure(str(err), CURATE_USAGE)
    if parsed.dossier is None:  # the channel's own dossier
        parsed = replace(parsed, dossier=dispatcher.dossier_of(caller))
    outcome = _desk(dispatcher).handle(
        parsed,
        platform=caller.platform,
        author=author_of(caller),
        can_curate=caller.can_curate,
        origin=origin_of(caller),
    )
    return reply_for(outcome)


async def history(dispatcher: Dispatcher, command: Command, caller: Caller) -> Reply:
    from bot.curating import CurateCommand

    extra = dict(command.extra)
    dossier = extra.get("dossier") or dispatcher.dossier_of(caller)
    parsed = CurateCommand("history", target=str(extra["id"]), dossier=dossier)
    outcome = _desk(dispatcher).handle(
        parsed, platform=caller.platform, author=author_of(caller), can_curate=caller.can_curate
    )
    return reply_for(outcome)


async def review(dispatcher: Dispatcher, command: Command, caller: Caller) -> Reply:
    from bot.curating import Outcome

    desk = _desk(dispatcher).review
    if desk is None:
        return Reply.failure("Review is off on this bot: changes go live at once.")
    extra = dict(command.extra)
    action = str(extra.get("action") or "list")
    number = extra.get("number")
    who = author_of(caller)
    if action == "list":
        if not caller.can_curate:
            from bot.review import refusal_text

            return reply_for(Outcome(refusal_text(caller.platform), error=True))
        return reply_for(desk.listing(extra.get("dossier")))
    if not isinstance(number, int):
        return Reply.failure(f"`review {action}` needs the proposal's number.", REVIEW_USAGE)
    if action == "approve":
        outcome = desk.approve(number, who, can_curate=caller.can_curate)
    else:
        outcome = desk.reject(number, who, extra.get("reason"), can_curate=caller.can_curate)
    return reply_for(outcome)


def _number(text: str) -> int:
    digits = text.removeprefix("#")
    if not (digits.isascii() and digits.isdigit()) or not 0 < int(digits) < 2**31:
        raise CommandError(f"{digits[:20]!r} is not a proposal number.", REVIEW_USAGE)
    return int(digits)


def _is_number(word: str) -> bool:
    return word.removeprefix("#").isdigit()


register(
    Spec(
        "curate",
        "Record an event, an outcome or a source, or correct an item (curators)",
        CURATE_USAGE,
        curate,
        params=(
            Param("action", "what to record or correct", choices=ACTIONS, required=True),
            ITEM,
            *(Param(n, f"the {n}", positional=False, discord=False) for n in FIELD_NAMES),
            Param(
                "fields",
                'the text form: key:value words, e.g. title:"..."',
                positional=False,
            ),
            DOSSIER,
        ),
        audience=Audience.CURATORS,
        examples=('/accord curate event date:2020-09-12 title:"Talks open" sources:crs-in11502',),
    )
)
register(
    Spec(
        "history",
        "Every revision of an event or deadline: when, who, what changed, why",
        HISTORY_USAGE,
        history,
        params=(Param(**{**ITEM.__dict__, "required": True}), DOSSIER),
    )
)
register(
    Spec(
        "review",
        "Proposed changes waiting for a second curator: list, approve or reject them",
        REVIEW_USAGE,
        review,
        params=(
            Param(
                "action",
                "list, approve or reject",
                choices=REVIEW_ACTIONS,
                default="list",
                accepts=lambda word: word.lower() in REVIEW_ACTIONS,
            ),
            Param(
                "number",
                "The proposal's number",
                kind=int,
                convert=_number,
                accepts=_is_number,
                minimum=1,
            ),
            Param("reason", "Why it is rejected", positional=False),
            DOSSIER,
        ),
        audience=Audience.CURATORS,
        examples=("/accord review",),
    )
)
