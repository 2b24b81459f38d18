"""The admin command line: `python -m bot photo Contacts 12345 -o out.jpg`.

It fetches one photo through the same Zoho client and the same words as the Slack bot, so an admin
can check the Zoho set-up without Slack. Exit status: 0 photo saved, 1 explained failure, 2 bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from bot import messages
from bot.config import ConfigError, load_zoho_settings
from bot.deliver import Delivery, DeliveryError, deliver_photo
from bot.request import BadInput, HelpRequest, parse_command
from bot.zoho import Photo, ZohoClient

PROG = "python -m bot photo"


class FileDestination:
    """Writes the photo to a file (or a directory, using Zoho's file name)."""

    def __init__(self, target: Path | None) -> None:
        self.target = target
        self.written: Path | None = None

    async def send(self, photo: Photo) -> Delivery:
        path = self.target or Path(photo.filename)
        if path.is_dir():
            path = path / photo.filename
        try:
            path.write_bytes(photo.content)
        except OSError as exc:
            raise DeliveryError("SAVE_FAILED", f"cannot write {path}: {exc.strerror}") from None
        self.written = path
        return Delivery(channel_id=str(path))


def photo_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Fetch one record's photo from Zoho CRM, as the bot would."
    )
    parser.add_argument("module", help="module name, e.g. Contacts (or a Zoho CRM record link)")
    parser.add_argument("record_id", nargs="?", default="", help="the record id (digits)")
    parser.add_argument("-o", "--output", type=Path, help="file or folder to write (default: Zoho's file name)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log the Zoho calls")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    parsed = parse_command(f"{args.module} {args.record_id}".strip())
    if isinstance(parsed, HelpRequest):
        parser.print_help()
        return 0
    if isinstance(parsed, BadInput):
        hint = messages.input_hint(parsed.problem, parsed.detail, command=PROG, more=f"{PROG} --help")
        print(messages.cli_text(hint), file=sys.stderr)
        return 2
    try:
        settings = load_zoho_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2

    async def run() -> int:
        destination = FileDestination(args.output)
        async with ZohoClient(settings) as zoho:
            outcome = await deliver_photo(parsed, zoho, destination)
        if outcome.explanation is not None:
            print(messages.cli_text(outcome.explanation.text), file=sys.stderr)
            print(f"(code {outcome.code}{'; ' + outcome.detail if outcome.detail else ''})", file=sys.stderr)
            return 1
        where = destination.written
        print(f"Saved the photo of {outcome.module} {outcome.record_id} to {where} ({outcome.size} bytes).")
        return 0

    return asyncio.run(run())
