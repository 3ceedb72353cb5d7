"""Regenerate the README screenshots (screenshots/*.svg) from the demo data.

    .venv/bin/python screenshots/make.py

A temp SQLite database gets ``core.demo.build_demo`` at a frozen clock, a loopback DNS
server serves the demo zones (nothing leaves the machine), and the app is built with
``tui.app.make_app`` as the CLI builds it. Shots: the domain list, a domain's detail, the
create modal, "verify all pending" in progress, and the operator's view of every tenant's
domains (two more tenants added last) with two rows marked.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

FROZEN_NOW = dt.datetime(2026, 5, 23, 9, 11)
THEME = "textual-dark"
LARGE = (120, 34)
SMALL = (80, 24)
DATABASE_LABEL = "~/.local/share/senderdeck/demo.db"


async def settle(pilot) -> None:
    app = pilot.app
    for _ in range(20):
        running = [w for w in app.workers if w.is_running and w.group != "list-watch"]
        if not running:
            break
        await app.workers.wait_for_complete(running)
        await pilot.pause()
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()


def build():
    from core import demo
    from core.clock import FixedClock
    from core.context import build_context
    from core.settings import Settings

    tmp = tempfile.mkdtemp(prefix="senderdeck-shots-")
    clock = FixedClock(FROZEN_NOW)
    settings = Settings(database=f"sqlite:///{tmp}/demo.db", demo=True)
    ctx = build_context(settings, clock=clock)
    result = demo.build_demo(ctx)
    server = demo.serve_demo_dns(settings, result)
    return ctx, clock, result, server


async def warm_dns_hosts(ctx, user, result) -> None:
    """Detect every domain's DNS host once (as the detail screen and verify do)."""
    await asyncio.gather(*(ctx.service.detect_dns_host(user, d.id) for d in result.domains))


def save(app, name: str, title: str) -> None:
    path = HERE / f"{name}.svg"
    path.write_text(app.export_screenshot(title=title), encoding="utf-8")
    print(f"wrote {path.relative_to(HERE.parent)}")


async def shoot(ctx, clock, result) -> None:
    from tui.app import make_app

    user = result.user
    await warm_dns_hosts(ctx, user, result)

    def new_app():
        # The header shows where `senderdeck demo` keeps its database, not this temp copy.
        return make_app(ctx, user, clock=clock, theme=THEME, cursor_blink=False, database_label=DATABASE_LABEL)

    # 1. The list at a roomy size, with the DNS host column.
    app = new_app()
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        await settle(pilot)  # DNS hosts of the rows on screen
        save(app, "list", "senderdeck — sender domains")

    # 2. A pending domain whose SPF record is wrong: records, badges and fix hints.
    from tui.screens.domain_detail import DomainDetailScreen

    target = next((d for d in result.domains if d.dns_state == "spf" and d.status == "Approval Pending"), result.domains[0])
    app = new_app()
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        app.push_screen(DomainDetailScreen(target.id))
        await settle(pilot)
        await pilot.press("down", "down")  # the wrong SPF record: what was found, why, and the fix
        await settle(pilot)
        save(app, "detail", "senderdeck — domain detail")

    # 3. The create modal with a domain typed in.
    app = new_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"shop.bücher-haus.example")
        await settle(pilot)
        save(app, "create", "senderdeck — new sender domain")

    # 4. Verify all pending, caught while the batch is out: held at a gate until the shot.
    app = new_app()
    gate = asyncio.Event()
    real = ctx.service.verify_pending

    async def gated(u, batch=25):
        await gate.wait()
        return await real(u, batch)

    ctx.service.verify_pending = gated
    try:
        async with app.run_test(size=LARGE) as pilot:
            await settle(pilot)
            await settle(pilot)
            await pilot.press("V")
            app.screen.action_show_status("Approval Pending")
            for _ in range(3):
                await pilot.pause()
            save(app, "verify", "senderdeck — verifying pending domains")
            gate.set()
            await settle(pilot)
    finally:
        ctx.service.verify_pending = real

    # 5. The operator's view: two more tenants, every tenant's domains, two rows marked.
    from core import users

    added = []
    for tenant, names in (("acme", ("mail.acme.example", "news.acme.example")), ("globex", ("globex.example", "shop.example"))):
        owner, _key = users.create_user(tenant, clock)
        added += [ctx.service.create_domain(owner, {"SenderDomain": name}).id for name in names]
    await asyncio.gather(*(ctx.service.detect_dns_host(users.find_user("acme"), d) for d in added[:2]))
    app = make_app(ctx, None, clock=clock, theme=THEME, cursor_blink=False, database_label=DATABASE_LABEL, actor="anna")
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        await settle(pilot)
        await pilot.press("slash", *"status:pend", "enter")  # every tenant's pending domains
        for domain_id in (added[0], added[3]):
            app.screen.table.move_to(domain_id)
            await pilot.press("space")
        await settle(pilot)
        save(app, "operator", "senderdeck — every tenant's domains")


def main() -> int:
    ctx, clock, result, server = build()
    try:
        asyncio.run(shoot(ctx, clock, result))
    finally:
        if server is not None:
            server.stop()
        ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
