"""What every subcommand shares: building Settings and the engine from flags, choosing the
acting user, printing JSON safely and turning errors into a message and an exit code."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from typing import Any

from core import users
from core.context import Context, build_context
from core.errors import ApiError, SettingsError
from core.models import User
from core.settings import Settings, load_settings

_UNSAFE_IN_TERMINAL = re.compile(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def settings_from_args(args, **sections: dict[str, Any]) -> Settings:
    """Settings from the global flags; ``sections`` adds a command's own flags for a
    settings table (``server={"port": 8081}``)."""
    flags: dict[str, Any] = {
        "database": args.database,
        "nameservers": args.nameservers,
        "cache_url": args.cache_url,
        "demo": args.demo,
        **{name: values for name, values in sections.items() if values},
    }
    return load_settings(flags, config=args.config)


def open_context(args, **kwargs) -> Context:
    return build_context(settings_from_args(args), **kwargs)


def resolve_user(ctx: Context, args, *, create_if_empty: bool = False) -> User:
    """The acting user: --api-key / SENDERDECK_API_KEY, --user / SENDERDECK_USER, or the only one."""
    key = args.api_key or os.environ.get("SENDERDECK_API_KEY")
    if key:
        user = users.authenticate(key)
        if user is None:
            raise ApiError(0, "Authentication failed", 401)
        return user
    name = args.user or os.environ.get("SENDERDECK_USER")
    if name:
        user = users.find_user(name)
        if user is None:
            raise SettingsError(f"no user named {name!r}; see `senderdeck user list`")
        return user
    user = users.sole_user()
    if user is not None:
        return user
    if create_if_empty and User.select().count() == 0:
        created, _key = users.create_user("admin", ctx.clock)
        return created
    count = User.select().count()
    if count == 0:
        raise SettingsError("no users yet: create one with `senderdeck user add NAME`")
    raise SettingsError(f"{count} users: choose one with --api-key, --user NAME or SENDERDECK_API_KEY")


def dump_json(value: Any) -> str:
    """JSON for a terminal: Unicode kept readable, but C1 controls and bidi overrides escaped."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    return _UNSAFE_IN_TERMINAL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def fail(message: str, code: int = 2) -> int:
    print(f"senderdeck: {message}", file=sys.stderr)
    return code


@contextlib.contextmanager
def handle_errors():
    """Known failures become one line on stderr and exit status 2, never a traceback."""
    try:
        yield
    except SettingsError as exc:
        sys.exit(fail(str(exc)))
    except ApiError as exc:
        sys.exit(fail(f"error {exc.code}: {exc.message}", 1))
    except KeyboardInterrupt:
        sys.exit(fail("interrupted", 130))
