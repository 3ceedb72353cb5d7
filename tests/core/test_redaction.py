"""Every URL shown or logged has its secrets masked, whatever its scheme (issue 11.8)."""

from __future__ import annotations

import logging

import pytest

from core.redaction import RedactingFormatter, redact_url, redact_urls


@pytest.mark.parametrize(
    "url, shown",
    [
        ("postgresql://ops:PW@db.internal:5432/sd", "postgresql://ops:***@db.internal:5432/sd"),
        ("redis://:PW@cache:6379/0", "redis://:***@cache:6379/0"),
        ("rediss://default:PW@cache:6380", "rediss://default:***@cache:6380"),
        ("postgresql://db.internal/sd?password=PW", "postgresql://db.internal/sd?password=***"),
        ("postgresql://db/sd?sslmode=require&PASSWORD=PW&application_name=x", "postgresql://db/sd?sslmode=require&PASSWORD=***&application_name=x"),
        ("postgresql://u:p@ss@db/sd?sslpassword=PW#frag", "postgresql://u:***@db/sd?sslpassword=***#frag"),
        ("mysql://root:PW@h/db", "mysql://root:***@h/db"),
        ("memcache://:PW@h", "memcache://:***@h"),
        ("postgresql://ops@db/sd", "postgresql://ops@db/sd"),  # no password: nothing to hide
        ("sqlite:////home/me@work/senderdeck.db", "sqlite:////home/me@work/senderdeck.db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
        ("not a url", "not a url"),
    ],
)
def test_redact_url(url, shown):
    assert redact_url(url) == shown
    assert "PW" not in redact_url(url)


def test_every_url_in_a_message_is_redacted():
    text = "database postgresql://a:PW@h/d: failed; cache 'redis://:PW2@c:1/0' too (see redis://c)"
    assert redact_urls(text) == "database postgresql://a:***@h/d: failed; cache 'redis://:***@c:1/0' too (see redis://c)"


def test_log_lines_and_their_tracebacks_are_redacted():
    formatter = RedactingFormatter("%(message)s")
    try:
        raise RuntimeError("could not reach postgresql://ops:PW@db/sd")
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "opening %s", ("redis://:PW@c/0",), None)
        import sys

        record.exc_info = sys.exc_info()
    line = formatter.format(record)
    assert "PW" not in line and "RuntimeError" in line and "redis://:***@c/0" in line
