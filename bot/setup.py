"""`python -m bot setup`: from nothing to working settings in one guided run in the terminal.

Each answer is asked for (with a default or an example) unless a flag gave it, so the same run works unattended;
without a terminal, every missing answer is named at once (exit 2) before anything else happens. The Slack app
comes from `manifest`'s create-app link. The Zoho grant code is exchanged here (no curl), and the new token is
tried with the doctor's own Zoho calls before anything is saved: a refused code, or a token that cannot do what
the bot needs, leaves the env file (or the Heroku app) as it was. Secrets are read without echo and never printed.

Exit status: 0 saved (and the doctor, when run, passed); 1 Zoho refused, a check failed, or saving failed (nothing
saved), or saved but the doctor found a problem; 2 bad usage or missing answers; 130 stopped with Ctrl-C.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import re
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

import httpx

from bot import datacentres, doctor, envfile, manifest, scopes
from bot.config import AccessSettings, ConfigError, Secret, Settings, SlackSettings, ZohoSettings, load_zoho_settings
from bot.datacentres import DataCentre
from bot.heroku import HerokuApp, HerokuError
from bot.messages import setup_words as words
from bot.zoho import ZohoClient
from bot.zoho import errors as zerr
from bot.zoho.client import DEFAULT_TIMEOUT
from bot.zoho.errors import TokenError
from bot.zoho.token import exchange_grant_code

PROG = "python -m bot setup"
DOCTOR = "python -m bot doctor"
PENDING = "crmphoto-setup-refresh-token-pending"  # stands for the refresh token until the grant code gives one
VALUE = re.compile(r"[\x21-\x7e]{1,2000}", re.ASCII)  # what a token, secret, id or code can be: no spaces


@dataclass(frozen=True)
class Question:
    """One answer setup needs: the setting it fills, its flag, its prompt (a key of messages.SETUP_WORDS), whether
    it is secret, and its prefix if any."""

    name: str
    flag: str
    ask: str
    secret: bool = True
    prefix: str = ""
    keepable: bool = True  # Enter (or no flag, unattended) keeps the value the env file already has


BOT_TOKEN = Question("SLACK_BOT_TOKEN", "--slack-bot-token", "ask_bot_token", prefix="xoxb-")
SIGNING_SECRET = Question("SLACK_SIGNING_SECRET", "--slack-signing-secret", "ask_signing_secret")
APP_TOKEN = Question("SLACK_APP_TOKEN", "--slack-app-token", "ask_app_token", prefix="xapp-")
CLIENT_ID = Question("ZOHO_CLIENT_ID", "--client-id", "ask_client_id", secret=False)
CLIENT_SECRET = Question("ZOHO_CLIENT_SECRET", "--client-secret", "ask_client_secret")
GRANT_CODE = Question("grant code", "--grant-code", "ask_grant_code", keepable=False)


@dataclass
class Options:
    """The flags; None means "ask" (or, unattended, "missing")."""

    url: str | None = None
    socket_mode: bool = False
    dc: DataCentre | None = None
    client_id: str | None = None
    client_secret: str | None = None
    grant_code: str | None = None
    env_file: str = ".env"
    heroku_app: str | None = None
    require_crm_user: bool = False
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    doctor: bool = False

    def given(self, question: Question) -> str | None:
        return getattr(self, question.flag.removeprefix("--").replace("-", "_"))


@dataclass
class Terminal:
    """Where setup talks: `interactive` when a person can answer; secrets are read with `read_secret` (no echo)."""

    out: TextIO
    interactive: bool
    read_line: Callable[[str], str] = input
    read_secret: Callable[[str], str] = getpass.getpass

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()


class Stop(Exception):
    """End the run with these words and this exit status."""

    def __init__(self, text: str, status: int) -> None:
        super().__init__(text)
        self.status = status


def run(options: Options, *, env: Mapping[str, str] | None = None, term: Terminal | None = None) -> int:
    """The whole guided set-up; the exit status (see the module docstring)."""
    term = term or Terminal(sys.stdout, sys.stdin.isatty())
    try:
        setup = Setup(options, os.environ if env is None else env, term)
    except HerokuError as exc:
        term.say(f"{PROG}: {exc}")
        return 2
    try:
        return setup.run()
    except Stop as stop:
        term.say(str(stop))
        return stop.status
    except (KeyboardInterrupt, EOFError) as exc:  # Ctrl-C, or the input ended before every answer
        term.say("\n" + words("stopped_saved" if setup.saved else "stopped"))
        return 130 if isinstance(exc, KeyboardInterrupt) else 2


class Setup:
    """One run: the questions in the order an admin can answer them, then the exchange, the checks, the save."""

    def __init__(self, options: Options, env: Mapping[str, str], term: Terminal) -> None:
        self.options = options
        self.env = env
        self.term = term
        self.heroku = HerokuApp(options.heroku_app) if options.heroku_app else None
        self.path = Path(options.env_file)
        self.where = words("where_heroku", app=options.heroku_app) if options.heroku_app else str(self.path)
        self.existing: dict[str, str] = {}
        self.saved = False

    def run(self) -> int:
        self._tell("intro", where=self.where)
        web_url = self._target()
        self._zoho_settings("", "", datacentres.DEFAULT)  # a bad ZOHO_ACCOUNTS_URL stops here, not after the code
        self._stop_if_unanswerable(web_url)
        address = self._address(web_url)
        dc = self._data_centre()
        self._slack_step(address, dc)
        slack = self._slack_answers(socket_mode=address is None)
        self._tell("zoho_client_step", console=dc.api_console, dc=dc.key)
        client_id = self._answer(CLIENT_ID)
        client_secret = self._answer(CLIENT_SECRET)
        self._tell("zoho_code_step", scopes=scopes.zoho_grant_scopes(self.options.require_crm_user))
        code = self._answer(GRANT_CODE)
        zoho = self._zoho_settings(self._effective(CLIENT_ID, client_id), self._effective(CLIENT_SECRET, client_secret),
                                   dc)
        refresh = self._exchange_and_check(zoho, code or "")
        answered = {**slack, CLIENT_ID.name: client_id, CLIENT_SECRET.name: client_secret}
        values = {name: value for name, value in answered.items() if value is not None}  # None: kept as it is
        values |= {"ZOHO_REFRESH_TOKEN": refresh, "ZOHO_DC": dc.key}
        if self.options.require_crm_user:
            values["REQUIRE_CRM_USER"] = "true"
        self._save(values)
        self._next_steps(address)
        return self._doctor(values)

    # --- where the settings go ---------------------------------------------------------------------------------
    def _target(self) -> str | None:
        """Check the env file (readable, replaceable) or the Heroku app (CLI, login, app) before any question;
        the app's address when Heroku gives it."""
        if self.heroku is not None:
            try:
                return self.heroku.web_url()
            except HerokuError as exc:
                raise Stop(str(exc), 1) from None
        try:
            self.existing = envfile.read(self.path)
        except (OSError, ValueError) as exc:
            raise Stop(words("env_unreadable", path=self.path, error=type(exc).__name__), 1) from None
        if not envfile.writable(self.path):
            raise Stop(words("env_unwritable", path=self.path), 1)
        return None

    def _zoho_settings(self, client_id: str, client_secret: str, dc: DataCentre) -> ZohoSettings:
        """The Zoho settings for the exchange: these answers, and ZOHO_ACCOUNTS_URL (and the other ZOHO_ tuning
        settings) from the environment, checked as the bot checks them."""
        values = {**self.env, "ZOHO_CLIENT_ID": client_id or "-", "ZOHO_CLIENT_SECRET": client_secret or "-",
                  "ZOHO_REFRESH_TOKEN": PENDING, "ZOHO_DC": dc.key}
        try:
            return load_zoho_settings(values)
        except ConfigError as exc:
            raise Stop(words("bad_environment", problems="\n".join(f"  - {p}" for p in exc.problems)), 2) from None

    # --- questions -------------------------------------------------------------------------------------------------
    def _questions(self, socket_mode: bool) -> list[Question]:
        slack = [BOT_TOKEN, APP_TOKEN] if socket_mode else [BOT_TOKEN, SIGNING_SECRET]
        return [*slack, CLIENT_ID, CLIENT_SECRET, GRANT_CODE]

    def _keeps(self, question: Question) -> str | None:
        kept = self.existing.get(question.name, "").strip() if question.keepable else ""
        return kept or None

    def _stop_if_unanswerable(self, web_url: str | None) -> None:
        """Unattended: every answer no flag gave and no env file line keeps, named at once."""
        if self.term.interactive:
            return
        options = self.options
        missing = [] if options.socket_mode or options.url or web_url else ["--url (or --socket-mode)"]
        missing += [q.flag for q in self._questions(options.socket_mode)
                    if options.given(q) is None and self._keeps(q) is None]
        if missing:
            raise Stop(words("missing_answers", prog=PROG, flags=", ".join(missing)), 2)
        kept = [q.name for q in self._questions(options.socket_mode) if options.given(q) is None]
        if kept:
            self.term.say(words("kept", names=", ".join(kept), where=self.where))

    def _ask(self, prompt: str, default: str | None = None, secret: bool = False) -> str:
        shown = f"{prompt} [{default}]: " if default else f"{prompt}: "
        answer = (self.term.read_secret if secret else self.term.read_line)(shown).strip()
        return answer or (default or "")

    def _address(self, web_url: str | None) -> str | None:
        """The bot's public address (None: Socket Mode), checked as Slack will need it."""
        options = self.options
        if options.socket_mode:
            return None
        typed = options.url or (web_url if not self.term.interactive else None)
        while True:
            if typed is None:
                typed = self._ask(words("ask_address", example=manifest.PLACEHOLDER_URL), web_url)
                if typed.lower() in ("socket", "socket mode", "--socket-mode"):
                    return None
            try:
                manifest.events_url(typed)
                return typed
            except ValueError as exc:
                if not self.term.interactive or options.url:
                    raise Stop(f"{PROG}: {exc}", 2) from None
                self.term.say(str(exc))
                typed = None

    def _data_centre(self) -> DataCentre:
        if self.options.dc is not None:
            return self.options.dc
        if not self.term.interactive:
            return datacentres.DEFAULT
        self.term.say(words("dc_help", hosts=dc_hosts()))
        while True:
            typed = self._ask(words("ask_dc"), datacentres.DEFAULT.key)
            found = datacentres.find(typed)
            if found is not None:
                return found
            self.term.say(words("bad_dc", typed=typed, keys=", ".join(datacentres.BY_KEY)))

    def _answer(self, question: Question) -> str | None:
        """The value given or typed; None to keep the env file's. Bad values: asked again, or (flag) exit 2."""
        given = self.options.given(question)
        kept = self._keeps(question)
        if given is None and not self.term.interactive:
            return None  # unattended: the env file's value is kept (_stop_if_unanswerable made sure there is one)
        while True:
            if given is None:
                prompt = words(question.ask)
                if kept:
                    prompt += words("enter_keeps", where=self.where, shown="" if question.secret else f" ({kept})")
                typed = self._ask(prompt, secret=question.secret)
                if not typed and kept:
                    return None
            else:
                typed = given.strip()
            problem = value_problem(question, typed)
            if problem is None:
                return typed
            if given is not None:
                raise Stop(f"{PROG}: {question.flag}: {problem}", 2)
            self.term.say(problem)

    def _effective(self, question: Question, answer: str | None) -> str:
        return answer if answer is not None else self._keeps(question) or ""

    def _slack_answers(self, socket_mode: bool) -> dict[str, str | None]:
        """The Slack values to save (None: keep the env file's)."""
        answers = {q.name: self._answer(q) for q in self._questions(socket_mode)[:2]}
        if socket_mode and self.options.slack_signing_secret:
            answers[SIGNING_SECRET.name] = self._answer(SIGNING_SECRET)
        if not socket_mode and self.options.slack_app_token:
            answers[APP_TOKEN.name] = self._answer(APP_TOKEN)
        elif not socket_mode and self._keeps(APP_TOKEN):
            self.term.say(words("app_token_wins", where=self.where))
        return answers

    # --- what to do in Slack and in Zoho --------------------------------------------------------------------------
    def _tell(self, key: str, **values: object) -> None:
        """Instructions for a step, for a person at the terminal (an unattended run has its answers already)."""
        if self.term.interactive:
            self.term.say(words(key, **values))

    def _slack_step(self, address: str | None, dc: DataCentre) -> None:
        link = manifest.create_app_link(manifest.build(address, dc, self.options.require_crm_user))
        self._tell("slack_step_socket" if address is None else "slack_step_http", link=link)

    # --- the exchange and the checks ------------------------------------------------------------------------------
    def _exchange_and_check(self, zoho: ZohoSettings, code: str) -> str:
        """The new refresh token, once Zoho gave it and doctor's Zoho calls passed with it; Stop otherwise.
        The checks read the Zoho and access settings only (the doctor's defaults for access, as on a new install)."""
        settings = Settings(zoho=zoho, slack=SlackSettings(bot_token=Secret(""), signing_secret=None, app_token=None),
                            access=AccessSettings(require_crm_user=self.options.require_crm_user))
        report = doctor.Report(self.term.out)
        self.term.say(words("exchanging", accounts_url=zoho.accounts_url))
        try:
            refresh = asyncio.run(exchange_and_check(settings, code, report))
        except TokenError as exc:
            raise Stop(self._refused(exc, zoho) + "\n" + words("nothing_saved", where=self.where), 1) from None
        if report.failed:
            raise Stop(words("checks_failed", where=self.where,
                             scopes=scopes.zoho_grant_scopes(self.options.require_crm_user)), 1)
        return refresh

    def _refused(self, exc: TokenError, zoho: ZohoSettings) -> str:
        """What Zoho's answer means for this admin, and what to do next."""
        values = {"accounts_url": zoho.accounts_url, "dc": zoho.dc, "message": exc.message or exc.code,
                  "status": f"HTTP {exc.status}: " if exc.status else "", "hosts": dc_hosts(),
                  "set_url": words("accounts_url_set") if self.env.get("ZOHO_ACCOUNTS_URL", "").strip() else ""}
        key = {zerr.INVALID_REFRESH_TOKEN: "refused_code", zerr.INVALID_CLIENT: "refused_client",
               zerr.TOKEN_THROTTLED: "refused_throttled", zerr.TIMEOUT: "refused_unreachable",
               zerr.CONNECTION_ERROR: "refused_unreachable", zerr.INVALID_RESPONSE: "refused_garbled"}
        return words(key.get(exc.code, "refused_other"), **values)

    # --- saving, and after -------------------------------------------------------------------------------------------
    def _save(self, values: dict[str, str]) -> None:
        names = ", ".join(values)
        if self.heroku is not None:
            try:
                self.heroku.config_set(values)
            except HerokuError as exc:
                raise Stop(str(exc) + "\n" + words("nothing_saved_heroku", app=self.heroku.name), 1) from None
            self.saved = True
            self.term.say(words("saved_heroku", names=names, app=self.heroku.name))
            return
        existed = self.path.exists()
        try:
            written = envfile.write(self.path, values)
        except OSError as exc:
            raise Stop(words("env_write_failed", path=self.path, error=type(exc).__name__), 1) from None
        self.saved = True
        self.term.say(words("saved_file", names=names, path=written) + (words("kept_lines") if existed else ""))

    def _next_steps(self, address: str | None) -> None:
        if address is None:
            self.term.say(words("next_socket"))
        elif self.heroku is not None:
            self.term.say(words("next_heroku", app=self.heroku.name))
        else:
            self.term.say(words("next_http", address=address))

    def _doctor(self, values: dict[str, str]) -> int:
        """Run the doctor with the saved settings when asked (the flag, or yes at the prompt)."""
        wanted = self.options.doctor
        if not wanted and self.term.interactive:
            wanted = self._ask(words("ask_doctor"), "y").lower() in ("y", "yes")
        if not wanted:
            if self.heroku is not None:
                self.term.say(words("doctor_later", command=f"heroku run {DOCTOR} --app {self.heroku.name}"))
            elif self.path.resolve() != Path(".env").resolve():
                self.term.say(words("doctor_later_file", command=DOCTOR, path=self.path))
            else:
                self.term.say(words("doctor_later", command=DOCTOR))
            return 0
        if self.heroku is not None:
            settings = {**self.env, **values}
        else:
            settings = {**envfile.read(self.path), **self.env}  # as the bot reads them: the environment wins
        self.term.say()
        return doctor.run(None, env=settings, out=self.term.out)


async def exchange_and_check(settings: Settings, code: str, report: doctor.Report) -> str:
    """Exchange the grant code, then make the doctor's Zoho calls with the new token (no second token request);
    the refresh token. TokenError when Zoho gives none."""
    async with httpx.AsyncClient(timeout=DEFAULT_TIMEOUT, follow_redirects=False) as http:
        token, refresh = await exchange_grant_code(http, settings.zoho, code, time.monotonic())
        settings = replace(settings, zoho=replace(settings.zoho, refresh_token=Secret(refresh)))
        report.out.write(f"{doctor.OK} {words('exchanged', dc=settings.zoho.dc, api_domain=token.api_domain)}\n")
        client = ZohoClient(settings.zoho, http=http)
        client.tokens.adopt(token)
        modules = await doctor.check_modules(client, settings, report)
        await doctor.check_zoho_scopes(client, settings, token, modules, report, settings.access.require_crm_user,
                                       photo_follows=False)
    return refresh


def value_problem(question: Question, value: str) -> str | None:
    """Why `value` cannot be this answer, or None."""
    if not value:
        return words("value_empty", name=question.name)
    if not VALUE.fullmatch(value):
        return words("value_spaces", name=question.name)
    if question.prefix and not value.startswith(question.prefix):
        return words("value_prefix", name=question.name, prefix=question.prefix)
    return None


def dc_hosts() -> str:
    """How to tell the data centre from Zoho CRM's address: crm.zoho.com is us, crm.zoho.eu is eu, …"""
    return ", ".join(f"{dc.crm_web_host} is {dc.key}" for dc in datacentres.DATA_CENTRES)
