"""Issue 14.2: pausing and resuming follow one rule (core/status.py), and a paused domain
always has a way back: resume is Enabled when every record is verified, else Approval
Pending — where verify, Verify all and watch mode pick it up again."""

from __future__ import annotations

import pytest

from core.errors import ApiError
from core.models import STATUS_DELETED, STATUS_DISABLED, STATUS_ENABLED, STATUS_PENDING, STATUS_SUSPENDED, SenderDomain
from core.status import after_resume, can_pause, can_resume
from tests.core.dnskit import dns_server, publish, settings  # noqa: F401  (fixtures)


def set_state(domain_id: int, status: str, verified) -> None:
    row = SenderDomain.get_by_id(domain_id)
    meta = dict(row.verification_meta)
    meta["DNSRecords"] = {h: [r[0], r[1], verified] if verified is not None else r[:2] for h, r in meta["DNSRecords"].items()}
    SenderDomain.update(status=status, verification_meta=meta).where(SenderDomain.id == domain_id).execute()


def test_the_rules():
    assert [s for s in (STATUS_ENABLED, STATUS_PENDING, STATUS_DISABLED, STATUS_SUSPENDED, None) if can_pause(s)] == [STATUS_ENABLED]
    assert [s for s in (STATUS_ENABLED, STATUS_PENDING, STATUS_DISABLED, STATUS_SUSPENDED, None) if can_resume(s)] == [STATUS_DISABLED]
    assert after_resume(records_verified=True) == STATUS_ENABLED
    assert after_resume(records_verified=False) == STATUS_PENDING


def test_resuming_a_verified_domain_enables_it(ctx, alice):
    view = ctx.service.create_domain(alice, {"SenderDomain": "example.com"})
    set_state(view.id, STATUS_DISABLED, True)
    assert ctx.service.resume_domain(alice, view.id).status == STATUS_ENABLED


@pytest.mark.parametrize("verified", [None, False])
def test_resuming_an_unverified_domain_puts_it_back_to_pending_not_stuck(ctx, alice, verified):
    view = ctx.service.create_domain(alice, {"SenderDomain": "example.com"})
    set_state(view.id, STATUS_DISABLED, verified)
    resumed = ctx.service.resume_domain(alice, view.id)
    assert resumed.status == STATUS_PENDING == SenderDomain.get_by_id(view.id).status


async def test_back_in_pending_verify_all_finds_it_and_enables_it(ctx, alice, dns_server):
    view = ctx.service.create_domain(alice, {"SenderDomain": "example.com"})
    set_state(view.id, STATUS_DISABLED, None)  # paused before it was ever verified
    assert [d.domain_id async for bulk in ctx.service.verify_all_pending(alice) for d in bulk.domains] == []  # skipped
    ctx.service.resume_domain(alice, view.id)
    publish(dns_server, "example.com", view.verification_meta["DNSRecords"])
    checked = [d async for bulk in ctx.service.verify_all_pending(alice) for d in bulk.domains]
    assert [d.domain_id for d in checked] == [view.id] and checked[0].status == STATUS_ENABLED


@pytest.mark.parametrize("status", [STATUS_ENABLED, STATUS_PENDING, STATUS_SUSPENDED])
def test_only_a_paused_domain_can_be_resumed(ctx, alice, status):
    view = ctx.service.create_domain(alice, {"SenderDomain": "example.com"})
    set_state(view.id, status, True)
    with pytest.raises(ApiError) as info:
        ctx.service.resume_domain(alice, view.id)
    assert info.value.code == 9 and SenderDomain.get_by_id(view.id).status == status


def test_someone_elses_or_a_deleted_domain_is_not_found(ctx, alice, bob):
    view = ctx.service.create_domain(alice, {"SenderDomain": "example.com"})
    set_state(view.id, STATUS_DISABLED, True)
    with pytest.raises(ApiError) as info:
        ctx.service.resume_domain(bob, view.id)
    assert info.value.code == 2
    SenderDomain.update(status=STATUS_DELETED).where(SenderDomain.id == view.id).execute()
    with pytest.raises(ApiError):
        ctx.service.resume_domain(alice, view.id)
    assert SenderDomain.get_by_id(view.id).status == STATUS_DELETED


def test_the_api_keeps_the_specs_rule(ctx, alice):
    """update status=Enabled on an unverified domain is still code 10 (the spec's)."""
    view = ctx.service.create_domain(alice, {"SenderDomain": "example.com"})
    set_state(view.id, STATUS_DISABLED, None)
    with pytest.raises(ApiError) as info:
        ctx.service.update_domain(alice, view.id, {"status": "Enabled"})
    assert info.value.code == 10
