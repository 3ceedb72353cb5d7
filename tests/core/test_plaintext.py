"""One module says which characters are unsafe; each caller strips, escapes or refuses them."""

from __future__ import annotations

import json

import pytest

from core.plaintext import escape_control, escape_in_json, has_control, strip_control

HOSTILE = "a\x1b]0;title\x07b\u202ec\u2066d\u200be\ufefff\x85g\u2028h\x00"


def test_strip_removes_every_control_and_invisible_character():
    assert strip_control(HOSTILE) == "a]0;titlebcdefgh"
    assert strip_control("bücher.example 👍") == "bücher.example 👍"


def test_escape_shows_them_visibly_and_keeps_the_rest():
    assert escape_control(HOSTILE) == "a\\x1b]0;title\\x07b\\u202ec\\u2066d\\u200be\\ufefff\\x85g\\u2028h\\x00"
    assert escape_control("[b]markup[/b] ümlaut") == "[b]markup[/b] ümlaut"


@pytest.mark.parametrize("text", ["line\nbreak", "tab\there", "nul\x00", "del\x7f", "nel\x85", "ls\u2028"])
def test_controls_are_refused_everywhere(text):
    assert has_control(text) and has_control(text, invisible=False)


def test_invisible_formatting_is_refused_only_where_asked():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # an emoji joined by zero-width joiners
    assert has_control(family) and not has_control(family, invisible=False)
    assert has_control("abc\u202edef") and not has_control("abc\u202edef", invisible=False)


def test_json_stays_valid_and_decodes_to_the_same_value():
    value = {"Name": HOSTILE, "Plain": "bücher"}
    text = escape_in_json(json.dumps(value, ensure_ascii=False, indent=2))
    assert json.loads(text) == value
    assert "\u202e" not in text and "\x85" not in text and "bücher" in text
    assert text.count("\n") == 3  # the layout's line breaks are kept
