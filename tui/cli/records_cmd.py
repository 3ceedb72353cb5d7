"""``senderdeck zone DOMAIN…`` prints the records as a BIND zone snippet;
``senderdeck dkim export DOMAIN… --dir DIR`` writes the DKIM private keys for the MTA.

DOMAIN is a DomainID or a name (Unicode or ASCII)."""

from __future__ import annotations

import os
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
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    targets = [(key, directory / f"{key.domain}.{key.selector}.pem") for key in keys]
    existing = [str(path) for _, path in targets if path.exists()]
    if existing and not args.force:
        return fail(f"not overwriting {', '.join(existing)} (use --force)")
    for key, path in targets:
        # Created 0600 from the start: the key is never readable by others, even briefly.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key.private_pem)
        os.chmod(path, 0o600)
        print(key.pmta_line(str(path.resolve())))
    return 0
