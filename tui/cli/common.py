"""What every subcommand shares: building Settings and the engine from flags, choosing the
acting user, printing JSON safely and turning errors into a message and an exit code."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import traceback
from typing import Any

from core import users
from core.context import Context, build_context
from core.errors import ApiError, BackendUnavailable, SettingsError, auth_failed
from core.models import User
from core.plaintext import escape_control, escape_in_json
from core.redaction import redact_urls
from core.settings import Settings, load_settings
from tui.cli import errorlog

EXIT_USAGE = 2  # a usage or configuration error
EXIT_SOFTWARE = 70  # a bug (sysexits' EX_SOFTWARE)
EXIT_TEMPFAIL = 75  # the database or Redis did not answer: try again (EX_TEMPFAIL)
EXIT_BROKEN_PIPE = 141  # as if killed by SIGPIPE, the shell's usual status



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
            raise auth_failed()
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


def resolve_viewer(ctx: Context, args) -> User | None:
    """Whose domains the terminal UI opens on: the user named by --api-key / --user (or
    their environment variables), the only user (created as "admin" on an empty database),
    or None — every tenant's, on a database with several users (local access to the
    database is operator access)."""
    if args.api_key or os.environ.get("SENDERDECK_API_KEY") or args.user or os.environ.get("SENDERDECK_USER"):
        return resolve_user(ctx, args)
    if User.select().count() > 1:
        return None
    return resolve_user(ctx, args, create_if_empty=True)


def dump_json(value: Any) -> str:
    """JSON for a terminal: Unicode kept readable, but C1 controls and bidi overrides escaped."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    return escape_in_json(text)


def fail(message: str, code: int = EXIT_USAGE) -> int:
    """One line on stderr (secrets masked, control characters escaped); returns ``code``."""
    print(f"senderdeck: {escape_control(redact_urls(message))}", file=sys.stderr)
    return code


@contextlib.contextmanager
def handle_errors(debug: bool = False):
    """Every failure is one line on stderr and an exit status, never a traceback:

    2 a usage or configuration error; 1 an API error; 75 the database or Redis did not
    answer (try again); 70 a bug: its traceback goes to the log (and to stderr with
    ``--debug``), the line names the log; 130 interrupted; 141 the reader of our output
    went away (``| head``): quietly.
    """
    errorlog.install()  # warnings and errors (an API call's code 16 included) go to the log
    try:
        yield
        sys.stdout.flush()  # a closed pipe shows here, not as noise at exit
    except BrokenPipeError:
        _discard_stdout()
        sys.exit(EXIT_BROKEN_PIPE)
    except SettingsError as exc:
        sys.exit(fail(str(exc)))
    except BackendUnavailable as exc:
        sys.exit(fail(str(exc), EXIT_TEMPFAIL))
    except ApiError as exc:
        sys.exit(fail(f"error {exc.code}: {exc.message}", 1))
    except KeyboardInterrupt:
        sys.exit(fail("interrupted", 130))
    except Exception as exc:
        sys.exit(_crashed(exc, debug))


def _discard_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _crashed(exc: Exception, debug: bool) -> int:
    handler = errorlog.install()
    logging.getLogger("senderdeck").critical("unexpected error in %s", " ".join(sys.argv[:2]), exc_info=exc)
    handler.flush()
    if debug:
        trace = "".join(traceback.format_exception(exc))
        print(redact_urls(trace), file=sys.stderr, end="")
    where = f"details in {errorlog.log_path()}" if handler.failed is None else f"the log could not be written ({handler.failed})"
    hint = "" if debug else "; --debug shows the traceback"
    return fail(f"unexpected error ({type(exc).__name__}: {exc}); {where}{hint}", EXIT_SOFTWARE)
