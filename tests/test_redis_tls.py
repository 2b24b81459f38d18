"""REDIS_URL as Heroku gives it: rediss:// to a server with a self-signed certificate (FACTS.md, round 2)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bot.fakes.harness import free_port
from bot.shared import SharedStore
from bot.shared.store import constant
from tests.redis_server import BINARY, NAMESPACE, RedisServer

pytestmark = pytest.mark.redis


def self_signed(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(  # noqa: S603
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),  # noqa: S607
         "-days", "1", "-subj", "/CN=redis.invalid"], check=True, capture_output=True)
    return cert, key


async def test_rediss_url_with_a_self_signed_certificate(tmp_path: Path) -> None:
    if BINARY is None or shutil.which("openssl") is None:
        pytest.skip("needs redis-server and the openssl CLI")
    cert, key = self_signed(tmp_path)
    tls_port = free_port()
    server = RedisServer(tmp_path, ["--tls-port", str(tls_port), "--tls-cert-file", str(cert),
                                    "--tls-key-file", str(key), "--tls-auth-clients", "no"])
    try:
        server.start()
    except RuntimeError:
        pytest.skip("this redis-server build does not start with --tls-port (built without TLS)")
    try:
        secure = SharedStore(f"rediss://127.0.0.1:{tls_port}/0", namespace=NAMESPACE)
        plain = SharedStore(f"redis://127.0.0.1:{tls_port}/0", namespace=NAMESPACE)  # TLS really is spoken on that port
        try:
            assert await secure.run(lambda r: r.set("crmphoto:tls", "1"), lambda: constant("memory")) is True
            assert await plain.run(lambda r: r.get("crmphoto:tls"), lambda: constant("memory")) == "memory"
            with server.client() as r:
                assert r.get("crmphoto:tls") == b"1"
        finally:
            await secure.aclose()
            await plain.aclose()
    finally:
        server.stop()
