"""``senderdeck import pmta FILE…`` / ``senderdeck import csv FILE…``: delivery logs into daily stats.

Each file is imported in its own transaction and counted once however often it is imported
(by content). A progress bar goes to stderr when stderr is a terminal; a summary per file
goes to stdout (``--json`` for one JSON object per run). Exit status: 0 when every file was
imported or had been already, 1 when any file failed (nothing of that file was written).
"""

from __future__ import annotations

import sys
import time

from core.importers import import_file
from core.plaintext import escape_control
from tui.cli.common import dump_json, open_context

KIND_HELP = {
    "pmta": "PowerMTA accounting CSV files (acct-*.csv, header row naming the fields; .gz accepted)",
    "csv": "plain daily CSV files: date,domain,sent,delivered,bounced,complaints",
}
BAR_WIDTH = 30


def register(sub) -> None:
    parser = sub.add_parser(
        "import",
        help="import delivery logs into daily stats",
        description="Import delivery logs into the per-domain daily stats behind Volume7d, Reputation, "
        "DeliveryRate and BounceRate. The same file imported twice counts once.",
    )
    kinds = parser.add_subparsers(dest="import_kind", metavar="KIND", required=True)
    for kind, help_text in KIND_HELP.items():
        p = kinds.add_parser(kind, help=help_text, description=help_text)
        p.add_argument("files", metavar="FILE", nargs="+", help="files to import, each in one transaction")
        p.add_argument("--json", action="store_true", help="print the summaries as JSON")
        p.add_argument("--no-progress", action="store_true", help="no progress bar, even on a terminal")
        p.set_defaults(handler=run, import_kind=kind)


class ProgressBar:
    """``name [#####-----] 45%  123,456 rows`` redrawn in place on stderr, at most 10 times a second."""

    def __init__(self, name: str, stream=None) -> None:
        self.name = _plain(name)[-40:]
        self.stream = stream or sys.stderr
        self._last = 0.0

    def __call__(self, done: int, total: int, rows: int) -> None:
        now = time.monotonic()
        if now - self._last < 0.1 and done < total:
            return
        self._last = now
        fraction = min(1.0, done / total) if total else 1.0
        filled = int(fraction * BAR_WIDTH)
        self.stream.write(f"\r{self.name} [{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {fraction:4.0%} {rows:>12,} rows")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\r\x1b[K")
        self.stream.flush()


def _plain(text: str) -> str:
    """A file name or value from a log, safe to print: control and bidi characters escaped."""
    return escape_control(text)


def format_summary(summary) -> str:
    lines = [f"{summary.kind} {_plain(summary.path)}: {summary.status}"]
    if summary.status == "failed":
        lines.append(f"  error: {_plain(summary.error or 'unknown')}; nothing from this file was written")
        return "\n".join(lines)
    if summary.status == "already imported":
        lines.append(f"  {_plain(summary.previous or '')}; nothing counted again")
        return "\n".join(lines)
    rate = summary.rows_read / summary.seconds if summary.seconds > 0 else 0
    lines.append(f"  rows read      {summary.rows_read:>12,}   ({summary.seconds:.2f} s, {rate:,.0f} rows/s)")
    lines.append(f"  imported       {summary.rows_imported:>12,}   into {summary.stat_rows:,} domain-day rows")
    lines.append(f"  skipped        {summary.rows_skipped:>12,}")
    for reason, count in summary.skipped.most_common():
        lines.append(f"    {reason:<28} {count:>10,}")
    if summary.malformed_lines:
        total = summary.skipped.get("malformed", 0)
        shown = summary.malformed_lines[:10]
        lines.append(f"  malformed rows{f' (the first {len(shown)} of {total:,})' if total > len(shown) else ''}:")
        for line, reason in shown:
            lines.append(f"    line {line}: {_plain(reason)}")
    if summary.unknown_domains:
        lines.append("  unknown sender domains (add them, or check the log's From / envelope sender):")
        ranked = summary.unknown_domains.most_common()
        for name, count in ranked[:10]:
            lines.append(f"    {_plain(name):<40} {count:>10,}")
        rest_rows = sum(count for _, count in ranked[10:]) + summary.unknown_other
        if rest_rows:
            lines.append(f"    … and {rest_rows:,} rows for {len(ranked) - 10:,}{'+' if summary.unknown_other else ''} other domains")
    return "\n".join(lines)


def run(args) -> int:
    ctx = open_context(args)
    summaries = []
    try:
        show_bar = sys.stderr.isatty() and not args.no_progress
        for path in args.files:
            bar = ProgressBar(path) if show_bar else None
            try:
                summary = import_file(path, args.import_kind, settings=ctx.settings, clock=ctx.clock, progress=bar)
            finally:
                if bar is not None:
                    bar.close()
            summaries.append(summary)
            if not args.json:
                print(format_summary(summary), flush=True)
    finally:
        ctx.close()
    if args.json:
        print(dump_json({"Files": [s.as_dict() for s in summaries]}))
    elif len(summaries) > 1:
        total_read = sum(s.rows_read for s in summaries)
        total_imported = sum(s.rows_imported for s in summaries)
        failed = sum(1 for s in summaries if not s.ok)
        print(f"{len(summaries)} files: {total_read:,} rows read, {total_imported:,} imported, {failed} failed")
    return 0 if all(s.ok for s in summaries) else 1
