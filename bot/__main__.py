"""`python -m bot [serve]` serves the Slack bot; `python -m bot demo` runs it offline against a sample CRM and a
Slack stand-in in a browser; `python -m bot doctor` checks a deployment; `python -m bot photo Module ID` fetches
one photo, as the admin command line; `python -m bot manifest` prints the Slack app manifest and `python -m bot
setup` walks an admin from nothing to working settings."""

from __future__ import annotations

import argparse
import os
import sys

PROG = "python -m bot"
DEMO_PORT = 3000

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

SETUP_SETTINGS = """asks for each answer no flag gave (secrets without echo); with no terminal, a missing answer is an
error. ZOHO_ACCOUNTS_URL in the environment points the grant code exchange at another accounts server.
exit status: 0 saved, 1 nothing saved (Zoho refused, a check failed) or the doctor (--doctor) found a problem,
2 bad usage or missing answers"""


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser: one subcommand per mode, `serve` when none is given."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="crmphoto: posts a Zoho CRM record's photo in Slack. With no mode, serves the bot.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"serve {SERVE_SETTINGS}\n\ndemo needs no settings: a sample CRM and a Slack stand-in on 127.0.0.1, "
               f"port --port, else $PORT, else {DEMO_PORT}"
               f"\n\ndoctor {DOCTOR_SETTINGS}\n\nphoto {PHOTO_SETTINGS}",
    )
    modes = parser.add_subparsers(dest="mode", title="modes", metavar="{serve,demo,doctor,photo,manifest,setup}")
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
    demo.add_argument("--port", type=int, default=None,
                      help=f"port on 127.0.0.1 (default: $PORT, else {DEMO_PORT})")
    add_manifest(modes)
    add_setup(modes)
    return parser


def data_centre(text: str) -> object:
    """`--dc`: a data centre key (eu) or Zoho CRM's address in the browser; bad usage names the keys."""
    from bot import datacentres

    found = datacentres.find(text)
    if found is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a Zoho data centre: use one of "
                                         f"{', '.join(datacentres.BY_KEY)}, or Zoho CRM's address")
    return found


def add_manifest(modes: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    manifest = modes.add_parser(
        "manifest", help="print the Slack app manifest for your address and Zoho data centre (or a create link)",
        description="Print the Slack app manifest (YAML) for this deployment: every request URL is URL/slack/events "
                    "and record links of your Zoho data centre unfurl.",
    )
    where = manifest.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="the bot's public https address, e.g. https://APP.herokuapp.com")
    where.add_argument("--socket-mode", action="store_true", help="Socket Mode: no public address, no request URLs")
    manifest.add_argument("--dc", type=data_centre, default=None, metavar="DC",
                          help="Zoho data centre (us, eu, in, au, jp, cn, ca, sa, uk, or Zoho CRM's address; "
                               "default us): its CRM record links unfurl")
    manifest.add_argument("--require-crm-user", action="store_true",
                          help="add users:read.email (for REQUIRE_CRM_USER)")
    shape = manifest.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="print JSON instead of YAML")
    shape.add_argument("--link", action="store_true",
                       help="print Slack's create-app link with this manifest filled in (one click)")


def add_setup(modes: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    setup = modes.add_parser(
        "setup", help="guided set-up: the Slack app, the Zoho self client, then a .env file or Heroku config vars",
        description="Guided set-up in the terminal: the Slack app from a one-click link, the Zoho self client and\n"
                    "its grant code (exchanged and tried here), then the settings saved to an env file (mode 600)\n"
                    "or set on a Heroku app. Every question has a flag, so it can run unattended.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=SETUP_SETTINGS,
    )
    where = setup.add_mutually_exclusive_group()
    where.add_argument("--url", help="the bot's public https address, e.g. https://APP.herokuapp.com")
    where.add_argument("--socket-mode", action="store_true", help="Socket Mode: no public address")
    setup.add_argument("--dc", type=data_centre, metavar="DC",
                       help="Zoho data centre: us, eu, in, au, jp, cn, ca, sa, uk, or Zoho CRM's address (default us)")
    setup.add_argument("--client-id", metavar="ID", help="the Zoho self client's Client ID")
    setup.add_argument("--client-secret", metavar="SECRET",
                       help="its Client Secret (prefer the prompt: flags stay in shell history)")
    setup.add_argument("--grant-code", metavar="CODE",
                       help="a grant code from its Generate Code tab (works once, for minutes)")
    setup.add_argument("--slack-bot-token", metavar="TOKEN", help="the Slack app's Bot User OAuth Token (xoxb-…)")
    setup.add_argument("--slack-signing-secret", metavar="SECRET", help="the Slack app's Signing Secret (HTTP mode)")
    setup.add_argument("--slack-app-token", metavar="TOKEN",
                       help="an app-level token with connections:write (xapp-…, Socket Mode)")
    setup.add_argument("--require-crm-user", action="store_true",
                       help="only people who are active Zoho CRM users may ask (adds the scopes it needs)")
    target = setup.add_mutually_exclusive_group()
    target.add_argument("--env-file", default=".env", metavar="PATH", help="the env file to save to (default .env)")
    target.add_argument("--heroku-app", metavar="APP", help="set the settings as this Heroku app's config vars "
                                                            "with the Heroku CLI instead")
    setup.add_argument("--doctor", action="store_true", help="run python -m bot doctor at the end without asking")


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
        if known.mode == "manifest":
            from bot import datacentres, manifest

            return manifest.run(None if known.socket_mode else known.url, known.dc or datacentres.DEFAULT,
                                require_crm_user=known.require_crm_user, as_json=known.json, link=known.link,
                                out=sys.stdout, err=sys.stderr)
        if known.mode == "setup":
            from bot import setup

            return setup.run(setup.Options(**{k: v for k, v in vars(known).items() if k != "mode"}))
        if known.mode == "demo":
            from bot.demo.server import run as run_demo

            return run_demo(demo_port(parser, known.port))
    except SystemExit as exc:  # argparse exits on --help and on bad usage; callers get the status instead
        return exc.code if isinstance(exc.code, int) else 2
    from bot.workers import serve

    return serve()


def dyno_count(typed: str) -> int:
    """`--dynos N`: a whole number from 1 to 1000; anything else is bad usage (exit 2)."""
    if not typed.isdigit() or not 1 <= int(typed) <= 1000:
        raise argparse.ArgumentTypeError(f"{typed!r} is not a number of dynos (1 to 1000)")
    return int(typed)


def demo_port(parser: argparse.ArgumentParser, flag: int | None) -> int:
    """`--port`, else $PORT (as `serve` reads it, so a platform that sets PORT runs the demo there), else 3000."""
    if flag is not None:
        if not 0 < flag < 65536:
            parser.error(f"--port must be from 1 to 65535 (got {flag})")
        return flag
    value = os.environ.get("PORT", "").strip()
    if not value:
        return DEMO_PORT
    if not (value.isascii() and value.isdigit() and 0 < int(value) < 65536):
        parser.error(f"PORT must be a port from 1 to 65535 (got {value!r}); or give one with --port")
    return int(value)


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
