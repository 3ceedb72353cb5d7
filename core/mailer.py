"""The SMTP test sender behind ``user.senderdomain.sendtest``.

``build_test_message`` renders the one synthetic message (From ``<from_prefix>@<domain>``, the
envelope sender on the MFROM domain, a text and an HTML part showing the three artifacts that
matter when debugging a sender domain); ``deliver`` hands it to the configured relay with
aiosmtplib under one hard overall timeout. Every delivery failure — refused connection, TLS
not offered, a refused recipient, a silent server — is a ``DeliveryError`` carrying the
server's reason, never anything else. Credentials come from Settings (config file or
environment) only, and never appear in a message.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import ipaddress
import re
import secrets
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime as email_date

import aiosmtplib

from core.clock import Clock
from core.errors import INVALID_PARAMETER, INVALID_RECIPIENT, MISSING_TO, ApiError, SenderdeckError, missing
from core.plaintext import has_control, strip_control
from core.settings import SmtpSettings
from core.validation import normalize_domain, require_unicode_text

MESSAGE_ID_PREFIX = "senderdomaintest_"
MAX_SUBJECT = 255
MAX_REASON = 300
# RFC 5322 dot-atom for the local part (ASCII; SMTPUTF8 local parts are not offered).
_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")


@dataclass(frozen=True)
class SendTestOutcome:
    domain_id: int
    sender_domain: str  # for display (Unicode)
    to: str
    subject: str
    message_id: str  # the spec's MessageID: senderdomaintest_<13 hex>.<8 digits>


@dataclass(frozen=True)
class TestMessage:
    message: EmailMessage
    envelope_from: str
    recipient: str
    message_id: str


class DeliveryError(SenderdeckError):
    """The relay did not take the message; ``reason`` is safe to show (no secrets)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ---- input -----------------------------------------------------------------------------------


def parse_recipient(raw: object) -> str:
    """The ``to`` parameter as one plain address (domain in ASCII), or code 3 / 8.

    Only a bare ``local@domain`` is accepted: no display names, no lists, no control
    characters — so nothing the caller sends can add a header or a second recipient.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise missing("To", MISSING_TO)
    require_unicode_text("to", raw)
    if not isinstance(raw, str):
        raise _bad_recipient()
    text = raw.strip()
    if has_control(text, invisible=False) or len(text) > 254 or text.count("@") != 1:
        raise _bad_recipient()
    local, _, domain = text.partition("@")
    if not local or len(local) > 64 or not _LOCAL_PART.match(local):
        raise _bad_recipient()
    try:
        ascii_domain = normalize_domain(domain)
    except ApiError:
        raise _bad_recipient() from None
    return f"{local}@{ascii_domain}"


def _bad_recipient() -> ApiError:
    return ApiError(INVALID_RECIPIENT, "Invalid recipient email address", 400)


def parse_subject(raw: object, default: str) -> str:
    """The ``subject`` override: absent or empty gives ``default``; line breaks are refused."""
    if raw is None:
        return default
    if not isinstance(raw, str):
        raise ApiError(INVALID_PARAMETER, "Invalid subject: expected text", 400)
    require_unicode_text("subject", raw)
    if has_control(raw.replace("\t", " "), invisible=False):
        raise ApiError(INVALID_PARAMETER, "Invalid subject: line breaks and control characters are not allowed", 400)
    text = raw.strip()
    if not text:
        return default
    if len(text) > MAX_SUBJECT:
        raise ApiError(INVALID_PARAMETER, f"Invalid subject: longer than {MAX_SUBJECT} characters", 400)
    return text


def default_subject(display_domain: str) -> str:
    return f"Sender domain test from {display_domain}"


# ---- the message -----------------------------------------------------------------------------


def new_message_id(clock: Clock) -> str:
    """PHP ``uniqid('senderdomaintest_', true)``'s shape: 13 hex digits of time, a dot, 8 digits."""
    now = clock.monotonic()
    seconds = int(now)
    micros = int(round((now - seconds) * 1_000_000)) % 1_000_000
    return f"{MESSAGE_ID_PREFIX}{seconds:08x}{micros:05x}.{secrets.randbelow(10**8):08d}"


def build_test_message(
    *,
    domain: str,
    display_domain: str,
    mfrom_domain: str,
    tracking_domain: str | None,
    from_prefix: str,
    recipient: str,
    subject: str,
    clock: Clock,
) -> TestMessage:
    """The synthetic test message; ``domain``, ``mfrom_domain`` and ``tracking_domain`` in ASCII."""
    from_address = f"{from_prefix}@{domain}"
    envelope_from = f"{from_prefix}@{mfrom_domain}"
    message_id = new_message_id(clock)

    msg = EmailMessage()
    msg["From"] = from_address
    msg["To"] = recipient
    msg["Subject"] = subject
    msg["Date"] = email_date(clock.now().replace(tzinfo=dt.timezone.utc))
    msg["Message-ID"] = f"<{message_id}@{mfrom_domain}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Mailer"] = "senderdeck"

    track_line = f"http://{tracking_domain}/" if tracking_domain else "disabled for this domain"
    text = "\n".join(
        [
            f"This is a test message from the sender domain {display_domain}.",
            "",
            f"From address:      {from_address}",
            f"MFROM domain:      {mfrom_domain}  (return path: {envelope_from})",
            f"Tracking domain:   {tracking_domain or '-'}",
            f"Tracking link:     {track_line}",
            "",
            "If this message arrived, the relay accepted mail for this domain. Check the",
            "Authentication-Results header: SPF is checked against the MFROM domain, DKIM",
            "and DMARC against the From domain.",
            "",
            f"Message ID: {message_id}",
            "",
        ]
    )
    e = html.escape
    if tracking_domain:
        track_html = f'<a href="http://{e(tracking_domain)}/">{e(tracking_domain)}</a>'
    else:
        track_html = "disabled for this domain"
    body_html = (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>{e(subject)}</title></head><body>\n"
        f"<p>This is a test message from the sender domain <strong>{e(display_domain)}</strong>.</p>\n"
        "<table>\n"
        f"<tr><th align=\"left\">From address</th><td>{e(from_address)}</td></tr>\n"
        f"<tr><th align=\"left\">MFROM domain</th><td>{e(mfrom_domain)} (return path: {e(envelope_from)})</td></tr>\n"
        f"<tr><th align=\"left\">Tracking domain</th><td>{track_html}</td></tr>\n"
        "</table>\n"
        "<p>If this message arrived, the relay accepted mail for this domain. Check the "
        "Authentication-Results header: SPF is checked against the MFROM domain, DKIM and "
        "DMARC against the From domain.</p>\n"
        f"<p><small>Message ID: {e(message_id)}</small></p>\n"
        "</body></html>\n"
    )
    msg.set_content(text)
    msg.add_alternative(body_html, subtype="html")
    return TestMessage(msg, envelope_from, recipient, message_id)


# ---- delivery --------------------------------------------------------------------------------


def _is_loopback(host: str) -> bool:
    if host.lower() in {"localhost", "localhost."}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def tls_context(smtp: SmtpSettings) -> ssl.SSLContext:
    """Certificates are verified; ``smtp.ca_file`` adds a private CA (a relay's own)."""
    try:
        return ssl.create_default_context(cafile=smtp.ca_file or None)
    except (OSError, ssl.SSLError) as exc:
        raise DeliveryError(f"cannot load smtp.ca_file {smtp.ca_file}: {exc}") from None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, aiosmtplib.SMTPConnectError) and isinstance(exc.__cause__, OSError):
        exc = exc.__cause__  # the socket's own error says more than aiosmtplib's wrapper
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        first = exc.recipients[0]
        text = f"recipient refused: {first.code} {first.message}"
    elif isinstance(exc, aiosmtplib.SMTPRecipientRefused):
        text = f"recipient refused: {exc.code} {exc.message}"
    elif isinstance(exc, aiosmtplib.SMTPSenderRefused):
        text = f"sender refused: {exc.code} {exc.message}"
    elif isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        text = f"authentication failed: {exc.code} {exc.message}"
    elif isinstance(exc, aiosmtplib.SMTPTimeoutError):
        text = f"timed out: {exc}"
    elif isinstance(exc, aiosmtplib.SMTPResponseException):
        text = f"{exc.code} {exc.message}"
    elif isinstance(exc, ssl.SSLCertVerificationError):
        text = f"TLS failed: certificate verify failed: {exc.verify_message or exc.reason}"
    elif isinstance(exc, ssl.SSLError):
        text = f"TLS failed: {exc.reason or exc}"
    elif isinstance(exc, ConnectionRefusedError):
        text = "connection refused"
    elif isinstance(exc, OSError) and exc.strerror:
        text = f"cannot connect: {exc.strerror}"
    else:
        text = str(exc) or type(exc).__name__
    text = " ".join(strip_control(text.replace("\r", " ").replace("\n", " ")).split())
    return text[:MAX_REASON]


async def deliver(smtp: SmtpSettings, test: TestMessage) -> None:
    """Send ``test`` through the relay in ``smtp``; raise DeliveryError on any failure.

    ``smtp.timeout`` bounds the whole exchange (connect, TLS, AUTH, DATA, QUIT), not each step.
    """
    where = f"{smtp.host}:{smtp.port}"
    if smtp.username and smtp.security == "none" and not _is_loopback(smtp.host):
        raise DeliveryError(f"{where}: refusing to send SMTP credentials without TLS (smtp.security = none)")
    context = tls_context(smtp) if smtp.security in {"starttls", "tls"} else None
    client = aiosmtplib.SMTP(
        hostname=smtp.host,
        port=smtp.port,
        timeout=smtp.timeout,
        use_tls=smtp.security == "tls",
        start_tls=True if smtp.security == "starttls" else False,
        tls_context=context,
    )
    sent = False
    try:
        async with asyncio.timeout(smtp.timeout):
            await client.connect()
            if smtp.username:
                await client.login(smtp.username, smtp.password)
            await client.send_message(test.message, sender=test.envelope_from, recipients=[test.recipient])
            sent = True
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                pass  # the message was accepted; a failed goodbye changes nothing
    except TimeoutError:
        if sent:
            return
        raise DeliveryError(f"{where}: no answer within {smtp.timeout:g} s") from None
    except (aiosmtplib.SMTPException, OSError, ssl.SSLError, ValueError) as exc:
        if sent:
            return
        raise DeliveryError(f"{where}: {_reason(exc)}") from None
    finally:
        if client.is_connected:
            client.close()
