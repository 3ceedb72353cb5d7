"""``senderdeck user add NAME [--domain-limit N]`` / ``user list`` / ``user rotate-key NAME``."""

from __future__ import annotations

import peewee

from core import users
from core.models import STATUS_DELETED, SenderDomain, User
from tui.cli.common import fail, open_context


def register(sub) -> None:
    parser = sub.add_parser("user", help="manage API users")
    users = parser.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = users.add_parser("add", help="create a user and print its API key once")
    add.add_argument("name")
    add.add_argument("--domain-limit", type=int, metavar="N", help="sender domains this user may have (0: unlimited)")
    add.set_defaults(handler=add_user)
    lst = users.add_parser("list", help="list users")
    lst.set_defaults(handler=list_users)
    rotate = users.add_parser("rotate-key", help="replace a user's API key and print the new one")
    rotate.add_argument("name")
    rotate.set_defaults(handler=rotate_key)


def add_user(args) -> int:
    ctx = open_context(args)
    try:
        user, key = users.create_user(args.name, ctx.clock, domain_limit=args.domain_limit)
    finally:
        ctx.close()
    print(f"created user {user.name} (UserID {user.id})")
    print(f"API key (shown once, store it now): {key}")
    return 0


def list_users(args) -> int:
    ctx = open_context(args)
    try:
        counts = dict(
            SenderDomain.select(SenderDomain.user, peewee.fn.COUNT(SenderDomain.id))
            .where(SenderDomain.status != STATUS_DELETED)
            .group_by(SenderDomain.user)
            .tuples()
        )
        rows = list(User.select().order_by(User.id))
        default_limit = ctx.settings.domain_limit
    finally:
        ctx.close()
    if not rows:
        print("no users yet: create one with `senderdeck user add NAME`")
        return 0
    print(f"{'ID':>4}  {'NAME':<24} {'DOMAINS':>7}  {'LIMIT':>6}  PERMISSIONS")
    for user in rows:
        limit = user.domain_limit if user.domain_limit is not None else default_limit
        print(f"{user.id:>4}  {user.name:<24} {counts.get(user.id, 0):>7}  {limit or 'none':>6}  {','.join(user.permissions or [])}")
    return 0


def rotate_key(args) -> int:
    ctx = open_context(args)
    try:
        user = users.find_user(args.name)
        if user is None:
            return fail(f"no user named {args.name!r}")
        key = users.rotate_key(user)
    finally:
        ctx.close()
    print(f"new API key for {user.name} (shown once; the old key no longer works): {key}")
    return 0
