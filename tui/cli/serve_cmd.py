"""``senderdeck serve``: the spec's HTTP API (``core/http.py``) under uvicorn.

uvicorn does the serving — HTTP parsing, worker processes, TLS, proxy headers, graceful
shutdown on SIGTERM. Each worker builds its own context (database connection, cache,
service) with ``app_from_environment``: the flags given here are handed to the workers as the
``SENDERDECK_*`` variables they stand for, so ``load_settings()`` in a worker gives exactly
the settings in force here.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

from core.context import build_context
from core.settings import ServerSettings, Settings, load_settings
from tui.cli.common import fail, settings_from_args

APP_FACTORY = "tui.cli.serve_cmd:app_from_environment"
# Seconds in-flight requests get to finish after SIGTERM: longer than a verify's 10 s deadline
# and a test message's 15 s SMTP timeout.
GRACEFUL_SHUTDOWN = 30


def register(sub) -> None:
    parser = sub.add_parser(
        "serve",
        help="serve the HTTP API (the spec's routes, /api.php and /healthz)",
        description="Serve the spec's HTTP API with uvicorn. Defaults come from the [server] settings "
        "table (SENDERDECK_SERVER_*): 127.0.0.1:8080, one worker.",
    )
    parser.add_argument("--host", metavar="ADDR", help="address to bind (default 127.0.0.1: loopback only)")
    parser.add_argument("--port", metavar="PORT", type=int, help="port to listen on (default 8080)")
    parser.add_argument("--workers", metavar="N", type=int, help="worker processes (default 1)")
    parser.set_defaults(handler=run)


def worker_environment(args) -> dict[str, str]:
    """The SENDERDECK_* variables that carry this command line's settings to the workers."""
    env = {
        "SENDERDECK_CONFIG": args.config,
        "SENDERDECK_DATABASE": args.database,
        "SENDERDECK_NAMESERVERS": " ".join(args.nameservers) if args.nameservers else None,
        "SENDERDECK_CACHE_URL": args.cache_url,
        "SENDERDECK_DEMO": "true" if args.demo else None,
        "SENDERDECK_SERVER_HOST": args.host,
        "SENDERDECK_SERVER_PORT": args.port,
        "SENDERDECK_SERVER_WORKERS": args.workers,
    }
    return {name: str(value) for name, value in env.items() if value is not None}


def log_config(workers: int = 1) -> dict:
    """uvicorn's logging, with API keys and passwords redacted from the access log, the
    worker's process ID on each line when there are several, and the engine's warnings
    beside uvicorn's."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact"] = {"()": "core.http.RedactAccessLog"}
    config["handlers"]["access"]["filters"] = ["redact"]
    if workers > 1:
        for formatter in config["formatters"].values():
            formatter["fmt"] = formatter["fmt"].replace("%(levelprefix)s ", "%(levelprefix)s [%(process)d] ", 1)
    config["loggers"]["core"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def _check_tls_files(settings: Settings) -> str | None:
    for name in ("ssl_certfile", "ssl_keyfile"):
        path = getattr(settings.server, name)
        if path and not Path(path).expanduser().is_file():
            return f"server.{name}: {path} is not a readable file"
    return None


def run(args) -> int:
    server_flags = {"host": args.host, "port": args.port, "workers": args.workers}
    settings = settings_from_args(args, server={k: v for k, v in server_flags.items() if v is not None})
    problem = _check_tls_files(settings)
    if problem:
        return fail(problem)
    # Connect and migrate once before any worker starts: a wrong URL or an unreachable
    # database is one line here, not a traceback per worker.
    build_context(settings).close()
    os.environ.update(worker_environment(args))

    import uvicorn  # only this command needs the server

    uvicorn.run(APP_FACTORY, factory=True, **uvicorn_options(settings.server))
    return 0


def uvicorn_options(server: ServerSettings) -> dict:
    """How uvicorn runs the app, from the [server] table (tests/bench/http.py runs its bare
    endpoint with the same)."""
    return dict(
        host=server.host,
        port=server.port,
        workers=server.workers,
        proxy_headers=server.proxy_headers,
        forwarded_allow_ips=server.forwarded_allow_ips,
        access_log=server.access_log,
        ssl_certfile=str(Path(server.ssl_certfile).expanduser()) if server.ssl_certfile else None,
        ssl_keyfile=str(Path(server.ssl_keyfile).expanduser()) if server.ssl_keyfile else None,
        log_config=log_config(server.workers),
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
        server_header=False,
        # The standard event loop serves connections in turn under load; with uvloop a few of
        # 64 busy connections waited over a second (tests/bench/http.py).
        loop="asyncio",
        http="httptools",
        ws="none",  # no WebSocket routes: an Upgrade header is just a header
    )


def app_from_environment():
    """uvicorn's app factory, run in every worker: settings from the file and environment."""
    from core.http import create_app  # Starlette loads in the server only

    return create_app(build_context(load_settings()))
