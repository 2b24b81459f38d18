"""The Zoho access token: one cached token, one refresh at a time, and care with the token endpoint.

Zoho allows 10 new access tokens per refresh token per 10 minutes and answers the 11th with
HTTP 200 {"error": "Access Denied"}, then keeps the client blocked for the rest of the window. So we
refresh only shortly before expiry, never per request, at most a few times per window, and after a
throttle answer we stop asking until the window has passed.

An early refresh that fails (timeout, 5xx, throttled, our own cap) never takes a token that is still
valid out of service: we keep using it and try the token endpoint again after a growing pause.

With REDIS_URL the token and a refresh lock are shared (bot.shared.token): one refresh serves the whole
fleet, and the others wait for it and read the new token. Without Redis each process refreshes alone.
A token read from Redis is used only if its API domain is one of this deployment's (ZohoSettings.own_api_domains):
a token of another deployment must never carry this bot's calls to another org.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

from bot.config import ZohoSettings, secure_url
from bot.zoho import errors

if TYPE_CHECKING:
    from bot.shared.token import SharedToken

log = logging.getLogger(__name__)

THROTTLE_WINDOW = 600.0  # Zoho's token window, seconds
REFRESH_EARLY = 300.0  # refresh this long before the token expires
MAX_REFRESHES_PER_WINDOW = 5  # our own cap, half of Zoho's 10
FAILURE_PAUSE = 60.0  # after a permanent failure, answer from memory for this long
BACKOFF_FIRST = 5.0  # after a failed early refresh, wait this long before the next try ...
BACKOFF_CAP = 60.0  # ... doubling each time, up to this
FLEET_WAIT = 15.0  # how long to wait for another process's refresh before refreshing ourselves


@dataclass(frozen=True)
class AccessToken:
    value: str = field(repr=False)
    api_domain: str
    expires_at: float
    scope: str | None = None  # the token answer's `scope`, where Zoho gives one (python -m bot doctor reads it)


class TokenManager:
    """Hands out a valid access token; exactly one refresh is in flight however many callers wait."""

    def __init__(
        self,
        settings: ZohoSettings,
        http: httpx.AsyncClient,
        clock: Callable[[], float] = time.monotonic,
        shared: SharedToken | None = None,
    ) -> None:
        self.shared = shared
        self._rejected: str | None = None
        self._settings = settings
        self._foreign_noted = False
        self._http = http
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: AccessToken | None = None
        self._refreshes: deque[float] = deque()
        self._blocked_until = 0.0
        self._failure: tuple[float, errors.TokenError] | None = None
        self._early_failures = 0
        self._next_early_try = float("-inf")

    def _fresh(self, token: AccessToken | None) -> bool:
        return token is not None and self._clock() < token.expires_at - REFRESH_EARLY

    def _valid(self, token: AccessToken | None) -> bool:
        return token is not None and self._clock() < token.expires_at

    def _usable_now(self, token: AccessToken | None) -> bool:
        """Fresh, or still valid while the next early-refresh try is not due yet."""
        return self._fresh(token) or (self._valid(token) and self._clock() < self._next_early_try)

    async def get(self) -> AccessToken:
        """A valid token, refreshed a few minutes before it expires when the token endpoint allows."""
        token = self._token
        if token is not None and (self._usable_now(token) or (self._lock.locked() and self._valid(token))):
            return token  # fresh, or still valid while a refresh is paused or already under way elsewhere
        async with self._lock:
            token = self._token
            if token is not None and self._usable_now(token):
                return token
            holds_lock = False
            if self.shared is not None:
                found, holds_lock = await self._from_fleet(token)
                if found is not None:
                    self.adopt(found)
                    return found
            try:
                try:
                    new = await self._refresh()
                except errors.TokenError as exc:
                    if token is None or not self._valid(token):
                        raise
                    self._back_off(token, exc)
                    return token
                self.adopt(new)
                if self.shared is not None:
                    await self.shared.write(new.value, new.api_domain, new.scope, new.expires_at - self._clock())
                return new
            finally:
                if holds_lock and self.shared is not None:
                    await self.shared.unlock()

    def adopt(self, token: AccessToken) -> None:
        """Use `token` from now on: a fresh one, or one obtained elsewhere (setup's grant code exchange)."""
        self._token = token
        self._early_failures = 0
        self._next_early_try = float("-inf")

    async def _from_fleet(self, own: AccessToken | None) -> tuple[AccessToken | None, bool]:
        """(a token to use, whether we hold the fleet's refresh lock); (None, True) means: refresh now.

        A fresh token another process stored wins; else we take the lock and refresh; while another process
        holds it we keep a still-valid token, or wait (polling) for the new one, at most FLEET_WAIT seconds.
        """
        assert self.shared is not None
        give_up = time.monotonic() + FLEET_WAIT
        pause = 0.05
        while True:
            candidate = own if own is not None and own.value != self._rejected and self._valid(own) else None
            theirs = await self._stored()
            if theirs is not None:
                if self._fresh(theirs):
                    return theirs, False
                candidate = theirs if candidate is None or theirs.expires_at > candidate.expires_at else candidate
            if await self.shared.lock():
                if self.shared.down:
                    return None, False
                # Another process may have refreshed, stored and let go between our read and our lock.
                theirs = await self._stored()
                if theirs is not None and self._fresh(theirs):
                    await self.shared.unlock()
                    return theirs, False
                return None, True
            if candidate is not None:
                return candidate, False  # another process is refreshing: this one is still good meanwhile
            if time.monotonic() >= give_up:
                return None, False
            await asyncio.sleep(pause)
            pause = min(0.5, pause * 1.5)

    async def _stored(self) -> AccessToken | None:
        """The token the fleet keeps in Redis, unless Zoho already refused it here."""
        assert self.shared is not None
        stored = await self.shared.read()
        if stored is None or stored[0] == self._rejected:
            return None
        value, domain, scope, life = stored
        if domain not in self._settings.own_api_domains:
            if not self._foreign_noted:
                self._foreign_noted = True
                log.warning("zoho token: ignoring the token in Redis: its API domain %r is not this deployment's "
                            "(ZOHO_DC, ZOHO_API_DOMAIN)", domain[:100])
            return None
        return AccessToken(value=value, api_domain=domain, expires_at=self._clock() + life, scope=scope)

    def _back_off(self, token: AccessToken, exc: errors.TokenError) -> None:
        """An early refresh failed: keep `token` and pause before the next try, so commands don't each retry."""
        pause = min(BACKOFF_CAP, BACKOFF_FIRST * 2**self._early_failures)
        self._early_failures += 1
        if exc.retry_after:
            pause = max(pause, exc.retry_after)
        now = self._clock()
        self._next_early_try = now + pause
        log.warning(
            "zoho token: early refresh failed (%s); keeping the current token (valid %ds more), next try in %ds",
            exc.code, int(token.expires_at - now), int(pause),
        )

    def invalidate(self, token: AccessToken) -> None:
        """Zoho rejected `token`; forget it unless a newer one has already replaced it (here or in Redis)."""
        self._rejected = token.value
        if self._token is token:
            self._token = None

    async def _refresh(self) -> AccessToken:
        now = self._clock()
        if now < self._blocked_until:
            raise self._throttled(self._blocked_until - now)
        if self._failure is not None and now - self._failure[0] < FAILURE_PAUSE:
            raise self._failure[1]
        while self._refreshes and now - self._refreshes[0] > THROTTLE_WINDOW:
            self._refreshes.popleft()
        if len(self._refreshes) >= MAX_REFRESHES_PER_WINDOW:
            wait = THROTTLE_WINDOW - (now - self._refreshes[0])
            log.warning("zoho token: %d refreshes in 10 minutes; pausing refreshes", len(self._refreshes))
            raise self._throttled(wait)
        self._refreshes.append(now)
        try:
            token = await self._request_token(now)
        except errors.TokenError as exc:
            if exc.code == errors.TOKEN_THROTTLED:
                self._blocked_until = now + THROTTLE_WINDOW
            elif exc.code in (errors.INVALID_CLIENT, errors.INVALID_REFRESH_TOKEN):
                self._failure = (now, exc)
            raise
        self._failure = None
        return token

    async def _request_token(self, now: float) -> AccessToken:
        s = self._settings
        form = {
            "grant_type": "refresh_token",
            "client_id": s.client_id,
            "client_secret": s.client_secret.reveal(),
            "refresh_token": s.refresh_token.reveal(),
        }
        token, _ = await request_token(self._http, s, form, now)
        log.info("zoho token: refreshed (api_domain %s, expires in %ds)", token.api_domain, int(token.expires_at - now))
        return token

    @staticmethod
    def _token_failure(body: dict[str, object], status: int) -> errors.TokenError:
        error = str(body.get("error", ""))
        description = str(body.get("error_description", "")) or error
        if error.lower() == "access denied" or "too many requests" in description.lower():
            return TokenManager._throttled(THROTTLE_WINDOW, description)
        if error == "invalid_client":
            return errors.TokenError(errors.INVALID_CLIENT, description, status=status)
        if error == "invalid_code":
            return errors.TokenError(errors.INVALID_REFRESH_TOKEN, description, status=status)
        return errors.TokenError(errors.TOKEN_ERROR, description or "no access token in the answer", status=status)

    @staticmethod
    def _throttled(wait: float, message: str = "") -> errors.TokenError:
        return errors.TokenError(
            errors.TOKEN_THROTTLED,
            message or "too many token requests; waiting for Zoho's 10-minute window to pass",
            retry_after=max(0.0, wait),
        )


async def request_token(http: httpx.AsyncClient, settings: ZohoSettings, form: dict[str, str],
                        now: float) -> tuple[AccessToken, dict[str, object]]:
    """POST `form` to the token endpoint: the access token and Zoho's whole answer (a grant code's answer also
    holds the refresh token). TokenError for every answer that gives no token, transport failures included."""
    try:
        response = await http.post(settings.token_url, data=form)
    except httpx.TimeoutException:
        raise errors.TokenError(errors.TIMEOUT, "the Zoho accounts server did not answer in time") from None
    except httpx.TransportError as exc:
        raise errors.TokenError(
            errors.CONNECTION_ERROR, f"could not reach the Zoho accounts server ({type(exc).__name__})"
        ) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise errors.TokenError(
            errors.INVALID_RESPONSE, "the token endpoint did not answer with JSON", status=response.status_code
        )
    if "error" in body or "access_token" not in body:
        raise TokenManager._token_failure(body, response.status_code)
    api_domain = (settings.api_domain or str(body.get("api_domain") or "")).rstrip("/")
    if not api_domain.startswith(("https://", "http://")):
        raise errors.TokenError(errors.INVALID_RESPONSE, "the token answer named no api_domain")
    if not secure_url(api_domain):
        raise errors.TokenError(errors.INVALID_RESPONSE, "the token answer named a plain-http api_domain")
    try:
        expires_in = float(body.get("expires_in", 3600))
    except (TypeError, ValueError):
        expires_in = 3600.0
    scope = body.get("scope")
    token = AccessToken(value=str(body["access_token"]), api_domain=api_domain, expires_at=now + expires_in,
                        scope=scope if isinstance(scope, str) else None)
    return token, body


async def exchange_grant_code(http: httpx.AsyncClient, settings: ZohoSettings, code: str,
                              now: float) -> tuple[AccessToken, str]:
    """A self client's grant code for (an access token, the refresh token), as `python -m bot setup` needs it:
    `grant_type=authorization_code` at the same endpoint (FACTS.md, "Zoho self client"). A used or expired
    code is a TokenError with INVALID_REFRESH_TOKEN (Zoho's `invalid_code`, as for a refresh token)."""
    form = {"grant_type": "authorization_code", "client_id": settings.client_id,
            "client_secret": settings.client_secret.reveal(), "code": code}
    token, body = await request_token(http, settings, form, now)
    refresh = body.get("refresh_token")
    if not isinstance(refresh, str) or not refresh:
        raise errors.TokenError(errors.INVALID_RESPONSE, "the answer to the grant code held no refresh_token")
    return token, refresh
