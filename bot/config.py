"""Settings from the environment (and a `.env` file), checked once at start-up.

Every problem is collected and reported together, so an admin fixes the configuration in one go
instead of discovering the mistakes one restart at a time.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from dotenv import dotenv_values

from bot import i18n
from bot.datacentres import BY_KEY, DEFAULT
from bot.ids import API_NAME, CONVERSATION_ID

# ZOHO_DC -> (accounts server, API domain): a view of the one table in bot/datacentres.py.
DATA_CENTRES: dict[str, tuple[str, str]] = {key: (dc.accounts_url, dc.api_domain) for key, dc in BY_KEY.items()}

README_HINT = "Every setting is described in docs/configuration.md."
# Someone who just cloned the project and typed `python -m bot` has no settings yet: where to go from here.
START_HINT = ("No settings yet? `python -m bot demo` tries crmphoto without any, and `python -m bot setup` makes "
              "them.")
WHOLE_NUMBER = re.compile(r"[0-9]+", re.ASCII)
API_VERSION = re.compile(r"v[0-9]+(\.[0-9]+)?", re.ASCII)

DEFAULT_SLACK_API_URL = "https://slack.com/api/"


class Secret:
    """A string that never shows itself in reprs, str() or f-strings; `.reveal()` when it must be sent."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


class ConfigError(Exception):
    """Raised with every configuration problem at once."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"crmphoto cannot start; please fix the configuration:\n{lines}\n{README_HINT}\n{START_HINT}")


@dataclass(frozen=True)
class ZohoSettings:
    client_id: str
    client_secret: Secret
    refresh_token: Secret
    dc: str = "us"
    accounts_url: str = DEFAULT.accounts_url
    api_domain: str | None = None
    api_version: str = "v8"
    max_concurrency: int = 10

    @property
    def token_url(self) -> str:
        return f"{self.accounts_url}/oauth/v2/token"

    @property
    def own_api_domains(self) -> frozenset[str]:
        """The API domains a token of this deployment may name: a token elsewhere (in a shared Redis) naming
        another is not ours. ZOHO_API_DOMAIN when set; else the data centre's, and a loopback accounts server's
        own origin (the fake Zoho in tests serves both)."""
        if self.api_domain:
            return frozenset({self.api_domain})
        domains = {dc.api_domain for dc in BY_KEY.values() if dc.key == self.dc or dc.accounts_url == self.accounts_url}
        parts = urlsplit(self.accounts_url)
        if _loopback(parts.hostname or ""):
            domains.add(f"{parts.scheme}://{parts.netloc}")
        return frozenset(domains)


@dataclass(frozen=True)
class SlackSettings:
    bot_token: Secret
    signing_secret: Secret | None
    app_token: Secret | None
    api_url: str = DEFAULT_SLACK_API_URL
    port: int = 3000

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None


@dataclass(frozen=True)
class AccessSettings:
    """Who may ask, and how much: every list empty means "no restriction of that kind"."""

    team_ids: frozenset[str] = frozenset()
    channel_ids: frozenset[str] = frozenset()
    user_ids: frozenset[str] = frozenset()
    usergroup_ids: frozenset[str] = frozenset()
    modules: frozenset[str] = frozenset()  # casefolded api names
    block_guests: bool = True
    user_rate_per_minute: int = 10  # 0 turns the limit off
    daily_zoho_budget: int = 2000  # Zoho calls per workspace per UTC day; 0 turns it off
    shutdown_grace: float = 20.0
    max_in_flight: int = 50  # commands one process works on at once; beyond it the ack says BUSY
    photo_memory_mb: int = 150  # photo bytes one process holds at once; fetches wait for room
    search_modules: tuple[str, ...] = ("Contacts", "Leads")  # where an email, phone or name is looked up, in order
    shared_channels: bool = False  # commands and clicks in conversations shared with another organisation
    unfurl_shared_channels: bool = False  # unfurl record links in channels shared with another organisation
    require_crm_user: bool = False  # only people whose Slack email is an active Zoho CRM user's
    admin_channel_id: str = ""  # where failures only an admin can fix are posted; empty: the log


def read_environment(env: Mapping[str, str] | None = None, dotenv_path: str = ".env") -> dict[str, str]:
    """The real environment wins over `.env` in the working directory."""
    if env is not None:
        return dict(env)
    merged = {k: v for k, v in dotenv_values(dotenv_path).items() if v is not None}
    merged.update(os.environ)
    return merged


def _http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.query and not parts.fragment


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def secure_url(value: str) -> bool:
    """https, or plain http only to this machine (127.0.0.0/8, ::1, localhost): tokens must not travel in clear."""
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
    except ValueError:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and _loopback(host))


def _url_problem(name: str, value: str, example: str) -> str | None:
    if not _http_url(value):
        return f"{name} must be an https URL such as {example}."
    if not secure_url(value):
        return f"{name} must use https (plain http is allowed only for localhost or 127.0.0.1); got {value!r}."
    return None


def _int_in_range(env: Mapping[str, str], name: str, default: int, lo: int, hi: int, problems: list[str]) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not WHOLE_NUMBER.fullmatch(raw) or not lo <= int(raw) <= hi:
        problems.append(f"{name} must be a whole number from {lo} to {hi} (got {raw!r}).")
        return default
    return int(raw)


def _zoho(env: Mapping[str, str], problems: list[str]) -> ZohoSettings:
    def required(name: str, what: str) -> str:
        value = env.get(name, "").strip()
        if not value:
            problems.append(f"{name} is missing: {what}.")
        return value

    client_id = required("ZOHO_CLIENT_ID", "the Client ID of your Zoho self client")
    client_secret = required("ZOHO_CLIENT_SECRET", "the Client Secret of your Zoho self client")
    refresh_token = required("ZOHO_REFRESH_TOKEN", "the refresh token generated for the self client")

    dc = env.get("ZOHO_DC", "").strip().lower() or "us"
    if dc not in BY_KEY:
        problems.append(f"ZOHO_DC must be one of {', '.join(BY_KEY)} (got {dc!r}).")
        dc = DEFAULT.key
    accounts_url = env.get("ZOHO_ACCOUNTS_URL", "").strip().rstrip("/") or BY_KEY[dc].accounts_url
    problem = _url_problem("ZOHO_ACCOUNTS_URL", accounts_url, DEFAULT.accounts_url)
    if problem:
        problems.append(problem)
    api_domain = env.get("ZOHO_API_DOMAIN", "").strip().rstrip("/") or None
    problem = api_domain and _url_problem("ZOHO_API_DOMAIN", api_domain, DEFAULT.api_domain)
    if problem:
        problems.append(problem)
    version = env.get("ZOHO_API_VERSION", "").strip() or "v8"
    if not API_VERSION.fullmatch(version):
        problems.append(f"ZOHO_API_VERSION must look like v8 (got {version!r}).")
        version = "v8"
    concurrency = _int_in_range(env, "ZOHO_MAX_CONCURRENCY", 10, 1, 100, problems)
    return ZohoSettings(
        client_id=client_id,
        client_secret=Secret(client_secret),
        refresh_token=Secret(refresh_token),
        dc=dc,
        accounts_url=accounts_url,
        api_domain=api_domain,
        api_version=version,
        max_concurrency=concurrency,
    )


def _slack(env: Mapping[str, str], problems: list[str]) -> SlackSettings:
    bot_token = env.get("SLACK_BOT_TOKEN", "").strip()
    app_token = env.get("SLACK_APP_TOKEN", "").strip() or None
    signing_secret = env.get("SLACK_SIGNING_SECRET", "").strip() or None
    if not bot_token:
        problems.append("SLACK_BOT_TOKEN is missing: the Bot User OAuth Token (xoxb-…) of your Slack app.")
    elif not bot_token.startswith("xoxb-"):
        problems.append("SLACK_BOT_TOKEN should be a bot token starting with xoxb-.")
    if app_token is None and signing_secret is None:
        problems.append(
            "SLACK_SIGNING_SECRET is missing: the Signing Secret from your Slack app's Basic Information "
            "(or set SLACK_APP_TOKEN to run in Socket Mode)."
        )
    if app_token is not None and not app_token.startswith("xapp-"):
        problems.append("SLACK_APP_TOKEN should be an app-level token starting with xapp-.")
    api_url = env.get("SLACK_API_URL", "").strip() or DEFAULT_SLACK_API_URL
    problem = _url_problem("SLACK_API_URL", api_url, DEFAULT_SLACK_API_URL)
    if problem:
        problems.append(problem)
    if not api_url.endswith("/"):
        api_url += "/"
    port = _int_in_range(env, "PORT", 3000, 1, 65535, problems)
    return SlackSettings(
        bot_token=Secret(bot_token),
        signing_secret=Secret(signing_secret) if signing_secret else None,
        app_token=Secret(app_token) if app_token else None,
        api_url=api_url,
        port=port,
    )


ID_SHAPES = {
    "ALLOWED_TEAM_IDS": (re.compile(r"[TE][A-Z0-9]{2,30}"), "workspace ids like T0123ABCD"),
    "ALLOWED_CHANNEL_IDS": (CONVERSATION_ID, "channel ids like C0123ABCD"),
    "ALLOWED_USER_IDS": (re.compile(r"[UW][A-Z0-9]{2,30}"), "user ids like U0123ABCD"),
    "ALLOWED_USERGROUP_IDS": (re.compile(r"S[A-Z0-9]{2,30}"), "user group ids like S0123ABCD"),
    "ALLOWED_MODULES": (API_NAME, "module api names like Contacts"),
    "SEARCH_MODULES": (API_NAME, "module api names like Contacts"),
}


def _id_list(env: Mapping[str, str], name: str, problems: list[str]) -> frozenset[str]:
    shape, example = ID_SHAPES[name]
    items = [item for item in re.split(r"[,\s]+", env.get(name, "")) if item]
    bad = [item for item in items if not shape.fullmatch(item)]
    if bad:
        problems.append(f"{name} must list {example}, separated by commas (not {', '.join(map(repr, bad[:3]))}).")
    return frozenset(items)


def _ordered_list(env: Mapping[str, str], name: str, problems: list[str]) -> tuple[str, ...]:
    """Like _id_list, but the order is the admin's (searched first to last), each name once."""
    _id_list(env, name, problems)
    items = [item for item in re.split(r"[,\s]+", env.get(name, "")) if item]
    return tuple(dict.fromkeys(items))


def _flag(env: Mapping[str, str], name: str, default: bool, problems: list[str]) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    problems.append(f"{name} must be true or false (got {raw!r}).")
    return default


ADMIN_CHANNEL = re.compile(r"[CG][A-Z0-9]{2,30}")


def _admin_channel(env: Mapping[str, str], problems: list[str]) -> str:
    raw = env.get("ADMIN_CHANNEL_ID", "").strip()
    if raw and not ADMIN_CHANNEL.fullmatch(raw):
        problems.append(f"ADMIN_CHANNEL_ID must be one channel id like C0123ABCD (got {raw!r}).")
        return ""
    return raw


def _access(env: Mapping[str, str], problems: list[str]) -> AccessSettings:
    return AccessSettings(
        team_ids=_id_list(env, "ALLOWED_TEAM_IDS", problems),
        channel_ids=_id_list(env, "ALLOWED_CHANNEL_IDS", problems),
        user_ids=_id_list(env, "ALLOWED_USER_IDS", problems),
        usergroup_ids=_id_list(env, "ALLOWED_USERGROUP_IDS", problems),
        modules=frozenset(m.casefold() for m in _id_list(env, "ALLOWED_MODULES", problems)),
        block_guests=_flag(env, "BLOCK_GUESTS", True, problems),
        user_rate_per_minute=_int_in_range(env, "USER_RATE_LIMIT", 10, 0, 10000, problems),
        daily_zoho_budget=_int_in_range(env, "DAILY_ZOHO_BUDGET", 2000, 0, 10_000_000, problems),
        shutdown_grace=float(_int_in_range(env, "SHUTDOWN_GRACE", 20, 1, 28, problems)),
        max_in_flight=_int_in_range(env, "MAX_IN_FLIGHT", 50, 1, 10_000, problems),
        photo_memory_mb=_int_in_range(env, "PHOTO_MEMORY_MB", 150, 16, 100_000, problems),
        search_modules=_ordered_list(env, "SEARCH_MODULES", problems) or ("Contacts", "Leads"),
        shared_channels=_flag(env, "SHARED_CHANNELS", False, problems),
        unfurl_shared_channels=_flag(env, "UNFURL_SHARED_CHANNELS", False, problems),
        require_crm_user=_flag(env, "REQUIRE_CRM_USER", False, problems),
        admin_channel_id=_admin_channel(env, problems),
    )


def load_zoho_settings(env: Mapping[str, str] | None = None) -> ZohoSettings:
    """Zoho settings alone, for the admin command line."""
    problems: list[str] = []
    settings = _zoho(read_environment(env), problems)
    if problems:
        raise ConfigError(problems)
    return settings


@dataclass(frozen=True)
class Settings:
    zoho: ZohoSettings
    slack: SlackSettings
    access: AccessSettings
    redis_url: Secret | None = None  # shared state for a fleet of processes; it carries the password
    redis_key_prefix: str = ""  # REDIS_KEY_PREFIX: shown in every key, before the deployment's hash
    redis_max_connections: int = 4  # REDIS_MAX_CONNECTIONS: one process's connections, its subscription's included
    default_locale: str = "en"  # DEFAULT_LOCALE: what the channel reads, and a rep's words until Slack says theirs


def _redis_url(env: Mapping[str, str], problems: list[str]) -> Secret | None:
    """REDIS_URL (Heroku Key-Value Store sets it): redis:// or rediss://; empty means each process alone."""
    value = env.get("REDIS_URL", "").strip()
    if not value:
        return None
    if urlsplit(value).scheme not in ("redis", "rediss") or not urlsplit(value).hostname:
        problems.append("REDIS_URL must look like rediss://:password@host:port (or redis:// on a private network)")
        return None
    return Secret(value)


REDIS_KEY_PREFIX = re.compile(r"[A-Za-z0-9_.-]{1,32}", re.ASCII)


def _redis_key_prefix(env: Mapping[str, str], problems: list[str]) -> str:
    value = env.get("REDIS_KEY_PREFIX", "").strip()
    if value and not REDIS_KEY_PREFIX.fullmatch(value):
        problems.append("REDIS_KEY_PREFIX must be 1 to 32 letters, digits, dots, dashes or underscores, such as "
                        f"staging (got {value[:40]!r}).")
        return ""
    return value


def _redis_max_connections(env: Mapping[str, str], problems: list[str]) -> int:
    """At least 2: one for commands and one for the Zoho-slot announcements' subscription."""
    return _int_in_range(env, "REDIS_MAX_CONNECTIONS", 4, 2, 100, problems)


def _default_locale(env: Mapping[str, str], problems: list[str]) -> str:
    """DEFAULT_LOCALE: one of crmphoto's languages, as gettext (`pt_BR`) or Slack (`pt-BR`, `ja-JP`) writes it."""
    raw = env.get("DEFAULT_LOCALE", "").strip()
    if not raw:
        return i18n.ENGLISH
    if not i18n.supported(raw):
        problems.append(f"DEFAULT_LOCALE must be one of crmphoto's languages: {', '.join(i18n.LANGUAGES)} (or a "
                        f"Slack locale of one of them, like ja-JP or es-LA), not {raw!r}.")
        return i18n.ENGLISH
    return i18n.language(raw)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Everything the Slack bot needs; raises ConfigError naming every problem."""
    values = read_environment(env)
    problems: list[str] = []
    slack = _slack(values, problems)
    zoho = _zoho(values, problems)
    access = _access(values, problems)
    redis_url = _redis_url(values, problems)
    key_prefix = _redis_key_prefix(values, problems)
    max_connections = _redis_max_connections(values, problems)
    default_locale = _default_locale(values, problems)
    if problems:
        raise ConfigError(problems)
    return Settings(zoho=zoho, slack=slack, access=access, redis_url=redis_url, redis_key_prefix=key_prefix,
                    redis_max_connections=max_connections, default_locale=default_locale)
