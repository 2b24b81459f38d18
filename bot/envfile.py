"""Setting values in an env file (`.env`) the way `python -m bot setup` must: every other line kept as it was,
the new file in place at once (never half written), readable by its owner only (mode 600: it holds secrets).

python-dotenv's `set_key` sets one value per rewrite and leaves the mode to the umask, so this writes all of
them in one atomic replace; lines are read with python-dotenv's own parser, so what the bot reads back with
`dotenv_values` is exactly what was set.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

from dotenv import dotenv_values
from dotenv.parser import parse_stream

MODE = 0o600
BARE = re.compile(r"[A-Za-z0-9_./:@+=,-]*", re.ASCII)  # safe unquoted for dotenv and for a shell's `source`
EXPORT = re.compile(r"export\s")
LEAD = re.compile(r"\s*")


def read(path: Path) -> dict[str, str]:
    """The values the file sets (empty when it does not exist); OSError or UnicodeError when it cannot be read."""
    if not path.exists():
        return {}
    return {key: value for key, value in dotenv_values(path).items() if value is not None}


def assignment(name: str, value: str) -> str:
    """`NAME=value`, single-quoted (with dotenv's two escapes) unless the value is plainly safe bare."""
    if BARE.fullmatch(value):
        return f"{name}={value}\n"
    return f"{name}='" + value.replace("\\", "\\\\").replace("'", "\\'") + "'\n"


def updated(text: str, values: Mapping[str, str]) -> str:
    """`text` with each of `values` set: a name's first line rewritten where it stands (keeping `export`), its
    later lines dropped, new names added at the end; comments, blank lines and other names untouched."""
    out: list[str] = []
    done: set[str] = set()
    for binding in parse_stream(io.StringIO(text)):
        original = binding.original.string
        if binding.key not in values:
            out.append(original)
            continue
        if binding.key not in done:  # the parser counts the blank lines before a name as its own: keep them
            lead = LEAD.match(original).group()  # type: ignore[union-attr]
            prefix = "export " if EXPORT.match(original, len(lead)) else ""
            out.append(lead + prefix + assignment(binding.key, values[binding.key]))
            done.add(binding.key)
    if out and not out[-1].endswith("\n"):
        out[-1] += "\n"
    out += [assignment(name, value) for name, value in values.items() if name not in done]
    return "".join(out)


def write(path: Path, values: Mapping[str, str]) -> Path:
    """Set `values` in the file at `path` (created if missing) in one atomic replace, mode 600; the file written
    (a symlink's target)."""
    target = path.resolve()
    text = target.read_text(encoding="utf-8") if target.exists() else ""
    content = updated(text, values)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), MODE)
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return target


def writable(path: Path) -> bool:
    """Whether `write` can replace the file: it is a file or missing, and its folder exists and takes new files
    (the file itself is replaced, not written into, so its own permission does not matter)."""
    target = path.resolve()
    folder = target.parent
    return (target.is_file() or not target.exists()) and folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)
