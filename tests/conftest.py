"""Shared fixtures: real fake servers on 127.0.0.1 and clients pointed at them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from bot.config import Secret, ZohoSettings
from bot.fakes import zoho as fz
from bot.fakes.zoho import FakeZoho, Seen
from bot.zoho import RetryPolicy, ZohoClient
from tests import zoho_oas

SECRETS = (fz.CLIENT_SECRET, fz.REFRESH_TOKEN, "1000.test-access-")


_zoho_requests: list[Seen] = []


@pytest.fixture(autouse=True, scope="session")
def _observe_zoho_requests() -> Iterator[None]:
    FakeZoho.observer = _zoho_requests.append
    yield
    FakeZoho.observer = None


@pytest.fixture(autouse=True)
def _bot_requests_fit_zoho_oas(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every request the bot sends to the fake Zoho in any test is one Zoho's OAS files define (tests/zoho_oas.py).

    Requests arriving outside a test (a module-scoped bot starting) count for the next test; a test marked
    `zoho_requests_by_test` sends its own, which are not the bot's and are not checked.
    """
    yield
    seen, _zoho_requests[:] = list(_zoho_requests), []
    if request.node.get_closest_marker("zoho_requests_by_test") is not None:
        return
    problems = sorted({f"{s.method} {s.path}?{s.query}: {problem}" for s in seen
                       for problem in zoho_oas.request_problems(s.method, s.path, s.query, s.form)})
    assert not problems, "the bot sent Zoho requests its OAS does not define:\n" + "\n".join(problems)


@pytest.fixture
def fake_zoho() -> Iterator[FakeZoho]:
    with FakeZoho() as server:
        yield server


def zoho_settings(fake: FakeZoho, **overrides: object) -> ZohoSettings:
    values: dict[str, object] = dict(
        client_id=fake.client_id,
        client_secret=Secret(fake.client_secret),
        refresh_token=Secret(fake.refresh_token),
        accounts_url=fake.url,
    )
    values.update(overrides)
    return ZohoSettings(**values)  # type: ignore[arg-type]


FAST_RETRY = RetryPolicy(tries=3, base=0.01, cap=0.05, budget=2.0)


@pytest.fixture
async def zoho(fake_zoho: FakeZoho) -> AsyncIterator[ZohoClient]:
    client = ZohoClient(zoho_settings(fake_zoho), retry=FAST_RETRY)
    yield client
    await client.aclose()


def make_client(fake: FakeZoho, timeout: float | None = None, **overrides: object) -> ZohoClient:
    settings = zoho_settings(fake, **overrides)
    http = httpx.AsyncClient(timeout=timeout) if timeout else None
    return ZohoClient(settings, http=http, retry=FAST_RETRY)


# In-process bot fixtures (`fakes`, `make_bot`), shared by the listener and lookup tests; imported last
# because tests.inprocess uses FAST_RETRY from here.
from tests.inprocess import fakes, make_bot  # noqa: E402, F401

# A real redis-server (`redis_server`) and SharedStores on it (`stores`), for the tests marked `redis`.
from tests.redis_server import redis_server, stores  # noqa: E402, F401
