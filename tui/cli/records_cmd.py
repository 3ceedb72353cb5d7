"""``senderdeck zone DOMAIN…`` prints the records as a BIND zone snippet;
``senderdeck dkim export DOMAIN… --dir DIR`` writes the DKIM private keys for the MTA;
``senderdeck dkim export --all --dir DIR`` keeps DIR holding every Enabled domain's key and
one PowerMTA include file (exit status like diff's: 0 nothing changed, 1 something did).

DOMAIN is a DomainID or a name (Unicode or ASCII)."""

from __future__ import annotations

from pathlib import Path

from core.keyfiles import write_private
from core.records import zone_snippet
from tui.cli import dkim_all
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
        help="write DKIM private keys to DIR (mode 0600) for PowerMTA",
        description="Write the DKIM private keys of the given domains to DIR (mode 0600) and print their "
        "PowerMTA domain-key lines; or, with --all, keep DIR holding every tenant's Enabled domains' keys and "
        f"one include file of their domain-key lines ({dkim_all.INCLUDE_NAME}). With --all the exit status is "
        "like diff's: 0 nothing changed, 1 something changed (reload PowerMTA), 2 an error.",
    )
    export.add_argument("domains", metavar="DOMAIN", nargs="*", help="DomainID or name (of the acting user)")
    export.add_argument("--all", action="store_true", help="every tenant's Enabled domains; removes the keys of domains no longer Enabled")
    export.add_argument("--dir", required=True, type=Path, help="directory for the PEM files (created 0700 if missing)")
    export.add_argument("--force", action="store_true", help="overwrite existing key files (without --all)")
    export.set_defaults(handler=export_dkim, parser=export)


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
    if args.all:
        if args.domains:
            args.parser.error("give DOMAIN… or --all, not both")
        return dkim_all.run(args)
    if not args.domains:
        args.parser.error("give one or more DOMAINs, or --all")
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
