"""The contract, command by command, through HTTP: every route's success shape and every
documented error code with its HTTP status, parameters sent the ways clients send them
(query string, JSON with real or string-typed values, form body, /api.php), and nothing
stored by a rejected call."""

from __future__ import annotations

import pytest

from core.models import STATUS_SUSPENDED, SenderDomain
from core.localdns import records_zone
from tests.http.conftest import error_code

WITH_DOMAIN_ID = ["get", "update", "delete", "dns", "verify", "dnshost", "sendtest"]


def rows(caller):
    query = SenderDomain.select().where(SenderDomain.user == caller.user.id).order_by(SenderDomain.id)
    return [(r.id, r.domain, r.status, r.options, r.verification_meta) for r in query]


def create(caller, domain="example.com", **params) -> int:
    response = caller.call("create", SenderDomain=domain, **params)
    assert response.status_code == 200, response.text
    return response.json()["DomainID"]


def expect(response, status: int, code: int) -> None:
    assert (response.status_code, error_code(response)) == (status, code), response.text


# ---- every command: success and its documented codes ----------------------------------------


def test_list_success_and_ownership(engine, alice, bob):
    create(alice, "alice.example")
    create(bob, "bob.example")
    response = alice.call("list")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    [entry] = response.json()["SenderDomains"]
    assert entry["SenderDomain"] == "alice.example" and entry["UserID"] == str(alice.user.id)


def test_empty_list(engine, alice):
    assert alice.call("list").json() == {"Success": True, "SenderDomains": []}


@pytest.mark.parametrize(
    "params, status, code",
    [
        ({}, 400, 1),
        ({"SenderDomain": "   "}, 400, 1),
        ({"SenderDomain": "localhost"}, 400, 4),
        ({"SenderDomain": "mail.localhost"}, 400, 4),
        ({"SenderDomain": "example.com", "CustomSubdomain": "-bad"}, 400, 6),
        ({"SenderDomain": "example.com", "CustomTrackPrefix": "a" * 33}, 400, 6),
        ({"SenderDomain": "10.0.0.1"}, 400, 7),
        ({"SenderDomain": "nodots"}, 400, 7),
        ({"SenderDomain": "under_score.com"}, 400, 7),
        ({"SenderDomain": {"nested": "object"}}, 400, 7),
        ({"SenderDomain": "example.com", "LinkTracking": "maybe"}, 400, 12),
        ({"SenderDomain": "example.com", "LinkTracking": 2}, 400, 12),
    ],
)
def test_create_errors_store_nothing(engine, alice, params, status, code):
    expect(alice.call("create", **params), status, code)
    assert rows(alice) == []


def test_create_limit_is_code_5_with_403(engine, make_user):
    limited = make_user(domain_limit=1)
    create(limited, "one.example")
    expect(limited.call("create", SenderDomain="two.example"), 403, 5)
    assert [r[1] for r in rows(limited)] == ["one.example"]


@pytest.mark.parametrize("true, false", [(True, False), ("true", "false"), (1, 0), ("1", "0")])
def test_json_booleans_and_strings_both_work(engine, alice, true, false):
    body = alice.call("create", SenderDomain="example.com", LinkTracking=false, UnsubscribeLink=true).json()
    assert body["SenderDomain"]["Options"] == {"LinkTracking": 0, "OpenTracking": 1, "UnsubscribeLink": 1}


@pytest.mark.parametrize("as_string", [False, True])
def test_domain_id_as_json_number_or_string(engine, alice, as_string):
    domain_id = create(alice)
    sent = str(domain_id) if as_string else domain_id
    response = alice.http.patch(
        "/api/v1/user.senderdomain", json={"APIKey": alice.key, "DomainID": sent, "OpenTracking": False}
    )
    assert response.status_code == 200 and response.json()["SenderDomain"]["Options"]["OpenTracking"] == 0


@pytest.mark.parametrize("command", WITH_DOMAIN_ID)
def test_missing_domain_id_is_code_1(engine, alice, command):
    expect(alice.call(command), 400, 1)


@pytest.mark.parametrize("command", WITH_DOMAIN_ID)
def test_someone_elses_domain_is_code_2_like_a_missing_one(engine, alice, bob, command):
    bobs = create(bob, "bob.example")
    before = rows(bob)
    extra = {"to": "ops@example.com"} if command == "sendtest" else {}
    for domain_id in (bobs, bobs + 100_000, "12abc", -1):
        response = alice.call(command, DomainID=domain_id, **extra)
        assert response.status_code == 404 and response.json() == {"Errors": [{"Code": 2, "Message": "Sender domain not found"}]}
    assert rows(bob) == before


def test_get_with_days_clamped(engine, alice):
    domain_id = create(alice)
    for raw, days in (("0", 1), ("400", 365), ("abc", 30), ("7", 7)):
        body = alice.call("get", DomainID=domain_id, days=raw).json()
        assert body["Days"] == days and body["Stats"] == {}
    assert list(alice.call("get", DomainID=domain_id).json()) == ["Success", "SenderDomain"]


def test_update_partial_and_regenerating(engine, alice):
    domain_id = create(alice, CustomTrackPrefix="click")
    body = alice.call("update", DomainID=domain_id, OpenTracking=False).json()
    assert body["DnsRegenerated"] is False
    assert body["SenderDomain"]["Options"] == {"LinkTracking": 1, "OpenTracking": 0, "UnsubscribeLink": 0, "CustomTrackPrefix": "click"}
    body = alice.call("update", DomainID=domain_id, CustomSubdomain="em", UseTrackingSubdomain="true").json()
    assert body["DnsRegenerated"] is True
    assert list(body["SenderDomain"]["VerificationMeta"]["DNSRecords"])[:2] == ["em.example.com", "click-em.example.com"]


@pytest.mark.parametrize(
    "params, status, code",
    [
        ({"CustomSubdomain": "bad-"}, 400, 6),
        ({"LinkTracking": "false", "CustomSubdomain": "a_b"}, 400, 6),
        ({"status": "Suspended"}, 400, 9),
        ({"status": "Approval Pending"}, 400, 9),
        ({"status": "Enabled"}, 400, 10),
        ({"UseTrackingSubdomain": "perhaps"}, 400, 12),
    ],
)
def test_update_errors_change_nothing(engine, alice, params, status, code):
    domain_id = create(alice)
    before = rows(alice)
    expect(alice.call("update", DomainID=domain_id, **params), status, code)
    assert rows(alice) == before


def test_suspended_domain_status_is_code_9(engine, alice):
    domain_id = create(alice)
    SenderDomain.update(status=STATUS_SUSPENDED).where(SenderDomain.id == domain_id).execute()
    expect(alice.call("update", DomainID=domain_id, status="Disabled"), 400, 9)


def test_delete_then_get_is_code_2(engine, alice):
    domain_id = create(alice)
    response = alice.call("delete", DomainID=domain_id)
    assert (response.status_code, response.json()) == (200, {"Success": True})
    expect(alice.call("get", DomainID=domain_id), 404, 2)
    expect(alice.call("delete", DomainID=domain_id), 404, 2)
    assert rows(alice)[0][2] == "Deleted"


def test_dns_tri_state(engine, alice):
    domain_id = create(alice)
    body = alice.call("dns", DomainID=domain_id).json()
    assert body["DomainID"] == domain_id and all(r["IsVerified"] is None for r in body["DNSRecords"].values())


def test_verify_single_and_all(engine, alice, dns_server):
    good = create(alice, "good.example")
    create(alice, "bad.example")
    records = SenderDomain.get_by_id(good).verification_meta["DNSRecords"]
    dns_server.set_zone("good.example", records_zone("good.example", records))
    body = alice.call("verify", DomainID=good).json()
    assert (body["DomainID"], body["IsVerified"], body["Status"]) == (good, True, "Enabled")
    body = alice.call("verify", verifyall="true").json()  # only the pending one is left
    assert (body["Verified"], body["Failed"], body["Truncated"]) == (0, 1, False)
    assert [d["Status"] for d in body["Domains"]] == ["Approval Pending"]
    assert alice.call("verify", verifyall=True).json()["VerifyAll"] is True
    expect(alice.call("verify", verifyall="maybe"), 400, 12)


def test_dnshost_unknown_never_fails(engine, alice):
    domain_id = create(alice, "nowhere.example")  # the loopback server refuses: no nameservers
    body = alice.call("dnshost", DomainID=domain_id).json()
    assert body == {"Success": True, "DomainID": domain_id, "SenderDomain": "nowhere.example", "DnsHost": "unknown", "Nameservers": []}


@pytest.mark.parametrize(
    "params, status, code",
    [
        ({}, 400, 3),
        ({"to": "not-an-address"}, 400, 8),
        ({"to": "ops@example.com\r\nBcc: victim@example.com"}, 400, 8),
        ({"to": "ops@example.com", "subject": "two\nlines"}, 400, 12),
    ],
)
def test_sendtest_errors_send_nothing(engine, alice, relay, params, status, code):
    domain_id = create(alice)
    before = len(relay.handler.messages)
    expect(alice.call("sendtest", DomainID=domain_id, **params), status, code)
    assert len(relay.handler.messages) == before


def test_sendtest_refused_by_relay_is_code_11_with_502(engine, alice, relay):
    domain_id = create(alice)
    relay.handler.refuse.add("nobody@example.com")
    try:
        expect(alice.call("sendtest", DomainID=domain_id, to="nobody@example.com"), 502, 11)
    finally:
        relay.handler.refuse.discard("nobody@example.com")


def test_sendtest_limit_is_code_14_with_retry_after(engine, alice, relay):
    domain_id = create(alice)
    for _ in range(10):
        assert alice.call("sendtest", DomainID=domain_id, to="ops@example.com").status_code == 200
    response = alice.call("sendtest", DomainID=domain_id, to="ops@example.com")
    expect(response, 429, 14)
    assert 0 < int(response.headers["retry-after"]) <= 300


def test_sendtest_in_demo_mode_is_code_99_with_403(engine, start_server, make_user):
    from tests.http.conftest import bind, open_engine

    demo = start_server(env={"SENDERDECK_DEMO": "true"})
    demo_engine = bind(open_engine(demo))
    try:
        caller = make_user(on=demo)
        domain_id = create(caller)
        expect(caller.call("sendtest", DomainID=domain_id, to="ops@example.com"), 403, 99)
    finally:
        demo_engine.close()


# ---- authentication, permission, rate limit ------------------------------------------------


def test_bad_or_missing_key_is_code_0_with_401(server, alice):
    for response in (
        alice.http.get("/api/v1/user.senderdomains"),
        alice.http.get("/api/v1/user.senderdomains", params={"APIKey": "sdk_wrong"}),
        alice.http.get("/api/v1/user.senderdomains", headers={"Authorization": "Bearer sdk_wrong"}),
        alice.http.get("/api/v1/user.senderdomains", headers={"Authorization": f"Basic {alice.key}"}),
        alice.http.get("/api/v1/user.senderdomains", headers={"Authorization": "Bearer"}),
    ):
        expect(response, 401, 0)
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_apikey_parameter_and_bearer_header_both_authenticate(server, alice):
    assert alice.http.get("/api/v1/user.senderdomains", params={"APIKey": alice.key}).status_code == 200
    assert alice.http.get("/api/v1/user.senderdomains", params={"apikey": alice.key}).status_code == 200
    assert alice.http.post("/api.php", data={"Command": "user.senderdomain.list", "APIKey": alice.key}).status_code == 200
    assert alice.http.get("/api/v1/user.senderdomains", headers={"Authorization": f"bearer {alice.key}"}).status_code == 200
    # Both, naming the same key: fine; naming different keys: refused, whichever is right.
    both = {"params": {"APIKey": alice.key}, "headers": {"Authorization": f"Bearer {alice.key}"}}
    assert alice.http.get("/api/v1/user.senderdomains", **both).status_code == 200
    expect(
        alice.http.get("/api/v1/user.senderdomains", params={"APIKey": "sdk_other"}, headers={"Authorization": f"Bearer {alice.key}"}),
        401, 0,
    )


def test_permission_is_code_15_with_403(engine, make_user):
    caller = make_user(permissions=[])
    expect(caller.call("list"), 403, 15)


def test_rate_limit_is_code_14_with_429_and_retry_after(engine, alice, bob):
    for _ in range(100):
        assert alice.call("list").status_code == 200
    response = alice.call("list")
    expect(response, 429, 14)
    assert 0 < int(response.headers["retry-after"]) <= 60
    assert f"try again in {response.headers['retry-after']} s" in response.json()["Errors"][0]["Message"]
    assert bob.call("list").status_code == 200  # a budget per user


# ---- /api.php and Command ------------------------------------------------------------------


def test_legacy_endpoint_takes_the_command_from_command(engine, alice):
    response = alice.http.post(
        "/api.php", json={"Command": "user.senderdomain.create", "APIKey": alice.key, "SenderDomain": "legacy.example"}
    )
    assert response.status_code == 200
    domain_id = response.json()["DomainID"]
    response = alice.http.get("/api.php", params={"Command": "user.senderdomain.get", "APIKey": alice.key, "DomainID": domain_id})
    assert response.json()["SenderDomain"]["SenderDomain"] == "legacy.example"
    expect(alice.http.get("/api.php", params={"APIKey": alice.key}), 400, 13)
    expect(alice.http.get("/api.php", params={"APIKey": alice.key, "Command": "user.senderdomain.explode"}), 404, 13)


def test_command_must_match_the_route(engine, alice):
    domain_id = create(alice)
    response = alice.http.request(
        "DELETE", "/api/v1/user.senderdomain", params={"DomainID": domain_id, "Command": "user.senderdomain.get"},
        headers={"Authorization": f"Bearer {alice.key}"},
    )
    expect(response, 400, 13)
    assert rows(alice)[0][2] == "Approval Pending"  # not deleted
    # The route's own command, in any case, is fine.
    response = alice.http.get(
        "/api/v1/user.senderdomain", params={"DomainID": domain_id, "Command": "User.SenderDomain.GET", "APIKey": alice.key}
    )
    assert response.status_code == 200
