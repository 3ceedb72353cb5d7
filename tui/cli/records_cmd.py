"""``senderdeck zone DOMAIN…`` prints the records as a BIND zone snippet;
``senderdeck dkim export DOMAIN… --dir DIR`` writes the DKIM private keys for the MTA.

DOMAIN is a DomainID or a name (Unicode or ASCII)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from core.records import zone_snippet
from tui.cli.common import fail, open_context, resolve_user


def register(sub) -> None:
    zone = sub.add_parser("zone", help="print a domain's DNS records as a BIND zone snippet")
    zone.add_argument("domains", metavar="DOMAIN", nargs="+", help="DomainID or name")
    zone.add_argument("--ttl", type=int, default=3600, help="TTL for the records (default 3600)")
    zone.set_defaults(handler=print_zone)

    dkim = sub.add_parser("dkim", help="DKIM signing keys")
    actions = dkim.add_subparsers(dest="dkim_command", metavar="ACTION", required=True)
    export = actions.add_parser(
        "export",
        help="write each domain's DKIM private key to DIR (mode 0600) and print PowerMTA domain-key lines",
    )
    export.add_argument("domains", metavar="DOMAIN", nargs="+", help="DomainID or name")
    export.add_argument("--dir", required=True, type=Path, help="directory for the PEM files (created 0700 if missing)")
    export.add_argument("--force", action="store_true", help="overwrite existing key files")
    export.set_defaults(handler=export_dkim)


def print_zone(args) -> int:
    if not 0 < args.ttl <= 2**31 - 1:
        return fail("--ttl must be between 1 and 2147483647")
    ctx = open_context(args)
    try:
        user = resolve_user(ctx, args)
        views = [ctx.service.dns_records(user, ctx.service.find_domain(user, ref).id) for ref in args.domains]
    finally:
        ctx.close()
    for view in views:
        records = {r.host: [r.type, r.value] for r in view.records()}
        print(f"; {view.display_name} ({view.status})")
        print(zone_snippet(records, ttl=args.ttl), end="")
    return 0


def export_dkim(args) -> int:
    ctx = open_context(args)
    try:
        user = resolve_user(ctx, args)
        keys = [ctx.service.dkim_key(user, ctx.service.find_domain(user, ref).id) for ref in args.domains]
    finally:
        ctx.close()
    directory: Path = args.dir.expanduser()
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        return fail(f"--dir {directory}: {exc.strerror}")
    if not directory.is_dir():
        return fail(f"--dir {directory}: not a directory")
    targets = [(key, directory / f"{key.domain}.{key.selector}.pem") for key in keys]
    links = [str(path) for _, path in targets if path.is_symlink()]
    if links:  # someone could point it at a file of theirs (or ours): never write through it
        return fail(f"refusing to write a key over the symbolic link {', '.join(links)}; remove it first")
    existing = [str(path) for _, path in targets if path.exists()]
    if existing and not args.force:
        return fail(f"not overwriting {', '.join(existing)} (use --force)")
    for key, path in targets:
        write_private(path, key.private_pem)
        print(key.pmta_line(str(path.resolve())))
    return 0


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by the owner only, all or nothing: a new file
    (0600 from its creation, never through a link) is written, synced and renamed over
    ``path``; renaming replaces whatever ``path`` was, and never follows it."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # O_EXCL, 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)
