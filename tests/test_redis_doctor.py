"""`python -m bot doctor` with REDIS_URL: a real redis-server (a password, a connection limit, refused commands) next
to the fake Slack and Zoho of tests/test_doctor.py. The URL's password never shows."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot import doctor
from bot.fakes.harness import free_port
from tests.redis_server import BINARY, RedisServer
from tests.test_doctor import World, failures, passes, world  # noqa: F401

pytestmark = pytest.mark.redis
PASSWORD = "redis-pass-5c7e1d9a"


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Callable[..., RedisServer]]:
    """`servers(*extra)`: a password-protected redis-server with these extra arguments."""
    if BINARY is None:
        pytest.skip("redis-server is not installed")
    started: list[RedisServer] = []

    def start(*extra: str) -> RedisServer:
        folder = tmp_path / str(len(started))
        folder.mkdir()
        started.append(RedisServer(folder, list(extra), password=PASSWORD))
        return started[-1].start()

    yield start
    for server in started:
        server.stop()


def url(server: RedisServer, password: str = PASSWORD) -> str:
    return f"redis://:{password}@127.0.0.1:{server.port}/0"


def run(world: World, dynos: int | None = None, **env: str) -> tuple[int, str]:  # noqa: F811
    out = io.StringIO()
    status = doctor.run(env={**world.env, "WEB_CONCURRENCY": "2", **env}, out=out, data_centres=world.table,
                        dynos=dynos)
    return status, out.getvalue()


def redis_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line[2:].startswith("Redis:")]


def test_redis_is_checked_and_its_connection_limit_counted(world: World, servers) -> None:  # noqa: F811
    server = servers("--maxclients", "20")  # Heroku's mini plan
    status, out = run(world, REDIS_URL=url(server))
    assert status == 0, out
    ok, room = redis_lines(out)
    assert ok.startswith("✓ Redis: 127.0.0.1:") and "no TLS, version 7." in ok and " ms)" in ok
    # 1 dyno × 2 processes × 4 = 8; 16 while old and new dynos overlap; 17 with a one-off.
    assert room.startswith("✓ Redis: up to 17 of the 20 connections") and "--dynos N" in room
    assert PASSWORD not in out
    assert len(passes(out)) == 8 + 2


def test_too_many_dynos_for_the_plan_fail_with_the_arithmetic_and_the_fix(world: World, servers) -> None:  # noqa: F811
    server = servers("--maxclients", "20")
    status, out = run(world, dynos=2, REDIS_URL=url(server))
    assert status == 1
    [line] = failures(out)
    assert line == "✗ Redis: up to 33 connections needed, the server allows 20"
    assert "2 dyno(s) × 2 process(es) × REDIS_MAX_CONNECTIONS 4 = 16" in out and "Lower REDIS_MAX_CONNECTIONS" in out
    status, out = run(world, dynos=2, REDIS_URL=url(server), REDIS_MAX_CONNECTIONS="2")
    assert status == 0, out
    assert "✓ Redis: up to 17 of the 20 connections" in out and "--dynos N" not in out


def test_a_server_that_refuses_config_and_info_is_noted_not_failed(world: World, servers) -> None:  # noqa: F811
    server = servers("--rename-command", "CONFIG", "", "--rename-command", "INFO", "")  # as hosted Redis may
    status, out = run(world, REDIS_URL=url(server))
    assert status == 0, out
    ok, note = redis_lines(out)
    assert ok.startswith("✓ Redis:") and "version unknown" in ok
    assert note.startswith("• Redis: the server does not say how many connections it allows")
    assert "needs up to 17" in note and "mini 20" in note


def test_config_refused_alone_still_reads_the_limit_from_info(world: World, servers) -> None:  # noqa: F811
    server = servers("--rename-command", "CONFIG", "", "--maxclients", "40")
    status, out = run(world, REDIS_URL=url(server))
    assert status == 0, out
    assert "✓ Redis: up to 17 of the 40 connections" in out


def test_a_wrong_password_fails_without_showing_either_password(world: World, servers) -> None:  # noqa: F811
    server = servers()
    wrong = "not-the-password-77aa"
    status, out = run(world, REDIS_URL=url(server, wrong))
    assert status == 1
    [line] = failures(out)
    assert line == f"✗ Redis: 127.0.0.1:{server.port} refused the password in REDIS_URL (AuthenticationError)"
    assert "heroku config:get REDIS_URL" in out
    assert wrong not in out and PASSWORD not in out


def test_an_unreachable_server_fails_with_the_address_only(world: World) -> None:  # noqa: F811
    port = free_port()
    status, out = run(world, REDIS_URL=f"rediss://:{PASSWORD}@127.0.0.1:{port}/0")
    assert status == 1
    [line] = failures(out)
    assert line == f"✗ Redis: no answer from 127.0.0.1:{port} (ConnectionError)"
    assert PASSWORD not in out
    assert world.us.token_requests == 1  # Zoho is still checked


def test_without_redis_url_nothing_about_redis(world: World) -> None:  # noqa: F811
    status, out = run(world)
    assert status == 0 and redis_lines(out) == []


def test_cli_takes_dynos(world: World, servers) -> None:  # noqa: F811
    server = servers("--maxclients", "20")
    world.env.update(REDIS_URL=url(server), WEB_CONCURRENCY="2")
    status, out = world.cli("--dynos", "2")
    assert status == 1 and "up to 33 connections needed" in out
    for bad in ("0", "two", "-1"):
        status, out = world.cli("--dynos", bad)
        assert status == 2 and "--dynos" in out and "Redis:" not in out
