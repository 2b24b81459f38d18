"""The /crmphoto listener: a Slack payload in, the pipeline's answers out.

The command is acknowledged at once (Slack's 3-second rule) with what the pipeline says: help, a hint,
a refusal, or "fetching…". An admitted command then runs in the background; its one outcome is a photo
in the channel or a private explanation, delivered through Slack by the destination and the replier.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.background import Background
from bot.pipeline import Ack, Asker, Pipeline
from bot.slack.choices import ACTION_ID, parse_choice_value
from bot.slack.replies import QuietReplier, SlackReplier, explanation_ack
from bot.slack.unfurl import UnfurlDestination, Unfurler
from bot.slack.upload import SlackDestination

log = logging.getLogger(__name__)


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


class ShareChoice:
    """Handles a click on "Share photo" in a list of matches: the same pipeline as a command, for that record."""

    def __init__(self, pipeline: Pipeline, background: Background) -> None:
        self.pipeline = pipeline
        self.background = background

    async def __call__(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond,
                       client: AsyncWebClient) -> None:
        await ack()
        action = next((a for a in body.get("actions") or [] if isinstance(a, dict)
                       and a.get("action_id") == ACTION_ID), {})
        parsed = parse_choice_value(action.get("value"))
        if parsed is None:
            log.warning("a share click with a value crmphoto did not make; ignored")
            return
        module, record_id, user, channel = parsed
        asker = Asker(team=_id(body.get("team")), user=user, channel=channel, enterprise=_id(body.get("enterprise")))
        answer = await self.pipeline.receive_choice(module, record_id, asker, _id(body.get("user")),
                                                    _id(body.get("channel")))
        if answer.ticket is None:
            await respond(replace_original=False, **ack_body(answer))
            return
        await respond(replace_original=True, text=answer.text)
        destination = SlackDestination(client, channel, user)
        replier = SlackReplier(respond, client, channel, user)
        self.background.spawn(self.pipeline.run(answer.ticket, destination, replier))


class LinkShared:
    """Unfurls pasted Zoho CRM record links with the record's name and photo, under the same rules as commands."""

    MAX_LINKS = 3  # a message with many record links unfurls the first few

    def __init__(self, pipeline: Pipeline, background: Background, unfurler: Unfurler,
                 shared_channels: bool) -> None:
        self.pipeline = pipeline
        self.background = background
        self.unfurler = unfurler
        self.shared_channels = shared_channels

    async def __call__(self, ack: AsyncAck, body: dict[str, Any], event: dict[str, Any]) -> None:
        await ack()
        channel, user = str(event.get("channel") or ""), str(event.get("user") or "")
        asker = Asker(team=str(body.get("team_id") or ""), user=user, channel=channel,
                      enterprise=str(body.get("enterprise_id") or ""))
        links = [link.get("url") for link in event.get("links") or [] if isinstance(link, dict)]
        links = [url for url in links if isinstance(url, str)][: self.MAX_LINKS]
        if not links:
            return
        if not self.shared_channels and await self.unfurler.shared_externally(channel):
            for url in links:
                self.pipeline.ignore_link(url, asker, "EXT_SHARED_CHANNEL")
            return
        for url in links:
            answer = await self.pipeline.receive_link(url, asker)
            if answer.ticket is None:
                continue
            destination = UnfurlDestination(self.unfurler, channel, str(event.get("message_ts") or ""), url,
                                            unfurl_id=event.get("unfurl_id"), source=event.get("source"))
            self.background.spawn(self.pipeline.run(answer.ticket, destination, QuietReplier()))


def _id(part: object) -> str:
    return str(part.get("id") or "") if isinstance(part, dict) else ""


def register(app: AsyncApp, pipeline: Pipeline, background: Background, unfurler: Unfurler,
             shared_channels: bool = False) -> None:
    """Wire the slash command, the "Share photo" button and link unfurls; one handler each."""
    app.command(messages.COMMAND)(PhotoCommand(pipeline, background))
    app.action(ACTION_ID)(ShareChoice(pipeline, background))
    app.event("link_shared")(LinkShared(pipeline, background, unfurler, shared_channels))
