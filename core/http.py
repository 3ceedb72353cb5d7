"""The spec's HTTP routes over ``core.api``: a thin Starlette adapter.

Method and path choose the command (``/api.php`` takes it from ``Command``); parameters come
from the query string and a JSON or form body, merged; ``Authorization: Bearer KEY`` stands
for ``APIKey``. Everything else — authentication, rate limits, validation, the JSON bodies
and their HTTP statuses — is ``Api.dispatch_async``'s. Every answer, errors included, is
coded JSON: one exception handler turns 404, 405, bad bodies and bugs into the spec's
``{"Errors": [...]}`` shape, never an HTML page or a traceback.

Nothing else in ``core`` imports this module; ``senderdeck serve`` (tui/cli/serve_cmd.py)
runs ``create_app`` under uvicorn. ``GET /metrics`` is core/metrics.py's Prometheus text.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Mapping
from urllib.parse import parse_qsl, unquote_plus

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from core import errors
from core.api import backend_outage
from core.context import Context
from core.db import is_sqlite
from core.errors import ApiError

log = logging.getLogger(__name__)

LEGACY_PATH = "/api.php"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
# Method + path -> command, exactly as the spec's curl examples (and README's routes table).
API_ROUTES: dict[str, dict[str, str]] = {
    "/api/v1/user.senderdomains": {"GET": "user.senderdomain.list"},
    "/api/v1/user.senderdomain": {
        "GET": "user.senderdomain.get",
        "POST": "user.senderdomain.create",
        "PATCH": "user.senderdomain.update",
        "DELETE": "user.senderdomain.delete",
    },
    "/api/v1/user.senderdomain.verify": {"POST": "user.senderdomain.verify"},
    "/api/v1/user.senderdomain.dns": {"GET": "user.senderdomain.dns"},
    "/api/v1/user.senderdomain.sendtest": {"POST": "user.senderdomain.sendtest"},
    "/api/v1/user.senderdomain.dnshost": {"GET": "user.senderdomain.dnshost"},
}
HEALTH_TIMEOUT = 5.0  # seconds a health check waits for the database and Redis
MAX_FORM_FIELDS = 1000
_METHOD_ORDER = ["GET", "HEAD", "POST", "PATCH", "DELETE"]
_DEFAULT_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
# Access-log redaction: parameters named like a secret, anything shaped like a senderdeck key.
_SECRET_NAME = re.compile(r"key|pass|token|secret|session|auth", re.IGNORECASE)
_KEY_LOOKALIKE = re.compile(r"sdk_[A-Za-z0-9_%-]+")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


# ---- responses -----------------------------------------------------------------------------


def json_response(status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> Response:
    """A JSON answer with the headers every API answer carries; a 429 says when to retry
    (``headers``' Retry-After, or a minute), a 401 how to authenticate."""
    all_headers = {**_DEFAULT_HEADERS, **(headers or {})}
    if status == 429:
        all_headers.setdefault("Retry-After", "60")  # the command said when, or a whole window
    elif status == 401:
        all_headers.setdefault("WWW-Authenticate", 'Bearer realm="senderdeck"')
    return JSONResponse(dict(body), status_code=status, headers=all_headers)


def error_response(code: int, message: str, status: int, headers: Mapping[str, str] | None = None) -> Response:
    return json_response(status, ApiError(code, message, status).to_json(), headers)


def _shown(text: str, limit: int = 200) -> str:
    """Request text echoed in a message: control characters escaped, length bounded."""
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", text[:limit])


def command_of(request: Request, params: Mapping[str, Any] | None = None) -> str:
    """The command a request names, for the request counter: from its method and path, or
    from ``Command`` on the legacy endpoint; "unknown" for anything else (a bounded set)."""
    from core.api import COMMANDS

    commands = API_ROUTES.get(request.url.path)
    if commands is not None:
        return commands.get(request.method if request.method != "HEAD" else "GET", "unknown")
    if params is not None:
        present, name = _get(params, "Command")
        if present and isinstance(name, str) and name.strip().lower() in COMMANDS:
            return name.strip().lower()
    return "unknown"


def count_request(request: Request, command: str, body: Mapping[str, Any]) -> None:
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None and request.url.path not in (HEALTH_PATH, METRICS_PATH):
        metrics.request(command, dict(body))


async def handle_error(request: Request, exc: Exception) -> Response:
    """The one exception handler: every failure becomes the spec's coded error body."""
    response = _error_answer(request, exc)
    count_request(request, command_of(request), json.loads(response.body))
    return response


def _error_answer(request: Request, exc: Exception) -> Response:
    if isinstance(exc, ApiError):
        return error_response(exc.code, exc.message, exc.http_status)
    if isinstance(exc, ClientDisconnect):  # gone before its body arrived: nobody reads this answer
        return error_response(errors.INVALID_PARAMETER, "The client went away before sending the whole request", 400)
    if isinstance(exc, HTTPException):
        if exc.status_code == 405:
            offered = {m.strip() for m in (exc.headers or {}).get("Allow", "").split(",") if m.strip()}
            allowed = ", ".join(sorted(offered, key=lambda m: (_METHOD_ORDER.index(m) if m in _METHOD_ORDER else 99, m)))
            return error_response(
                errors.UNKNOWN_COMMAND,
                f"Method {_shown(request.method, 16)} is not allowed on {_shown(request.url.path)}; allowed: {allowed}",
                405,
                {"Allow": allowed},
            )
        if exc.status_code == 404:
            return error_response(
                errors.UNKNOWN_COMMAND,
                f"No such endpoint {_shown(request.url.path)}; see the routes in README (e.g. GET /api/v1/user.senderdomains)",
                404,
            )
        return error_response(errors.INVALID_PARAMETER, f"Bad request: {exc.detail}", exc.status_code)
    # A bug in this adapter (the API catches its own): uvicorn logs the traceback, the caller
    # gets a coded 500.
    return error_response(errors.INTERNAL_ERROR, f"Internal error ({type(exc).__name__}); see the server log", 500)


# ---- parameters ----------------------------------------------------------------------------


def _bad_body(message: str, status: int = 400) -> ApiError:
    return ApiError(errors.INVALID_PARAMETER, message, status)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it is known to exceed ``limit`` bytes:
    by its Content-Length before reading anything, or while it streams in."""
    headers = request.headers
    declared = headers.get("content-length")
    if declared is None and "transfer-encoding" not in headers:
        return b""  # HTTP/1.1: no length and no chunks means no body (most GETs)
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise _bad_body(f"Request body is larger than {limit} bytes", 413)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _bad_body(f"Request body is larger than {limit} bytes", 413)
        chunks.append(chunk)
    return b"".join(chunks)


def parse_body(body: bytes, content_type: str) -> dict[str, Any]:
    """A JSON object body, or a form body; a body in any other form is refused (415)."""
    if not body.strip():
        return {}
    media_type = content_type.split(";", 1)[0].strip().lower()
    is_json = media_type == "application/json" or media_type.endswith("+json")
    # `curl -d '{…}'` without -H sends JSON labelled as a form (or unlabelled): read it as JSON.
    if media_type in ("", "application/x-www-form-urlencoded") and body.lstrip().startswith(b"{"):
        is_json = True
    if is_json:
        try:
            value = json.loads(body)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8 text" if isinstance(exc, UnicodeError) else "nested too deeply"
            raise _bad_body(f"Request body is not valid JSON ({reason})") from None
        if not isinstance(value, dict):
            raise _bad_body(f"Request body must be a JSON object of parameters, not a JSON {type(value).__name__}")
        return value
    if media_type in ("", "application/x-www-form-urlencoded"):
        try:
            text = body.decode("utf-8")
            # The same parser Starlette reads query strings with.
            return dict(parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS, errors="strict"))
        except UnicodeError:
            raise _bad_body("Form body is not UTF-8 text") from None
        except ValueError:
            raise _bad_body(f"Form body has more than {MAX_FORM_FIELDS} fields") from None
    raise _bad_body(
        f"Unsupported Content-Type {media_type[:80]!r}: send application/json or application/x-www-form-urlencoded",
        415,
    )


def merge(*sources: Mapping[str, Any]) -> dict[str, Any]:
    """Later sources win; a name replaces earlier spellings of itself (names are
    case-insensitive, as in the CLI)."""
    merged: dict[str, Any] = {}
    for source in sources:
        for key, value in source.items():
            for old in [k for k in merged if k.lower() == key.lower()]:
                del merged[old]
            merged[key] = value
    return merged


def _get(params: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    for key, value in params.items():
        if key.lower() == name.lower():
            return True, value
    return False, None


def bearer_key(authorization: str | None) -> str | None:
    """The key of ``Authorization: Bearer KEY``; None without the header."""
    if authorization is None:
        return None
    scheme, _, key = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ApiError(0, "Authentication failed: the Authorization header must be 'Bearer KEY'", 401)
    return key.strip()


async def request_params(request: Request, limit: int) -> dict[str, Any]:
    """Query string, then body, then the Authorization header's key as APIKey."""
    if len(request.scope.get("query_string", b"")) > limit:
        raise _bad_body(f"Query string is longer than {limit} bytes", 414)
    body = parse_body(await read_body(request, limit), request.headers.get("content-type", ""))
    params = merge(request.query_params, body)
    key = bearer_key(request.headers.get("authorization"))
    if key is not None:
        present, given = _get(params, "APIKey")
        if present and given != key:
            raise ApiError(0, "Authentication failed: APIKey and the Authorization header name different keys", 401)
        params = merge(params, {"APIKey": key})
    return params


# ---- endpoints -----------------------------------------------------------------------------


def command_endpoint(ctx: Context, commands: Mapping[str, str] | None, limit: int):
    """An endpoint running the command its method names (``commands``), or, for the legacy
    endpoint (None), the one ``Command`` names."""

    async def endpoint(request: Request) -> Response:
        params = await request_params(request, limit)
        if commands is not None:
            command = commands[request.method if request.method != "HEAD" else "GET"]
            present, given = _get(params, "Command")
            if present and (not isinstance(given, str) or given.strip().lower() != command):
                raise ApiError(
                    errors.UNKNOWN_COMMAND,
                    f"Command {_shown(str(given), 80)!r} does not match {request.method} {request.url.path} ({command}); "
                    f"leave Command out, or send it to {LEGACY_PATH}",
                    400,
                )
            params = merge(params, {"Command": command})
        reply = await ctx.api.reply_async(params)
        count_request(request, command_of(request, params), reply.body)
        retry = {"Retry-After": str(reply.retry_after)} if reply.retry_after is not None else None
        return json_response(reply.status, reply.body, retry)

    return endpoint


def check_backends(ctx: Context) -> None:
    """Raise unless the database (and Redis, when configured) answer; runs in a thread."""
    try:
        ctx.database.execute_sql("SELECT 1").fetchall()
    except Exception:
        # A connection the server dropped stays broken in this thread: open a new one next time.
        with contextlib.suppress(Exception):
            ctx.database.close()
        raise
    redis = getattr(ctx.cache, "redis", None)
    if redis is not None:
        redis.ping()


def health_endpoint(ctx: Context):
    async def healthz(request: Request) -> Response:
        try:
            await asyncio.wait_for(run_in_threadpool(check_backends, ctx), HEALTH_TIMEOUT)
        except asyncio.TimeoutError:
            reason = f"the database or Redis did not answer within {HEALTH_TIMEOUT:g} s"
        except Exception as exc:
            reason = backend_outage(exc) or f"{type(exc).__name__}"
            log.warning("health check failed: %s", reason)
        else:
            return json_response(200, {"status": "ok"})
        return json_response(503, {"status": "unavailable", **ApiError(errors.SERVICE_UNAVAILABLE, reason, 503).to_json()})

    return healthz


def metrics_endpoint(exposition):
    """Prometheus's text format (core/metrics.py); no key needed, like /healthz."""

    async def metrics(request: Request) -> Response:
        body, content_type = await run_in_threadpool(exposition.render)
        return Response(body, headers={**_DEFAULT_HEADERS, "Content-Type": content_type})

    return metrics


def build_routes(ctx: Context, exposition=None) -> list[BaseRoute]:
    limit = ctx.settings.server.max_body_bytes
    routes: list[BaseRoute] = [
        Route(path, command_endpoint(ctx, commands, limit), methods=list(commands)) for path, commands in API_ROUTES.items()
    ]
    routes.append(Route(LEGACY_PATH, command_endpoint(ctx, None, limit), methods=["GET", "POST"]))
    routes.append(Route(HEALTH_PATH, health_endpoint(ctx), methods=["GET"]))
    if exposition is not None:
        routes.append(Route(METRICS_PATH, metrics_endpoint(exposition), methods=["GET"]))
    return routes


def pin_to_one_cpu() -> int | None:
    """Keep this worker process (the thread calling, and the threads it starts after) on one
    of the CPUs it may use, chosen by its pid so that several workers spread out; returns it
    (None: nothing to choose, or the platform cannot)."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return None
    if len(cpus) < 2:
        return None
    cpu = cpus[os.getpid() % len(cpus)]
    try:
        os.sched_setaffinity(0, {cpu})
    except OSError:
        return None
    return cpu


SQLITE_THREADS = 2  # worker threads for database work on SQLite (PostgreSQL: asyncio's default)


def create_app(ctx: Context, *, close_context: bool = True) -> Starlette:
    """The HTTP API over ``ctx`` (the same context the CLI and the TUI are built from).

    ``close_context``: close the database when the server shuts down."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        if ctx.settings.server.pin_cpu:
            pin_to_one_cpu()
        if is_sqlite(ctx.database):
            # SQLite has one writer and Python one running thread at a time: more threads only
            # contend (measured: 2 threads answer ~15 % more gets than asyncio's default 6).
            loop = asyncio.get_running_loop()
            loop.set_default_executor(ThreadPoolExecutor(SQLITE_THREADS, thread_name_prefix="senderdeck-db"))
        yield
        if close_context:
            ctx.close()

    from core.metrics import Exposition, ServiceObserver  # prometheus_client loads in the server only

    exposition = Exposition(ctx.clock)
    ctx.service.observer = ServiceObserver(exposition.metrics)
    app = Starlette(
        routes=build_routes(ctx, exposition),
        exception_handlers={
            ApiError: handle_error,
            HTTPException: handle_error,
            ClientDisconnect: handle_error,
            Exception: handle_error,
        },
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False  # /api/v1/user.senderdomains/ is not a route: 404, not a redirect
    app.state.context = ctx
    app.state.metrics = exposition.metrics
    return app


# ---- access log ----------------------------------------------------------------------------

def redact_target(target: str) -> str:
    """A request path and query string safe to log: the values of APIKey (and of any
    parameter named like a key, password, token or session) replaced by ``***``, anything
    shaped like a senderdeck key (``sdk_…``) too, and control characters escaped."""
    path, sep, query = target.partition("?")
    if sep:
        pairs = []
        for pair in query.split("&"):
            name, eq, value = pair.partition("=")
            if eq and _SECRET_NAME.search(unquote_plus(name)):
                value = "***"
            pairs.append(f"{name}{eq}{value}")
        target = f"{path}?{'&'.join(pairs)}"
    target = _KEY_LOOKALIKE.sub("sdk_***", target)
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", target)


class RedactAccessLog(logging.Filter):
    """For uvicorn's access logger, whose arguments are (client, method, target, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_target(args[2]), *args[3:])
        return True
