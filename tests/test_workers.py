"""WEB_CONCURRENCY workers (bot/workers.py): several processes behind one $PORT (or several Socket Mode
connections) when REDIS_URL is set, one process otherwise; SIGTERM drains every worker; a worker that dies
stops the dyno with a non-zero status."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

import httpx
import pytest

from bot.fakes.harness import BotProcess, bot_env, command_body, free_port, sign
from bot.fakes.slack import FakeSlack
from bot.fakes.socket_mode import APP_TOKEN, FakeSlackSocketMode
from bot.fakes.zoho import FakeZoho
from bot.workers import plan_workers, web_concurrency
from tests.waiting import wait_until

CHANNEL = "C0WORKERS1"
REDIS = "redis://127.0.0.1:1/0"  # never reached on this branch: only whether it is set matters here
IGNORED = "WEB_CONCURRENCY=2 ignored"
WORKER_LINE = re.compile(r"crmphoto worker (\d) \(pid (\d+)\) serving port")


@pytest.fixture
def fakes() -> Iterator[tuple[FakeZoho, FakeSlack]]:
    with FakeZoho() as zoho, FakeSlack() as slack:
        slack.add_channel(CHANNEL)
        yield zoho, slack


def pinned_clients(bot: BotProcess, timeout: float = 15) -> dict[int, httpx.Client]:
    """One keep-alive client per worker pid: a connection stays with the worker that accepted it."""
    clients: dict[int, httpx.Client] = {}
    deadline = time.monotonic() + timeout
    while len(clients) < 2:
        assert time.monotonic() < deadline, f"only pids {sorted(clients)} answered"
        client = httpx.Client(base_url=bot.url, timeout=10)
        pid = client.get("/healthz").json()["pid"]
        if pid in clients:
            client.close()
        else:
            clients[pid] = client
    return clients


def test_web_concurrency_setting() -> None:
    problems: list[str] = []
    assert web_concurrency({}, problems) == 1
    assert web_concurrency({"WEB_CONCURRENCY": "02"}, problems) == 2  # Heroku's buildpack pads its own value
    assert problems == []
    for bad in ("0", "65", "two", "-1", "1.5"):
        web_concurrency({"WEB_CONCURRENCY": bad}, problems)
    assert len(problems) == 5 and all("WEB_CONCURRENCY must be a whole number from 1 to 64" in p for p in problems)


def test_worker_plan() -> None:
    assert plan_workers(2, shared_state=True, socket_mode=False).count == 2
    alone = plan_workers(2, shared_state=False, socket_mode=False)
    assert alone.count == 1 and alone.note is not None and "REDIS_URL is not set" in alone.note
    assert plan_workers(1, shared_state=False, socket_mode=False).note is None
    capped = plan_workers(17, shared_state=True, socket_mode=True)
    assert capped.count == 10 and capped.note is not None and "Socket Mode" in capped.note
    assert plan_workers(17, shared_state=True, socket_mode=False).count == 17


def test_two_workers_serve_one_port_and_both_drain_on_sigterm(fakes) -> None:
    zoho, slack = fakes
    env = bot_env(zoho, slack, free_port(), WEB_CONCURRENCY="2", REDIS_URL=REDIS, SHUTDOWN_GRACE="10")
    with BotProcess(env) as bot:
        assert bot.proc is not None
        clients = pinned_clients(bot)
        assert bot.proc.pid not in clients  # the parent only supervises
        zoho.latency = 1.5
        for n, (pid, client) in enumerate(clients.items()):
            body = command_body(f"Contacts {n + 1}", channel=CHANNEL, response_url=slack.response_url(f"r{n}"))
            assert client.post("/slack/events", content=body, headers=sign(body)).status_code == 200
            assert client.get("/healthz").json() == {"status": "ok", "in_flight": 1, "pid": pid}
        wait_until(lambda: zoho.in_flight >= 2, 5)  # one slow command in flight in each worker
        bot.proc.send_signal(signal.SIGTERM)
        status = bot.proc.wait(timeout=25)
        output = bot.output()
        for client in clients.values():
            client.close()
    assert status == 0, output
    assert sorted(u["initial_comment"].count("Contacts") for u in slack.uploads) == [1, 1]
    assert sorted("Contacts 1" in u["initial_comment"] for u in slack.uploads) == [False, True]
    assert [n for n, _ in slack.responses] == []
    assert output.count('"outcome":"photo"') == 2
    assert output.count("serving port") == 2 and IGNORED not in output
    assert "Traceback" not in output


def test_without_redis_one_process_and_one_line_saying_why(fakes) -> None:
    zoho, slack = fakes
    with BotProcess(bot_env(zoho, slack, free_port(), WEB_CONCURRENCY="2")) as bot:
        assert bot.proc is not None
        pids = {httpx.get(f"{bot.url}/healthz").json()["pid"] for _ in range(10)}
        assert pids == {bot.proc.pid}
        assert bot.stop() == 0
        output = bot.output()
    assert output.count(IGNORED) == 1 and "REDIS_URL is not set" in output
    assert "serving port" not in output


@pytest.mark.parametrize("victim_number", [1, 2])  # each worker's death is seen, not only the first one's
def test_a_worker_that_dies_stops_the_dyno_with_a_failure(fakes, victim_number: int) -> None:
    zoho, slack = fakes
    with BotProcess(bot_env(zoho, slack, free_port(), WEB_CONCURRENCY="2", REDIS_URL=REDIS)) as bot:
        assert bot.proc is not None
        wait_until(lambda: len(WORKER_LINE.findall(bot.output())) == 2, 15)
        pids = {int(n): int(pid) for n, pid in WORKER_LINE.findall(bot.output())}
        victim, survivor = pids[victim_number], pids[3 - victim_number]
        os.kill(victim, signal.SIGKILL)
        started = time.monotonic()
        status = bot.proc.wait(timeout=25)
        stopped_in = time.monotonic() - started
        output = bot.output()
    assert status == 1, output
    assert stopped_in < 10, output
    assert f"worker {victim_number} (pid {victim}) was killed by SIGKILL; stopping the others" in output
    assert f"(pid {survivor}) was" not in output and f"(pid {survivor}) exited" not in output  # stopped cleanly
    with pytest.raises(ProcessLookupError):
        os.kill(survivor, 0)


def test_socket_mode_with_redis_opens_one_connection_per_worker() -> None:
    with FakeZoho() as zoho, FakeSlackSocketMode() as slack:
        env = bot_env(zoho, slack, free_port(), SLACK_APP_TOKEN=APP_TOKEN, WEB_CONCURRENCY="2", REDIS_URL=REDIS)
        del env["SLACK_SIGNING_SECRET"]
        bot = BotProcess(env)
        try:
            bot.start(ready=lambda: slack.call(lambda: len(slack._sockets)) == 2)
            assert bot.proc is not None
            bot.proc.send_signal(signal.SIGTERM)
            status = bot.proc.wait(timeout=20)
        finally:
            bot.stop()
        output = bot.output()
    assert status == 0, output
    assert output.count("crmphoto connected (Socket Mode) as worker") == 2


def test_a_refused_app_token_in_every_worker_stops_with_status_2() -> None:
    with FakeZoho() as zoho, FakeSlackSocketMode(app_token="xapp-1-A0TEST-another-token-dummy") as slack:
        env = bot_env(zoho, slack, free_port(), SLACK_APP_TOKEN=APP_TOKEN, WEB_CONCURRENCY="2", REDIS_URL=REDIS)
        del env["SLACK_SIGNING_SECRET"]
        done = subprocess.run([sys.executable, "-m", "bot"], env=env, cwd=tempfile.gettempdir(),  # noqa: S603
                              capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 2, done.stdout + done.stderr  # no restart can cure it: the admin must act
    assert "Slack refused SLACK_APP_TOKEN (invalid_auth)" in done.stderr
    assert "exited with status 2; stopping the others" in done.stdout


def test_a_stop_before_the_workers_are_ready_is_still_clean(fakes) -> None:
    zoho, slack = fakes
    bot = BotProcess(bot_env(zoho, slack, free_port(), WEB_CONCURRENCY="2", REDIS_URL=REDIS))
    try:
        bot.start(ready=lambda: "HTTP mode, 2 workers" in bot.output())
        assert bot.stop() == 0, bot.output()  # at once: the workers may still be importing
    finally:
        bot.stop()


def test_malformed_web_concurrency_is_a_configuration_error(fakes) -> None:
    zoho, slack = fakes
    env = bot_env(zoho, slack, free_port(), WEB_CONCURRENCY="lots", REDIS_URL=REDIS)
    del env["ZOHO_CLIENT_ID"]
    done = subprocess.run([sys.executable, "-m", "bot"], env=env, cwd=tempfile.gettempdir(),  # noqa: S603
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 2
    assert "crmphoto cannot start" in done.stderr
    assert "WEB_CONCURRENCY must be a whole number from 1 to 64 (got 'lots')" in done.stderr
    assert "ZOHO_CLIENT_ID is missing" in done.stderr  # reported together with the other problems
