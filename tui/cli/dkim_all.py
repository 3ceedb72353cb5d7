"""``senderdeck dkim export --all --dir DIR``: DIR holds every tenant's Enabled domains' DKIM
keys (0600) and one PowerMTA include file of their ``domain-key`` lines, kept in step
(core/keyfiles.py): unchanged files are not rewritten, keys of domains no longer Enabled are
removed, and what changed is printed. Exit status like diff's, so cron reloads PowerMTA only
when something changed: 0 nothing changed, 1 something changed, 2 an error.
"""

from __future__ import annotations

import sys

from core.dump import enabled_keys
from core.keyfiles import INCLUDE_NAME, sync_key_dir
from core.plaintext import escape_control
from tui.cli.common import open_context

__all__ = ["INCLUDE_NAME", "run"]

EXIT_UNCHANGED, EXIT_CHANGED = 0, 1
SHOWN_DUPLICATES = 10


def include_fate(result) -> str:
    if result.include_new:
        return "written"
    return "rewritten" if result.include_changed else "unchanged"


def run(args) -> int:
    ctx = open_context(args)
    try:
        result = sync_key_dir(args.dir, enabled_keys())
    finally:
        ctx.close()
    for path in result.written:
        print(f"+ {escape_control(str(path))}")
    for path in result.updated:
        print(f"~ {escape_control(str(path))}")
    for path in result.removed:
        print(f"- {escape_control(str(path))}")
    include = args.dir.expanduser().resolve() / INCLUDE_NAME
    if result.include_changed:
        print(f"{'+' if result.include_new else '~'} {escape_control(str(include))}")
    for duplicate in result.duplicates[:SHOWN_DUPLICATES]:
        print(
            f"senderdeck: warning: {escape_control(duplicate)} is Enabled for several users; "
            "PowerMTA gets the key of the user created first",
            file=sys.stderr,
        )
    if len(result.duplicates) > SHOWN_DUPLICATES:
        print(f"senderdeck: warning: … and {len(result.duplicates) - SHOWN_DUPLICATES:,} more names Enabled for several users", file=sys.stderr)
    total = result.kept + len(result.written) + len(result.updated)
    if not result.changed:
        print(f"{total:,} keys, nothing changed")
        return EXIT_UNCHANGED
    print(
        f"{total:,} keys: {len(result.written):,} new, {len(result.updated):,} updated, {len(result.removed):,} removed; "
        f"{INCLUDE_NAME} {include_fate(result)}"
    )
    return EXIT_CHANGED
