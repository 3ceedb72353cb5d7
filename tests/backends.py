"""The database and cache backends the core tests run on: SQLite always, and a real
PostgreSQL and a real Redis started for the session on free loopback ports in temp dirs.

Each test gets a fresh place to write: a new SQLite file, a new PostgreSQL schema (selected
with ``search_path`` in the URL's ``options``, so its tables and sequences start empty), and
an emptied Redis. A backend is skipped only when its server binary is not installed; a
server that is installed but does not start fails the tests loudly.

``SDTEST_BACKENDS=sqlite`` (comma-separated) narrows the run while developing.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

import pytest

BACKENDS = ("sqlite", "postgresql", "postgresql+redis")
PG_DATABASE = "senderdeck"
REDIS_BIN = "redis-server"


def selected_backends() -> list[str]:
    wanted = os.environ.get("SDTEST_BACKENDS", "")
    if not wanted.strip():
        return list(BACKENDS)
    chosen = [b.strip() for b in wanted.split(",") if b.strip()]
    unknown = sorted(set(chosen) - set(BACKENDS))
    if unknown:
        raise pytest.UsageError(f"SDTEST_BACKENDS: unknown backend(s) {unknown}; known: {', '.join(BACKENDS)}")
    return chosen


def backends_for(item) -> list[str]:
    """Every selected backend, except for the TUI tests and ``sqlite_only`` ones;
    ``@pytest.mark.backends("postgresql", …)`` narrows a test to the ones it names."""
    path = Path(str(item.path))
    if "tui" in path.parts or item.get_closest_marker("sqlite_only"):
        return ["sqlite"]
    chosen = selected_backends()
    only = item.get_closest_marker("backends")
    if only is not None:
        unknown = set(only.args) - set(BACKENDS)
        if unknown:
            raise pytest.UsageError(f"{item.nodeid}: unknown backend(s) {sorted(unknown)}")
        chosen = [b for b in chosen if b in only.args]
    return chosen


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---- PostgreSQL ----------------------------------------------------------------------------


def postgres_bindir() -> Path | None:
    """The newest installed server's bin directory (Debian: /usr/lib/postgresql/N/bin)."""
    found = []
    for candidate in Path("/usr/lib/postgresql").glob("*/bin"):
        if (candidate / "postgres").is_file() and (candidate / "initdb").is_file():
            version = re.match(r"\d+", candidate.parent.name)
            found.append((int(version.group()) if version else 0, candidate))
    if found:
        return max(found)[1]
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path and shutil.which("initdb") else None


class PostgresServer:
    """A throwaway cluster: trust auth on 127.0.0.1, fsync off, removed at the end."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="senderdeck-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self.admin = None
        self._schemas = 0
        # PostgreSQL refuses to run as root: then the cluster belongs to the postgres user.
        self.run_as = None
        if os.geteuid() == 0:
            self.run_as = "postgres"
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.root.chmod(0o700)

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        return ["runuser", "-u", self.run_as, "--", *cmd] if self.run_as else cmd

    def _run(self, *args: str) -> None:
        result = subprocess.run(self._cmd(*args), capture_output=True, text=True, cwd=self.root)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n{self._log_tail()}")

    def _log_tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return ""

    def start(self) -> "PostgresServer":
        import psycopg2

        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync")
        options = (
            "-h 127.0.0.1 -k {sock} -p {port} -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200 -c shared_buffers=32MB"
        )
        for attempt in range(3):  # a port taken between free_port() and the bind: try another
            self.port = free_port()
            try:
                self._run(
                    "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                    "-o", options.format(sock=self.root, port=self.port), "start",
                )
                break
            except RuntimeError:
                if attempt == 2:
                    raise
        self.admin = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres")
        self.admin.autocommit = True
        with self.admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE {PG_DATABASE}")
        self.admin.close()
        self.admin = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=PG_DATABASE)
        self.admin.autocommit = True
        return self

    def url(self, schema: str | None = None) -> str:
        base = f"postgresql://postgres@127.0.0.1:{self.port}/{PG_DATABASE}"
        return f"{base}?options={quote(f'-csearch_path={schema}')}" if schema else base

    def new_schema(self) -> str:
        self._schemas += 1
        schema = f"t{self._schemas}"
        with self.admin.cursor() as cur:
            cur.execute(f"CREATE SCHEMA {schema}")
        return schema

    def drop_schema(self, schema: str) -> None:
        import psycopg2

        with self.admin.cursor() as cur:
            cur.execute("SET lock_timeout = '2s'")
            try:
                cur.execute(f"DROP SCHEMA {schema} CASCADE")
                return
            except psycopg2.errors.LockNotAvailable:
                pass
            # A connection the test left open (e.g. in a worker thread) holds a lock: the
            # test is over, so end it, then drop.
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (PG_DATABASE,),
            )
            cur.execute("SET lock_timeout = '10s'")
            cur.execute(f"DROP SCHEMA {schema} CASCADE")

    def stop(self) -> None:
        if self.admin is not None:
            with contextlib.suppress(Exception):
                self.admin.close()
        with contextlib.suppress(Exception):
            subprocess.run(self._cmd("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"), capture_output=True, cwd=self.root)
        shutil.rmtree(self.root, ignore_errors=True)


# ---- Redis ---------------------------------------------------------------------------------


class RedisServer:
    """redis-server without persistence; ready is signalled over a NOTIFY_SOCKET (systemd style)."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.root = Path(tempfile.mkdtemp(prefix="senderdeck-redis-"))
        self.port = 0
        self.proc: subprocess.Popen | None = None

    def start(self) -> "RedisServer":
        for attempt in range(3):
            if self._start_once():
                return self
        raise RuntimeError(f"redis-server did not start:\n{self._log_tail()}")

    def _log_tail(self) -> str:
        try:
            return "\n".join((self.root / "redis.log").read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return ""

    def _start_once(self) -> bool:
        self.port = free_port()
        notify_path = self.root / f"notify-{self.port}"
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
            notify.bind(str(notify_path))
            notify.settimeout(0.5)
            self.proc = subprocess.Popen(
                [
                    self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                    "--dir", str(self.root), "--logfile", str(self.root / "redis.log"),
                    "--supervised", "systemd", "--daemonize", "no",
                ],
                env={**os.environ, "NOTIFY_SOCKET": str(notify_path)},
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            waited = 0.0
            while waited < 60:
                try:
                    if b"READY=1" in notify.recv(4096):
                        return True
                except socket.timeout:
                    waited += 0.5
                    if self.proc.poll() is not None:
                        return False  # exited (port taken?): the caller tries another port
            self.proc.kill()
            self.proc.wait()
            return False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def flush(self) -> None:
        import redis

        client = redis.Redis.from_url(self.url)
        try:
            client.flushall()
        finally:
            client.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.root, ignore_errors=True)


# ---- fixtures (imported by tests/conftest.py) ----------------------------------------------


def _serve(server):
    """Start a server for the session and stop it afterwards, also when starting failed."""
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_server():
    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries are not installed (run .ci/setup as root)")
    server = PostgresServer(bindir)
    yield from _serve(server)


@pytest.fixture(scope="session")
def redis_server():
    binary = shutil.which(REDIS_BIN) or ("/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None)
    if binary is None:
        pytest.skip("redis-server is not installed (run .ci/setup as root)")
    server = RedisServer(binary)
    yield from _serve(server)


@contextlib.contextmanager
def backend_urls(backend: str, request, tmp_path: Path):
    """(database URL, cache URL) for one test on ``backend``; cleaned up afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'senderdeck.db'}", ""
        return
    pg: PostgresServer = request.getfixturevalue("pg_server")
    cache_url = ""
    if backend == "postgresql+redis":
        redis_server: RedisServer = request.getfixturevalue("redis_server")
        redis_server.flush()
        cache_url = redis_server.url
    schema = pg.new_schema()
    try:
        yield pg.url(schema), cache_url
    finally:
        pg.drop_schema(schema)
