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


# The global options: given before the command, or after it (``senderdeck domains --database
# URL``), as people type them. A subcommand's own option of the same name wins there
# (``domains --user`` narrows to one tenant; ``demo --database`` names the database to seed).
GLOBAL_OPTIONS: list[tuple[tuple[str, ...], dict]] = [
    (("--database",), dict(metavar="URL", help="sqlite:///path.db or postgresql://user:pass@host/db")),
    (("--config",), dict(metavar="FILE", help="TOML config file (default: $XDG_CONFIG_HOME/senderdeck/config.toml)")),
    (
        ("--nameserver",),
        dict(metavar="HOST[:PORT]", action="append", dest="nameservers", help="resolver to query (repeatable; default: the system's)"),
    ),
    (("--cache-url",), dict(metavar="URL", help="redis://host:port/db for cache and rate limits")),
    (("--api-key",), dict(metavar="KEY", help="act as this key's user (or SENDERDECK_API_KEY)")),
    (
        ("--user",),
        dict(
            metavar="NAME",
            help="act as this user (or SENDERDECK_USER); the terminal UI then shows only this tenant's domains "
            "(default with several users: every tenant's)",
        ),
    ),
    (("--demo",), dict(action="store_true", default=None, help="demo mode: no outbound mail")),
    (("--debug",), dict(action="store_true", help="on an unexpected error, print its traceback too (it always goes to the log)")),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="senderdeck",
        description="Keep a mail platform's sender domains healthy. Without a command, opens the terminal UI.",
    )
    for flags, options in GLOBAL_OPTIONS:
        parser.add_argument(*flags, **options)
    parser.add_argument(
        "--watch",
        action="store_true",
        help="open the list with watch mode on: pending domains re-verified every 1 to 15 min (terminal UI only)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.register(sub)
    for command in subcommand_parsers(parser):
        accept_global_options(command)
    return parser


def subcommand_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every parser under ``parser`` (commands, and their actions: ``user add``, ``dkim export``)."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):  # aliases share a parser
                found += [child, *subcommand_parsers(child)]
    return found


def accept_global_options(command: argparse.ArgumentParser) -> None:
    """The global options, after the command too. SUPPRESS: one not given there leaves what was
    given before the command (or its default) as it is."""
    taken = command._option_string_actions
    group = None
    for flags, options in GLOBAL_OPTIONS:
        if any(flag in taken for flag in flags):
            continue
        group = group or command.add_argument_group("global options (also accepted before the command)")
        group.add_argument(*flags, **{**options, "default": argparse.SUPPRESS})


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command == "api" and not any(word.startswith("-") for word in extra):
        # `api COMMAND --user bob Key=Value`: argparse hands back the parameters after an
        # option; they are the command's all the same.
        args.params = [*args.params, *extra]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
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
