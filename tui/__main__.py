"""The ``senderdeck`` command: global flags, then the TUI or a headless subcommand.

Headless subcommands (api, user, import, …) never import textual, so cron jobs start fast.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from tui.commands import SUBCOMMANDS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="senderdeck",
        description="Keep a mail platform's sender domains healthy. Without a command, opens the terminal UI.",
    )
    parser.add_argument("--database", metavar="URL", help="sqlite:///path.db or postgresql://user:pass@host/db")
    parser.add_argument("--config", metavar="FILE", help="TOML config file (default: $XDG_CONFIG_HOME/senderdeck/config.toml)")
    parser.add_argument(
        "--nameserver",
        metavar="HOST[:PORT]",
        action="append",
        dest="nameservers",
        help="resolver to query (repeatable; default: the system's)",
    )
    parser.add_argument("--cache-url", metavar="URL", help="redis://host:port/db for cache and rate limits")
    parser.add_argument("--api-key", metavar="KEY", help="act as this key's user (or SENDERDECK_API_KEY)")
    parser.add_argument("--user", metavar="NAME", help="act as this user (local administration; or SENDERDECK_USER)")
    parser.add_argument("--demo", action="store_true", default=None, help="demo mode: no outbound mail")
    parser.add_argument(
        "--watch",
        action="store_true",
        help="open the list with watch mode on: pending domains re-verified every 1 to 15 min (terminal UI only)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.watch and args.command not in (None, "demo"):
        parser.error("--watch applies to the terminal UI (no COMMAND, or demo), not to a command")
    from tui.commands.common import fail, handle_errors

    with handle_errors():
        if args.command is None:
            from tui.commands.common import open_context, resolve_user

            ctx = open_context(args)
            try:
                user = resolve_user(ctx, args, create_if_empty=True)
                from tui.app import run_app

                return run_app(ctx, user, watch=args.watch)
            finally:
                ctx.close()
        return args.handler(args)
    return fail("unreachable")


if __name__ == "__main__":
    sys.exit(main())
