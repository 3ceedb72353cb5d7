"""One Settings object: defaults < TOML config file < SENDERDECK_* environment < CLI flags.

The config file lives at ``$XDG_CONFIG_HOME/senderdeck/config.toml`` unless
``SENDERDECK_CONFIG`` (or ``--config``) names another. Every key of the file can also be set
from the environment: top-level keys as ``SENDERDECK_<KEY>``, section keys as
``SENDERDECK_<SECTION>_<KEY>`` (``SENDERDECK_SMTP_HOST``, ``SENDERDECK_PLATFORM_DKIM_SELECTOR``).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import os
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from core.errors import SettingsError
from core.plaintext import escape_control

APP_NAME = "senderdeck"


def xdg_dir(kind: str, env: Mapping[str, str] | None = None) -> Path:
    """The XDG base directory of ``kind`` ("config", "data", "cache", "state") for senderdeck."""
    env = os.environ if env is None else env
    defaults = {
        "config": ".config",
        "data": ".local/share",
        "cache": ".cache",
        "state": ".local/state",
    }
    base = env.get(f"XDG_{kind.upper()}_HOME") or str(Path.home() / defaults[kind])
    return Path(base) / APP_NAME


def default_database_url(env: Mapping[str, str] | None = None) -> str:
    return f"sqlite:///{xdg_dir('data', env) / 'senderdeck.db'}"


@dataclass
class PlatformSettings:
    """What the record template points customers' DNS at."""

    return_path_host: str = "rp.senderdeck.example."
    tracking_host: str = "track.senderdeck.example."
    spf_include: str = "spf.senderdeck.example"
    dmarc_policy: str = "none"
    dmarc_report_address: str = "dmarc-reports@senderdeck.example"
    dkim_selector: str = "sd1"


@dataclass
class DnsSettings:
    timeout: float = 2.0  # one query
    deadline: float = 10.0  # one whole verify call, however many domains
    retries: int = 2  # on timeouts and SERVFAIL only
    max_in_flight: int = 128  # a full verifyall batch (25 domains x 5 records) in one round trip


@dataclass
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    security: str = "starttls"  # starttls | tls | none
    username: str = ""
    password: str = ""
    from_prefix: str = "test"
    timeout: float = 15.0  # the whole exchange: connect, TLS, AUTH, DATA
    ca_file: str = ""  # extra CA bundle for the relay's certificate (empty: the system's)


@dataclass
class ServerSettings:
    """``senderdeck serve``: where it listens and how uvicorn runs it."""

    host: str = "127.0.0.1"  # loopback unless asked: the API is for the ops network, not the world
    port: int = 8080
    workers: int = 1
    proxy_headers: bool = False  # trust X-Forwarded-For/-Proto from forwarded_allow_ips
    forwarded_allow_ips: list[str] = field(default_factory=lambda: ["127.0.0.1"])
    max_body_bytes: int = 64 * 1024  # a larger request body answers 413
    access_log: bool = True  # API keys in query strings are redacted
    ssl_certfile: str = ""  # both set: serve HTTPS directly
    ssl_keyfile: str = ""
    # Each worker process on one CPU (its pid picks which): the event loop and the database
    # threads then hand Python's lock over on one core instead of across two (measured: ~1.5x
    # the gets per second, half the CPU per request). false: the scheduler places them.
    pin_cpu: bool = True

    def validate(self) -> None:
        if not 0 < self.port < 65536:
            raise SettingsError(f"server.port: {self.port} must be 1-65535")
        if self.workers < 1:
            raise SettingsError("server.workers: must be 1 or more")
        if self.max_body_bytes < 1:
            raise SettingsError("server.max_body_bytes: must be 1 or more")
        if not self.host.strip():
            raise SettingsError("server.host: must not be empty")
        if bool(self.ssl_certfile) != bool(self.ssl_keyfile):
            raise SettingsError("server.ssl_certfile and server.ssl_keyfile: set both (HTTPS) or neither (HTTP)")


@dataclass
class Settings:
    database: str = ""
    cache_url: str = ""  # empty: cache and rate limits live in the database
    nameservers: list[str] = field(default_factory=list)  # empty: the system's resolvers
    mfrom_subdomain: str = "sl"
    track_prefix: str = "track"
    demo: bool = False
    domain_limit: int = 100
    platform: PlatformSettings = field(default_factory=PlatformSettings)
    dns: DnsSettings = field(default_factory=DnsSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    config_path: Path | None = None  # the file actually read, for `senderdeck config`

    def __post_init__(self) -> None:
        if not self.database:
            self.database = default_database_url()

    def redacted(self) -> dict[str, Any]:
        """All settings as a dict, with secrets hidden (for display)."""
        data = dataclasses.asdict(self)
        if data["smtp"]["password"]:
            data["smtp"]["password"] = "********"
        data["config_path"] = str(self.config_path) if self.config_path else None
        return data


_SECTIONS = {"platform": PlatformSettings, "dns": DnsSettings, "smtp": SmtpSettings, "server": ServerSettings}
_NOT_SETTINGS_ENV = {"SENDERDECK_CONFIG", "SENDERDECK_API_KEY", "SENDERDECK_USER"}


def _field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _coerce(value: Any, kind: Any, where: str) -> Any:
    """Turn a TOML or environment value into the declared type, or say clearly why not."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        kind = next(a for a in typing.get_args(kind) if a is not type(None))
        origin = typing.get_origin(kind)
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(value)
        if kind is int:
            if isinstance(value, bool):
                raise ValueError(value)
            return int(value)
        if kind is float:
            return float(value)
        if kind is str:
            if not isinstance(value, (str, int, float)):
                raise ValueError(value)
            return str(value)
        if origin is list:
            if isinstance(value, str):
                return [part for part in value.replace(",", " ").split() if part]
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return list(value)
            raise ValueError(value)
        if kind is Path:
            return Path(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{where}: {value!r} is not a valid {getattr(kind, '__name__', kind)}") from None
    raise SettingsError(f"{where}: unsupported setting type")


def _apply(target: Any, values: Mapping[str, Any], source: str, prefix: str = "") -> None:
    types_ = _field_types(type(target))
    for key, value in values.items():
        where = escape_control(f"{source}: {prefix}{key}")  # a key from a file may hold anything
        if key not in types_ or key == "config_path":
            raise SettingsError(f"{where}: unknown setting")
        if key in _SECTIONS:
            if not isinstance(value, Mapping):
                raise SettingsError(f"{where}: expected a [{key}] table")
            _apply(getattr(target, key), value, source, f"{key}.")
        else:
            setattr(target, key, _coerce(value, types_[key], where))


def _env_values(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    top = _field_types(Settings)
    for name, raw in env.items():
        if not name.startswith("SENDERDECK_") or name in _NOT_SETTINGS_ENV:
            continue
        key = name[len("SENDERDECK_"):].lower()
        section = next((s for s in _SECTIONS if key.startswith(s + "_")), None)
        if section and key[len(section) + 1:] in _field_types(_SECTIONS[section]):
            values.setdefault(section, {})[key[len(section) + 1:]] = raw
        elif key in top and key not in _SECTIONS and key != "config_path":
            values[key] = raw
        else:
            raise SettingsError(f"environment: {escape_control(name)} is not a senderdeck setting")
    return values


def config_file_path(explicit: str | Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if explicit:
        return Path(explicit).expanduser()
    if env.get("SENDERDECK_CONFIG"):
        return Path(env["SENDERDECK_CONFIG"]).expanduser()
    return xdg_dir("config", env) / "config.toml"


def load_settings(
    flags: Mapping[str, Any] | None = None,
    *,
    config: str | Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Build Settings from the layers, each overriding the one before.

    ``flags`` holds only what was given on the command line (None values are ignored), with
    the same keys as the config file; sections as nested dicts.
    """
    env = dict(os.environ if env is None else env)
    settings = Settings(database=default_database_url(env))
    path = config_file_path(config, env)
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"{path}: cannot read config file: {exc}") from None
        _apply(settings, data, str(path))
        settings.config_path = path
    elif config is not None or env.get("SENDERDECK_CONFIG"):
        raise SettingsError(f"{path}: config file does not exist")
    _apply(settings, _env_values(env), "environment")
    given = {k: v for k, v in (flags or {}).items() if v is not None and v != []}
    _apply(settings, given, "command line")
    _validate(settings)
    return settings


def _validate(settings: Settings) -> None:
    if settings.smtp.security not in {"starttls", "tls", "none"}:
        raise SettingsError(f"smtp.security: {settings.smtp.security!r} must be starttls, tls or none")
    _seconds("smtp.timeout", settings.smtp.timeout)
    if not 0 < settings.smtp.port < 65536:
        raise SettingsError(f"smtp.port: {settings.smtp.port} must be 1-65535")
    if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9._+-]{0,62}[A-Za-z0-9])?", settings.smtp.from_prefix):
        raise SettingsError(f"smtp.from_prefix: {settings.smtp.from_prefix!r} is not a plain mailbox name")
    if settings.domain_limit < 0:
        raise SettingsError("domain_limit: must be zero or more")
    _seconds("dns.timeout", settings.dns.timeout)
    _seconds("dns.deadline", settings.dns.deadline)
    if settings.dns.retries < 0:
        raise SettingsError(f"dns.retries: {settings.dns.retries} must be zero or more")
    if settings.dns.max_in_flight < 1:
        raise SettingsError(f"dns.max_in_flight: {settings.dns.max_in_flight} must be at least 1")
    for server in settings.nameservers:
        parse_nameserver(server)
    settings.server.validate()


def _seconds(key: str, value: float) -> None:
    """A duration that can work: a finite number of seconds above zero (not inf, not nan)."""
    if not math.isfinite(value) or value <= 0:
        raise SettingsError(f"{key}: {value!r} must be a positive number of seconds")


def parse_nameserver(text: str) -> tuple[str, int]:
    """``HOST[:PORT]``, ``[IPV6]:PORT`` or a bare IPv6 address -> (host, port); port 53 by default."""
    text = text.strip()
    shown = escape_control(repr(text))
    host, port = text, 53
    if text.startswith("["):
        host, closed, rest = text[1:].partition("]")
        if not closed or (rest and not rest.startswith(":")) or not _is_ipv6(host):
            raise SettingsError(f"nameserver {shown}: expected [IPV6-ADDRESS] or [IPV6-ADDRESS]:PORT")
        if rest:
            port = _port(rest[1:], shown)
    elif text.count(":") == 1:
        host, _, raw_port = text.partition(":")
        port = _port(raw_port, shown)
    elif ":" in text and not _is_ipv6(text):
        raise SettingsError(f"nameserver {shown}: not an IPv6 address; an IPv6 address with a port is written [ADDRESS]:PORT")
    if not host or any(ch.isspace() for ch in host):
        raise SettingsError(f"nameserver {shown}: expected HOST[:PORT]")
    return host, port


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _port(raw: str, shown: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) < 65536:
        raise SettingsError(f"nameserver {shown}: port must be 1-65535")
    return int(raw)
