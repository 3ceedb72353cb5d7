"""``senderdeck import pmta|csv FILE…``: delivery logs into daily stats.

A file counts once however often it is imported: each import counts only what the last one
did not (a file is known by its content; a log that grew adds its new lines, a rotated or
gzipped copy its unseen tail). ``--follow FILE|DIR`` keeps reading as files grow; ``-`` reads
PowerMTA's accounting pipe from standard input. A progress bar goes to stderr when stderr is
a terminal; a summary per file goes to stdout (``--json``: one JSON object per run, or one
per line when following). Exit status: 0 when every file was imported (or had nothing new,
or another import was counting it), 1 when any file failed (nothing of that file was written).
"""

from __future__ import annotations

import json
import signal
import sys
import time

from core.importers import DEFAULT_WAIT, FAILED, SKIPPED, importer
from core.importers.claims import describe
from core.importers.streams import COMMIT_EVERY, PipeReader, Stop, follow
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
        "DeliveryRate and BounceRate. Every row counts once: a file imported again adds only what is new.",
    )
    kinds = parser.add_subparsers(dest="import_kind", metavar="KIND", required=True)
    for kind, help_text in KIND_HELP.items():
        p = kinds.add_parser(kind, help=help_text, description=help_text)
        p.add_argument("files", metavar="FILE", nargs="*", help="files to import (- for standard input: a pipe)")
        p.add_argument("--follow", metavar="FILE|DIR", help="keep importing the file, or the files in the directory, as they grow")
        p.add_argument(
            "--every", metavar="SECONDS", type=seconds, default=COMMIT_EVERY,
            help=f"with --follow or -: commit every SECONDS (default {COMMIT_EVERY:g})",
        )
        p.add_argument(
            "--wait", metavar="SECONDS", type=seconds, default=DEFAULT_WAIT,
            help=f"wait up to SECONDS for another import of the same file, then skip it (default {DEFAULT_WAIT:g})",
        )
        p.add_argument("--json", action="store_true", help="print the summaries as JSON")
        p.add_argument("--no-progress", action="store_true", help="no progress bar, even on a terminal")
        p.set_defaults(handler=run, import_kind=kind, parser=p)


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (0 <= value <= 86_400):
        raise ValueError(text)
    return value


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
    if summary.note:
        lines.append(f"  {_plain(summary.note)}")
    if summary.status == "failed":
        lines.append(f"  error: {_plain(summary.error or 'unknown')}; nothing from this file was written")
        return "\n".join(lines)
    if summary.status == "skipped":
        return "\n".join(lines)
    if summary.status == "already imported":
        lines.append(f"  {_plain(summary.previous or '')}; nothing counted again")
        return "\n".join(lines)
    if summary.previous:
        lines.append(f"  continued after byte {summary.start:,} ({_plain(summary.previous)})")
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
    if summary.pending_bytes:
        lines.append(f"  the last {summary.pending_bytes:,} bytes are not a whole line yet: the next import counts them")
    return "\n".join(lines)


def run(args) -> int:
    if args.follow and args.files:
        args.parser.error("give files, or --follow FILE|DIR, not both")
    if not args.follow and not args.files:
        args.parser.error("give one or more files, - for standard input, or --follow FILE|DIR")
    if "-" in args.files and len(args.files) > 1:
        args.parser.error("- (standard input) is read alone")
    ctx = open_context(args)
    try:
        if args.follow:
            return _follow(ctx, args)
        if args.files == ["-"]:
            return _pipe(ctx, args)
        return _files(ctx, args)
    finally:
        ctx.close()


def _files(ctx, args) -> int:
    summaries = []
    on_terminal = sys.stderr.isatty() and not args.no_progress
    for path in args.files:
        bar = ProgressBar(path) if on_terminal else None
        waiting = _say_waiting(path) if on_terminal else None
        try:
            summary = importer(
                args.import_kind, settings=ctx.settings, clock=ctx.clock, progress=bar, wait=args.wait, on_wait=waiting
            ).import_path(path)
        finally:
            if bar is not None:
                bar.close()
        summaries.append(summary)
        if not args.json:
            print(format_summary(summary), flush=True)
    if args.json:
        print(dump_json({"Files": [s.as_dict() for s in summaries]}))
    elif len(summaries) > 1:
        total_read = sum(s.rows_read for s in summaries)
        total_imported = sum(s.rows_imported for s in summaries)
        failed = sum(1 for s in summaries if not s.ok)
        print(f"{len(summaries)} files: {total_read:,} rows read, {total_imported:,} imported, {failed} failed")
    return 0 if all(s.ok for s in summaries) else 1


def _follow(ctx, args) -> int:
    stop = _stop_on_signals()
    failures = []

    def report(summary) -> None:
        if summary.status == FAILED:
            failures.append(summary)
        _print_commit(summary, args.json)

    follow(
        args.follow,
        importer(args.import_kind, settings=ctx.settings, clock=ctx.clock),
        stop=stop,
        report=report,
        every=args.every,
    )
    return 0


def _pipe(ctx, args) -> int:
    stop = _stop_on_signals()
    reader = PipeReader(importer(args.import_kind, settings=ctx.settings, clock=ctx.clock), name="(standard input)")
    total = reader.run(sys.stdin.fileno(), stop=stop, report=lambda s: _print_commit(s, args.json), every=args.every)
    if args.json:
        print(json.dumps(total.as_dict(), ensure_ascii=True), flush=True)
    else:
        print(format_summary(total), flush=True)
    return 0 if total.ok else 1


def _stop_on_signals() -> Stop:
    """SIGTERM and SIGINT end a follow or a pipe after committing what was read."""
    stop = Stop()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    return stop


def _say_waiting(path: str):
    def on_wait(holder) -> None:
        sys.stderr.write(
            f"{_plain(path)}: waiting for {_plain(describe(holder.owner))}, which is importing it"
            f" (as {_plain(holder.name)})…\n"
        )
        sys.stderr.flush()

    return on_wait


def _print_commit(summary, as_json: bool) -> None:
    """One line per commit of a follow or a pipe."""
    if as_json:
        print(json.dumps(summary.as_dict(), ensure_ascii=True), flush=True)
        return
    stamp = time.strftime("%H:%M:%S")
    if summary.status == FAILED:
        print(f"{stamp} {_plain(summary.path)}: failed: {_plain(summary.error or 'unknown')}", flush=True)
    elif summary.status == SKIPPED:
        print(f"{stamp} {_plain(summary.path)}: skipped: {_plain(summary.note or '')}", flush=True)
    else:
        print(
            f"{stamp} {_plain(summary.path)}: +{summary.rows_read:,} rows read, {summary.rows_imported:,} imported, "
            f"{summary.rows_skipped:,} skipped",
            flush=True,
        )
