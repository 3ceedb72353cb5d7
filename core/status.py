"""The spec's status rules, as pure functions of what is known.

Approval Pending, Suspended and Deleted are the system's; a tenant toggles only Enabled and
Disabled. A verify moves a domain between Enabled and Approval Pending; Disabled and
Suspended keep their status.

Pausing and resuming, as the terminal UI offers them (the list and the detail screen both
ask these, so they can never disagree):

- **Pause** is for a domain that sends as itself: Enabled. A pending domain's mail already
  falls back to the group default; pausing it would only take it out of Verify all and watch
  mode, which skip Disabled domains, and strand it there.
- **Resume** is for a paused (Disabled) domain, and always leads somewhere: Enabled when every
  record is verified, otherwise back to Approval Pending, where a verify (which the UI offers
  at once: "Verify now?"), Verify all and watch mode pick it up again. The API's own update
  (``status=Enabled``) keeps the spec's rule: an unverified domain is refused with code 10.
"""

from __future__ import annotations

from core.errors import INVALID_STATUS, NOT_VERIFIED, ApiError
from core.models import STATUS_DISABLED, STATUS_ENABLED, STATUS_PENDING, STATUS_SUSPENDED

# What a tenant may ask for with update's `status` (case-insensitive).
REQUESTABLE = {"enabled": STATUS_ENABLED, "disabled": STATUS_DISABLED}


def parse_requested(raw: object) -> str:
    """Update's ``status`` parameter: Enabled or Disabled, or code 9."""
    wanted = raw.strip().lower() if isinstance(raw, str) else ""
    status = REQUESTABLE.get(wanted)
    if status is None:
        raise ApiError(INVALID_STATUS, "Invalid Status value. Allowed: Enabled, Disabled", 400)
    return status


def after_update(current: str, requested: str | None, *, regenerated: bool, records_verified: bool) -> str:
    """The Status after an update, or ApiError 9 / 10.

    ``requested``: the parsed ``status`` parameter (None when absent); ``regenerated``: the
    DNS layout changed, so the records must be verified again; ``records_verified``: every
    record the domain will have is verified.
    """
    if requested is not None:
        if current == STATUS_SUSPENDED:
            raise ApiError(INVALID_STATUS, "Invalid Status value: this domain is Suspended by the platform and cannot be changed", 400)
        if requested == STATUS_ENABLED and not records_verified:
            raise ApiError(NOT_VERIFIED, "Cannot enable an unverified domain — run user.senderdomain.verify first", 400)
        return requested
    if regenerated and current in (STATUS_ENABLED, STATUS_PENDING):
        return STATUS_PENDING  # the old verification does not cover the new records
    return current  # a paused domain stays paused; a suspended one stays suspended


def after_recreate(previous: str) -> str:
    """The Status of an existing pair created again: Approval Pending (the spec's ON DUPLICATE
    KEY UPDATE), except that a suspension stays. ``previous``: the live domain's Status, or
    the Status a soft-deleted one had when it was deleted."""
    return STATUS_SUSPENDED if previous == STATUS_SUSPENDED else STATUS_PENDING


def after_probe(current: str, *, verified: bool, failed: bool) -> str:
    """The Status after a verify: all matched → Enabled; any mismatched or missing →
    Approval Pending; otherwise (could not check) as it was. Disabled and Suspended stay."""
    if current not in (STATUS_ENABLED, STATUS_PENDING):
        return current
    if verified:
        return STATUS_ENABLED
    if failed:
        return STATUS_PENDING
    return current


def after_suspend(current: str) -> str:
    """An operator's suspension: Suspended, from any live Status; code 9 when it already is."""
    if current == STATUS_SUSPENDED:
        raise ApiError(INVALID_STATUS, "This domain is already Suspended", 400)
    return STATUS_SUSPENDED


def after_unsuspend(current: str) -> str:
    """An operator lifting a suspension: Approval Pending, never straight back to Enabled
    (the next verify decides); code 9 when the domain is not Suspended."""
    if current != STATUS_SUSPENDED:
        raise ApiError(INVALID_STATUS, f"This domain is not Suspended (it is {current})", 400)
    return STATUS_PENDING


def can_pause(status: str | None) -> bool:
    return status == STATUS_ENABLED


def can_resume(status: str | None) -> bool:
    return status == STATUS_DISABLED


def why_not_pausable(status: str | None) -> str | None:
    """Why a domain with ``status`` can be neither paused nor resumed (None when it can)."""
    if can_pause(status) or can_resume(status):
        return None
    if status == STATUS_PENDING:
        return "Only an Enabled domain can be paused: this one is Approval Pending, and its mail already uses the group default."
    if status == STATUS_SUSPENDED:
        return "A Suspended domain cannot be paused or resumed: unsuspend it first (u)."
    return f"A {status or 'missing'} domain cannot be paused."


def after_resume(*, records_verified: bool) -> str:
    """A paused domain's status when it is resumed."""
    return STATUS_ENABLED if records_verified else STATUS_PENDING
