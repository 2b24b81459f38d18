"""The Zoho CRM adapter: fetch a record's photo under the service token, and name every failure."""

from bot.zoho.client import RetryPolicy, ZohoClient
from bot.zoho.errors import ModuleProblem, TokenError, ZohoError
from bot.zoho.modules import Module
from bot.zoho.photo import NoPhoto, Photo

__all__ = [
    "Module",
    "ModuleProblem",
    "NoPhoto",
    "Photo",
    "RetryPolicy",
    "TokenError",
    "ZohoClient",
    "ZohoError",
]
