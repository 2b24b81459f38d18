"""`python -m bot` serves the Slack bot; `python -m bot photo Module ID` is the admin command line."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "photo":
        from bot.cli import photo_command

        return photo_command(args[1:])
    if args and args[0] in ("-h", "--help", "help"):
        print(__doc__)
        print("Configuration: see README.md.")
        return 0
    from bot.slack.server import serve

    return serve()


if __name__ == "__main__":
    sys.exit(main())
