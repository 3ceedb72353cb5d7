"""Everything about one DNS record, under the detail screen's record table: its badge, the full
expected and found values, the last check's reason and fix, how long resolvers may remember
a missing answer, and where to enter it at the domain's DNS host.

Colours are the theme's (``$text-success`` …). Every value is untrusted (DNS answers, stored
evidence): control characters are stripped and nothing is parsed as markup.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from core.hosthints import record_hint
from core.validation import strip_control
from core.views import RecordState
from tui.widgets.record_table import BADGES, badge_of, found_of

BADGE_STYLES = {
    "never": "dim",
    "verified": "bold $text-success",
    "failed": "bold $text-error",
    "unknown": "bold $text-warning",
    "unknown_was_verified": "bold $text-warning",
}

Part = str | tuple[str, str]


def describe(record: RecordState, zone: str | None, dns_host: str | None) -> Content:
    """The explanation of ``record``, entered in the zone whose apex is ``zone`` (ASCII; the
    domain itself when its zone is not known), hosted at ``dns_host`` (None: not known yet)."""
    badge = badge_of(record)
    parts: list[Part] = [
        (f"{strip_control(record.type)} {strip_control(record.host)}  ", "bold"),
        (BADGES[badge][0], BADGE_STYLES[badge]),
        ("\nExpected: ", "dim"),
        strip_control(record.value),
    ]
    check = record.check or {}
    found = found_of(record)
    if found:
        parts += [("\nFound:    ", "dim"), strip_control(found)]
    if check.get("Reason"):
        parts += [("\nWhy:      ", "dim"), strip_control(str(check["Reason"]))]
    if check.get("Fix") and badge != "verified":
        parts += [("\nFix:      ", "dim"), strip_control(str(check["Fix"]))]
    if check.get("NegativeTTL") and badge != "verified":
        parts += [
            ("\nResolvers may remember the missing answer for ", "dim"),
            (f"{check['NegativeTTL']} s", "bold"),
            (" (negative TTL) after you add it.", "dim"),
        ]
    if badge == "never":
        parts.append(("\nNot checked yet: publish the record, then press v to verify.", "dim"))
    if badge == "unknown_was_verified":
        parts.append(("\nAn earlier check verified it; the last one got no answer, so it is not confirmed now.", "dim"))
    if badge not in ("verified", "unknown_was_verified") and zone is not None:
        hint = record_hint(dns_host, zone, record.host, record.type, record.value)
        where = f"At {hint.provider}" if hint.known else "At your DNS host"
        parts += [(f"\n{where}: ", "bold"), ("name ", "dim"), (strip_control(hint.name), "bold")]
        if hint.value != record.value:
            parts += [(", value ", "dim"), strip_control(hint.value)]
        for note in hint.notes:
            parts.append("\n • " + strip_control(note))
    return Content.assemble(*parts)


class RecordDetail(Static):
    """The explanation of the record highlighted in the table above it."""

    def show(self, record: RecordState | None, zone: str | None = None, dns_host: str | None = None) -> None:
        """``record`` in ``zone`` (None: nothing to explain, e.g. before the domain loaded)."""
        self.update(describe(record, zone, dns_host) if record is not None else "")
