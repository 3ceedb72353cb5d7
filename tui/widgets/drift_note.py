"""The detail screen's drift section (issue 15): for a drifted domain (``tui/drifted.py``),
since when a sweep has found it drifted and on how many sweeps, then each record that no
longer matches — its type, host, state and what DNS answered instead.

Hidden for a domain that is not drifted. One line per record, cut with an ellipsis (a DKIM
key found in its place would otherwise fill the screen: the record pane below shows it in
full). Hosts, found values and reasons are untrusted (DNS answers, stored evidence): control
characters are stripped and nothing is parsed as markup.
"""

from __future__ import annotations

import datetime as dt

from textual.content import Content
from textual.widgets import Static

from core.drift import DriftedRecord
from core.views import DomainView
from tui.drifted import is_drifted
from tui.text import ago, clean

SHOWN_RECORDS = 3  # the rest are summed up in one line: the record table lists them all


def found_text(record: DriftedRecord) -> str:
    """What DNS answered instead (the check's reason when it found nothing)."""
    if record.found:
        return "found " + ", ".join(f'"{clean(value)}"' for value in record.found)
    return clean(record.reason) or "nothing found"


def describe_drift(view: DomainView, now: dt.datetime) -> Content:
    """The section's text for a drifted ``view``."""
    drift = view.drift
    assert drift is not None
    sweeps = f"{drift.streak} sweep{'s' if drift.streak != 1 else ''}"
    lines = [
        Content.assemble(
            ("Drifted", "bold $text-error"),
            f" since {drift.since:%Y-%m-%d %H:%M} UTC ({ago(drift.since, now)}), on {sweeps} ≥ 24 h apart:",
        )
    ]
    for record in drift.records[:SHOWN_RECORDS]:
        lines.append(
            Content.assemble(
                "  ",
                (clean(record.type), "bold"),
                " ",
                clean(record.host),
                "  ",
                (clean(record.state), "$text-error"),
                ": ",
                found_text(record),
            )
        )
    hidden = len(drift.records) - SHOWN_RECORDS
    if hidden > 0:
        lines.append(Content.styled(f"  … and {hidden} more (the records below)", "dim"))
    return Content("\n").join(lines)


class DriftNote(Static):
    DEFAULT_CSS = """
    DriftNote {
        display: none;  /* until a drifted domain is shown */
        height: auto;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def show(self, view: DomainView | None, now: dt.datetime) -> None:
        """Show ``view``'s drift, or nothing (hidden) when it is not drifted."""
        drifted = view is not None and is_drifted(view)
        self.display = drifted
        self.update(describe_drift(view, now) if drifted else "")
