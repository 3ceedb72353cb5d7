"""The one door from the headless command line into the terminal UI.

Everything else under ``tui.cli`` runs without Textual (cron jobs start fast and work on a
host without a terminal); the import-linter contract in pyproject.toml lists this module's
import of ``tui.app`` as the only exception.
"""

from __future__ import annotations


def run_tui(ctx, user, *, watch: bool = False) -> int:
    """Open the terminal UI on ``ctx`` as ``user`` and run it until it quits."""
    from tui.app import run_app  # Textual loads here, only when the UI is wanted

    return run_app(ctx, user, watch=watch)
