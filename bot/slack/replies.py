"""Block Kit shapes for the catalogue's words: a section with the explanation and a context line."""

from __future__ import annotations

from typing import Any

from bot import messages


def explanation_reply(explanation: messages.Explanation, reference: str) -> dict[str, Any]:
    """A private reply through response_url: the explanation, then the code and reference id."""
    return {"replace_original": False, **explanation_ack(explanation, reference)}


def explanation_ack(explanation: messages.Explanation, reference: str) -> dict[str, Any]:
    """The same, as the immediate answer to the command (ack takes no replace_original)."""
    return {
        "response_type": "ephemeral",
        "text": explanation.what,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": explanation.text}},
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": messages.reference_line(explanation.code, reference)}],
            },
        ],
    }


def note_reply(text: str) -> dict[str, Any]:
    return {"response_type": "ephemeral", "replace_original": False, "text": text}
