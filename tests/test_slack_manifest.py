"""The Slack app manifest creates the app the adapter expects."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.adapters.slack import BOT_SCOPES, EVENTS_PATH, REDIRECT_PATH

MANIFEST = Path(__file__).resolve().parent.parent / "config" / "slack-manifest.yaml"


def test_manifest_declares_the_command_and_scopes() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/accord"
    assert command["url"].startswith("https://") and command["url"].endswith(EVENTS_PATH)
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "users:read", "files:write"} <= scopes
    assert "channels:history" in scopes  # SlackPoster.was_posted reads the history
    assert manifest["settings"]["socket_mode_enabled"] is False


def test_manifest_declares_the_install_redirect_and_the_uninstall_events() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    (redirect,) = manifest["oauth_config"]["redirect_urls"]
    assert redirect.startswith("https://") and redirect.endswith(REDIRECT_PATH)
    events = manifest["settings"]["event_subscriptions"]
    assert events["request_url"].endswith(EVENTS_PATH)
    assert set(events["bot_events"]) == {"app_uninstalled", "tokens_revoked"}
    # The OAuth install asks for exactly the scopes the manifest declares.
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES)


def test_manifest_sends_forms_and_button_clicks_to_the_bot() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    interactivity = manifest["settings"]["interactivity"]
    # view_submission (curation and rejection forms) and block_actions (Approve, Reject).
    assert interactivity["is_enabled"] is True
    assert interactivity["request_url"].endswith(EVENTS_PATH)
