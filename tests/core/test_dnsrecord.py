"""A record as an object, read from and written back to the spec's stored list shape."""

from __future__ import annotations

import pytest

from core.dnsrecord import DnsRecord, all_verified, records_from_stored, records_to_stored


def test_the_stored_shapes_round_trip():
    stored = {
        "sl.example.com": ["CNAME", "rp.example.", True],
        "example.com": ["TXT", "v=spf1 include:spf.example ~all", False],
        "_dmarc.example.com": ["TXT", "v=DMARC1; p=none", None],
    }
    records = records_from_stored(stored)
    assert [r.host for r in records] == list(stored)  # the order a person adds them in
    assert records[0] == DnsRecord("sl.example.com", "CNAME", "rp.example.", True)
    assert [r.verified for r in records] == [True, False, None]
    assert records_to_stored(records) == stored
    template = {"sl.example.com": ["CNAME", "rp.example."]}
    assert records_from_stored(template) == [DnsRecord("sl.example.com", "CNAME", "rp.example.", None)]
    assert records_to_stored(records_from_stored(template), with_flag=False) == template


@pytest.mark.parametrize("entry", [None, [], "CNAME", ["CNAME"], {"Type": "CNAME"}, ["CNAME", "x", "yes"], ["CNAME", "x", 1]])
def test_a_malformed_entry_reads_as_an_unchecked_record(entry):
    (record,) = records_from_stored({"sl.example.com": entry})
    assert record.host == "sl.example.com" and record.verified is None
    assert isinstance(record.type, str) and isinstance(record.value, str)


def test_all_verified_needs_records_and_every_flag_true():
    ok = DnsRecord("a", "TXT", "x", True)
    assert all_verified([ok, ok])
    assert not all_verified([])
    assert not all_verified([ok, DnsRecord("b", "TXT", "y", None)])
    assert not all_verified([ok, DnsRecord("b", "TXT", "y", False)])
