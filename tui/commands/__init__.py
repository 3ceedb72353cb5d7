"""Headless subcommands; each module has ``register(subparsers)`` and sets ``handler``."""

from tui.commands import api_cmd, config_cmd, demo_cmd, import_cmd, records_cmd, user_cmd

SUBCOMMANDS = [api_cmd, user_cmd, config_cmd, import_cmd, demo_cmd, records_cmd]
