"""Text from outside (DNS answers, domain names, log files, user input) made safe to show.

The one place that says which characters are unsafe, and the three things done with them:
``has_control`` to refuse input, ``strip_control`` to drop them from what is displayed,
``escape_control`` to show them visibly (``\\x1b``, ``\\u202e``) where the exact text matters.
"""

from __future__ import annotations

import re

_C0 = r"\x00-\x1f"
_OTHER_CONTROLS = r"\x7f-\x9f\u2028\u2029"  # DEL, C1, and the Unicode line and paragraph separators
# Zero-width characters and bidi embeddings, overrides and isolates: invisible, and able to
# make text read as something it is not.
_INVISIBLE = r"\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"

# Characters that break a line, a header or a terminal (what headers and addresses refuse;
# an emoji's zero-width joiner is fine there).
CONTROL = re.compile(f"[{_C0}{_OTHER_CONTROLS}]")
# Everything unsafe to display: controls and invisible formatting.
UNSAFE = re.compile(f"[{_C0}{_OTHER_CONTROLS}{_INVISIBLE}]")
# The same for JSON text: json.dumps escapes C0 itself, and outside strings C0 is formatting.
_UNSAFE_IN_JSON = re.compile(f"[{_OTHER_CONTROLS}{_INVISIBLE}]")


def has_control(text: str, *, invisible: bool = True) -> bool:
    """Whether ``text`` holds an unsafe character (``invisible=False``: controls only)."""
    return (UNSAFE if invisible else CONTROL).search(text) is not None


def strip_control(text: str) -> str:
    """``text`` without control and invisible formatting characters."""
    return UNSAFE.sub("", text)


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_control(text: str) -> str:
    """``text`` with control and invisible characters as visible ``\\xNN`` / ``\\uNNNN`` escapes."""
    return UNSAFE.sub(_escape, text)


def escape_in_json(text: str) -> str:
    """JSON text (from json.dumps) with the unsafe characters inside its strings as ``\\uNNNN``
    escapes: still valid JSON that decodes to the same values."""
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
