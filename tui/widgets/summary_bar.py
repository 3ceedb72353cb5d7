"""The line over the domain list: how many domains, by status (and how many of the Enabled
ones are drifted, ``tui/drifted.py``, when any is) and by reputation bucket.

``SummaryBar.show(rows, figures_loaded)`` counts the rows (every row, whatever the filter
shows) and keeps the counts, so a resize lays them out again without counting: one line when
both halves fit, the reputation half on a second line when they do not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from textual.content import Content
from textual.widgets import Static

from core.models import STATUS_DISABLED, STATUS_ENABLED, STATUS_PENDING, STATUS_SUSPENDED
from core.views import DomainView
from tui.drifted import is_drifted
from tui.text import count as count_of, plain

BUCKETS = ("excellent", "good", "fair", "poor")
STATUS_LABELS = {
    STATUS_ENABLED: ("enabled", "$text-success"),
    STATUS_PENDING: ("pending", "$text-warning"),
    STATUS_DISABLED: ("disabled", "$text-muted"),
    STATUS_SUSPENDED: ("suspended", "$text-error"),
}
ALWAYS_SHOWN = (STATUS_ENABLED, STATUS_PENDING)  # shown even at 0; the others only when present
DRIFTED_STYLE = "$text-error"  # after the statuses, only when some domain is drifted
BUCKET_STYLES = {"excellent": "$text-success", "good": "$text-primary", "fair": "$text-warning", "poor": "$text-error"}


@dataclass
class Counts:
    domains: int = 0
    by_status: dict[str, int] = field(default_factory=lambda: {status: 0 for status in STATUS_LABELS})
    by_bucket: dict[str, int] = field(default_factory=lambda: {bucket: 0 for bucket in BUCKETS})
    unscored: int = 0
    drifted: int = 0  # Enabled domains a sweep found drifted (counted in by_status too)
    figures_loaded: bool = True

    @classmethod
    def of(cls, views: Iterable[DomainView], figures_loaded: bool) -> "Counts":
        counts = cls(figures_loaded=figures_loaded)
        by_status, by_bucket = counts.by_status, counts.by_bucket
        for view in views:
            counts.domains += 1
            by_status[view.status] = by_status.get(view.status, 0) + 1
            if is_drifted(view):
                counts.drifted += 1
            bucket = view.figures.reputation_bucket
            if bucket in by_bucket:
                by_bucket[bucket] += 1
            else:
                counts.unscored += 1
        return counts


class SummaryBar(Static):
    """Counts by status and reputation over every domain of the list."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._counts: Counts | None = None

    def show_loading(self) -> None:
        self._counts = None
        self.update("Loading sender domains…")

    def show_failed(self) -> None:
        self._counts = None
        self.update(plain("Could not load the domains"))

    def show(self, views: Iterable[DomainView], figures_loaded: bool) -> None:
        self._counts = Counts.of(views, figures_loaded)
        self._paint()

    def on_resize(self) -> None:
        if self._counts is not None:
            self._paint()

    def _paint(self) -> None:
        counts = self._counts
        assert counts is not None
        if not counts.domains:
            self.update(Content.styled("No sender domains yet", "bold"))
            return
        width = self.content_region.width or self.screen.size.width - 2
        statuses: list[tuple[str, str]] = [(count_of(counts.domains, "domain"), "bold")]
        for status, count in counts.by_status.items():
            if status in STATUS_LABELS and (count or status in ALWAYS_SHOWN):
                label, style = STATUS_LABELS[status]
                statuses.append((f"{count:,} {label}", style))
        if counts.drifted:
            statuses.append((f"{counts.drifted:,} drifted", DRIFTED_STYLE))
        line = spaced(statuses, width)
        if counts.figures_loaded and counts.unscored < counts.domains:
            buckets: list[tuple[str, str]] = [("reputation", "")]
            for bucket in BUCKETS:
                if counts.by_bucket[bucket]:
                    buckets.append((f"{counts.by_bucket[bucket]:,} {bucket}", BUCKET_STYLES[bucket]))
            if counts.unscored:
                buckets.append((f"{counts.unscored:,} unscored", "$text-muted"))
            second = spaced(buckets, width)
            joiner = "  │  " if line.cell_length + second.cell_length + 5 <= width else "\n"
            line = Content.assemble(line, joiner, second)
        self.update(line)


def spaced(parts: list[tuple[str, str]], width: int) -> Content:
    """The parts two spaces apart, or one when that is what keeps them on one line (a fleet's
    counts at 80 columns: 98,000 domains 59,998 enabled 24,000 pending …)."""

    def joined(gap: str) -> Content:
        pieces: list[str | tuple[str, str]] = []
        for text, style in parts:
            pieces += [gap, (text, style)] if pieces else [(text, style)]
        return Content.assemble(*pieces)

    roomy = joined("  ")
    if roomy.cell_length <= width:
        return roomy
    tight = joined(" ")
    return tight if tight.cell_length <= width else roomy
