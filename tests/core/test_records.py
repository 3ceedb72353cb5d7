"""The record template is a pure, deterministic function of its inputs."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_private_key

from core.records import build_records, generate_dkim_key, zone_snippet
from core.settings import PlatformSettings

PLATFORM = PlatformSettings(
    return_path_host="bounce.platform.example",
    tracking_host="click.platform.example.",
    spf_include="_spf.platform.example",
    dmarc_policy="quarantine",
    dmarc_report_address="mailto:agg@platform.example",
    dkim_selector="pm",
)


def test_template_order_and_values(tmp_path):
    records = build_records("example.com", {}, PLATFORM, dkim_selector="pm", dkim_public_b64="QUJD")
    assert records == {
        "sl.example.com": ["CNAME", "bounce.platform.example."],
        "track-sl.example.com": ["CNAME", "click.platform.example."],
        "example.com": ["TXT", "v=spf1 include:_spf.platform.example ~all"],
        "pm._domainkey.example.com": ["TXT", "v=DKIM1; k=rsa; p=QUJD"],
        "_dmarc.example.com": ["TXT", "v=DMARC1; p=quarantine; rua=mailto:agg@platform.example"],
    }
    assert list(records) == ["sl.example.com", "track-sl.example.com", "example.com", "pm._domainkey.example.com", "_dmarc.example.com"]


def test_custom_labels_and_tracking_disabled():
    records = build_records(
        "example.com", {"CustomSubdomain": "em", "CustomTrackPrefix": "go", "TrackPrefixDisabled": False}, PLATFORM,
        dkim_selector="pm", dkim_public_b64="QUJD",
    )
    assert list(records)[:2] == ["em.example.com", "go-em.example.com"]
    records = build_records("example.com", {"CustomSubdomain": "em", "TrackPrefixDisabled": True}, PLATFORM, dkim_selector="pm", dkim_public_b64="QUJD")
    assert "go-em.example.com" not in records and "track-em.example.com" not in records


def test_deterministic():
    args = ("example.com", {"CustomSubdomain": "em"}, PLATFORM)
    kwargs = dict(dkim_selector="pm", dkim_public_b64="QUJD")
    assert build_records(*args, **kwargs) == build_records(*args, **kwargs)


def test_dkim_key_is_2048_bit_and_pairs():
    key = generate_dkim_key()
    public = load_der_public_key(base64.b64decode(key.public_b64))
    private = load_pem_private_key(key.private_pem.encode(), password=None)
    assert public.key_size == 2048
    assert private.public_key().public_numbers() == public.public_numbers()
    assert generate_dkim_key().public_b64 != key.public_b64


def test_zone_snippet_splits_long_txt():
    long_value = "v=DKIM1; k=rsa; p=" + "A" * 400
    text = zone_snippet({"pm._domainkey.example.com": ["TXT", long_value], "sl.example.com": ["CNAME", "rp.example."]})
    line = text.splitlines()[0]
    assert line.startswith("pm._domainkey.example.com.\t3600\tIN\tTXT\t")
    parts = line.split("\t")[-1]
    assert parts.count('"') == 4  # two character-strings
    assert "".join(p for p in parts.split('"')[1::2]) == long_value
    assert text.splitlines()[1] == "sl.example.com.\t3600\tIN\tCNAME\trp.example."
