"""Slack across workspaces: Bolt's OAuth install through the fake Slack (oauth.v2.access),
installations kept in the store (SQLite and PostgreSQL), each workspace answered and
posted to with its own token, and app_uninstalled / tokens_revoked pausing only that
workspace."""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from fakes.slack import CLIENT_ID, CLIENT_SECRET, FakeSlack
from fanout_support import bot_command, bot_env
from slack_support import SIGNING_SECRET, post_command, post_event

from bot.adapters.slack import REVOKED, UNINSTALLED, SlackAdapter
from bot.installations import InstallationStore
from bot.runtime import Bot
from bot.settings import Settings
from bot.subscriptions import Subscriptions
from briefings.store import Store

ADMINS = {"T0AAA": "U1ADMIN", "T0BBB": "U2ADMIN"}
CHANNELS = {"T0AAA": "C1ALPHA", "T0BBB": "C2BRAVO"}


def multi_settings(fake: FakeSlack, db: Path | str, **extra: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        accord_db=db,
        accord_as_of="2020-03-05",
        accord_tz="UTC",
        digest_grace_hours=24,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake.api_url,
        slack_host="127.0.0.1",
        slack_port=0,
        **extra,
    )


async def install(
    session: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack, team: str
) -> str:
    """Walk Slack's install: /slack/install, Slack's consent (a code), the redirect."""
    base = f"http://127.0.0.1:{adapter.port}"
    async with session.get(f"{base}/slack/install") as page:
        assert page.status == 200
        html = await page.text()
        cookie = page.headers["Set-Cookie"].split(";")[0]
    found = re.search(r"state=([^&\"]+)", html)
    assert found is not None, html
    state = found.group(1)
    token = fake.grant(f"code-{team}", team)
    url = f"{base}/slack/oauth_redirect?code=code-{team}&state={state}"
    async with session.get(url, headers={"Cookie": cookie}) as done:
        assert done.status == 200, await done.text()
    return token


@pytest.fixture
async def fake() -> Any:
    server = await FakeSlack().start()
    for team, admin in ADMINS.items():
        server.users[admin] = {"is_admin": True, "team_id": team}
    yield server
    await server.stop()


async def command(
    session: aiohttp.ClientSession, adapter: SlackAdapter, fake: FakeSlack, team: str, text: str
) -> int:
    status, _ = await post_command(
        session, adapter, fake, text, team=team, user=ADMINS[team], channel=CHANNELS[team]
    )
    return status


async def test_two_workspaces_each_with_its_own_token(fake: FakeSlack, db_location: str) -> None:
    db = db_location
    bot = Bot(multi_settings(fake, db))
    (adapter,) = bot.adapters
    assert isinstance(adapter, SlackAdapter) and adapter.multi
    await bot.start()
    try:
        async with aiohttp.ClientSession() as session:
            tokens = {team: await install(session, adapter, fake, team) for team in ADMINS}
            installations = InstallationStore(bot.store.db)
            assert {t: installations.bot_token(t) for t in ADMINS} == tokens

            for team in ADMINS:
                assert await command(session, adapter, fake, team, "subscribe digest 00:00 UTC")
            responses = await fake.wait_responses(2)
            assert all(r["response_type"] == "in_channel" for r in responses)
            # users.info (may this person manage subscriptions?) went with each one's token.
            asked = {c.params["user"]: c.token for c in fake.calls("users.info")}
            assert asked == {ADMINS[t]: tokens[t] for t in ADMINS}

            assert await post_event(session, adapter, "T0BBB", {"type": "app_uninstalled"})
            assert installations.bot_token("T0BBB") is None
            subs = {s.workspace: s for s in Subscriptions(bot.store.db).all()}
            assert subs["T0BBB"].paused and subs["T0BBB"].paused_reason == UNINSTALLED
            assert not subs["T0AAA"].paused

            # The other workspace keeps working.
            assert await command(session, adapter, fake, "T0AAA", "subscriptions")
            (*_, listed) = await fake.wait_responses(3)
            assert "digest" in str(listed)
            # The uninstalled one is told to reinstall, and given nothing else.
            await command(session, adapter, fake, "T0BBB", "status")
            (*_, refused) = await fake.wait_responses(4)
            assert "reinstall" in refused["text"] and "blocks" not in refused
    finally:
        await bot.stop()

    # Due digests go out with the start-up catch-up: only to the installed workspace,
    # with that workspace's token.
    store = Store.open(db)
    store.db.execute("UPDATE subscriptions SET created_at = '2000-01-01T00:00:00+00:00'")
    store.close()
    again = Bot(multi_settings(fake, db))
    await again.start()
    try:
        for _ in range(200):
            if fake.calls("chat.postMessage"):
                break
            await asyncio.sleep(0.05)
    finally:
        await again.stop()
    posts = fake.calls("chat.postMessage")
    assert posts and {p.params["channel"] for p in posts} == {CHANNELS["T0AAA"]}
    assert {p.token for p in posts} == {tokens["T0AAA"]}


async def test_tokens_revoked_removes_the_bot_token_and_pauses(
    fake: FakeSlack, db_location: str
) -> None:
    bot = Bot(multi_settings(fake, db_location))
    (adapter,) = bot.adapters
    assert isinstance(adapter, SlackAdapter)
    await bot.start()
    try:
        async with aiohttp.ClientSession() as session:
            await install(session, adapter, fake, "T0AAA")
            assert await command(session, adapter, fake, "T0AAA", "subscribe reminders")
            await fake.wait_responses(1)
            revoked = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0BOT"]}}
            assert await post_event(session, adapter, "T0AAA", revoked)
        installations = InstallationStore(bot.store.db)
        assert installations.bot_token("T0AAA") is None
        assert installations.teams() == ["T0AAA"]  # the installation itself stays
        (sub,) = Subscriptions(bot.store.db).all()
        assert sub.paused and sub.paused_reason == REVOKED
    finally:
        await bot.stop()


async def test_install_page_uses_slack_redirect_uri(fake: FakeSlack, tmp_path: Path) -> None:
    redirect = "https://accord.example.org/slack/oauth_redirect"
    bot = Bot(multi_settings(fake, tmp_path / "a.db", slack_redirect_uri=redirect))
    (adapter,) = bot.adapters
    assert isinstance(adapter, SlackAdapter)
    await bot.start()
    try:
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{adapter.port}/slack/install"
            async with session.get(url) as page:
                html = await page.text()
            # A redirect with a state this server never issued installs nothing.
            bad = f"http://127.0.0.1:{adapter.port}/slack/oauth_redirect?code=x&state=forged"
            async with session.get(bad, headers={"Cookie": "slack-app-oauth-state=forged"}):
                pass
        assert f"redirect_uri={redirect}" in html
        assert f"client_id={CLIENT_ID}" in html
        assert InstallationStore(bot.store.db).teams() == []
        assert not fake.calls("oauth.v2.access")
    finally:
        await bot.stop()


def test_bot_token_and_client_id_together_are_refused(tmp_path: Path) -> None:
    env = bot_env(tmp_path / "a.db", SLACK_BOT_TOKEN="xoxb-1", SLACK_CLIENT_ID=CLIENT_ID)
    result = subprocess.run(
        bot_command(), env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set" in result.stderr
    assert "Traceback" not in result.stderr
