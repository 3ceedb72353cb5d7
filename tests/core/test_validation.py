"""Domain and option validation: the normal forms, every rejection with its code, and
properties that hold for arbitrary text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from core import users
from core.errors import INVALID_PARAMETER, ApiError
from core.models import User
from core.validation import normalize_domain, parse_bool, parse_domain_id, strip_control, to_unicode, validate_option_label


@pytest.mark.parametrize(
    "raw, ascii_form",
    [
        ("example.com", "example.com"),
        ("  Example.COM.  ", "example.com"),
        ("mail.Example.co.uk", "mail.example.co.uk"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("例え.テスト", "xn--r8jz45g.xn--zckzah"),
        ("faß.de", "xn--fa-hia.de"),
        ("a-b.example", "a-b.example"),
        ("1example.com", "1example.com"),
        ("a" * 63 + ".com", "a" * 63 + ".com"),
    ],
)
def test_normal_forms(raw, ascii_form):
    assert normalize_domain(raw) == ascii_form


def test_shown_in_unicode():
    assert to_unicode("xn--bcher-kva.de") == "bücher.de"
    assert to_unicode("example.com") == "example.com"


@pytest.mark.parametrize(
    "raw, code",
    [
        (None, 1),
        ("", 1),
        ("   ", 1),
        ("localhost", 4),
        ("LOCALHOST.", 4),
        ("mail.localhost", 4),
        ("127.0.0.1", 7),
        ("::1", 7),
        ("[10.0.0.1]", 7),
        ("com", 7),
        ("a" * 64 + ".com", 7),
        (("a" * 63 + ".") * 4 + "com", 7),
        ("ex ample.com", 7),
        ("ex_ample.com", 7),
        ("-example.com", 7),
        ("example-.com", 7),
        ("example..com", 7),
        (".example.com", 7),
        ("ab--cd.com", 7),
        ("xn--zz.com", 7),
        ("exa\u202emple.com", 7),
        ("exa\x00mple.com", 7),
        ("example.123", 7),
        (42, 7),
    ],
)
def test_rejections_are_coded(raw, code):
    with pytest.raises(ApiError) as info:
        normalize_domain(raw)
    assert info.value.code == code
    assert info.value.message


@pytest.mark.parametrize(
    "raw, said",
    [
        ("[bold]x[/]", "'[', ']' and '/' are not allowed"),
        ("[/x]", "'[', '/' and ']' are not allowed"),
        ("ex_ample.com", "'_' is not allowed"),
        ("ex ample.com", "' ' is not allowed"),
        ("a@b.com", "'@' is not allowed"),
        ("[10.0.0.1]", "an IP address is not a domain name"),
    ],
)
def test_a_stray_character_is_named(raw, said):
    """Issue 14.5: markup-like input is not called an IP address; the message names what is wrong."""
    with pytest.raises(ApiError) as info:
        normalize_domain(raw)
    assert info.value.code == 7 and said in info.value.message, info.value.message


@pytest.mark.parametrize("raw", ["bücher.example", "例え.example", "café-lumière.example", "ελληνικά.example", "हिन्दी.example"])
def test_letters_of_any_script_pass_the_character_check(raw):
    assert normalize_domain(raw)


@pytest.mark.parametrize("raw", ["sl", "EM", "a", "a" * 32, "mail-1", "0"])
def test_option_labels_accepted(raw):
    assert validate_option_label("CustomSubdomain", raw) == raw.lower()


@pytest.mark.parametrize("raw", ["", "-a", "a-", "a" * 33, "a_b", "a.b", "ä", " ", None, 5])
def test_option_labels_rejected_with_code_6(raw):
    with pytest.raises(ApiError) as info:
        validate_option_label("CustomSubdomain", raw)
    assert info.value.code == 6


def test_parse_bool_and_domain_id():
    assert parse_bool("X", "TRUE") is True and parse_bool("X", "0") is False and parse_bool("X", False) is False
    with pytest.raises(ApiError):
        parse_bool("X", "maybe")
    assert parse_domain_id("12") == 12 and parse_domain_id(7) == 7
    for raw, code in [(None, 1), ("", 1), ("abc", 2), ("-1", 2), ("0", 2), (True, 2), ("١٢", 2), ("9" * 30, 2)]:
        with pytest.raises(ApiError) as info:
            parse_domain_id(raw)
        assert info.value.code == code


@hsettings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_normalised_or_rejected_with_a_code(raw):
    try:
        name = normalize_domain(raw)
    except ApiError as exc:
        assert exc.code in (1, 4, 7)
        return
    assert name.isascii() and name == name.lower() and len(name) <= 253
    assert all(0 < len(label) <= 63 for label in name.split("."))
    assert normalize_domain(name) == name  # idempotent
    assert normalize_domain(to_unicode(name)) == name  # round-trips through its Unicode form


LABEL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=20).filter(
    lambda s: not s.startswith("-") and not s.endswith("-") and s[2:4] != "--"
)


@hsettings(max_examples=200, deadline=None)
@given(st.lists(LABEL, min_size=2, max_size=5))
def test_valid_ldh_names_are_accepted(labels):
    if labels[-1].isdigit() or labels[-1] == "localhost":  # refused by design (codes 7 and 4)
        labels[-1] += "x"
    name = ".".join(labels)
    assert normalize_domain(name.upper() + ".") == name


@given(st.text())
def test_strip_control_leaves_no_control_characters(text):
    cleaned = strip_control(text)
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in cleaned)


@pytest.mark.parametrize("name", ["evil\n", "evil\r\n", "ev\nil", "\nevil", "evil\x00", "évil", ""])
def test_user_names_with_line_breaks_or_more_are_refused(ctx, name):
    # Issue 11.14: `evil\n` passed the name check (a regex whose $ matches before a newline).
    with pytest.raises(ApiError) as refused:
        users.create_user(name, ctx.clock)
    assert refused.value.code == INVALID_PARAMETER
    assert User.select().count() == 0
