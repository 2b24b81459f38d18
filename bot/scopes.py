"""The scopes crmphoto needs on both sides, and how to tell whether a granted list covers them.

The installed bot has no manifest.yml, so `python -m bot doctor` compares Slack's and Zoho's answers with the
lists here; tests/test_docs.py keeps SLACK_BOT_SCOPES equal to the manifest's. Zoho scopes are
`Service.scope.OPERATION` (Zoho CRM API v8 "Scopes", https://www.zoho.com/crm/developer/docs/api/v8/scopes.html):
`ALL` allows every operation, and a parent scope (`ZohoCRM.modules`, `ZohoCRM.settings`) covers its children.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.zoho.modules import Module
from bot.zoho.search import SEARCH_SCOPE, module_scope

SLACK_BOT_SCOPES: tuple[str, ...] = (
    "commands", "chat:write", "files:write", "channels:join", "im:write", "users:read", "usergroups:read",
    "links:read", "links:write", "channels:read", "groups:read", "im:read", "mpim:read",
)

ZOHO_MODULES_SCOPE = "ZohoCRM.settings.modules.READ"
ZOHO_ORG_SCOPE = "ZohoCRM.org.READ"
ZOHO_USERS_SCOPE = "ZohoCRM.users.READ"  # only with REQUIRE_CRM_USER
ZOHO_SEARCH_SCOPE = SEARCH_SCOPE
# What to ask for when generating a grant code: covers every photo module, custom ones included.
ZOHO_GRANT_SCOPES: tuple[str, ...] = ("ZohoCRM.modules.READ", ZOHO_MODULES_SCOPE, ZOHO_SEARCH_SCOPE, ZOHO_ORG_SCOPE)


def zoho_grant_scopes(require_crm_user: bool) -> str:
    """The comma-separated scope string for the Self Client's "Generate Code" box."""
    return ",".join(ZOHO_GRANT_SCOPES + ((ZOHO_USERS_SCOPE,) if require_crm_user else ()))


def zoho_needed(photo_modules: Iterable[Module], require_crm_user: bool) -> list[str]:
    """Every Zoho scope the bot uses: a READ per photo module, the module list, search, the org (and users)."""
    needed = list(dict.fromkeys(module_scope(m) for m in photo_modules))
    needed += [ZOHO_MODULES_SCOPE, ZOHO_SEARCH_SCOPE, ZOHO_ORG_SCOPE]
    if require_crm_user:
        needed.append(ZOHO_USERS_SCOPE)
    return needed


def parse_scopes(text: str) -> set[str]:
    """A scope list as Zoho (space-separated) or Slack (`a, b`) sends it."""
    return {item for item in re.split(r"[\s,]+", text) if item}


def covers(granted: str, needed: str) -> bool:
    """Whether one granted Zoho scope allows `needed`: same or parent scope, same operation or ALL (any case)."""
    *g_path, g_op = granted.casefold().split(".")
    *n_path, n_op = needed.casefold().split(".")
    if len(g_path) < 2 or g_path != n_path[: len(g_path)]:
        return False
    return g_op in ("all", n_op)


def zoho_missing(granted: Iterable[str], needed: Iterable[str]) -> list[str]:
    """The needed Zoho scopes no granted scope covers, in the order needed."""
    have = list(granted)
    return [n for n in needed if not any(covers(g, n) for g in have)]


SLACK_CRM_USER_SCOPE = "users:read.email"  # not in the manifest: the admin adds it with REQUIRE_CRM_USER


def slack_missing(granted: Iterable[str], require_crm_user: bool = False) -> list[str]:
    """The bot scopes of manifest.yml (and the email scope, with REQUIRE_CRM_USER) that Slack did not grant."""
    have = set(granted)
    needed = (*SLACK_BOT_SCOPES, SLACK_CRM_USER_SCOPE) if require_crm_user else SLACK_BOT_SCOPES
    return [s for s in needed if s not in have]
