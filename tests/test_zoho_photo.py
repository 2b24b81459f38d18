"""The photo endpoint: success, 204, every error code, retries, limits and the concurrency cap."""

from __future__ import annotations

import asyncio
import json
import time
import unicodedata
from pathlib import Path
from urllib.parse import quote

import httpx
import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.fakes.zoho import ERRORS, TINY_JPEG, FakeZoho, Record
from bot.zoho import NoPhoto, Photo, ZohoClient, ZohoError
from bot.zoho.client import ZohoClient as _Client
from bot.zoho.photo import MAX_PHOTO_BYTES, build_photo, filename_from_disposition
from tests.conftest import make_client

REFERENCE = Path(__file__).resolve().parent / "reference"

NOT_RETRIED = [c for c in ERRORS if c not in ("INTERNAL_ERROR", "TOO_MANY_REQUESTS", "INVALID_TOKEN",
                                              "AUTHENTICATION_FAILURE")]


async def test_photo_bytes_type_and_generated_name(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    fake_zoho.add_record("Contacts", "12345", Record(content=b"\x89PNG\r\n\x1a\nabc", content_type="image/png"))
    photo = await zoho.fetch_photo("Contacts", "12345")
    assert isinstance(photo, Photo)
    assert photo.content == b"\x89PNG\r\n\x1a\nabc"
    assert photo.content_type == "image/png"
    assert photo.filename == "Contacts-12345.png"


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        ('attachment; filename="jane doe.jpg"', "jane doe.jpg"),
        ("attachment; filename*=UTF-8''J%C3%BCrgen%20M.jpg", "Jürgen M.jpg"),
        ("attachment; filename=\"x.jpg\"; filename*=UTF-8''y%20z.jpg", "y z.jpg"),
        ("attachment; filename=plain.gif", "plain.gif"),
        ('attachment; filename="../../etc/passwd"', "passwd"),
        ("inline", None),
        (None, None),
    ],
)
def test_content_disposition_forms(disposition: str | None, expected: str | None) -> None:
    assert filename_from_disposition(disposition) == expected


async def test_disposition_name_is_used(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    fake_zoho.add_record("Leads", "7", Record(disposition="attachment; filename*=UTF-8''caf%C3%A9.jpg"))
    photo = await zoho.fetch_photo("Leads", "7")
    assert isinstance(photo, Photo) and photo.filename == "café.jpg" and photo.content == TINY_JPEG


def test_extension_from_magic_when_type_is_generic() -> None:
    photo = build_photo("Contacts", "1", b"GIF89a...", "application/x-download", None)
    assert photo.filename == "Contacts-1.gif" and photo.content_type == "image/gif"


async def test_204_is_a_distinct_no_photo_result(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    fake_zoho.add_record("Contacts", "55", Record(content=None))
    result = await zoho.fetch_photo("Contacts", "55")
    assert result == NoPhoto("Contacts", "55")


@pytest.mark.parametrize("code", NOT_RETRIED)
async def test_every_error_code_is_typed_and_not_retried(zoho: ZohoClient, fake_zoho: FakeZoho, code: str) -> None:
    fake_zoho.add_record("Contacts", "9", Record(error=code))
    with pytest.raises(ZohoError) as info:
        await zoho.fetch_photo("Contacts", "9")
    err = info.value
    assert (err.code, err.status, err.message) == (code, ERRORS[code][0], ERRORS[code][1])
    assert err.details.get("id") == "9"
    assert fake_zoho.photo_calls() == 1


def test_fake_error_bodies_validate_against_api_exception() -> None:
    def schema_of(name: str, schema: str) -> dict:
        return json.loads((REFERENCE / f"zoho-oas-v8-{name}.json").read_text())["components"]["schemas"][schema]

    schema = schema_of("common", "API_Exception")
    photo_error = schema_of("record_photo", "error")
    fake = FakeZoho()
    for code in ERRORS:
        jsonschema.validate(fake.body_of(code), schema)
    for code in photo_error["properties"]["code"]["enum"]:  # the codes the photo OAS names, exactly as named
        body = fake.body_of(code)
        jsonschema.validate(body, {k: v for k, v in photo_error.items() if k != "properties"} | {
            "properties": {k: v for k, v in photo_error["properties"].items() if k != "details"}})


@pytest.mark.parametrize("code", ["INTERNAL_ERROR", "TOO_MANY_REQUESTS"])
async def test_transient_errors_are_retried_then_succeed(zoho: ZohoClient, fake_zoho: FakeZoho, code: str) -> None:
    fake_zoho.fail_next("photo", 2, code=code)
    assert isinstance(await zoho.fetch_photo("Contacts", "1"), Photo)
    assert fake_zoho.photo_calls() == 3


async def test_gives_up_after_three_tries(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    fake_zoho.fail_next("photo", 5, code="INTERNAL_ERROR")
    with pytest.raises(ZohoError) as info:
        await zoho.fetch_photo("Contacts", "1")
    assert info.value.code == "INTERNAL_ERROR" and info.value.status == 500
    assert fake_zoho.photo_calls() == 3


async def test_non_json_5xx_is_retried_and_typed(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    fake_zoho.fail_next("photo", 3, status=502, body="<html>Bad Gateway</html>")
    with pytest.raises(ZohoError) as info:
        await zoho.fetch_photo("Contacts", "1")
    assert info.value.code == "INTERNAL_ERROR" and info.value.status == 502
    assert fake_zoho.photo_calls() == 3


async def test_non_json_4xx_is_invalid_response_not_retried(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    fake_zoho.fail_next("photo", 1, status=418, body="I'm a teapot")
    with pytest.raises(ZohoError) as info:
        await zoho.fetch_photo("Contacts", "1")
    assert info.value.code == "INVALID_RESPONSE" and info.value.status == 418
    assert fake_zoho.photo_calls() == 1


async def test_unknown_zoho_code_is_kept(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    fake_zoho.fail_next("photo", 1, status=400,
                        body='{"code":"BRAND_NEW_CODE","details":{"x":1},"message":"new","status":"error"}')
    with pytest.raises(ZohoError) as info:
        await zoho.fetch_photo("Contacts", "1")
    assert (info.value.code, info.value.details, info.value.message) == ("BRAND_NEW_CODE", {"x": 1}, "new")
    assert fake_zoho.photo_calls() == 1


async def test_retry_after_is_honoured(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    fake_zoho.fail_next("photo", 1, code="TOO_MANY_REQUESTS", headers={"Retry-After": "1"})
    started = time.monotonic()
    assert isinstance(await zoho.fetch_photo("Contacts", "1"), Photo)
    assert time.monotonic() - started >= 0.9


async def test_retry_after_beyond_the_budget_gives_up_at_once(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    fake_zoho.fail_next("photo", 1, code="TOO_MANY_REQUESTS", headers={"Retry-After": "120"})
    with pytest.raises(ZohoError) as info:
        await zoho.fetch_photo("Contacts", "1")
    assert info.value.code == "TOO_MANY_REQUESTS" and info.value.retry_after == 120
    assert fake_zoho.photo_calls() == 1


async def test_timeouts_are_retried_then_typed(fake_zoho: FakeZoho) -> None:
    client = make_client(fake_zoho, timeout=0.2)
    await client.modules.resolve("Contacts")
    fake_zoho.latency = 0.6
    try:
        with pytest.raises(ZohoError) as info:
            await client.fetch_photo("Contacts", "1")
    finally:
        fake_zoho.latency = 0
        await client.aclose()
    assert info.value.code == "TIMEOUT"
    assert fake_zoho.photo_calls() == 3


async def test_hang_up_is_a_connection_error_and_retried(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    fake_zoho.fail_next("photo", 1, status=0)
    assert isinstance(await zoho.fetch_photo("Contacts", "1"), Photo)
    assert fake_zoho.photo_calls() == 2


async def test_unreachable_zoho_is_a_connection_error(fake_zoho: FakeZoho) -> None:
    client = make_client(fake_zoho, api_domain="http://127.0.0.1:9")
    try:
        with pytest.raises(ZohoError) as info:
            await client.fetch_photo("Contacts", "1")
    finally:
        await client.aclose()
    assert info.value.code == "CONNECTION_ERROR"


async def test_too_large_photo_is_refused(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    fake_zoho.add_record("Contacts", "1", Record(content=b"\xff\xd8\xff" + b"0" * MAX_PHOTO_BYTES))
    with pytest.raises(ZohoError) as info:
        await zoho.fetch_photo("Contacts", "1")
    assert info.value.code == "PHOTO_TOO_LARGE"


async def test_too_large_stream_without_length_stops_reading() -> None:
    chunks_sent = 0

    async def body():
        nonlocal chunks_sent
        for _ in range(100):
            chunks_sent += 1
            yield b"x" * (1024 * 1024)

    response = httpx.Response(200, content=body())
    with pytest.raises(ZohoError) as info:
        await _Client._read_limited(response)
    assert info.value.code == "PHOTO_TOO_LARGE"
    assert chunks_sent <= 16


async def test_concurrency_is_capped(fake_zoho: FakeZoho) -> None:
    client = make_client(fake_zoho, max_concurrency=3)
    try:
        await client.modules.resolve("Contacts")
        fake_zoho.latency = 0.1
        results = await asyncio.gather(*(client.fetch_photo("Contacts", str(i)) for i in range(12)))
    finally:
        await client.aclose()
    assert all(isinstance(r, Photo) for r in results)
    assert fake_zoho.max_in_flight == 3


async def test_identical_concurrent_fetches_share_one_call(zoho: ZohoClient, fake_zoho: FakeZoho) -> None:
    await zoho.modules.resolve("Contacts")
    fake_zoho.latency = 0.2
    results = await asyncio.gather(*(zoho.fetch_photo("Contacts", "5") for _ in range(5)),
                                   zoho.fetch_photo("Contacts", "6"))
    assert all(isinstance(r, Photo) for r in results)
    assert fake_zoho.photo_calls() == 2
    fake_zoho.latency = 0
    await zoho.fetch_photo("Contacts", "5")  # later requests fetch again: nothing is cached
    assert fake_zoho.photo_calls() == 3


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
JPEG = TINY_JPEG
GIF = b"GIF89a" + b"\x01\x00\x01\x00" + b"\x00" * 8
BMP = b"BM" + b"\x00" * 24
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8 " + b"\x00" * 14

NOT_IMAGES = [
    (b"<!DOCTYPE html><html><title>Zoho Accounts</title><form>Sign in</form></html>", "text/html"),
    (b'{"data":[{"status":"success"}]}', "application/json"),
    (b"II*\x00\x08\x00\x00\x00" + b"\x00" * 16, "image/tiff"),
    (b"MM\x00*\x00\x00\x00\x08" + b"\x00" * 16, "image/jpeg"),
    (b"RIFF\x1a\x00\x00\x00WAVEfmt " + b"\x00" * 14, "image/webp"),
    (b"%PDF-1.7\n", "application/x-download"),
    (b"", "image/jpeg"),
]


@pytest.mark.parametrize(
    ("content", "claimed"), NOT_IMAGES, ids=["html-login", "json", "tiff", "tiff-as-jpeg", "riff-wave", "pdf", "empty"]
)
async def test_a_200_that_is_not_an_image_is_invalid_response(
    zoho: ZohoClient, fake_zoho: FakeZoho, content: bytes, claimed: str
) -> None:
    fake_zoho.add_record("Contacts", "8", Record(content=content, content_type=claimed))
    with pytest.raises(ZohoError) as info:
        await zoho.fetch_photo("Contacts", "8")
    err = info.value
    assert (err.code, err.status) == ("INVALID_RESPONSE", 200)
    assert claimed in err.message and f"{len(content)} bytes" in err.message  # the detail for the log
    assert fake_zoho.photo_calls() == 1


@pytest.mark.parametrize(
    ("content", "claimed", "disposition", "content_type", "filename"),
    [
        (PNG, "image/jpeg", 'attachment; filename="photo.php"', "image/png", "photo.png"),
        (PNG, "image/png", 'attachment; filename="photo.jpg"', "image/png", "photo.png"),
        (JPEG, "image/png", 'attachment; filename="jane.JPEG"', "image/jpeg", "jane.JPEG"),
        (JPEG, "application/x-download", 'attachment; filename="Dr. Who"', "image/jpeg", "Dr. Who.jpg"),
        (GIF, "application/x-download", None, "image/gif", "Contacts-1.gif"),
        (BMP, "image/x-ms-bmp", 'attachment; filename="scan"', "image/bmp", "scan.bmp"),
        (WEBP, "application/octet-stream", "attachment; filename*=UTF-8''p%C3%A9.exe", "image/webp", "pé.webp"),
        (JPEG, "text/html", None, "image/jpeg", "Contacts-1.jpg"),
    ],
    ids=["php-to-png", "jpg-to-png", "jpeg-kept", "dotted-name", "gif", "bmp", "webp", "html-claimed"],
)
async def test_type_and_extension_follow_the_bytes(
    zoho: ZohoClient, fake_zoho: FakeZoho, content: bytes, claimed: str, disposition: str | None,
    content_type: str, filename: str,
) -> None:
    fake_zoho.add_record("Contacts", "1", Record(content=content, content_type=claimed, disposition=disposition))
    photo = await zoho.fetch_photo("Contacts", "1")
    assert isinstance(photo, Photo)
    assert (photo.content_type, photo.filename, photo.content) == (content_type, filename, content)


@pytest.mark.parametrize(
    ("encoded", "expected"),
    [
        ("evil%E2%80%AEgpj.exe", "evilgpj.exe"),  # U+202E RIGHT-TO-LEFT OVERRIDE
        ("a%C2%85b.jpg", "ab.jpg"),  # U+0085 NEXT LINE
        ("a%E2%80%A8b%E2%80%A9c.jpg", "abc.jpg"),  # U+2028 / U+2029 line and paragraph separators
        ("%E2%80%8Bzero%E2%80%8Bwidth.jpg", "zerowidth.jpg"),  # U+200B ZERO WIDTH SPACE
        ("%EF%BB%BFbom.jpg", "bom.jpg"),  # U+FEFF BYTE ORDER MARK
        ("bell%07%0D%0Aline.jpg", "bellline.jpg"),
        ("..%2F..%2F%E2%80%AEetc%2Fpasswd", "passwd"),
        ("%E2%80%AE%E2%80%8B", None),
    ],
)
def test_control_and_format_characters_are_removed(encoded: str, expected: str | None) -> None:
    assert filename_from_disposition(f"attachment; filename*=UTF-8''{encoded}") == expected


UNSAFE = {"Cc", "Cf", "Zl", "Zp"}


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=0, max_size=300), st.booleans())
def test_any_disposition_name_is_safe(name: str, extended: bool) -> None:
    if extended:
        header = f"attachment; filename*=UTF-8''{quote(name, safe='')}"
    else:
        header = 'attachment; filename="' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    safe = filename_from_disposition(header)
    if safe is not None:
        assert not any(unicodedata.category(ch) in UNSAFE for ch in safe)
        assert "/" not in safe and "\\" not in safe
        assert not safe.startswith(".") and safe == safe.strip() and 0 < len(safe) <= 200
    photo = build_photo("Contacts", "1", PNG, "image/jpeg", header)
    assert photo.filename.endswith(".png") and photo.content_type == "image/png"
    assert not any(unicodedata.category(ch) in UNSAFE for ch in photo.filename)
    assert "/" not in photo.filename and "\\" not in photo.filename


@pytest.mark.parametrize("value", ["²", "٨", "１"])
async def test_non_ascii_retry_after_is_ignored_not_a_crash(zoho: ZohoClient, fake_zoho: FakeZoho, value: str) -> None:
    await zoho.modules.resolve("Contacts")
    fake_zoho.fail_next("photo", 1, code="TOO_MANY_REQUESTS", headers={"Retry-After": value})
    assert isinstance(await zoho.fetch_photo("Contacts", "1"), Photo)
    assert fake_zoho.photo_calls() == 2
