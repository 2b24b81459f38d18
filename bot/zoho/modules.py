"""Which CRM module a person meant, and whether it has photos.

People type `contact`, `CONTACTS` or paste a link with the internal tab name (`Potentials`,
`CustomModule3`); Zoho's paths want the case-sensitive `api_name`. The module list comes from
`GET /crm/{v}/settings/modules`, cached for an hour. Without the settings scope we fall back to the
standard photo modules plus any well-formed api name and let Zoho's INVALID_MODULE speak.

A list that cannot be had right now (5xx, timeout, connection error, an answer we can't read) never
blocks a photo: the last good list is kept, or, without one, the same fallback as for the scope, and
the list is asked for again a minute later. Token failures still surface: no list helps without a token.

With REDIS_URL a list any process fetched is shared (bot.shared.modules), so the fleet asks Zoho once.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import re
import time
import unicodedata
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.ids import API_NAME
from bot.zoho import errors

if TYPE_CHECKING:
    from bot.shared.modules import SharedModuleList

log = logging.getLogger(__name__)

STANDARD_PHOTO_MODULES = ("Leads", "Contacts", "Accounts", "Products", "Vendors")
# Internal tab names Zoho's web UI shows in record links, where they differ from the api name.
TAB_ALIASES = {"potentials": "Deals", "cases": "Cases", "solutions": "Solutions"}
CACHE_TTL = 3600.0
EARLY_REFRESH_GAP = 60.0
RETRY_AFTER_FAILURE = 60.0  # a failed list load is tried again this much later


@dataclass(frozen=True)
class Module:
    api_name: str
    module_name: str = ""
    singular_label: str = ""
    plural_label: str = ""
    generated_type: str = "default"
    api_supported: bool = True
    display_field: str = ""  # api name of the field Zoho CRM shows as the record's name; "" when not given

    @property
    def tab_name(self) -> str:
        """The name the web UI uses in record links: the internal module name (Potentials for Deals)."""
        return self.module_name if API_NAME.fullmatch(self.module_name) else self.api_name

    @property
    def has_photos(self) -> bool:
        return self.api_supported and (
            self.api_name in STANDARD_PHOTO_MODULES or self.generated_type == "custom"
        )

    def names(self) -> Iterable[str]:
        for name in (self.api_name, self.module_name, self.singular_label, self.plural_label):
            if name:
                yield name

    @classmethod
    def from_metadata(cls, item: dict[str, Any]) -> Module | None:
        api_name = item.get("api_name")
        if not isinstance(api_name, str) or not API_NAME.fullmatch(api_name):
            return None

        def text(key: str) -> str:
            value = item.get(key)
            return value if isinstance(value, str) else ""

        return cls(
            api_name=api_name,
            module_name=text("module_name"),
            singular_label=text("singular_label"),
            plural_label=text("plural_label"),
            generated_type=text("generated_type") or "default",
            api_supported=item.get("api_supported") is not False,
            display_field=_display_field(item.get("display_field")),
        )


def _display_field(value: object) -> str:
    """The display field's api name: the OAS gives an object (`{"api_name": …, "id": …}`); a bare name is taken too."""
    if isinstance(value, dict):
        value = value.get("api_name")
    return value if isinstance(value, str) and API_NAME.fullmatch(value) else ""


def _key(name: str) -> str:
    """How a name is compared: without spaces or underscores, in any case, and however its accents were encoded.

    NFKC first, so an accent typed as a combining mark (`e` + U+0301, as some keyboards and pasted text send it)
    and full-width letters typed through a Japanese input method compare equal to the label Zoho gives.
    """
    folded = unicodedata.normalize("NFKC", name).casefold()
    return re.sub(r"[\s_]+", "", unicodedata.normalize("NFKC", folded))


def _singulars(key: str) -> list[str]:
    forms = [key]
    if key.endswith("ies"):
        forms.append(key[:-3] + "y")
    if key.endswith("es"):
        forms.append(key[:-2])
    if key.endswith("s"):
        forms.append(key[:-1])
    return forms


class ModuleCatalog:
    """Resolves typed names to modules, from a cached copy of Zoho's module list."""

    def __init__(
        self,
        fetch: Callable[[], Awaitable[list[dict[str, Any]]]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._modules: list[Module] | None = None
        self._index: dict[str, Module] = {}
        self._loaded_at = float("-inf")
        self._stale_at = float("-inf")
        self._no_scope = False
        self._unavailable = False  # the last load failed for a reason other than the scope
        self._fallback = False  # unavailable and no good list yet: standard modules, other names passed through
        self._lock = asyncio.Lock()
        self.shared: SharedModuleList | None = None

    async def resolve(self, typed: str) -> Module:
        """The module `typed` names, if it has photos; else a ModuleProblem with a suggestion."""
        await self._load_if(lambda: self._clock() >= self._stale_at, CACHE_TTL)
        module = self._lookup(typed)
        if module is None:
            await self._load_if(lambda: self._clock() - self._loaded_at >= EARLY_REFRESH_GAP, EARLY_REFRESH_GAP)
            module = self._lookup(typed)
        if module is None and (self._no_scope or self._fallback) and API_NAME.fullmatch(typed.strip()):
            return Module(api_name=typed.strip(), generated_type="unknown")
        if module is None:
            raise self._problem(errors.UNKNOWN_MODULE, typed)
        if not module.has_photos:
            raise self._problem(errors.MODULE_WITHOUT_PHOTOS, typed)
        return module

    async def known(self, typed: str) -> Module | None:
        """The module `typed` names, from the cached list, or None: no early refresh, no error.

        For telling `Contacts Jane Doe` (a module, then a name) from `Jane Doe` without spending a Zoho call
        on every name that is not a module.
        """
        try:
            await self._load_if(lambda: self._clock() - self._loaded_at >= CACHE_TTL, CACHE_TTL)
        except errors.ZohoError:
            return None
        return self._lookup(typed)

    async def load(self) -> list[Module]:
        """Fetch the list now and cache it; every failure is raised, none softened (for `python -m bot doctor`)."""
        async with self._lock:
            raw = await self._fetch()
            self._no_scope = self._unavailable = self._fallback = False
            self._set([m for m in (Module.from_metadata(item) for item in raw) if m is not None])
            return list(self._modules or ())

    def photo_modules(self) -> list[str]:
        if self._modules is None:
            return list(STANDARD_PHOTO_MODULES)
        return [m.api_name for m in self._modules if m.has_photos]

    async def _load_if(self, stale: Callable[[], bool], max_age: float) -> None:
        """Reload when `stale()`; one load at a time, so a burst of requests costs one call.

        A shared list younger than `max_age` is taken instead of asking Zoho.
        """
        if not stale():
            return
        async with self._lock:
            if stale():
                if self.shared is None:
                    await self._load()
                    return
                shared = await self.shared.get_or_claim(max_age)
                if shared is not None:
                    self._no_scope = self._unavailable = self._fallback = False
                    self._set([m for m in (Module.from_metadata(item) for item in shared) if m is not None])
                    return
                try:
                    await self._load()
                finally:
                    await self.shared.done()

    async def _load(self) -> None:
        try:
            raw = await self._fetch()
            if self.shared is not None:
                await self.shared.put(raw)
        except errors.TokenError:
            raise
        except errors.ZohoError as exc:
            if exc.retryable or exc.code == errors.INVALID_RESPONSE:
                self._list_unavailable(exc)
                return
            if exc.code != "OAUTH_SCOPE_MISMATCH":
                raise
            if not self._no_scope:
                log.warning(
                    "zoho modules: the token lacks the ZohoCRM.settings.modules.READ scope; "
                    "using the standard photo modules and passing other api names to Zoho as typed"
                )
            self._no_scope = True
            self._set([Module(api_name=name) for name in STANDARD_PHOTO_MODULES])
            return
        self._no_scope = False
        if self._unavailable:
            log.info("zoho modules: the module list is back")
        self._unavailable = self._fallback = False
        self._set([m for m in (Module.from_metadata(item) for item in raw) if m is not None])

    def _list_unavailable(self, exc: errors.ZohoError) -> None:
        """Keep serving photos without a fresh list; one warning per outage, another try in a minute."""
        if self._modules is None:
            self._fallback = True
            self._set([Module(api_name=name) for name in STANDARD_PHOTO_MODULES])
        if not self._unavailable:
            kept = "using the standard photo modules and passing other api names to Zoho as typed" if (
                self._fallback or self._no_scope) else "keeping the last good list"
            log.warning("zoho modules: the module list is unavailable (%s); %s", exc.code, kept)
        self._unavailable = True
        now = self._clock()
        self._loaded_at = now
        self._stale_at = now + RETRY_AFTER_FAILURE

    def _set(self, modules: list[Module]) -> None:
        self._modules = modules
        self._loaded_at = self._clock()
        self._stale_at = self._loaded_at + CACHE_TTL
        index: dict[str, Module] = {}
        # Later passes never override earlier ones: api names win over labels.
        for attr in ("api_name", "module_name", "plural_label", "singular_label"):
            for module in modules:
                name = getattr(module, attr)
                if name:
                    index.setdefault(_key(name), module)
        self._index = index

    def _lookup(self, typed: str) -> Module | None:
        key = _key(typed)
        alias = TAB_ALIASES.get(key)
        if alias is not None:
            key = _key(alias)
        for form in (*_singulars(key), key + "s", key + "es"):
            if form in self._index:
                return self._index[form]
        return None

    def _problem(self, code: str, typed: str) -> errors.ModuleProblem:
        photo = self.photo_modules()
        candidates: dict[str, str] = {}
        for module in self._modules or ():
            if module.has_photos:
                for name in module.names():
                    candidates.setdefault(_key(name), _suggested(module, name))
        match = difflib.get_close_matches(_key(typed), list(candidates), n=1, cutoff=0.6)
        suggestion = candidates[match[0]] if match else None
        return errors.ModuleProblem(code, typed, photo_modules=photo, suggestion=suggestion)


def _suggested(module: Module, near: str) -> str:
    """What "did you mean" names when `near` is the closest name: a label gets the module's plural label, so a
    German rep who typed `Kontake` reads `Kontakte` (in the org's words, not the API name `Contacts`); an API
    or internal name gets the API name."""
    if near in (module.singular_label, module.plural_label):
        return module.plural_label or module.singular_label
    return module.api_name
