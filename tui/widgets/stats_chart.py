"""A daily bar chart of sent messages and bounces, one column per day (no I/O)."""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual.widget import Widget

_BLOCKS = " ▁▂▃▄▅▆▇█"


def pad_days(stats: dict[str, dict], today: dt.date, days: int) -> list[tuple[dt.date, dict]]:
    """Oldest first, one entry per day; days without activity are zero (the API omits them)."""
    zero = {"Sent": 0, "Delivered": 0, "Bounced": 0, "Complaints": 0}
    out = []
    for offset in range(days - 1, -1, -1):
        day = today - dt.timedelta(days=offset)
        out.append((day, {**zero, **(stats.get(day.isoformat()) or {})}))
    return out


def bars(values: list[int], height: int) -> list[str]:
    """Rows of block characters, top row first, scaled to the largest value."""
    peak = max(values, default=0)
    rows = []
    for level in range(height - 1, -1, -1):
        row = []
        for v in values:
            eighths = round(v / peak * height * 8) if peak else 0
            filled = eighths - level * 8
            row.append(_BLOCKS[max(0, min(8, filled))] if v else " ")
        rows.append("".join(row))
    return rows


class StatsChart(Widget):
    """Two bar charts (sent above, bounces below) sharing one day axis."""

    DEFAULT_CSS = """
    StatsChart {
        height: auto;
        width: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.days: list[tuple[dt.date, dict]] = []

    def set_days(self, days: list[tuple[dt.date, dict]]) -> None:
        self.days = days
        self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:
        return 8

    def render(self) -> Text:
        if not self.days:
            return Text("No stats yet", style="dim")
        sent = [d["Sent"] for _, d in self.days]
        bounced = [d["Bounced"] for _, d in self.days]
        text = Text(no_wrap=True)
        width = len(self.days) * 2
        label_w = 9
        text.append(f"{'Sent':<{label_w}}", style="bold")
        text.append(f"peak {max(sent):,}/day  total {sum(sent):,}\n", style="dim")
        for row in bars(sent, 3):
            text.append(" " * label_w)
            text.append("".join(c * 2 for c in row), style="green")
            text.append("\n")
        text.append(f"{'Bounced':<{label_w}}", style="bold")
        text.append(f"peak {max(bounced):,}/day  total {sum(bounced):,}\n", style="dim")
        for row in bars(bounced, 2):
            text.append(" " * label_w)
            text.append("".join(c * 2 for c in row), style="red")
            text.append("\n")
        first, last = self.days[0][0], self.days[-1][0]
        axis = f"{first:%b %d}".ljust(width - 6) + f"{last:%b %d}"
        text.append(" " * label_w + axis, style="dim")
        return text
