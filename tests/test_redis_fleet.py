"""Three real bot processes sharing one Redis, one FakeZoho and one FakeSlack act as one bot."""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from bot.fakes import harness
from bot.fakes.harness import BotProcess, bot_env, command_body, free_port, sign
from bot.fakes.slack import FakeSlack
from bot.fakes.zoho import FakeZoho, Record
from tests.redis_server import RedisServer, redis_server  # noqa: F401
from tests.waiting import wait_until

pytestmark = [pytest.mark.redis, pytest.mark.slow]
_ids = itertools.count(1)
Fleet = tuple[list[BotProcess], FakeZoho, FakeSlack]


@pytest.fixture
def fleet(redis_server: RedisServer) -> Iterator[Callable[..., Fleet]]:  # noqa: F811
    """`fleet(latency=…, processes=3, **env)`: bots on their own ports, sharing Redis and the fakes."""
    with ExitStack() as stack:
        def start(latency: float = 0.0, processes: int = 3, **env: str) -> Fleet:
            zoho = stack.enter_context(FakeZoho(latency=latency))
            slack = stack.enter_context(FakeSlack(bot_token=harness.BOT_TOKEN))
            settings = {"MAX_IN_FLIGHT": "1000", "REDIS_URL": redis_server.url, **env}
            bots = [BotProcess(bot_env(zoho, slack, free_port(), **settings)) for _ in range(processes)]
            for bot in bots:
                stack.enter_context(bot)
            return bots, zoho, slack

        yield start


def fire(bots: list[BotProcess], slack: FakeSlack, count: int, first_id: int = 100000,
         ) -> list[tuple[BotProcess, str, str]]:
    """`count` commands by one person, round-robin over the bots, 20 at a time; (bot, channel, response name).

    Command i asks for `Contacts {first_id + i}`.
    """
    sent: list[tuple[BotProcess, str, str]] = []
    for i in range(count):
        n = next(_ids)
        channel = f"C0FLEET{n:05d}"
        slack.add_channel(channel)
        sent.append((bots[i % len(bots)], channel, f"fleet{n}"))

    def one(item: tuple[int, tuple[BotProcess, str, str]]) -> None:
        i, (bot, channel, name) = item
        body = command_body(f"Contacts {first_id + i}", channel=channel, response_url=slack.response_url(name))
        assert httpx.post(f"{bot.url}/slack/events", content=body, headers=sign(body), timeout=20).status_code == 200

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(one, enumerate(sent)))
    return sent


def audits(bots: list[BotProcess]) -> list[dict[str, Any]]:
    return [line for bot in bots for line in bot.audit_lines()]


def settled(bots: list[BotProcess], sent: list[tuple[BotProcess, str, str]], timeout: float = 60.0,
            ) -> dict[str, list[dict[str, Any]]]:
    """Wait until every command sent has its audit line (the last thing a command does); lines per channel."""
    channels = {channel for _, channel, _ in sent}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        by_channel: dict[str, list[dict[str, Any]]] = {}
        for line in audits(bots):
            if line.get("channel") in channels:
                by_channel.setdefault(line["channel"], []).append(line)
        if len(by_channel) == len(channels):
            return by_channel
        time.sleep(0.05)
    raise AssertionError(f"only {len(by_channel)} of {len(channels)} commands ended")


def one_outcome_each(slack: FakeSlack, sent: list[tuple[BotProcess, str, str]],
                     lines: dict[str, list[dict[str, Any]]]) -> Counter[str]:
    """Every command ended once: one audit line; a delivered one has one upload, any other none. Codes counted."""
    uploads = Counter(u["channel_id"] for u in slack.uploads)
    codes: Counter[str] = Counter()
    for _, channel, _ in sent:
        assert len(lines[channel]) == 1, lines[channel]
        line = lines[channel][0]
        assert uploads[channel] == (1 if line["outcome"] == "photo" else 0), line
        codes[line["code"]] += 1
    return codes


def crm_calls(zoho: FakeZoho) -> int:
    return sum(1 for seen in zoho.seen if seen.path.startswith("/crm/"))


def test_sixty_commands_over_three_processes_refresh_the_token_once(fleet) -> None:
    bots, zoho, slack = fleet(USER_RATE_LIMIT="0")
    sent = fire(bots, slack, 60)
    codes = one_outcome_each(slack, sent, settled(bots, sent))
    assert codes == Counter({"OK": 60})
    assert zoho.token_requests == 1
    assert zoho.module_calls() == 1


def test_one_persons_commands_over_three_processes_share_one_rate_limit(fleet) -> None:
    bots, _, slack = fleet(USER_RATE_LIMIT="10")
    sent = fire(bots, slack, 12)
    codes = one_outcome_each(slack, sent, settled(bots, sent))
    assert codes == Counter({"OK": 10, "RATE_LIMITED": 2})


def test_daily_budget_is_one_budget_for_the_fleet(fleet) -> None:
    bots, zoho, slack = fleet(USER_RATE_LIMIT="0", DAILY_ZOHO_BUDGET="20")
    sent = fire(bots, slack, 60)
    one_outcome_each(slack, sent, settled(bots, sent))
    assert crm_calls(zoho) == 20


def test_zoho_concurrency_cap_is_for_the_fleet(fleet) -> None:
    bots, zoho, slack = fleet(latency=0.2, USER_RATE_LIMIT="0", ZOHO_MAX_CONCURRENCY="5")
    sent = fire(bots, slack, 60)
    codes = one_outcome_each(slack, sent, settled(bots, sent, timeout=120))
    assert codes == Counter({"OK": 60})
    assert zoho.max_in_flight == 5


def test_a_killed_process_gives_its_zoho_slots_back_within_a_lease(fleet, redis_server: RedisServer,  # noqa: F811
                                                                     ) -> None:
    (doomed, survivor), zoho, slack = fleet(processes=2, USER_RATE_LIMIT="0", ZOHO_MAX_CONCURRENCY="4")
    slow = 900000
    for i in range(4):
        zoho.add_record("Contacts", str(slow + i), Record(delay=120.0))
    fire([doomed], slack, 4, first_id=slow)
    with redis_server.client() as r:
        wait_until(lambda: r.keys("crmphoto:*zoho:in-flight"), timeout=10)
        [leases] = r.keys("crmphoto:*zoho:in-flight")
        wait_until(lambda: r.zcard(leases) == 4, timeout=10)  # the four slow photos hold the fleet's four slots
        first = min(score for _, score in r.zrange(leases, 0, -1, withscores=True))
        # Their calls outlive a first renewal: the kill comes when the leases have been extended once.
        wait_until(lambda: min(score for _, score in r.zrange(leases, 0, -1, withscores=True)) > first, timeout=10)
        assert r.zcard(leases) == 4
    assert doomed.proc is not None
    doomed.proc.kill()  # as Heroku does after R14/R15 or 30 s after SIGTERM: nothing is given back
    doomed.proc.wait()
    killed = time.monotonic()

    sent = fire([survivor], slack, 4)
    codes = one_outcome_each(slack, sent, settled([survivor], sent))
    after = sorted(round(u["completed_at"] - killed, 2) for u in slack.uploads
                   if u["channel_id"] in {channel for _, channel, _ in sent})
    assert codes == Counter({"OK": 4}), (codes, after)
    assert len(after) == 4 and after[-1] < 22.0, after
    print(f"photos delivered {after} s after the kill")


def test_redis_lost_mid_run_then_back(fleet, redis_server: RedisServer) -> None:  # noqa: F811
    bots, zoho, slack = fleet(latency=0.05, USER_RATE_LIMIT="0")
    first = fire(bots, slack, 30)
    redis_server.stop()
    during = fire(bots, slack, 30)
    everything = first + during
    codes = one_outcome_each(slack, everything, settled(bots, everything))
    assert codes == Counter({"OK": 60})
    assert all("Redis is unavailable" in bot.output() for bot in bots)

    redis_server.start()
    deadline = time.monotonic() + 30
    while not all("Redis answers again" in bot.output() for bot in bots):
        assert time.monotonic() < deadline, "the bots did not rejoin Redis"
        probe = fire(bots, slack, 3)
        one_outcome_each(slack, probe, settled(bots, probe))
    assert all(bot.output().count("Redis is unavailable") == 1 for bot in bots)  # one warning per outage

    zoho.revoke_tokens()
    zoho.reset_counts()
    after = fire(bots, slack, 30)
    codes = one_outcome_each(slack, after, settled(bots, after))
    assert codes == Counter({"OK": 30})
    assert zoho.token_requests == 1


def test_an_admin_failure_is_posted_once_for_the_fleet(fleet) -> None:
    bots, zoho, slack = fleet(USER_RATE_LIMIT="0")
    zoho.token_error = "invalid_client"
    sent = fire(bots, slack, 9)
    codes = one_outcome_each(slack, sent, settled(bots, sent))
    assert codes == Counter({"INVALID_CLIENT": 9})
    for bot in bots:
        assert bot.stop() == 0  # a clean stop waits for the background alert posts
    alerts = [line for bot in bots for line in bot.output().splitlines() if "admin alert:" in line]
    assert len(alerts) == 1, alerts
