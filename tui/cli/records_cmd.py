"""``senderdeck zone DOMAIN…`` prints the records as a BIND zone snippet;
``senderdeck dkim export DOMAIN… --dir DIR`` writes the DKIM private keys for the MTA;
``senderdeck dkim export --all --dir DIR`` keeps DIR holding every Enabled domain's key and
one PowerMTA include file (exit status like diff's: 0 nothing changed, 1 something did).

DOMAIN is a DomainID or a name (Unicode or ASCII). The zone snippet names each record
relative to the zone it goes into — ``$ORIGIN`` is that zone's apex, the SOA owner, found in
DNS through the configured resolvers (``--origin ZONE`` says it instead): for
``shop.fabrikam.example`` in ``fabrikam.example`` the lines read ``sl.shop``, ``shop``, …"""

from __future__ import annotations

import asyncio
from pathlib import Path

from core.errors import ApiError
from core.keyfiles import write_private
from core.records import zone_snippet
from core.validation import normalize_domain
from tui.cli import dkim_all
from tui.cli.common import fail, open_context, resolve_user


def register(sub) -> None:
    zone = sub.add_parser(
        "zone",
        help="print a domain's DNS records as a BIND zone snippet",
        description="Print each DOMAIN's records as a BIND zone snippet, named relative to the zone they go into "
        "($ORIGIN: the zone's apex, found in DNS unless --origin gives it).",
    )
    zone.add_argument("domains", metavar="DOMAIN", nargs="+", help="DomainID or name")
    zone.add_argument("--ttl", type=int, default=3600, help="TTL for the records (default 3600)")
    zone.add_argument(
        "--origin", metavar="ZONE",
        help="the zone's apex ($ORIGIN) instead of asking DNS; every DOMAIN must be in it",
    )
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


def _in_zone(domain: str, zone: str) -> bool:
    return domain == zone or domain.endswith("." + zone)


def find_all(service, user, refs: list[str]):
    """The domains ``refs`` name, and the refs that name none (every one of them, so the
    message can list them all rather than stop at the first)."""
    found, missing = [], []
    for ref in refs:
        try:
            found.append(service.find_domain(user, ref))
        except ApiError as exc:
            if exc.code not in (1, 2, 4, 7):  # not found, or not a domain name at all
                raise
            missing.append(ref)
    return found, missing


def missing_message(missing: list[str]) -> str:
    shown = ", ".join(repr(ref) if not ref.strip() else ref for ref in missing)
    what = "no sender domain" if len(missing) == 1 else "no sender domains"
    return f"{what} {shown} (a DomainID or a name of yours: see `senderdeck api list`); nothing printed"


async def _zones(service, user, views) -> list[str | None]:
    found = await asyncio.gather(*(service.detect_dns_host(user, view.id) for view in views))
    return [outcome.zone for outcome in found]


def print_zone(args) -> int:
    if not 0 < args.ttl <= 2**31 - 1:
        return fail("--ttl must be between 1 and 2147483647")
    origin = None
    if args.origin is not None:
        try:
            origin = normalize_domain(args.origin)
        except ApiError as exc:
            return fail(f"--origin {args.origin!r}: {exc.message}")
    ctx = open_context(args)
    try:
        user = resolve_user(ctx, args)
        found, missing = find_all(ctx.service, user, args.domains)
        if missing:
            return fail(missing_message(missing), 1)
        views = [ctx.service.dns_records(user, view.id) for view in found]
        if origin is not None:
            outside = [view.display_name for view in views if not _in_zone(view.domain, origin)]
            if outside:
                return fail(f"--origin {origin}: {', '.join(outside)} {'is' if len(outside) == 1 else 'are'} not in that zone")
            zones: list[str | None] = [origin] * len(views)
        else:
            zones = asyncio.run(_zones(ctx.service, user, views))
    finally:
        ctx.close()
    for view, zone in zip(views, zones):
        records = {r.host: [r.type, r.value] for r in view.records()}
        if zone and _in_zone(view.domain, zone):
            where = "" if zone == view.domain else f", in the zone {zone}"
            print(f"; {view.display_name} ({view.status}){where}")
        else:
            zone = view.domain
            print(f"; {view.display_name} ({view.status}); its zone was not found in DNS: "
                  "names relative to the domain (--origin ZONE to give the zone)")
        print(zone_snippet(records, ttl=args.ttl, origin=zone), end="")
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
        found, missing = find_all(ctx.service, user, args.domains)
        if missing:
            return fail(missing_message(missing).replace("nothing printed", "nothing written"), 1)
        keys = [ctx.service.dkim_key(user, view.id) for view in found]
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
