"""Settings layers: defaults < TOML file < SENDERDECK_* environment < flags."""

from __future__ import annotations

import pytest

from core.errors import SettingsError
from core.settings import load_settings, parse_nameserver


def test_defaults_use_xdg_data_dir(tmp_path):
    settings = load_settings(env={"XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")})
    assert settings.database == f"sqlite:///{tmp_path / 'data' / 'senderdeck' / 'senderdeck.db'}"
    assert settings.mfrom_subdomain == "sl" and settings.track_prefix == "track"
    assert settings.nameservers == [] and settings.cache_url == "" and settings.demo is False
    assert settings.config_path is None


def test_layers_override_in_order(tmp_path):
    config_dir = tmp_path / "cfg" / "senderdeck"
    config_dir.mkdir(parents=True)
    (config_dir / "config.toml").write_text(
        'database = "sqlite:///from-file.db"\n'
        'domain_limit = 5\n'
        'nameservers = ["10.0.0.53"]\n'
        '[platform]\nspf_include = "spf.file.example"\ndkim_selector = "f1"\n'
        '[smtp]\nhost = "smtp.file.example"\nport = 2525\n'
    )
    env = {
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "SENDERDECK_DOMAIN_LIMIT": "7",
        "SENDERDECK_PLATFORM_DKIM_SELECTOR": "e1",
        "SENDERDECK_SMTP_PASSWORD": "s3cret",
        "SENDERDECK_NAMESERVERS": "127.0.0.1:5353, 127.0.0.2",
    }
    settings = load_settings({"database": "sqlite:///from-flag.db", "nameservers": None}, env=env)
    assert settings.database == "sqlite:///from-flag.db"  # flag beats file
    assert settings.domain_limit == 7  # env beats file
    assert settings.nameservers == ["127.0.0.1:5353", "127.0.0.2"]
    assert settings.platform.spf_include == "spf.file.example"  # file beats default
    assert settings.platform.dkim_selector == "e1"
    assert settings.smtp.host == "smtp.file.example" and settings.smtp.port == 2525
    assert settings.config_path == config_dir / "config.toml"
    assert settings.redacted()["smtp"]["password"] == "********"


def test_senderdeck_config_points_at_another_file(tmp_path):
    path = tmp_path / "elsewhere.toml"
    path.write_text("demo = true\n")
    assert load_settings(env={"SENDERDECK_CONFIG": str(path)}).demo is True
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(env={"SENDERDECK_CONFIG": str(tmp_path / "missing.toml")})


@pytest.mark.parametrize(
    "text, message",
    [
        ("databse = 'x'\n", "unknown setting"),
        ("domain_limit = 'lots'\n", "not a valid int"),
        ("[smtp]\nsecurity = 'maybe'\n", "starttls, tls or none"),
        ("nameservers = ['1.2.3.4:99999']\n", "port must be"),
        ("this is not toml", "cannot read config file"),
        ("platform = 3\n", "expected a [platform] table"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path, text, message):
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(SettingsError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_settings(config=path, env={})


def test_unknown_environment_setting_is_reported():
    with pytest.raises(SettingsError, match="SENDERDECK_DATABSE"):
        load_settings(env={"SENDERDECK_DATABSE": "x"})


@pytest.mark.parametrize(
    "text, expected",
    [("127.0.0.1", ("127.0.0.1", 53)), ("127.0.0.1:5353", ("127.0.0.1", 5353)), ("[::1]:5300", ("::1", 5300)), ("::1", ("::1", 53))],
)
def test_parse_nameserver(text, expected):
    assert parse_nameserver(text) == expected


# Issue 11.14: values that cannot work are refused, naming the key.
@pytest.mark.parametrize(
    "text, key",
    [
        ("[dns]\ntimeout = inf\n", "dns.timeout"),
        ("[dns]\ntimeout = nan\n", "dns.timeout"),
        ("[dns]\ntimeout = -1\n", "dns.timeout"),
        ("[dns]\ndeadline = inf\n", "dns.deadline"),
        ("[dns]\ndeadline = -0.5\n", "dns.deadline"),
        ("[dns]\nretries = -1\n", "dns.retries"),
        ("[dns]\nmax_in_flight = 0\n", "dns.max_in_flight"),
        ("[dns]\nmax_in_flight = -3\n", "dns.max_in_flight"),
        ("[smtp]\nport = 0\n", "smtp.port"),
        ("[smtp]\nport = 65536\n", "smtp.port"),
        ("[smtp]\ntimeout = inf\n", "smtp.timeout"),
        ("[smtp]\ntimeout = nan\n", "smtp.timeout"),
        ("nameservers = ['::1:53:x']\n", "nameserver"),
        ("nameservers = ['127.0.0.1:0']\n", "nameserver"),
        ("nameservers = ['[::1]:70000']\n", "nameserver"),
        ("nameservers = ['[::1']\n", "nameserver"),
    ],
)
def test_values_that_cannot_work_are_refused_naming_the_key(tmp_path, text, key):
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(SettingsError) as refused:
        load_settings(config=path, env={})
    assert key in str(refused.value)


@pytest.mark.parametrize("name, value", [("SENDERDECK_DNS_TIMEOUT", "inf"), ("SENDERDECK_DNS_RETRIES", "-2"), ("SENDERDECK_SMTP_PORT", "99999")])
def test_the_environment_is_checked_the_same_way(name, value):
    with pytest.raises(SettingsError, match=name.removeprefix("SENDERDECK_").lower().replace("_", ".", 1)):
        load_settings(env={name: value})


def test_an_ipv6_nameserver_with_a_port_is_written_in_brackets():
    assert parse_nameserver("[::1]:53") == ("::1", 53)
    assert parse_nameserver("2001:db8::53") == ("2001:db8::53", 53)
    with pytest.raises(SettingsError, match=r"\[ADDRESS\]:PORT"):
        parse_nameserver("::1:53:x")


def test_control_characters_in_an_unknown_key_are_escaped(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('"evil\\u001b[2Jkey" = 1\n')
    with pytest.raises(SettingsError) as refused:
        load_settings(config=path, env={})
    message = str(refused.value)
    assert "\x1b" not in message and "evil\\x1b[2Jkey" in message and "unknown setting" in message
    with pytest.raises(SettingsError) as refused:
        load_settings(env={"SENDERDECK_EVIL\x1b]0;x\x07": "1"})
    assert "\x1b" not in str(refused.value) and "\x07" not in str(refused.value)
