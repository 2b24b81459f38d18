"""Every gate an admin sets must hold: a request passes only when every configured gate passes.

The gates: workspace (or Enterprise Grid), channel, people or user groups, guests and outsiders, CRM seat,
module, and conversations shared with another organisation. The property draws settings and identities and
compares the Gate's decision with "every configured gate passes", computed here independently of bot/access.py.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.access import Gate
from bot.codes import Code
from bot.config import AccessSettings
from bot.fakes.zoho import Record
from tests.inprocess import BotFactory

GROUPS = ("S0SALES", "S0OPS")


@dataclass(frozen=True)
class Identity:
    team: str
    enterprise: str
    channel: str
    user: str
    profile: str  # member | guest | stranger | grid (a member of another workspace of one Grid)
    email: bool
    seat: bool
    groups: frozenset[str]  # the groups the user is in
    module: str
    via: str
    envelope_shared: bool
    sharing: str  # what conversations.info says: internal | external | invisible


def subsets(*items: str) -> st.SearchStrategy[frozenset[str]]:
    return st.frozensets(st.sampled_from(items))


access_settings = st.builds(
    AccessSettings,
    team_ids=subsets("T0HOME", "E0GRID"),
    channel_ids=subsets("C0SALES"),
    user_ids=subsets("U0ALICE"),
    usergroup_ids=subsets(*GROUPS),
    modules=subsets("contacts"),
    block_guests=st.booleans(),
    require_crm_user=st.booleans(),
    shared_channels=st.booleans(),
    unfurl_shared_channels=st.booleans(),
)

identities = st.builds(
    Identity,
    team=st.sampled_from(["T0HOME", "T0AWAY"]),
    enterprise=st.sampled_from(["", "E0GRID", "E0OTHER"]),
    channel=st.sampled_from(["C0SALES", "C0RANDOM"]),
    user=st.sampled_from(["U0ALICE", "U0BOB"]),
    profile=st.sampled_from(["member", "guest", "stranger", "grid"]),
    email=st.booleans(),
    seat=st.booleans(),
    groups=subsets(*GROUPS),
    module=st.sampled_from(["Contacts", "Leads"]),
    via=st.sampled_from(["command", "choice", "link"]),
    envelope_shared=st.booleans(),
    sharing=st.sampled_from(["internal", "external", "invisible"]),
)


def expected(s: AccessSettings, who: Identity) -> bool:
    """Every configured gate passes, written out from the settings' documentation (docs/configuration.md)."""
    team = not s.team_ids or who.team in s.team_ids or (who.enterprise != "" and who.enterprise in s.team_ids)
    channel = not s.channel_ids or who.channel in s.channel_ids
    people = (not s.user_ids and not s.usergroup_ids) or who.user in s.user_ids or bool(who.groups & s.usergroup_ids)
    ours = who.profile == "member" or (who.profile == "grid" and who.enterprise == "E0GRID")
    guests = not s.block_guests or ours
    seat = not s.require_crm_user or (who.profile != "stranger" and who.email and who.seat)
    module = not s.modules or who.module.casefold() in s.modules
    allowed_shared = s.unfurl_shared_channels if who.via == "link" else s.shared_channels
    not_outside = not who.envelope_shared and (
        who.sharing == "internal" or (who.sharing == "invisible" and who.via != "link"))
    shared = allowed_shared or not_outside
    return team and channel and people and guests and seat and module and shared


class Seats:
    def __init__(self, seat: bool) -> None:
        self.seat = seat

    async def has(self, email: str) -> bool:
        return self.seat


async def decision(s: AccessSettings, who: Identity) -> bool:
    """What the pipeline asks of the Gate, in its order (bot/pipeline.py `_admission`, `_who_and_where`, `resolve`)."""
    gate = Gate(s, Seats(who.seat))

    async def lookup_user(user_id: str) -> dict[str, Any] | None:
        if who.profile == "stranger":
            return None
        user: dict[str, Any] = {"id": user_id, "team_id": who.team, "profile": {}}
        if who.profile == "guest":
            user["is_restricted"] = True
        if who.profile == "grid":
            user["team_id"] = "T0GRIDOTHER"
            user["enterprise_user"] = {"enterprise_id": "E0GRID"}
        if who.email:
            user["profile"]["email"] = f"{user_id.lower()}@example.com"
        return user

    async def group_members(group_id: str) -> frozenset[str]:
        return frozenset({who.user}) if group_id in who.groups else frozenset()

    async def sharing(channel_id: str) -> str:
        return who.sharing

    before_ack = gate.check_request(who.team, who.channel, who.user, who.enterprise) or \
        gate.check_envelope(who.via, who.envelope_shared)
    if before_ack:
        return False
    person = await gate.check_person(who.user, who.team, who.enterprise, lookup_user, group_members)
    where = await gate.check_conversation(who.channel, who.via, who.envelope_shared, sharing)  # type: ignore[arg-type]
    return person is None and where is None and gate.module_allowed(who.module)


@settings(max_examples=600, deadline=None)
@given(access_settings, identities)
def test_a_request_passes_only_when_every_configured_gate_passes(s: AccessSettings, who: Identity) -> None:
    assert asyncio.run(decision(s, who)) == expected(s, who)


async def test_a_group_member_without_a_crm_seat_is_not_a_crm_user() -> None:
    """The regression: the group check said "allowed" and returned before the CRM-seat check ran."""
    s = AccessSettings(usergroup_ids=frozenset({"S0SALES"}), require_crm_user=True)
    who = Identity("T0HOME", "", "C0SALES", "U0ALICE", "member", True, False, frozenset({"S0SALES"}), "Contacts",
                   "command", False, "internal")
    gate = Gate(s, Seats(False))

    async def lookup_user(user_id: str) -> dict[str, Any]:
        return {"id": user_id, "team_id": "T0HOME", "profile": {"email": "alice@example.com"}}

    async def group_members(group_id: str) -> frozenset[str]:
        return frozenset({"U0ALICE"})

    assert await gate.check_person(who.user, who.team, "", lookup_user, group_members) == Code.NOT_A_CRM_USER
    assert not await decision(s, who)


async def test_a_group_member_without_a_seat_gets_nothing_through_the_bot(make_bot: BotFactory) -> None:
    bot = await make_bot(ALLOWED_USERGROUP_IDS="S0SALES", REQUIRE_CRM_USER="true")
    bot.slack.email_scope = True
    bot.slack.add_usergroup("S0SALES", ["U0ALICE"])
    bot.zoho.crm_users = {"someone.else@example.com": "active"}
    bot.zoho.add_record("Contacts", "4876876000000624001", Record())
    _, name = await bot.command("Contacts 4876876000000624001")
    await bot.settle()
    assert [bot.code_of(r) for r in bot.replies(name)] == ["NOT_A_CRM_USER"]
    assert bot.zoho.photo_calls() == 0 and bot.slack.uploads == []
