"""The photo itself: what a record's photo is, its file name, and the one URL it may come from."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote, unquote

from bot.ids import API_NAME, record_id
from bot.zoho import errors

MAX_PHOTO_BYTES = 15 * 1024 * 1024
VERSION = re.compile(r"v[0-9]+(\.[0-9]+)?")

# What an image file starts with (its "magic bytes"): the only evidence of its type we trust.
MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
)
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "bmp": "image/bmp", "webp": "image/webp"}
# Extensions that already say the right type, so a name like `jane.jpeg` is kept as it is.
SAME_TYPE = {"jpg": {"jpg", "jpeg", "jpe", "jfif"}, "png": {"png"}, "gif": {"gif"}, "bmp": {"bmp", "dib"},
             "webp": {"webp"}}
EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}$")
UNSAFE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}  # controls, format (bidi overrides, zero-width), line/para separators


@dataclass(frozen=True)
class Photo:
    module: str
    record_id: str
    content: bytes
    content_type: str
    filename: str

    def __repr__(self) -> str:
        return f"Photo({self.module}/{self.record_id}, {self.filename!r}, {len(self.content)} bytes)"


@dataclass(frozen=True)
class NoPhoto:
    """Zoho answered 204: the record exists (or Zoho says nothing more) but has no photo."""

    module: str
    record_id: str


def clean_record_id(typed: str) -> str:
    """Digits only (bot.ids); a `zcrm_` prefix from some exports is dropped."""
    value = record_id(typed.strip())
    if value is None:
        raise errors.ZohoError(errors.INVALID_RECORD_ID, "a record id is a string of digits")
    return value


def photo_path(version: str, module_api_name: str, record_id: str) -> str:
    """The only path a photo is ever fetched from; every part is checked, then percent-encoded."""
    if not VERSION.fullmatch(version):
        raise ValueError("bad API version")
    if not API_NAME.fullmatch(module_api_name):
        raise errors.ZohoError(errors.UNKNOWN_MODULE, "a module api name is letters, digits and underscores")
    record_id = clean_record_id(record_id)
    return f"/crm/{version}/{quote(module_api_name, safe='')}/{quote(record_id, safe='')}/photo"


def _safe_filename(name: str) -> str | None:
    """The last path segment, without control or format characters (no RTL override tricks, no line breaks)."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in UNSAFE_CATEGORIES)
    name = name.strip().strip(".").strip()
    return name[:200] or None


def filename_from_disposition(header: str | None) -> str | None:
    """`filename*=UTF-8''…` (RFC 5987, preferred) or `filename="…"` from Content-Disposition."""
    if not header:
        return None
    extended = re.search(r"filename\*\s*=\s*([^']*)'[^']*'([^;]+)", header, re.IGNORECASE)
    if extended:
        charset = extended.group(1).strip() or "utf-8"
        try:
            return _safe_filename(unquote(extended.group(2).strip().strip('"'), encoding=charset))
        except LookupError:
            return _safe_filename(unquote(extended.group(2).strip().strip('"')))
    plain = re.search(r'filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))', header, re.IGNORECASE)
    if plain:
        value = plain.group(1) if plain.group(1) is not None else plain.group(2).strip()
        return _safe_filename(value.replace('\\"', '"'))
    return None


def image_type(content: bytes) -> str | None:
    """The image format the bytes really are (png, jpg, gif, bmp, webp), or None for anything else."""
    for magic, ext in MAGIC:
        if content.startswith(magic):
            return ext
    if len(content) >= 12 and content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "webp"
    return None


def with_extension(name: str, ext: str) -> str:
    """`name` ending in an extension of type `ext`: a wrong one (`photo.php`) is replaced, none is added."""
    match = EXTENSION.search(name)
    if match and match.group()[1:].lower() in SAME_TYPE[ext]:
        return name
    stem = name[: match.start()] if match else name
    return f"{stem[:200]}.{ext}"


def build_photo(
    module: str, record_id: str, content: bytes, content_type: str | None, disposition: str | None
) -> Photo:
    """A Photo named and typed from what the bytes are, whatever the headers claim; a non-image is refused."""
    ext = image_type(content)
    if ext is None:
        claimed = (content_type or "").split(";", 1)[0].strip().lower() or "no content type"
        raise errors.ZohoError(
            errors.INVALID_RESPONSE,
            f"HTTP 200 but not a PNG, JPEG, GIF, BMP or WebP image ({claimed}, {len(content)} bytes)",
            status=200,
        )
    name = filename_from_disposition(disposition)
    filename = with_extension(name, ext) if name else f"{module}-{record_id}.{ext}"
    return Photo(module, record_id, content, content_type=CONTENT_TYPES[ext], filename=filename)
