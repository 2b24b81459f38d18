"""The /crmphoto listener: a Slack payload in, the pipeline's answers out.

The command is acknowledged at once (Slack's 3-second rule) with what the pipeline says: help, a hint,
a refusal, or "fetching…". An admitted command then runs in the background; its one outcome is a photo
in the channel or a private explanation, delivered through Slack by the destination and the replier.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.background import Background
from bot.pipeline import Ack, Asker, Pipeline
from bot.slack.replies import SlackReplier, explanation_ack
from bot.slack.upload import SlackDestination


def ack_body(answer: Ack) -> dict[str, Any]:
    """The pipeline's immediate answer as an ephemeral Slack reply."""
    if answer.explanation is not None:
        return explanation_ack(answer.explanation, answer.ref)
    return {"response_type": "ephemeral", "text": answer.text}


class PhotoCommand:
    """Handles `/crmphoto …`."""

    def __init__(self, pipeline: Pipeline, background: Background) -> None:
        self.pipeline = pipeline
        self.background = background

    async def __call__(self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond,
                       client: AsyncWebClient) -> None:
        asker = Asker(team=str(command.get("team_id") or ""), user=str(command.get("user_id") or ""),
                      channel=str(command.get("channel_id") or ""),
                      enterprise=str(command.get("enterprise_id") or ""))
        answer = await self.pipeline.receive(command.get("text"), asker)
        await ack(**ack_body(answer))
        if answer.ticket is not None:
            destination = SlackDestination(client, asker.channel, asker.user)
            replier = SlackReplier(respond, client, asker.channel, asker.user)
            self.background.spawn(self.pipeline.run(answer.ticket, destination, replier))


def register(app: AsyncApp, pipeline: Pipeline, background: Background) -> None:
    """Wire the slash command; one register() per feature, like Slack's starter template."""
    app.command(messages.COMMAND)(PhotoCommand(pipeline, background))
