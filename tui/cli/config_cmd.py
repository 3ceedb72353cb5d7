"""``senderdeck config``: the settings in force and where each layer came from."""

from __future__ import annotations

from core.db import redact_url
from tui.cli.common import dump_json, settings_from_args


def register(sub) -> None:
    parser = sub.add_parser("config", help="print the settings in force (secrets hidden)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    settings = settings_from_args(args)
    data = settings.redacted()
    data["database"] = redact_url(data["database"])
    print(dump_json(data))
    return 0
