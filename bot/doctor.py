"""`python -m bot doctor`: checks a real deployment in one command, each line ✓ or ✗ with the cause and the fix.

It reads the same settings as the bot and talks to Slack and Zoho through the bot's own clients
(bot.slack.client.build_client, bot.zoho.ZohoClient), so what passes here works for the bot too. It never
prints a secret: at most the last 4 characters of a token. Exit status: 0 every check passed, 1 something
failed (settings included: a broken deployment is a failed check), 2 the doctor's own arguments were wrong.

The secrets go to the configured data centre only. Other data centres are asked only with `--find-dc`, and then
with the client id and secret and a dummy refresh token: Zoho answers a known client with a wrong code
`invalid_code` and an unknown one `invalid_client`, so the real refresh token is never needed there.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TextIO
from urllib.parse import urlsplit

import aiohttp
import httpx
from redis.asyncio import Redis
from redis.exceptions import AuthenticationError, RedisError, ResponseError
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import datacentres, messages, scopes
from bot.codes import Code
from bot.config import ConfigError, Secret, Settings, ZohoSettings, load_settings, read_environment
from bot.datacentres import DataCentre
from bot.i18n import ADMIN
from bot.shared import SharedStore, namespace
from bot.slack.client import build_client
from bot.workers import plan_workers, web_concurrency
from bot.zoho import ModuleProblem, NoPhoto, TokenError, ZohoClient, ZohoError
from bot.zoho import errors as zerr
from bot.zoho.client import DEFAULT_TIMEOUT
from bot.zoho.modules import STANDARD_PHOTO_MODULES, Module
from bot.zoho.token import AccessToken

SLACK_TIMEOUT = 10
PROBE_EMAIL = "crmphoto-doctor@example.invalid"  # a search that matches nobody: only the scope is tested
OK, FAIL, NOTE = "✓", "✗", "•"
# What `--find-dc` sends as the refresh token: plainly not one, so no data centre can mint a token with it.
DUMMY_REFRESH_TOKEN = "crmphoto-doctor-dummy-not-a-refresh-token"
FIND_DC_ALL = "all"
# Asked only when named (issue 15): sending the client id and secret into China is the admin's choice, never a
# default.
CHINA = "cn"
PINGS = 5  # Redis round trips timed (after one that opens the connection); the median is shown
# Old and new dynos overlap during a restart or deploy (the old ones finish within 30 s of SIGTERM while the new
# ones start), and a one-off dyno such as this doctor's own connection comes on top.
OVERLAP, ONE_OFF = 2, 1


def pick_data_centres(value: str | None, keys: Sequence[str]) -> tuple[str, ...]:
    """The data centres `--find-dc [VALUE]` names, in table order: the flag alone every one but China, `all`
    every one, else keys separated by commas; ValueError (with the words for the admin) for anything else."""
    if value is None:
        return tuple(key for key in keys if key != CHINA)
    named = [part for part in re.split(r"[\s,]+", value.strip().lower()) if part]
    unknown = [part for part in named if part not in keys and part != FIND_DC_ALL]
    if unknown or not named:
        raise ValueError(messages.find_dc_unknown(unknown[0] if unknown else value, keys, FIND_DC_ALL))
    if FIND_DC_ALL in named:
        return tuple(keys)
    return tuple(key for key in keys if key in named)


@dataclass
class Report:
    """Prints each check as it finishes and counts the failures."""

    out: TextIO
    failed: int = 0

    def add(self, key: str, ok: bool | None = True, **values: object) -> None:
        line, cause, fix = messages.doctor_words(key, **values)
        self.out.write(f"{OK if ok else NOTE if ok is None else FAIL} {line}\n")
        if ok is False:
            self.failed += 1
            if cause:
                self.out.write(f"    cause: {cause}\n")
            if fix:
                self.out.write(f"    fix:   {fix}\n")
        self.out.flush()

    def summary(self) -> None:
        """The last line: all passed, or how many failed."""
        line, _, _ = messages.doctor_words("some_failed" if self.failed else "all_ok", failed=self.failed)
        self.out.write(f"\n{line}\n")


def tail(secret: str) -> str:
    """The last 4 characters, enough to tell two tokens apart; nothing for a short value."""
    return secret[-4:] if len(secret) >= 12 else "…"


def run(
    record: tuple[str, str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    data_centres: Sequence[DataCentre] | None = None,
    find_dc: Sequence[str] | None = None,
    dynos: int | None = None,
) -> int:
    """Run every check once; the exit status (0 all passed, 1 something failed). `find_dc`: the keys of the data
    centres to ask which one knows the client when the configured one refuses it (None: ask none). `dynos`: how
    many dynos run the bot, for the Redis connection count (None: one, and the line says how to count more)."""
    report = Report(out or sys.stdout)
    values = read_environment(env)
    try:
        settings = load_settings(values)
    except ConfigError as exc:
        for problem in exc.problems:
            report.add("settings_bad", False, problem=problem)
        report.summary()
        return 1
    zoho = settings.zoho
    report.add("settings_ok", mode="Socket Mode" if settings.slack.socket_mode else "HTTP",
               bot_tail=tail(settings.slack.bot_token.reveal()), client_id=zoho.client_id,
               refresh_tail=tail(zoho.refresh_token.reveal()), dc=zoho.dc)
    table = datacentres.DATA_CENTRES if data_centres is None else data_centres
    asyncio.run(_checks(settings, values, record, report, table, find_dc, dynos))
    report.summary()
    return 1 if report.failed else 0


async def _checks(settings: Settings, env: Mapping[str, str], record: tuple[str, str] | None, report: Report,
                  table: Sequence[DataCentre], find_dc: Sequence[str] | None, dynos: int | None) -> None:
    await check_slack(settings, report)
    await check_redis(settings, env, report, dynos)
    require_crm_user = settings.access.require_crm_user
    async with httpx.AsyncClient(timeout=DEFAULT_TIMEOUT, follow_redirects=False) as http:
        client = ZohoClient(settings.zoho, http=http)
        report.add("zoho_token_note", None)
        token = await check_token(client, settings.zoho, env, report, table, http, require_crm_user, find_dc)
        if token is None:
            return
        modules = await check_modules(client, settings, report)
        await check_zoho_scopes(client, settings, token, modules, report, require_crm_user, record is not None)
        if record is not None:
            await check_photo(client, record, report)


async def check_slack(settings: Settings, report: Report) -> None:
    """auth.test: the bot token works, and its x-oauth-scopes header names every scope of the manifest."""
    slack = settings.slack
    client = build_client(slack.bot_token.reveal(), slack.api_url, SLACK_TIMEOUT)
    try:
        answer = await client.auth_test()
    except SlackApiError as exc:
        report.add("slack_auth_refused", False, error=exc.response.get("error", "unknown"))
        return
    except (TimeoutError, SlackClientError, aiohttp.ClientError) as exc:
        report.add("slack_unreachable", False, url=slack.api_url, error=type(exc).__name__)
        return
    report.add("slack_auth_ok", team=answer.get("team", "?"), user=answer.get("user", "?"))
    header = answer.headers.get("x-oauth-scopes")
    if header is None:
        report.add("slack_scopes_unknown", False)
    else:
        missing = scopes.slack_missing(scopes.parse_scopes(header), settings.access.require_crm_user)
        if missing:
            report.add("slack_scopes_missing", False, missing=", ".join(missing))
        else:
            report.add("slack_scopes_ok", count=len(scopes.SLACK_BOT_SCOPES))
    report.add("slack_channels", None)


async def check_redis(settings: Settings, env: Mapping[str, str], report: Report, dynos: int | None) -> None:
    """With REDIS_URL: the server answers (through the bot's own SharedStore, TLS options included), its version
    and round trip, and whether its `maxclients` holds every process's REDIS_MAX_CONNECTIONS. Never shows the
    URL's password: the address is its host and port."""
    if settings.redis_url is None:
        return
    url = urlsplit(settings.redis_url.reveal())
    where = {"where": f"{url.hostname}:{url.port or 6379}", "tls": "TLS" if url.scheme == "rediss" else "no TLS"}
    store = SharedStore(settings.redis_url.reveal(), namespace=namespace(settings.zoho, settings.redis_key_prefix),
                        max_connections=settings.redis_max_connections)
    try:
        try:
            rtt = await _round_trip(store.redis)
        except AuthenticationError as exc:
            report.add("redis_refused", False, error=type(exc).__name__, **where)
            return
        except (RedisError, OSError) as exc:
            report.add("redis_unreachable", False, error=type(exc).__name__, **where)
            return
        info = await _refusable(store.redis.info())
        report.add("redis_ok", version=info.get("redis_version", "unknown"), rtt=f"{rtt * 1000:.1f}", **where)
        maxclients = info.get("maxclients")  # INFO has it since Redis 7; CONFIG GET (which Heroku may refuse) before
        if maxclients is None:
            config = await _refusable(store.redis.config_get("maxclients"))
            maxclients = next((v for k, v in config.items() if _text(k) == "maxclients"), None)
        _check_connections(settings, env, report, dynos, maxclients, info.get("connected_clients", "?"))
    finally:
        await store.aclose()


async def _round_trip(redis: Redis) -> float:
    """Seconds for one PING, the median of PINGS after the first (which opens the connection)."""
    await redis.ping()
    times = []
    for _ in range(PINGS):
        started = time.perf_counter()
        await redis.ping()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def _refusable(command: Any) -> dict[Any, Any]:
    """A command's answer, or {} when the server refuses it (renamed or disabled, as hosted Redis does)."""
    try:
        answer = await command
    except ResponseError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _check_connections(settings: Settings, env: Mapping[str, str], report: Report, dynos: int | None,
                       maxclients: object, connected: object) -> None:
    """Every process's bound, twice during a restart or deploy, plus a one-off, against the server's limit."""
    workers = plan_workers(web_concurrency(env, []), True, settings.slack.socket_mode).count
    bound = settings.redis_max_connections
    running = (dynos or 1) * workers * bound
    needed = OVERLAP * running + ONE_OFF
    counted = {"dynos": dynos or 1, "workers": workers, "bound": bound, "running": running, "needed": needed,
               "connected": _text(connected), "dynos_hint": "" if dynos else " (one dyno counted: --dynos N counts N)"}
    if maxclients is None:
        report.add("redis_maxclients_unknown", None, **counted)
    elif needed <= int(_text(maxclients)):
        report.add("redis_clients_ok", maxclients=_text(maxclients), **counted)
    else:
        report.add("redis_clients_short", False, maxclients=_text(maxclients), **counted)


def _dc_name(settings: ZohoSettings, table: Sequence[DataCentre]) -> str:
    found = next((dc.key for dc in table if dc.accounts_url == settings.accounts_url), None)
    return found or settings.dc


async def check_token(
    client: ZohoClient, settings: ZohoSettings, env: Mapping[str, str], report: Report,
    table: Sequence[DataCentre], http: httpx.AsyncClient, require_crm_user: bool, find_dc: Sequence[str] | None = None,
) -> AccessToken | None:
    """One token request to the configured data centre; on invalid_client/invalid_code, with `find_dc`, one
    probe (dummy refresh token) to each data centre it names."""
    here = {"dc": _dc_name(settings, table), "accounts_url": settings.accounts_url}
    try:
        token = await client.tokens.get()
    except TokenError as exc:
        grant = scopes.zoho_grant_scopes(require_crm_user)
        if exc.code not in (zerr.INVALID_CLIENT, zerr.INVALID_REFRESH_TOKEN):
            _token_failed(exc, settings, report)
        elif find_dc is None:
            report.add("zoho_client_not_here" if exc.code == zerr.INVALID_CLIENT else "zoho_code_not_here", False,
                       grant_scopes=grant, **here)
        else:
            drop_url = " and remove ZOHO_ACCOUNTS_URL" if env.get("ZOHO_ACCOUNTS_URL", "").strip() else ""
            await _find_data_centre(exc, settings, find_dc, table, http, report, here, grant, drop_url)
        return None
    report.add("zoho_token_ok", api_domain=token.api_domain, **here)
    return token


def _token_failed(exc: TokenError, settings: ZohoSettings, report: Report) -> None:
    if exc.code == zerr.TOKEN_THROTTLED:
        report.add("zoho_throttled", False, error=exc.code)
    else:
        report.add("zoho_token_failed", False, accounts_url=settings.accounts_url, error=exc.code,
                   message=exc.message or exc.code)


async def _probe(settings: ZohoSettings, dc: DataCentre, http: httpx.AsyncClient) -> str:
    """What the accounts server of `dc` says to this client id and secret with a dummy refresh token:
    INVALID_REFRESH_TOKEN (it knows the client), INVALID_CLIENT (it does not), or another code (can't tell)."""
    probe = replace(settings, dc=dc.key, accounts_url=dc.accounts_url, api_domain=None,
                    refresh_token=Secret(DUMMY_REFRESH_TOKEN))
    try:
        await ZohoClient(probe, http=http).tokens.get()
    except ZohoError as exc:
        return exc.code
    return "token"  # not Zoho's behaviour for a dummy token: say so rather than guess


async def _find_data_centre(
    exc: TokenError, settings: ZohoSettings, find_dc: Sequence[str], table: Sequence[DataCentre],
    http: httpx.AsyncClient, report: Report, here: dict[str, str], grant: str, drop_url: str,
) -> None:
    """Probe the data centres `find_dc` names (all at once; the configured one has answered already)."""
    others = [dc for dc in table if dc.key in find_dc and dc.accounts_url != settings.accounts_url]
    answers = await asyncio.gather(*(_probe(settings, dc, http) for dc in others))
    _found(exc, dict(zip((dc.key for dc in others), answers, strict=True)), report, here, grant, drop_url)
    untold = {dc.key for dc in table} - {dc.key for dc in others} - {here["dc"]}
    if CHINA in untold and zerr.INVALID_REFRESH_TOKEN not in answers:  # nothing found, and China left out
        report.add("zoho_china_not_asked", None)


def _found(exc: TokenError, answers: dict[str, str], report: Report, here: dict[str, str], grant: str,
           drop_url: str) -> None:
    """Report what the probes say: which data centres know the client, or that none asked does."""
    knows = [key for key, answer in answers.items() if answer == zerr.INVALID_REFRESH_TOKEN]
    strangers = [key for key, answer in answers.items() if answer == zerr.INVALID_CLIENT]
    unclear = {key: answer for key, answer in answers.items() if key not in knows and key not in strangers}
    listed = {"right": messages.doctor_list(knows, "and"), "either": messages.doctor_list(knows, "or"),
              "asked": ", ".join(strangers) or "none", "drop_url": drop_url, "grant_scopes": grant}
    if exc.code == zerr.INVALID_REFRESH_TOKEN:
        report.add("zoho_also_known" if knows else "zoho_revoked", False, **listed, **here)
    elif len(knows) == 1:
        report.add("zoho_wrong_dc", False, **listed, **here)
    else:
        report.add("zoho_wrong_dc_several" if knows else "zoho_unknown_client", False, **listed, **here)
    if unclear:
        report.add("zoho_probe_unclear", None, answers=", ".join(f"{key} ({code})" for key, code in unclear.items()))


async def check_modules(client: ZohoClient, settings: Settings, report: Report) -> list[Module] | ZohoError:
    """The module list loads; the modules with photos (those ALLOWED_MODULES lets through) are named."""
    try:
        modules = await client.modules.load()
    except ZohoError as exc:
        report.add("zoho_modules_failed", False, error=exc.code, message=exc.message or exc.code)
        return exc
    allowed = settings.access.modules
    photo = [m for m in modules if m.has_photos and (not allowed or m.api_name.casefold() in allowed)]
    report.add("zoho_modules_ok", modules=", ".join(m.api_name for m in photo) or "none")
    return photo


async def check_zoho_scopes(
    client: ZohoClient, settings: Settings, token: AccessToken, modules: list[Module] | ZohoError,
    report: Report, require_crm_user: bool, photo_follows: bool,
) -> None:
    """The token's scopes: from the token answer's `scope` when Zoho gives one, else by calling each endpoint once
    and reading OAUTH_SCOPE_MISMATCH."""
    photo = modules if isinstance(modules, list) else [Module(name) for name in STANDARD_PHOTO_MODULES]
    grant = scopes.zoho_grant_scopes(require_crm_user)
    if token.scope is not None:
        needed = scopes.zoho_needed(photo, require_crm_user)
        missing = scopes.zoho_missing(scopes.parse_scopes(token.scope), needed)
        if missing:
            report.add("zoho_scope_missing", False, missing=", ".join(missing), grant_scopes=grant)
        else:
            report.add("zoho_scopes_ok", scopes=len(needed))
        return
    if isinstance(modules, ZohoError) and modules.code == "OAUTH_SCOPE_MISMATCH":
        report.add("zoho_scope_missing", False, missing=scopes.ZOHO_MODULES_SCOPE, grant_scopes=grant)
    elif isinstance(modules, list):
        report.add("zoho_scope_ok", scope=scopes.ZOHO_MODULES_SCOPE, what="the module list")
    await _check_search(client, settings, photo, report, grant)
    await _check_org(client, report, grant)
    if not photo_follows:  # otherwise the photo fetch below proves it
        report.add("zoho_scope_unchecked", None, scope="ZohoCRM.modules.…READ",
                   why="Run the doctor with --record Contacts <id> to fetch a photo and prove it.")
    if require_crm_user:
        report.add("zoho_scope_unchecked", None, scope=scopes.ZOHO_USERS_SCOPE,
                   why="A refused user lookup shows in crmphoto's log.")


async def _check_search(client: ZohoClient, settings: Settings, photo: list[Module], report: Report,
                        grant: str) -> None:
    name = settings.access.search_modules[0]  # where the bot looks first
    target = next((m for m in photo if m.api_name == name), Module(name))
    try:
        await client.search(target, "email", PROBE_EMAIL, limit=1)
    except ZohoError as exc:
        if exc.code == zerr.SEARCH_NOT_ENABLED:
            report.add("zoho_scope_missing", False, missing=scopes.ZOHO_SEARCH_SCOPE, grant_scopes=grant)
        else:
            report.add("zoho_call_failed", False, what=f"a search in {target.api_name}", error=exc.code,
                       message=exc.message or exc.code)
        return
    report.add("zoho_scope_ok", scope=scopes.ZOHO_SEARCH_SCOPE, what=f"search in {target.api_name}")


async def _check_org(client: ZohoClient, report: Report, grant: str) -> None:
    try:
        await client.org.load()
    except ZohoError as exc:
        if exc.code == "OAUTH_SCOPE_MISMATCH":
            report.add("zoho_scope_missing", False, missing=scopes.ZOHO_ORG_SCOPE, grant_scopes=grant)
        else:
            report.add("zoho_call_failed", False, what="reading the org", error=exc.code,
                       message=exc.message or exc.code)
        return
    report.add("zoho_scope_ok", scope=scopes.ZOHO_ORG_SCOPE, what="reading the org")


async def check_photo(client: ZohoClient, record: tuple[str, str], report: Report) -> None:
    """A real photo fetch: its size and type; nothing is uploaded anywhere."""
    module, record_id = record
    try:
        result = await client.fetch_photo(module, record_id)
    except ModuleProblem as exc:
        _photo_failed(report, module, record_id, exc.code, photo_modules=exc.photo_modules, suggestion=exc.suggestion)
        return
    except ZohoError as exc:
        _photo_failed(report, module, record_id, exc.code)
        return
    if isinstance(result, NoPhoto):
        _photo_failed(report, result.module, result.record_id, Code.NO_PHOTO)
        return
    report.add("photo_ok", module=result.module, record_id=result.record_id, size=len(result.content),
               content_type=result.content_type, filename=result.filename)


def _photo_failed(report: Report, module: str, record_id: str, code: str, **extra: object) -> None:
    member = Code.of(code)
    said = messages.explain(member, module, record_id, shown=None if member == code else code,
                            **extra).said(ADMIN)  # type: ignore[arg-type]
    report.add("photo_failed", False, module=module, record_id=record_id, code=code,
               what=messages.cli_text(said.what), todo=messages.cli_text(said.todo))
