"""One JSON line per command, for the admin and a log drain: who, where, which record, what happened.

Never a token, never photo bytes: only the fields below.
"""

from __future__ import annotations

import json
import logging
import secrets
import sys

log = logging.getLogger("crmphoto.audit")

FIELDS = ("ref", "team", "user", "channel", "via", "lookup", "module", "record_id", "outcome", "code", "zoho_code",
          "zoho_calls", "ms", "bytes", "crm_user")


def new_reference() -> str:
    """A short id shown to the user and written in the log line, to find one from the other."""
    return secrets.token_hex(4)


def record(**fields: object) -> dict[str, object]:
    """Write the audit line; unknown keys are refused so nothing else can slip into the log."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValueError(f"not audit fields: {sorted(unknown)}")
    line = {"event": "command", **{k: fields.get(k) for k in FIELDS}}
    log.info(json.dumps(line, separators=(",", ":"), ensure_ascii=False))
    return line


def configure_logging(level: int = logging.INFO) -> None:
    """Plain lines for people; the audit logger writes bare JSON so a log drain can parse it."""
    logging.basicConfig(level=level, stream=sys.stdout, format="%(levelname)s %(name)s: %(message)s", force=True)
    audit = logging.getLogger("crmphoto.audit")
    audit.propagate = False
    audit.handlers.clear()
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    audit.addHandler(handler)
    audit.setLevel(logging.INFO)
    # slack_sdk's client tests its own logger's level (not the effective one) before building debug text.
    for noisy in ("httpx", "httpcore", "slack_sdk", "slack_sdk.web.async_base_client", "slack_bolt",
                  "aiohttp.access", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
