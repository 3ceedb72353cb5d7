"""What a verify found, in a sentence: the list's and the detail screen's notifications and
the detail screen's head say it the same way.

Counted from the checks' stored states (matched, mismatched, missing, unknown = could not
check): a verify whose resolver did not answer says "could not check 5 of 5 (no answer from
DNS)", never "0/5 records verified" as if the records were wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from core.models import STATUS_ENABLED

Severity = Literal["information", "warning", "error"]


@dataclass(frozen=True)
class Tally:
    matched: int
    failed: int  # mismatched or missing
    unchecked: int  # could not check (timeout, SERVFAIL, refused)
    why: str = "no answer from DNS"  # why the first record not checked was not

    @property
    def total(self) -> int:
        return self.matched + self.failed + self.unchecked

    @property
    def nothing_checked(self) -> bool:
        return self.total > 0 and self.unchecked == self.total

    @property
    def why_unchecked(self) -> str:
        return self.why

    @classmethod
    def of(cls, checks: Mapping[str, Mapping] | None, hosts: Iterable[str] | None = None) -> "Tally":
        """``checks``: {host: Check JSON}; ``hosts``: the records (a record without a check
        counts as not checked)."""
        checks = checks or {}
        names = list(hosts) if hosts is not None else list(checks)
        matched = failed = unchecked = 0
        why = ""
        for host in names:
            check = checks.get(host) or {}
            state = check.get("State")
            if state == "matched":
                matched += 1
            elif state in ("mismatched", "missing"):
                failed += 1
            else:
                unchecked += 1
                why = why or _why(str(check.get("Reason") or ""))
        return cls(matched, failed, unchecked, why or "no answer from DNS")


def _why(reason: str) -> str:
    """A could-not-check reason (core/verify.py's wording) in a few words."""
    if "SERVFAIL" in reason:
        return "the nameserver answered SERVFAIL"
    if "would not answer" in reason or "REFUSED" in reason:
        return "the nameserver refused to answer"
    return "no answer from DNS"


def verify_message(name: str, before: str, outcome) -> tuple[str, str, Severity]:
    """(title, message, severity) for the notification after verifying ``name``."""
    tally = Tally.of(outcome.checks, [record.host for record in outcome.records])
    status = outcome.status
    if outcome.is_verified:
        if before != status and status == STATUS_ENABLED:
            return "Verified", f"{name} is now Enabled: every record verified", "information"
        return "Verified", f"{name}: every record verified ({status})", "information"
    if tally.nothing_checked:
        return (
            "Could not check",
            f"{name}: could not check {tally.unchecked} of {tally.total} records ({tally.why_unchecked}); "
            f"status unchanged ({status}). Try again in a minute.",
            "error",
        )
    text = f"{name}: {tally.matched} of {tally.total} records verified"
    if tally.failed:
        text += f", {tally.failed} wrong or missing"
    if tally.unchecked:
        text += f", could not check {tally.unchecked} ({tally.why_unchecked})"
    return "Not verified yet", f"{text}; still {status}", "warning"
