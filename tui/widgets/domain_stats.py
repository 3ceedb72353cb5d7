"""The detail screen's Stats tab: the daily chart over a table of the same days, newest first."""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual import getters
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable

from tui.widgets.stats_chart import StatsChart, pad_days

COLUMNS = (("Day", "day"), ("Sent", "sent"), ("Delivered", "delivered"), ("Bounced", "bounced"), ("Complaints", "complaints"))
FIGURES = ("Sent", "Delivered", "Bounced", "Complaints")


class DomainStats(VerticalScroll):
    chart = getters.query_one(StatsChart)
    table = getters.query_one("#stats-table", DataTable)

    def compose(self) -> ComposeResult:
        yield StatsChart(id="chart")
        yield DataTable(id="stats-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        for label, key in COLUMNS:
            self.table.add_column(label, key=key, width=10 if key == "day" else None)

    def show(self, stats: dict[str, dict], today: dt.date, days: int) -> None:
        """``stats`` as the service gives them (days without activity left out) for ``days`` up to ``today``."""
        padded = pad_days(stats, today, days)
        self.chart.set_days(padded)
        table = self.table
        table.clear()
        for day, figures in reversed(padded):
            table.add_row(
                day.isoformat(),
                *(Text(f"{int(figures.get(k) or 0):,}", justify="right") for k in FIGURES),
                key=day.isoformat(),
            )
