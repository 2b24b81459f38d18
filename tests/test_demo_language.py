"""The demo page's language picker (issue 18): it sets the stand-in user's Slack locale, which the bot reads from
users.info (include_locale=true), and the next command sees it at once, though the bot keeps users for ten minutes.

The demo is served in this process (the same `build()` as `python -m bot demo`, on a real port, because the page's
endpoints send the bot signed requests over HTTP), so the fake Slack's calls can be counted. The bot's words are
not checked here: they depend on the catalogues, which are translated elsewhere; what is checked is that the
locale reaches users.info's answer and the bot's directory.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn

from bot.demo import server
from bot.fakes.harness import free_port
from tests.waiting import until


class Demo:
    def __init__(self, fakes: server.Fakes, client: httpx.AsyncClient) -> None:
        self.fakes, self.client = fakes, client

    async def pick(self, locale: Any) -> httpx.Response:
        return await self.client.post("/demo/locale", json={"locale": locale})

    async def shown(self) -> dict[str, Any]:
        answer = await self.client.get("/demo/locale")
        assert answer.status_code == 200
        return dict(answer.json())

    def users_info(self) -> list[dict[str, Any]]:
        return [params for method, params in self.fakes.slack.calls if method == "users.info"]

    async def photo(self, text: str) -> None:
        """Type `text` on the page and wait for the photo it shares in the channel."""
        before = len(self.fakes.log.since(0))
        answer = await self.client.post("/demo/command", json={"text": text})
        assert answer.status_code == 200, answer.text
        await until(lambda: any(e["kind"] == "photo" for e in self.fakes.log.since(before)), "the photo", 15)


@asynccontextmanager
async def serving() -> AsyncIterator[Demo]:
    """The demo served in this process on a free port, with a client for its page's endpoints."""
    port = free_port()
    with server.running_fakes() as fakes:
        web = server.build(fakes, port)
        served = uvicorn.Server(uvicorn.Config(web, host=server.HOST, port=port, log_level="warning",
                                               lifespan="on"))
        task = asyncio.create_task(served.serve(sockets=[server.listening_socket(port)]))
        await until(lambda: served.started or task.done(), "the demo listening", 15)
        assert served.started
        try:
            async with httpx.AsyncClient(base_url=f"http://{server.HOST}:{port}", timeout=10) as client:
                yield Demo(fakes, client)
        finally:
            served.should_exit = True
            await task


@pytest.fixture
async def demo() -> AsyncIterator[Demo]:
    async with serving() as running:
        yield running


async def test_the_picker_offers_slacks_six_languages_and_starts_in_english(demo: Demo) -> None:
    shown = await demo.shown()
    assert shown["locale"] == "en-US"
    assert [(lang["code"], lang["name"]) for lang in shown["languages"]] == [
        ("en-US", "English"), ("de-DE", "Deutsch"), ("fr-FR", "Français"), ("es-LA", "Español"),
        ("pt-BR", "Português (Brasil)"), ("ja-JP", "日本語")]


@pytest.mark.parametrize("locale", ["de-DE", "fr-FR", "es-LA", "pt-BR", "ja-JP", "en-US"])
async def test_a_picked_language_is_what_users_info_answers(demo: Demo, locale: str) -> None:
    if locale == "en-US":
        assert (await demo.pick("ja-JP")).status_code == 200  # away from English, so coming back is a change
    answer = await demo.pick(locale)
    assert answer.status_code == 200 and answer.json() == {"ok": True, "locale": locale}
    assert (await demo.shown())["locale"] == locale
    assert demo.users_info()[-1]["include_locale"] in ("true", "1", True)


async def test_the_next_command_after_a_pick_asks_slack_again_and_hears_the_new_locale(demo: Demo) -> None:
    await demo.photo("/crmphoto Contacts 1001")
    first = len(demo.users_info())
    assert first >= 1
    await demo.photo("/crmphoto Contacts 1001")
    assert len(demo.users_info()) == first  # the bot keeps who someone is: a second command does not ask

    assert (await demo.pick("ja-JP")).status_code == 200
    await demo.photo("/crmphoto Contacts 1001")
    assert len(demo.users_info()) == first + 1  # the next command asked Slack again, with include_locale ...
    assert demo.users_info()[-1]["include_locale"] in ("true", "1", True)
    assert (await demo.shown())["locale"] == "ja-JP"  # ... and Slack's answer to that is the picked locale


@pytest.mark.parametrize("body", [{"locale": "xx-XX"}, {"locale": "ja"}, {"locale": ["ja-JP"]}, {"locale": None},
                                  {"locale": 7}, {}, {"language": "ja-JP"}])
async def test_an_unknown_language_gets_a_friendly_error_and_changes_nothing(demo: Demo, body: dict[str, Any]) -> None:
    answer = await demo.client.post("/demo/locale", json=body)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert "not one of the demo's languages" in error and "日本語 (ja-JP)" in error and "English (en-US)" in error
    assert (await demo.shown())["locale"] == "en-US"
    await demo.photo("/crmphoto Contacts 1001")  # and the demo still works


async def test_the_picker_takes_only_json(demo: Demo) -> None:
    answer = await demo.client.post("/demo/locale", data={"locale": "ja-JP"})
    assert answer.status_code == 415
    assert (await demo.shown())["locale"] == "en-US"
