"""The cross-tenant dump (core/dump.py) on every backend, and the PowerMTA key directory
(core/keyfiles.py) on real files."""

from __future__ import annotations

import os
import stat

import pytest

from core import dump, stat_store
from core.errors import SettingsError
from core.keyfiles import INCLUDE_NAME, sync_key_dir
from core.models import STATUS_DISABLED, STATUS_ENABLED, STATUS_SUSPENDED, SenderDomain
from core.operator import OperatorActions
from core.records import DkimExport


@pytest.fixture
def fleet(ctx, alice, bob):
    names = [f"d{i:02d}.example" for i in range(7)]
    ids = {}
    for i, name in enumerate(names):
        ids[name] = ctx.service.create_domain(alice if i % 2 else bob, {"SenderDomain": name}).id
    ids["shared-bob"] = ctx.service.create_domain(bob, {"SenderDomain": "d03.example"}).id  # alice holds it too
    return ids


def test_dump_rows_stream_every_tenant_by_name_across_chunks(ctx, fleet, monkeypatch, clock):
    monkeypatch.setattr(dump, "CHUNK", 3)  # several chunks, one boundary inside a shared name
    today = clock.now().date()
    stat_store.store_counts([(fleet["d01.example"], today, 500, 490, 10, 0)])
    ctx.service.delete_domain(_user(ctx, "bob"), fleet["d06.example"])
    OperatorActions(ctx.service, "ops").suspend(fleet["d02.example"], "spam")
    rows = list(dump.dump_rows(ctx.settings, today))
    assert [(r.domain, r.owner) for r in rows] == [
        ("d00.example", "bob"), ("d01.example", "alice"), ("d02.example", "bob"), ("d03.example", "alice"), ("d03.example", "bob"),
        ("d04.example", "bob"), ("d05.example", "alice"),
    ]
    by_id = {r.domain_id: r for r in rows}
    assert by_id[fleet["d01.example"]].figures == ctx.service.get_domain(_user(ctx, "alice"), fleet["d01.example"]).figures
    assert by_id[fleet["d01.example"]].figures.volume_7d == 500
    assert by_id[fleet["d02.example"]].suspension_reason == "spam" and by_id[fleet["d00.example"]].suspension_reason is None
    assert by_id[fleet["d00.example"]].records_total == 5 and len(by_id[fleet["d00.example"]].not_verified) == 5
    assert by_id[fleet["d00.example"]].mfrom_domain == "sl.d00.example"
    only_alice = [r.domain for r in dump.dump_rows(ctx.settings, today, owner_id=_user(ctx, "alice").id)]
    assert only_alice == ["d01.example", "d03.example", "d05.example"]
    assert [r.domain for r in dump.dump_rows(ctx.settings, today, statuses=[STATUS_SUSPENDED])] == ["d02.example"]


def test_enabled_keys_are_every_tenants_enabled_domains_oldest_first(ctx, fleet, monkeypatch):
    monkeypatch.setattr(dump, "CHUNK", 2)
    enabled = [fleet["d03.example"], fleet["shared-bob"], fleet["d05.example"], fleet["d00.example"]]
    SenderDomain.update(status=STATUS_ENABLED).where(SenderDomain.id.in_(enabled)).execute()
    SenderDomain.update(status=STATUS_DISABLED).where(SenderDomain.id == fleet["d01.example"]).execute()
    keys = list(dump.enabled_keys())
    assert [k.domain for k in keys] == ["d00.example", "d03.example", "d03.example", "d05.example"]
    assert all(k.private_pem.startswith("-----BEGIN PRIVATE KEY-----") and k.selector == "sd1" for k in keys)


def _user(ctx, name):
    from core.users import find_user

    return find_user(name)


# ---- the key directory --------------------------------------------------------------------


def key(domain, pem=None):
    return DkimExport(domain, "sd1", pem or f"-----BEGIN PRIVATE KEY-----\n{domain}\n-----END PRIVATE KEY-----\n")


@pytest.mark.sqlite_only
def test_the_key_directory_follows_the_keys_and_leaves_other_files_alone(tmp_path):
    keys = tmp_path / "dkim"
    first = sync_key_dir(keys, [key("a.example"), key("b.example")])
    assert first.changed and [p.name for p in first.written] == ["a.example.sd1.pem", "b.example.sd1.pem"]
    assert stat.S_IMODE(os.stat(keys).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(keys / INCLUDE_NAME).st_mode) == 0o644
    assert not sync_key_dir(keys, [key("b.example"), key("a.example")]).changed  # order given does not matter
    os.chmod(keys / "a.example.sd1.pem", 0o644)  # someone loosened it
    (keys / "mine.pem").write_text("the operator's own")
    loosened = sync_key_dir(keys, [key("a.example"), key("b.example")])
    assert [p.name for p in loosened.updated] == ["a.example.sd1.pem"] and not loosened.include_changed
    assert stat.S_IMODE(os.stat(keys / "a.example.sd1.pem").st_mode) == 0o600
    later = sync_key_dir(keys, [key("a.example", "new key\n"), key("c.example"), key("c.example", "a second tenant's\n")])
    assert [p.name for p in later.removed] == ["b.example.sd1.pem"] and [p.name for p in later.written] == ["c.example.sd1.pem"]
    assert later.duplicates == ["c.example (sd1)"] and (keys / "c.example.sd1.pem").read_text() == key("c.example").private_pem
    assert (keys / "mine.pem").exists() and (keys / "a.example.sd1.pem").read_text() == "new key\n"
    include = (keys / INCLUDE_NAME).read_text().splitlines()
    assert include[1:] == [f"domain-key sd1,{d},{keys.resolve() / f'{d}.sd1.pem'}" for d in ("a.example", "c.example")]
    assert sorted(p.name for p in keys.iterdir()) == sorted([INCLUDE_NAME, "a.example.sd1.pem", "c.example.sd1.pem", "mine.pem"])


@pytest.mark.sqlite_only
def test_the_key_directory_refuses_links_and_paths_powermta_cannot_read(tmp_path):
    keys = tmp_path / "dkim"
    keys.mkdir()
    outside = tmp_path / "outside.conf"
    outside.write_text("theirs")
    (keys / INCLUDE_NAME).symlink_to(outside)
    with pytest.raises(SettingsError, match="symbolic link"):
        sync_key_dir(keys, [key("a.example")])
    assert outside.read_text() == "theirs" and not (keys / "a.example.sd1.pem").exists()
    with pytest.raises(SettingsError, match="PowerMTA"):
        sync_key_dir(tmp_path / "a,b", [key("a.example")])
    (tmp_path / "file").write_text("x")
    with pytest.raises(SettingsError, match="not a directory|Not a directory|File exists"):
        sync_key_dir(tmp_path / "file", [key("a.example")])
