"""``senderdeck config``: the settings in force and where each layer came from."""

from __future__ import annotations

from typing import Any

from core.redaction import redact_urls
from tui.cli.common import dump_json, settings_from_args


def register(sub) -> None:
    parser = sub.add_parser("config", help="print the settings in force (secrets hidden)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    settings = settings_from_args(args)
    print(dump_json(_without_secrets(settings.redacted())))
    return 0


def _without_secrets(value: Any) -> Any:
    """Every URL anywhere in the settings with its password masked (database, cache_url, …)."""
    if isinstance(value, dict):
        return {k: _without_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return redact_urls(value) if isinstance(value, str) else value
