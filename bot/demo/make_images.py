"""Draw the demo CRM's sample photos: small PNG portraits written with zlib and struct, no Pillow.

`python -m bot.demo.make_images` rewrites bot/demo/images/*.png. They are generated, never downloaded, so
the demo carries no third-party pictures and the files stay a few hundred bytes each.
"""

from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

SIZE = 96
IMAGES = Path(__file__).with_name("images")

# file stem -> (background, shirt, skin): one portrait per sample record that has a photo.
PORTRAITS: dict[str, tuple[tuple[int, int, int], tuple[int, int, int], tuple[int, int, int]]] = {
    "ada": ((0x4A, 0x15, 0x4B), (0x36, 0xC5, 0xF0), (0xF1, 0xC2, 0x7D)),
    "grace": ((0x2E, 0xB6, 0x7D), (0x1D, 0x1C, 0x1D), (0xC6, 0x86, 0x42)),
    "jane1": ((0xEC, 0xB2, 0x2E), (0xE0, 0x1E, 0x5A), (0xE0, 0xAC, 0x69)),
    "jane2": ((0x36, 0xC5, 0xF0), (0x4A, 0x15, 0x4B), (0x8D, 0x55, 0x24)),
    "jane3": ((0xE0, 0x1E, 0x5A), (0xEC, 0xB2, 0x2E), (0xFF, 0xDB, 0xAC)),
    "linus": ((0x12, 0x64, 0xA3), (0xF4, 0xF4, 0xF4), (0xF1, 0xC2, 0x7D)),
    "acme": ((0x1D, 0x1C, 0x1D), (0xEC, 0xB2, 0x2E), (0xEC, 0xB2, 0x2E)),
    "sam": ((0xF4, 0xF4, 0xF4), (0x2E, 0xB6, 0x7D), (0x8D, 0x55, 0x24)),
}


def portrait(background: tuple[int, int, int], shirt: tuple[int, int, int],
             skin: tuple[int, int, int]) -> list[bytes]:
    """Rows of RGB pixels: a head and shoulders on a plain background."""
    rows = []
    for y in range(SIZE):
        row = bytearray()
        for x in range(SIZE):
            head = (x - 48) ** 2 + (y - 38) ** 2 <= 18**2
            shoulders = y >= 64 and (x - 48) ** 2 + (y - 100) ** 2 <= 38**2
            row += bytes(skin if head else shirt if shoulders else background)
        rows.append(bytes(row))
    return rows


def png(rows: list[bytes]) -> bytes:
    """A truecolour 8-bit PNG (PNG spec: signature, IHDR, one IDAT of filter-0 scanlines, IEND)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    width, height = len(rows[0]) // 3, len(rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def write_all(folder: Path = IMAGES) -> list[Path]:
    """Write every portrait into `folder`; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, colours in PORTRAITS.items():
        path = folder / f"{stem}.png"
        path.write_bytes(png(portrait(*colours)))
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_all(Path(sys.argv[1]) if len(sys.argv) > 1 else IMAGES):
        print(path)
