"""``senderdeck sweep``: re-verify every tenant's domains, report drift, exit for monitors.

Exit status, as monitoring plugins read it: 0 all good; 1 a domain in scope is drifted
(found by this sweep, or by an earlier one and not cleared since); 2 an error — the sweep
could not run (settings, database, resolver settings), or the platform's own records are
broken or could not be checked (the resolver is down). The summary goes to stdout (``--json``: one JSON object); progress to stderr on a
terminal.
"""

from __future__ import annotations

import logging
import sys
import time

import peewee

from core import drift as drift_rules
from core import users
from core.errors import SenderdeckError
from core.plaintext import escape_control
from tui.cli import errorlog
from tui.cli.common import dump_json, fail, open_context

EXIT_OK, EXIT_DRIFT, EXIT_ERROR = 0, 1, 2
# Domains named per kind in the text summary (--json names them all).
SHOWN_PROBLEMS = 100  # drifted, demoted, still drifted
SHOWN_OTHERS = 20  # newly Enabled, recovered, could not check
PROGRESS_EVERY = 0.25  # seconds between progress lines
DEFAULT_OLDER_THAN = "6h"


def register(sub) -> None:
    parser = sub.add_parser(
        "sweep",
        help="re-verify every tenant's Enabled and pending domains; report drift (exit 0 ok, 1 drift, 2 error)",
        description="Re-verify every tenant's Enabled and Approval Pending domains whose last check is older "
        "than --older-than, through the same verifier as user.senderdomain.verify, at full DNS concurrency. "
        "Pending domains whose records match become Enabled; an Enabled domain with a record now "
        "mismatched or missing is reported as drifted and stays Enabled (--demote: drifted on 3 sweeps "
        "at least 24 h apart makes it Approval Pending). The platform's own records are checked too. "
        "Exit status: 0 all good, 1 drift found, 2 error (or the platform's records are broken).",
    )
    parser.add_argument(
        "--older-than",
        metavar="AGE",
        default=DEFAULT_OLDER_THAN,
        help="check domains not checked for this long: 6h (default), 30m, 2d, 0 for every domain",
    )
    parser.add_argument("--user", dest="sweep_user", metavar="NAME", help="only this user's domains")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--demote", action="store_true", help="make domains drifted on 3 sweeps >= 24 h apart Approval Pending")
    parser.add_argument("--platform-only", action="store_true", help="check only the platform's own records")
    parser.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from core.sweep import Sweep, parse_age

    try:
        older_than = parse_age(args.older_than)
    except ValueError as exc:
        return fail(f"--older-than: {exc}", EXIT_ERROR)
    try:
        ctx = open_context(args)
    except SenderdeckError as exc:
        return fail(str(exc), EXIT_ERROR)
    try:
        name = args.sweep_user or args.user
        scope = None
        if name:
            scope = users.find_user(name)
            if scope is None:
                return fail(f"no user named {name!r}; see `senderdeck user list`", EXIT_ERROR)
        progress = None if args.json or args.no_progress or not sys.stderr.isatty() else ProgressLine()
        sweep = Sweep(
            ctx,
            older_than=older_than,
            user=scope,
            demote=args.demote,
            domains=not args.platform_only,
            progress=progress,
        )
        try:
            report = sweep.run_sync()
        finally:
            if progress is not None:
                progress.close()
    except (SenderdeckError, peewee.DatabaseError) as exc:
        return fail(f"sweep failed: {exc}", EXIT_ERROR)
    except (KeyboardInterrupt, BrokenPipeError):
        raise
    except Exception as exc:  # a bug: logged with its traceback, still exit 2 for the monitor
        handler = errorlog.install()
        logging.getLogger("senderdeck").critical("unexpected error in sweep", exc_info=exc)
        handler.flush()
        return fail(f"sweep failed: unexpected error ({type(exc).__name__}: {exc}); details in {errorlog.log_path()}", EXIT_ERROR)
    finally:
        ctx.close()
    print(dump_json(report.to_json()) if args.json else format_report(report, platform_only=args.platform_only))
    return report.exit_code


class ProgressLine:
    """One line on stderr, rewritten at most every ``PROGRESS_EVERY`` seconds."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.shown = 0.0

    def __call__(self, report) -> None:
        now = time.monotonic()
        if now - self.shown < PROGRESS_EVERY:
            return
        self.shown = now
        counts = report.counts
        self.stream.write(
            f"\rsweep: {report.checked:,}/{report.due:,} domains · {counts.get(drift_rules.DRIFTED, 0):,} drifted · "
            f"{counts.get(drift_rules.ENABLED, 0):,} newly Enabled · {counts.get(drift_rules.COULD_NOT, 0):,} could not check"
        )
        self.stream.flush()

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _plain(text: object) -> str:
    return escape_control(str(text))


def _who(finding) -> str:
    return f"{_plain(finding.display_name)} (user {_plain(finding.user)}, DomainID {finding.domain_id})"


def _order(finding) -> tuple:
    return (finding.display_name, finding.domain_id)


def _more(lines: list[str], items: list, shown: int) -> None:
    if len(items) > shown:
        lines.append(f"  … and {len(items) - shown:,} more (--json lists them all)")


def format_report(report, *, platform_only: bool = False) -> str:
    lines = []
    if not platform_only:
        rate = report.queries / report.wall if report.wall > 0 else 0.0
        lines.append(
            f"sweep: {report.checked:,} of {report.due:,} due domains checked in {report.wall:.1f} s "
            f"({report.queries:,} DNS queries, {rate:,.0f}/s)"
            + (" — interrupted" if report.interrupted else "")
        )
        for label, outcome in (
            ("newly Enabled", drift_rules.ENABLED),
            ("drifted", drift_rules.DRIFTED),
            ("recovered", drift_rules.RECOVERED),
            ("demoted", drift_rules.DEMOTED),
            ("could not check", drift_rules.COULD_NOT),
        ):
            lines.append(f"  {label}: {len(report.of(outcome)):,}")
        lines.append(f"  still drifted (found by an earlier sweep, not re-checked or could not check now): {len(report.still_drifted):,}")
    broken = report.platform_broken
    unknown = [p for p in report.platform if p.state == "could_not_check"]
    if report.platform:
        state = f"{len(broken)} broken" if broken else ("could not check everything" if unknown else "ok")
        lines.append(f"platform: {state} ({len(report.platform)} checks)")
    for p in report.platform:
        if p.state != "ok" or platform_only:
            lines.append(f"  PLATFORM {p.state.upper()} {p.check} {_plain(p.host)}: {_plain(p.detail)}")
            if p.fix and p.state != "ok":
                lines.append(f"    fix: {_plain(p.fix)}")
    problems = sorted(report.of(drift_rules.DRIFTED) + report.of(drift_rules.DEMOTED) + report.still_drifted, key=_order)
    for finding in problems[:SHOWN_PROBLEMS]:
        label = {"drifted": "DRIFTED", "demoted": "DEMOTED"}.get(finding.outcome, "STILL DRIFTED")
        drift = finding.drift
        head = f"{label} {_who(finding)}"
        if finding.outcome == drift_rules.DEMOTED:
            head += " → Approval Pending"
        if drift is not None:
            head += f"; drifted since {drift.since:%Y-%m-%d %H:%M} UTC, on {drift.streak} sweep{'s' if drift.streak != 1 else ''} >= 24 h apart"
        lines.append(head)
        for record in drift.records if drift is not None else ():
            found = ", ".join(_plain(v) for v in record.found) or "nothing"
            lines.append(f"  {_plain(record.host)} {record.type} {record.state}: found {found}")
            if record.reason:
                lines.append(f"    {_plain(record.reason)}")
    _more(lines, problems, SHOWN_PROBLEMS)
    unchecked = sorted(report.of(drift_rules.COULD_NOT), key=_order)
    for finding in unchecked[:SHOWN_OTHERS]:
        what = "; ".join(f"{_plain(h)}: {_plain(r)}" for h, r in finding.unchecked) or "some records"
        lines.append(f"COULD NOT CHECK {_who(finding)}: {what}")
    _more(lines, unchecked, SHOWN_OTHERS)
    for label, outcome in (("NEWLY ENABLED", drift_rules.ENABLED), ("RECOVERED", drift_rules.RECOVERED)):
        found = sorted(report.of(outcome), key=_order)
        for finding in found[:SHOWN_OTHERS]:
            lines.append(f"{label} {_who(finding)}")
        _more(lines, found, SHOWN_OTHERS)
    return "\n".join(lines)
