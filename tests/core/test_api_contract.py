"""The spec's contract, command by command: success shapes and every documented error code,
with two users to prove that ownership never leaks."""

from __future__ import annotations

import asyncio

import datetime as dt

import pytest

from core.events import DELETE_SENDER_DOMAIN
from core.models import STATUS_SUSPENDED, SenderDomain
from core.stat_store import store_counts
from tests.core.dnskit import dns_server, publish, settings  # noqa: F401  (fixtures)

DOMAIN_KEYS_CREATE = ["DomainID", "SenderDomain", "UserID", "CreatedAt", "Status", "VerificationMeta", "PolicyMeta", "Options"]
DOMAIN_KEYS_LIST = [
    "DomainID", "SenderDomain", "UserID", "CreatedAt", "Status", "LastVerifiedAt", "VerificationMeta",
    "PolicyMeta", "Options", "Volume7d", "VolumeDelta", "Reputation", "ReputationBucket", "DeliveryRate", "BounceRate",
]


def call(ctx, user, command, **params):
    return ctx.api.dispatch({"Command": f"user.senderdomain.{command}", "APIKey": user.api_key, **params})


def create(ctx, user, domain="example.com", **params):
    status, body = call(ctx, user, "create", SenderDomain=domain, **params)
    assert status == 200, body
    return body


def error(body):
    assert list(body) == ["Errors"], body
    [err] = body["Errors"]
    assert set(err) == {"Code", "Message"} and err["Message"]
    return err["Code"]


def snapshot_rows():
    return [(r.id, r.domain, r.status, r.options, r.verification_meta) for r in SenderDomain.select().order_by(SenderDomain.id)]


# ---- authentication and dispatch -----------------------------------------------------------


def test_bad_key_is_code_0_with_401(ctx, alice):
    status, body = ctx.api.dispatch({"Command": "user.senderdomain.list", "APIKey": "sdk_wrong"})
    assert status == 401 and error(body) == 0
    status, body = ctx.api.dispatch({"Command": "user.senderdomain.list"})
    assert status == 401 and error(body) == 0


def test_unknown_and_missing_command(ctx, alice):
    status, body = ctx.api.dispatch({"Command": "user.senderdomain.explode", "APIKey": alice.api_key})
    assert status == 404 and error(body) == 13
    status, body = ctx.api.dispatch({"APIKey": alice.api_key})
    assert status == 400 and error(body) == 13


def test_permission_user_update_required(ctx, alice):
    alice.permissions = []
    alice.save()
    status, body = call(ctx, alice, "list")
    assert status == 403 and error(body) == 15


def test_rate_limit_100_per_60_seconds_survives_new_api_objects(ctx, alice, bob):
    for _ in range(100):
        assert call(ctx, alice, "list")[0] == 200
    status, body = call(ctx, alice, "list")
    assert status == 429 and error(body) == 14
    assert "100 requests per 60 seconds" in body["Errors"][0]["Message"]
    # Another user has a budget of their own.
    assert call(ctx, bob, "list")[0] == 200
    # The window is a sliding one kept in the database, not in this process.
    from core.api import Api

    assert Api(ctx.service).dispatch({"Command": "user.senderdomain.list", "APIKey": alice.api_key})[0] == 429
    # The wait travels with the refusal (HTTP's Retry-After), as the message says it.
    ctx.clock.advance(20)
    reply = asyncio.run(Api(ctx.service).reply_async({"Command": "user.senderdomain.list", "APIKey": alice.api_key}))
    assert reply.status == 429 and 35 <= reply.retry_after <= 40
    assert f"try again in {reply.retry_after} s" in reply.body["Errors"][0]["Message"]
    assert asyncio.run(Api(ctx.service).reply_async({"Command": "user.senderdomain.list", "APIKey": bob.api_key})).retry_after is None
    ctx.clock.advance(41)
    assert call(ctx, alice, "list")[0] == 200


# ---- list ----------------------------------------------------------------------------------


def test_list_empty(ctx, alice):
    assert call(ctx, alice, "list") == (200, {"Success": True, "SenderDomains": []})


def test_list_shape_and_ownership(ctx, alice, bob):
    create(ctx, alice, "example.com")
    create(ctx, bob, "bob.example")
    status, body = call(ctx, alice, "list")
    assert status == 200 and body["Success"] is True
    [entry] = body["SenderDomains"]
    assert list(entry) == DOMAIN_KEYS_LIST
    assert entry["SenderDomain"] == "example.com"
    assert isinstance(entry["DomainID"], str) and isinstance(entry["UserID"], str)
    assert entry["UserID"] == str(alice.id)
    assert entry["CreatedAt"] == "2026-05-23 09:11:00"
    assert entry["LastVerifiedAt"] is None
    assert entry["Volume7d"] == 0 and entry["Reputation"] is None and entry["VolumeDelta"] is None


def test_list_never_shows_deleted_or_group_default(ctx, alice):
    body = create(ctx, alice, "gone.example")
    call(ctx, alice, "delete", DomainID=body["DomainID"])
    assert call(ctx, alice, "list")[1]["SenderDomains"] == []


# ---- create --------------------------------------------------------------------------------


def test_create_shape(ctx, alice):
    body = create(ctx, alice, "Example.COM.")
    assert list(body) == ["Success", "DomainID", "SenderDomain"]
    assert isinstance(body["DomainID"], int)
    domain = body["SenderDomain"]
    assert list(domain) == DOMAIN_KEYS_CREATE
    assert domain["DomainID"] == str(body["DomainID"])
    assert domain["SenderDomain"] == "example.com"
    assert domain["Status"] == "Approval Pending"
    assert domain["PolicyMeta"] == []
    assert domain["Options"] == {"LinkTracking": 1, "OpenTracking": 1, "UnsubscribeLink": 0}
    records = domain["VerificationMeta"]["DNSRecords"]
    assert list(records) == [
        "sl.example.com",
        "track-sl.example.com",
        "example.com",
        "sd1._domainkey.example.com",
        "_dmarc.example.com",
    ]
    assert records["sl.example.com"] == ["CNAME", "rp.senderdeck.example."]
    assert records["track-sl.example.com"] == ["CNAME", "track.senderdeck.example."]
    assert records["example.com"] == ["TXT", "v=spf1 include:spf.senderdeck.example ~all"]
    assert records["sd1._domainkey.example.com"][1].startswith("v=DKIM1; k=rsa; p=MII")
    assert records["_dmarc.example.com"][1].startswith("v=DMARC1; p=none")


def test_create_options_and_custom_labels(ctx, alice):
    body = create(ctx, alice, "example.com", LinkTracking="false", UnsubscribeLink="1", CustomSubdomain="EM", CustomTrackPrefix="click")
    domain = body["SenderDomain"]
    assert domain["Options"] == {"LinkTracking": 0, "OpenTracking": 1, "UnsubscribeLink": 1, "CustomSubdomain": "em", "CustomTrackPrefix": "click"}
    assert list(domain["VerificationMeta"]["DNSRecords"])[:2] == ["em.example.com", "click-em.example.com"]


def test_create_idn_is_stored_ascii_shown_unicode(ctx, alice):
    body = create(ctx, alice, "Bücher.DE")
    assert body["SenderDomain"]["SenderDomain"] == "bücher.de"
    assert "sl.xn--bcher-kva.de" in body["SenderDomain"]["VerificationMeta"]["DNSRecords"]
    assert SenderDomain.get_by_id(body["DomainID"]).domain == "xn--bcher-kva.de"


@pytest.mark.parametrize(
    "params, code, http",
    [
        ({}, 1, 400),
        ({"SenderDomain": "   "}, 1, 400),
        ({"SenderDomain": "localhost"}, 4, 400),
        ({"SenderDomain": "LocalHost."}, 4, 400),
        ({"SenderDomain": "example.com", "CustomSubdomain": "-bad"}, 6, 400),
        ({"SenderDomain": "example.com", "CustomTrackPrefix": "a" * 33}, 6, 400),
        ({"SenderDomain": "example.com", "CustomSubdomain": "a_b"}, 6, 400),
        ({"SenderDomain": "example.com", "CustomSubdomain": "a" * 32, "CustomTrackPrefix": "b" * 32}, 6, 400),
        ({"SenderDomain": "10.0.0.1"}, 7, 400),
        ({"SenderDomain": "nodots"}, 7, 400),
        ({"SenderDomain": "a" * 64 + ".com"}, 7, 400),
        ({"SenderDomain": "under_score.com"}, 7, 400),
        ({"SenderDomain": "-lead.com"}, 7, 400),
        ({"SenderDomain": "example.com", "LinkTracking": "maybe"}, 12, 400),
    ],
)
def test_create_errors_leave_nothing_behind(ctx, alice, params, code, http):
    status, body = call(ctx, alice, "create", **params)
    assert (status, error(body)) == (http, code)
    assert SenderDomain.select().count() == 0


def test_create_name_too_long_for_its_records(ctx, alice):
    name = ".".join(["a" * 63] * 3) + "." + "b" * 57  # 250 characters: valid, but sl.<name> is not
    status, body = call(ctx, alice, "create", SenderDomain=name)
    assert (status, error(body)) == (400, 7)
    assert "253" in body["Errors"][0]["Message"]


def test_domain_limit_code_5_http_403(ctx, alice, bob):
    alice.domain_limit = 2
    alice.save()
    create(ctx, alice, "one.example")
    create(ctx, alice, "two.example")
    status, body = call(ctx, alice, "create", SenderDomain="three.example")
    assert (status, error(body)) == (403, 5)
    # Re-creating an existing domain is a refresh, not a new domain: allowed at the limit.
    assert call(ctx, alice, "create", SenderDomain="two.example")[0] == 200
    # Bob's limit is his own (the settings default).
    create(ctx, bob, "three.example")


def test_recreate_revives_soft_deleted_row(ctx, alice):
    first = create(ctx, alice, "example.com")
    domain_id = first["DomainID"]
    key = SenderDomain.get_by_id(domain_id).dkim_public_key
    call(ctx, alice, "delete", DomainID=domain_id)
    again = create(ctx, alice, "example.com", CustomSubdomain="em")
    assert again["DomainID"] == domain_id
    assert again["SenderDomain"]["Status"] == "Approval Pending"
    assert "em.example.com" in again["SenderDomain"]["VerificationMeta"]["DNSRecords"]
    assert SenderDomain.get_by_id(domain_id).dkim_public_key == key  # the key survives
    assert SenderDomain.select().count() == 1


def test_recreate_existing_resets_to_pending(ctx, alice):
    body = create(ctx, alice, "example.com")
    SenderDomain.update(status="Enabled").execute()
    again = create(ctx, alice, "example.com")
    assert again["DomainID"] == body["DomainID"] and again["SenderDomain"]["Status"] == "Approval Pending"


@pytest.mark.parametrize("deleted_first", [False, True])
def test_recreate_never_lifts_a_suspension(ctx, alice, dns_server, deleted_first):
    # Issue 11.1: re-creating a Suspended domain (live or soft-deleted) answered Approval
    # Pending, and the next verify turned it Enabled.
    body = create(ctx, alice, "example.com")
    domain_id = body["DomainID"]
    SenderDomain.update(status=STATUS_SUSPENDED).where(SenderDomain.id == domain_id).execute()
    if deleted_first:
        assert call(ctx, alice, "delete", DomainID=domain_id)[0] == 200
        assert error(call(ctx, alice, "get", DomainID=domain_id)[1]) == 2
    again = create(ctx, alice, "example.com")
    assert again["DomainID"] == domain_id and again["SenderDomain"]["Status"] == STATUS_SUSPENDED
    assert SenderDomain.get_by_id(domain_id).status == STATUS_SUSPENDED
    publish(dns_server, "example.com", again["SenderDomain"]["VerificationMeta"]["DNSRecords"])
    status, verified = call(ctx, alice, "verify", DomainID=domain_id)
    assert status == 200 and verified["IsVerified"] is True and verified["Status"] == STATUS_SUSPENDED
    assert SenderDomain.get_by_id(domain_id).status == STATUS_SUSPENDED
    # Deleting and re-creating again does not lift it either.
    call(ctx, alice, "delete", DomainID=domain_id)
    assert create(ctx, alice, "example.com")["SenderDomain"]["Status"] == STATUS_SUSPENDED


def test_recreating_a_deleted_domain_that_was_not_suspended_is_pending(ctx, alice):
    domain_id = create(ctx, alice, "example.com")["DomainID"]
    SenderDomain.update(status="Disabled").where(SenderDomain.id == domain_id).execute()
    call(ctx, alice, "delete", DomainID=domain_id)
    assert create(ctx, alice, "example.com")["SenderDomain"]["Status"] == "Approval Pending"


@pytest.mark.parametrize("deleted_first", [False, True])
def test_recreate_takes_the_create_defaults_for_options_not_given(ctx, alice, deleted_first):
    # Issue 11.2: after delete, create without options showed the old row's LinkTracking 0
    # and CustomSubdomain em.
    first = create(ctx, alice, "example.com", LinkTracking=False, UnsubscribeLink=True, CustomSubdomain="em",
                   CustomTrackPrefix="clk")
    domain_id = first["DomainID"]
    key = SenderDomain.get_by_id(domain_id).dkim_public_key
    call(ctx, alice, "update", DomainID=domain_id, UseTrackingSubdomain=False)
    if deleted_first:
        call(ctx, alice, "delete", DomainID=domain_id)
    again = create(ctx, alice, "example.com", OpenTracking=False)
    assert again["SenderDomain"]["Options"] == {"LinkTracking": 1, "OpenTracking": 0, "UnsubscribeLink": 0}
    records = again["SenderDomain"]["VerificationMeta"]["DNSRecords"]
    assert "sl.example.com" in records and "track-sl.example.com" in records and "em.example.com" not in records
    _, got = call(ctx, alice, "get", DomainID=domain_id)
    assert got["SenderDomain"]["Options"] == {
        "LinkTracking": 1, "OpenTracking": 0, "UnsubscribeLink": 0,
        "CustomSubdomain": "sl", "CustomTrackPrefix": "track", "TrackPrefixDisabled": False,
    }
    assert SenderDomain.get_by_id(domain_id).dkim_public_key == key  # the DKIM key is kept


def test_same_domain_for_two_users_is_two_rows(ctx, alice, bob):
    a = create(ctx, alice, "shared.example")
    b = create(ctx, bob, "shared.example")
    assert a["DomainID"] != b["DomainID"]


@pytest.mark.parametrize("absent", ["", None, "  "])
def test_an_empty_or_null_verifyall_means_absent(ctx, alice, absent):
    # Issue 11.6: verifyall="" or null answered code 12; absent means single-domain mode.
    domain_id = create(ctx, alice)["DomainID"]
    status, body = call(ctx, alice, "verify", verifyall=absent)
    assert status == 400 and error(body) == 1  # single-domain mode without DomainID
    status, body = call(ctx, alice, "verify", verifyall=absent, DomainID=domain_id)
    assert status == 200 and body["DomainID"] == domain_id and "VerifyAll" not in body


def test_a_json_integer_written_as_a_float_is_that_integer(ctx, alice):
    # Issue 11.6: JSON 7.0 for an integer parameter is 7.
    domain_id = create(ctx, alice)["DomainID"]
    status, body = call(ctx, alice, "get", DomainID=float(domain_id), days=7.0)
    assert status == 200 and body["SenderDomain"]["DomainID"] == str(domain_id) and body["Days"] == 7
    assert call(ctx, alice, "dns", DomainID=float(domain_id))[1]["DomainID"] == domain_id
    assert error(call(ctx, alice, "get", DomainID=domain_id + 0.5)[1]) == 2
    assert error(call(ctx, alice, "get", DomainID=float("inf"))[1]) == 2
    assert error(call(ctx, alice, "get", DomainID=float("nan"))[1]) == 2
    assert call(ctx, alice, "get", DomainID=domain_id, days=7.5)[1]["Days"] == 30  # not a whole number
    # The same written as text (a query string, the command line).
    status, body = call(ctx, alice, "get", DomainID=f"{domain_id}.0", days="7.0")
    assert status == 200 and body["Days"] == 7
    assert error(call(ctx, alice, "get", DomainID=f"{domain_id}.5")[1]) == 2


# ---- get -----------------------------------------------------------------------------------


def test_get_shape(ctx, alice):
    domain_id = create(ctx, alice)["DomainID"]
    status, body = call(ctx, alice, "get", DomainID=str(domain_id))
    assert status == 200 and list(body) == ["Success", "SenderDomain"]
    assert list(body["SenderDomain"]) == DOMAIN_KEYS_LIST


def test_get_with_days_stats(ctx, alice):
    domain_id = create(ctx, alice)["DomainID"]
    today = ctx.clock.now().date()
    store_counts([
        (domain_id, today, 12000, 11940, 60, 0),
        (domain_id, today - dt.timedelta(days=1), 11820, 11760, 58, 2),
        (domain_id, today - dt.timedelta(days=40), 5, None, 0, 0),
    ])
    status, body = call(ctx, alice, "get", DomainID=domain_id, days="30")
    assert status == 200 and list(body) == ["Success", "SenderDomain", "Days", "Stats"]
    assert body["Days"] == 30
    assert body["Stats"] == {
        "2026-05-23": {"Period": "2026-05-23", "Sent": 12000, "Delivered": 11940, "Bounced": 60, "Complaints": 0},
        "2026-05-22": {"Period": "2026-05-22", "Sent": 11820, "Delivered": 11760, "Bounced": 58, "Complaints": 2},
    }
    assert call(ctx, alice, "get", DomainID=domain_id, days="1")[1]["Stats"].keys() == {"2026-05-23"}


@pytest.mark.parametrize("raw, days", [("0", 1), ("-5", 1), ("400", 365), ("abc", 30), ("", 30), ("7", 7)])
def test_days_clamped(ctx, alice, raw, days):
    domain_id = create(ctx, alice)["DomainID"]
    assert call(ctx, alice, "get", DomainID=domain_id, days=raw)[1]["Days"] == days


@pytest.mark.parametrize("command", ["get", "update", "delete", "dns", "verify", "dnshost", "sendtest"])
def test_missing_domain_id_is_code_1(ctx, alice, command):
    status, body = call(ctx, alice, command)
    assert (status, error(body)) == (400, 1)


@pytest.mark.parametrize("command", ["get", "update", "delete", "dns", "verify", "dnshost", "sendtest"])
def test_other_users_domain_is_indistinguishable_from_missing(ctx, alice, bob, command):
    bobs = create(ctx, bob, "bob.example")["DomainID"]
    before = snapshot_rows()
    extra = {"to": "ops@example.com"} if command == "sendtest" else {}
    theirs = call(ctx, alice, command, DomainID=bobs, **extra)
    nowhere = call(ctx, alice, command, DomainID=bobs + 1000, **extra)
    garbage = call(ctx, alice, command, DomainID="12abc", **extra)
    assert theirs == nowhere == garbage == (404, {"Errors": [{"Code": 2, "Message": "Sender domain not found"}]})
    assert snapshot_rows() == before


# ---- update --------------------------------------------------------------------------------


def test_update_partial_preserves_omitted_fields(ctx, alice):
    domain_id = create(ctx, alice, CustomTrackPrefix="click", UnsubscribeLink="true")["DomainID"]
    status, body = call(ctx, alice, "update", DomainID=domain_id, OpenTracking="false")
    assert status == 200
    assert list(body) == ["Success", "DnsRegenerated", "SenderDomain"]
    assert body["DnsRegenerated"] is False
    assert body["SenderDomain"]["Options"] == {"LinkTracking": 1, "OpenTracking": 0, "UnsubscribeLink": 1, "CustomTrackPrefix": "click"}
    assert list(body["SenderDomain"]) == DOMAIN_KEYS_CREATE


def test_update_dns_change_regenerates_and_resets(ctx, alice):
    domain_id = create(ctx, alice)["DomainID"]
    row = SenderDomain.get_by_id(domain_id)
    verified = {h: [r[0], r[1], True] for h, r in row.verification_meta["DNSRecords"].items()}
    row.verification_meta = {"DNSRecords": verified, "Checks": {"sl.example.com": {"State": "matched"}}, "Note": "kept"}
    row.status = "Enabled"
    row.save()
    ctx.cache.set(f"probe:{domain_id}", {"cached": True}, 60)
    status, body = call(ctx, alice, "update", DomainID=domain_id, CustomSubdomain="em", UseTrackingSubdomain="true")
    assert status == 200 and body["DnsRegenerated"] is True
    domain = body["SenderDomain"]
    assert domain["Status"] == "Approval Pending"
    assert domain["Options"]["CustomSubdomain"] == "em" and domain["Options"]["TrackPrefixDisabled"] is False
    meta = domain["VerificationMeta"]
    assert list(meta["DNSRecords"])[:2] == ["em.example.com", "track-em.example.com"]
    assert all(len(r) == 2 for r in meta["DNSRecords"].values())  # flags reset: never probed
    assert "Checks" not in meta and meta["Note"] == "kept"
    assert ctx.cache.get(f"probe:{domain_id}") is None
    status, dns = call(ctx, alice, "dns", DomainID=domain_id)
    assert all(r["IsVerified"] is None for r in dns["DNSRecords"].values())


def test_update_tracking_subdomain_off_drops_tracking_record(ctx, alice):
    domain_id = create(ctx, alice)["DomainID"]
    body = call(ctx, alice, "update", DomainID=domain_id, UseTrackingSubdomain="false")[1]
    assert body["DnsRegenerated"] is True
    assert "track-sl.example.com" not in body["SenderDomain"]["VerificationMeta"]["DNSRecords"]
    assert body["SenderDomain"]["Options"]["TrackPrefixDisabled"] is True


def test_update_same_subdomain_is_not_a_dns_change(ctx, alice):
    domain_id = create(ctx, alice, CustomSubdomain="em")["DomainID"]
    assert call(ctx, alice, "update", DomainID=domain_id, CustomSubdomain="EM")[1]["DnsRegenerated"] is False


def _mark_verified(domain_id):
    row = SenderDomain.get_by_id(domain_id)
    row.verification_meta = {"DNSRecords": {h: [r[0], r[1], True] for h, r in row.verification_meta["DNSRecords"].items()}}
    row.status = "Enabled"
    row.save()


def test_status_toggle_pause_and_resume(ctx, alice):
    domain_id = create(ctx, alice)["DomainID"]
    _mark_verified(domain_id)
    ctx.cache.set(f"probe:{domain_id}", {"cached": True}, 60)
    body = call(ctx, alice, "update", DomainID=domain_id, status="disabled")[1]
    assert body["SenderDomain"]["Status"] == "Disabled" and body["DnsRegenerated"] is False
    assert ctx.cache.get(f"probe:{domain_id}") == {"cached": True}  # the flip does not invalidate
    assert ctx.service.resolve_for_email(alice, "example.com") is None  # paused: group default
    body = call(ctx, alice, "update", DomainID=domain_id, status="ENABLED")[1]
    assert body["SenderDomain"]["Status"] == "Enabled"
    assert ctx.service.resolve_for_email(alice, "Example.com").id == domain_id


@pytest.mark.parametrize("value", ["Approval Pending", "Suspended", "Deleted", "on", ""])
def test_status_code_9(ctx, alice, value):
    domain_id = create(ctx, alice)["DomainID"]
    before = snapshot_rows()
    status, body = call(ctx, alice, "update", DomainID=domain_id, status=value)
    assert (status, error(body)) == (400, 9)
    assert snapshot_rows() == before


def test_enable_unverified_is_code_10(ctx, alice):
    domain_id = create(ctx, alice)["DomainID"]
    status, body = call(ctx, alice, "update", DomainID=domain_id, status="Enabled")
    assert (status, error(body)) == (400, 10)
    assert SenderDomain.get_by_id(domain_id).status == "Approval Pending"


def test_enable_with_dns_change_in_same_request_is_code_10_and_changes_nothing(ctx, alice):
    domain_id = create(ctx, alice)["DomainID"]
    _mark_verified(domain_id)
    SenderDomain.update(status="Disabled").execute()
    before = snapshot_rows()
    status, body = call(ctx, alice, "update", DomainID=domain_id, status="Enabled", CustomSubdomain="em")
    assert (status, error(body)) == (400, 10)
    assert snapshot_rows() == before


def test_suspended_domain_status_cannot_be_changed(ctx, alice):
    domain_id = create(ctx, alice)["DomainID"]
    SenderDomain.update(status=STATUS_SUSPENDED).execute()
    assert error(call(ctx, alice, "update", DomainID=domain_id, status="Disabled")[1]) == 9
    # A DNS change regenerates records but leaves a suspension in place.
    body = call(ctx, alice, "update", DomainID=domain_id, CustomSubdomain="em")[1]
    assert body["SenderDomain"]["Status"] == STATUS_SUSPENDED


def test_update_error_code_6_changes_nothing(ctx, alice):
    domain_id = create(ctx, alice)["DomainID"]
    before = snapshot_rows()
    status, body = call(ctx, alice, "update", DomainID=domain_id, LinkTracking="false", CustomSubdomain="bad-")
    assert (status, error(body)) == (400, 6)
    assert snapshot_rows() == before


# ---- delete --------------------------------------------------------------------------------


def test_delete_is_soft_and_fires_hook(ctx, alice):
    domain_id = create(ctx, alice)["DomainID"]
    fired = []
    ctx.hooks.subscribe(DELETE_SENDER_DOMAIN, lambda **payload: fired.append(payload))
    assert call(ctx, alice, "delete", DomainID=domain_id) == (200, {"Success": True})
    assert SenderDomain.get_by_id(domain_id).status == "Deleted"
    assert fired == [{"domain_id": domain_id, "user_id": alice.id, "domain": "example.com"}]
    assert error(call(ctx, alice, "get", DomainID=domain_id)[1]) == 2
    assert error(call(ctx, alice, "delete", DomainID=domain_id)[1]) == 2
    assert len(fired) == 1


def test_failing_hook_listener_does_not_undo_delete(ctx, alice):
    domain_id = create(ctx, alice)["DomainID"]

    def broken(**_):
        raise RuntimeError("listener bug")

    ctx.hooks.subscribe(DELETE_SENDER_DOMAIN, broken)
    assert call(ctx, alice, "delete", DomainID=domain_id)[0] == 200


# ---- dns -----------------------------------------------------------------------------------


def test_dns_tri_state(ctx, alice):
    domain_id = create(ctx, alice)["DomainID"]
    row = SenderDomain.get_by_id(domain_id)
    records = row.verification_meta["DNSRecords"]
    records["sl.example.com"] = records["sl.example.com"][:2] + [True]
    records["example.com"] = records["example.com"][:2] + [False]
    row.verification_meta = {"DNSRecords": records}
    row.save()
    status, body = call(ctx, alice, "dns", DomainID=domain_id)
    assert status == 200 and list(body) == ["Success", "DomainID", "SenderDomain", "DNSRecords"]
    assert body["DomainID"] == domain_id and body["SenderDomain"] == "example.com"
    assert body["DNSRecords"]["sl.example.com"] == {"Type": "CNAME", "Value": "rp.senderdeck.example.", "IsVerified": True}
    assert body["DNSRecords"]["example.com"]["IsVerified"] is False
    assert body["DNSRecords"]["_dmarc.example.com"]["IsVerified"] is None


def test_dns_falls_back_to_template_without_saving(ctx, alice):
    domain_id = create(ctx, alice)["DomainID"]
    SenderDomain.update(verification_meta={}).execute()
    body = call(ctx, alice, "dns", DomainID=domain_id)[1]
    assert "sl.example.com" in body["DNSRecords"]
    assert all(r["IsVerified"] is None for r in body["DNSRecords"].values())
    assert SenderDomain.get_by_id(domain_id).verification_meta == {}


def test_list_and_get_show_every_option_with_defaults(ctx, alice):
    domain_id = create(ctx, alice, UnsubscribeLink="true")["DomainID"]
    expected = {
        "LinkTracking": 1, "OpenTracking": 1, "UnsubscribeLink": 1,
        "CustomSubdomain": "sl", "CustomTrackPrefix": "track", "TrackPrefixDisabled": False,
    }
    [listed] = call(ctx, alice, "list")[1]["SenderDomains"]
    assert listed["Options"] == expected and list(listed["Options"]) == list(expected)
    assert call(ctx, alice, "get", DomainID=domain_id)[1]["SenderDomain"]["Options"] == expected
    # The stored options stay as given: update answers them unfilled, as the spec shows.
    assert call(ctx, alice, "update", DomainID=domain_id)[1]["SenderDomain"]["Options"] == {
        "LinkTracking": 1, "OpenTracking": 1, "UnsubscribeLink": 1,
    }


def test_changed_platform_settings_do_not_make_a_toggle_regenerate(ctx, alice):
    """Only CustomSubdomain / CustomTrackPrefix / UseTrackingSubdomain regenerate records."""
    domain_id = create(ctx, alice)["DomainID"]
    _mark_verified(domain_id)
    ctx.settings.platform.dmarc_policy = "reject"
    ctx.settings.platform.spf_include = "spf.elsewhere.example"
    body = call(ctx, alice, "update", DomainID=domain_id, LinkTracking="0")[1]
    assert body["DnsRegenerated"] is False and body["SenderDomain"]["Status"] == "Enabled"
    assert all(r[2] is True for r in body["SenderDomain"]["VerificationMeta"]["DNSRecords"].values())
    assert call(ctx, alice, "update", DomainID=domain_id, status="Disabled")[0] == 200
    assert call(ctx, alice, "update", DomainID=domain_id, status="Enabled")[1]["SenderDomain"]["Status"] == "Enabled"


def test_row_gone_after_write_answers_8_on_create_and_7_on_update(ctx, alice, monkeypatch):
    domain_id = create(ctx, alice, "first.example")["DomainID"]
    real = SenderDomain.get_or_none

    def vanish_after_write(*query):
        return None

    monkeypatch.setattr(SenderDomain, "get_or_none", vanish_after_write)
    status, body = call(ctx, alice, "create", SenderDomain="second.example")
    assert (status, error(body)) == (500, 8)
    status, body = call(ctx, alice, "update", DomainID=domain_id, LinkTracking="0")
    assert (status, error(body)) == (500, 7)
    monkeypatch.setattr(SenderDomain, "get_or_none", real)
