"""A null bot, for calibrating the benchmark: `python -m bench.run --calibrate` runs it in place of the bot.

It does the least any implementation must do, with bare aiohttp: answer the slash command at once, then
make exactly the four calls a photo needs (Zoho's photo, files.getUploadURLExternal, the upload,
files.completeUploadExternal) with one pooled client session, at most ZOHO_MAX_CONCURRENCY Zoho calls at
a time. No signature check, no Bolt, no retries, no access checks. Whatever the benchmark measures for
it is the floor of this harness (the load generator, the fakes' own processing and the overshoot of
their latency sleeps), not a property of crmphoto.

Configured by the same environment as the bot (see `bot.fakes.harness.bot_env`).
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web


class NullBot:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.slots = asyncio.Semaphore(int(env.get("ZOHO_MAX_CONCURRENCY") or 10))
        self.session: aiohttp.ClientSession | None = None
        self.token: tuple[str, str] | None = None
        self.token_lock = asyncio.Lock()
        self.tasks: set[asyncio.Task[None]] = set()

    async def start(self, _app: web.Application) -> None:
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))

    async def stop(self, _app: web.Application) -> None:
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=5)
        if self.session is not None:
            await self.session.close()

    async def _token(self) -> tuple[str, str]:
        assert self.session is not None
        async with self.token_lock:
            if self.token is None:
                form = {"grant_type": "refresh_token", "client_id": self.env["ZOHO_CLIENT_ID"],
                        "client_secret": self.env["ZOHO_CLIENT_SECRET"],
                        "refresh_token": self.env["ZOHO_REFRESH_TOKEN"]}
                async with self.session.post(f"{self.env['ZOHO_ACCOUNTS_URL']}/oauth/v2/token", data=form) as r:
                    body = await r.json(content_type=None)
                self.token = (str(body["access_token"]), str(body["api_domain"]))
            return self.token

    async def work(self, form: dict[str, str]) -> None:
        assert self.session is not None
        module, record_id = (form.get("text", "").split() + ["", ""])[:2]
        token, api_domain = await self._token()
        async with self.slots, self.session.get(f"{api_domain}/crm/v8/{module}/{record_id}/photo",
                                                headers={"Authorization": f"Zoho-oauthtoken {token}"}) as r:
            content = await r.read()
        api = self.env["SLACK_API_URL"]
        auth = {"Authorization": f"Bearer {self.env['SLACK_BOT_TOKEN']}"}
        params = {"filename": f"{module}-{record_id}.jpg", "length": str(len(content))}
        async with self.session.post(f"{api}files.getUploadURLExternal", params=params, headers=auth) as r:
            ticket: dict[str, Any] = await r.json()
        async with self.session.post(ticket["upload_url"], data=content) as r:
            await r.read()
        files = json.dumps([{"id": ticket["file_id"], "title": f"{module} {record_id}"}])
        params = {"files": files, "channel_id": form.get("channel_id", "")}
        async with self.session.post(f"{api}files.completeUploadExternal", params=params, headers=auth) as r:
            await r.read()

    async def events(self, request: web.Request) -> web.Response:
        form = dict(parse_qsl((await request.read()).decode("utf-8")))
        task = asyncio.get_running_loop().create_task(self.work(form))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        module, _, record_id = form.get("text", "").partition(" ")
        return web.json_response({"response_type": "ephemeral", "text": f"Fetching the photo of {module} {record_id}"})

    @staticmethod
    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})


def main() -> None:
    bot = NullBot(dict(os.environ))
    app = web.Application()
    app.on_startup.append(bot.start)
    app.on_cleanup.append(bot.stop)
    app.router.add_post("/slack/events", bot.events)
    app.router.add_get("/healthz", bot.healthz)
    web.run_app(app, host="127.0.0.1", port=int(os.environ["PORT"]), print=None, access_log=None)


if __name__ == "__main__":
    main()
