"""The command line and the TUI on every backend: `--database postgresql://…` and
`--cache-url redis://…` work for the commands and the app as SQLite does."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from core.models import SenderDomain

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.backends("postgresql", "postgresql+redis")  # SQLite: tests/core/test_cli.py
def test_commands_on_the_server_backends(settings, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENDERDECK_")} | {
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    base = [sys.executable, "-m", "tui", "--database", settings.database, "--nameserver", "127.0.0.1:1"]
    if settings.cache_url:
        base += ["--cache-url", settings.cache_url]

    def run(*args, check=0):
        result = subprocess.run([*base, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
        assert result.returncode == check, result.stdout + result.stderr
        return result.stdout

    key = re.search(r"(sdk_\S+)", run("user", "add", "alice")).group(1)
    created = json.loads(run("--api-key", key, "api", "create", "SenderDomain=Example.com"))
    domain_id = created["DomainID"]
    updated = json.loads(run("api", "update", f"DomainID={domain_id}", "LinkTracking=0", "CustomSubdomain=bounce"))
    assert updated["DnsRegenerated"] is True and "bounce.example.com" in updated["SenderDomain"]["VerificationMeta"]["DNSRecords"]
    verified = json.loads(run("api", "verify", f"DomainID={domain_id}"))
    assert verified["Success"] is True and verified["Status"] == "Approval Pending"  # nothing answers at 127.0.0.1:1
    listed = json.loads(run("api", "list"))
    (only,) = listed["SenderDomains"]
    assert only["Options"]["LinkTracking"] == 0 and only["LastVerifiedAt"] is not None
    assert json.loads(run("api", "delete", f"DomainID={domain_id}")) == {"Success": True}
    assert json.loads(run("api", "list")) == {"Success": True, "SenderDomains": []}

    if settings.cache_url:  # the API's rate-limit window lives in Redis, not the database
        import redis

        client = redis.Redis.from_url(settings.cache_url)
        try:
            assert client.zcard("senderdeck:rate:api:1") == 6
        finally:
            client.close()


async def test_tui_on_every_backend(ctx, alice, clock):
    from tests.tui.conftest import SIZE_LARGE, build_app, settle
    from tests.tui.seed import seed_sample
    from tui.widgets.domain_table import DomainTable

    sample = seed_sample(ctx, alice, clock.now())
    app = build_app(ctx, alice, clock)
    async with app.run_test(size=SIZE_LARGE) as pilot:
        await settle(pilot)
        shown = [row.name for row in app.screen.query_one(DomainTable).rows]
        assert len(shown) == len(sample) == SenderDomain.select().count()
