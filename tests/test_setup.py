"""`python -m bot setup` against the fake Zoho (its accounts server learns grant codes), the fake Slack (for the
doctor at the end) and a fake `heroku` program on PATH that records its arguments.

Each test counts what reached Zoho (token requests and their grant types, CRM calls) and reads back what was saved,
byte for byte where lines must be kept. No run may show a secret: every output is searched for each one.
"""

from __future__ import annotations

import io
import json
import os
import select
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from dotenv import dotenv_values
from hypothesis import given
from hypothesis import strategies as st

from bot import __main__ as entry
from bot import datacentres, envfile, manifest, scopes, setup
from bot.fakes import zoho as fz
from bot.fakes.harness import free_port
from bot.fakes.slack import FakeSlack
from bot.fakes.zoho import FakeZoho

ROOT = Path(__file__).resolve().parent.parent
SIGNING_SECRET = "setup-signing-secret-5d1e"
APP_TOKEN = "xapp-1-setup-app-token-dummy"
ADDRESS = "https://crmphoto-4f2a.herokuapp.com"
HEROKU_WEB_URL = "https://crmphoto-4f2a-0c1d2e3f4a5b.herokuapp.com/"
SETTINGS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "ZOHO_CLIENT_ID",
            "ZOHO_CLIENT_SECRET", "ZOHO_REFRESH_TOKEN", "ZOHO_DC", "ZOHO_ACCOUNTS_URL", "ZOHO_API_DOMAIN",
            "REQUIRE_CRM_USER")

FAKE_HEROKU = """\
#!{python}
# A stand-in for the Heroku CLI: records its arguments (one JSON list a line), answers as the real one does.
import json, os, sys
with open(os.environ["FAKE_HEROKU_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
mode = os.environ.get("FAKE_HEROKU_MODE", "ok")
if sys.argv[1] == "apps:info":
    if mode == "no-app":
        print(" \\u203a   Error: Couldn't find that app.", file=sys.stderr)
        sys.exit(1)
    print(json.dumps({{"app": {{"name": sys.argv[3], "web_url": "{web_url}"}}, "addons": [], "dynos": []}}))
elif sys.argv[1] == "config:set":
    pairs = [arg.split("=", 1) for arg in sys.argv[4:]]
    if mode == "set-fails":
        print(" \\u203a   Error: could not set " + " ".join(sys.argv[4:]), file=sys.stderr)
        sys.exit(1)
    print("Setting config vars and restarting " + sys.argv[3] + "... done, v7")
    for name, value in pairs:  # the real CLI prints every value it set
        print(name + ": " + value)
"""


@dataclass
class World:
    zoho: FakeZoho
    slack: FakeSlack
    tmp: Path
    capsys: pytest.CaptureFixture[str]
    monkeypatch: pytest.MonkeyPatch
    codes: list[str] = field(default_factory=list)

    @property
    def env_path(self) -> Path:
        return self.tmp / ".env"

    def code(self, minutes: float = 10.0) -> str:
        code = self.zoho.grant_code(minutes)
        self.codes.append(code)
        return code

    def flags(self, *, socket_mode: bool = False, **override: str | None) -> list[str]:
        """Every answer as a flag (HTTP mode unless `socket_mode`); an override of None leaves that flag out."""
        values: dict[str, str | None] = {
            "--url": None if socket_mode else ADDRESS, "--dc": "us", "--client-id": fz.CLIENT_ID,
            "--client-secret": fz.CLIENT_SECRET, "--grant-code": self.code(), "--slack-bot-token": self.slack.bot_token,
            "--slack-signing-secret": None if socket_mode else SIGNING_SECRET,
            "--slack-app-token": APP_TOKEN if socket_mode else None,
        }
        values.update({f"--{k.replace('_', '-')}": v for k, v in override.items()})
        args = ["--socket-mode"] if socket_mode else []
        for flag, value in values.items():
            if value is not None:
                args += [flag, value]
        return args

    def cli(self, *args: str) -> tuple[int, str]:
        """`python -m bot setup ARGS` with no terminal: (exit status, stdout + stderr)."""
        status = entry.main(["setup", *args])
        captured = self.capsys.readouterr()
        return status, captured.out + captured.err

    def secrets(self) -> list[str]:
        """Every secret a run may have seen."""
        return [fz.CLIENT_SECRET, SIGNING_SECRET, APP_TOKEN, self.slack.bot_token, *self.codes,
                *self.zoho.refresh_tokens]

    def assert_no_secret(self, output: str) -> None:
        for secret in self.secrets():
            assert secret not in output, f"a secret was shown: …{secret[-4:]}"

    def saved(self) -> dict[str, str | None]:
        return dotenv_values(self.env_path)

    def heroku(self, mode: str = "ok") -> Path:
        """A fake `heroku` first on PATH; the file its calls are logged to."""
        folder = self.tmp / "bin"
        folder.mkdir(exist_ok=True)
        program = folder / "heroku"
        program.write_text(FAKE_HEROKU.format(python=sys.executable, web_url=HEROKU_WEB_URL), encoding="utf-8")
        program.chmod(0o755)
        log = self.tmp / "heroku-calls.jsonl"
        self.monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
        self.monkeypatch.setenv("FAKE_HEROKU_LOG", str(log))
        self.monkeypatch.setenv("FAKE_HEROKU_MODE", mode)
        return log


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[World]:
    with FakeZoho() as zoho, FakeSlack() as slack:
        for name in SETTINGS:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("ZOHO_ACCOUNTS_URL", zoho.url)  # never the real Zoho
        monkeypatch.setenv("SLACK_API_URL", slack.api_url)
        monkeypatch.chdir(tmp_path)
        yield World(zoho, slack, tmp_path, capsys, monkeypatch)


def calls(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []


# --- unattended: every flag -------------------------------------------------------------------------------------

def test_every_flag_saves_working_settings_and_shows_no_secret(world: World) -> None:
    path = world.tmp / "config" / "crmphoto.env"
    path.parent.mkdir()
    status, out = world.cli(*world.flags(dc="eu", env_file=str(path)), "--require-crm-user")
    assert status == 0, out
    [refresh] = world.zoho.refresh_tokens
    assert dotenv_values(path) == {
        "SLACK_BOT_TOKEN": world.slack.bot_token, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "ZOHO_CLIENT_ID": fz.CLIENT_ID, "ZOHO_CLIENT_SECRET": fz.CLIENT_SECRET, "ZOHO_REFRESH_TOKEN": refresh,
        "ZOHO_DC": "eu", "REQUIRE_CRM_USER": "true",
    }
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not world.env_path.exists()  # --env-file, not .env
    # One token request, the exchange itself; the doctor's Zoho calls used its access token.
    assert world.zoho.token_grants == ["authorization_code"]
    [form] = world.zoho.token_forms
    assert form == {"grant_type": "authorization_code", "client_id": fz.CLIENT_ID, "client_secret": fz.CLIENT_SECRET,
                    "code": world.codes[0]}
    assert (world.zoho.module_calls(), world.zoho.search_calls(), world.zoho.org_calls()) == (1, 1, 1)
    assert world.slack.count("auth.test") == 0  # no --doctor: Slack is not called
    assert "Saved SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, ZOHO_CLIENT_ID" in out and str(path) in out
    assert "Its other lines" not in out  # a new file has none
    assert f"python -m bot doctor, run with the settings of {path} in the environment" in out
    world.assert_no_secret(out)


def test_socket_mode_saves_the_app_token_and_needs_no_address_or_signing_secret(world: World) -> None:
    status, out = world.cli(*world.flags(socket_mode=True))
    assert status == 0, out
    saved = world.saved()
    assert saved["SLACK_APP_TOKEN"] == APP_TOKEN and "SLACK_SIGNING_SECRET" not in saved
    assert "Socket Mode" in out and "Retry" not in out
    world.assert_no_secret(out)


def test_the_doctor_flag_runs_the_doctor_with_the_saved_settings(world: World) -> None:
    status, out = world.cli(*world.flags(), "--doctor")
    assert status == 0, out
    assert out.rstrip().endswith("All checks passed.")
    assert world.slack.count("auth.test") == 1
    # The doctor refreshed with the refresh token setup saved: the file works.
    assert world.zoho.token_grants == ["authorization_code", "refresh_token"]
    assert world.zoho.token_forms[1]["refresh_token"] == world.zoho.refresh_tokens[0] == world.saved()[
        "ZOHO_REFRESH_TOKEN"]
    world.assert_no_secret(out)


def test_the_doctors_failure_is_setups_exit_status(world: World) -> None:
    status, out = world.cli(*world.flags(slack_bot_token="xoxb-revoked-0000"), "--doctor")
    assert status == 1
    assert "bot token was refused" in out
    assert world.saved()["SLACK_BOT_TOKEN"] == "xoxb-revoked-0000"  # saved: the doctor only checks


def test_missing_answers_are_named_at_once_before_anything_happens(world: World) -> None:
    status, out = world.cli()
    assert status == 2
    for flag in ("--url (or --socket-mode)", "--slack-bot-token", "--slack-signing-secret", "--client-id",
                 "--client-secret", "--grant-code"):
        assert flag in out
    assert world.zoho.token_requests == 0 and not world.env_path.exists()


def test_socket_mode_asks_for_the_app_token_not_the_signing_secret(world: World) -> None:
    status, out = world.cli(*world.flags(socket_mode=True, slack_app_token=None))
    assert status == 2
    assert "--slack-app-token" in out and "--slack-signing-secret" not in out and "--url" not in out


@pytest.mark.parametrize(("flag", "value", "words"), [
    ("slack_bot_token", "xoxp-a-user-token", "SLACK_BOT_TOKEN starts with xoxb-"),
    ("client_secret", "two words", "ZOHO_CLIENT_SECRET cannot contain spaces"),
    ("url", "http://crmphoto.example", "not an address Slack can send requests to"),
    ("grant_code", "", "grant code is needed"),
])
def test_a_bad_flag_value_is_bad_usage_before_the_exchange(world: World, flag: str, value: str, words: str) -> None:
    status, out = world.cli(*world.flags(**{flag: value}))
    assert status == 2
    assert words in out
    assert world.zoho.token_requests == 0 and not world.env_path.exists()


def test_a_bad_data_centre_flag_is_bad_usage(world: World) -> None:
    status, out = world.cli(*world.flags(dc="mars"))
    assert status == 2
    assert "'mars' is not a Zoho data centre" in out


def test_a_bad_accounts_url_in_the_environment_stops_before_any_question(world: World) -> None:
    world.monkeypatch.setenv("ZOHO_ACCOUNTS_URL", "http://accounts.example.org")
    status, out = world.cli(*world.flags())
    assert status == 2
    assert "ZOHO_ACCOUNTS_URL must use https" in out
    assert world.zoho.token_requests == 0


# --- the env file ---------------------------------------------------------------------------------------------------

EXISTING = textwrap.dedent("""\
    # crmphoto settings
    SLACK_BOT_TOKEN=xoxb-old-token-1111

    export ZOHO_REFRESH_TOKEN="1000.old-refresh"   # from 2023
    ALLOWED_MODULES=Contacts,Leads
    PRIVATE_KEY='line one
    line two'
    ZOHO_REFRESH_TOKEN=1000.older-refresh-duplicate
    SEARCH_MODULES = Contacts  # spaces and a comment
    """)


def test_an_existing_env_file_keeps_every_other_line(world: World) -> None:
    world.env_path.write_text(EXISTING, encoding="utf-8")
    world.env_path.chmod(0o644)
    before = world.env_path.stat().st_ino
    status, out = world.cli(*world.flags())
    assert status == 0, out
    refresh = world.zoho.refresh_tokens[0]
    assert world.env_path.read_text(encoding="utf-8") == textwrap.dedent(f"""\
        # crmphoto settings
        SLACK_BOT_TOKEN={world.slack.bot_token}

        export ZOHO_REFRESH_TOKEN={refresh}
        ALLOWED_MODULES=Contacts,Leads
        PRIVATE_KEY='line one
        line two'
        SEARCH_MODULES = Contacts  # spaces and a comment
        SLACK_SIGNING_SECRET={SIGNING_SECRET}
        ZOHO_CLIENT_ID={fz.CLIENT_ID}
        ZOHO_CLIENT_SECRET={fz.CLIENT_SECRET}
        ZOHO_DC=us
        """)
    assert stat.S_IMODE(world.env_path.stat().st_mode) == 0o600
    assert world.env_path.stat().st_ino != before  # replaced whole, not written into
    assert world.saved()["PRIVATE_KEY"] == "line one\nline two"
    assert "Its other lines are as they were." in out
    world.assert_no_secret(out)


def test_unattended_keeps_what_the_env_file_has(world: World) -> None:
    world.env_path.write_text(f"SLACK_BOT_TOKEN={world.slack.bot_token}\nSLACK_SIGNING_SECRET={SIGNING_SECRET}\n"
                              f"ZOHO_CLIENT_ID={fz.CLIENT_ID}\nZOHO_CLIENT_SECRET={fz.CLIENT_SECRET}\n",
                              encoding="utf-8")
    status, out = world.cli("--url", ADDRESS, "--grant-code", world.code())
    assert status == 0, out
    assert ("Keeping SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET from .env."
            in out)
    assert world.zoho.token_forms[0]["client_secret"] == fz.CLIENT_SECRET  # the kept secret was used
    assert "Saved ZOHO_REFRESH_TOKEN, ZOHO_DC to" in out
    assert world.saved()["ZOHO_REFRESH_TOKEN"] == world.zoho.refresh_tokens[0]
    world.assert_no_secret(out)


def test_a_failed_write_leaves_the_file_and_no_temporary_file(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world.env_path.write_text(EXISTING, encoding="utf-8")

    def refuse(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(envfile.os, "replace", refuse)
    status, out = world.cli(*world.flags())
    assert status == 1
    assert "Could not write .env (OSError)" in out
    assert world.env_path.read_text(encoding="utf-8") == EXISTING
    assert sorted(p.name for p in world.tmp.iterdir()) == [".env"]


@pytest.mark.parametrize("problem", ["folder", "directory", "undecodable"])
def test_an_env_file_that_cannot_be_saved_stops_before_the_grant_code_is_spent(world: World, problem: str) -> None:
    target = world.tmp / "missing" / "crmphoto.env"
    if problem == "directory":
        target = world.tmp / "a-folder"
        target.mkdir()
    elif problem == "undecodable":
        target = world.tmp / "latin1.env"
        target.write_bytes(b"NAME=caf\xe9\n")
    status, out = world.cli(*world.flags(env_file=str(target)))
    assert status == 1
    assert "Nothing was asked or saved" in out
    assert world.zoho.token_requests == 0


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40))
def test_any_value_reads_back_as_written(value: str) -> None:
    text = envfile.updated("OTHER=1\n# note\n", {"NAME": value})
    assert dotenv_values(stream=io.StringIO(text)) == {"OTHER": "1", "NAME": value}


# --- what Zoho can answer to a grant code -------------------------------------------------------------------------

REFUSALS = {
    "used": ("Zoho refused the grant code (invalid_code): it has expired, or it was already used",
             "make a new grant code"),
    "expired": ("Zoho refused the grant code (invalid_code)", "work once"),
    "unknown": ("Zoho refused the grant code (invalid_code)", "make a new grant code"),
    "wrong client": ("does not know this client (invalid_client)", "crm.zoho.eu is eu"),
    "throttled": ("refuses more token requests for now", "Wait 10 minutes"),
    "HTTP 500": ("gave no usable answer (HTTP 500", "make a new grant code"),
    "not JSON": ("gave no usable answer (HTTP 200", "make a new grant code"),
    "no refresh token": ("gave no usable answer (the answer to the grant code held no refresh_token)",
                         "make a new grant code"),
    "other error": ("Zoho refused the grant code (unsupported_grant_type)", "make a new grant code"),
    "connection refused": ("Could not reach Zoho's accounts server", "ZOHO_ACCOUNTS_URL is set"),
}


@pytest.mark.parametrize("answer", list(REFUSALS))
def test_every_refusal_exits_1_says_what_to_do_and_saves_nothing(world: World, answer: str) -> None:
    world.env_path.write_text(EXISTING, encoding="utf-8")
    world.env_path.chmod(0o640)
    flags = world.flags()
    if answer == "used":
        assert world.cli(*flags, "--env-file", "first.env")[0] == 0
        world.zoho.reset_counts()
    elif answer == "expired":
        flags = world.flags(grant_code=world.code(minutes=0))
    elif answer == "unknown":
        flags = world.flags(grant_code="1000.not-a-code")
    elif answer == "wrong client":
        flags = world.flags(client_secret="not-the-secret")
    elif answer == "throttled":
        world.zoho.token_error = "Access Denied"
    elif answer == "HTTP 500":
        world.zoho.fail_next("token", status=500)
    elif answer == "not JSON":
        world.zoho.fail_next("token", status=200, body="<html>maintenance</html>")
    elif answer == "no refresh token":
        world.zoho.fail_next("token", status=200, body='{"access_token": "1000.a", "api_domain": '
                                                       '"https://www.zohoapis.com", "expires_in": 3600}')
    elif answer == "other error":  # an error Zoho's pages do not list for this grant
        world.zoho.fail_next("token", status=200, body='{"error": "invalid_request", "error_description": '
                                                       '"unsupported_grant_type"}')
    elif answer == "connection refused":
        world.monkeypatch.setenv("ZOHO_ACCOUNTS_URL", f"http://127.0.0.1:{free_port()}")
    status, out = world.cli(*flags)
    assert status == 1, out
    line, todo = REFUSALS[answer]
    assert line in out and todo.lower() in out.lower(), out
    assert "Nothing was saved to .env." in out
    assert "Traceback" not in out
    assert world.env_path.read_text(encoding="utf-8") == EXISTING
    assert stat.S_IMODE(world.env_path.stat().st_mode) == 0o640
    assert world.zoho.module_calls() == 0  # no check ran without a token
    assert world.zoho.token_requests == (0 if answer == "connection refused" else 1)
    world.assert_no_secret(out)


def test_the_wrong_data_centre_names_the_flag_to_try(world: World) -> None:
    world.zoho.token_error = "invalid_client"
    status, out = world.cli(*world.flags(dc="us"))
    assert status == 1
    assert "data centre us" in out and "--dc" in out
    for dc in datacentres.DATA_CENTRES:
        assert f"{dc.crm_web_host} is {dc.key}" in out
    assert "the grant code still works if it has not expired" in out


@pytest.mark.parametrize(("fault", "missing"), [("scope_for_search", scopes.ZOHO_SEARCH_SCOPE),
                                                ("scope_for_org", scopes.ZOHO_ORG_SCOPE),
                                                ("scope_for_modules", scopes.ZOHO_MODULES_SCOPE)])
def test_a_token_without_a_needed_scope_saves_nothing(world: World, fault: str, missing: str) -> None:
    setattr(world.zoho, fault, False)
    status, out = world.cli(*world.flags())
    assert status == 1
    assert f"✗ Zoho: the token lacks {missing}" in out
    assert "nothing was saved to .env" in out
    assert scopes.zoho_grant_scopes(False) in out
    assert not world.env_path.exists()
    world.assert_no_secret(out)


# --- Heroku ---------------------------------------------------------------------------------------------------------

def test_heroku_app_gets_config_vars_through_the_cli_and_its_address_from_heroku(world: World) -> None:
    log = world.heroku()
    shell_hostile = "sig'n;$(touch${IFS}pwned)&`x`|\"*"
    status, out = world.cli(*world.flags(url=None, slack_signing_secret=shell_hostile), "--heroku-app", "crmphoto-4f2a")
    assert status == 0, out
    refresh = world.zoho.refresh_tokens[0]
    assert calls(log) == [
        ["apps:info", "--app", "crmphoto-4f2a", "--json"],
        ["config:set", "--app", "crmphoto-4f2a", f"SLACK_BOT_TOKEN={world.slack.bot_token}",
         f"SLACK_SIGNING_SECRET={shell_hostile}", f"ZOHO_CLIENT_ID={fz.CLIENT_ID}",
         f"ZOHO_CLIENT_SECRET={fz.CLIENT_SECRET}", f"ZOHO_REFRESH_TOKEN={refresh}", "ZOHO_DC=us"],
    ]
    assert not (world.tmp / "pwned").exists() and not world.env_path.exists()
    assert "Set SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET" in out and "crmphoto-4f2a" in out
    assert "heroku run python -m bot doctor --app crmphoto-4f2a" in out
    world.assert_no_secret(out)
    assert shell_hostile not in out


def test_heroku_address_is_the_default_a_person_can_change(world: World) -> None:
    world.heroku()
    script = Script(("Where will Slack reach the bot", "", False), ("Zoho data centre", "", False),
                    ("Bot User OAuth Token", world.slack.bot_token, True), ("Signing Secret", SIGNING_SECRET, True),
                    ("Client ID", fz.CLIENT_ID, False), ("Client Secret", fz.CLIENT_SECRET, True),
                    ("Grant code", world.code(), True), ("Run python -m bot doctor", "n", False))
    status, out = script.run(setup.Options(heroku_app="crmphoto-4f2a"))
    assert status == 0, out
    assert script.prompts[0].endswith(f"[{HEROKU_WEB_URL.rstrip('/')}]: ")
    link = next(word for word in out.split() if word.startswith(manifest.CREATE_APP_LINK))
    assert json.loads(parse_qs(urlsplit(link).query)["manifest_json"][0]) == manifest.build(
        HEROKU_WEB_URL, datacentres.DEFAULT)


@pytest.mark.parametrize("mode", ["no-cli", "no-app"])
def test_a_missing_heroku_cli_or_app_stops_before_the_grant_code_is_spent(world: World, mode: str) -> None:
    if mode == "no-cli":
        empty = world.tmp / "empty-bin"
        empty.mkdir()
        world.monkeypatch.setenv("PATH", str(empty))
    else:
        log = world.heroku("no-app")
    status, out = world.cli(*world.flags(), "--heroku-app", "crmphoto-4f2a")
    assert status == 1
    assert ("Heroku CLI (heroku) is not installed" if mode == "no-cli" else "Couldn't find that app.") in out
    assert world.zoho.token_requests == 0
    if mode == "no-app":
        assert [call[0] for call in calls(log)] == ["apps:info"]


def test_a_refused_config_set_shows_the_clis_words_without_the_secrets(world: World) -> None:
    world.heroku("set-fails")
    status, out = world.cli(*world.flags(), "--heroku-app", "crmphoto-4f2a")
    assert status == 1
    assert "Error: could not set SLACK_BOT_TOKEN=… SLACK_SIGNING_SECRET=…" in out
    assert "ZOHO_DC=us" in out  # not a secret: left readable
    assert "No config var was set on crmphoto-4f2a" in out
    world.assert_no_secret(out)


def test_heroku_app_and_env_file_are_one_or_the_other(world: World) -> None:
    status, out = world.cli(*world.flags(), "--heroku-app", "crmphoto-4f2a", "--env-file", "x.env")
    assert status == 2 and "not allowed with argument" in out


@pytest.mark.parametrize("name", ["Bad_Name", "-a", "x"])
def test_a_heroku_app_name_is_checked_before_the_cli_runs(world: World, name: str) -> None:
    log = world.heroku()
    status, out = world.cli(*world.flags(), f"--heroku-app={name}")
    assert status == 2
    assert f"--heroku-app: {name!r} is not a Heroku app name" in out
    assert calls(log) == [] and world.zoho.token_requests == 0


# --- a person at the terminal ---------------------------------------------------------------------------------------

class Script:
    """A person answering setup's questions in order; each answer is expected as a secret (no echo) or not."""

    def __init__(self, *answers: tuple[str, str | type[BaseException], bool]) -> None:
        self.answers = list(answers)
        self.prompts: list[str] = []
        self.out = io.StringIO()

    def _next(self, prompt: str, secret: bool) -> str:
        assert self.answers, f"asked more than scripted: {prompt!r}"
        fragment, answer, wants_secret = self.answers.pop(0)
        assert fragment in prompt, (fragment, prompt)
        assert secret == wants_secret, f"{prompt!r} should {'' if wants_secret else 'not '}be read as a secret"
        self.prompts.append(prompt)
        if isinstance(answer, type):
            raise answer()
        return answer

    def run(self, options: setup.Options) -> tuple[int, str]:
        term = setup.Terminal(self.out, interactive=True, read_line=lambda p: self._next(p, False),
                              read_secret=lambda p: self._next(p, True))
        status = setup.run(options, term=term)
        assert not self.answers, f"never asked: {self.answers}"
        return status, self.out.getvalue()


def test_a_person_is_asked_each_question_and_secrets_are_read_without_echo(world: World) -> None:
    code = world.code()
    script = Script(("Where will Slack reach the bot", ADDRESS, False),
                    ("Zoho data centre", "https://crm.zoho.eu/crm/org7/tab/Home", False),
                    ("Bot User OAuth Token (xoxb-", world.slack.bot_token, True),
                    ("Signing Secret", SIGNING_SECRET, True),
                    ("Client ID", fz.CLIENT_ID, False), ("Client Secret", fz.CLIENT_SECRET, True),
                    ("Grant code", code, True), ("Run python -m bot doctor now", "n", False))
    status, out = script.run(setup.Options(require_crm_user=True))
    assert status == 0, out
    eu = datacentres.BY_KEY["eu"]
    assert "crm.zoho.com is us, crm.zoho.eu is eu" in out
    assert "https://api-console.zoho.eu" in out
    assert scopes.zoho_grant_scopes(True) in out and "ZohoCRM.users.READ" in out
    link = next(word for word in out.split() if word.startswith(manifest.CREATE_APP_LINK))
    assert json.loads(parse_qs(urlsplit(link).query)["manifest_json"][0]) == manifest.build(ADDRESS, eu, True)
    assert "Retry under Event Subscriptions" in out
    assert world.saved()["ZOHO_DC"] == "eu" and world.saved()["REQUIRE_CRM_USER"] == "true"
    assert "python -m bot doctor" in out and world.slack.count("auth.test") == 0
    world.assert_no_secret(out + "".join(script.prompts))


def test_bad_answers_are_asked_again(world: World) -> None:
    script = Script(("Where will Slack reach the bot", "crmphoto.example.org", False),
                    ("Where will Slack reach the bot", ADDRESS, False),
                    ("Zoho data centre", "europe", False), ("Zoho data centre", "eu", False),
                    ("Bot User OAuth Token", "xoxp-user-token", True),
                    ("Bot User OAuth Token", world.slack.bot_token, True),
                    ("Signing Secret", "", True), ("Signing Secret", SIGNING_SECRET, True),
                    ("Client ID", fz.CLIENT_ID, False), ("Client Secret", fz.CLIENT_SECRET, True),
                    ("Grant code", world.code(), True), ("Run python -m bot doctor", "n", False))
    status, out = script.run(setup.Options())
    assert status == 0, out
    assert "'crmphoto.example.org' is not an address Slack can send requests to" in out
    assert "'europe' is not a Zoho data centre" in out
    assert "SLACK_BOT_TOKEN starts with xoxb-" in out and "SLACK_SIGNING_SECRET is needed" in out


def test_socket_mode_is_an_answer_too(world: World) -> None:
    script = Script(("Where will Slack reach the bot", "socket", False), ("Zoho data centre", "", False),
                    ("Bot User OAuth Token", world.slack.bot_token, True), ("App-level token", APP_TOKEN, True),
                    ("Client ID", fz.CLIENT_ID, False), ("Client Secret", fz.CLIENT_SECRET, True),
                    ("Grant code", world.code(), True), ("Run python -m bot doctor", "n", False))
    status, out = script.run(setup.Options())
    assert status == 0, out
    assert "connections:write" in out
    link = next(word for word in out.split() if word.startswith(manifest.CREATE_APP_LINK))
    assert json.loads(parse_qs(urlsplit(link).query)["manifest_json"][0])["settings"]["socket_mode_enabled"] is True
    assert world.saved()["SLACK_APP_TOKEN"] == APP_TOKEN


def test_enter_keeps_the_env_files_values(world: World) -> None:
    world.env_path.write_text(f"SLACK_BOT_TOKEN={world.slack.bot_token}\nSLACK_SIGNING_SECRET={SIGNING_SECRET}\n"
                              f"ZOHO_CLIENT_ID={fz.CLIENT_ID}\nZOHO_CLIENT_SECRET={fz.CLIENT_SECRET}\n",
                              encoding="utf-8")
    script = Script(("Where will Slack reach the bot", ADDRESS, False), ("Zoho data centre", "", False),
                    ("(Enter keeps the one in .env)", "", True), ("(Enter keeps the one in .env)", "", True),
                    (f"(Enter keeps the one in .env ({fz.CLIENT_ID}))", "", False),
                    ("(Enter keeps the one in .env)", "", True), ("Grant code", world.code(), True),
                    ("Run python -m bot doctor", "n", False))
    status, out = script.run(setup.Options())
    assert status == 0, out
    assert world.zoho.token_forms[0]["client_secret"] == fz.CLIENT_SECRET
    assert "Saved ZOHO_REFRESH_TOKEN, ZOHO_DC to" in out


def test_yes_to_the_doctor_runs_it(world: World) -> None:
    script = Script(("Where will Slack reach the bot", ADDRESS, False), ("Zoho data centre", "", False),
                    ("Bot User OAuth Token", world.slack.bot_token, True), ("Signing Secret", SIGNING_SECRET, True),
                    ("Client ID", fz.CLIENT_ID, False), ("Client Secret", fz.CLIENT_SECRET, True),
                    ("Grant code", world.code(), True), ("Run python -m bot doctor", "", False))
    status, out = script.run(setup.Options())
    assert status == 0, out
    assert out.rstrip().endswith("All checks passed.")
    assert world.slack.count("auth.test") == 1
    world.assert_no_secret(out)


def test_ctrl_c_before_the_exchange_saves_nothing(world: World) -> None:
    world.env_path.write_text(EXISTING, encoding="utf-8")
    script = Script(("Where will Slack reach the bot", ADDRESS, False), ("Zoho data centre", "", False),
                    ("Bot User OAuth Token", world.slack.bot_token, True), ("Signing Secret", SIGNING_SECRET, True),
                    ("Client ID", fz.CLIENT_ID, False), ("Client Secret", fz.CLIENT_SECRET, True),
                    ("Grant code", KeyboardInterrupt, True))
    status, out = script.run(setup.Options())
    assert status == 130
    assert "Stopped: nothing was saved." in out
    assert world.env_path.read_text(encoding="utf-8") == EXISTING and world.zoho.token_requests == 0


# --- a real terminal --------------------------------------------------------------------------------------------------

def converse(argv: list[str], env: dict[str, str], cwd: Path, steps: list[tuple[str, str]],
             timeout: float = 60.0) -> tuple[int, str]:
    """Run `argv` on a pseudo-terminal; at each prompt (waited for, never slept for) type its answer. Everything the
    terminal showed, echoed keystrokes included, and the exit status."""
    main, child = os.openpty()
    process = subprocess.Popen(argv, stdin=child, stdout=child, stderr=child, env=env, cwd=cwd,
                               start_new_session=True)
    os.close(child)
    shown, seen = b"", 0
    deadline = time.monotonic() + timeout

    def read_more() -> bool:
        nonlocal shown
        ready, _, _ = select.select([main], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"timed out; the terminal showed:\n{shown.decode(errors='replace')}"
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the program ended and closed the terminal
            return False
        shown += chunk
        return bool(chunk)

    try:
        for prompt, answer in steps:
            while (at := shown.find(prompt.encode(), seen)) < 0:
                assert read_more(), f"ended before {prompt!r}:\n{shown.decode(errors='replace')}"
            seen = at + len(prompt)
            os.write(main, answer.encode() + b"\n")
        while read_more():
            pass
        return process.wait(timeout=max(1.0, deadline - time.monotonic())), shown.decode(errors="replace")
    finally:
        os.close(main)
        if process.poll() is None:
            process.kill()


def test_on_a_real_terminal_secrets_are_not_echoed_but_other_answers_are(world: World) -> None:
    code = world.code()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    steps = [("(no public address): ", ADDRESS), ("address) [us]: ", "eu"),
             ("Bot User OAuth Token (xoxb-…): ", world.slack.bot_token), ("Signing Secret: ", SIGNING_SECRET),
             ("Client ID: ", fz.CLIENT_ID), ("Client Secret: ", fz.CLIENT_SECRET), ("Grant code: ", code),
             ("(y/n) [y]: ", "n")]
    status, shown = converse([sys.executable, "-m", "bot", "setup"], env, world.tmp, steps)
    assert status == 0, shown
    assert "address) [us]: eu" in shown and fz.CLIENT_ID in shown  # typed answers are echoed as usual
    for secret in world.secrets():
        assert secret not in shown
    assert world.saved()["ZOHO_REFRESH_TOKEN"] == world.zoho.refresh_tokens[0]


# --- the fake Zoho's grant codes, as FACTS.md describes them ------------------------------------------------------

def test_the_fake_grant_code_works_once_and_expires() -> None:
    import httpx

    with FakeZoho() as zoho:
        def exchange(code: str, secret: str = fz.CLIENT_SECRET) -> dict[str, object]:
            form = {"grant_type": "authorization_code", "client_id": fz.CLIENT_ID, "client_secret": secret,
                    "code": code}
            return httpx.post(f"{zoho.url}/oauth/v2/token", data=form).json()

        code = zoho.grant_code()
        assert exchange(code, secret="wrong") == {"error": "invalid_client"}
        first = exchange(code)
        assert set(first) == {"access_token", "refresh_token", "api_domain", "token_type", "expires_in"}
        assert exchange(code) == {"error": "invalid_code"}
        assert exchange(zoho.grant_code(minutes=0)) == {"error": "invalid_code"}
        assert exchange("1000.never-made") == {"error": "invalid_code"}
        refreshed = httpx.post(f"{zoho.url}/oauth/v2/token", data={
            "grant_type": "refresh_token", "client_id": fz.CLIENT_ID, "client_secret": fz.CLIENT_SECRET,
            "refresh_token": first["refresh_token"]}).json()
        assert "access_token" in refreshed and "refresh_token" not in refreshed


def test_help_names_every_flag_of_the_issue(capsys: pytest.CaptureFixture[str]) -> None:
    assert entry.main(["setup", "--help"]) == 0
    out = capsys.readouterr().out
    for flag in ("--url", "--dc", "--client-id", "--client-secret", "--grant-code", "--env-file", "--heroku-app",
                 "--socket-mode", "--require-crm-user", "--slack-bot-token", "--slack-signing-secret",
                 "--slack-app-token"):
        assert f"{flag} " in out, flag
    assert "ZOHO_ACCOUNTS_URL" in out
