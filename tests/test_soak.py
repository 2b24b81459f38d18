"""Soak: 500 commands through the real bot process with random faults upstream.

Every command must end in exactly one outcome (its photo in its channel, or one private explanation),
the bot's memory must stay flat, and no background task may be left behind.
"""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import psutil
import pytest

from bot.fakes.harness import BotProcess, bot_env, command_body, free_port, sign
from bot.fakes.slack import FakeSlack
from bot.fakes.zoho import FakeZoho, Record

ZOHO_FAULTS = ["INTERNAL_ERROR", "TOO_MANY_REQUESTS", "hang-up", "502", "revoke"]
RECORD_FAULTS = ["NO_PERMISSION", "RECORD_LOCKED", "NOT_APPROVED", "INVALID_DATA", "no-photo"]
SLACK_STEPS = ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]


def inject(rng: random.Random, zoho: FakeZoho, slack: FakeSlack, record_id: str) -> None:
    roll = rng.random()
    if roll < 0.15:
        fault = rng.choice(ZOHO_FAULTS)
        if fault == "revoke":
            zoho.revoke_tokens()
        elif fault == "hang-up":
            zoho.fail_next("photo", status=0)
        elif fault == "502":
            zoho.fail_next("photo", status=502, body="<html>bad gateway</html>")
        else:
            zoho.fail_next("photo", code=fault, headers={"Retry-After": "1"})
    elif roll < 0.3:
        fault = rng.choice(RECORD_FAULTS)
        zoho.add_record("Contacts", record_id, Record(content=None) if fault == "no-photo" else Record(error=fault))
    elif roll < 0.45:
        step = rng.choice(SLACK_STEPS)
        kind = rng.choice(["429", "500", "file_uploads_disabled"])
        if kind == "429":
            slack.fail_next(step, "ratelimited", status=429, retry_after=1)
        elif kind == "500":
            slack.fail_next(step, "internal_error", status=500)
        elif step != "upload":
            slack.fail_next(step, kind)


@pytest.mark.slow
def test_soak_500_commands_with_random_faults() -> None:
    rng = random.Random(20261127)
    with FakeZoho(latency=0.02) as zoho, FakeSlack(latency=0.005) as slack:
        env = bot_env(zoho, slack, free_port(), USER_RATE_LIMIT="0", DAILY_ZOHO_BUDGET="0", MAX_IN_FLIGHT="1000")
        with BotProcess(env) as bot:
            assert bot.proc is not None
            process = psutil.Process(bot.proc.pid)
            client = httpx.Client(timeout=10)
            sent: list[tuple[str, str, int]] = []

            def fire(i: int) -> None:
                channel, name, record_id = f"C0SOAK{i:05d}", f"soak{i}", str(100000 + i)
                slack.add_channel(channel)
                inject(rng, zoho, slack, record_id)
                body = command_body(f"Contacts {record_id}", channel=channel, response_url=slack.response_url(name))
                status = client.post(f"{bot.url}/slack/events", content=body, headers=sign(body)).status_code
                sent.append((channel, name, status))

            def run(indices: range) -> None:
                with ThreadPoolExecutor(max_workers=20) as pool:
                    list(pool.map(fire, indices))
                wait_quiet(bot, 90)

            run(range(100))  # warm-up: caches, pools, first allocations
            baseline = process.memory_info().rss
            run(range(100, 500))
            grown = process.memory_info().rss - baseline
            health = client.get(f"{bot.url}/healthz").json()
            client.close()

        outcomes = {}
        uploads = {u["channel_id"] for u in slack.uploads}
        assert len(slack.uploads) == len(uploads)  # never two photos for one command
        replies: dict[str, int] = {}
        for name, _ in slack.responses:
            replies[name] = replies.get(name, 0) + 1
        for channel, name, status in sent:
            assert status == 200
            outcomes[name] = (channel in uploads) + replies.get(name, 0)
    assert len(sent) == 500
    assert sorted(set(outcomes.values())) == [1], {k: v for k, v in outcomes.items() if v != 1}
    assert 0 < len(uploads) < 500  # faults really happened, and photos really went through
    assert (health["status"], health["in_flight"]) == ("ok", 0)
    assert grown < 20 * 1024 * 1024, f"memory grew by {grown / 1e6:.1f} MB over 400 commands"


def wait_quiet(bot: BotProcess, timeout: float) -> None:
    """Until the bot reports no command in flight (each has a 25 s deadline, so this ends)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if httpx.get(f"{bot.url}/healthz").json()["in_flight"] == 0:
            return
        time.sleep(0.1)
    raise AssertionError("commands still in flight")
