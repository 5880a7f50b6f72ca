"""The Block Kit renderer: Slack's limits for any dossier, escaping, links, the CLI."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from slack_support import AS_OF, big_dossier, check_payload, fixed_clock, store_with

from bot.adapters.slack_blocks import escape, flatten, link, message_payloads, text_payload
from bot.cli import main
from briefings.clock import Clock
from briefings.compose import Composer
from briefings.curation import load_dossier
from briefings.document import Briefing, EventView, Section, SourceRef
from briefings.store import Store

KINDS = ("status", "countdown", "timeline", "digest")
# A mention, a special mention or a link in mrkdwn: an unescaped `<` starting one.
RAW_MARKUP = re.compile(r"<[!@#]")


def all_texts(payload: dict[str, object]) -> list[str]:
    """Every mrkdwn string of a message (a header's plain_text is never parsed for mentions)."""
    texts = [str(payload["text"])]
    for block in payload["blocks"]:  # type: ignore[attr-defined]
        if "text" in block and block["text"]["type"] == "mrkdwn":
            texts.append(block["text"]["text"])
        texts += [e["text"] for e in block.get("elements", [])]
    return texts


@pytest.fixture
def shipped(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "accord.db")


@pytest.mark.parametrize("kind", KINDS)
def test_shipped_dossier_fits_slack(shipped: Store, kind: str) -> None:
    briefing = Composer(shipped).compose(kind, fixed_clock())
    payloads = message_payloads(briefing)
    # A full timeline page (25 events, each with its sources) takes two messages.
    assert len(payloads) == 1 if kind in ("status", "countdown") else len(payloads) <= 2
    for payload in payloads:
        check_payload(payload)


def test_every_shipped_event_fits(shipped: Store) -> None:
    composer = Composer(shipped)
    later = Clock(ZoneInfo("UTC"), date(2022, 1, 1))
    for event_id in shipped.event_ids(later.today()):
        briefing = composer.compose("event", later, event_id=event_id)
        for payload in message_payloads(briefing):
            check_payload(payload)


def test_status_shows_countdowns_and_source_links(shipped: Store) -> None:
    (payload,) = message_payloads(Composer(shipped).compose("status", fixed_clock()))
    text = "\n".join(all_texts(payload))
    for days in (5, 85, 130, 175, 420):
        assert f"in {days} days" in text
    assert "<http://www.wsws.org|World Socialist Web Site>" in text
    assert payload["blocks"][0]["type"] == "header"
    assert any(b["type"] == "divider" for b in payload["blocks"])


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return store_with(tmp_path_factory.mktemp("big") / "big.db", big_dossier())


@pytest.mark.parametrize("kind", KINDS)
def test_generated_dossier_of_2000_events_fits(big_store: Store, kind: str) -> None:
    briefing = Composer(big_store).compose(kind, fixed_clock())
    payloads = message_payloads(briefing)
    assert 1 <= len(payloads) <= 5
    for payload in payloads:
        check_payload(payload)
        for text in all_texts(payload):
            assert not RAW_MARKUP.search(text), text[:200]


def test_long_digest_ends_with_how_many_more(big_store: Store) -> None:
    briefing = Composer(big_store).compose("digest", fixed_clock())
    assert len(briefing.events) == 2000
    payloads = message_payloads(briefing)
    assert len(payloads) == 5
    last = payloads[-1]["blocks"]
    closing = [b for b in last if b["type"] == "context" and "more event" in str(b)]
    assert closing, last[-3:]
    shown = sum(1 for p in payloads for b in p["blocks"] if "ev-0" in str(b.get("elements", "")))
    words = closing[0]["elements"][0]["text"]
    assert f"{2000 - shown:,} more events" in words
    assert "/accord timeline" in words


def test_long_status_splits_on_item_boundaries(big_store: Store) -> None:
    briefing = Composer(big_store).compose("status", fixed_clock())
    payloads = message_payloads(briefing)
    assert len(payloads) > 1
    for payload in payloads:
        blocks = payload["blocks"]
        for index, block in enumerate(blocks):
            # An item's section is always followed by its sources in the same message.
            if block["type"] == "section" and "— due " in block["text"]["text"]:
                assert blocks[index + 1]["type"] == "context"
    assert payloads[1]["blocks"][0]["type"] == "context"
    assert "continued" in payloads[1]["blocks"][0]["elements"][0]["text"]


def test_curated_mentions_are_escaped(tmp_path: Path) -> None:
    source = tmp_path / "mention.yaml"
    source.write_text(
        """
dossier:
  slug: mention-test
  title: "Mention <!here> test"
  signed: 2020-02-29
  parties: [A, B]
  summary: "Summary & <@U999>"
sources:
  - id: src
    title: "Source <!channel>"
    publisher: "Pub & <!everyone>"
    published: 2020-02-29
    url: "https://example.org/a?b=1&c=2"
events:
  - id: ev-mention
    date: 2020-03-01
    title: "<!channel> & <@U123>"
    sources: [src]
deadlines: []
""",
        encoding="utf-8",
    )
    store = store_with(tmp_path / "m.db", load_dossier(source))
    for kind in ("status", "timeline", "digest"):
        for payload in message_payloads(Composer(store).compose(kind, fixed_clock())):
            check_payload(payload)
            for text in all_texts(payload):
                assert not RAW_MARKUP.search(text), text
    (payload,) = message_payloads(Composer(store).compose("timeline", fixed_clock()))
    text = json.dumps(payload)
    assert "&lt;!channel&gt; &amp; &lt;@U123&gt;" in text
    assert "<https://example.org/a?b=1&amp;c=2|Pub &amp; &lt;!everyone&gt;>" in text


def test_links_only_for_http_urls() -> None:
    assert link(SourceRef("a", "T", "P", "https://x.org/y")) == "<https://x.org/y|P>"
    assert link(SourceRef("a", "T", "P", "http://x.org")) == "<http://x.org|P>"
    for url in ("javascript:alert(1)", "ftp://x.org", "https://x.org/a b", "https://x|y", None):
        assert link(SourceRef("a", "T", "P <x>", url)) == "P &lt;x&gt;"


def test_escape_covers_the_three_characters() -> None:
    assert escape("a<b>&c") == "a&lt;b&gt;&amp;c"


def test_huge_single_event_is_clipped_within_limits() -> None:
    refs = tuple(SourceRef(f"s{n}", f"T{n}", "P" * 400, f"https://e.org/{n}") for n in range(40))
    view = EventView("e", AS_OF, "<!here>" * 500, "&" * 9000, "q" * 4000, (), "day", refs)
    briefing = Briefing(
        "event",
        "T" * 400,
        AS_OF,
        "UTC",
        True,
        "d",
        (Section("h" * 5000, "&" * 7000, events=(view,)),),
    )
    payloads = message_payloads(briefing)
    for payload in payloads:
        check_payload(payload)
    blocks = flatten(payloads)
    sources = [b for b in blocks if b["type"] == "context" and "sources:" in str(b)]
    assert "more" in sources[0]["elements"][0]["text"]


def test_text_payload_escapes_and_fits() -> None:
    payload = text_payload("Unknown subcommand '<!channel>' & more " + "x" * 7000)
    check_payload(payload)
    assert "&lt;!channel&gt;" in payload["blocks"][0]["text"]["text"]


def test_cli_prints_the_exact_payload(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_DB", str(tmp_path / "cli.db"))
    result = CliRunner().invoke(
        main, ["brief", "status", "--as-of", "2020-03-05", "--format", "slack"]
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    expected = message_payloads(
        Composer(Store.open(tmp_path / "cli.db")).compose("status", fixed_clock())
    )
    assert printed == expected[0]
