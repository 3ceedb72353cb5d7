"""Secrets are never shown: a URL's password (any scheme) and password-like query parameters
are masked wherever a URL is printed or logged — `senderdeck config`, error messages, the
log file. Everything shown to a person or written to a log goes through here."""

from __future__ import annotations

import logging
import re

MASK = "***"
# Query parameters that carry a secret (libpq's password and sslpassword, and the usual others).
SECRET_PARAMETERS = frozenset(
    {"password", "passwd", "pwd", "pass", "sslpassword", "secret", "token", "access_token", "apikey", "api_key", "key"}
)
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]*")


def redact_url(url: str) -> str:
    """``url`` with the password of its user information and every secret query parameter
    masked: ``postgresql://ops:***@db/sd``, ``redis://:***@cache:6379/0``, ``…?password=***``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    cut = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    at = rest.rfind("@", 0, cut)  # the last @ before the query: passwords may hold an @
    if at >= 0:
        userinfo = rest[:at]
        if ":" in userinfo:
            user = userinfo.split(":", 1)[0]
            rest = f"{user}:{MASK}{rest[at:]}"
            cut = cut - at + len(user) + 1 + len(MASK)
    if cut < len(rest) and rest[cut] == "?":
        end = rest.find("#", cut)
        end = len(rest) if end < 0 else end
        rest = rest[: cut + 1] + _redact_query(rest[cut + 1 : end]) + rest[end:]
    return f"{scheme}://{rest}"


def _redact_query(query: str) -> str:
    parts = []
    for part in re.split(r"([&;])", query):
        name, eq, _value = part.partition("=")
        parts.append(f"{name}={MASK}" if eq and name.strip().lower() in SECRET_PARAMETERS else part)
    return "".join(parts)


def redact_urls(text: str) -> str:
    """``text`` (a message, a traceback) with every URL in it redacted."""
    return _URL.sub(lambda m: redact_url(m.group()), text)


class RedactingFormatter(logging.Formatter):
    """A log formatter whose lines, tracebacks included, never carry a URL's secret."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_urls(super().format(record))
