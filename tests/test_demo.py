"""`python -m bot demo` (issue 10): the real bot with a sample CRM and a Slack stand-in, driven over its page's
JSON endpoints as the browser does; plus the safe rendering of Slack text and the sample CRM itself."""

from __future__ import annotations

import html
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import psutil
import pytest

from bot import __main__ as entry
from bot.demo import make_images, render, sample
from bot.demo.process import DemoProcess
from bot.fakes.harness import command_body, sign

Event = dict[str, Any]


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoProcess]:
    with DemoProcess() as running:
        yield running


def say(demo: DemoProcess, text: str) -> int:
    """Type `text` in the page's box; returns the number of the last event before it."""
    before = max((e["id"] for e in demo.events()), default=0)
    answer = httpx.post(f"{demo.url}/demo/command", json={"text": text}, timeout=10)
    assert answer.status_code == 200, answer.text
    return before


def wait_for(demo: DemoProcess, after: int, found: Callable[[list[Event]], bool], timeout: float = 15) -> list[Event]:
    """Poll the events JSON (as the page does) until `found` holds for the events after `after`."""
    deadline = time.monotonic() + timeout
    while True:
        events = demo.events(after)
        if found(events):
            return events
        if time.monotonic() > deadline:
            raise AssertionError(f"not seen in {timeout}s; events: {events}")
        time.sleep(0.05)


def photos(events: list[Event]) -> list[Event]:
    return [e for e in events if e["kind"] == "photo"]


def code_shown(events: list[Event], code: str) -> bool:
    return any(e["kind"] == "private" and f"Code <code>{code}</code>" in e["html"] for e in events)


def test_a_command_shares_the_record_photo_in_the_channel(demo: DemoProcess) -> None:
    after = say(demo, "/crmphoto Contacts 1001")
    events = wait_for(demo, after, lambda es: len(photos(es)) == 1)
    [photo] = photos(events)
    assert photo["title"] == "Ada Lovelace" and "Acme Corp" in photo["html"]
    assert 'Requested by <span class="mention">@you</span>' in photo["html"]  # the mention, by name
    assert events[0] == {**events[0], "kind": "typed", "html": "/crmphoto Contacts 1001"}
    assert any(e["kind"] == "private" and "Contacts 1001" in e["html"] for e in events)  # the ack, privately
    image = httpx.get(demo.url + photo["src"], timeout=5)
    assert image.headers["content-type"] == "image/png"
    assert image.content == (sample.IMAGES / "ada.png").read_bytes()


def test_an_email_finds_the_record_and_shares_its_photo(demo: DemoProcess) -> None:
    after = say(demo, "/crmphoto grace@navy.example")
    [photo] = photos(wait_for(demo, after, lambda es: len(photos(es)) == 1))
    assert photo["title"] == "Grace Hopper" and "Leads" in photo["html"]


@pytest.mark.parametrize(("typed", "code"), [
    ("/crmphoto Widgets 7", "UNKNOWN_MODULE"),
    ("/crmphoto Contacts 1005", "NO_PHOTO"),
    ("/crmphoto Leads 2002", "NOT_APPROVED"),
    ("/crmphoto Accounts 4000000000009", "NO_PERMISSION"),
    ("/crmphoto Contacts abc", "NO_MATCH"),
])
def test_a_record_that_cannot_be_shared_gets_a_private_explanation(demo: DemoProcess, typed: str, code: str) -> None:
    after = say(demo, typed)
    events = wait_for(demo, after, lambda es: code_shown(es, code))
    assert photos(events) == []


def test_a_bad_command_is_explained_in_the_ack(demo: DemoProcess) -> None:
    after = say(demo, "/crmphoto Contacts 10-01")
    events = wait_for(demo, after, lambda es: any(e["kind"] == "private" for e in es))
    [reply] = [e for e in events if e["kind"] == "private"]
    assert "10-01" in reply["html"] and photos(events) == []


def test_the_slack_stand_in_sends_typed_text_escaped_as_slack_does(demo: DemoProcess) -> None:
    """Typing `&amp;` means those five characters: Slack sends them as `&amp;amp;`, so the hint shows them as typed
    (a stand-in that sent them raw would have the bot read `&`)."""
    after = say(demo, "/crmphoto Contacts 10&amp;01")
    events = wait_for(demo, after, lambda es: any(e["kind"] == "private" for e in es))
    [reply] = [e for e in events if e["kind"] == "private"]
    assert "<b>10&amp;amp;01</b> isn&#x27;t a record id" in reply["html"] and photos(events) == []


def test_three_matches_show_buttons_and_a_click_shares_that_one(demo: DemoProcess) -> None:
    after = say(demo, "/crmphoto Jane Doe")
    events = wait_for(demo, after, lambda es: any('class="choice"' in e.get("html", "") for e in es))
    [choices] = [e for e in events if 'class="choice"' in e["html"]]
    buttons = re.findall(r'data-action="([^"]*)" data-block="([^"]*)" data-value="([^"]*)"', choices["html"])
    assert len(buttons) == 3 and "Globex" in choices["html"] and photos(events) == []
    action, block, value = buttons[1]
    clicked = max(e["id"] for e in demo.events())
    answer = httpx.post(f"{demo.url}/demo/click", timeout=10, json={
        "action": action, "block": block, "value": render.html.unescape(value), "message": choices["id"]})
    assert answer.status_code == 200, answer.text
    events = wait_for(demo, clicked, lambda es: len(photos(es)) == 1)
    [photo] = photos(events)
    assert photo["title"] == "Jane Doe" and "Globex" in photo["html"]
    assert any(e.get("replaces") == choices["id"] for e in events)  # "Sharing…" takes the list's place


def test_a_name_only_a_title_mentions_is_a_private_list_of_one(demo: DemoProcess) -> None:
    after = say(demo, "/crmphoto Maria Garcia")
    events = wait_for(demo, after, lambda es: any('class="choice"' in e.get("html", "") for e in es))
    [choices] = [e for e in events if 'class="choice"' in e["html"]]
    assert choices["kind"] == "private" and "One record matches <b>Maria Garcia</b>" in choices["html"]
    assert "Sam Rivera" in choices["html"] and "Assistant to Maria Garcia" in choices["html"]
    buttons = re.findall(r'data-action="([^"]*)" data-block="([^"]*)" data-value="([^"]*)"', choices["html"])
    assert len(buttons) == 1 and photos(events) == []
    action, block, value = buttons[0]
    clicked = max(e["id"] for e in demo.events())
    answer = httpx.post(f"{demo.url}/demo/click", timeout=10, json={
        "action": action, "block": block, "value": render.html.unescape(value), "message": choices["id"]})
    assert answer.status_code == 200, answer.text
    [photo] = photos(wait_for(demo, clicked, lambda es: len(photos(es)) == 1))
    assert photo["title"] == "Sam Rivera" and "sam@acme.example" not in photo["html"]


def test_the_bot_checks_signatures_with_a_secret_made_at_start(demo: DemoProcess) -> None:
    body = command_body("Contacts 1001", channel="C0DEMO0001", user="U0YOU")
    unsigned = httpx.post(f"{demo.url}/slack/events", content=body,
                          headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=5)
    known_secret = httpx.post(f"{demo.url}/slack/events", content=body, headers=sign(body), timeout=5)
    assert unsigned.status_code == 401 and known_secret.status_code == 401


def test_the_page_endpoints_take_only_json(demo: DemoProcess) -> None:
    form = httpx.post(f"{demo.url}/demo/command", data={"text": "/crmphoto Contacts 1001"}, timeout=5)
    assert form.status_code == 415


def test_a_typed_message_is_shown_escaped(demo: DemoProcess) -> None:
    after = say(demo, "<img src=x onerror=alert(1)> & *hi*")
    [event] = wait_for(demo, after, lambda es: len(es) == 1)
    assert event["kind"] == "message" and "<img" not in event["html"]
    assert event["html"] == "&lt;img src=x onerror=alert(1)&gt; &amp; <b>hi</b>"


def test_another_slash_command_is_not_sent_to_the_bot(demo: DemoProcess) -> None:
    after = say(demo, "/giphy cats")
    odd = say(demo, "/<b>x</b> y")
    events = demo.events(after)  # a bot's ack would already be here: the page's request waits for it
    assert [e["kind"] for e in events] == ["typed", "private"] * 2
    assert "<code>/giphy</code> is not a command" in events[1]["html"]
    assert "<code>/&lt;b&gt;x&lt;/b&gt;</code> is not a command" in demo.events(odd)[1]["html"]


def test_open_in_zoho_crm_leads_to_a_local_page_saying_what_it_would_open(demo: DemoProcess) -> None:
    after = say(demo, "/crmphoto Contacts 1001")
    [photo] = photos(wait_for(demo, after, lambda es: len(photos(es)) == 1))
    [href] = re.findall(r'href="([^"]*)"[^>]*>Open in Zoho CRM<', photo["html"])
    assert href.startswith(render.CRM_PAGE + "?")  # on this machine, not crm.zoho.com
    page = httpx.get(demo.url + html.unescape(href), timeout=5)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = re.sub(r"<[^>]+>", "", page.text)
    assert "this link opens the record Contacts 1001 (Ada Lovelace) in your company's Zoho CRM" in text
    assert "https://crm.zoho.com/crm/org7000001/tab/Contacts/1001" in text
    assert not re.findall(r'href="https?://', page.text)  # nothing on it leads to Zoho


@pytest.mark.parametrize("url", ["https://crm.zoho.com/crm/org1/tab/Contacts/999999", "<script>alert(1)</script>", ""])
def test_the_local_crm_page_takes_any_address_and_shows_it_as_text(demo: DemoProcess, url: str) -> None:
    page = httpx.get(f"{demo.url}{render.CRM_PAGE}", params={"url": url}, timeout=5)
    assert page.status_code == 200
    assert "<script>" not in page.text and "Back to the demo channel" in page.text
    if "999999" in url:
        assert "Contacts 999999</b> in your company" in page.text  # a record the sample CRM lacks: no name
    else:
        assert "opens this address in Zoho CRM" in page.text


def test_the_page_and_its_help_are_served(demo: DemoProcess) -> None:
    page = httpx.get(demo.url + "/", timeout=5)
    assert page.status_code == 200 and '<form id="composer"' in page.text and "/static/app.js" in page.text
    for asset in ("/static/app.js", "/static/style.css"):
        assert httpx.get(demo.url + asset, timeout=5).status_code == 200
    tried = [t["text"] for t in httpx.get(demo.url + "/demo/try", timeout=5).json()["try"]]
    assert "/crmphoto Widgets 7" in tried and "/crmphoto Jane Doe" in tried and "/crmphoto Maria Garcia" in tried


@pytest.mark.parametrize(("typed", "title"), [
    ("/crmphoto +1 555 010 0203", "Linus Torvalds"),  # found by phone number
    ("/crmphoto https://crm.zoho.com/crm/org7000001/tab/Leads/2001", "Grace Hopper"),  # a pasted link
])
def test_things_to_try_show_every_way_to_find_someone(demo: DemoProcess, typed: str, title: str) -> None:
    assert typed in [t for t, _ in sample.TRY]
    after = say(demo, typed)
    [photo] = photos(wait_for(demo, after, lambda es: len(photos(es)) == 1))
    assert photo["title"] == title


def test_it_prints_the_address_and_listens_only_on_loopback(demo: DemoProcess) -> None:
    assert f"open http://127.0.0.1:{demo.port}/ in a browser" in demo.output()
    assert demo.proc is not None
    listening = [c.laddr for c in psutil.Process(demo.proc.pid).net_connections("inet") if c.status == "LISTEN"]
    assert len(listening) == 3  # the bot and page, the sample CRM, the Slack stand-in
    assert {addr.ip for addr in listening} == {"127.0.0.1"}


def test_it_stops_cleanly_on_sigterm() -> None:
    running = DemoProcess().start()
    try:
        assert running.stop() == 0
    finally:
        running.__exit__()


def test_a_port_in_use_is_reported_and_no_address_is_offered() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        running = DemoProcess(port=taken.getsockname()[1])
        with pytest.raises(RuntimeError, match="is in use") as failed:
            running.start()
        running.__exit__()
    assert "open http" not in str(failed.value)


@pytest.mark.parametrize("flag", [True, False])
def test_a_busy_port_exits_at_once_naming_a_free_port_to_try(flag: bool) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ZOHO_"))}, "PORT": str(port)}
        args = ["--port", str(port)] if flag else []
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "bot", "demo", *args], env=env, capture_output=True, text=True,
                              timeout=60, cwd=tempfile.gettempdir())
        took = time.monotonic() - started
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout and done.stdout == ""
    said = re.fullmatch(rf"port {port} is in use: try `python -m bot demo --port ([0-9]+)`\n", done.stderr)
    assert said, done.stderr
    with socket.socket() as other:
        other.bind(("127.0.0.1", int(said.group(1))))  # the port it offers was free
    assert took < 30, took  # before the sample CRM and Slack stand-in start, not after a timeout


def test_the_port_comes_from_port_when_no_flag_gives_it() -> None:
    with DemoProcess(flag=False) as demo:  # healthy on the port PORT names: nothing else was said
        assert demo.args == ("demo",)
        assert f"open http://127.0.0.1:{demo.port}/" in demo.output()


def test_the_port_flag_wins_over_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with DemoProcess(env_port=str(taken.getsockname()[1])) as demo:  # PORT is busy; --port is free
            assert f"open http://127.0.0.1:{demo.port}/" in demo.output()


@pytest.mark.parametrize("value", ["abc", "0", "70000", "３０００"])
def test_a_port_that_is_no_port_is_bad_usage(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                              value: str) -> None:
    monkeypatch.setenv("PORT", value)
    assert entry.main(["demo"]) == 2
    assert f"PORT must be a port from 1 to 65535 (got {value!r})" in capsys.readouterr().err


def test_a_real_deployment_without_settings_stops_and_never_falls_back_to_the_demo(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    for name in list(__import__("os").environ):
        if name.startswith(("SLACK_", "ZOHO_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    assert entry.main([]) == 2
    err = capsys.readouterr().err
    assert "SLACK_BOT_TOKEN is missing" in err and "ZOHO_CLIENT_ID is missing" in err
    assert "crmphoto demo:" not in err  # it did not start the demo: it says how to
    assert err.rstrip("\n").splitlines()[-1] == (
        "No settings yet? `python -m bot demo` tries crmphoto without any, and `python -m bot setup` makes them.")


def test_the_demo_port_must_be_a_port() -> None:
    assert entry.main(["demo", "--port", "70000"]) == 2


# --- rendering Slack text safely ------------------------------------------------------------------------

def test_mrkdwn_links_mentions_and_styles_become_safe_html() -> None:
    text = "*<https://example.com/a?b=1&amp;c=2|Jane &lt;b&gt;>* · Requested by <@U0YOU> :mag: `x` _y_"
    assert render.mrkdwn(text) == (
        '<b><a href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">'
        "Jane &lt;b&gt;</a></b> · Requested by <span class=\"mention\">@U0YOU</span> \U0001f50d <code>x</code> <i>y</i>"
    )


@pytest.mark.parametrize("url", [
    "https://crm.zoho.com/crm/org1/tab/Contacts/1001",
    "https://crm.zoho.eu/crm/tab/Leads/2001?x=1&y=2",
    "https://crm.zohocloud.ca/crm/org1/tab/Contacts/1",
    "http://crm.zoho.com/",
])
def test_a_zoho_crm_link_leads_to_the_demos_own_page(url: str) -> None:
    out = render.mrkdwn(f"<{url.replace('&', '&amp;')}|Open in Zoho CRM>")
    [href] = re.findall(r'href="([^"]*)"', out)
    assert href == html.escape(f"{render.CRM_PAGE}?{urlencode({'url': url})}", quote=True)
    assert "zoho" not in href.split("?")[0] and ">Open in Zoho CRM</a>" in out


def test_other_links_and_odd_ones_are_left_alone() -> None:
    assert 'href="https://example.com/crm"' in render.mrkdwn("<https://example.com/crm|x>")
    assert 'href="mailto:a@crm.zoho.com"' in render.mrkdwn("<mailto:a@crm.zoho.com|a>")
    assert render.mrkdwn("<http://[::1|v6>") == "http://[::1|v6"  # not a URL: shown as text, no exception


def test_a_mention_shows_the_name_when_known_and_escaped() -> None:
    assert render.mrkdwn("<@U1> <@U2>", {"U1": "<b>Al</b>"}) == (
        '<span class="mention">@&lt;b&gt;Al&lt;/b&gt;</span> <span class="mention">@U2</span>')


@pytest.mark.parametrize("text", [
    "<javascript:alert(1)|click>", '<https://x.io/"onmouseover="alert(1)|x>', "&lt;script&gt;alert(1)&lt;/script&gt;",
    "\x000\x00 <https://x.io|y>",
])
def test_mrkdwn_never_lets_markup_or_scripts_through(text: str) -> None:
    out = render.mrkdwn(text)
    assert set(re.findall(r"</?([a-z]+)", out)) <= {"a", "b", "i", "code", "span", "br"}
    assert all(href.startswith("https://") for href in re.findall(r'href="([^"]*)"', out))
    assert "onmouseover=" not in out.replace("&quot;onmouseover=&quot;", "") and "\x00" not in out


def test_buttons_carry_their_value_escaped() -> None:
    blocks = [{"type": "section", "block_id": "b0", "text": {"type": "mrkdwn", "text": "Jane"},
               "accessory": {"type": "button", "action_id": "crmphoto_share", "value": '{"a":"<x>"}',
                             "text": {"type": "plain_text", "text": "Share photo"}}}]
    assert 'data-value="{&quot;a&quot;:&quot;&lt;x&gt;&quot;}"' in render.blocks(blocks)


# --- the sample CRM -------------------------------------------------------------------------------------

def test_the_sample_crm_covers_every_case_the_help_promises() -> None:
    records = sample.records()
    assert len(records) >= 8 and {m for m, _, _ in records} == {"Contacts", "Leads", "Accounts"}
    errors = {r.error for _, _, r in records}
    assert {"NOT_APPROVED", "NO_PERMISSION"} <= errors
    assert any(r.content is None and r.error is None for _, _, r in records)
    assert sum(r.fields.get("Full_Name") == "Jane Doe" for _, _, r in records) == 3
    # `/crmphoto Maria Garcia`: one record mentions her in its title, and nobody has her name
    assert [r.fields["Full_Name"] for _, _, r in records if "Maria Garcia" in r.fields.get("Title", "")] == [
        "Sam Rivera"]
    assert not any(r.fields.get("Full_Name") == "Maria Garcia" for _, _, r in records)
    for _, _, record in records:
        assert record.fields.get("Full_Name") or record.fields.get("Account_Name")


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    assert zlib.crc32(data[12:29]) & 0xFFFFFFFF == struct.unpack(">I", data[29:33])[0]
    return struct.unpack(">II", data[16:24])


def test_the_sample_photos_are_the_generated_pngs(tmp_path: Path) -> None:
    for path in make_images.write_all(tmp_path):
        committed = sample.IMAGES / path.name
        assert committed.read_bytes() == path.read_bytes(), f"{committed} differs from what make_images draws"
        assert _png_size(path.read_bytes()) == (96, 96) and path.stat().st_size < 4096


@pytest.mark.parametrize("after", ["²", "٨", "-1", "x"])
def test_odd_positions_in_the_events_query_read_as_the_start(demo: DemoProcess, after: str) -> None:
    answer = httpx.get(f"{demo.url}/demo/events", params={"after": after}, timeout=10)
    assert answer.status_code == 200 and "events" in answer.json()
