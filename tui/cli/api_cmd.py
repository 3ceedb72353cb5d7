"""``senderdeck api COMMAND Key=Value …``: one spec command; prints its JSON body.

Exit status 0 on success, 1 on an API error (the body then holds ``Errors``).
"""

from __future__ import annotations

import os
import sys

from core.errors import SERVICE_UNAVAILABLE, ApiError, BackendUnavailable
from core.options import param
from tui.cli.common import dump_json, fail, open_context, resolve_user


def register(sub) -> None:
    parser = sub.add_parser(
        "api",
        help="run one API command and print its JSON",
        description="Run one user.senderdomain.* command. Example: senderdeck api user.senderdomain.get DomainID=12 days=7",
    )
    parser.add_argument("api_command", metavar="COMMAND", help="e.g. user.senderdomain.list (the 'user.senderdomain.' prefix may be left out)")
    parser.add_argument("params", metavar="Key=Value", nargs="*", help="command parameters")
    parser.set_defaults(handler=run)


def parse_params(pairs: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"{pair!r} is not Key=Value")
        params[key] = value
    return params


def run(args) -> int:
    try:
        params = parse_params(args.params)
    except ValueError as exc:
        return fail(str(exc))
    name = args.api_command
    if "." not in name:
        name = f"user.senderdomain.{name}"
    params["Command"] = name
    try:
        ctx = open_context(args)
    except BackendUnavailable as exc:  # answered as the API answers it: code 17
        print(dump_json(ApiError(SERVICE_UNAVAILABLE, str(exc), 503).to_json()))
        return 1
    try:
        key = args.api_key or os.environ.get("SENDERDECK_API_KEY")
        user = None
        if key:
            params["APIKey"] = key
        elif not param(params, "APIKey")[0]:  # a key given as a parameter is authenticated, in any casing
            user = resolve_user(ctx, args)
        status, body = ctx.api.dispatch(params, user=user)
    finally:
        ctx.close()
    print(dump_json(body))
    sys.stdout.flush()
    return 0 if status == 200 and body.get("Success") else 1
