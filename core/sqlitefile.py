"""The embedded database's file: made private when created, and looked at (read-only) before
senderdeck writes anything to it.

The file holds every domain's DKIM private key, so a new one is created 0600 in a data
directory created 0700 (SQLite gives its -wal and -shm files the database file's mode). A
file that is not a SQLite database, one that another program's tables already fill, one
senderdeck may not write, or a path that cannot be a file is refused with one line naming
it, and left exactly as it was.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from core.errors import SettingsError

SCHEMA_TABLE = "schema_version"  # core.models.SchemaVersion's table: its presence marks senderdeck's database


def prepare(path: Path) -> None:
    """Make ``path`` ready to open: its directory and an empty private file when missing;
    an existing file is checked without being changed."""
    parent = path.parent
    if not parent.is_dir():
        blocking = _first_file(parent)
        if blocking is not None:
            raise SettingsError(f"database {path}: {blocking} is a file, not a directory")
        try:
            parent.mkdir(mode=0o700, parents=True)
        except OSError as exc:
            raise SettingsError(f"database {path}: cannot create the directory {parent}: {exc.strerror}") from None
    if path.exists() or path.is_symlink():
        check_existing(path)
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        check_existing(path)  # another process created it meanwhile
    except OSError as exc:
        raise SettingsError(f"database {path}: cannot create it: {exc.strerror}") from None


def _first_file(directory: Path) -> Path | None:
    """The first component of ``directory`` that exists and is not a directory, if any."""
    for candidate in [*reversed(directory.parents), directory]:
        if candidate.exists() and not candidate.is_dir():
            return candidate
    return None


def check_existing(path: Path) -> None:
    """Refuse a file senderdeck cannot use, before anything writes to it."""
    if not path.is_file():
        raise SettingsError(f"database {path}: not a regular file")
    if not os.access(path, os.R_OK):
        raise SettingsError(f"database {path}: cannot be read (permission denied)")
    # The mode bits count even for root, who could write anyway: a file chmod'ed 0444 was
    # meant to be left alone.
    writable = os.access(path, os.W_OK) and path.stat().st_mode & 0o222
    if not writable or not os.access(path.parent, os.W_OK | os.X_OK):
        raise SettingsError(
            f"database {path}: read-only (senderdeck writes to its database and to files next to it; "
            "check the permissions of the file and its directory)"
        )
    if path.stat().st_size == 0:
        return  # an empty file is an empty database: senderdeck's to fill
    tables = _tables_read_only(path)
    if tables and SCHEMA_TABLE not in tables:
        shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
        raise SettingsError(
            f"database {path}: holds tables that are not senderdeck's ({shown}); "
            "refusing to add senderdeck's tables to another program's database — use an empty or new file"
        )


def _tables_read_only(path: Path) -> list[str]:
    try:
        conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise SettingsError(f"database {path}: cannot open it: {exc}") from None
    try:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").fetchall()
    except sqlite3.DatabaseError as exc:
        raise SettingsError(f"database {path}: not a SQLite database, or a damaged one ({exc})") from None
    finally:
        conn.close()
    return sorted(str(row[0]) for row in rows)
