"""The ``senderdeck`` command line: global flags, then a headless subcommand or the TUI.

This package exists so scripts and cron jobs never import the terminal UI: nothing here
imports textual or rich (an import-linter contract in pyproject.toml checks it), except
``tui.cli.launch``, the one door into the app when no subcommand is given. Each subcommand
module has ``register(subparsers)`` and sets ``handler``.
"""

from __future__ import annotations

import argparse
from typing import Sequence

from tui.cli import api_cmd, config_cmd, demo_cmd, domain_cmd, domains_cmd, import_cmd, records_cmd, serve_cmd, sweep_cmd, user_cmd
from tui.cli.common import fail, handle_errors, open_context, resolve_viewer
from tui.cli.launch import run_tui

SUBCOMMANDS = [api_cmd, user_cmd, config_cmd, import_cmd, demo_cmd, records_cmd, serve_cmd, sweep_cmd, domains_cmd, domain_cmd]


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
    parser.add_argument("--user", metavar="NAME", help="act as this user (or SENDERDECK_USER); the terminal UI then shows only this tenant's domains (default with several users: every tenant's)")
    parser.add_argument("--demo", action="store_true", default=None, help="demo mode: no outbound mail")
    parser.add_argument(
        "--debug", action="store_true", help="on an unexpected error, print its traceback too (it always goes to the log)"
    )
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
    with handle_errors(debug=args.debug):
        if args.command is None:
            ctx = open_context(args)
            try:
                return run_tui(ctx, resolve_viewer(ctx, args), watch=args.watch)
            finally:
                ctx.close()
        return args.handler(args)
    return fail("unreachable")
