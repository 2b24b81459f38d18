"""Every word crmphoto shows a person, in one place so they can be read, translated and improved together.

Texts are Slack mrkdwn. Anything a person typed is escaped before it is echoed (`&`, `<`, `>`), so
`<!channel>` typed into the command never pings anyone. Each explanation says what happened, what to
do, and whether the person can fix it themselves or an admin must; it names the record and carries
the code for reference. No stack traces, no tokens.

Words are written in English and marked `N_` for the gettext catalogues (bot/i18n.py, bot/locales/). Every
function that returns words a rep reads takes the reader's `locale` as an argument: the asker's Slack language
for private replies, `DEFAULT_LOCALE` for what the channel sees. Words for admins (alerts, doctor, setup, the
CLI) are English. Codes and the reference line are the same in every language, so support can read any reply.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from bot import i18n
from bot.codes import Code
from bot.escapes import escape, unescape
from bot.i18n import ADMIN, N_, NP_
from bot.ids import API_NAME, RECORD_ID
from bot.records import RecordCard

COMMAND = "/crmphoto"


class Fixer(Enum):
    """Who can put it right."""

    YOU = "you"  # the person who typed the command: a typo, wrong record, or just try again later
    ADMIN = "admin"  # the Zoho CRM or Slack admin who set the bot up
    CRM_USER = "crm"  # someone working in Zoho CRM: the record owner or the approval reviewer


FIXER_LINES = {
    Fixer.YOU: N_("You can sort this out yourself."),
    Fixer.ADMIN: N_("This needs your crmphoto admin (whoever set up the Zoho connection); please pass this "
                    "message on."),
    Fixer.CRM_USER: N_("This needs someone in Zoho CRM (the record's owner or the approval reviewer)."),
}


def record_name(module: str, record_id: str) -> str:
    return f"*{escape(module)} {escape(record_id)}*"


class Subject(Protocol):
    """What an explanation is about (its `{record}`), in the reader's language."""

    def said(self, locale: str) -> str: ...


@dataclass(frozen=True)
class RecordName:
    """One record: `*Contacts 123*`."""

    module: str
    record_id: str

    def said(self, locale: str) -> str:
        return record_name(self.module, self.record_id)


@dataclass(frozen=True)
class Searched:
    """What was looked for, and where: `*Jane Doe* in Contacts or Leads`."""

    value: str
    modules: tuple[str, ...] = ()

    def said(self, locale: str) -> str:
        value = f"*{escape(self.value)}*"
        where = [escape(m) for m in self.modules if m]
        if not where:
            return value
        return i18n.text(locale, N_("{value} in {modules}"), value=value, modules=i18n.either(locale, where))


@dataclass(frozen=True)
class AdminSubject:
    """A subject only admins read (bot/alerts.py), so it is English."""

    words: str

    def said(self, locale: str) -> str:
        return self.words


@dataclass(frozen=True)
class Said:
    """An explanation in one language: what happened, what to do, who can put it right, and the code."""

    code: str
    what: str
    todo: str
    fixer: str

    @property
    def text(self) -> str:
        return f"{self.what}\n{self.todo}\n_{self.fixer}_"


@dataclass(frozen=True)
class Explanation:
    """Why a request ended without a photo, in no language yet: whoever shows it says in which (`said`).

    The pipeline decides the outcome before it knows, or needs to know, who will read it: the asker in their
    Slack language, or an admin in English.
    """

    code: str  # shown for reference: ours, or Zoho's own for a code we don't know
    kind: Code  # the catalogue entry
    about: Subject | None  # None: the failure came before the record was known
    typed: str = ""
    photo_modules: tuple[str, ...] = ()
    suggestion: str | None = None
    words: tuple[str, str] | None = None  # (what, todo) when a door words `kind` its own way

    @property
    def fixer(self) -> Fixer:
        return CATALOGUE[self.kind][2]

    def said(self, locale: str) -> Said:
        what, todo, fixer = CATALOGUE[self.kind]
        if self.words is not None:
            what, todo = self.words
        values: dict[str, str] = {}
        if self.about is None:  # before the record was known: the apology alone, nothing to fill in
            what = N_("Sorry, something went wrong on crmphoto's side.")
        else:
            values = {
                "record": self.about.said(locale),
                "typed": escape(self.typed),
                "photo_modules": module_list(list(self.photo_modules)),
                "suggestion": " " + i18n.text(locale, N_("Did you mean *{name}*?"), name=escape(self.suggestion))
                if self.suggestion else "",
                "shortcut": SHORTCUT_NAME,
                "command": COMMAND,
            }
        return Said(self.code, i18n.text(locale, what, **values), i18n.text(locale, todo, **values),
                    i18n.text(locale, FIXER_LINES[fixer]))

# code -> (what happened, what to do, who fixes it). `{record}` is the module and id.
CATALOGUE: dict[Code, tuple[str, str, Fixer]] = {
    # The record and its photo
    Code.NO_PHOTO: (
        N_("{record} has no photo in Zoho CRM."),
        N_("Add one to the record in Zoho CRM, or check you have the right record."),
        Fixer.YOU,
    ),
    Code.INVALID_DATA: (
        N_("Zoho CRM could not find {record}."),
        N_("Check the record id: open the record in Zoho CRM and copy the number at the end of its address, "
        "or paste the whole link."),
        Fixer.YOU,
    ),
    Code.INVALID_RECORD_ID: (
        N_("{record} doesn't look like a Zoho record id."),
        N_("A Zoho record id is a long number, like `4876876000000624001`."),
        Fixer.YOU,
    ),
    Code.RECORD_LOCKED: (
        N_("{record} is busy right now: Zia is still checking its image or merging duplicates."),
        N_("Try again in a few minutes."),
        Fixer.YOU,
    ),
    Code.NOT_APPROVED: (
        N_("The photo of {record} can't be shared yet. Either Zia's image check rejected the photo, or the "
        "record is waiting in Zia record approval."),
        N_("If the photo was rejected, upload a new one (or delete the failed one and resubmit the record for "
        "Zia image validation). If the record is awaiting approval, the reviewer has to approve or reject it first."),
        Fixer.CRM_USER,
    ),
    Code.PHOTO_TOO_LARGE: (
        N_("The photo of {record} is larger than crmphoto will carry (15 MB)."),
        N_("Replace it in Zoho CRM with a smaller image (Zoho allows up to 10 MB)."),
        Fixer.CRM_USER,
    ),
    # Modules
    Code.INVALID_MODULE: (
        N_("Zoho CRM doesn't recognise the module of {record}, or doesn't offer it through its API "
        "(modules such as Documents and Projects aren't)."),
        N_("Use one of the modules that have photos: {photo_modules}."),
        Fixer.YOU,
    ),
    Code.UNKNOWN_MODULE: (
        N_("There is no module called *{typed}* in your Zoho CRM, so {record} can't be fetched.{suggestion}"),
        N_("Photos live in these modules: {photo_modules}."),
        Fixer.YOU,
    ),
    Code.MODULE_WITHOUT_PHOTOS: (
        N_("Records in *{typed}* don't have photos in Zoho CRM, so there is none to show for {record}."),
        N_("Photos live in these modules: {photo_modules}."),
        Fixer.YOU,
    ),
    # Permissions and set-up: the admin's side
    # Looking a record up by email, phone or name ({record} is what was searched, and where)
    Code.NOTHING_TO_FIND: (  # the message shortcut on a message that names nobody; `{record}` is unused
        N_("There's no email address, phone number or Zoho CRM record link in this message, so there's nobody to "
           "look up."),
        N_("*{shortcut}* looks for up to three of these in a message: an address such as `jane.doe@example.com`, a "
           "phone number written with a `+` or in groups of digits (`+44 20 7946 0958`), or a record's link copied "
           "from Zoho CRM. A number on its own is taken for a date or an amount, not a phone. To find someone by "
           "name, type `{command} Jane Doe`."),
        Fixer.YOU,
    ),
    Code.NO_MATCH: (
        N_("No record matches {record}."),
        N_("Check the spelling, try their email address, or paste the record's link from Zoho CRM."),
        Fixer.YOU,
    ),
    Code.SEARCH_NOT_ENABLED: (
        N_("Looking records up by email, phone or name isn't enabled for crmphoto yet, so {record} wasn't searched."),
        N_("Record ids and links still work (`/crmphoto Contacts 4876876000000624001`). The admin needs a new Zoho "
        "refresh token that includes the scope `ZohoSearch.securesearch.READ`: generate it for the self client in "
        "Zoho's API console (see docs/zoho.md) and set `ZOHO_REFRESH_TOKEN`."),
        Fixer.ADMIN,
    ),
    Code.SEARCH_TOO_SHORT: (
        N_("{record} is too short to search for."),
        N_("Type at least two letters of the name, or use their email address."),
        Fixer.YOU,
    ),
    Code.SEARCH_TOO_LONG: (
        N_("{record} is longer than crmphoto will search for."),
        N_("Use a shorter part of the name, or their email address."),
        Fixer.YOU,
    ),
    Code.SEARCH_BAD_EMAIL: (
        N_("{record} doesn't look like an email address."),
        N_("Check it, or search by name instead."),
        Fixer.YOU,
    ),
    Code.SEARCH_BAD_PHONE: (
        N_("{record} doesn't look like a phone number."),
        N_("Use digits, with spaces, dashes, dots or brackets if you like, and a leading + for the country."),
        Fixer.YOU,
    ),
    Code.RECORD_NOT_FOUND: (
        N_("Zoho CRM has no record {record}."),
        N_("Check the record id, or paste the record's link from Zoho CRM."),
        Fixer.YOU,
    ),
    Code.INVALID_QUERY: (
        N_("Zoho CRM couldn't search for {record}."),
        N_("Try their email address or paste the record's link; if it keeps happening, tell the admin."),
        Fixer.YOU,
    ),
    Code.NOT_YOUR_CHOICE: (
        N_("That list of matches belongs to someone else, or to another channel, so crmphoto didn't share {record}."),
        N_("Type the command yourself to get a list of your own."),
        Fixer.YOU,
    ),
    Code.NO_PERMISSION: (
        N_("The Zoho account crmphoto uses isn't allowed to download images, so it can't fetch {record}."),
        N_("Ask your Zoho CRM admin to give that user's profile permission to view and download images."),
        Fixer.ADMIN,
    ),
    Code.AUTHORIZATION_FAILED: (
        N_("The Zoho account crmphoto uses doesn't have enough privileges to download the photo of {record}."),
        N_("Ask your Zoho CRM admin to check that user's profile and role can see this record and its images."),
        Fixer.ADMIN,
    ),
    Code.OAUTH_SCOPE_MISMATCH: (
        N_("crmphoto's Zoho connection isn't allowed to read {record}'s module."),
        N_("The admin needs a new refresh token with the scope `ZohoCRM.modules.ALL` (or "
        "`ZohoCRM.modules.{{module}}.READ` for each photo module) and `ZohoCRM.settings.modules.READ`."),
        Fixer.ADMIN,
    ),
    Code.INVALID_TOKEN: (
        N_("Zoho CRM rejected crmphoto's sign-in while fetching {record}."),
        N_("Usually the bot is pointed at the wrong Zoho data centre (check `ZOHO_DC`) or the connection was "
        "revoked; the admin should check the Zoho settings."),
        Fixer.ADMIN,
    ),
    Code.AUTHENTICATION_FAILURE: (
        N_("Zoho CRM could not authenticate crmphoto while fetching {record}."),
        N_("The admin should check the Zoho connection settings (`ZOHO_DC` and the self client)."),
        Fixer.ADMIN,
    ),
    Code.INVALID_CLIENT: (
        N_("Zoho doesn't recognise crmphoto's self client, so it couldn't fetch {record}."),
        N_("Usually `ZOHO_DC` names the wrong data centre, or `ZOHO_CLIENT_ID` / `ZOHO_CLIENT_SECRET` are wrong."),
        Fixer.ADMIN,
    ),
    Code.INVALID_REFRESH_TOKEN: (
        N_("crmphoto's Zoho refresh token was revoked or is wrong, so it couldn't fetch {record}."),
        N_("The admin needs to generate a new refresh token for the self client and set `ZOHO_REFRESH_TOKEN`."),
        Fixer.ADMIN,
    ),
    Code.TOKEN_THROTTLED: (
        N_("Zoho is limiting how often crmphoto may sign in, so {record} can't be fetched right now."),
        N_("Try again in about ten minutes. If it keeps happening, the admin should check nothing else uses the "
        "same refresh token."),
        Fixer.YOU,
    ),
    Code.TOKEN_ERROR: (
        N_("crmphoto couldn't sign in to Zoho to fetch {record}."),
        N_("The admin should check the Zoho settings; the code below says what Zoho answered."),
        Fixer.ADMIN,
    ),
    Code.INVALID_URL_PATTERN: (
        N_("Zoho CRM didn't accept the address crmphoto used for {record}."),
        N_("The admin should check `ZOHO_API_VERSION` and `ZOHO_API_DOMAIN`."),
        Fixer.ADMIN,
    ),
    Code.INVALID_REQUEST_METHOD: (
        N_("Zoho CRM refused the way crmphoto asked for {record}."),
        N_("This is a crmphoto bug; please tell the admin, with the reference below."),
        Fixer.ADMIN,
    ),
    # Zoho busy or unreachable: try again
    Code.INTERNAL_ERROR: (
        N_("Zoho CRM had a problem on its side while fetching {record}."),
        N_("Try again in a few minutes."),
        Fixer.YOU,
    ),
    Code.TOO_MANY_REQUESTS: (
        N_("Zoho CRM is busy with too many requests from your company right now, so {record} wasn't fetched."),
        N_("Try again in a minute."),
        Fixer.YOU,
    ),
    Code.TIMEOUT: (
        N_("Zoho CRM took too long to answer for {record}."),
        N_("Try again in a few minutes."),
        Fixer.YOU,
    ),
    Code.CONNECTION_ERROR: (
        N_("crmphoto couldn't reach Zoho CRM to fetch {record}."),
        N_("Try again in a few minutes; if it keeps failing, tell the admin."),
        Fixer.YOU,
    ),
    Code.INVALID_RESPONSE: (
        N_("Zoho CRM gave an answer crmphoto didn't understand for {record}."),
        N_("Try again in a few minutes; if it keeps happening, tell the admin with the reference below."),
        Fixer.YOU,
    ),
    # The admin's controls (bot/access.py)
    Code.BUDGET_EXHAUSTED: (
        N_("crmphoto has used today's share of your company's Zoho API credits, so {record} wasn't fetched."),
        N_("Try again tomorrow (the budget resets at midnight UTC), or ask the admin to raise `DAILY_ZOHO_BUDGET`."),
        Fixer.ADMIN,
    ),
    Code.RATE_LIMITED: (
        N_("That's more photos in a minute than crmphoto allows one person, so {record} wasn't fetched."),
        N_("Wait a minute and try again."),
        Fixer.YOU,
    ),
    Code.TEAM_NOT_ALLOWED: (
        N_("crmphoto isn't enabled for this workspace, so it won't fetch {record} here."),
        N_("Ask the admin who runs crmphoto to add this workspace to `ALLOWED_TEAM_IDS`."),
        Fixer.ADMIN,
    ),
    Code.CHANNEL_NOT_ALLOWED: (
        N_("crmphoto isn't enabled in this channel, so it won't share {record} here."),
        N_("Try in a channel where it is enabled, or ask the admin to add this one to `ALLOWED_CHANNEL_IDS`."),
        Fixer.ADMIN,
    ),
    Code.USER_NOT_ALLOWED: (
        N_("You're not on the list of people who may use crmphoto, so {record} wasn't fetched."),
        N_("Ask the admin to add you (`ALLOWED_USER_IDS`) or your team's user group (`ALLOWED_USERGROUP_IDS`)."),
        Fixer.ADMIN,
    ),
    Code.GUEST_NOT_ALLOWED: (
        N_("Guest accounts can't use crmphoto, so {record} wasn't fetched."),
        N_("Ask a full member of the workspace to look it up, or ask the admin about access."),
        Fixer.ADMIN,
    ),
    Code.EXTERNAL_NOT_ALLOWED: (
        N_("crmphoto only serves people from its own organisation, so it won't fetch {record} for you."),
        N_("Ask someone from the organisation that runs crmphoto."),
        Fixer.ADMIN,
    ),
    Code.SHARED_CHANNEL: (
        N_("This conversation is shared with people from another organisation, so crmphoto won't show {record} "
        "here: everyone in it, outside guests included, would see the CRM data."),
        N_("Ask in a channel only your organisation is in, or in a direct message with crmphoto. An admin can allow "
        "shared channels with `SHARED_CHANNELS=true`."),
        Fixer.ADMIN,
    ),
    Code.SHARING_UNKNOWN: (
        N_("crmphoto couldn't check with Slack whether this conversation is shared with another organisation, "
        "so it didn't show {record} here."),
        N_("Try again in a minute."),
        Fixer.YOU,
    ),
    Code.IDENTITY_UNKNOWN: (
        N_("crmphoto couldn't check with Slack who is asking, so it didn't fetch {record}."),
        N_("Try again in a minute."),
        Fixer.YOU,
    ),
    Code.NOT_A_CRM_USER: (
        N_("crmphoto is set up to serve only people with a Zoho CRM account, and your Slack email address isn't "
        "one of the active users of your Zoho CRM, so {record} wasn't fetched."),
        N_("Ask your Zoho CRM admin for a CRM account with the same email address as your Slack profile, or ask "
        "a colleague who has one."),
        Fixer.ADMIN,
    ),
    Code.MODULE_NOT_ALLOWED: (
        N_("crmphoto is set up not to share photos from this module, so {record} wasn't fetched."),
        N_("Ask the admin if this module should be added to `ALLOWED_MODULES`."),
        Fixer.ADMIN,
    ),
    Code.BUSY: (
        N_("crmphoto is handling a lot of requests right now, so it didn't start on {record}."),
        N_("Please try again in a moment."),
        Fixer.YOU,
    ),
    Code.SHUTTING_DOWN: (
        N_("crmphoto was restarting and couldn't finish fetching {record}."),
        N_("Please try again in a moment."),
        Fixer.YOU,
    ),
    # Slack's side
    Code.FILE_UPLOADS_DISABLED: (
        N_("The photo of {record} is ready, but file uploads are turned off in this Slack workspace."),
        N_("Ask a Slack admin to allow file uploads."),
        Fixer.ADMIN,
    ),
    Code.FILE_UPLOAD_SIZE_RESTRICTED: (
        N_("The photo of {record} is larger than this Slack workspace allows for uploads."),
        N_("Ask a Slack admin about the upload size limit, or use a smaller photo in Zoho CRM."),
        Fixer.ADMIN,
    ),
    Code.STORAGE_LIMIT_REACHED: (
        N_("Slack's file storage for this workspace is full, so the photo of {record} couldn't be shared."),
        N_("Ask a Slack admin to free up space."),
        Fixer.ADMIN,
    ),
    Code.POSTING_TO_CHANNEL_DENIED: (
        N_("crmphoto isn't allowed to post in this channel, so the photo of {record} wasn't shared."),
        N_("Ask a channel manager to allow the app to post here, or try in another channel."),
        Fixer.ADMIN,
    ),
    Code.MISSING_SCOPE: (
        N_("crmphoto's Slack app is missing a permission it needs to share the photo of {record}."),
        N_("A Slack admin should reinstall the app from `manifest.yml` so it gets every scope listed there."),
        Fixer.ADMIN,
    ),
    Code.INVALID_AUTH: (
        N_("Slack no longer accepts crmphoto's bot token, so the photo of {record} couldn't be shared."),
        N_("The admin should reinstall the Slack app and update `SLACK_BOT_TOKEN`."),
        Fixer.ADMIN,
    ),
    Code.IS_ARCHIVED: (
        N_("This channel is archived, so the photo of {record} can't be shared here."),
        N_("Ask again in a channel that is still active."),
        Fixer.YOU,
    ),
    Code.RATELIMITED: (
        N_("Slack is asking crmphoto to slow down, so the photo of {record} wasn't shared."),
        N_("Try again in a minute."),
        Fixer.YOU,
    ),
    Code.NOT_IN_CHANNEL: (
        N_("crmphoto isn't a member of this conversation and couldn't send you the photo of {record} directly."),
        N_("Invite it with `/invite @crmphoto` and try again."),
        Fixer.YOU,
    ),
    Code.SLACK_TIMEOUT: (
        N_("The photo of {record} came from Zoho CRM, but Slack took too long to take it, so it may not have "
        "been shared."),
        N_("If it doesn't appear in a minute, try again."),
        Fixer.YOU,
    ),
    Code.SLACK_ERROR: (
        N_("Slack wouldn't take the photo of {record}."),
        N_("Try again in a few minutes; if it keeps happening, tell the admin with the reference below."),
        Fixer.YOU,
    ),
    Code.SAVE_FAILED: (
        N_("The photo of {record} was fetched but couldn't be saved."),
        N_("Check the output path and that it is writable."),
        Fixer.YOU,
    ),
    Code.FILE_EXISTS: (
        N_("The photo of {record} was fetched but not saved: the output file already exists."),
        N_("Choose another path with `-o`, or add `--force` to overwrite the file."),
        Fixer.YOU,
    ),
    Code.UNKNOWN_ZOHO_CODE: (
        N_("Zoho CRM said no to {record} with a reason crmphoto doesn't know yet."),
        N_("Tell the admin, with the code and reference below."),
        Fixer.ADMIN,
    ),
    Code.UNEXPECTED: (
        N_("Sorry, something went wrong on crmphoto's side while fetching {record}."),
        N_("Try again; if it happens again, tell the admin with the reference below."),
        Fixer.ADMIN,
    ),
}

def module_list(modules: list[str]) -> str:
    return ", ".join(f"`{escape(m)}`" for m in modules) or "`Contacts`, `Leads`, `Accounts`"


def explain(
    code: Code,
    module: str,
    record_id: str,
    *,
    typed: str = "",
    photo_modules: list[str] | None = None,
    suggestion: str | None = None,
    shown: str | None = None,
    about: Subject | None = None,
) -> Explanation:
    """Why outcome `code` happened to one record (or, with `about`, to what was searched); `said(locale)` words it.

    `shown` is the code printed for reference when it differs from ours (Zoho's raw code for one we don't know).
    """
    return Explanation(
        code=shown or code,
        kind=code if code in CATALOGUE else Code.UNKNOWN_ZOHO_CODE,
        about=about if about is not None else RecordName(module, record_id),
        typed=typed or module,
        photo_modules=tuple(photo_modules or ()),
        suggestion=suggestion,
    )


def unexpected() -> Explanation:
    """For a failure before we even know which record was asked for."""
    return Explanation(code="UNEXPECTED", kind=Code.UNEXPECTED, about=None)


def reference_line(code: str, reference: str) -> str:
    """The small print under every explanation: the code to quote and the id to find the log line.

    The same in every language, so support can read it whoever got the reply."""
    return f"Code `{escape(code)}` · reference `{escape(reference)}`"


# --- Replies that are not about a record ---------------------------------------------------------

def fetching(module: str, record_id: str, *, locale: str) -> str:
    words = i18n.text(locale, N_("Fetching the photo of {record} from Zoho CRM…"),
                      record=record_name(module, record_id))
    return f":hourglass_flowing_sand: {words}"


@dataclass(frozen=True)
class Label:
    """What goes with a shared photo: its title, the comment under it (mrkdwn, every Zoho field escaped), and
    the record as far as it is known."""

    title: str
    comment: str
    card: RecordCard | None = None


SAFE_LINK = re.compile(rf"https://[A-Za-z0-9.-]+/crm/[A-Za-z0-9._-]+/tab/{API_NAME.pattern}/{RECORD_ID.pattern}",
                       re.ASCII)

# Zoho's standard modules with photos (zoho-download-a-photo.txt), as the channel reads them; a custom module
# is shown by its API name.
MODULE_NAMES = {
    "Leads": N_("Leads"),
    "Contacts": N_("Contacts"),
    "Accounts": N_("Accounts"),
    "Products": N_("Products"),
    "Vendors": N_("Vendors"),
}


def module_name(api_name: str, *, locale: str) -> str:
    """A module's name in `locale` for the standard modules, else its API name."""
    known = MODULE_NAMES.get(api_name)
    return i18n.text(locale, known) if known else api_name


def photo_title(module: str, record_id: str, *, locale: str) -> str:
    return f"{module_name(module, locale=locale)} {record_id}"


def photo_label(card: RecordCard | None, module: str, record_id: str, user_id: str = "", *, locale: str) -> Label:
    """The caption: who the record is (name, module, account or company, a link to it), and who asked.

    The whole channel reads it, so it is in the channel's language (`DEFAULT_LOCALE`), never the asker's, and it
    never carries the record's email address or phone numbers.

    Without the record's fields (no scope, an error) it is the plain "Contacts 123" caption.
    """
    shown = module_name(module, locale=locale)
    if card is None or not card.name:
        record = record_name(shown, record_id)
        if user_id:
            comment = i18n.text(locale, N_("Photo of {record} from Zoho CRM, requested by {user}."), record=record,
                                user=f"<@{escape(user_id)}>")
        else:
            comment = i18n.text(locale, N_("Photo of {record} from Zoho CRM."), record=record)
        return Label(photo_title(module, record_id, locale=locale), comment, card)
    parts = [f"*{escape(card.name)}*", escape(shown)]
    if card.detail:
        parts.append(escape(card.detail))
    if card.link and SAFE_LINK.fullmatch(card.link):
        label = i18n.text(locale, N_("Open in Zoho CRM"))
        parts.append(f"<{card.link}|{escape(label)}>")
    comment = " · ".join(parts)
    if user_id:
        comment += "\n" + i18n.text(locale, N_("Requested by {user}."), user=f"<@{escape(user_id)}>")
    return Label(_plain(card.name, locale)[:250], comment, card)


def _plain(text: str, locale: str) -> str:
    """A title is plain text: no line breaks or control characters from a CRM field."""
    return _printable(text) or i18n.text(locale, N_("Photo"))


def _printable(text: str) -> str:
    return "".join(ch for ch in text if ch.isprintable()).strip()


def searching(label: str, *, locale: str) -> str:
    words = i18n.text(locale, N_("Looking for {searched} in Zoho CRM…"), searched=f"*{escape(label)}*")
    return f":mag: {words}"


def sharing(module: str, record_id: str, name: str = "", *, locale: str) -> str:
    """After a click on "Share photo": the person by the name the list showed, else the module and id."""
    shown = _printable(name)
    who = f"*{escape(shown)}*" if shown else record_name(module, record_id)
    return ":hourglass_flowing_sand: " + i18n.text(locale, N_("Sharing the photo of {record}…"), record=who)


def searched(value: str, modules: list[str]) -> Searched:
    """What was looked for, and where: `*Jane Doe* in Contacts or Leads` once said in a language."""
    return Searched(value, tuple(m for m in modules if m))


# The list of matches to pick from (bot/slack/blocks.py lays them out; `{searched}` comes escaped).
def choice_intro(total: int, searched: str, *, locale: str) -> str:
    if total == 1:
        # One record, but not exactly what was typed (bot/matching.py): the asker checks it before the channel sees it.
        return i18n.text(locale, N_("One record matches {searched}, though not exactly. Is it the one you meant?"),
                         searched=searched)
    return i18n.plural(locale, NP_("{n} record matches {searched}. Which one did you mean?",
                                   "{n} records match {searched}. Which one did you mean?"), total, searched=searched)


def choice_button(*, locale: str) -> str:
    return i18n.text(locale, N_("Share photo"))


def choice_more(hidden: int, pages: bool, *, locale: str) -> str:
    """Under the list: how many more matched, and how to narrow the search down."""
    if pages:
        forms = NP_("More than {n} more not shown. To narrow it down, add the module (`{command} Contacts Jane Doe`) "
                    "or use their email address.",
                    "More than {n} more not shown. To narrow it down, add the module (`{command} Contacts Jane Doe`) "
                    "or use their email address.")
    else:
        forms = NP_("{n} more not shown. To narrow it down, add the module (`{command} Contacts Jane Doe`) or use "
                    "their email address.",
                    "{n} more not shown. To narrow it down, add the module (`{command} Contacts Jane Doe`) or use "
                    "their email address.")
    return i18n.plural(locale, forms, hidden, command=COMMAND)


def untitled(*, locale: str) -> str:
    return i18n.text(locale, N_("(no name)"))


def photo_alt(name: str, *, locale: str) -> str:
    return i18n.text(locale, N_("Photo of {name}"), name=name)


def choices_text(total: int, searched: str, *, locale: str) -> str:
    """The notification text of the list (Block Kit shows the list itself)."""
    if total == 1:
        return i18n.text(locale, N_("One record matches {searched}, though not exactly."), searched=escape(searched))
    return i18n.plural(locale, NP_("{n} record matches {searched}.", "{n} records match {searched}."), total,
                       searched=escape(searched))


def sent_by_dm(module: str, record_id: str, *, locale: str) -> str:
    return i18n.text(locale, N_("I'm not a member of this conversation, so I sent the photo of {record} to you in a "
                                "direct message. To share photos here, invite me with `/invite @crmphoto`."),
                     record=record_name(module, record_id))


def help_text(photo_modules: list[str], search_modules: Sequence[str] = (), *, locale: str) -> str:
    """`/crmphoto help` and an empty `/crmphoto`: every way to name the record, so nobody has to guess one."""
    where = i18n.either(locale, [escape(m) for m in search_modules])
    # The sentence carries its own trailing space: Japanese runs sentences together without one.
    looked_up = i18n.text(locale, N_("Emails, phone numbers and names are looked up in {modules}. "),
                          modules=where) if where else ""
    return i18n.text(locale, N_(
        "*{command}* posts a Zoho CRM record's photo in this channel. Find the record any of these ways:\n"
        "• `{command} jane.doe@example.com`: an email address\n"
        "• `{command} +44 20 7946 0958`: a phone number\n"
        "• `{command} Jane Doe`: a name (`{command} Leads Jane Doe` looks in one module only)\n"
        "• `{command} Contacts 4876876000000624001`: a module and a record id (any case, singular or plural: "
        "`lead 4876876000000624001`)\n"
        "• `{command} https://crm.zoho.com/crm/org123/tab/Contacts/4876876000000624001`: a record link pasted "
        "from Zoho CRM\n"
        "{looked_up}When several records match, you pick one from a list only you see.\n"
        "Modules with photos: {modules}.\n"
        "If something goes wrong, only you will see the explanation."),
        command=COMMAND, looked_up=looked_up, modules=module_list(photo_modules))


INPUT_HINTS: dict[str, str] = {
    "missing_id": N_("I need a record id after *{detail}*. Try `{command} Contacts 4876876000000624001`."),
    "missing_module": N_("Which module is record *{detail}* in? Try `{command} Contacts {detail}`."),
    "bad_id": N_("*{detail}* isn't a record id: a Zoho record id is all digits, like `4876876000000624001`."),
    "id_too_long": N_("*{detail}* is too long for a Zoho record id: those are about 19 digits, like "
    "`4876876000000624001`. Copy the number at the end of the record's address in Zoho CRM, or paste the whole link."),
    "glued": N_("Put a space between the module and the record id: `{command} {detail}`."),
    "bad_email": N_("*{detail}* isn't a whole email address. Type it as it is, like `{command} jane.doe@example.com`."),
    "bad_phone": N_("*{detail}* doesn't look like a whole phone number: that has 6 to 15 digits, like "
    "`{command} +44 20 7946 0958`."),
    "mention": N_("*{detail}* is someone in Slack, but crmphoto looks people up in Zoho CRM: type their name or "
    "email address instead, like `{command} Jane Doe`."),
    "bad_search": N_("*{detail}* can't be searched for as a name: a name is letters, with ' . - &amp; inside words, "
    "like `{command} Jane O'Brien-Smith`."),
    "not_understood": N_("*{detail}* is not something crmphoto can look up. It finds someone by email address, "
    "phone number, name, module and record id, or a pasted Zoho CRM link."),
    "too_many_ids": N_("One record at a time, please: `{command} Contacts 4876876000000624001`."),
    "link_and_words": N_("Paste the record link on its own, without *{detail}*: `{command} https://crm.zoho.com/crm/"
    "org123/tab/Contacts/4876876000000624001`."),
    "extra_words": N_("I didn't understand *{detail}* at the end. Try `{command} Contacts 4876876000000624001`."),
    "bad_module": N_("*{detail}* doesn't look like a module name. Try `{command} Contacts 4876876000000624001`."),
    "bad_link": N_("That doesn't look like a Zoho CRM record link ({detail}). Open the record in Zoho CRM and "
    "copy the address from the browser, or type `{command} Contacts 4876876000000624001`."),
    "too_long": N_("That's too long to look up. Try their email address, a shorter part of the name, or "
    "`{command} Contacts 4876876000000624001`."),
    "placeholder": N_("*{detail}* is a placeholder from an example: type the real module or record id there instead, "
    "like `{command} Contacts 4876876000000624001`."),
}


def input_hint(problem: str, detail: str, command: str = COMMAND, more: str = f"{COMMAND} help", *,
               locale: str) -> str:
    """A specific hint for what was typed; `command` shows the syntax where the person is (Slack or a terminal)."""
    template = INPUT_HINTS.get(problem, INPUT_HINTS["extra_words"])
    hint = i18n.text(locale, template, command=command, detail=escape(detail) if detail else "…")
    return hint + "\n" + i18n.text(locale, N_("Type `{more}` for more."), more=more)


def admin_text(explanation: Explanation, detail: str = "") -> str:
    """The same facts for an admin at a terminal, in English: the code, the cause, the fix, what the service said."""
    said = explanation.said(ADMIN)
    lines = [f"✗ {said.code}", f"  cause: {cli_text(said.what)}", f"  fix:   {cli_text(said.todo)}"]
    answer = re.sub(r"\bHTTP None\b ?", "", detail).strip()
    if answer:
        lines.append(f"  said:  {answer}")
    return "\n".join(lines)


def cli_text(mrkdwn: str) -> str:
    """The same words for a terminal: mrkdwn emphasis and Slack escapes removed."""
    plain = re.sub(r"(?<!\w)_(.+?)_(?!\w)", r"\1", re.sub(r"\*(.+?)\*", r"\1", mrkdwn))
    return unescape(plain)


# --- For the admin running the process: English, whoever's command caused it --------------------------------

ALERT_ABOUT = AdminSubject("records")  # stands for `{record}` in an admin alert: it is about every command, not one


def admin_alert(words: Explanation, since: str, count: int) -> str:
    """Posted to ADMIN_CHANNEL_ID (or logged) when a failure only an admin can fix keeps happening."""
    said = words.said(ADMIN)
    commands = "1 command" if count == 1 else f"{count} commands"
    return (f":rotating_light: *crmphoto needs an admin* (`{escape(said.code)}`): {said.what}\n"
            f"Failing since {since}; {commands} affected so far.\n"
            f"*To fix:* {said.todo}")


def admin_resolved(code: str, since: str, count: int) -> str:
    """The one follow-up when the same kind of operation works again."""
    commands = "1 command" if count == 1 else f"{count} commands"
    return (f":white_check_mark: *crmphoto: resolved* (`{escape(code)}`): it works again. It had been failing "
            f"since {since} and affected {commands}.")


def app_token_refused(error: str) -> str:
    """Why Socket Mode stopped for good: the app-level token will not work until someone replaces it."""
    return (
        f"crmphoto cannot connect to Slack: Slack refused SLACK_APP_TOKEN ({error}).\n"
        "Set SLACK_APP_TOKEN to an app-level token (xapp-…) of this Slack app with the connections:write "
        "scope (Basic Information → App-Level Tokens; a bot token xoxb-… will not do), then start crmphoto again.\n"
        "See 'On a laptop with Socket Mode' in README.md."
    )


# --- `python -m bot doctor`: one line per check; for a failure, its cause and the exact fix ------------

# key -> (line, cause, fix); `{placeholders}` are filled by bot.doctor. Plain text for a terminal.
NEW_REFRESH_TOKEN = ("In the Self Client, generate a new grant code with the scopes {grant_scopes}, exchange it for a "
                     "refresh token (see docs/zoho.md, 'Generate a grant code') and set ZOHO_REFRESH_TOKEN.")
DOCTOR_WORDS: dict[str, tuple[str, str, str]] = {
    "settings_ok": ("Settings: complete ({mode}; Slack bot token …{bot_tail}, Zoho client {client_id}, "
                    "refresh token …{refresh_tail}, data centre {dc})", "", ""),
    "settings_bad": ("Settings: {problem}", "",
                     "Set it in the environment (or .env) and run the doctor again. See docs/configuration.md."),
    "slack_auth_ok": ("Slack: the bot token works (workspace {team}, bot user {user})", "", ""),
    "slack_auth_refused": ("Slack: the bot token was refused ({error})",
                           "Slack does not accept SLACK_BOT_TOKEN: it is wrong, revoked, or the app was uninstalled.",
                           "Copy the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page "
                           "into SLACK_BOT_TOKEN (install the app to the workspace first if it shows none)."),
    "slack_unreachable": ("Slack: could not reach {url} ({error})",
                          "No answer from Slack's Web API.",
                          "Check the network (proxy, firewall) and SLACK_API_URL, then run the doctor again."),
    "slack_scopes_ok": ("Slack: the bot token has every scope crmphoto needs ({count})", "", ""),
    "slack_scopes_missing": ("Slack: the bot token lacks {missing}",
                             "The app was installed before these scopes were added, or they were removed.",
                             "Add {missing} under OAuth & Permissions → Bot Token Scopes (or update the app from "
                             "manifest.yml), then click Reinstall to Workspace and approve."),
    "slack_scopes_unknown": ("Slack: could not read the granted scopes (no x-oauth-scopes header in the answer)",
                             "Something between crmphoto and Slack removed the header.",
                             "Compare OAuth & Permissions → Bot Token Scopes with manifest.yml by hand."),
    "slack_channels": ("Slack: channel membership can't be checked from here. In every private channel where "
                       "people use {command}, type /invite @crmphoto (public channels are joined on first use).",
                       "", ""),
    "zoho_token_note": ("Zoho: token requests made by the doctor count toward Zoho's limit of 10 new access "
                        "tokens per refresh token in 10 minutes (this run: 1).", "", ""),
    "zoho_token_ok": ("Zoho: the refresh token gives an access token ({dc}, API domain {api_domain})", "", ""),
    "zoho_client_not_here": ("Zoho: the accounts server of {dc} ({accounts_url}) answered invalid_client",
                             "The data centre {dc} does not know this client id and secret: the client is in "
                             "another data centre, or ZOHO_CLIENT_ID or ZOHO_CLIENT_SECRET has a typo.",
                             "Compare ZOHO_CLIENT_ID and ZOHO_CLIENT_SECRET with the Self Client in Zoho's API "
                             "console. To find the data centre that knows this client, run "
                             "python -m bot doctor --find-dc (it sends the client id and secret, never the refresh "
                             "token, to every other data centre but China; --find-dc all asks China too)."),
    "zoho_code_not_here": ("Zoho: the accounts server of {dc} ({accounts_url}) answered invalid_code",
                           "The data centre {dc} knows this client but not the refresh token: it was revoked, "
                           "is another client's, or was made in another data centre's API console.",
                           NEW_REFRESH_TOKEN + " To see which other data centres know this client, run "
                           "python -m bot doctor --find-dc."),
    "zoho_wrong_dc": ("Zoho: the accounts server of {dc} ({accounts_url}) answered invalid_client",
                      "Your Zoho client is in {right}, not {dc}.",
                      "Set ZOHO_DC={right}{drop_url}, then run the doctor again."),
    "zoho_wrong_dc_several": ("Zoho: the accounts server of {dc} ({accounts_url}) answered invalid_client",
                              "Your Zoho client is known in {right}, not {dc}.",
                              "Set ZOHO_DC to {either} (the one whose API console made ZOHO_REFRESH_TOKEN)"
                              "{drop_url}, then run the doctor again."),
    "zoho_unknown_client": ("Zoho: the accounts server of {dc} ({accounts_url}) answered invalid_client",
                            "No Zoho data centre asked ({asked}) knows this client id and secret.",
                            "Copy the Client ID and Client Secret from the Self Client in Zoho's API console "
                            "(api-console.zoho.com) into ZOHO_CLIENT_ID and ZOHO_CLIENT_SECRET."),
    "zoho_also_known": ("Zoho: the accounts server of {dc} ({accounts_url}) answered invalid_code",
                        "The data centre {dc} knows this client but not the refresh token. The client is also "
                        "known in {right}, so the refresh token may have been made there.",
                        "If ZOHO_REFRESH_TOKEN was made in the API console of {either}, set ZOHO_DC to that one"
                        "{drop_url}. Otherwise, a new one: " + NEW_REFRESH_TOKEN),
    "zoho_revoked": ("Zoho: the accounts server of {dc} ({accounts_url}) answered invalid_code",
                     "The refresh token was revoked, or is not the one generated for this client.",
                     NEW_REFRESH_TOKEN),
    "zoho_probe_unclear": ("Zoho: no clear answer from {answers}, so whether the client is there is not known; "
                           "run the doctor again to ask again.", "", ""),
    "zoho_china_not_asked": ("Zoho: China's data centre (cn) was not asked; python -m bot doctor --find-dc cn "
                             "asks it.", "", ""),
    "zoho_throttled": ("Zoho: the accounts server refused more tokens for now ({error})",
                       "More than 10 token requests were made with this refresh token in 10 minutes.",
                       "Wait 10 minutes without restarting crmphoto or the doctor, then run the doctor again; "
                       "check nothing else uses the same refresh token."),
    "zoho_token_failed": ("Zoho: no access token from {accounts_url} ({error})",
                          "{message}",
                          "Check the network and ZOHO_DC / ZOHO_ACCOUNTS_URL, then run the doctor again."),
    "zoho_modules_ok": ("Zoho: the module list loads; modules with photos: {modules}", "", ""),
    "zoho_modules_failed": ("Zoho: the module list did not load ({error})",
                            "{message}",
                            "If the code is OAUTH_SCOPE_MISMATCH, see the scope line below; otherwise check "
                            "ZOHO_API_DOMAIN and ZOHO_API_VERSION and run the doctor again."),
    "zoho_scopes_ok": ("Zoho: the token has every scope crmphoto needs ({scopes})", "", ""),
    "zoho_scope_missing": ("Zoho: the token lacks {missing}",
                           "The refresh token was generated without {missing}.",
                           NEW_REFRESH_TOKEN),
    "zoho_scope_ok": ("Zoho: {scope} is granted ({what} works)", "", ""),
    "zoho_scope_unchecked": ("Zoho: {scope} could not be checked: Zoho's token answer lists no scopes. {why}",
                             "", ""),
    "zoho_call_failed": ("Zoho: {what} failed ({error})", "{message}", "Run the doctor again; if it keeps "
                         "failing, check Zoho's status page and the network."),
    "photo_ok": ("Photo: {module} {record_id} is {size} bytes of {content_type} ({filename}); nothing was uploaded",
                 "", ""),
    "photo_failed": ("Photo: {module} {record_id} could not be fetched ({code})", "{what}", "{todo}"),
    "redis_ok": ("Redis: {where} answers ({tls}, version {version}, round trip {rtt} ms)", "", ""),
    "redis_unreachable": ("Redis: no answer from {where} ({error})",
                          "REDIS_URL names a server crmphoto cannot reach: it is stopped, the address is out of date, "
                          "or the network is in the way. Each bot process would then keep its own limits and budget.",
                          "Check REDIS_URL (the Key-Value Store add-on sets it: heroku config:get REDIS_URL) and that "
                          "the add-on is running, then run the doctor again."),
    "redis_refused": ("Redis: {where} refused the password in REDIS_URL ({error})",
                      "The password in REDIS_URL is wrong or has been changed on the server.",
                      "Set REDIS_URL to the add-on's current value (heroku config:get REDIS_URL shows it; Heroku "
                      "updates it when the credentials change), then run the doctor again."),
    "redis_clients_ok": ("Redis: up to {needed} of the {maxclients} connections the server allows: {dynos} dyno(s) × "
                         "{workers} process(es) × REDIS_MAX_CONNECTIONS {bound} = {running}, twice that while old and "
                         "new dynos overlap in a restart or deploy, plus 1 for a one-off like this doctor; "
                         "{connected} open now{dynos_hint}", "", ""),
    "redis_clients_short": ("Redis: up to {needed} connections needed, the server allows {maxclients}",
                            "{dynos} dyno(s) × {workers} process(es) × REDIS_MAX_CONNECTIONS {bound} = {running} "
                            "while running, twice that while old and new dynos overlap in a restart or deploy, plus 1 "
                            "for a one-off{dynos_hint}. Past the limit Redis turns connections away, and the "
                            "processes left out keep their own limits, budget and Zoho cap.",
                            "Lower REDIS_MAX_CONNECTIONS (2 at least) or WEB_CONCURRENCY, run fewer dynos, or move "
                            "to a plan with more connections (docs/configuration.md, 'Redis connections on "
                            "Heroku'), then run the doctor again."),
    "redis_maxclients_unknown": ("Redis: the server does not say how many connections it allows (CONFIG GET refused, "
                                 "no maxclients in INFO). crmphoto needs up to {needed}: {dynos} dyno(s) × {workers} "
                                 "process(es) × REDIS_MAX_CONNECTIONS {bound} = {running}, twice that during a "
                                 "restart or deploy, plus 1 for a one-off{dynos_hint}. Heroku Key-Value Store plans "
                                 "allow: mini 20, premium-0 40, premium-1 80, premium-2 200, premium-3 400, "
                                 "premium-5 1,000.", "", ""),
    "all_ok": ("All checks passed.", "", ""),
    "some_failed": ("{failed} check(s) failed: fix the ✗ lines above, then run the doctor again.", "", ""),
}


def doctor_words(key: str, **values: object) -> tuple[str, str, str]:
    """One check's (line, cause, fix), filled in."""
    return tuple(part.format(command=COMMAND, **values) for part in DOCTOR_WORDS[key])  # type: ignore[return-value]


def doctor_list(keys: Sequence[str], last: str) -> str:
    """Data centre keys in a sentence: eu; eu and in; eu, in or jp (`last` is "and" or "or")."""
    return f"{', '.join(keys[:-1])} {last} {keys[-1]}" if len(keys) > 1 else "".join(keys)


def find_dc_unknown(typed: str, keys: Sequence[str], everything: str) -> str:
    """`--find-dc` got something that is not a data centre: what it takes instead."""
    return (f"--find-dc: {typed!r} is not a data centre. Name one or more of {', '.join(keys)} separated by "
            f"commas, or {everything} for every one; --find-dc alone asks every one but cn.")


# --- `python -m bot setup` and `python -m bot manifest`: plain text for a terminal --------------------------------

# `{placeholders}` are filled by bot.setup, bot.manifest and bot.heroku. No secret is ever one of them.
SETUP_WORDS: dict[str, str] = {
    "intro": "crmphoto setup: the Slack app, then the Zoho self client; the settings go to {where}. About 10 "
             "minutes.\nDefaults are in [brackets]: Enter takes them. Secrets are not shown as you type them. "
             "Ctrl-C stops without saving anything.\n",
    "where_heroku": "the Heroku app {app}",
    "missing_answers": "{prog}: no terminal to ask, and these answers are missing: {flags}. Give them as flags "
                       "(python -m bot setup --help lists them all).",
    "kept": "Keeping {names} from {where}.",
    "bad_url": "{url!r} is not an address Slack can send requests to: give the bot's public https address, such "
               "as {example} (no path is needed: crmphoto answers on /slack/events).",
    "bad_environment": "The environment has Zoho settings crmphoto cannot use:\n{problems}\nFix or unset them, "
                       "then run setup again.",
    "env_unreadable": "Cannot read {path} ({error}): fix it, or choose another file with --env-file. "
                      "Nothing was asked or saved.",
    "env_unwritable": "Cannot write {path}: it is not a file, or its folder does not exist or is not writable. "
                      "Choose another file with --env-file. Nothing was asked or saved.",
    "ask_address": "Where will Slack reach the bot? Its public https address, such as {example} (heroku create "
                   "prints it), or socket for Socket Mode (no public address)",
    "dc_help": "Your Zoho data centre: look at the address of Zoho CRM in your browser. {hosts}.",
    "ask_dc": "Zoho data centre (its key, or paste Zoho CRM's address)",
    "bad_dc": "{typed!r} is not a Zoho data centre: type one of {keys}, or paste the address of Zoho CRM from your "
              "browser.",
    "slack_step_http": "\nStep 1 of 2, the Slack app (about 3 minutes)\n"
                       "  1. Open this link, pick your workspace and choose Create (the app is made from crmphoto's "
                       "manifest):\n     {link}\n"
                       "  2. Choose Install to Workspace (Settings, Install App) and Allow.\n"
                       "     Slack may say the Event Subscriptions URL did not answer: that is expected until the bot "
                       "runs. Once it is deployed, press Retry under Event Subscriptions.\n"
                       "  3. Copy the Bot User OAuth Token (OAuth & Permissions) and the Signing Secret (Basic "
                       "Information, App Credentials).",
    "slack_step_socket": "\nStep 1 of 2, the Slack app (about 3 minutes)\n"
                         "  1. Open this link, pick your workspace and choose Create (the app is made from "
                         "crmphoto's manifest, Socket Mode on):\n     {link}\n"
                         "  2. Choose Install to Workspace (Settings, Install App) and Allow.\n"
                         "  3. Under Basic Information, App-Level Tokens, choose Generate Token and Scopes, add the "
                         "scope connections:write and Generate.\n"
                         "  4. Copy that app-level token and the Bot User OAuth Token (OAuth & Permissions).",
    "ask_bot_token": "Bot User OAuth Token (xoxb-…)",
    "ask_signing_secret": "Signing Secret",
    "ask_app_token": "App-level token (xapp-…)",
    "app_token_wins": "Note: {where} also sets SLACK_APP_TOKEN, so the bot will run in Socket Mode and not answer "
                      "at its address. Remove that line for HTTP mode.",
    "zoho_client_step": "\nStep 2 of 2, the Zoho self client (about 3 minutes)\n"
                        "  Sign in to Zoho as the user the bot should act as (it sees the photos that user can "
                        "see), then:\n"
                        "  1. Open {console} (the API console of data centre {dc}) and choose Add Client (or Get "
                        "Started), Self Client, Create, OK.\n"
                        "  2. In the Client Secret tab, copy the Client ID and the Client Secret.",
    "ask_client_id": "Client ID",
    "ask_client_secret": "Client Secret",
    "zoho_code_step": "  3. In the Generate Code tab, paste this Scope exactly:\n       {scopes}\n"
                      "     Time Duration: 10 minutes; Scope Description: crmphoto. Choose Create, pick your CRM "
                      "organisation, and copy the code. It works once, so paste it here straight away.",
    "ask_grant_code": "Grant code",
    "enter_keeps": " (Enter keeps the one in {where}{shown})",
    "value_empty": "{name} is needed.",
    "value_spaces": "{name} cannot contain spaces: copy it again, with nothing before or after it.",
    "value_prefix": "{name} starts with {prefix}: copy it again from the Slack app's page.",
    "exchanging": "\nExchanging the grant code at {accounts_url}, then trying the new token:",
    "exchanged": "Zoho: the grant code gave a refresh token ({dc}, API domain {api_domain})",
    "refused_code": "✗ Zoho refused the grant code (invalid_code): it has expired, or it was already used.\n"
                    "  Make a new grant code (Generate Code tab, the same scope): they last a few minutes and work "
                    "once. Then run setup again straight away.",
    "refused_client": "✗ The accounts server of data centre {dc} ({accounts_url}) does not know this client "
                      "(invalid_client).\n  Either the Client ID or Client Secret has a typo, or your Zoho account "
                      "is in another data centre. The end of Zoho CRM's address in your browser tells which: "
                      "{hosts}. Run setup again with --dc and that key (the grant code still works if it has not "
                      "expired).{set_url}",
    "accounts_url_set": "\n  ZOHO_ACCOUNTS_URL is set in the environment: it decides the accounts server, not --dc.",
    "refused_throttled": "✗ Zoho's accounts server refuses more token requests for now ({message}).\n"
                         "  Wait 10 minutes, make a new grant code, then run setup again.",
    "refused_unreachable": "✗ Could not reach Zoho's accounts server {accounts_url} ({message}).\n"
                           "  Check the network (proxy, firewall){set_url} and run setup again; make a new grant "
                           "code if this one has expired.",
    "refused_garbled": "✗ Zoho's accounts server gave no usable answer ({status}{message}).\n"
                       "  Zoho may be having trouble: wait a few minutes, make a new grant code (this one may be "
                       "used up), then run setup again.",
    "refused_other": "✗ Zoho refused the grant code ({message}).\n"
                     "  Make a new grant code with the scope shown above, then run setup again.",
    "nothing_saved": "Nothing was saved to {where}.",
    "checks_failed": "\nThe new token cannot do everything crmphoto needs, so nothing was saved to {where}.\n"
                     "Fix what the ✗ lines say, make a new grant code with exactly this scope, and run setup again:\n"
                     "  {scopes}",
    "saved_file": "\n✓ Saved {names} to {path} (mode 600: only you can read it).",
    "kept_lines": " Its other lines are as they were.",
    "saved_heroku": "\n✓ Set {names} on the Heroku app {app} (Heroku restarts it).",
    "nothing_saved_heroku": "No config var was set on {app}: fix that, make a new grant code and run setup again.",
    "env_write_failed": "Could not write {path} ({error}); it is as it was. Make a new grant code and run setup "
                        "again with another --env-file.",
    "next_http": "Next: start the bot where Slack reaches {address} (python -m bot), press Retry under Event "
                 "Subscriptions in the Slack app, then /invite @crmphoto in a channel and type /crmphoto help.",
    "next_heroku": "Next: deploy (git push heroku main), press Retry under Event Subscriptions in the Slack app, then "
                   "/invite @crmphoto in a channel and type /crmphoto help.",
    "next_socket": "Next: start the bot (python -m bot; Socket Mode needs no public address), then /invite "
                   "@crmphoto in a channel and type /crmphoto help.",
    "ask_doctor": "Run python -m bot doctor now, with these settings (y/n)",
    "doctor_later": "Check the whole deployment any time with: {command}",
    "doctor_later_file": "Check the whole deployment any time with {command}, run with the settings of {path} in the "
                         "environment (the doctor reads the environment and .env in the folder it runs in).",
    "stopped": "Stopped: nothing was saved.",
    "stopped_saved": "Stopped (the settings were saved).",
    "heroku_bad_name": "--heroku-app: {app!r} is not a Heroku app name (lowercase letters, digits and dashes, "
                       "as heroku apps lists them).",
    "heroku_missing": "The Heroku CLI (heroku) is not installed here: install it "
                      "(https://devcenter.heroku.com/articles/heroku-cli) and run heroku login, or save the "
                      "settings to a file with --env-file instead. Nothing was asked or saved.",
    "heroku_failed": "The Heroku CLI failed (heroku {command} for {app}): {error}\n  Check the app name (heroku "
                     "apps) and that you are logged in (heroku login).",
}


def setup_words(key: str, **values: object) -> str:
    """One of setup's messages, filled in."""
    return SETUP_WORDS[key].format(**values)


# --- The message shortcut ("Show CRM photo", bot/manifest.py) ------------------------------------------------------

SHORTCUT_NAME = "Show CRM photo"  # as the manifest names it (Slack shows it in English): never translated


def nothing_to_find() -> Explanation:
    """The shortcut was used on a message that names nobody: what it looks for, and the command for a name."""
    return explain(Code.NOTHING_TO_FIND, "", "")


@dataclass(frozen=True)
class Identifiers:
    """What the shortcut found in a message, `*a, b or c*` in the reader's language."""

    labels: tuple[str, ...]

    def said(self, locale: str) -> str:
        return f"*{escape(i18n.either(locale, list(self.labels)))}*"


SHORTCUT_NO_MATCH = (
    N_("No record in Zoho CRM matches {record} from this message."),
    N_("*{shortcut}* looks up the email addresses, phone numbers and Zoho CRM record links in a message, up to "
       "three. Check they are the person's, or type `{command}` with their name."),
)


def shortcut_no_match(labels: Sequence[str]) -> Explanation:
    """Nothing the shortcut found in a message matched a record; `labels` name what was searched."""
    return Explanation(Code.NO_MATCH, Code.NO_MATCH, Identifiers(tuple(labels)), words=SHORTCUT_NO_MATCH)
