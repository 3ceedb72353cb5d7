"""The spec's status rules as pure functions (core/status.py), case by case."""

from __future__ import annotations

import pytest

from core.errors import INVALID_STATUS, NOT_VERIFIED, ApiError
from core.models import STATUS_DISABLED, STATUS_ENABLED, STATUS_PENDING, STATUS_SUSPENDED
from core.status import after_probe, after_recreate, after_update, parse_requested

ENABLED, DISABLED, PENDING, SUSPENDED = STATUS_ENABLED, STATUS_DISABLED, STATUS_PENDING, STATUS_SUSPENDED


@pytest.mark.parametrize("raw, status", [("Enabled", ENABLED), (" disabled ", DISABLED), ("ENABLED", ENABLED)])
def test_a_tenant_may_ask_for_enabled_or_disabled(raw, status):
    assert parse_requested(raw) == status


@pytest.mark.parametrize("raw", ["Approval Pending", "Suspended", "Deleted", "", None, 1, True, ["Enabled"]])
def test_anything_else_is_code_9(raw):
    with pytest.raises(ApiError) as caught:
        parse_requested(raw)
    assert caught.value.code == INVALID_STATUS


@pytest.mark.parametrize(
    "current, requested, regenerated, verified, expected",
    [
        # No status asked for: only a new DNS layout changes anything, and only for the two
        # statuses a verify manages.
        (ENABLED, None, False, True, ENABLED),
        (ENABLED, None, True, False, PENDING),
        (PENDING, None, True, False, PENDING),
        (DISABLED, None, True, False, DISABLED),  # a paused domain stays paused
        (SUSPENDED, None, True, False, SUSPENDED),
        # Pause and resume.
        (ENABLED, DISABLED, False, True, DISABLED),
        (DISABLED, ENABLED, False, True, ENABLED),
        (PENDING, DISABLED, False, False, DISABLED),
        (DISABLED, DISABLED, True, False, DISABLED),
        (PENDING, ENABLED, False, True, ENABLED),
    ],
)
def test_status_after_update(current, requested, regenerated, verified, expected):
    assert after_update(current, requested, regenerated=regenerated, records_verified=verified) == expected


@pytest.mark.parametrize("requested", [ENABLED, DISABLED])
def test_a_suspended_domain_cannot_be_toggled(requested):
    with pytest.raises(ApiError) as caught:
        after_update(SUSPENDED, requested, regenerated=False, records_verified=True)
    assert caught.value.code == INVALID_STATUS and "Suspended" in caught.value.message


@pytest.mark.parametrize("current", [PENDING, DISABLED, ENABLED])
def test_enabling_needs_every_record_verified(current):
    with pytest.raises(ApiError) as caught:
        after_update(current, ENABLED, regenerated=False, records_verified=False)
    assert caught.value.code == NOT_VERIFIED


@pytest.mark.parametrize(
    "current, verified, failed, expected",
    [
        (PENDING, True, False, ENABLED),
        (ENABLED, False, True, PENDING),
        (ENABLED, False, False, ENABLED),  # could not check: stays
        (PENDING, False, False, PENDING),
        (DISABLED, True, False, DISABLED),
        (DISABLED, False, True, DISABLED),
        (SUSPENDED, True, False, SUSPENDED),  # a verify never lifts a suspension
        (SUSPENDED, False, True, SUSPENDED),
    ],
)
def test_status_after_probe(current, verified, failed, expected):
    assert after_probe(current, verified=verified, failed=failed) == expected


@pytest.mark.parametrize(
    "previous, expected",
    [(ENABLED, PENDING), (PENDING, PENDING), (DISABLED, PENDING), (SUSPENDED, SUSPENDED)],
)
def test_status_after_recreate_keeps_only_a_suspension(previous, expected):
    assert after_recreate(previous) == expected
