"""What the terminal UI remembers across restarts: the theme and the list's sort.

A small JSON file in the XDG state directory (``$XDG_STATE_HOME/senderdeck/tui.json``), not
the config file: it is the app's memory of how it was left, written as the user changes
things, never something to edit. A missing, unreadable or malformed file means the defaults;
a file that cannot be written is left as it was (the UI works the same, it only forgets).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from core.settings import xdg_dir


def default_path() -> Path:
    return xdg_dir("state") / "tui.json"


@dataclass
class UiState:
    theme: str | None = None
    sort_key: str | None = None
    sort_reverse: bool = False

    @classmethod
    def load(cls, path: Path | None) -> "UiState":
        if path is None:
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        theme, key, reverse = data.get("theme"), data.get("sort_key"), data.get("sort_reverse")
        return cls(
            theme if isinstance(theme, str) else None,
            key if isinstance(key, str) else None,
            reverse if isinstance(reverse, bool) else False,
        )

    def save(self, path: Path | None) -> bool:
        """Write the state (atomically: a crash leaves the old file or the new one). False
        when it could not be written."""
        if path is None:
            return False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tui-", suffix=".json", dir=path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(asdict(self), handle)
            os.replace(tmp, path)
        except OSError:
            return False
        return True
