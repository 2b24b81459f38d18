"""The admin's controls as units: allow-lists, guests and outsiders, rate limit, daily budget, settings."""

from __future__ import annotations

import pytest

from bot import access
from bot.access import Gate, person_refusal
from bot.config import AccessSettings, ConfigError, load_settings
from bot.limits import ByteBudget, DailyBudget, SlidingWindowLimiter
from tests.clock import Clock


def test_nothing_is_restricted_by_default() -> None:
    gate = Gate(AccessSettings())
    assert gate.check_request("T1", "C1", "U1") is None
    assert gate.module_allowed("Contacts")


@pytest.mark.parametrize(
    ("settings", "request_", "code"),
    [
        (AccessSettings(team_ids=frozenset({"T1"})), ("T2", "C1", "U1"), access.TEAM_NOT_ALLOWED),
        (AccessSettings(channel_ids=frozenset({"C1"})), ("T1", "C2", "U1"), access.CHANNEL_NOT_ALLOWED),
        (AccessSettings(user_ids=frozenset({"U1"})), ("T1", "C1", "U2"), access.USER_NOT_ALLOWED),
        (AccessSettings(team_ids=frozenset({"T1"}), channel_ids=frozenset({"C1"}), user_ids=frozenset({"U1"})),
         ("T1", "C1", "U1"), None),
    ],
)
def test_allow_lists(settings: AccessSettings, request_: tuple[str, str, str], code: str | None) -> None:
    assert Gate(settings).check_request(*request_) == code


def test_modules_allow_list_is_case_insensitive() -> None:
    gate = Gate(AccessSettings(modules=frozenset({"contacts"})))
    assert gate.module_allowed("Contacts") and not gate.module_allowed("Leads")


async def test_rate_limit_per_user_per_minute() -> None:
    clock = Clock(0.0)
    limiter = SlidingWindowLimiter(3, clock=clock)
    assert [await limiter.allow("U1") for _ in range(4)] == [True, True, True, False]
    assert await limiter.allow("U2")  # someone else is not affected
    clock.now = 60.5
    assert await limiter.allow("U1")


async def test_rate_limit_off() -> None:
    limiter = SlidingWindowLimiter(0)
    assert all([await limiter.allow("U") for _ in range(100)])


@pytest.mark.parametrize(
    ("allowed", "team", "enterprise", "code"),
    [
        ({"E0GRID"}, "T0ANY", "E0GRID", None),  # an Enterprise Grid org: every workspace in it
        ({"E0GRID"}, "T0ANY", "E0OTHER", access.TEAM_NOT_ALLOWED),
        ({"E0GRID"}, "T0ANY", "", access.TEAM_NOT_ALLOWED),
        ({"T0ONE", "E0GRID"}, "T0ONE", "", None),
    ],
)
def test_enterprise_ids_in_the_team_list_match_the_payloads_enterprise(
    allowed: set[str], team: str, enterprise: str, code: str | None
) -> None:
    gate = Gate(AccessSettings(team_ids=frozenset(allowed)))
    assert gate.check_request(team, "C1", "U1", enterprise) == code


@pytest.mark.parametrize(
    ("user", "code"),
    [
        ({"id": "U1", "team_id": "T1"}, None),
        ({"id": "U1", "team_id": "T1", "is_restricted": True}, access.GUEST_NOT_ALLOWED),
        ({"id": "U1", "team_id": "T1", "is_ultra_restricted": True}, access.GUEST_NOT_ALLOWED),
        ({"id": "U1", "team_id": "T9"}, access.EXTERNAL_NOT_ALLOWED),
        ({"id": "U1", "team_id": "T1", "is_stranger": True}, access.EXTERNAL_NOT_ALLOWED),
        ({"id": "U1", "team_id": "T9", "enterprise_user": {"enterprise_id": "E1"}}, None),
        (None, access.EXTERNAL_NOT_ALLOWED),
    ],
)
def test_guests_and_outsiders(user: dict | None, code: str | None) -> None:
    assert person_refusal(user, "T1", "E1" if user and "enterprise_user" in user else "") == code


async def _lookup_factory(users: dict, groups: dict):
    async def lookup(uid: str):
        if uid == "boom":
            raise RuntimeError("slack down")
        return users.get(uid)

    async def members(gid: str):
        return frozenset(groups.get(gid, ()))

    return lookup, members


async def test_usergroups_and_guest_checks() -> None:
    users = {"U1": {"team_id": "T1"}, "U2": {"team_id": "T1"}, "U3": {"team_id": "T1", "is_restricted": True}}
    lookup, members = await _lookup_factory(users, {"S1": ["U1", "U3"]})
    gate = Gate(AccessSettings(usergroup_ids=frozenset({"S1"}), user_ids=frozenset({"U2"})))
    assert gate.check_request("T1", "C", "U2") is None  # listed users pass the payload check too
    assert await gate.check_person("U1", "T1", "", lookup, members) is None
    assert await gate.check_person("U2", "T1", "", lookup, members) is None
    assert await gate.check_person("U3", "T1", "", lookup, members) == access.GUEST_NOT_ALLOWED
    assert await gate.check_person("U4", "T1", "", lookup, members) == access.EXTERNAL_NOT_ALLOWED
    assert await gate.check_person("boom", "T1", "", lookup, members) == access.IDENTITY_UNKNOWN
    open_gate = Gate(AccessSettings(block_guests=False))
    assert await open_gate.check_person("U3", "T1", "", lookup, members) is None


async def test_daily_budget_per_workspace_resets_each_day() -> None:
    day = ["2026-11-27"]
    budget = DailyBudget(5, today=lambda: day[0])
    assert [await budget.reserve("T1") for _ in range(6)] == [True] * 5 + [False]
    assert await budget.has_room("T2") and not await budget.has_room("T1")
    await budget.release("T1")  # a reserved call that was never made
    assert await budget.has_room("T1") and budget.used("T1") == 4
    day[0] = "2026-11-28"
    assert await budget.has_room("T1") and budget.used("T1") == 0


async def test_budget_off() -> None:
    budget = DailyBudget(0)
    assert all([await budget.reserve("T1") for _ in range(1000)])
    assert await budget.has_room("T1")


async def test_byte_budget_makes_fetches_wait_for_room_in_order() -> None:
    import asyncio

    room = ByteBudget(100)
    await room.acquire(60)
    second = asyncio.ensure_future(room.acquire(50))
    third = asyncio.ensure_future(room.acquire(10))
    await asyncio.sleep(0)
    assert not second.done() and not third.done()  # the third waits its turn behind the second
    room.release(60)
    await asyncio.wait_for(asyncio.gather(second, third), 1)
    assert room.held == 60 and room.peak == 60


async def test_byte_budget_cancelled_waiter_leaves_no_debt() -> None:
    import asyncio

    room = ByteBudget(100)
    await room.acquire(100)
    waiter = asyncio.ensure_future(room.acquire(50))
    await asyncio.sleep(0)
    waiter.cancel()
    room.release(100)
    await asyncio.gather(waiter, return_exceptions=True)
    assert room.held == 0


BASE = {"SLACK_BOT_TOKEN": "xoxb-dummy", "SLACK_SIGNING_SECRET": "s", "ZOHO_CLIENT_ID": "i",
        "ZOHO_CLIENT_SECRET": "s", "ZOHO_REFRESH_TOKEN": "r"}


def test_access_settings_defaults() -> None:
    a = load_settings(BASE).access
    assert a.block_guests and a.user_rate_per_minute == 10 and 0 < a.daily_zoho_budget < 5000
    assert not (a.team_ids or a.channel_ids or a.user_ids or a.usergroup_ids or a.modules)


def test_access_settings_parse_lists() -> None:
    a = load_settings({**BASE, "ALLOWED_TEAM_IDS": "T01, T02", "ALLOWED_CHANNEL_IDS": "C01 G02",
                       "ALLOWED_MODULES": "Contacts,Leads", "BLOCK_GUESTS": "false", "USER_RATE_LIMIT": "0",
                       "DAILY_ZOHO_BUDGET": "100"}).access
    assert a.team_ids == {"T01", "T02"} and a.channel_ids == {"C01", "G02"}
    assert a.modules == {"contacts", "leads"} and not a.block_guests
    assert a.user_rate_per_minute == 0 and a.daily_zoho_budget == 100


def test_bad_access_settings_are_all_named() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({**BASE, "ALLOWED_TEAM_IDS": "acme", "ALLOWED_USER_IDS": "bob", "BLOCK_GUESTS": "maybe",
                       "USER_RATE_LIMIT": "-1", "ALLOWED_MODULES": "Contacts/../x"})
    text = str(info.value)
    for name in ("ALLOWED_TEAM_IDS", "ALLOWED_USER_IDS", "BLOCK_GUESTS", "USER_RATE_LIMIT", "ALLOWED_MODULES"):
        assert name in text
