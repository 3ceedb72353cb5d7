"""Importers on real files and a real SQLite database: PowerMTA accounting files and the plain
daily CSV; attribution, UTC days, bad rows, idempotency, interruption, bounded memory."""

from __future__ import annotations

import datetime as dt
import gzip
import shutil

import pytest

from core.importers import import_file
from core.importers.pmta import utc_day
from core.models import STATUS_DISABLED, DomainStat, ImportCursor, SenderDomain
from core.stat_store import delete_counts, stats_transaction, store_counts

PMTA_HEADER = (
    "type,timeLogged,timeQueued,orig,rcpt,orcpt,dsnAction,dsnStatus,dsnDiag,dsnMta,bounceCat,srcType,srcMta,"
    "dlvType,dlvSourceIp,dlvDestinationIp,dlvEsmtpAvailable,dlvSize,vmta,jobId,envId,queue,vmtaPool,header_From"
)


def quote(text):
    return '"' + text.replace('"', '""') + '"'


def pmta_row(rtype, when, orig, from_="", rcpt="someone@gmail.com", diag="smtp;250 2.0.0 OK"):
    fields = [rtype, when, when, orig, rcpt, "", "relayed", "2.0.0", f'"{diag}"', "mx.gmail.com", "", "smtp",
              "app1 (10.0.0.5)", "smtp", "10.0.1.1", "142.250.1.27", "PIPELINING", "2000", "vmta1", "job1", "",
              "gmail.com/vmta1", "pool1", quote(from_) if from_ else ""]
    return ",".join(fields)


@pytest.fixture
def domains(ctx, alice):
    svc = ctx.service
    return {
        "example.com": svc.create_domain(alice, {"SenderDomain": "example.com"}).id,
        "shop.example": svc.create_domain(alice, {"SenderDomain": "shop.example", "CustomSubdomain": "bounce"}).id,
        "bücher.example": svc.create_domain(alice, {"SenderDomain": "bücher.example"}).id,
    }


def stat_rows():
    return sorted(
        (r.domain_id, r.day.isoformat(), r.sent, r.delivered, r.bounced, r.complaints) for r in DomainStat.select()
    )


def run(ctx, path, kind="pmta", **kwargs):
    return import_file(path, kind, settings=ctx.settings, clock=ctx.clock, **kwargs)


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


# ---- PowerMTA ---------------------------------------------------------------------------


def test_pmta_counts_delivered_bounced_and_complaints_per_domain_and_day(ctx, domains, tmp_path):
    ex, shop = domains["example.com"], domains["shop.example"]
    path = write(tmp_path, "acct-1.csv", "\n".join([
        PMTA_HEADER,
        pmta_row("d", "2026-05-22 10:00:00+0000", "bounces-1@sl.example.com"),
        pmta_row("d", "2026-05-22 10:00:01+0000", "bounces-2@sl.example.com"),
        pmta_row("b", "2026-05-22 10:00:02+0000", "bounces-3@sl.example.com", diag="smtp;550 5.1.1 unknown, user"),
        pmta_row("f", "2026-05-22 11:00:00+0000", "bounces-1@sl.example.com"),
        pmta_row("d", "2026-05-22 12:00:00+0000", "x@bounce.shop.example", from_='"Shop, Inc." <news@shop.example>'),
        pmta_row("t", "2026-05-22 12:00:00+0000", "x@sl.example.com"),
        pmta_row("tq", "2026-05-22 12:00:00+0000", "x@sl.example.com"),
        pmta_row("rb", "2026-05-22 12:00:00+0000", "x@sl.example.com"),
        pmta_row("f", "2026-05-23 08:00:00+0000", "", from_="Shop <news@SHOP.example>"),
    ]) + "\n")
    summary = run(ctx, path)
    assert summary.status == "imported" and summary.error is None
    assert (summary.rows_read, summary.rows_imported) == (9, 6)
    assert dict(summary.skipped) == {"ignored record type 't'": 1, "ignored record type 'tq'": 1, "ignored record type 'rb'": 1}
    assert stat_rows() == sorted([
        (ex, "2026-05-22", 3, 2, 1, 1),  # sent = d + b
        (shop, "2026-05-22", 1, 1, 0, 0),
        (shop, "2026-05-23", 0, None, 0, 1),  # only a complaint: deliveries not recorded that day
    ])
    assert ImportCursor.select().count() == 1


def test_header_from_wins_over_the_envelope_sender_which_is_the_fallback(ctx, domains, tmp_path):
    ex, shop = domains["example.com"], domains["shop.example"]
    path = write(tmp_path, "a.csv", "\n".join([
        PMTA_HEADER,
        pmta_row("d", "2026-05-22 10:00:00+0000", "bounces@sl.example.com", from_="news@shop.example"),
        pmta_row("d", "2026-05-22 10:00:00+0000", "bounces@sl.example.com", from_=""),  # no From: orig
        pmta_row("d", "2026-05-22 10:00:00+0000", "bounces@sl.example.com", from_="nobody@unknown.example"),
    ]) + "\n")
    summary = run(ctx, path)
    assert stat_rows() == sorted([(ex, "2026-05-22", 1, 1, 0, 0), (shop, "2026-05-22", 1, 1, 0, 0)])
    assert dict(summary.unknown_domains) == {"unknown.example": 1}


def test_mfrom_hosts_map_back_to_their_sender_domain(ctx, domains, tmp_path):
    ex, shop, idn = domains["example.com"], domains["shop.example"], domains["bücher.example"]
    path = write(tmp_path, "a.csv", "\n".join([
        "type,timeLogged,orig",
        "d,2026-05-22 10:00:00,a@sl.example.com",  # the default MFROM subdomain
        "d,2026-05-22 10:00:00,a@bounce.shop.example",  # CustomSubdomain
        "d,2026-05-22 10:00:00,a@sl.shop.example",  # the default, from before the CustomSubdomain change
        "d,2026-05-22 10:00:00,a@sl.xn--bcher-kva.example",
        "d,2026-05-22 10:00:00,a@sl.bücher.example",
        "d,2026-05-22 10:00:00,a@other.sl.example.com",  # deeper: not ours
    ]) + "\n")
    summary = run(ctx, path)
    assert stat_rows() == sorted([
        (ex, "2026-05-22", 1, 1, 0, 0), (shop, "2026-05-22", 2, 2, 0, 0), (idn, "2026-05-22", 2, 2, 0, 0),
    ])
    assert dict(summary.unknown_domains) == {"other.sl.example.com": 1}


def test_custom_header_order_subset_and_quoted_fields(ctx, domains, tmp_path):
    ex = domains["example.com"]
    text = (
        'header_From,rcpt,dsnDiag,TIMELOGGED,Type\n'
        '"""Example, the shop"" <news@example.com>",a@b.c,"smtp;250 ok, ""queued""",2026-05-22 10:00:00+0000,d\n'
        '"Example <news@example.com>",a@b.c,"multi\nline, diagnostic",2026-05-22 10:00:00+0000,b\n'
    )
    summary = run(ctx, write(tmp_path, "a.csv", text))
    assert summary.rows_read == 2 and summary.rows_imported == 2, summary
    assert stat_rows() == [(ex, "2026-05-22", 2, 1, 1, 0)]


def test_time_logged_is_counted_on_its_utc_day(ctx, domains, tmp_path):
    ex = domains["example.com"]
    path = write(tmp_path, "a.csv", "\n".join([
        "type,timeLogged,orig",
        "d,2026-05-22 23:30:00-0700,a@example.com",  # 06:30 UTC on the 23rd
        "d,2026-05-23 01:00:00+0200,a@example.com",  # 23:00 UTC on the 22nd
        "d,2026-05-23T03:00:00+05:30,a@example.com",  # 21:30 UTC on the 22nd
        "d,2026-05-23 09:00:00,a@example.com",  # no offset: UTC
    ]))
    run(ctx, path)
    assert stat_rows() == [(ex, "2026-05-22", 2, 2, 0, 0), (ex, "2026-05-23", 2, 2, 0, 0)]


@pytest.mark.parametrize(
    "text, day",
    [("2026-05-23 09:11:00+0000", "2026-05-23"), ("2026-05-23 20:00:00-0400", "2026-05-24"),
     ("2026-05-23 09:11:00 UTC", "2026-05-23"), ("2026-05-23 09:11:00Z", "2026-05-23"),
     ("2026-02-30 09:11:00+0000", None), ("yesterday", None), ("", None), ("2026-05-23 09:11:00+9900", None)],
)
def test_utc_day(text, day):
    assert utc_day(text) == day


def test_bad_rows_are_counted_with_line_numbers_and_never_stop_the_import(ctx, domains, tmp_path):
    ex = domains["example.com"]
    huge = "x" * 200_000
    lines = [
        "type,timeLogged,orig,header_From",  # 1
        "d,2026-05-22 10:00:00+0000,a@example.com,",  # 2
        "d,2026-05-22 10:00:00+0000,a@example.com",  # 3: a field short
        "d,not a time,a@example.com,",  # 4
        f'd,2026-05-22 10:00:00+0000,"{huge}",',  # 5: larger than the csv field limit
        "d,2026-05-22 10:00:00+0000,,",  # 6: no sender at all
        "d,2026-05-22 10:00:00+0000,a@\x1b[31mevil,",  # 7: not a domain name
        "",  # 8: blank, ignored
        "d,2026-05-22 10:00:00+0000,a@example.com,",  # 9
    ]
    data = ("\n".join(lines) + "\n").encode() + b"d,2026-05-22 10:00:00+0000,a@example.com,\xff\xfe\n"  # 10: bad UTF-8
    summary = run(ctx, write(tmp_path, "bad.csv", data))
    assert summary.status == "imported"
    assert summary.rows_imported == 3  # lines 2, 9 and 10 (its From is unreadable, orig is fine)
    assert summary.skipped["malformed"] == 3
    assert summary.skipped["no sender address"] == 2
    assert [line for line, _ in summary.malformed_lines] == [3, 4, 5]
    assert "4 fields" not in summary.malformed_lines[0][1] and "3 fields" in summary.malformed_lines[0][1]
    assert summary.rows_read == 8  # the blank line is not a row
    assert stat_rows() == [(ex, "2026-05-22", 3, 3, 0, 0)]
    assert not summary.unknown_domains  # nothing unprintable is ever reported as a domain


def test_a_header_row_later_in_the_file_replaces_the_layout(ctx, domains, tmp_path):
    ex = domains["example.com"]
    path = write(tmp_path, "a.csv", "\n".join([
        "type,timeLogged,orig",
        "d,2026-05-22 10:00:00+0000,a@example.com",
        "orig,type,timeLogged,rcpt",
        "a@example.com,b,2026-05-22 10:00:00+0000,x@y.z",
    ]))
    summary = run(ctx, path)
    assert summary.rows_read == 2 and not summary.skipped
    assert stat_rows() == [(ex, "2026-05-22", 2, 1, 1, 0)]


def test_a_file_without_the_needed_header_fails_and_writes_nothing(ctx, domains, tmp_path):
    summary = run(ctx, write(tmp_path, "a.csv", "d,2026-05-22 10:00:00+0000,a@example.com\n"))
    assert summary.status == "failed" and "not a PowerMTA accounting file" in summary.error
    assert stat_rows() == [] and ImportCursor.select().count() == 0
    assert run(ctx, write(tmp_path, "empty.csv", "")).status == "failed"


def test_an_unreadable_file_fails_cleanly(ctx, domains, tmp_path):
    summary = run(ctx, tmp_path / "missing.csv")
    assert summary.status == "failed" and "cannot read" in summary.error


def test_the_same_file_twice_counts_once_even_renamed_or_gzipped(ctx, domains, tmp_path):
    ex = domains["example.com"]
    text = "type,timeLogged,orig\n" + "d,2026-05-22 10:00:00+0000,a@example.com\n" * 5
    path = write(tmp_path, "acct.csv", text)
    assert run(ctx, path).status == "imported"
    before = stat_rows()
    assert before == [(ex, "2026-05-22", 5, 5, 0, 0)]
    again = run(ctx, path)
    assert again.status == "already imported" and "acct.csv" in again.previous
    renamed = tmp_path / "copy.csv"
    shutil.copy(path, renamed)
    assert run(ctx, renamed).status == "already imported"
    gz = tmp_path / "acct.csv.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    assert run(ctx, gz).status == "already imported"
    assert stat_rows() == before and ImportCursor.select().count() == 1


def test_gzip_files_are_read_as_a_stream(ctx, domains, tmp_path):
    ex = domains["example.com"]
    gz = tmp_path / "acct.csv.gz"
    gz.write_bytes(gzip.compress(("type,timeLogged,orig\n" + "b,2026-05-22 10:00:00+0000,a@example.com\n" * 3).encode()))
    assert run(ctx, gz).status == "imported"
    assert stat_rows() == [(ex, "2026-05-22", 3, 0, 3, 0)]


def test_imports_add_to_stored_counts(ctx, domains, tmp_path):
    ex = domains["example.com"]
    store_counts([(ex, dt.date(2026, 5, 22), 100, None, 1, 0), (ex, dt.date(2026, 5, 21), 10, 9, 1, 0)])
    path = write(tmp_path, "a.csv", "\n".join([
        "type,timeLogged,orig",
        "d,2026-05-22 10:00:00+0000,a@example.com",
        "d,2026-05-21 10:00:00+0000,a@example.com",
        "f,2026-05-21 10:00:00+0000,a@example.com",
    ]))
    run(ctx, path)
    assert stat_rows() == [
        (ex, "2026-05-21", 11, 10, 1, 1),
        (ex, "2026-05-22", 101, 1, 1, 0),  # deliveries now recorded: 1 (the earlier 100 had none)
    ]


def test_an_interrupted_import_leaves_nothing_half_done(ctx, domains, tmp_path):
    ex = domains["example.com"]
    store_counts([(ex, dt.date(2026, 5, 1), 7, 7, 0, 0)])
    before = stat_rows()
    lines = ["type,timeLogged,orig"] + [f"d,2026-05-{1 + i % 20:02d} 10:00:00+0000,a@example.com" for i in range(200)]
    path = write(tmp_path, "a.csv", "\n".join(lines))
    calls = []

    def interrupt(done, total, rows):
        calls.append(rows)
        if len(calls) == 5:  # after several mid-file flushes have written rows
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(ctx, path, progress=interrupt, flush_keys=3)
    assert stat_rows() == before and ImportCursor.select().count() == 0
    summary = run(ctx, path, flush_keys=3)  # the file is not marked imported: it can be run again
    assert summary.status == "imported" and summary.rows_imported == 200
    assert sum(r[2] for r in stat_rows()) == 207


def test_bounded_memory_flushes_give_the_same_result(ctx, domains, tmp_path):
    lines = ["type,timeLogged,orig"]
    names = ["example.com", "sl.shop.example", "xn--bcher-kva.example"]
    for i in range(3000):
        lines.append(f"{'db'[i % 7 == 0]},2026-{1 + i % 5:02d}-{1 + i % 28:02d} 10:00:00+0000,a@{names[i % 3]}")
    text = "\n".join(lines)
    run(ctx, write(tmp_path, "a.csv", text), flush_keys=1)
    small = stat_rows()
    with stats_transaction():
        delete_counts()
    ImportCursor.delete().execute()
    run(ctx, write(tmp_path, "b.csv", text))
    assert stat_rows() == small and sum(r[2] for r in small) == 3000


def test_a_domain_two_users_have_goes_to_the_enabled_one(ctx, alice, bob, tmp_path):
    a = ctx.service.create_domain(alice, {"SenderDomain": "twice.example"})
    b = ctx.service.create_domain(bob, {"SenderDomain": "twice.example"})
    SenderDomain.update(status="Enabled").where(SenderDomain.id == b.id).execute()
    SenderDomain.update(status=STATUS_DISABLED).where(SenderDomain.id == a.id).execute()
    run(ctx, write(tmp_path, "a.csv", "type,timeLogged,orig\nd,2026-05-22 10:00:00,x@twice.example\n"))
    assert stat_rows() == [(b.id, "2026-05-22", 1, 1, 0, 0)]


def test_a_utf8_bom_before_the_header_is_fine(ctx, domains, tmp_path):
    path = write(tmp_path, "a.csv", "\ufefftype,timeLogged,orig\nd,2026-05-22 10:00:00,x@example.com\n")
    assert run(ctx, path).rows_imported == 1


# ---- plain daily CSV ---------------------------------------------------------------------


def test_plain_csv_with_header_in_any_order(ctx, domains, tmp_path):
    ex, idn = domains["example.com"], domains["bücher.example"]
    text = (
        "domain,date,bounced,sent,complaints,delivered\n"
        "example.com,2026-05-22,60,12000,0,11940\n"
        "bücher.example,2026-05-22,1,100,2,\n"  # delivered not recorded
        "EXAMPLE.COM.,2026-05-22,0,5,0,5\n"  # same domain and day: adds up
    )
    summary = run(ctx, write(tmp_path, "daily.csv", text), kind="csv")
    assert summary.status == "imported" and summary.rows_imported == 3
    assert stat_rows() == sorted([(ex, "2026-05-22", 12005, 11945, 60, 0), (idn, "2026-05-22", 100, None, 1, 2)])


def test_plain_csv_without_header_and_bad_rows(ctx, domains, tmp_path):
    ex = domains["example.com"]
    text = "\n".join([
        "2026-05-22,example.com,10,9,1,0",  # 1
        "2026-13-01,example.com,10,9,1,0",  # 2 bad date
        "2026-05-22,example.com,ten,9,1,0",  # 3 bad number
        "2026-05-22,example.com,-1,0,0,0",  # 4 negative
        "2026-05-22,example.com,10,9,1",  # 5 a field short
        "2026-05-22,nobody.example,10,9,1,0",  # 6 unknown
        "2026-05-22,,10,9,1,0",  # 7 no domain
        "2026-05-22,example.com,99999999999999,0,0,0",  # 8 implausible
        "2026-05-23,example.com,3,,0,0",  # 9
    ])
    summary = run(ctx, write(tmp_path, "daily.csv", text), kind="csv")
    assert summary.rows_read == 9 and summary.rows_imported == 2
    assert [line for line, _ in summary.malformed_lines] == [2, 3, 4, 5, 8]
    assert dict(summary.unknown_domains) == {"nobody.example": 1}
    assert summary.skipped["no sender address"] == 1
    assert stat_rows() == [(ex, "2026-05-22", 10, 9, 1, 0), (ex, "2026-05-23", 3, None, 0, 0)]


def test_plain_csv_header_missing_a_required_column_fails(ctx, domains, tmp_path):
    summary = run(ctx, write(tmp_path, "daily.csv", "date,domain,delivered\n2026-05-22,example.com,5\n"), kind="csv")
    assert summary.status == "failed" and "sent" in summary.error
    assert stat_rows() == []


def test_imported_counts_show_up_in_the_figures(ctx, alice, domains, tmp_path):
    ex = domains["example.com"]
    text = "date,domain,sent,delivered,bounced,complaints\n2026-05-23,example.com,12000,11940,60,0\n"
    run(ctx, write(tmp_path, "daily.csv", text), kind="csv")
    view = ctx.service.get_domain(alice, ex)
    assert (view.figures.volume_7d, view.figures.reputation, view.figures.bounce_rate) == (12000, 96, 0.5)
