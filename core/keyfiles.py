"""DKIM private keys on disk for PowerMTA: ``write_private`` (one key, safely) and
``sync_key_dir`` (every Enabled domain's key and one include file, kept in step).

Keys are written 0600 from the moment they exist, all or nothing (a temporary file in the
same directory, synced, renamed into place), and never through a symbolic link: a link
planted where a key goes is refused, never followed.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from core.errors import SettingsError
from core.records import DkimExport

INCLUDE_NAME = "domain-keys.conf"
INCLUDE_HEADER = "# PowerMTA domain-key lines for every Enabled sender domain; written by `senderdeck dkim export --all`, do not edit.\n"
_PMTA_UNSAFE = re.compile(r"[\s,#\"']")  # would split a domain-key line or start a comment


def write_private(path: Path, text: str, mode: int = 0o600, *, sync_dir: bool = True) -> None:
    """Write ``text`` to ``path`` readable by the owner only (or ``mode``), all or nothing: a
    new file (private from its creation, never through a link) is written, synced and renamed
    over ``path``; renaming replaces whatever ``path`` was, and never follows it.
    ``sync_dir=False``: the caller syncs the directory once, after many files."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # O_EXCL, 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)
            handle.flush()
            if mode != 0o600:
                os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    if sync_dir:
        _sync_dir(path.parent)


def _sync_dir(path: Path) -> None:
    directory = os.open(path, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)


@dataclass
class SyncResult:
    written: list[Path] = field(default_factory=list)  # new keys
    updated: list[Path] = field(default_factory=list)  # keys whose content (or mode) changed
    removed: list[Path] = field(default_factory=list)  # keys of domains no longer Enabled
    include_changed: bool = False
    include_new: bool = False  # the include file did not exist before (changed too)
    kept: int = 0  # keys already as they should be
    duplicates: list[str] = field(default_factory=list)  # "domain (selector)" several tenants have Enabled

    @property
    def changed(self) -> bool:
        return bool(self.written or self.updated or self.removed or self.include_changed)


def key_file_name(key: DkimExport) -> str:
    return f"{key.domain}.{key.selector}.pem"


def sync_key_dir(directory: Path, keys: Iterable[DkimExport]) -> SyncResult:
    """Make ``directory`` hold exactly the keys given (0600) and one include file of their
    PowerMTA ``domain-key`` lines; files already right are not touched.

    Keys the previous include file listed and ``keys`` no longer holds are removed (only
    those: other files in the directory are never touched). The first key of a domain and
    selector wins (give them in the order that should win); the others are reported as
    duplicates. Raises SettingsError, before writing anything, for a directory or key path
    PowerMTA cannot read from an include line, or a symbolic link where a key or the include
    file goes.
    """
    directory = directory.expanduser()
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(f"--dir {directory}: {exc.strerror}") from None
    if not directory.is_dir():
        raise SettingsError(f"--dir {directory}: not a directory")
    base = directory.resolve()
    if _PMTA_UNSAFE.search(str(base)):
        raise SettingsError(f"--dir {base}: PowerMTA's domain-key lines cannot name a path with spaces, commas, quotes or '#'")
    result = SyncResult()
    wanted: dict[str, DkimExport] = {}
    for key in keys:
        name = key_file_name(key)
        if _PMTA_UNSAFE.search(name) or "/" in name or name.startswith("."):
            raise SettingsError(f"refusing a key file name PowerMTA cannot use: {name!r}")
        if name in wanted:
            result.duplicates.append(f"{key.domain} ({key.selector})")
            continue
        wanted[name] = key
    include = base / INCLUDE_NAME
    previous = _listed(include)
    links = [str(base / n) for n in [*wanted, INCLUDE_NAME] if (base / n).is_symlink()]
    if links:  # someone could point it at a file of theirs (or ours): never write through it
        raise SettingsError(f"refusing to write over the symbolic link {', '.join(links)}; remove it first")
    for name, key in sorted(wanted.items()):
        path = base / name
        state = _state(path, key.private_pem)
        if state == "same":
            result.kept += 1
            continue
        write_private(path, key.private_pem, sync_dir=False)
        (result.written if state == "missing" else result.updated).append(path)
    for name in sorted(previous - wanted.keys()):
        path = base / name
        if path.is_file() and not path.is_symlink():
            path.unlink()
            result.removed.append(path)
    if result.changed:
        _sync_dir(base)  # the keys' renames and removals survive a crash before the include file names them
    text = INCLUDE_HEADER + "".join(wanted[n].pmta_line(str(base / n)) + "\n" for n in sorted(wanted))
    before = _read(include)
    if before != text:
        write_private(include, text, mode=0o644)
        result.include_changed, result.include_new = True, before is None
    return result


def _state(path: Path, text: str) -> str:
    """"missing", "same" (content and mode 0600), or "differs"."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return "missing"
    if not stat.S_ISREG(info.st_mode) or stat.S_IMODE(info.st_mode) != 0o600:
        return "differs"
    return "same" if _read(path) == text else "differs"


def _read(path: Path) -> str | None:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read()
    except (FileNotFoundError, IsADirectoryError):
        return None


def _listed(include: Path) -> set[str]:
    """The key file names (in the include file's own directory) its domain-key lines name."""
    text = _read(include) if not include.is_symlink() else None
    names: set[str] = set()
    for line in (text or "").splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2 and parts[0] == "domain-key":
            fields = parts[1].split(",")
            if len(fields) == 3:
                path = Path(fields[2].strip())
                if path.parent == include.parent and path.name.endswith(".pem") and not path.name.startswith("."):
                    names.add(path.name)
    return names
