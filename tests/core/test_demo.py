"""The demo database: varied, deterministic, and consistent with the DNS it serves (how long
it takes to build: tests/bench/demo.py)."""

from __future__ import annotations

import base64
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from core import demo
from core.clock import FixedClock
from core.context import build_context
from core.models import STATUS_DISABLED, STATUS_ENABLED, STATUS_PENDING, STATUS_SUSPENDED, DomainStat, SenderDomain
from core.settings import Settings
from tests.conftest import FROZEN_NOW

ROOT = Path(__file__).resolve().parents[2]
TODAY = FROZEN_NOW.date()


@pytest.fixture
def built(ctx):
    return demo.build_demo(ctx)  # how long it takes: tests/bench/demo.py


def test_about_forty_domains_of_every_status_and_health(ctx, built):
    views = ctx.service.list_domains(built.user)
    assert 35 <= len(views) <= 45
    assert {v.status for v in views} == {STATUS_ENABLED, STATUS_PENDING, STATUS_DISABLED, STATUS_SUSPENDED}
    buckets = {v.figures.reputation_bucket for v in views}
    assert {"excellent", "good", "fair", "poor", None} <= buckets
    deltas = {v.figures.volume_delta for v in views}
    assert "new" in deltas and None in deltas and any(d and d.startswith("+") for d in deltas) and any(d and d.startswith("-") for d in deltas)
    assert any(v.figures.volume_7d == 0 and v.figures.reputation is not None for v in views)  # quiet this week
    assert any(not v.display_name.isascii() for v in views)  # IDN names
    never = [v for v in views if v.last_verified_at is None]
    assert never and all(r.verified is None for v in never for r in v.records())
    verified = [v for v in views if v.status == STATUS_ENABLED]
    assert all(v.verified_count()[0] == v.verified_count()[1] for v in verified)


def test_pending_domains_carry_failed_records_with_evidence(ctx, built):
    pending = [v for v in ctx.service.list_domains(built.user) if v.status == STATUS_PENDING and v.last_verified_at]
    assert len(pending) >= 5
    states = set()
    for view in pending:
        failed = [r for r in view.records() if r.verified is False]
        assert failed, view.domain
        for record in failed:
            check = record.check
            assert set(check) >= {"State", "Found", "Reason", "Fix"}
            assert check["Reason"] and check["Fix"]
            states.add(check["State"])
    assert {"mismatched", "missing"} <= states


def test_ninety_days_of_stats_ending_today_with_some_deliveries_not_recorded(ctx, built):
    days = [r[0] for r in DomainStat.select(DomainStat.day).tuples()]
    assert min(days) == TODAY - dt.timedelta(days=demo.DEMO_DAYS - 1) and max(days) == TODAY
    assert DomainStat.select().where(DomainStat.delivered.is_null()).exists()
    assert DomainStat.select().where(DomainStat.delivered.is_null(False)).exists()
    assert built.stat_rows == DomainStat.select().count() > 2000


def test_the_same_seed_and_clock_build_the_same_database(ctx, built, tmp_path):
    other = build_context(Settings(database=f"sqlite:///{tmp_path / 'again.db'}"), clock=FixedClock(FROZEN_NOW))
    try:
        def snapshot():
            domains = [
                (r.domain, r.status, r.options, r.verification_meta, r.created_at, r.last_verified_at, r.dkim_public_key)
                for r in SenderDomain.select().order_by(SenderDomain.domain)
            ]
            stats = list(
                DomainStat.select(SenderDomain.domain, DomainStat.day, DomainStat.sent, DomainStat.delivered, DomainStat.bounced, DomainStat.complaints)
                .join(SenderDomain).order_by(SenderDomain.domain, DomainStat.day).tuples()
            )
            return domains, stats

        demo.build_demo(other)
        second = snapshot()
    finally:
        other.close()
    from core.db import database

    database.initialize(ctx.database)  # build_context bound the models to the other database
    assert snapshot() == second


def test_demo_keys_are_fixed_real_rsa_keys():
    key = demo.demo_key(0)
    assert key == demo.demo_key(0) and key != demo.demo_key(1)
    private = serialization.load_pem_private_key(key.private_pem.encode(), None)
    assert private.key_size == 2048
    public_der = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert base64.b64encode(public_der).decode() == key.public_b64


def test_stored_evidence_is_what_the_verifier_said_at_the_last_check(ctx, built):
    from core.service import probe_cache_key

    for d in built.domains:
        row = SenderDomain.get_by_id(d.id)
        checks = row.verification_meta.get("Checks") or {}
        assert row.status == d.status and row.last_verified_at == d.last_checked, d.name
        assert ctx.cache.get(probe_cache_key(d.id)) is None  # Verify in the demo asks the zones as they are now
        if d.dns_state == "never":
            assert not checks and row.last_verified_at is None
            continue
        assert set(checks) == set(d.records) and all(c["State"] != "unknown" for c in checks.values()), d.name
        failing = [h for h, c in checks.items() if c["State"] != "matched"]
        assert (d.dns_state == "ok") == (not failing), d.name
        if d.dns_state == "fixed":  # fixed since: still pending until someone verifies
            assert d.status == STATUS_PENDING and d.checked_state in ("spf", "dmarc_missing", "cname_wrong")
    datum = next(d for d in built.domains if d.dns_state == "dkim_truncated")
    dkim = next(c for h, c in SenderDomain.get_by_id(datum.id).verification_meta["Checks"].items() if "._domainkey." in h)
    assert dkim["State"] == "mismatched" and "237 of 392 characters" in dkim["Reason"]  # the verifier's own words


@pytest.mark.sqlite_only
async def test_served_zones_agree_with_the_stored_state(ctx, built):
    server = demo.serve_demo_dns(ctx.settings, built)
    try:
        assert ctx.settings.nameservers == [server.address]
        by_state = {}
        for d in built.domains:
            by_state.setdefault(d.dns_state, d)
        ok = await ctx.service.verify_domain(built.user, by_state["ok"].id)
        assert ok.is_verified and ok.status == STATUS_ENABLED
        fixed = await ctx.service.verify_domain(built.user, by_state["fixed"].id)
        assert fixed.is_verified and fixed.status == STATUS_ENABLED  # DNS was corrected since the last check
        stored = SenderDomain.get_by_id(by_state["spf"].id).verification_meta["Checks"]
        spf = await ctx.service.verify_domain(built.user, by_state["spf"].id)
        assert not spf.is_verified and spf.status == STATUS_PENDING
        failing = {h: c for h, c in spf.checks.items() if c["State"] != "matched"}
        assert list(failing) == [by_state["spf"].name]
        host = by_state["spf"].name
        assert failing[host]["State"] == stored[host]["State"] and failing[host]["Found"] == stored[host]["Found"]
        never = await ctx.service.verify_domain(built.user, by_state["never"].id)
        assert {c["State"] for c in never.checks.values()} == {"missing"}
        host_info = await ctx.service.detect_dns_host(built.user, by_state["ok"].id)
        assert host_info.dns_host == "Cloudflare"
    finally:
        server.stop()


# ---- senderdeck demo ------------------------------------------------------------------------


def _env(tmp_path):
    return {k: v for k, v in os.environ.items() if not k.startswith("SENDERDECK_")} | {
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }


def test_demo_command_rebuilds_demo_db_in_the_data_dir(tmp_path):
    cmd = [sys.executable, "-m", "tui", "demo", "--build-only"]
    for _ in range(2):  # the second run starts from scratch again
        result = subprocess.run(cmd, capture_output=True, text=True, env=_env(tmp_path), cwd=ROOT, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        assert str(tmp_path / "data" / "senderdeck" / "demo.db") in result.stdout
    assert f"{len(demo.DOMAINS)} domains" in result.stdout


def test_demo_command_refuses_a_database_with_domains(tmp_path):
    url = f"sqlite:///{tmp_path / 'mine.db'}"
    env = _env(tmp_path)
    first = subprocess.run([sys.executable, "-m", "tui", "--database", url, "demo", "--build-only"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert first.returncode == 0, first.stderr
    again = subprocess.run([sys.executable, "-m", "tui", "demo", "--database", url, "--build-only"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert again.returncode == 2 and "already holds sender domains" in again.stderr


def test_demo_command_opens_the_tui_in_demo_mode_with_dns(tmp_path, monkeypatch):
    import tui.app
    from tui.__main__ import main

    for key in [k for k in os.environ if k.startswith("SENDERDECK_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    seen = {}

    def fake_run_app(ctx, user, watch=False):
        seen.update(demo=ctx.settings.demo, user=user.name, nameservers=list(ctx.settings.nameservers),
                    domains=SenderDomain.select().count())
        return 0

    monkeypatch.setattr(tui.app, "run_app", fake_run_app)
    assert main(["demo"]) == 0
    assert seen["demo"] is True and seen["user"] == demo.DEMO_USER and seen["domains"] == len(demo.DOMAINS)
    assert seen["nameservers"] and seen["nameservers"][0].startswith("127.0.0.1:")
