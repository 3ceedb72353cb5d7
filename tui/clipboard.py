"""Whether copying through the terminal (OSC 52) may not reach the clipboard.

Textual copies by asking the terminal (the OSC 52 escape sequence). tmux passes the request
on only when its ``set-clipboard`` option is on or external (it is off in many setups),
GNU screen does not pass it on, and the Linux console has no clipboard. When one of those is
in the way, the app says so and shows the text to select by hand instead.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping

TMUX_TIMEOUT = 1.0


def _tmux_option(run: Callable[..., subprocess.CompletedProcess]) -> str | None:
    try:
        done = run(
            ["tmux", "show-options", "-gv", "set-clipboard"],
            capture_output=True, text=True, timeout=TMUX_TIMEOUT, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip().lower() if done.returncode == 0 else None


def clipboard_blocked(
    env: Mapping[str, str] | None = None,
    run: Callable[..., subprocess.CompletedProcess] = subprocess.run,
) -> str | None:
    """Why a copy may not reach the clipboard (a sentence), or None when nothing is known to
    stand in the way."""
    env = os.environ if env is None else env
    if env.get("TMUX"):
        option = _tmux_option(run)
        if option == "off":
            return "tmux has set-clipboard off, so the copy may not reach your clipboard"
        if option is None:
            return "tmux may not pass the copy on (its set-clipboard option could not be read)"
        return None
    if env.get("STY"):
        return "GNU screen does not pass copies on to your terminal's clipboard"
    if env.get("TERM") == "linux":
        return "the Linux console has no clipboard"
    return None
