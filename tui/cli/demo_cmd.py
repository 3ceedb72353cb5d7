"""``senderdeck demo``: build a demo database (about 40 domains, 90 days of stats) and open the TUI.

By default the database is ``demo.db`` in the XDG data directory, rebuilt from scratch on
every run; ``--database URL`` (before or after ``demo``) seeds another database instead,
which must not hold any sender domains yet. While a demo builds or its terminal UI runs it
holds a lock beside ``demo.db``: another ``senderdeck demo`` (``--build-only`` too) refuses
rather than replace a database in use. Demo mode is on (no outbound mail), and a
loopback DNS server serves the demo domains' zones, some correct and some misconfigured, so
Verify works offline.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from core.context import build_context
from core.redaction import redact_url
from core.models import SenderDomain
from core.settings import xdg_dir
from tui.cli.common import fail, settings_from_args
from tui.cli.file_lock import FileLock, LockBusy
from tui.cli.launch import run_tui


def register(sub) -> None:
    parser = sub.add_parser(
        "demo",
        help="build a demo database and open the terminal UI on it",
        description="Build a demo database (about 40 sender domains of varied health, 90 days of stats) "
        "and open the terminal UI on it, in demo mode, with Verify answered by a loopback DNS server.",
    )
    parser.add_argument(
        "--database", dest="demo_database", metavar="URL", default=argparse.SUPPRESS,
        help="seed this (empty) database instead of rebuilding demo.db in the XDG data directory",
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed of the demo data")
    parser.add_argument("--no-dns", action="store_true", help="do not start the loopback DNS server")
    parser.add_argument("--build-only", action="store_true", help="build the database, print where, do not open the UI")
    parser.set_defaults(handler=run)


def default_demo_path() -> Path:
    return xdg_dir("data") / "demo.db"


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = path.with_name(path.name + suffix)
        if candidate.exists():
            candidate.unlink()


def run(args) -> int:
    from core import demo  # the demo's DKIM keys and DNS server load only for this command

    settings = settings_from_args(args)
    explicit = getattr(args, "demo_database", None) or args.database
    lock = None
    if explicit:
        settings.database = explicit
    else:
        path = default_demo_path()
        lock = FileLock(path.with_name(path.name + ".lock"))
        try:
            lock.acquire()  # held until this process exits: the UI below runs on this database
        except LockBusy as busy:
            who = f"process {busy.pid}" if busy.pid else "another process"
            return fail(
                f"a demo is open on {path} ({who}); not rebuilding a database in use. "
                "Quit that demo first, or build another with --database sqlite:///PATH"
            )
        _remove_sqlite(path)
        settings.database = f"sqlite:///{path}"
    settings.demo = True
    ctx = build_context(settings)
    server = None
    try:
        if explicit and SenderDomain.select().exists():
            return fail(
                "that database already holds sender domains; the demo only seeds an empty one "
                "(leave out --database to rebuild demo.db in the XDG data directory)"
            )
        seed = demo.DEMO_SEED if args.seed is None else args.seed
        result = demo.build_demo(ctx, seed=seed)
        if args.build_only:
            print(f"demo database: {redact_url(settings.database)} ({len(result.domains)} domains, {result.stat_rows:,} stat rows)")
            print(f"demo user: {result.user.name}; API key: {result.api_key}")
            return 0
        if not args.no_dns:
            server = demo.serve_demo_dns(settings, result)
        return run_tui(ctx, result.user, watch=bool(getattr(args, "watch", False)))
    finally:
        if server is not None:
            server.stop()
        ctx.close()
        if lock is not None:
            lock.release()
