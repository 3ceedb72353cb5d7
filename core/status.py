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

from core.models import STATUS_DISABLED, STATUS_ENABLED, STATUS_PENDING


def can_pause(status: str | None) -> bool:
    return status == STATUS_ENABLED


def can_resume(status: str | None) -> bool:
    return status == STATUS_DISABLED


def after_resume(*, records_verified: bool) -> str:
    """A paused domain's status when it is resumed."""
    return STATUS_ENABLED if records_verified else STATUS_PENDING
