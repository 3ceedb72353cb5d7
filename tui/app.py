"""The Textual app (issue 6 builds the screens)."""

from __future__ import annotations


def run_app(ctx, user) -> int:
    raise SystemExit("senderdeck: the terminal UI is not built yet; use `senderdeck api …`")
