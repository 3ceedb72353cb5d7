"""The [server] settings table (`senderdeck serve`): defaults, file < environment < flags, and
values that cannot work refused with the key named."""

from __future__ import annotations

import pytest

from core.errors import SettingsError
from core.settings import load_settings


def test_defaults_listen_on_loopback():
    server = load_settings(env={}).server
    assert (server.host, server.port, server.workers) == ("127.0.0.1", 8080, 1)
    assert server.proxy_headers is False and server.forwarded_allow_ips == ["127.0.0.1"]
    assert server.max_body_bytes == 65536 and server.access_log is True
    assert server.ssl_certfile == server.ssl_keyfile == ""


def test_file_then_environment_then_flags(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(
        "[server]\nhost = '0.0.0.0'\nport = 9000\nworkers = 4\nproxy_headers = true\n"
        "forwarded_allow_ips = ['10.0.0.5', '10.0.0.6']\nmax_body_bytes = 1024\naccess_log = false\n"
    )
    env = {"SENDERDECK_SERVER_PORT": "9100", "SENDERDECK_SERVER_FORWARDED_ALLOW_IPS": "192.0.2.1, 192.0.2.2"}
    server = load_settings({"server": {"workers": 2}}, config=path, env=env).server
    assert server.host == "0.0.0.0" and server.port == 9100 and server.workers == 2
    assert server.proxy_headers is True and server.forwarded_allow_ips == ["192.0.2.1", "192.0.2.2"]
    assert server.max_body_bytes == 1024 and server.access_log is False


@pytest.mark.parametrize(
    "env, message",
    [
        ({"SENDERDECK_SERVER_PORT": "0"}, "server.port"),
        ({"SENDERDECK_SERVER_PORT": "70000"}, "server.port"),
        ({"SENDERDECK_SERVER_PORT": "http"}, "not a valid int"),
        ({"SENDERDECK_SERVER_WORKERS": "0"}, "server.workers"),
        ({"SENDERDECK_SERVER_MAX_BODY_BYTES": "0"}, "server.max_body_bytes"),
        ({"SENDERDECK_SERVER_SSL_CERTFILE": "/etc/cert.pem"}, "set both"),
        ({"SENDERDECK_SERVER_HOSTNAME": "x"}, "SENDERDECK_SERVER_HOSTNAME is not a senderdeck setting"),
    ],
)
def test_bad_server_settings_are_refused(env, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(env=env)
