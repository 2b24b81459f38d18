"""`python -m bot demo`: the real bot, a sample CRM and a Slack stand-in, on 127.0.0.1, in a browser.

Nothing here replaces the bot: `create_app` and `create_web_app` are the ones `python -m bot` serves, with
settings pointing at FakeZoho (the sample CRM) and FakeSlack (the Web API the real slack_sdk client calls).
The page posts what the person types to `/demo/command`; that becomes a slash-command request signed with a
secret made at start-up and sent over HTTP to the bot's own `/slack/events`, exactly as Slack would send it
(Slack docs "Verifying requests from Slack", "Implementing slash commands"). Button clicks become signed
`block_actions` payloads the same way, and "Show CRM photo" on a message in the channel (its "⋮" menu, as Slack
shows message shortcuts) a signed `message_action` payload with that message's ts and text. Replies to the
response_url and photo uploads land in FakeSlack, whose hooks feed the page's event log, which the page polls;
a photo uploaded into a message's thread is drawn in that thread. Text without a leading `/` is a plain message.
"""

from __future__ import annotations

import errno
import json
import logging
import mimetypes
import secrets
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.background import Background
from bot.config import load_settings
from bot.demo import render
from bot.demo.channel import ChannelLog
from bot.demo.sample import MESSAGES, TRY, populate
from bot.escapes import escape
from bot.fakes import zoho as fz
from bot.fakes.harness import block_actions_body, command_body, message_shortcut_body, sign
from bot.fakes.slack import TEAM_ID, FakeSlack
from bot.fakes.zoho import FakeZoho
from bot.identifiers import MAX_TEXT
from bot.request import BadInput, parse_link
from bot.slack.app import assemble
from bot.slack.client import build_client
from bot.slack.directory import SlackDirectory
from bot.slack.server import _stop_signals_noted, create_web_app
from bot.zoho import ZohoClient

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
STATIC = Path(__file__).with_name("static")
CHANNEL = "C0DEMO0001"
CHANNEL_NAME = "sales"
USER = "U0YOU"
COLLEAGUE = "U0PRIYA"  # who posted the sample's messages (sample.MESSAGES)
COMMAND = "/crmphoto"
# The stand-in's answer to another slash command. Slack says "Messages that start with a slash (/) are commands"
# (api.slack.com "Slash Commands"); its exact words for an unknown one are not documented, so these are the demo's.
NOT_A_COMMAND = "`{}` is not a command in this demo workspace: only `/crmphoto` is installed here."
TOO_LONG = f"That is longer than a Slack message may be ({MAX_TEXT:,} characters); send a shorter one."
NO_SUCH_MESSAGE = ("There is no such message in #sales: choose More actions (⋮) on a message in the channel, "
                   "then Show CRM photo.")
# The page's language picker: the stand-in's Slack language, in Slack's own locale codes (FACTS.md), one per
# language crmphoto speaks (bot.i18n.LANGUAGES), each named in itself as Slack's own language menu does.
LANGUAGES = {"en-US": "English", "de-DE": "Deutsch", "fr-FR": "Français", "es-LA": "Español",
             "pt-BR": "Português (Brasil)", "ja-JP": "日本語"}


@dataclass
class Fakes:
    zoho: FakeZoho
    slack: FakeSlack
    log: ChannelLog


@contextmanager
def running_fakes() -> Iterator[Fakes]:
    """The sample CRM and the Slack stand-in, with the demo channel and the demo user, until the block ends."""
    channel = ChannelLog(CHANNEL, names={USER: "you", COLLEAGUE: "priya"})
    with FakeZoho() as zoho, FakeSlack(bot_token="xoxb-demo-" + secrets.token_hex(8)) as slack:
        populate(zoho)
        slack.add_channel(CHANNEL)
        stand_in(slack, "en-US")
        slack.add_user(COLLEAGUE, team_id=TEAM_ID, name="priya", real_name="Priya")
        for text in MESSAGES:
            channel.said(text, COLLEAGUE)
        slack.on_upload = channel.on_upload
        slack.on_response = channel.on_response
        yield Fakes(zoho, slack, channel)


def stand_in(slack: FakeSlack, locale: str) -> None:
    """The person using the page, as Slack's users.info describes them: `locale` is their Slack language."""
    slack.add_user(USER, team_id=TEAM_ID, name="you", real_name="You", locale=locale)


def demo_env(fakes: Fakes, port: int, signing_secret: str) -> dict[str, str]:
    """Settings as `python -m bot` would read them, all pointing at this machine; nothing from the real environment."""
    return {
        "PORT": str(port),
        "SLACK_BOT_TOKEN": fakes.slack.bot_token,
        "SLACK_SIGNING_SECRET": signing_secret,
        "SLACK_API_URL": fakes.slack.api_url,
        "ZOHO_CLIENT_ID": fz.CLIENT_ID,
        "ZOHO_CLIENT_SECRET": fz.CLIENT_SECRET,
        "ZOHO_REFRESH_TOKEN": fz.REFRESH_TOKEN,
        "ZOHO_ACCOUNTS_URL": fakes.zoho.url,
        "USER_RATE_LIMIT": "30",
        "SEARCH_MODULES": "Contacts,Leads",
    }


class DemoRoutes:
    """The page and its endpoints, next to the bot's own routes."""

    def __init__(self, fakes: Fakes, port: int, signing_secret: str, directory: SlackDirectory) -> None:
        self.fakes = fakes
        self.directory = directory
        self.events_url = f"http://{HOST}:{port}/slack/events"
        self._secret = signing_secret
        self._names = count(1)

    def routes(self) -> list[Route | Mount]:
        return [
            Route("/", self.index, methods=["GET"]),
            Route("/demo/try", self.try_these, methods=["GET"]),
            Route("/demo/events", self.events, methods=["GET"]),
            Route("/demo/files/{file_id}", self.file, methods=["GET"]),
            Route(render.CRM_PAGE, self.crm_link, methods=["GET"]),
            Route("/demo/command", self.command, methods=["POST"]),
            Route("/demo/click", self.click, methods=["POST"]),
            Route("/demo/shortcut", self.shortcut, methods=["POST"]),
            Route("/demo/locale", self.locale, methods=["GET"]),
            Route("/demo/locale", self.pick_locale, methods=["POST"]),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ]

    async def index(self, _: Request) -> Response:
        return FileResponse(STATIC / "index.html")

    async def try_these(self, _: Request) -> Response:
        return JSONResponse({"channel": CHANNEL_NAME, "try": [{"text": t, "shows": s} for t, s in TRY]})

    async def events(self, request: Request) -> Response:
        after = request.query_params.get("after", "0")
        return JSONResponse({"events": self.fakes.log.since(int(after) if after.isascii() and after.isdigit() else 0)})

    async def file(self, request: Request) -> Response:
        found = self.fakes.log.file(request.path_params["file_id"])
        if found is None:
            return Response("no such file", status_code=404)
        filename, content = found
        kind = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        return Response(content, media_type=kind, headers={"X-Content-Type-Options": "nosniff"})

    async def crm_link(self, request: Request) -> Response:
        """Where an "Open in Zoho CRM" link leads in the demo: what it would open (the sample CRM has no pages)."""
        url = request.query_params.get("url", "")
        parsed = parse_link(url)
        if isinstance(parsed, BadInput):
            return HTMLResponse(render.crm_link_page(url, "", ""))
        found = self.fakes.zoho.records.get((parsed.module, parsed.record_id))
        fields = found.fields if found is not None else {}
        name = fields.get("Full_Name") or fields.get("Account_Name")  # a person's, or an account's own name
        return HTMLResponse(render.crm_link_page(url, f"{parsed.module} {parsed.record_id}",
                                                 name if isinstance(name, str) else ""))

    async def command(self, request: Request) -> Response:
        payload = await _json(request)
        if payload is None:
            return JSONResponse({"error": "send JSON"}, status_code=415)
        text = str(payload.get("text", "")).strip()
        if not text:
            return JSONResponse({"ok": True})
        if len(text) > MAX_TEXT:
            return JSONResponse({"error": TOO_LONG}, status_code=400)
        if not text.startswith("/"):
            self.fakes.log.said(text, USER)
            return JSONResponse({"ok": True})
        name, _, rest = text.partition(" ")
        self.fakes.log.typed(text)
        if name != COMMAND:
            self.fakes.log.private({"text": NOT_A_COMMAND.format(escape(name.replace("`", "'")))})
            return JSONResponse({"ok": True})
        reply_to = f"command-{next(self._names)}"
        body = command_body(rest.strip(), channel=CHANNEL, user=USER, channel_name=CHANNEL_NAME,
                            response_url=self.fakes.slack.response_url(reply_to))
        return await self._to_bot(body)

    async def click(self, request: Request) -> Response:
        payload = await _json(request)
        if payload is None:
            return JSONResponse({"error": "send JSON"}, status_code=415)
        message = payload.get("message")
        reply_to = f"click-{next(self._names)}"
        self.fakes.log.expect_reply(reply_to, message if isinstance(message, int) else None)
        body = block_actions_body(
            value=str(payload.get("value", "")), action_id=str(payload.get("action", "")),
            block_id=str(payload.get("block", "")), channel=CHANNEL, user=USER,
            response_url=self.fakes.slack.response_url(reply_to),
        )
        return await self._to_bot(body)

    async def shortcut(self, request: Request) -> Response:
        """"Show CRM photo" on message event `message`: the payload Slack sends for it, with that message's ts."""
        payload = await _json(request)
        if payload is None:
            return JSONResponse({"error": "send JSON"}, status_code=415)
        number = payload.get("message")
        message = self.fakes.log.message(number) if type(number) is int else None  # not True, 1.0 or "1"
        if message is None:
            return JSONResponse({"error": NO_SUCH_MESSAGE}, status_code=400)
        reply_to = f"shortcut-{next(self._names)}"
        body = message_shortcut_body(message.text, channel=CHANNEL, user=USER, author=message.author, ts=message.ts,
                                     response_url=self.fakes.slack.response_url(reply_to))
        return await self._to_bot(body)

    async def locale(self, _: Request) -> Response:
        """The languages to pick from, and the stand-in's as Slack's users.info answers it (asked as the bot asks)."""
        slack = build_client(self.fakes.slack.bot_token, self.fakes.slack.api_url, 10)
        answer = await slack.users_info(user=USER, include_locale=True)
        return JSONResponse({"locale": (answer.get("user") or {}).get("locale"),
                             "languages": [{"code": code, "name": name} for code, name in LANGUAGES.items()]})

    async def pick_locale(self, request: Request) -> Response:
        """The picker: the stand-in's Slack language becomes `locale`, from the next command on.

        The bot keeps what users.info said for ten minutes; the demo tells its directory to forget the stand-in,
        so the next command asks Slack again (a real user's change reaches the bot within those ten minutes).
        """
        payload = await _json(request)
        if payload is None:
            return JSONResponse({"error": "send JSON"}, status_code=415)
        locale = payload.get("locale")
        if not isinstance(locale, str) or locale not in LANGUAGES:
            choices = ", ".join(f"{name} ({code})" for code, name in LANGUAGES.items())
            return JSONResponse({"error": f"That is not one of the demo's languages; pick one of {choices}."},
                                status_code=400)
        stand_in(self.fakes.slack, locale)
        self.directory.forget_user(USER)
        return JSONResponse({"ok": True, "locale": locale})

    async def _to_bot(self, body: bytes) -> Response:
        """Send a signed request to the bot's /slack/events; its ack, if it says anything, is a private reply."""
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.post(self.events_url, content=body, headers=sign(body, self._secret))
        if answer.status_code != 200:
            return JSONResponse({"error": f"the bot answered HTTP {answer.status_code}"}, status_code=502)
        if answer.content:
            ack = answer.json()
            if ack.get("text") or ack.get("blocks"):
                self.fakes.log.private(ack)
        return JSONResponse({"ok": True})


async def _json(request: Request) -> dict[str, Any] | None:
    """The body as a JSON object; only JSON is taken, so a plain cross-site form cannot post here."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return None
    try:
        value = json.loads(await request.body())
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def build(fakes: Fakes, port: int) -> Starlette:
    """The bot's own web app (same Bolt app, same pipeline) with the demo page's routes added."""
    secret = secrets.token_hex(32)
    settings = load_settings(demo_env(fakes, port, secret))
    zoho = ZohoClient(settings.zoho)
    background = Background()
    bot = assemble(settings, zoho, background)
    web = create_web_app(bot.app, background, zoho, settings.access.shutdown_grace)
    web.router.routes.extend(DemoRoutes(fakes, port, secret, bot.directory).routes())
    return web


class _AnnouncingServer(uvicorn.Server):
    """uvicorn's server, saying where to point the browser only once it really listens there."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            host, port = self.config.host, self.config.port
            print(f"crmphoto demo: open http://{host}:{port}/ in a browser (Ctrl-C to stop).", flush=True)
            print("Sample CRM and Slack stand-in on this machine only; no settings, accounts or network used.",
                  flush=True)


def run(port: int) -> int:
    """Serve the demo on 127.0.0.1:`port` until Ctrl-C or SIGTERM (exit status 0), or say at once that the port
    cannot be had and which one to try instead (exit status 1)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    try:
        sock = listening_socket(port)
    except OSError as exc:
        print(cannot_listen(port, exc), file=sys.stderr)
        return 1
    with sock, running_fakes() as fakes:  # the port is ours before anything starts: no half-started demo
        web = build(fakes, port)
        config = uvicorn.Config(web, host=HOST, port=port, log_level="warning", access_log=False, lifespan="on",
                                timeout_graceful_shutdown=3)
        with _stop_signals_noted():  # a clean stop on Ctrl-C or SIGTERM exits 0, as `python -m bot` does
            _AnnouncingServer(config).run(sockets=[sock])
    return 0


def listening_socket(port: int) -> socket.socket:
    """A socket bound to 127.0.0.1:`port` for uvicorn to serve on; OSError when the port cannot be had."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn's own: not a port someone listens on
        sock.bind((HOST, port))
    except OSError:
        sock.close()
        raise
    return sock


def cannot_listen(port: int, error: OSError) -> str:
    """Why the demo did not start, and the command to run instead (with a port free right now, when one is)."""
    free = next((p for p in range(port + 1, min(port + 100, 65535) + 1) if _free(p)), None)
    instead = f"try `python -m bot demo --port {free}`" if free else "choose another with `python -m bot demo --port N`"
    if error.errno == errno.EADDRINUSE:
        return f"port {port} is in use: {instead}"
    return f"cannot listen on port {port} ({error.strerror or error}): {instead}"


def _free(port: int) -> bool:
    try:
        listening_socket(port).close()
    except OSError:
        return False
    return True
