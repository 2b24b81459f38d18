"""The Heroku CLI, as `python -m bot setup --heroku-app APP` uses it: the app's address, and its config vars.

Secrets go to `heroku config:set` as arguments of the program itself (an argument list, never a shell), so they
land in no shell history; what the CLI prints is captured and never shown, since `config:set` prints every value
it set (heroku/cli, src/commands/config/set.ts). Its error lines are shown with any value we sent blanked out.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Mapping

from bot import messages

APP_NAME = re.compile(r"[a-z][a-z0-9-]{1,29}", re.ASCII)  # Heroku's rule for app names
INFO_TIMEOUT = 60.0
SET_TIMEOUT = 120.0
SECRET_LENGTH = 8  # shorter values (a data centre key, true) are settings, not secrets: left readable in errors


class HerokuError(Exception):
    """The CLI is missing or refused; the message says what to do."""


class HerokuApp:
    """One Heroku app, reached through the `heroku` program on PATH."""

    def __init__(self, name: str) -> None:
        if not APP_NAME.fullmatch(name):
            raise HerokuError(messages.setup_words("heroku_bad_name", app=name))
        self.name = name

    def _cli(self) -> str:
        found = shutil.which("heroku")
        if found is None:
            raise HerokuError(messages.setup_words("heroku_missing"))
        return found

    def _run(self, args: list[str], timeout: float, hide: tuple[str, ...] = ()) -> str:
        """Run `heroku ARGS`; its output, or HerokuError with its last error line (values in `hide` blanked)."""
        try:
            done = subprocess.run(  # noqa: S603 - a fixed program and an argument list: no shell, nothing to inject
                [self._cli(), *args], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise HerokuError(messages.setup_words("heroku_failed", app=self.name, command=args[0],
                                                   error=f"no answer in {int(timeout)} s")) from None
        except OSError as exc:
            raise HerokuError(messages.setup_words("heroku_failed", app=self.name, command=args[0],
                                                   error=type(exc).__name__)) from None
        if done.returncode != 0:
            lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
            error = lines[-1] if lines else f"exit status {done.returncode}"
            for value in hide:
                error = error.replace(value, "…")
            raise HerokuError(messages.setup_words("heroku_failed", app=self.name, command=args[0],
                                                   error=error[:300]))
        return done.stdout

    def web_url(self) -> str:
        """The app's public address (`heroku apps:info --json`: app.web_url); it also proves the CLI is logged in
        and can see the app, before any grant code is spent."""
        output = self._run(["apps:info", "--app", self.name, "--json"], INFO_TIMEOUT)
        try:
            url = json.loads(output)["app"]["web_url"]
        except (ValueError, KeyError, TypeError):
            url = None
        if not isinstance(url, str) or not url.startswith("https://"):
            raise HerokuError(messages.setup_words("heroku_failed", app=self.name, command="apps:info",
                                                   error="its answer named no https web_url"))
        return url.rstrip("/")

    def config_set(self, values: Mapping[str, str]) -> None:
        """`heroku config:set --app APP NAME=value …` (the app restarts with them); nothing it prints is shown."""
        pairs = [f"{name}={value}" for name, value in values.items()]
        secrets = tuple(value for value in values.values() if len(value) >= SECRET_LENGTH)
        self._run(["config:set", "--app", self.name, *pairs], SET_TIMEOUT, hide=secrets)
