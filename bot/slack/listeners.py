"""The listeners: a Slack payload in, the pipeline's answers out.

The command is acknowledged at once (Slack's 3-second rule) with what the pipeline says: help, a hint,
a refusal, or "fetching…". An admitted command then runs in the background; its one outcome is a photo
in the channel or a private explanation, delivered through Slack by the destination and the replier.
The other doors (a click on "Share photo", the "Show CRM photo" message shortcut, a pasted link) answer Slack
with an empty ack and do the same after it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.background import Background
from bot.manifest import SHORTCUT_ID
from bot.pipeline import Ack, Asker, Pipeline
from bot.shared.clicks import Clicks, MemoryClicks
from bot.slack.choices import ACTION_ID, Choice, parse_choice_value
from bot.slack.directory import SlackDirectory
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
        try:
            await ack(**ack_body(answer))
        finally:  # an admitted ticket always runs (and gives its in-flight place back), even if the ack failed
            if answer.ticket is not None:
                destination = SlackDestination(client, asker.channel, asker.user, self.pipeline.directory.sharing)
                replier = SlackReplier(respond, client, asker.channel, asker.user)
                self.background.spawn(self.pipeline.run(answer.ticket, destination, replier))


class ShareChoice:
    """Handles a click on "Share photo" in a list of matches: the same pipeline as a command, for that record.

    A second click on the same button within a minute (a double-click, or Slack re-sending) shares nothing more,
    whichever process it reaches when `clicks` is shared (Redis).
    """

    ONCE_WITHIN = 60.0

    def __init__(self, pipeline: Pipeline, background: Background, clicks: Clicks | None = None) -> None:
        self.pipeline = pipeline
        self.background = background
        self.clicks: Clicks = clicks or MemoryClicks()

    async def _first_click(self, body: dict[str, Any], value: str) -> bool:
        container = body.get("container") if isinstance(body.get("container"), dict) else {}
        key = json.dumps([_id(body.get("user")), str(container.get("message_ts") or ""), value])
        return await self.clicks.first(key, self.ONCE_WITHIN)

    async def __call__(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond,
                       client: AsyncWebClient) -> None:
        """Answers Slack at once; the admission, the "Sharing…" line and the work go on after it."""
        await ack()
        action = next((a for a in body.get("actions") or [] if isinstance(a, dict)
                       and a.get("action_id") == ACTION_ID), {})
        choice = parse_choice_value(action.get("value"))
        if choice is None:
            log.warning("a share click with a value crmphoto did not make; ignored")
            return
        if not await self._first_click(body, str(action.get("value"))):
            log.info("a repeated click on the same Share photo button; already being shared")
            return
        self.background.spawn(self.share(choice, body, respond, client))

    async def share(self, choice: Choice, body: dict[str, Any], respond: AsyncRespond,
                    client: AsyncWebClient) -> None:
        user, channel = choice.user, choice.channel
        asker = _interaction_asker(body, user, channel)
        answer = await self.pipeline.receive_choice(choice.module, choice.record_id, asker, _id(body.get("user")),
                                                    _id(body.get("channel")), name=choice.name, thread=choice.thread)
        replier = SlackReplier(respond, client, channel, user)
        if answer.ticket is None:
            await _refused(answer, replier)
            return
        try:
            await respond(replace_original=True, text=answer.text)
        except Exception as exc:  # noqa: BLE001 - the list stays as it was; the photo is on its way anyway
            log.info("could not replace the list of matches (%s)", type(exc).__name__)
        destination = SlackDestination(client, channel, user, self.pipeline.directory.sharing, choice.thread)
        await self.pipeline.run(answer.ticket, destination, replier)


class MessageShortcut:
    """Handles "Show CRM photo" on a message: the people its text names, looked up as a command would, and the
    photo shared in that message's thread (its parent's, when the message is itself a reply).

    Slack shows nothing of a shortcut's ack, so it is empty and comes first; the pipeline's first words ("Looking
    for…", or why not) then go privately through the payload's response_url, like every later reply.
    """

    def __init__(self, pipeline: Pipeline, background: Background) -> None:
        self.pipeline = pipeline
        self.background = background

    async def __call__(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond,
                       client: AsyncWebClient) -> None:
        await ack()
        self.background.spawn(self.look(body, respond, client))

    async def look(self, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        message = body.get("message") if isinstance(body.get("message"), dict) else {}
        user, channel = _id(body.get("user")), _id(body.get("channel"))
        asker = _interaction_asker(body, user, channel)
        thread = str(message.get("thread_ts") or message.get("ts") or body.get("message_ts") or "")
        text = message.get("text")
        answer = await self.pipeline.receive_shortcut(text if isinstance(text, str) else "", asker, thread)
        replier = SlackReplier(respond, client, channel, user)
        if answer.ticket is None:
            await _refused(answer, replier)
            return
        try:
            await replier.note(answer.text)
        finally:  # an admitted ticket always runs (and gives its in-flight place back)
            destination = SlackDestination(client, channel, user, self.pipeline.directory.sharing, thread)
            await self.pipeline.run(answer.ticket, destination, replier)


class LinkShared:
    """Unfurls pasted Zoho CRM record links with the record's name and photo, under the same rules as commands.

    Whether the channel may see it (UNFURL_SHARED_CHANNELS) is the pipeline's gate, like every other rule: the
    envelope's `is_ext_shared_channel` goes with the asker, and a link still in the composer has no channel yet.
    """

    MAX_LINKS = 3  # a message with many record links unfurls the first few

    def __init__(self, pipeline: Pipeline, background: Background, unfurler: Unfurler) -> None:
        self.pipeline = pipeline
        self.background = background
        self.unfurler = unfurler

    async def __call__(self, ack: AsyncAck, body: dict[str, Any], event: dict[str, Any]) -> None:
        """Answers Slack at once (an event not answered within 3 s is sent again); the work goes on after."""
        await ack()
        self.background.spawn(self.unfurl(body, event))

    async def unfurl(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        channel, user = str(event.get("channel") or ""), str(event.get("user") or "")
        grid = next((a for a in body.get("authorizations") or [] if isinstance(a, dict)), {})
        composer = event.get("source") == "composer"
        asker = Asker(team=str(body.get("team_id") or ""), user=user, channel="" if composer else channel,
                      enterprise=str(body.get("enterprise_id") or grid.get("enterprise_id") or ""),
                      ext_shared=body.get("is_ext_shared_channel") is True)
        links = [link.get("url") for link in event.get("links") or [] if isinstance(link, dict)]
        for url in [url for url in links if isinstance(url, str)][: self.MAX_LINKS]:
            answer = await self.pipeline.receive_link(url, asker)
            if answer.ticket is None:
                continue
            destination = UnfurlDestination(self.unfurler, channel, str(event.get("message_ts") or ""), url,
                                            unfurl_id=event.get("unfurl_id"), source=event.get("source"))
            self.background.spawn(self.pipeline.run(answer.ticket, destination, QuietReplier()))


class SharingChanged:
    """`channel_shared` / `channel_unshared`: forget what we knew about that conversation's sharing."""

    def __init__(self, directory: SlackDirectory) -> None:
        self.directory = directory

    async def __call__(self, ack: AsyncAck, event: dict[str, Any]) -> None:
        await ack()
        channel = event.get("channel")
        if isinstance(channel, str) and channel:
            await self.directory.forget_sharing(channel)
            log.info("slack: %s for %s; its sharing will be asked again", event.get("type"), channel)


def _interaction_asker(body: dict[str, Any], user: str, channel: str) -> Asker:
    """Who asked, from an interaction payload (a click, a shortcut): its team, else the user's, and its Grid."""
    team = _id(body.get("team")) or str((body.get("user") or {}).get("team_id") or "")
    return Asker(team=team, user=user, channel=channel, enterprise=_id(body.get("enterprise")))


async def _refused(answer: Ack, replier: SlackReplier) -> None:
    """An interaction's request that was not admitted: its explanation, privately (there is no ack to carry it)."""
    if answer.explanation is not None:
        await replier.explain(answer.explanation, answer.ref)


def _id(part: object) -> str:
    return str(part.get("id") or "") if isinstance(part, dict) else ""


def register(app: AsyncApp, pipeline: Pipeline, background: Background, unfurler: Unfurler,
             directory: SlackDirectory, clicks: Clicks | None = None) -> None:
    """Wire the slash command, the "Share photo" button, the message shortcut, link unfurls and sharing changes;
    one handler each."""
    app.command(messages.COMMAND)(PhotoCommand(pipeline, background))
    app.action(ACTION_ID)(ShareChoice(pipeline, background, clicks))
    app.message_shortcut(SHORTCUT_ID)(MessageShortcut(pipeline, background))
    app.event("link_shared")(LinkShared(pipeline, background, unfurler))
    sharing_changed = SharingChanged(directory)
    app.event("channel_shared")(sharing_changed)
    app.event("channel_unshared")(sharing_changed)
