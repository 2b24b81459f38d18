"""Who may ask: the admin's allow-lists and the guest/outsider checks.

With a service token, whoever can type /crmphoto sees what the service account sees and spends the
company's Zoho API credits; these are the admin's controls (all off by default except guest blocking).
The limits (per-person rate, daily budget, in-flight cap) live in bot/limits.py. Each decision is a
refusal code the words catalogue explains, or None.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal, Protocol

from bot.codes import REFUSALS, Code
from bot.config import AccessSettings
from bot.ids import CONVERSATION_ID
from bot.zoho.errors import ZohoError

log = logging.getLogger(__name__)

__all__ = ["REFUSALS", "Gate", "Sharing", "person_refusal"]

# Whether a conversation is shared with another organisation, as Slack's conversations.info tells it:
# "invisible" is a DM or private channel the bot is not in (Slack answers channel_not_found).
Sharing = Literal["internal", "external", "invisible"]

TEAM_NOT_ALLOWED = Code.TEAM_NOT_ALLOWED
CHANNEL_NOT_ALLOWED = Code.CHANNEL_NOT_ALLOWED
USER_NOT_ALLOWED = Code.USER_NOT_ALLOWED
GUEST_NOT_ALLOWED = Code.GUEST_NOT_ALLOWED
EXTERNAL_NOT_ALLOWED = Code.EXTERNAL_NOT_ALLOWED
MODULE_NOT_ALLOWED = Code.MODULE_NOT_ALLOWED
RATE_LIMITED = Code.RATE_LIMITED
BUDGET_EXHAUSTED = Code.BUDGET_EXHAUSTED
IDENTITY_UNKNOWN = Code.IDENTITY_UNKNOWN
NOT_A_CRM_USER = Code.NOT_A_CRM_USER
SHARED_CHANNEL = Code.SHARED_CHANNEL
SHARING_UNKNOWN = Code.SHARING_UNKNOWN


class CrmSeats(Protocol):
    """Whether an email belongs to an active Zoho CRM user (bot.zoho.users.CrmUsers); raises ZohoError."""

    async def has(self, email: str) -> bool: ...


def slack_email(user: Mapping[str, Any] | None) -> str:
    """users.info's `user.profile.email` (present only with the scope users:read.email), or ""."""
    profile = (user or {}).get("profile")
    email = profile.get("email") if isinstance(profile, Mapping) else None
    return email if isinstance(email, str) else ""


def person_refusal(user: Mapping[str, Any] | None, team_id: str, enterprise_id: str = "") -> Code | None:
    """Guests (restricted, ultra-restricted) and people from other organisations are refused."""
    if user is None:
        return EXTERNAL_NOT_ALLOWED  # users.info cannot see them: not one of ours
    if user.get("is_restricted") or user.get("is_ultra_restricted"):
        return GUEST_NOT_ALLOWED
    if user.get("is_stranger") or user.get("is_bot"):
        return EXTERNAL_NOT_ALLOWED
    home = user.get("team_id")
    if home and team_id and home != team_id:
        user_enterprise = (user.get("enterprise_user") or {}).get("enterprise_id")
        if not (enterprise_id and user_enterprise == enterprise_id):
            return EXTERNAL_NOT_ALLOWED
    return None


class Gate:
    """The admin's allow-lists, checked in the order a person would expect.

    The gates compose: workspace, channel, people or groups, guests, CRM seat, module and shared conversation;
    a request passes only when every configured gate passes (no gate's "yes" ends the checking).
    """

    def __init__(self, settings: AccessSettings, crm_seats: CrmSeats | None = None) -> None:
        self.settings = settings
        self.crm_seats = crm_seats if settings.require_crm_user else None

    def check_request(self, team_id: str, channel_id: str, user_id: str, enterprise_id: str = "") -> Code | None:
        """Checks that need nothing but the payload; run before the ack.

        An `E…` entry in ALLOWED_TEAM_IDS names an Enterprise Grid organisation: every workspace in it is
        allowed (the payload's `enterprise_id`), so an admin can list the org once.
        """
        s = self.settings
        if s.team_ids and team_id not in s.team_ids and not (enterprise_id and enterprise_id in s.team_ids):
            return TEAM_NOT_ALLOWED
        if s.channel_ids and channel_id not in s.channel_ids:
            return CHANNEL_NOT_ALLOWED
        if s.user_ids and not s.usergroup_ids and user_id not in s.user_ids:
            return USER_NOT_ALLOWED
        return None

    async def check_person(
        self,
        user_id: str,
        team_id: str,
        enterprise_id: str,
        lookup_user: Callable[[str], Awaitable[Mapping[str, Any] | None]],
        group_members: Callable[[str], Awaitable[frozenset[str]]],
        noted: Callable[[bool], None] | None = None,
    ) -> Code | None:
        """Checks that need Slack's directory (cached); run after the ack. Lookup failures refuse.

        `noted` hears whether the CRM-user check passed (for the audit line), when it ran.
        """
        s = self.settings
        try:
            if s.block_guests:
                refusal = person_refusal(await lookup_user(user_id), team_id, enterprise_id)
                if refusal:
                    return refusal
            if s.usergroup_ids and user_id not in s.user_ids and not await _in_any(user_id, s.usergroup_ids,
                                                                                     group_members):
                return USER_NOT_ALLOWED
            if self.crm_seats is not None:
                return await self._check_crm_user(await lookup_user(user_id), noted)
        except Exception:  # noqa: BLE001 - cannot tell who is asking: refuse rather than guess
            return IDENTITY_UNKNOWN
        return None

    async def _check_crm_user(self, user: Mapping[str, Any] | None,
                              noted: Callable[[bool], None] | None) -> Code | None:
        """REQUIRE_CRM_USER: the Slack email must be an active CRM user's. The email is never logged."""
        assert self.crm_seats is not None
        email = slack_email(user)
        if not email:
            if user is not None:
                log.warning("REQUIRE_CRM_USER: users.info gave no email; the Slack app needs users:read.email")
            return Code.MISSING_SCOPE if user is not None else EXTERNAL_NOT_ALLOWED
        try:
            passed = await self.crm_seats.has(email)
        except ZohoError as error:  # e.g. no ZohoCRM.users.READ scope: the admin's to fix, and alerted
            log.warning("REQUIRE_CRM_USER: the CRM user list could not be read (%s)", error.code)
            return Code.of(error.code)
        if noted is not None:
            noted(passed)
        return None if passed else NOT_A_CRM_USER

    def module_allowed(self, api_name: str) -> bool:
        return not self.settings.modules or api_name.casefold() in self.settings.modules

    def shared_allowed(self, via: str) -> bool:
        """Whether this door may show CRM data where another organisation reads along.

        Pasted links follow UNFURL_SHARED_CHANNELS; commands and clicks follow SHARED_CHANNELS.
        """
        return self.settings.unfurl_shared_channels if via == "link" else self.settings.shared_channels

    def check_envelope(self, via: str, ext_shared: bool) -> Code | None:
        """Before the ack: Slack's envelope already says the conversation is shared outside (no call needed)."""
        return SHARED_CHANNEL if ext_shared and not self.shared_allowed(via) else None

    async def check_conversation(self, channel_id: str, via: str, ext_shared: bool,
                                 sharing: Callable[[str], Awaitable[Sharing]]) -> Code | None:
        """After the ack: whether the conversation is shared with another organisation, asked of Slack (cached).

        A conversation the bot cannot see keeps the private route for commands and clicks (the photo then goes
        to the requester's DM), but an unfurl is public, so there it counts as shared; so does a link still in
        the composer (no conversation yet). Slack not answering refuses: we never guess "not shared".
        """
        if self.shared_allowed(via):
            return None
        if ext_shared:
            return SHARED_CHANNEL
        if not CONVERSATION_ID.fullmatch(channel_id):
            return SHARING_UNKNOWN
        try:
            state = await sharing(channel_id)
        except Exception as exc:  # noqa: BLE001 - cannot tell where the data would go: refuse rather than guess
            log.info("conversations.info %s failed (%s); refusing", channel_id, type(exc).__name__)
            return SHARING_UNKNOWN
        if state == "external":
            return SHARED_CHANNEL
        if state == "invisible" and via == "link":
            return SHARING_UNKNOWN
        return None


async def _in_any(user_id: str, group_ids: frozenset[str],
                  group_members: Callable[[str], Awaitable[frozenset[str]]]) -> bool:
    for group in sorted(group_ids):
        if user_id in await group_members(group):
            return True
    return False
