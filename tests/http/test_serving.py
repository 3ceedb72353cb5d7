"""How `senderdeck serve` is run: TLS directly, behind a proxy, its flags, and a setting that
cannot work refused before anything listens."""

from __future__ import annotations

import json
import os
import re
import shutil
import ssl
import subprocess

import httpx
import pytest

from tests.core.smtp_server import make_test_ca
from tests.http.serve import SENDERDECK


def test_https_with_the_server_table_certificate(start_server, tmp_path):
    ca = make_test_ca(tmp_path / "tls")
    server = start_server(
        env={"SENDERDECK_SERVER_SSL_CERTFILE": str(ca.cert_file), "SENDERDECK_SERVER_SSL_KEYFILE": str(ca.key_file)},
        ca_file=str(ca.ca_file),
    )
    assert server.base_url.startswith("https://")
    trust = ssl.create_default_context(cafile=str(ca.ca_file))
    assert httpx.get(server.url("/healthz"), verify=trust, trust_env=False).json() == {"status": "ok"}
    if shutil.which("curl"):
        out = subprocess.run(["curl", "-sS", "--cacert", str(ca.ca_file), server.url("/healthz")], capture_output=True, text=True)
        assert json.loads(out.stdout) == {"status": "ok"}
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{server.port}/healthz", timeout=5, trust_env=False)  # plain HTTP is not served


def test_behind_a_proxy_the_log_shows_the_forwarded_client(start_server):
    trusted = start_server(env={"SENDERDECK_SERVER_PROXY_HEADERS": "true", "SENDERDECK_SERVER_FORWARDED_ALLOW_IPS": "127.0.0.1"})
    direct = start_server()
    for server in (trusted, direct):
        httpx.get(server.url("/healthz"), headers={"X-Forwarded-For": "203.0.113.9"}, trust_env=False)
    assert re.search(r"203\.0\.113\.9:\d+ - \"GET /healthz", trusted.stdout())
    assert "203.0.113.9" not in direct.stdout()  # proxy headers are not trusted unless configured


def test_access_log_can_be_turned_off(start_server):
    quiet = start_server(env={"SENDERDECK_SERVER_ACCESS_LOG": "false"})
    httpx.get(quiet.url("/api/v1/user.senderdomains"), trust_env=False)
    assert "GET /api/v1/user.senderdomains" not in quiet.logs()


@pytest.mark.parametrize(
    "args, env, message",
    [
        (["serve", "--port", "0"], {}, "server.port"),
        (["serve", "--workers", "0"], {}, "server.workers"),
        (["serve"], {"SENDERDECK_SERVER_SSL_CERTFILE": "/nonexistent/cert.pem", "SENDERDECK_SERVER_SSL_KEYFILE": "/nonexistent/key.pem"}, "not a readable file"),
    ],
)
def test_a_setting_that_cannot_work_is_a_message_and_exit_2(tmp_path, args, env, message):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SENDERDECK_")} | {
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    result = subprocess.run([str(SENDERDECK), *args], capture_output=True, text=True, env=environment | env, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("senderdeck: ") and message in result.stderr and "Traceback" not in result.stderr


def test_a_database_that_does_not_answer_is_one_line_and_exit_75(tmp_path):
    """Not a setting that cannot work but one to try again (EX_TEMPFAIL, as every command)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SENDERDECK_")} | {
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    args = ["--database", "postgresql://nobody@127.0.0.1:1/none", "serve"]
    result = subprocess.run([str(SENDERDECK), *args], capture_output=True, text=True, env=environment, timeout=60)
    assert result.returncode == 75, result.stderr
    assert result.stderr.startswith("senderdeck: database ") and "try again" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_help_names_its_flags():
    result = subprocess.run([str(SENDERDECK), "serve", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and all(flag in result.stdout for flag in ("--host", "--port", "--workers"))
