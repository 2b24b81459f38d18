"""Zoho's data centres, in one table: the accounts server, the API domain and the CRM web host of each.

Settings (ZOHO_DC) pick the accounts server from it, and the link parser accepts record links on the
web hosts' domains. Sources: Zoho's OAuth multi-DC page and FACTS.md ("Data centres").
"""

from __future__ import annotations

from dataclasses import dataclass


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
