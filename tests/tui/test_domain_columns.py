"""The domain list's column model on its own: each column's cell and sort key, and which
columns fit a width (no app, no painting)."""

from __future__ import annotations

import datetime as dt

from core.models import STATUS_ENABLED, STATUS_PENDING, STATUS_SUSPENDED
from core.stats import Figures
from core.views import DomainView
from tui.widgets.domain_columns import BY_KEY, COLUMN_KEYS, COLUMNS, NOT_LOOKED_UP, CellContext, DomainRow, fit, header_line, human_count, layout

NOW = dt.datetime(2026, 5, 23, 9, 11)
READY = CellContext(figures_loaded=True, busy=set(), now=NOW)


def row(status=STATUS_ENABLED, figures=Figures(), flags=(True, True, False), checked=NOW - dt.timedelta(minutes=3), domain_id=1, name="xn--bcher-kva.example"):
    records = {f"h{i}.example": ["TXT", "v", flag] for i, flag in enumerate(flags)}
    view = DomainView(domain_id, name, 1, NOW, status, checked, {"DNSRecords": records}, [], {}, figures)
    return DomainRow(view)


def cell(key, r, context=READY):
    return BY_KEY[key].cell(r, context)


def test_each_column_formats_its_own_cell():
    figures = Figures(volume_7d=12_345, volume_delta="-12%", reputation=93, reputation_bucket="excellent", delivery_rate=99.96, bounce_rate=2.5)
    r = row(figures=figures)
    assert cell("domain", r) == ("bücher.example", None)
    assert cell("status", r) == ("Enabled", "good")
    assert cell("status", row(STATUS_PENDING)) == ("Pending", "warn")
    assert cell("reputation", r) == (" 93 exc", "good")
    assert cell("volume", r) == ("12k", None)
    assert cell("delta", r) == ("−12%", "warn")
    assert cell("delta", row(figures=Figures(volume_delta="+1540%"))) == ("×16", None)
    assert cell("delivery", r) == ("100", None)
    assert cell("bounce", r) == ("2.5", "warn")
    assert cell("dns", r) == ("2/3", "warn")
    assert cell("checked", r) == ("3m ago", None)
    assert cell("checked", row(checked=None)) == ("never", "muted")
    assert cell("host", r) == ("…", "muted")  # not looked up yet
    r.set_host(None)
    assert cell("host", r) == ("—", "muted")  # looked up: no answer
    r.set_host("Route 53\x1b[31m")
    assert cell("host", r) == ("Route 53[31m", None)  # control characters stripped


def test_cells_wait_for_figures_and_for_a_running_check():
    r = row(domain_id=7)
    waiting = CellContext(figures_loaded=False, busy={7}, now=NOW)
    assert {key: cell(key, r, waiting)[0] for key in ("reputation", "volume", "delta", "delivery", "bounce")} == dict.fromkeys(
        ("reputation", "volume", "delta", "delivery", "bounce"), "…"
    )
    assert cell("checked", r, waiting) == ("checking", "busy")
    assert cell("reputation", r) == ("—", "muted") and cell("volume", r) == ("0", "muted")


def test_sort_keys_put_missing_values_apart():
    assert BY_KEY["status"].sort(row(STATUS_SUSPENDED)) > BY_KEY["status"].sort(row(STATUS_PENDING)) > BY_KEY["status"].sort(row())
    assert BY_KEY["delta"].sort(row(figures=Figures(volume_delta="new"))) == float("inf")
    assert BY_KEY["reputation"].sort(row()) is None and BY_KEY["host"].sort(row()) is None
    assert BY_KEY["dns"].sort(row(flags=())) is None
    r = row()
    r.set_host("GoDaddy")
    assert BY_KEY["host"].sort(r) == "godaddy" and "godaddy" in r.haystack
    assert row().dns_host is NOT_LOOKED_UP


def test_narrow_terminals_drop_the_least_important_columns_first():
    wide = [c.key for c, _ in layout(120)]
    assert wide == [k for k in COLUMN_KEYS if k != "owner"]  # the Owner column: only in every tenant's list
    assert [c.key for c, _ in layout(120, owners=True)] == [k for k in COLUMN_KEYS if k != "host"]  # the owner before the host
    assert [c.key for c, _ in layout(140, owners=True)] == list(COLUMN_KEYS)
    # 80 columns: full labels, and room for most names in full, leave out the DNS host, the
    # change and the delivery rate (the bounce rate stays).
    assert [c.key for c, _ in layout(80)] == [k for k in COLUMN_KEYS if k not in ("host", "delta", "delivery", "owner")]
    # every tenant's list at 80 columns keeps the owner, and drops the bounce rate for it
    assert [c.key for c, _ in layout(80, owners=True)] == [k for k in COLUMN_KEYS if k not in ("host", "delta", "delivery", "bounce")]
    assert dict((c.key, w) for c, w in layout(80))["domain"] >= 26
    assert "bounce" not in [c.key for c, _ in layout(60)]
    for width in (60, 80, 120, 200):
        columns = layout(width)
        assert sum(w for _, w in columns) + len(columns) - 1 == width
    assert dict((c.key, w) for c, w in layout(200))["host"] == 24  # wide: the host gets room first


def test_fit_and_counts():
    assert fit("例え.example", 6, False) == "例え.…" and fit("7", 3, True) == "  7"
    assert [human_count(n) for n in (999, 1000, 1049, 12_345, 999_999, 2_500_000)] == ["999", "1k", "1k", "12k", "1M", "2.5M"]


def test_the_header_shows_every_label_in_full_and_the_arrow_beside_the_sorted_one():
    for width in (79, 80, 120):
        for key in [c.key for c, _ in layout(width)]:
            for reverse in (False, True):
                line = header_line(width, key, reverse)
                assert len(line) == width
                assert line.count("▼" if reverse else "▲") == 1 and line.count("▲" if reverse else "▼") == 0
                for column, _ in layout(width):
                    assert column.label in line, (width, key, column.label)
    assert "Checked▲" not in header_line(80, "checked", False) and "▲Checked" in header_line(80, "checked", False)
    assert "Domain▲" in header_line(80, "domain", False)
    line = header_line(80, "volume", True)  # right-aligned: the arrow before the label, inside its column
    assert "Reputation  ▼Sent 7d" in line
    for column in COLUMNS:  # room for the arrow in every column: it never sits between two labels
        assert column.width == 0 or column.width > len(column.label), column.key
    assert "Reputation▲" in header_line(80, "reputation", False)
