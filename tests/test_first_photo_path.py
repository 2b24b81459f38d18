"""The README's "From zero to a first photo on Heroku", followed with the fakes standing in for Slack, Zoho and the
Heroku CLI: each step is run as the README says, and each gives the next what it needs.

The step the order hinges on is "Retry" under Event Subscriptions (FACTS.md, "Creating an app from a manifest"):
Slack's `url_verification` is answered only by a bot that runs with the app's signing secret, which setup saved
as a config var; with any other secret the bot answers 401 and Slack would show the address as unverified.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from bot import __main__ as entry
from bot.fakes.harness import BotProcess, command_body, free_port, link_shared_body, sign, sign_event
from bot.fakes.slack import FakeSlack
from bot.fakes.zoho import FakeZoho, Record
from tests.test_setup import FAKE_HEROKU, HEROKU_WEB_URL, SETTINGS, calls
from tests.waiting import wait_until

APP = "crmphoto-4f2a"
SIGNING_SECRET = "path-signing-secret-9c3b"
RECORD_ID = "4876876000000624001"
EMAIL = "jane@acme.com"
CHANNEL = "C0PATH01"


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[FakeZoho, FakeSlack, Path]]:
    """Zoho and Slack, a `heroku` program on PATH that records its calls, and a clean environment."""
    with FakeZoho() as zoho, FakeSlack(bot_token="xoxb-path-bot-token-0001") as slack:  # noqa: S106 (dummy)
        for name in SETTINGS:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("ZOHO_ACCOUNTS_URL", zoho.url)  # the only thing that differs from the real path
        monkeypatch.setenv("SLACK_API_URL", slack.api_url)
        monkeypatch.chdir(tmp_path)
        program = tmp_path / "bin" / "heroku"
        program.parent.mkdir()
        program.write_text(FAKE_HEROKU.format(python=sys.executable, web_url=HEROKU_WEB_URL), encoding="utf-8")
        program.chmod(0o755)
        log = tmp_path / "heroku-calls.jsonl"
        monkeypatch.setenv("PATH", f"{program.parent}{os.pathsep}{os.environ['PATH']}")
        monkeypatch.setenv("FAKE_HEROKU_LOG", str(log))
        zoho.add_record("Contacts", RECORD_ID, Record(fields={"Full_Name": "Jane Doe", "Email": EMAIL}))
        slack.add_channel(CHANNEL)
        yield zoho, slack, log


def config_vars(log: Path) -> dict[str, str]:
    """What `heroku config:set` was given, as the dyno's environment will hold it."""
    pairs = [arg.split("=", 1) for call in calls(log) if call[0] == "config:set" for arg in call[3:]]
    return dict(pairs)


def test_the_readme_path_from_heroku_create_to_a_first_photo(fakes: tuple[FakeZoho, FakeSlack, Path]) -> None:
    zoho, slack, log = fakes
    # 3. python -m bot setup --heroku-app APP: the address comes from Heroku, the rest from the answers.
    status = entry.main(["setup", "--heroku-app", APP, "--dc", "us", "--slack-bot-token", slack.bot_token,
                         "--slack-signing-secret", SIGNING_SECRET, "--client-id", zoho.client_id,
                         "--client-secret", zoho.client_secret, "--grant-code", zoho.grant_code()])
    assert status == 0
    assert zoho.token_grants == ["authorization_code"]
    dyno_env = config_vars(log)
    assert dyno_env["SLACK_SIGNING_SECRET"] == SIGNING_SECRET and dyno_env["ZOHO_REFRESH_TOKEN"] in zoho.refresh_tokens
    # 4. Deploy: the dyno runs `python -m bot` (the Procfile's web process) with the config vars.
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ZOHO_"))}, **dyno_env,
           "SLACK_API_URL": slack.api_url, "ZOHO_ACCOUNTS_URL": zoho.url, "PORT": str(free_port())}
    with BotProcess(env) as bot:
        # 5. Retry under Event Subscriptions: Slack's check, signed with the app's secret, gets its challenge back.
        check = json.dumps({"token": "deprecated", "challenge": "ch4ll3nge-8a1", "type": "url_verification"}).encode()
        answer = httpx.post(f"{bot.url}/slack/events", content=check, headers=sign_event(check, SIGNING_SECRET))
        assert (answer.status_code, answer.json()) == (200, {"challenge": "ch4ll3nge-8a1"})
        wrong = httpx.post(f"{bot.url}/slack/events", content=check, headers=sign_event(check, "another-secret"))
        assert wrong.status_code == 401
        # 6. heroku run python -m bot doctor: every check passes with the config vars alone.
        doctor = subprocess.run([sys.executable, "-m", "bot", "doctor"], env=env, capture_output=True, text=True,
                                timeout=60, check=False)
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
        # 7. /invite @crmphoto, then /crmphoto AN-EMAIL: the first photo lands in the channel.
        searches_before = [s.path for s in zoho.seen if s.path.endswith("/search")]
        body = command_body(EMAIL, channel=CHANNEL, response_url=slack.response_url("first"))
        ack = httpx.post(f"{bot.url}/slack/events", content=body, headers=sign(body, SIGNING_SECRET))
        assert ack.status_code == 200
        wait_until(lambda: [u for u in slack.uploads if u["channel_id"] == CHANNEL], timeout=10)
        searches = [s for s in zoho.seen if s.path.endswith("/search")][len(searches_before):]
        assert [parse_qs(s.query)["email"] for s in searches] == [[EMAIL]]
        # and, verified since step 5, a pasted record link unfurls.
        link = f"https://crm.zoho.com/crm/org{zoho.org_id}/tab/Contacts/{RECORD_ID}"
        event = link_shared_body(links=[link], channel=CHANNEL)
        assert httpx.post(f"{bot.url}/slack/events", content=event,
                          headers=sign_event(event, SIGNING_SECRET)).status_code == 200
        wait_until(lambda: slack.unfurls, timeout=10)
        assert list(slack.unfurls[0]["unfurls"]) == [link]
