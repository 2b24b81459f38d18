"""A real redis-server for the tests: a free port, data in a temporary directory, stopped at the end.

Tests that use it are marked `redis`; without a redis-server binary they are skipped with that reason
(.ci/run installs Debian's redis-server, so CI always runs them).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import redis

from bot.fakes.harness import free_port
from bot.shared import SharedStore

BINARY = shutil.which("redis-server")
NAMESPACE = "crmphoto:tests:"  # what bot.shared.store.namespace gives a deployment, for tests with no settings


class RedisServer:
    """`redis-server` as a subprocess; `stop()` and `start()` again on the same port (an outage and a return)."""

    def __init__(self, data_dir: Path, extra: list[str] | None = None, port: int | None = None,
                 password: str | None = None) -> None:
        self.port = port or free_port()
        self.data_dir = data_dir
        self.password = password  # --requirepass
        self.extra = [*(["--requirepass", password] if password else []), *(extra or [])]
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        assert BINARY is not None
        args = [BINARY, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.data_dir),
                "--save", "", "--appendonly", "no", *self.extra]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.proc.returncode}")
            try:
                if self.ping():
                    return self
            except redis.RedisError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start in 10 s")

    def ping(self) -> bool:
        with redis.Redis(host="127.0.0.1", port=self.port, password=self.password, socket_timeout=1) as client:
            return bool(client.ping())

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, password=self.password, socket_timeout=2)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if BINARY is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server; .ci/run does it)")
    server = RedisServer(tmp_path).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def stores(redis_server: RedisServer) -> AsyncIterator[Callable[..., SharedStore]]:
    """`stores(**options)`: a SharedStore on the test's server (one per bot process played), closed at the end."""
    made: list[SharedStore] = []

    def make(**options: object) -> SharedStore:
        made.append(SharedStore(redis_server.url, namespace=NAMESPACE, **options))  # type: ignore[arg-type]
        return made[-1]

    yield make
    for store in made:
        await store.aclose()
