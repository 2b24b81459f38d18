"""The admin command line: `python -m bot photo Contacts 12345 -o out.jpg`.

It fetches one photo through the same Zoho client and the same words as the Slack bot, so an admin
can check the Zoho set-up without Slack. Exit status: 0 photo saved, 1 explained failure, 2 bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from bot import i18n, messages
from bot.config import ConfigError, load_zoho_settings
from bot.deliver import Delivery, DeliveryError, deliver_photo
from bot.escapes import escape
from bot.messages import Label
from bot.request import BadInput, HelpRequest, SearchRequest, parse_command
from bot.zoho import Photo, ZohoClient

PROG = "python -m bot photo"


class FileDestination:
    """Writes the photo to a file (or a directory, using Zoho's file name); never over an existing file
    unless `force`, so a typo in `-o` can't destroy something else."""

    def __init__(self, target: Path | None, force: bool = False) -> None:
        self.target = target
        self.force = force
        self.written: Path | None = None
        self.delivered: Delivery | None = None

    async def from_cache(self, module: str, record_id: str) -> Delivery | None:
        return None

    async def no_photo(self, module: str, record_id: str) -> None:
        return None

    async def send(self, photo: Photo, label: Label) -> Delivery:
        path = self.target or Path(photo.filename)
        if path.is_dir():
            path = path / photo.filename
        try:
            if self.force:
                _replace(path, photo.content)
            else:
                _create(path, photo.content)
        except FileExistsError:
            raise DeliveryError("FILE_EXISTS", f"{path} already exists") from None
        except OSError as exc:
            raise DeliveryError("SAVE_FAILED", f"cannot write {path}: {exc.strerror}") from None
        self.written = path
        self.delivered = Delivery(channel_id=str(path))
        return self.delivered


def _create(path: Path, content: bytes) -> None:
    """A new file only ('xb'); a half-written one is removed."""
    out = path.open("xb")
    try:
        with out:
            out.write(content)
    except OSError:
        path.unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _replace(path: Path, content: bytes) -> None:
    """Write beside `path`, then rename over it: the old file stays whole until the new one is complete."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        if path.exists():
            shutil.copymode(path, temp)  # the overwritten file keeps its permissions
        else:
            os.chmod(temp, 0o666 & ~_umask())  # as a plainly created file would be, not mkstemp's 0600
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def photo_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Fetch one record's photo from Zoho CRM, as the bot would."
    )
    parser.add_argument("module", help="module name, e.g. Contacts (or a Zoho CRM record link)")
    parser.add_argument("record_id", nargs="?", default="", help="the record id (digits)")
    parser.add_argument("-o", "--output", type=Path, help="file or folder to write (default: Zoho's file name)")
    parser.add_argument("-f", "--force", action="store_true", help="overwrite the output file if it exists")
    parser.add_argument("-v", "--verbose", action="store_true", help="log the Zoho calls")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    typed = f"{args.module} {args.record_id}".strip()
    parsed = parse_command(escape(typed))  # the parser reads text as Slack sends it: `&`, `<`, `>` escaped
    if isinstance(parsed, SearchRequest):  # the admin's check takes an id or a link; searching is Slack's job
        parsed = BadInput("bad_id", typed, typed.split()[-1])
    if isinstance(parsed, HelpRequest):
        parser.print_help()
        return 0
    if isinstance(parsed, BadInput):
        hint = messages.input_hint(parsed.problem, parsed.detail, command=PROG, more=f"{PROG} --help",
                                   locale=i18n.ADMIN)
        print(messages.cli_text(hint), file=sys.stderr)
        return 2
    try:
        settings = load_zoho_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2

    async def run() -> int:
        destination = FileDestination(args.output, force=args.force)
        async with ZohoClient(settings) as zoho:
            outcome = await deliver_photo(parsed, zoho, destination)
        if outcome.explanation is not None:
            print(messages.admin_text(outcome.explanation, outcome.detail), file=sys.stderr)
            return 1
        where = destination.written
        print(f"Saved the photo of {outcome.module} {outcome.record_id} to {where} ({outcome.size} bytes).")
        return 0

    return asyncio.run(run())
