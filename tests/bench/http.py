"""Benchmark: `senderdeck serve` against a bare Starlette endpoint serving the same bytes.

Not collected by pytest. Run: ``.venv/bin/python tests/bench/http.py [--seconds 10] [--soak 30]``
(needs Debian's ``wrk``; ``.ci/setup`` installs it).

A SQLite database is built with users whose domain has 90 days of stats (GET get) and users
with 100 domains each (GET list); every request of a run goes out as a different user in
turn, so no user passes the 100-per-minute limit and every request does the API's whole
work: authentication, the rate-limit write, the reads and the JSON. `senderdeck serve` (one
worker, the [server] defaults) and a bare Starlette app answering the same bytes run under
the same uvicorn options (``tui.cli.serve_cmd.uvicorn_options``), one after the other, each
loaded by wrk at 64 connections; then `senderdeck serve` alone at 256 connections for the
soak. Prints requests/s, p50 and p99 per endpoint, the ratios to the bare endpoint, and the
soak's errors and non-coded answers.

Targets (SQLite, one worker): get at least 0.3x the bare endpoint with p99 under 50 ms;
the soak with 0 errors and 0 non-coded responses.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[0] = str(ROOT)  # not tests/bench: this file's name would hide the standard library's `http`

import httpx  # noqa: E402

from core import users  # noqa: E402
from core.clock import SystemClock  # noqa: E402
from core.context import build_context  # noqa: E402
from core.stat_store import refresh_figures, store_counts  # noqa: E402
from core.records import generate_dkim_key  # noqa: E402
from core.settings import ServerSettings, Settings  # noqa: E402
from tests.backends import free_port  # noqa: E402

SENDERDECK = Path(sys.executable).with_name("senderdeck")
GET_PATH = "/api/v1/user.senderdomain"
LIST_PATH = "/api/v1/user.senderdomains"
PER_USER = 80  # requests per user per run: under the 100-per-60-s limit with room to spare
STAT_DAYS = 90

WRK_SCRIPT = r"""
-- Each request as the next user in turn; counts answers that are not the API's JSON.
local targets = {}
for line in io.lines(os.getenv("BENCH_TARGETS")) do
  local key, path = line:match("^(%S+) (%S+)$")
  targets[#targets + 1] = {key = key, path = path}
end
local threads = {}
counter, coded, uncoded = 0, 0, 0  -- globals: done() reads them from each thread

function setup(thread)
  thread:set("offset", #threads * 7919)
  table.insert(threads, thread)
end

function init(args)
  counter = offset or 0
end

function request()
  counter = counter + 1
  local t = targets[(counter % #targets) + 1]
  return wrk.format("GET", t.path, {["Authorization"] = "Bearer " .. t.key})
end

function response(status, headers, body)
  if body:sub(1, 15) == '{"Success":true' or body:sub(1, 19) == '{"Errors":[{"Code":' then
    coded = coded + 1
  else
    uncoded = uncoded + 1
  end
end

function done(summary, latency, requests)
  local c, u = 0, 0
  for _, thread in ipairs(threads) do
    c = c + thread:get("coded")
    u = u + thread:get("uncoded")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %.3f, "p50_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d, "coded": %d, "uncoded": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.timeout, e.status, c, u))
end
"""


# ---- the data ------------------------------------------------------------------------------


def build_database(path: Path, get_users: int, list_users: int) -> dict:
    """Users whose one domain has 90 days of stats, and users with 100 domains each."""
    key = generate_dkim_key()
    ctx = build_context(Settings(database=f"sqlite:///{path}"), clock=SystemClock(), keygen=lambda: key)
    today = ctx.clock.now().date()
    pools: dict[str, list[tuple[str, str]]] = {"get": [], "list": []}
    try:
        stat_rows = []
        for n in range(get_users):
            user, api_key = users.create_user(f"get{n}", ctx.clock)
            view = ctx.service.create_domain(user, {"SenderDomain": f"get{n}.bench.example"})
            stat_rows += [
                (view.id, today - dt.timedelta(days=d), 1000 + d, 990, 8, d % 2)  # domain, day, sent, delivered, bounced, complaints
                for d in range(STAT_DAYS)
            ]
            pools["get"].append((api_key, f"{GET_PATH}?DomainID={view.id}"))
        for n in range(list_users):
            user, api_key = users.create_user(f"list{n}", ctx.clock)
            for d in range(100):
                view = ctx.service.create_domain(user, {"SenderDomain": f"d{d}.list{n}.bench.example"})
                stat_rows += [(view.id, today - dt.timedelta(days=k), 500, 495, 5, 0) for k in range(0, STAT_DAYS, 3)]
            pools["list"].append((api_key, LIST_PATH))
        store_counts(stat_rows)
        refresh_figures(today)  # as the first list of the day would
    finally:
        ctx.close()
    return pools


# ---- the servers ---------------------------------------------------------------------------


def bare_app(get_body: bytes, list_body: bytes):
    """A Starlette app with no work to do: the same bytes for the same paths."""
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    async def get(request):
        return Response(get_body, media_type="application/json")

    async def listing(request):
        return Response(list_body, media_type="application/json")

    return Starlette(routes=[Route(GET_PATH, get), Route(LIST_PATH, listing)])


def run_bare(port: int, get_file: str, list_file: str) -> None:
    import uvicorn

    from tui.cli.serve_cmd import uvicorn_options

    app = bare_app(Path(get_file).read_bytes(), Path(list_file).read_bytes())
    uvicorn.run(app, **uvicorn_options(ServerSettings(port=port)))


class Server:
    def __init__(self, command: list[str], port: int, env: dict[str, str]) -> None:
        self.port = port
        self.proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(self.proc.stderr.read().decode(errors="replace"))
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1, trust_env=False)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)


def environment(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENDERDECK_")}
    return env | {"XDG_CONFIG_HOME": str(workdir / "cfg"), "XDG_DATA_HOME": str(workdir / "data")}


# ---- the load ------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used (user + system): a figure the other loads on the machine
    do not inflate the way they inflate wall-clock rates."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(port: int, targets: list[tuple[str, str]], connections: int, seconds: int, workdir: Path, pid: int | None = None) -> dict:
    script = workdir / "bench.lua"
    script.write_text(WRK_SCRIPT)
    target_file = workdir / "targets.txt"
    target_file.write_text("".join(f"{key} {path}\n" for key, path in targets))
    cpu_before = cpu_seconds(pid) if pid else 0.0
    result = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, env={**os.environ, "BENCH_TARGETS": str(target_file)}, timeout=seconds + 120,
    )
    line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed:\n{result.stdout}\n{result.stderr}")
    figures = json.loads(line[6:])
    figures["rps"] = figures["requests"] / figures["seconds"]
    figures["cpu_us"] = (cpu_seconds(pid) - cpu_before) / max(1, figures["requests"]) * 1e6 if pid else 0.0
    return figures


def take(pool: list, count: int) -> list:
    if len(pool) < count:
        raise SystemExit(f"not enough users for this run ({len(pool)} < {count}): raise --rate")
    taken = pool[:count]
    del pool[:count]
    return taken


def users_for(rate: float, seconds: int) -> int:
    return math.ceil(rate * seconds / PER_USER)


def row(name: str, figures: dict, bare: dict | None = None) -> str:
    ratio = f"{figures['rps'] / bare['rps']:>6.2f}x" if bare else f"{'':>7}"
    cpu_ratio = f"{bare['cpu_us'] / figures['cpu_us']:>6.2f}x" if bare and figures["cpu_us"] else f"{'':>7}"
    return (
        f"{name:<28} {figures['rps']:>9,.0f} {figures['p50_us'] / 1000:>8.2f} {figures['p99_us'] / 1000:>8.2f}  {ratio}"
        f"   {figures['cpu_us']:>7.0f}  {cpu_ratio}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each 64-connection run")
    parser.add_argument("--soak", type=int, default=30, help="length of the 256-connection soak")
    parser.add_argument("--rate", type=float, default=4000, help="the most requests/s expected (sizes the user pools)")
    parser.add_argument("--dir", help="where to build the database (default: a new temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the database and scripts (printed at the end)")
    parser.add_argument("--bare", nargs=3, metavar=("PORT", "GET_FILE", "LIST_FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        return run_bare(int(args.bare[0]), args.bare[1], args.bare[2])
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk, or run .ci/setup as root)")

    workdir = Path(tempfile.mkdtemp(prefix="senderdeck-bench-http-", dir=args.dir))
    try:
        warm = 2
        get_users = users_for(args.rate, warm) + users_for(args.rate, args.seconds) + users_for(args.rate, args.soak)
        list_users = users_for(args.rate / 8, warm) + users_for(args.rate / 8, args.seconds)
        started = time.perf_counter()
        pools = build_database(workdir / "bench.db", get_users, list_users)
        print(f"database: {get_users} users with one domain x {STAT_DAYS} days of stats, "
              f"{list_users} users with 100 domains each ({time.perf_counter() - started:.0f} s to build)")

        env = environment(workdir)
        port = free_port()
        api = Server([str(SENDERDECK), "--database", f"sqlite:///{workdir / 'bench.db'}", "serve", "--port", str(port)], port, env)
        try:
            get_key, get_path = pools["get"][0]
            get_body = httpx.get(f"http://127.0.0.1:{port}{get_path}", headers={"Authorization": f"Bearer {get_key}"}, trust_env=False).content
            list_key, _ = pools["list"][0]
            list_body = httpx.get(f"http://127.0.0.1:{port}{LIST_PATH}", headers={"Authorization": f"Bearer {list_key}"}, trust_env=False).content
            (workdir / "get.json").write_bytes(get_body)
            (workdir / "list.json").write_bytes(list_body)
            print(f"bodies: get {len(get_body):,} bytes, list {len(list_body):,} bytes")

            results = {}
            for name, pool, rate in (("get", "get", args.rate), ("list", "list", args.rate / 8)):
                wrk(port, take(pools[pool], users_for(rate, warm)), 64, warm, workdir)  # warm up
                results[name] = wrk(port, take(pools[pool], users_for(rate, args.seconds)), 64, args.seconds, workdir, api.proc.pid)
            soak = wrk(port, take(pools["get"], users_for(args.rate, args.soak)), 256, args.soak, workdir, api.proc.pid)
        finally:
            api.stop()

        bare_port = free_port()
        bare = Server(
            [sys.executable, __file__, "--bare", str(bare_port), str(workdir / "get.json"), str(workdir / "list.json")], bare_port, env
        )
        try:
            bare_results = {}
            for name, path in (("get", GET_PATH), ("list", LIST_PATH)):
                targets = [("none", path)] * 16
                wrk(bare_port, targets, 64, warm, workdir)
                bare_results[name] = wrk(bare_port, targets, 64, args.seconds, workdir, bare.proc.pid)
        finally:
            bare.stop()
    finally:
        if args.keep:
            print(f"kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    print(f"\n64 connections, {args.seconds} s each, one uvicorn worker, SQLite")
    print(f"{'endpoint':<28} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}  vs bare  CPU us/req  bare/this")
    for name in ("get", "list"):
        print(row(f"bare Starlette ({name} bytes)", bare_results[name]))
        print(row(f"senderdeck {name}", results[name], bare_results[name]))
    for name, figures in results.items():
        failed = {k: figures[k] for k in ("connect", "read", "write", "timeout", "status", "uncoded") if figures[k]}
        if failed:
            print(f"  {name}: errors {failed}")
    get_ratio = results["get"]["rps"] / bare_results["get"]["rps"]
    print(f"target get >= 0.30x bare: {get_ratio:.2f}x {'met' if get_ratio >= 0.3 else 'NOT met'}; "
          f"p99 < 50 ms: {results['get']['p99_us'] / 1000:.1f} ms {'met' if results['get']['p99_us'] < 50_000 else 'NOT met'}")

    errors = sum(soak[k] for k in ("connect", "read", "write", "timeout", "status"))
    print(f"\nsoak: 256 connections for {args.soak} s on get: {soak['requests']:,} requests, {soak['rps']:,.0f} req/s, "
          f"p50 {soak['p50_us'] / 1000:.1f} ms, p99 {soak['p99_us'] / 1000:.1f} ms, max {soak['max_us'] / 1000:.0f} ms")
    print(f"  errors {errors} (connect {soak['connect']}, read {soak['read']}, write {soak['write']}, timeout {soak['timeout']}, "
          f"non-2xx {soak['status']}); coded answers {soak['coded']:,}, non-coded {soak['uncoded']} "
          f"-> {'met' if errors == 0 and soak['uncoded'] == 0 else 'NOT met'}")


if __name__ == "__main__":
    main()
