"""Where the headless commands write what went wrong: ``$XDG_STATE_HOME/senderdeck/senderdeck.log``
(``~/.local/state/senderdeck/senderdeck.log`` by default; the directory 0700, the file 0600).

Warnings and errors of every ``senderdeck`` process go there, URLs' secrets masked; an
unexpected exception leaves its traceback there, and the command says so in one line.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from core.redaction import RedactingFormatter
from core.settings import xdg_dir

LOG_NAME = "senderdeck.log"
FORMAT = "%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s"


def log_path() -> Path:
    return xdg_dir("state") / LOG_NAME


class PrivateLogHandler(logging.FileHandler):
    """Appends to the log, creating its directory 0700 and the file 0600 on first use; a log
    that cannot be written is noted (``failed``), never a second traceback on stderr."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, encoding="utf-8", delay=True)
        self.failed: str | None = None

    def _open(self):
        path = Path(self.baseFilename)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return os.fdopen(fd, "a", encoding="utf-8")

    def handleError(self, record: logging.LogRecord) -> None:
        import sys

        error = sys.exc_info()[1]
        self.failed = f"{type(error).__name__}: {error}" if error else "unknown error"


_installed: PrivateLogHandler | None = None


def install() -> PrivateLogHandler:
    """Send warnings and errors of every logger to the log file (once per process)."""
    global _installed
    if _installed is not None:
        return _installed
    handler = _installed = PrivateLogHandler(log_path())
    handler.setFormatter(RedactingFormatter(FORMAT))
    handler.setLevel(logging.WARNING)
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > logging.WARNING or root.level == logging.NOTSET:
        root.setLevel(logging.WARNING)
    return handler
