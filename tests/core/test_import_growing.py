"""Growing, rotated, gzipped, truncated and replaced logs: every row counted once (issue 16).

Files change between imports the way PowerMTA and logrotate change them; the stored counts
are compared with a fresh recount of every row the imports could have seen."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from core.importers import import_file
from core.models import DomainStat, ImportClaim, ImportCursor, ImportedFile
from core.stat_store import delete_counts, stats_transaction

HEADER = "type,timeLogged,orig,header_From\n"
DOMAINS = ("example.com", "shop.example", "nobody.example")  # the last one is unknown


@pytest.fixture
def domains(ctx, alice):
    return {name: ctx.service.create_domain(alice, {"SenderDomain": name}).id for name in DOMAINS[:2]}


def row(n: int) -> str:
    """Row number n of an endless, varied log: every row is different (its orig names n)."""
    kind = "dbdfdt"[n % 6]
    day = 20 + n % 3
    domain = DOMAINS[n % len(DOMAINS)] if n % 7 else DOMAINS[0]
    return f'{kind},2026-05-{day} 10:{n % 60:02d}:00+0000,bounces-{n}@sl.{domain},"Brand {n} <news@{domain}>"\n'


def recount(rows: set[int], ids: dict[str, int]) -> list[tuple]:
    """What the stats must hold for these rows: (domain id, day, sent, delivered, bounced, complaints)."""
    counts: dict[tuple, Counter] = {}
    for n in rows:
        kind, time_logged, _orig, _from = row(n).split(",", 3)
        domain = DOMAINS[n % len(DOMAINS)] if n % 7 else DOMAINS[0]
        if domain not in ids or kind == "t":
            continue
        counters = counts.setdefault((ids[domain], time_logged[:10]), Counter())
        counters[kind] += 1
    return sorted(
        (domain_id, day, c["d"] + c["b"], c["d"] if c["d"] + c["b"] else None, c["b"], c["f"])
        for (domain_id, day), c in counts.items()
    )


def stored() -> list[tuple]:
    return sorted((r.domain_id, r.day.isoformat(), r.sent, r.delivered, r.bounced, r.complaints) for r in DomainStat.select())


def run(ctx, path, kind="pmta", **options):
    return import_file(path, kind, settings=ctx.settings, clock=ctx.clock, **options)


def append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8", newline="") as f:
        f.write(text)


# ---- one change at a time ----------------------------------------------------------------


def test_a_grown_file_adds_only_what_follows_and_a_partial_line_waits(ctx, domains, tmp_path):
    path = tmp_path / "acct.csv"
    path.write_text(HEADER + "".join(row(n) for n in range(10)) + row(10)[:25])
    first = run(ctx, path)
    assert (first.status, first.rows_read, first.pending_bytes) == ("imported", 10, 25)
    assert stored() == recount(set(range(10)), domains)

    append(path, row(10)[25:] + "".join(row(n) for n in range(11, 30)))
    second = run(ctx, path)
    assert second.status == "imported" and second.rows_read == 20 and second.start == first.end
    assert "acct.csv" in second.previous
    assert stored() == recount(set(range(30)), domains)

    third = run(ctx, path)
    assert third.status == "already imported" and third.rows_read == 0
    assert stored() == recount(set(range(30)), domains)
    assert ImportCursor.select().count() == 1


def test_a_last_line_without_its_line_end_counts_when_it_is_a_whole_record(ctx, domains, tmp_path):
    path = tmp_path / "daily.csv"
    path.write_text("date,domain,sent\n2026-05-22,example.com,5\n2026-05-23,example.com,7")
    assert run(ctx, path, kind="csv").rows_imported == 2
    append(path, "\n2026-05-24,example.com,1\n")
    assert run(ctx, path, kind="csv").rows_imported == 1
    assert [r[2] for r in stored()] == [5, 7, 1]


def test_a_record_whose_quoted_field_is_still_open_waits_for_its_end(ctx, domains, tmp_path):
    ex = domains["example.com"]
    path = tmp_path / "acct.csv"
    path.write_text(
        "type,timeLogged,orig,dsnDiag\n"
        "d,2026-05-22 10:00:00+0000,a@example.com,ok\n"
        'b,2026-05-22 10:00:00+0000,a@example.com,"550 first line\nsecond line\n'
    )
    first = run(ctx, path)
    assert first.rows_read == 1 and stored() == [(ex, "2026-05-22", 1, 1, 0, 0)]
    append(path, 'third line"\nd,2026-05-22 10:00:00+0000,a@example.com,ok\n')
    second = run(ctx, path)
    assert second.rows_read == 2 and not second.skipped
    assert stored() == [(ex, "2026-05-22", 3, 2, 1, 0)]


def test_rotated_renamed_and_gzipped_copies_add_only_their_unseen_tail(ctx, domains, tmp_path):
    path = tmp_path / "acct.csv"
    path.write_text(HEADER + "".join(row(n) for n in range(40)))
    run(ctx, path)
    append(path, "".join(row(n) for n in range(40, 55)))  # written after the import, before rotation
    rotated = tmp_path / "acct-2026-05-22.csv.gz"
    rotated.write_bytes(gzip.compress(path.read_bytes()))
    path.unlink()
    summary = run(ctx, rotated)
    assert summary.status == "imported" and summary.rows_read == 15
    assert stored() == recount(set(range(55)), domains)
    renamed = tmp_path / "old.csv"
    with gzip.open(rotated) as f:
        renamed.write_bytes(f.read())
    assert run(ctx, renamed).status == "already imported"
    assert stored() == recount(set(range(55)), domains)


def test_truncated_and_replaced_files_start_over(ctx, domains, tmp_path):
    path = tmp_path / "acct.csv"
    path.write_text(HEADER + "".join(row(n) for n in range(30)))
    run(ctx, path)
    path.write_text(HEADER + "".join(row(n) for n in range(100, 103)))  # truncated, written anew
    summary = run(ctx, path)
    assert summary.status == "imported" and summary.start == 0 and summary.rows_read == 3
    replacement = tmp_path / "new.csv"
    replacement.write_text(HEADER + "".join(row(n) for n in range(200, 205)))
    os.replace(replacement, path)
    assert run(ctx, path).rows_read == 5
    assert stored() == recount(set(range(30)) | set(range(100, 103)) | set(range(200, 205)), domains)


def test_a_copy_edited_behind_the_point_counted_is_refused(ctx, domains, tmp_path):
    path = tmp_path / "acct.csv"
    rows = [row(n) for n in range(200)]  # well past the first 4 KiB
    path.write_text(HEADER + "".join(rows))
    run(ctx, path)
    before = stored()
    rows[195] = row(999)  # inside the block before the point counted
    edited = tmp_path / "edited.csv"
    edited.write_text(HEADER + "".join(rows) + row(1000))
    summary = run(ctx, edited)
    assert summary.status == "failed" and "differs" in summary.error
    assert stored() == before


def test_a_prefix_of_a_counted_file_adds_nothing(ctx, domains, tmp_path):
    path = tmp_path / "acct.csv"
    text = HEADER + "".join(row(n) for n in range(200))
    path.write_text(text)
    run(ctx, path)
    partial = tmp_path / "acct.csv.1"  # a rotation copy caught half way
    partial.write_text(text[: len(text) // 2])
    assert run(ctx, partial).status == "already imported"
    assert stored() == recount(set(range(200)), domains)


def test_files_imported_before_the_upgrade_are_not_counted_again(ctx, domains, tmp_path):
    """imported_file rows (whole-content digests written before schema version 3) still count."""
    path = tmp_path / "acct.csv"
    text = HEADER + "".join(row(n) for n in range(20))
    path.write_text(text)
    ImportedFile.create(
        digest=hashlib.sha256(text.encode()).hexdigest(), kind="pmta", name="acct.csv", size=len(text.encode()),
        rows_read=20, rows_imported=20, imported_at=dt.datetime(2026, 5, 1),
    )
    summary = run(ctx, path)
    assert summary.status == "already imported" and "imported 2026-05-01" in summary.previous
    assert stored() == []
    append(path, "".join(row(n) for n in range(20, 25)))
    grown = run(ctx, path)
    assert grown.rows_read == 5 and stored() == recount(set(range(20, 25)), domains)


def test_a_legacy_file_that_ended_without_a_line_end_skips_the_rest_of_that_line(ctx, domains, tmp_path):
    path = tmp_path / "acct.csv"
    text = HEADER + "".join(row(n) for n in range(5)) + row(5)[:20]  # counted whole by the old importer
    path.write_text(text)
    ImportedFile.create(
        digest=hashlib.sha256(text.encode()).hexdigest(), kind="pmta", name="acct.csv", size=len(text.encode()),
        imported_at=dt.datetime(2026, 5, 1),
    )
    append(path, row(5)[20:] + row(6))
    assert run(ctx, path).rows_read == 1
    assert stored() == recount({6}, domains)


# ---- any sequence of changes (property) --------------------------------------------------


class LogDirectory:
    """A directory PowerMTA and logrotate write to, and what every import could have seen."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.current = root / "acct.csv"
        self.current.write_text(HEADER)
        self.next_row = 0
        self.partial = ""  # the rest of a row written only in part
        self.rotations = 0
        self.seen: set[int] = set()

    def append(self, rows: int, cut: bool) -> None:
        text = self.partial
        self.partial = ""
        for _ in range(rows):
            text += row(self.next_row)
            self.next_row += 1
        if cut:
            line = row(self.next_row)
            self.next_row += 1
            at = line.index("<") + 3  # inside the quoted From field: never a whole record
            text, self.partial = text + line[:at], line[at:]
        append(self.current, text)

    def rotate(self, how: str) -> None:
        if self.partial:
            self.append(0, False)
        self.rotations += 1
        target = self.root / f"acct.csv.{self.rotations}"
        if how == "rename":
            self.current.rename(target)
        elif how == "gzip":
            target = target.with_name(target.name + ".gz")
            target.write_bytes(gzip.compress(self.current.read_bytes()))
            self.current.unlink()
        elif how == "copytruncate":
            shutil.copyfile(self.current, target)
        elif how == "replace":  # the old content is gone: what was not imported is lost
            pass
        new = self.root / "new.tmp"
        new.write_text(HEADER)
        os.replace(new, self.current)

    def import_all(self, ctx) -> None:
        for path in sorted(self.root.iterdir()):
            summary = run(ctx, path)
            assert summary.ok, (path.name, summary.error)
            self.seen |= self.complete_rows(path)

    @staticmethod
    def complete_rows(path: Path) -> set[int]:
        data = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
        lines = data.decode().split("\n")[:-1]  # the last piece has no line end
        return {int(line.split(",")[2].split("@")[0].removeprefix("bounces-")) for line in lines[1:] if line}


STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(0, 40), st.booleans()),
        st.tuples(st.just("import")),
        st.tuples(st.just("rotate"), st.sampled_from(["rename", "gzip", "copytruncate", "replace"])),
    ),
    min_size=1,
    max_size=12,
)


@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_any_sequence_of_appends_rotations_and_imports_counts_every_row_once(ctx, domains, steps):
    with stats_transaction():
        delete_counts()
    for model in (ImportCursor, ImportClaim):
        model.delete().execute()
    with tempfile.TemporaryDirectory() as tmp:
        logs = LogDirectory(Path(tmp))
        for step in steps:
            if step[0] == "append":
                logs.append(step[1], step[2])
            elif step[0] == "rotate":
                logs.rotate(step[1])
            else:
                logs.import_all(ctx)
                assert stored() == recount(logs.seen, domains)
        logs.import_all(ctx)
        assert stored() == recount(logs.seen, domains)


def test_crlf_lines_as_powermta_may_end_them_grow_the_same_way(ctx, domains, tmp_path):
    path = tmp_path / "acct.csv"
    crlf = [row(n).replace("\n", "\r\n") for n in range(12)]
    path.write_bytes((HEADER.replace("\n", "\r\n") + "".join(crlf[:5]) + crlf[5][:-1]).encode())  # cut between \r and \n
    run(ctx, path)
    append(path, "\n" + "".join(crlf[6:]))
    second = run(ctx, path)
    assert second.ok and not second.skipped.get("malformed")
    assert stored() == recount(set(range(12)), domains)
