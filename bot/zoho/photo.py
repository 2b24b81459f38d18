"""The photo itself: what a record's photo is, its file name, and the one URL it may come from."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from bot.zoho import errors
from bot.zoho.modules import API_NAME

MAX_PHOTO_BYTES = 15 * 1024 * 1024
RECORD_ID = re.compile(r"[0-9]{1,30}")
VERSION = re.compile(r"v[0-9]+(\.[0-9]+)?")

EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/jpg": "jpg",
    "image/pjpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/bmp": "bmp",
    "image/x-ms-bmp": "bmp",
    "image/webp": "webp",
    "image/tiff": "tiff",
}
MAGIC = ((b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpg"), (b"GIF8", "gif"), (b"BM", "bmp"))


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
    """Digits only; a `zcrm_` prefix from some exports is dropped."""
    value = typed.strip()
    if value.lower().startswith("zcrm_"):
        value = value[5:]
    if not RECORD_ID.fullmatch(value):
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
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().strip(".")
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


def extension_for(content_type: str, content: bytes) -> str:
    base = content_type.split(";", 1)[0].strip().lower()
    if base in EXTENSIONS:
        return EXTENSIONS[base]
    for magic, ext in MAGIC:
        if content.startswith(magic):
            return ext
    return "jpg"


def build_photo(
    module: str, record_id: str, content: bytes, content_type: str | None, disposition: str | None
) -> Photo:
    """A Photo with a usable name: Zoho's own, or `Module-id.ext` with the extension from the type."""
    ctype = (content_type or "").split(";", 1)[0].strip().lower()
    ext = extension_for(ctype, content)
    if not ctype.startswith("image/"):
        ctype = {"jpg": "image/jpeg"}.get(ext, f"image/{ext}")
    filename = filename_from_disposition(disposition) or f"{module}-{record_id}.{ext}"
    return Photo(module=module, record_id=record_id, content=content, content_type=ctype, filename=filename)
