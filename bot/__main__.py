"""`python -m bot [serve]` serves the Slack bot; `python -m bot demo` runs it offline against a sample CRM and a
Slack stand-in in a browser; `python -m bot doctor` checks a deployment; `python -m bot photo Module ID` fetches
one photo, as the admin command line."""

from __future__ import annotations

import argparse
import sys

PROG = "python -m bot"

SERVE_SETTINGS = """settings (environment variables or a .env file in the working directory):
  SLACK_BOT_TOKEN        the Bot User OAuth Token (xoxb-…)
  SLACK_SIGNING_SECRET   the app's Signing Secret (HTTP mode), or
  SLACK_APP_TOKEN        an app-level token (xapp-…, connections:write): Socket Mode, no public URL
  ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN   the Zoho self client
optional: PORT, ZOHO_DC, ALLOWED_*, USER_RATE_LIMIT, DAILY_ZOHO_BUDGET, SHUTDOWN_GRACE (see docs/configuration.md)
Stops cleanly on SIGTERM or Ctrl-C (exit 0); exit 2 when the settings or the Slack app token are refused."""

PHOTO_SETTINGS = """settings: ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN
(optional: ZOHO_DC; see docs/configuration.md)
arguments: `python -m bot photo --help`"""

DOCTOR_SETTINGS = """settings: the same as serve (the doctor checks them, then Slack, Redis if REDIS_URL is set, Zoho)
exit status: 0 every check passed, 1 a check failed (missing or malformed settings included), 2 bad usage
Zoho token requests made by the doctor count toward Zoho's 10 new tokens per 10 minutes."""


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser: one subcommand per mode, `serve` when none is given."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="crmphoto: posts a Zoho CRM record's photo in Slack. With no mode, serves the bot.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"serve {SERVE_SETTINGS}\n\ndemo needs no settings: a sample CRM and a Slack stand-in on 127.0.0.1"
               f"\n\ndoctor {DOCTOR_SETTINGS}\n\nphoto {PHOTO_SETTINGS}",
    )
    modes = parser.add_subparsers(dest="mode", title="modes", metavar="{serve,demo,doctor,photo}")
    modes.add_parser(
        "serve", help="serve the Slack bot (the default): HTTP on $PORT, or Socket Mode",
        description="Serve the Slack bot: HTTP on $PORT, or Socket Mode when SLACK_APP_TOKEN is set.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=SERVE_SETTINGS,
    )
    # Its own parser lives in bot.cli; every argument after `photo` is handed over untouched.
    modes.add_parser("photo", help="fetch one record's photo from Zoho CRM into a file", add_help=False)
    doctor = modes.add_parser(
        "doctor", help="check the settings, Slack and Zoho of this deployment, each with the fix",
        description="Check a deployment: settings, the Slack bot token and scopes, Redis (when REDIS_URL is set), "
                    "the Zoho token, data centre and scopes, the module list, and optionally one record's photo "
                    "(nothing is uploaded).",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=DOCTOR_SETTINGS,
    )
    doctor.add_argument("--record", nargs=2, metavar=("MODULE", "ID"), action=RecordArgument,
                        help="also fetch this record's photo, e.g. --record Contacts 4876876000000624001")
    doctor.add_argument("--find-dc", nargs="?", metavar="DCS", action=FindDcArgument,
                        help="when the data centre refuses the Zoho client, ask others which one knows it (client "
                             "id and secret with a dummy refresh token): alone every one but cn; or keys such as "
                             "eu,in; or all")
    doctor.add_argument("--dynos", type=dyno_count, metavar="N",
                        help="how many dynos run the bot, for the Redis connection count (default 1)")
    demo = modes.add_parser(
        "demo", help="try the bot in a browser: a sample CRM and a Slack stand-in, no settings or network",
        description="Serve the real bot on 127.0.0.1 with a built-in sample Zoho CRM and a Slack stand-in page. "
                    "Reads no settings; never used by `serve`.",
    )
    demo.add_argument("--port", type=int, default=3000, help="port on 127.0.0.1 (default 3000)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the mode and run it; returns the exit status (2 for bad usage, as argparse does)."""
    args = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    try:
        if args == ["help"]:
            parser.print_help()
            return 0
        known, rest = parser.parse_known_args(args)
        if known.mode == "photo":
            at = args.index("photo")
            if at:  # options before the mode belong to nobody
                parser.error(f"unrecognized arguments: {' '.join(args[:at])}")
            from bot.cli import photo_command

            return photo_command(args[at + 1:])
        if rest:
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
        if known.mode == "doctor":
            from bot.doctor import run

            return run(known.record, find_dc=known.find_dc, dynos=known.dynos)
        if known.mode == "demo":
            if not 0 < known.port < 65536:
                parser.error(f"--port must be from 1 to 65535 (got {known.port})")
            from bot.demo.server import run as run_demo

            return run_demo(known.port)
    except SystemExit as exc:  # argparse exits on --help and on bad usage; callers get the status instead
        return exc.code if isinstance(exc.code, int) else 2
    from bot.workers import serve

    return serve()


def dyno_count(typed: str) -> int:
    """`--dynos N`: a whole number from 1 to 1000; anything else is bad usage (exit 2)."""
    if not typed.isdigit() or not 1 <= int(typed) <= 1000:
        raise argparse.ArgumentTypeError(f"{typed!r} is not a number of dynos (1 to 1000)")
    return int(typed)


class RecordArgument(argparse.Action):
    """`--record MODULE ID`: an id that is not digits is bad usage (exit 2), refused before anything is called."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        from bot.zoho import ZohoError
        from bot.zoho.photo import clean_record_id

        module, typed = values  # type: ignore[misc]
        try:
            setattr(namespace, self.dest, (module, clean_record_id(typed)))
        except ZohoError:
            parser.error(f"{option_string}: {typed!r} is not a record id (digits, like 4876876000000624001)")


class FindDcArgument(argparse.Action):
    """`--find-dc [DCS]`: the data centre keys to ask; an unknown key is bad usage (exit 2) naming the valid ones."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        from bot import datacentres
        from bot.doctor import pick_data_centres

        try:
            keys = pick_data_centres(values if isinstance(values, str) else None,
                                     [dc.key for dc in datacentres.DATA_CENTRES])
        except ValueError as exc:
            parser.error(str(exc))
        setattr(namespace, self.dest, keys)


if __name__ == "__main__":
    sys.exit(main())
