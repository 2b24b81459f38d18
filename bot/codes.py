"""Every outcome a request can have, as one enum that every layer raises and only `messages` puts into words.

The values are the codes people see in replies and admins find in the audit log: Zoho's own codes as Zoho
spells them (NO_PERMISSION, …), Slack's as Slack spells them (not_in_channel, …), and our own for what
happens on the way (TIMEOUT, BUSY, …). A code from the wire that we do not know becomes
UNKNOWN_ZOHO_CODE or SLACK_ERROR; the raw code is kept beside it for the log and the reference line.
"""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    OK = "OK"
    CHOICES = "CHOICES"  # a search found several records: the person picks one
    # The record and its photo
    NO_PHOTO = "NO_PHOTO"
    INVALID_DATA = "INVALID_DATA"
    INVALID_RECORD_ID = "INVALID_RECORD_ID"
    RECORD_LOCKED = "RECORD_LOCKED"
    NOT_APPROVED = "NOT_APPROVED"
    PHOTO_TOO_LARGE = "PHOTO_TOO_LARGE"
    # Modules
    INVALID_MODULE = "INVALID_MODULE"
    UNKNOWN_MODULE = "UNKNOWN_MODULE"
    MODULE_WITHOUT_PHOTOS = "MODULE_WITHOUT_PHOTOS"
    # Search
    NO_MATCH = "NO_MATCH"
    NOTHING_TO_FIND = "NOTHING_TO_FIND"  # a message the shortcut was used on names nobody (no email, phone or link)
    SEARCH_NOT_ENABLED = "SEARCH_NOT_ENABLED"
    SEARCH_TOO_SHORT = "SEARCH_TOO_SHORT"
    SEARCH_TOO_LONG = "SEARCH_TOO_LONG"
    SEARCH_BAD_EMAIL = "SEARCH_BAD_EMAIL"
    SEARCH_BAD_PHONE = "SEARCH_BAD_PHONE"
    RECORD_NOT_FOUND = "RECORD_NOT_FOUND"
    INVALID_QUERY = "INVALID_QUERY"
    # Permissions and set-up
    NO_PERMISSION = "NO_PERMISSION"
    AUTHORIZATION_FAILED = "AUTHORIZATION_FAILED"
    OAUTH_SCOPE_MISMATCH = "OAUTH_SCOPE_MISMATCH"
    INVALID_TOKEN = "INVALID_TOKEN"
    AUTHENTICATION_FAILURE = "AUTHENTICATION_FAILURE"
    INVALID_CLIENT = "INVALID_CLIENT"
    INVALID_REFRESH_TOKEN = "INVALID_REFRESH_TOKEN"
    TOKEN_THROTTLED = "TOKEN_THROTTLED"
    TOKEN_ERROR = "TOKEN_ERROR"
    INVALID_URL_PATTERN = "INVALID_URL_PATTERN"
    INVALID_REQUEST_METHOD = "INVALID_REQUEST_METHOD"
    # Zoho busy or unreachable
    INTERNAL_ERROR = "INTERNAL_ERROR"
    TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"
    TIMEOUT = "TIMEOUT"
    CONNECTION_ERROR = "CONNECTION_ERROR"
    INVALID_RESPONSE = "INVALID_RESPONSE"
    UNKNOWN_ZOHO_CODE = "UNKNOWN_ZOHO_CODE"
    # The admin's controls and the process's limits
    BUDGET_EXHAUSTED = "BUDGET_EXHAUSTED"
    RATE_LIMITED = "RATE_LIMITED"
    TEAM_NOT_ALLOWED = "TEAM_NOT_ALLOWED"
    CHANNEL_NOT_ALLOWED = "CHANNEL_NOT_ALLOWED"
    USER_NOT_ALLOWED = "USER_NOT_ALLOWED"
    GUEST_NOT_ALLOWED = "GUEST_NOT_ALLOWED"
    EXTERNAL_NOT_ALLOWED = "EXTERNAL_NOT_ALLOWED"
    IDENTITY_UNKNOWN = "IDENTITY_UNKNOWN"
    NOT_A_CRM_USER = "NOT_A_CRM_USER"
    SHARED_CHANNEL = "SHARED_CHANNEL"  # the conversation is shared with another organisation (Slack Connect)
    SHARING_UNKNOWN = "SHARING_UNKNOWN"  # Slack would not say whether the conversation is shared outside
    MODULE_NOT_ALLOWED = "MODULE_NOT_ALLOWED"
    NOT_YOUR_CHOICE = "NOT_YOUR_CHOICE"
    BUSY = "BUSY"
    SHUTTING_DOWN = "SHUTTING_DOWN"
    # Slack's side
    FILE_UPLOADS_DISABLED = "file_uploads_disabled"
    FILE_UPLOAD_SIZE_RESTRICTED = "file_upload_size_restricted"
    STORAGE_LIMIT_REACHED = "storage_limit_reached"
    POSTING_TO_CHANNEL_DENIED = "posting_to_channel_denied"
    MISSING_SCOPE = "missing_scope"
    INVALID_AUTH = "invalid_auth"
    IS_ARCHIVED = "is_archived"
    RATELIMITED = "ratelimited"
    NOT_IN_CHANNEL = "not_in_channel"
    SLACK_TIMEOUT = "SLACK_TIMEOUT"
    SLACK_ERROR = "SLACK_ERROR"
    # The admin command line
    SAVE_FAILED = "SAVE_FAILED"
    FILE_EXISTS = "FILE_EXISTS"
    # Ours
    UNEXPECTED = "UNEXPECTED"

    @classmethod
    def of(cls, raw: str, unknown: Code | None = None) -> Code:
        """The member for a code from the wire; `unknown` (UNKNOWN_ZOHO_CODE by default) for one we don't know."""
        try:
            return cls(raw)
        except ValueError:
            return unknown or cls.UNKNOWN_ZOHO_CODE


# Outcomes that are a refusal by the admin's rules (the audit line says "refused", not "explained").
REFUSALS = frozenset({
    Code.TEAM_NOT_ALLOWED, Code.CHANNEL_NOT_ALLOWED, Code.USER_NOT_ALLOWED, Code.GUEST_NOT_ALLOWED,
    Code.EXTERNAL_NOT_ALLOWED, Code.MODULE_NOT_ALLOWED, Code.RATE_LIMITED, Code.BUDGET_EXHAUSTED,
    Code.IDENTITY_UNKNOWN, Code.NOT_YOUR_CHOICE, Code.NOT_A_CRM_USER, Code.SHARED_CHANNEL, Code.SHARING_UNKNOWN,
})
