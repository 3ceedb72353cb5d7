"""Every curl example of the spec, run with curl exactly as written — only the host and the key
replaced — against `senderdeck serve`, with the documented response shapes asserted.

The examples are the spec's text; README shows the same commands against
http://127.0.0.1:8080 (checked below). The server gets a fresh database in which the caller's
example.com is DomainID 12, as in the examples, with 90 days of stats, a loopback DNS server
publishing its records behind Cloudflare nameservers, and a loopback relay for sendtest.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess

import pytest

from core.models import STATUS_PENDING, DomainStat, SenderDomain
from core.localdns import records_zone
from core import users
from tests.http.conftest import ROOT, bind, open_engine

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed (run .ci/setup as root)")

SPEC_HOST = "https://example.com"
SPEC_KEY = "your-api-key"
README_HOST = "http://127.0.0.1:8080"

# The spec's examples, verbatim.
EXAMPLES = {
    "list": 'curl -X GET "https://example.com/api/v1/user.senderdomains?APIKey=your-api-key"',
    "get": 'curl -X GET "https://example.com/api/v1/user.senderdomain?APIKey=your-api-key&DomainID=12"',
    "get_days": 'curl -X GET "https://example.com/api/v1/user.senderdomain?APIKey=your-api-key&DomainID=12&days=30"',
    "create": """curl -X POST https://example.com/api/v1/user.senderdomain \\
  -H "Content-Type: application/json" \\
  -d '{
    "Command": "user.senderdomain.create",
    "APIKey": "your-api-key",
    "SenderDomain": "example.com",
    "LinkTracking": true,
    "OpenTracking": true,
    "UnsubscribeLink": false
  }'""",
    "update": """curl -X PATCH https://example.com/api/v1/user.senderdomain \\
  -H "Content-Type: application/json" \\
  -d '{
    "Command": "user.senderdomain.update",
    "APIKey": "your-api-key",
    "DomainID": 12,
    "CustomSubdomain": "em",
    "UseTrackingSubdomain": true
  }'""",
    "delete": 'curl -X DELETE "https://example.com/api/v1/user.senderdomain?APIKey=your-api-key&DomainID=12"',
    "verify": """curl -X POST https://example.com/api/v1/user.senderdomain.verify \\
  -H "Content-Type: application/json" \\
  -d '{
    "Command": "user.senderdomain.verify",
    "APIKey": "your-api-key",
    "DomainID": 12
  }'""",
    "verifyall": """curl -X POST https://example.com/api/v1/user.senderdomain.verify \\
  -H "Content-Type: application/json" \\
  -d '{
    "Command": "user.senderdomain.verify",
    "APIKey": "your-api-key",
    "verifyall": true
  }'""",
    "dns": 'curl -X GET "https://example.com/api/v1/user.senderdomain.dns?APIKey=your-api-key&DomainID=12"',
    "sendtest": """curl -X POST https://example.com/api/v1/user.senderdomain.sendtest \\
  -H "Content-Type: application/json" \\
  -d '{
    "Command": "user.senderdomain.sendtest",
    "APIKey": "your-api-key",
    "DomainID": 12,
    "to": "ops@example.com"
  }'""",
    "dnshost": 'curl -X GET "https://example.com/api/v1/user.senderdomain.dnshost?APIKey=your-api-key&DomainID=12"',
}

DOMAIN_KEYS = [
    "DomainID", "SenderDomain", "UserID", "CreatedAt", "Status", "LastVerifiedAt", "VerificationMeta",
    "PolicyMeta", "Options", "Volume7d", "VolumeDelta", "Reputation", "ReputationBucket", "DeliveryRate", "BounceRate",
]
CREATED_KEYS = ["DomainID", "SenderDomain", "UserID", "CreatedAt", "Status", "VerificationMeta", "PolicyMeta", "Options"]
DATETIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
CLOUDFLARE = ["ns1.cloudflare.com", "ns2.cloudflare.com"]


@pytest.fixture(scope="module")
def spec(start_server, dns_server, relay):
    """A server whose database has the caller's example.com as DomainID 12."""
    server = start_server()
    engine = bind(open_engine(server))
    filler, _ = users.create_user("filler", engine.clock)
    for n in range(1, 12):
        engine.service.create_domain(filler, {"SenderDomain": f"filler{n}.example"})
    ops, key = users.create_user("ops", engine.clock)
    assert engine.service.create_domain(ops, {"SenderDomain": "example.com"}).id == 12
    today = engine.clock.now().date()
    DomainStat.insert_many(
        [
            {"domain": 12, "day": today - dt.timedelta(days=n), "sent": 12000 - n, "delivered": 11940 - n, "bounced": 60, "complaints": n % 3}
            for n in range(90)
        ]
    ).execute()
    yield server, engine, ops, key
    engine.close()


@pytest.fixture
def example(spec, dns_server):
    """Before each example: example.com (12) live, pending, default options, its records published."""
    server, engine, ops, key = spec
    bind(engine)
    SenderDomain.update(options={"LinkTracking": 1, "OpenTracking": 1, "UnsubscribeLink": 0}).where(SenderDomain.id == 12).execute()
    view = engine.service.create_domain(ops, {"SenderDomain": "example.com"})  # revives 12, records regenerated
    zone = records_zone("example.com", view.verification_meta["DNSRecords"])
    zone.setdefault("@", []).extend([("NS", "ns1.cloudflare.com."), ("NS", "ns2.cloudflare.com.")])
    dns_server.set_zone("example.com", zone)
    engine.cache.delete("probe:12", "dnshost:example.com")
    return server, engine, ops, key


def run_curl(name: str, server, key: str) -> dict:
    command = EXAMPLES[name].replace(SPEC_HOST, server.base_url).replace(SPEC_KEY, key)
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_readme_shows_every_example_against_loopback():
    readme = (ROOT / "README.md").read_text()
    for name, text in EXAMPLES.items():
        assert text.replace(SPEC_HOST, README_HOST) in readme, name


def test_list(example):
    server, engine, ops, key = example
    body = run_curl("list", server, key)
    assert list(body) == ["Success", "SenderDomains"] and body["Success"] is True
    [entry] = body["SenderDomains"]
    assert list(entry) == DOMAIN_KEYS
    assert entry["DomainID"] == "12" and entry["SenderDomain"] == "example.com" and entry["UserID"] == str(ops.id)
    assert DATETIME.match(entry["CreatedAt"]) and entry["Status"] == STATUS_PENDING
    assert isinstance(entry["VerificationMeta"]["DNSRecords"]["sl.example.com"], list)
    assert entry["PolicyMeta"] == []
    assert list(entry["Options"])[:6] == [
        "LinkTracking", "OpenTracking", "UnsubscribeLink", "CustomSubdomain", "CustomTrackPrefix", "TrackPrefixDisabled"
    ]
    assert isinstance(entry["Volume7d"], int) and entry["Volume7d"] > 0
    assert re.match(r"^[+-]\d+%$", entry["VolumeDelta"])
    assert isinstance(entry["Reputation"], int) and entry["ReputationBucket"] in ("excellent", "good", "fair", "poor")
    assert isinstance(entry["DeliveryRate"], float) and isinstance(entry["BounceRate"], float)


def test_get(example):
    server, engine, ops, key = example
    body = run_curl("get", server, key)
    assert list(body) == ["Success", "SenderDomain"]
    assert list(body["SenderDomain"]) == DOMAIN_KEYS and body["SenderDomain"]["DomainID"] == "12"


def test_get_with_days(example):
    server, engine, ops, key = example
    body = run_curl("get_days", server, key)
    assert list(body) == ["Success", "SenderDomain", "Days", "Stats"]
    assert body["Days"] == 30 and list(body["SenderDomain"]) == DOMAIN_KEYS
    days = list(body["Stats"])
    assert len(days) == 30 and days == sorted(days, reverse=True)
    newest = body["Stats"][days[0]]
    assert newest == {"Period": days[0], "Sent": 12000, "Delivered": 11940, "Bounced": 60, "Complaints": 0}


def test_create(example):
    server, engine, ops, key = example
    body = run_curl("create", server, key)
    assert list(body) == ["Success", "DomainID", "SenderDomain"] and body["DomainID"] == 12
    domain = body["SenderDomain"]
    assert list(domain) == CREATED_KEYS and domain["DomainID"] == "12" and domain["UserID"] == str(ops.id)
    assert domain["Status"] == "Approval Pending" and domain["PolicyMeta"] == []
    assert domain["Options"] == {"LinkTracking": 1, "OpenTracking": 1, "UnsubscribeLink": 0}
    records = domain["VerificationMeta"]["DNSRecords"]
    assert records["sl.example.com"][0] == "CNAME" and "track-sl.example.com" in records


def test_update(example):
    server, engine, ops, key = example
    body = run_curl("update", server, key)
    assert list(body) == ["Success", "DnsRegenerated", "SenderDomain"] and body["DnsRegenerated"] is True
    domain = body["SenderDomain"]
    assert domain["Status"] == "Approval Pending"
    assert {"em.example.com", "track-em.example.com"} <= set(domain["VerificationMeta"]["DNSRecords"])
    assert domain["Options"]["CustomSubdomain"] == "em" and domain["Options"]["TrackPrefixDisabled"] is False


def test_delete(example):
    server, engine, ops, key = example
    assert run_curl("delete", server, key) == {"Success": True}
    bind(engine)
    assert SenderDomain.get_by_id(12).status == "Deleted"
    assert run_curl("get", server, key) == {"Errors": [{"Code": 2, "Message": "Sender domain not found"}]}


def test_verify(example):
    server, engine, ops, key = example
    body = run_curl("verify", server, key)
    assert list(body) == ["Success", "DomainID", "IsVerified", "Status", "DNSRecords"]
    assert body["DomainID"] == 12 and body["IsVerified"] is True and body["Status"] == "Enabled"
    assert body["DNSRecords"]["sl.example.com"][0] == "CNAME" and body["DNSRecords"]["sl.example.com"][2] is True
    assert all(record[2] is True for record in body["DNSRecords"].values())


def test_verifyall(example):
    server, engine, ops, key = example
    body = run_curl("verifyall", server, key)
    assert list(body) == ["Success", "VerifyAll", "Verified", "Failed", "Truncated", "Domains"]
    assert body["VerifyAll"] is True and body["Truncated"] is False
    assert (body["Verified"], body["Failed"]) == (1, 0)
    assert body["Domains"] == [{"DomainID": 12, "IsVerified": True, "Status": "Enabled"}]


def test_dns(example):
    server, engine, ops, key = example
    body = run_curl("dns", server, key)
    assert list(body) == ["Success", "DomainID", "SenderDomain", "DNSRecords"]
    assert body["DomainID"] == 12 and body["SenderDomain"] == "example.com"
    assert body["DNSRecords"]["sl.example.com"] == {"Type": "CNAME", "Value": "rp.senderdeck.example.", "IsVerified": None}
    assert all(list(r) == ["Type", "Value", "IsVerified"] for r in body["DNSRecords"].values())


def test_sendtest(example, relay):
    server, engine, ops, key = example
    before = len(relay.handler.messages)
    body = run_curl("sendtest", server, key)
    assert list(body) == ["Success", "DomainID", "SenderDomain", "To", "Subject", "MessageID"]
    assert body["DomainID"] == 12 and body["SenderDomain"] == "example.com" and body["To"] == "ops@example.com"
    assert body["Subject"] == "Sender domain test from example.com" and body["MessageID"]
    [received] = relay.handler.messages[before:]
    assert received.rcpt_tos == ["ops@example.com"] and received.message["Subject"] == body["Subject"]


def test_dnshost(example):
    server, engine, ops, key = example
    body = run_curl("dnshost", server, key)
    assert body == {"Success": True, "DomainID": 12, "SenderDomain": "example.com", "DnsHost": "Cloudflare", "Nameservers": CLOUDFLARE}
