"""``senderdeck domains [--user NAME] [--status S] [--format table|json|jsonl|csv]``: every
tenant's domains with owner, status, records' state and figures (the spec's admin
``sender.domains`` dump), streamed in name order as they are read.

Safe to pipe: output goes out a chunk at a time, ``| head`` ends it quietly (exit 141, as
for every command), ``--format json`` is one JSON array (one object per line inside it, so
``jq`` and ``head`` both work) and ``jsonl`` one object per line. Text from tenants is
never markup or terminal control: the table escapes control and invisible characters and
fits each cell to its column; CSV cells that a spreadsheet would run as a formula are
prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
import unicodedata

from core import users
from core.dump import DumpRow, dump_rows
from core.errors import SettingsError
from core.models import STATUS_DISABLED, STATUS_ENABLED, STATUS_PENDING, STATUS_SUSPENDED
from core.plaintext import escape_control, escape_in_json
from tui.cli.common import open_context

STATUS_NAMES = {
    "enabled": STATUS_ENABLED,
    "disabled": STATUS_DISABLED,
    "paused": STATUS_DISABLED,
    "pending": STATUS_PENDING,
    "approval pending": STATUS_PENDING,
    "suspended": STATUS_SUSPENDED,
}
FIELDS = (
    "DomainID", "SenderDomain", "ASCII", "Owner", "UserID", "Status", "SuspensionReason", "CreatedAt", "LastVerifiedAt",
    "RecordsVerified", "RecordsTotal", "NotVerified", "DkimSelector", "MfromDomain",
    "Volume7d", "VolumeDelta", "Reputation", "ReputationBucket", "DeliveryRate", "BounceRate",
)
FLUSH_EVERY = 500  # rows: the first screenful reaches `head` or a terminal at once


def status_name(text: str) -> str:
    status = STATUS_NAMES.get(" ".join(text.lower().split()))
    if status is None:
        raise ValueError(text)
    return status


status_name.__name__ = "status"  # argparse's message: "invalid status value: 'x'"


def register(sub) -> None:
    parser = sub.add_parser(
        "domains",
        help="every tenant's domains: owner, status, records, figures (table, JSON or CSV)",
        description="Every tenant's live sender domains with owner, status, records' state and figures, "
        "by name (the admin dump behind PowerMTA provisioning). Streams: safe to pipe into head, jq or a file.",
    )
    parser.add_argument("--user", dest="owner", metavar="NAME", help="only this tenant's domains")
    parser.add_argument(
        "--status", action="append", type=status_name, metavar="S",
        help="only domains with this status: enabled, disabled (paused), pending, suspended (repeatable)",
    )
    parser.add_argument("--format", choices=("table", "json", "jsonl", "csv"), default="table", help="output format (default: table)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    ctx = open_context(args)
    try:
        owner_id = None
        name = args.owner or args.user
        if name:
            user = users.find_user(name)
            if user is None:
                raise SettingsError(f"no user named {name!r}; see `senderdeck user list`")
            owner_id = user.id
        rows = dump_rows(ctx.settings, ctx.clock.now().date(), owner_id, args.status)
        WRITERS[args.format](rows, sys.stdout)
    finally:
        ctx.close()
    return 0


def as_dict(row: DumpRow) -> dict:
    f = row.figures
    return {
        "DomainID": row.domain_id,
        "SenderDomain": row.display_name,
        "ASCII": row.domain,
        "Owner": row.owner,
        "UserID": row.user_id,
        "Status": row.status,
        "SuspensionReason": row.suspension_reason,
        "CreatedAt": row.created_at,
        "LastVerifiedAt": row.last_verified_at,
        "RecordsVerified": row.records_verified,
        "RecordsTotal": row.records_total,
        "NotVerified": list(row.not_verified),
        "DkimSelector": row.dkim_selector,
        "MfromDomain": row.mfrom_domain,
        "Volume7d": f.volume_7d,
        "VolumeDelta": f.volume_delta,
        "Reputation": f.reputation,
        "ReputationBucket": f.reputation_bucket,
        "DeliveryRate": f.delivery_rate,
        "BounceRate": f.bounce_rate,
    }


# ---- JSON -------------------------------------------------------------------------------


def _json_line(row: DumpRow) -> str:
    return escape_in_json(json.dumps(as_dict(row), ensure_ascii=False))


def write_json(rows, out) -> None:
    """One JSON array, written as it is read: ``[``, one object per line, ``]``."""
    lines = (_json_line(row) for row in rows)
    first = next(lines, None)
    if first is None:
        out.write("[]\n")
        return
    out.write("[\n" + first)
    _write_in_batches(out, (",\n" + line for line in lines), "")
    out.write("\n]\n")


def write_jsonl(rows, out) -> None:
    _write_in_batches(out, (_json_line(row) for row in rows), "\n")


def _write_in_batches(out, pieces, end: str) -> None:
    """Write ``pieces`` (each followed by ``end``) a batch at a time, flushed: one write per
    batch instead of one per row, and the first rows out at once."""
    batch: list[str] = []
    for piece in pieces:
        batch.append(piece + end)
        if len(batch) >= FLUSH_EVERY:
            out.write("".join(batch))
            out.flush()
            batch = []
    if batch:
        out.write("".join(batch))


# ---- CSV --------------------------------------------------------------------------------

# A number as the dump writes one ("96", "-3%", "+12%", "99.4"): a spreadsheet reads it as a
# number, never as a formula, so it is left as it is.
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?%?")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|", "%")


def csv_cell(value) -> object:
    """A value safe in a spreadsheet: text that would start a formula gets a leading ``'``
    (OWASP's CSV injection advice); control characters are escaped."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = escape_control(value if isinstance(value, str) else str(value))
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


# The fields that hold text from tenants or operators; the others are numbers, statuses,
# times and figures senderdeck formats itself.
TEXT_FIELDS = ("SenderDomain", "ASCII", "Owner", "SuspensionReason", "NotVerified", "DkimSelector", "MfromDomain")


def write_csv(rows, out) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FIELDS)
    for count, row in enumerate(rows, 1):
        values = as_dict(row)
        values["NotVerified"] = " ".join(values["NotVerified"])
        for name in TEXT_FIELDS:
            values[name] = csv_cell(values[name])
        writer.writerow([values[name] for name in FIELDS])
        if count % FLUSH_EVERY == 0:  # a batch per write, flushed: the first rows out at once
            out.write(buffer.getvalue())
            out.flush()
            buffer.seek(0)
            buffer.truncate()
    out.write(buffer.getvalue())


# ---- table ------------------------------------------------------------------------------

COLUMNS = (  # header, width, right-aligned
    ("ID", 7, True), ("DOMAIN", 32, False), ("OWNER", 14, False), ("STATUS", 16, False), ("DNS", 5, True),
    ("REPUTATION", 14, False), ("VOL 7D", 11, True), ("CHANGE", 7, True), ("DELIV%", 7, True), ("BOUNCE%", 7, True),
)


def cell_width(text: str) -> int:
    """Columns ``text`` takes on a terminal (wide East Asian characters take two, combining
    marks none)."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def fit(text: str, width: int, right: bool = False) -> str:
    """``text`` (escaped first) cut with "…" to ``width`` columns and padded to it."""
    if text.isascii() and text.isprintable() and len(text) <= width:  # most cells: nothing to escape or measure
        return text.rjust(width) if right else text.ljust(width)
    text = escape_control(text)
    if cell_width(text) > width:
        out, used = [], 0
        for ch in text:
            w = 0 if unicodedata.combining(ch) else (2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1)
            if used + w > width - 1:
                break
            out.append(ch)
            used += w
        text = "".join(out) + "…"
    pad = " " * (width - cell_width(text))
    return pad + text if right else text + pad


def _table_cells(row: DumpRow) -> list[str]:
    f = row.figures
    reputation = f"{f.reputation} {f.reputation_bucket}" if f.reputation is not None else "—"
    return [
        str(row.domain_id), row.display_name, row.owner, row.status, f"{row.records_verified}/{row.records_total}",
        reputation, f"{f.volume_7d:,}", f.volume_delta or "—",
        f"{f.delivery_rate:.1f}" if f.delivery_rate is not None else "—",
        f"{f.bounce_rate:.1f}" if f.bounce_rate is not None else "—",
    ]


def write_table(rows, out) -> None:
    out.write("  ".join(fit(h, w, r) for h, w, r in COLUMNS).rstrip() + "\n")
    counted = [0]

    def lines():
        for row in rows:
            counted[0] += 1
            line = "  ".join(fit(c, w, r) for c, (_h, w, r) in zip(_table_cells(row), COLUMNS)).rstrip()
            if row.suspension_reason:
                line += "\n" + " " * (COLUMNS[0][1] + 2) + fit(f"suspended: {row.suspension_reason}", 100).rstrip()
            yield line

    _write_in_batches(out, lines(), "\n")
    out.write(f"{counted[0]:,} domain{'s' if counted[0] != 1 else ''}\n")


WRITERS = {"table": write_table, "json": write_json, "jsonl": write_jsonl, "csv": write_csv}
