"""Normalising and validating what users type: sender domains, subdomain labels, booleans.

Sender domains are stored in ASCII (IDNA 2008 punycode, lower case, no trailing dot) and
shown in Unicode. Every rejection is an ApiError with the spec's code.
"""

from __future__ import annotations

import ipaddress
import math
import re
import unicodedata

import idna

from core.errors import CREATE_FAILED, INVALID_LABEL, INVALID_PARAMETER, LOCALHOST, ApiError, missing, not_found
from core.plaintext import has_control, strip_control  # noqa: F401 (the TUI imports strip_control from here)

_LDH_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_OPTION_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$")

MAX_NAME = 253
MAX_LABEL = 63
OPTION_RULE = "letters, digits, and hyphens only; max 32 chars; no leading/trailing hyphens"


def _invalid(reason: str) -> ApiError:
    return ApiError(CREATE_FAILED, f"Invalid sender domain: {reason}", 400)


def normalize_domain(raw: object) -> str:
    """Return the ASCII form of a sender domain or raise ApiError.

    Codes: 1 when empty, 4 for localhost, 7 (HTTP 400) for anything else that is not a
    registrable host name.
    """
    if raw is None:
        raise missing("SenderDomain")
    if not isinstance(raw, str):
        raise _invalid("expected a domain name such as example.com")
    text = raw.strip()
    if has_control(text):
        raise _invalid("contains control or invisible characters")
    text = text.rstrip(".") if text.endswith(".") and not text.endswith("..") else text
    if not text:
        raise missing("SenderDomain")
    if _is_ip(text[1:-1] if text.startswith("[") and text.endswith("]") else text):
        raise _invalid("an IP address is not a domain name")
    text = unicodedata.normalize("NFC", text).lower()
    if stray := _not_allowed(text):
        raise _invalid(f"{stray} not allowed; a domain name has letters, digits, hyphens and dots")
    # Full-width and ideographic dots separate labels too (UTS #46).
    for dot in ("\u3002", "\uff0e", "\uff61"):
        text = text.replace(dot, ".")
    if text == "localhost" or text.endswith(".localhost"):
        raise ApiError(LOCALHOST, "localhost is not a valid sender domain", 400)
    labels = text.split(".")
    if any(label == "" for label in labels):
        raise _invalid("empty label (two dots in a row, or a leading dot)")
    ascii_labels = [_label_to_ascii(label) for label in labels]
    if len(ascii_labels) < 2:
        raise _invalid("a single label is not a domain; use a name such as example.com")
    name = ".".join(ascii_labels)
    if len(name) > MAX_NAME:
        raise _invalid(f"name is {len(name)} characters; the limit is {MAX_NAME}")
    if ascii_labels[-1].isdigit():
        raise _invalid("the top-level label cannot be all digits")
    return name


_DOTS = ".\u3002\uff0e\uff61"  # the full stop, and the ideographic and full-width ones (UTS #46)


def _not_allowed(text: str) -> str:
    """The characters of ``text`` no domain name can hold, quoted (``'[', ']' and '/' are``),
    or "" when there are none. Letters and digits of any script, combining marks (they belong
    to letters in many scripts), hyphens and dots pass; IDNA then judges the labels."""
    stray = [
        c for c in dict.fromkeys(text)
        if not (c.isalnum() or c == "-" or c in _DOTS or unicodedata.category(c).startswith("M"))
    ]
    if not stray:
        return ""
    quoted = [repr(c) if c != "'" else '"\'"' for c in stray]
    names = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
    return f"{names} {'is' if len(quoted) == 1 else 'are'}"


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def _label_to_ascii(label: str) -> str:
    if label.isascii():
        ascii_label = label
    else:
        try:
            ascii_label = idna.encode(label, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError) as exc:
            raise _invalid(f"label {label!r} is not a valid internationalised label ({exc})") from None
    if len(ascii_label) > MAX_LABEL:
        raise _invalid(f"label {display_label(ascii_label)!r} is {len(ascii_label)} characters; the limit is {MAX_LABEL}")
    if ascii_label.startswith("-") or ascii_label.endswith("-"):
        raise _invalid(f"label {label!r} starts or ends with a hyphen")
    if not _LDH_LABEL.match(ascii_label):
        raise _invalid(f"label {label!r} has characters other than letters, digits and hyphens")
    if ascii_label.startswith("xn--"):
        try:
            idna.decode(ascii_label)
        except (idna.IDNAError, UnicodeError):
            raise _invalid(f"label {label!r} is not valid punycode") from None
    elif ascii_label[2:4] == "--":
        raise _invalid(f"label {label!r} has hyphens in the third and fourth positions")
    return ascii_label


def display_label(label: str) -> str:
    if label.startswith("xn--"):
        try:
            return idna.decode(label)
        except (idna.IDNAError, UnicodeError):
            return label
    return label


def to_unicode(name: str) -> str:
    """The Unicode form of a stored ASCII domain, for display."""
    return ".".join(display_label(label) for label in name.split("."))


def validate_option_label(name: str, raw: object) -> str:
    """CustomSubdomain / CustomTrackPrefix: the spec's rule, code 6. Stored lower case."""
    if not isinstance(raw, str) or not _OPTION_LABEL.match(raw.strip()):
        raise ApiError(INVALID_LABEL, f"Invalid {name}. Letters, digits, and hyphens only; max 32 chars; no leading/trailing hyphens", 400)
    return raw.strip().lower()


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def parse_bool(name: str, raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    raise ApiError(INVALID_PARAMETER, f"Invalid {name}: expected true or false", 400)


def is_unicode_text(text: str) -> bool:
    """False when ``text`` holds a lone surrogate (JSON's ``"\ud800"``, or bytes that were not
    UTF-8 on a command line): it cannot be encoded, stored or sent."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def require_unicode_text(name: str, raw: object) -> None:
    """Code 12 when a text parameter is not valid Unicode."""
    if isinstance(raw, str) and not is_unicode_text(raw):
        shown = name.encode("utf-8", "backslashreplace").decode("utf-8")
        raise ApiError(INVALID_PARAMETER, f"Invalid {shown}: not valid Unicode text (a lone surrogate)", 400)


_WHOLE = re.compile(r"[0-9]+(?:\.0*)?")


def whole_number(raw: object) -> int | None:
    """An integer parameter's value: an int, a float with no fraction (JSON ``7.0`` is 7),
    or decimal digits (``"7"``, ``"7.0"``); None for anything else (booleans included)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return int(raw) if math.isfinite(raw) and raw.is_integer() else None
    if isinstance(raw, str) and _WHOLE.fullmatch(raw.strip()):
        return int(raw.strip().split(".")[0])
    return None


def is_absent(raw: object) -> bool:
    """An optional parameter sent as null or an empty string counts as not sent."""
    return raw is None or (isinstance(raw, str) and not raw.strip())


def parse_domain_id(raw: object) -> int:
    """DomainID: code 1 when absent or empty; an ID that names no domain is code 2."""
    if is_absent(raw):
        raise missing("DomainID")
    value = whole_number(raw)
    if value is None:
        raise not_found()
    if value <= 0 or value > 2**63 - 1:
        raise not_found()
    return value
