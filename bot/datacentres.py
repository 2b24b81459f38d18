"""Zoho's data centres, in one table: the accounts server, the API domain and the CRM web host of each.

Settings (ZOHO_DC) pick the accounts server from it, and the link parser accepts record links on the
web hosts' domains. Sources: Zoho's OAuth multi-DC page and FACTS.md ("Data centres").
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class DataCentre:
    key: str  # what ZOHO_DC names it
    accounts_url: str
    api_domain: str
    crm_web_host: str  # where record links point, e.g. https://crm.zoho.eu/crm/org1/tab/Contacts/1

    @property
    def web_domain(self) -> str:
        """The registrable domain of the web host (crm.zoho.com.au -> zoho.com.au)."""
        return self.crm_web_host.split(".", 1)[1]

    @property
    def api_console(self) -> str:
        """Where its self clients are made: the accounts server's address with api-console for accounts
        (docs/zoho.md, "Create the self client")."""
        return self.accounts_url.replace("://accounts.", "://api-console.", 1)


DATA_CENTRES: tuple[DataCentre, ...] = (
    DataCentre("us", "https://accounts.zoho.com", "https://www.zohoapis.com", "crm.zoho.com"),
    DataCentre("eu", "https://accounts.zoho.eu", "https://www.zohoapis.eu", "crm.zoho.eu"),
    DataCentre("in", "https://accounts.zoho.in", "https://www.zohoapis.in", "crm.zoho.in"),
    DataCentre("au", "https://accounts.zoho.com.au", "https://www.zohoapis.com.au", "crm.zoho.com.au"),
    DataCentre("jp", "https://accounts.zoho.jp", "https://www.zohoapis.jp", "crm.zoho.jp"),
    DataCentre("cn", "https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn", "crm.zoho.com.cn"),
    DataCentre("ca", "https://accounts.zohocloud.ca", "https://www.zohoapis.ca", "crm.zohocloud.ca"),
    DataCentre("sa", "https://accounts.zoho.sa", "https://www.zohoapis.sa", "crm.zoho.sa"),
    DataCentre("uk", "https://accounts.zoho.uk", "https://www.zohoapis.uk", "crm.zoho.uk"),
)

BY_KEY: dict[str, DataCentre] = {dc.key: dc for dc in DATA_CENTRES}
DEFAULT = BY_KEY["us"]


def find(answer: str) -> DataCentre | None:
    """The data centre an admin named: its key (eu), or an address of Zoho CRM in their browser
    (https://crm.zoho.eu/crm/org1/tab/Home, crm.zoho.com.au), told apart by the domain it ends with."""
    text = answer.strip().lower()
    if text in BY_KEY:
        return BY_KEY[text]
    try:
        host = urlsplit(text if "//" in text else f"//{text}").hostname or ""
    except ValueError:  # not an address at all, such as "[x"
        return None
    return next((dc for dc in DATA_CENTRES if host == dc.web_domain or host.endswith("." + dc.web_domain)), None)
