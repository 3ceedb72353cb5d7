"""``senderdeck domain suspend|unsuspend|history DOMAIN``: the operator's actions on any
tenant's domain, recorded with the OS user who took them (core/operator.py).

DOMAIN is a DomainID or a name (Unicode or ASCII) of any tenant; a name several tenants hold
needs ``--user NAME``. Exit status: 0 done, 1 refused (the coded error's message: already
suspended, not suspended, not found), 2 a usage error.
"""

from __future__ import annotations

import json

from core import errors
from core.clock import format_datetime
from core.errors import ApiError
from core.operator import AmbiguousDomain, OperatorActions, current_actor
from core.plaintext import escape_control
from core.views import DomainView
from tui.cli.common import EXIT_USAGE, dump_json, fail, open_context


def register(sub) -> None:
    domain = sub.add_parser(
        "domain",
        help="an operator's actions on any tenant's domain: suspend, unsuspend, history",
        description="Act on any tenant's domain as the platform's operator. Every action is recorded "
        "with the OS user who took it and shown by `senderdeck domain history`.",
    )
    actions = domain.add_subparsers(dest="domain_command", metavar="ACTION", required=True)

    suspend = actions.add_parser(
        "suspend",
        help="suspend a domain (verify-all skips it, sendtest refuses it, its tenant cannot lift it)",
        description="Set the domain's Status to Suspended. Its tenant can neither resume, re-create nor "
        "verify it out of suspension; verify-all skips it and sendtest refuses it.",
    )
    _domain_argument(suspend)
    suspend.add_argument("--reason", required=True, help="why (recorded and shown with the domain)")
    suspend.set_defaults(handler=run_suspend)

    unsuspend = actions.add_parser(
        "unsuspend",
        help="lift a suspension: the domain goes back to Approval Pending until it is verified",
        description="Lift a suspension. The domain becomes Approval Pending; the next verify decides "
        "whether it is Enabled again.",
    )
    _domain_argument(unsuspend)
    unsuspend.add_argument("--reason", help="why (recorded)")
    unsuspend.set_defaults(handler=run_unsuspend)

    shown = actions.add_parser("history", help="what operators did to a domain, newest first")
    _domain_argument(shown)
    shown.add_argument("--json", action="store_true", help="print the events as JSON")
    shown.set_defaults(handler=run_history)


def _domain_argument(parser) -> None:
    parser.add_argument("domain", metavar="DOMAIN", help="DomainID or name, of any tenant")
    parser.add_argument(
        "--user", dest="owner", metavar="NAME", help="the tenant holding DOMAIN (needed when several hold the name)"
    )


def _find(ops: OperatorActions, args) -> DomainView:
    owner = getattr(args, "owner", None) or args.user  # `domain … --user X` or `--user X domain …`
    try:
        return ops.find(args.domain, owner)
    except AmbiguousDomain as exc:
        raise SystemExit(fail(f"{exc.message} with --user NAME", EXIT_USAGE)) from None
    except ApiError as exc:
        if exc.code != errors.NOT_FOUND:
            raise
        whose = f"user {owner} has no such live domain" if owner else "no tenant has it live"
        raise SystemExit(fail(f"error 2: Sender domain not found: {args.domain} ({whose}; `senderdeck domains` lists them)", 1)) from None


def _label(view: DomainView) -> str:
    return escape_control(f"{view.display_name} (DomainID {view.id}, user {view.owner})")


def run_suspend(args) -> int:
    return _change(args, lambda ops, view: ops.suspend(view.id, args.reason), lambda: f"— {escape_control(args.reason.strip())}")


def run_unsuspend(args) -> int:
    return _change(args, lambda ops, view: ops.unsuspend(view.id, args.reason), lambda: "(the next verify decides whether it is Enabled)")


def _change(args, act, said) -> int:
    """Find the domain, ``act`` on it as the operator, and print its new status and ``said()``."""
    ctx = open_context(args)
    try:
        ops = OperatorActions(ctx.service, current_actor())
        view = _find(ops, args)
        done = act(ops, view)
        print(f"{_label(view)}: {done.status} {said()}")
    finally:
        ctx.close()
    return 0


def run_history(args) -> int:
    ctx = open_context(args)
    try:
        ops = OperatorActions(ctx.service, current_actor())
        view = _find(ops, args)
        events = ops.history(view.id)
    finally:
        ctx.close()
    if args.json:
        print(dump_json({
            "DomainID": view.id, "SenderDomain": view.display_name, "Owner": view.owner, "Status": view.status,
            "History": [
                {"At": format_datetime(e.at), "Actor": e.actor, "Action": e.action, "Reason": e.reason, "Detail": e.detail}
                for e in events
            ],
        }))
        return 0
    print(f"{_label(view)}: {view.status}")
    if not events:
        print("  no operator actions recorded")
    for event in events:
        print("  " + escape_control(_event_line(event)))
    return 0


def _event_line(event) -> str:
    detail = event.detail or {}
    change = ""
    if detail.get("StatusBefore") and detail.get("Status") and detail["StatusBefore"] != detail["Status"]:
        change = f"{detail['StatusBefore']} -> {detail['Status']}"
    elif detail.get("Status"):
        change = str(detail["Status"])
    extra = []
    if event.action == "edit" and detail.get("Changed"):
        extra.append(json.dumps(detail["Changed"], ensure_ascii=False, sort_keys=True))
    if event.action == "send_test" and detail.get("To"):
        extra.append(f"to {detail['To']}")
    if event.reason:
        extra.append(f"reason: {event.reason}")
    parts = [format_datetime(event.at) + " UTC", event.actor, event.action, change, *extra]
    return "  ".join(p for p in parts if p)
