"""`senderdeck serve` as a real process on a free loopback port, as README starts it.

``ServeProcess`` runs the installed ``senderdeck`` script with the database, resolvers and
relay given, waits until ``/healthz`` answers, and stops it with SIGTERM (what systemd
sends). Its stdout (uvicorn's access log) and stderr are kept in files for the tests to read.
"""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.backends import free_port

SENDERDECK = Path(sys.executable).with_name("senderdeck")
START_TIMEOUT = 60.0


class ServeProcess:
    def __init__(
        self,
        workdir: Path,
        *,
        database: str,
        cache_url: str = "",
        nameservers: tuple[str, ...] = (),
        workers: int = 1,
        env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
        ca_file: str | None = None,
    ) -> None:
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.database = database
        self.cache_url = cache_url
        self.nameservers = nameservers
        self.workers = workers
        self.extra_env = env or {}
        self.extra_args = args
        self.ca_file = ca_file  # set: the server speaks HTTPS with a certificate from this CA
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.stdout_path = workdir / "serve.out"
        self.stderr_path = workdir / "serve.err"

    @property
    def base_url(self) -> str:
        return f"{'https' if self.ca_file else 'http'}://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SENDERDECK_")}
        env |= {
            "XDG_CONFIG_HOME": str(self.workdir / "cfg"),
            "XDG_DATA_HOME": str(self.workdir / "data"),
            # Keep the machine's proxy settings away from loopback requests.
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
        return env | self.extra_env

    def command(self) -> list[str]:
        cmd = [str(SENDERDECK), "--database", self.database]
        if self.cache_url:
            cmd += ["--cache-url", self.cache_url]
        for server in self.nameservers:
            cmd += ["--nameserver", server]
        return cmd + ["serve", "--port", str(self.port), "--workers", str(self.workers), *self.extra_args]

    def start(self) -> "ServeProcess":
        for attempt in range(3):  # a port taken between free_port() and the bind: try another
            self.port = free_port()
            with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
                self.proc = subprocess.Popen(
                    self.command(), stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                    env=self.environment(), cwd=self.workdir,
                )
            if self._wait_ready():
                return self
            if "address already in use" not in self.stderr().lower() or attempt == 2:
                break
        self.stop()
        raise RuntimeError(f"senderdeck serve did not start:\n{self.stderr()[-4000:]}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        verify = ssl.create_default_context(cafile=self.ca_file) if self.ca_file else True
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if httpx.get(self.url("/healthz"), timeout=2, verify=verify).status_code in (200, 503):
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        return False

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int | None:
        """Stop the server (SIGTERM: in-flight requests finish first); its exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace") if self.stdout_path.exists() else ""

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def logs(self) -> str:
        return self.stdout() + self.stderr()
