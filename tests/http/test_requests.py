"""What the HTTP layer itself decides: routes, methods, bodies, sizes, keys in the access log,
and hostile requests — always a coded JSON answer, never HTML or a traceback, nothing stored."""

from __future__ import annotations

import re
import socket

import httpx
import pytest

from core.models import SenderDomain
from tests.http.conftest import error_code

LIMIT = 64 * 1024
UVICORN_BAD_REQUEST = b"Invalid HTTP request received."


def rows(caller):
    return list(SenderDomain.select().where(SenderDomain.user == caller.user.id))


def expect(response, status: int, code: int) -> None:
    assert (response.status_code, error_code(response)) == (status, code), response.text


# ---- routes and methods --------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path, allowed",
    [
        ("POST", "/api/v1/user.senderdomains", "GET, HEAD"),
        ("PUT", "/api/v1/user.senderdomain", "GET, HEAD, POST, PATCH, DELETE"),
        ("GET", "/api/v1/user.senderdomain.verify", "POST"),
        ("DELETE", "/api/v1/user.senderdomain.dns", "GET, HEAD"),
        ("GET", "/api/v1/user.senderdomain.sendtest", "POST"),
        ("PATCH", "/api.php", "GET, HEAD, POST"),
        ("OPTIONS", "/api/v1/user.senderdomain.dnshost", "GET, HEAD"),
    ],
)
def test_wrong_method_is_405_with_allow(server, alice, method, path, allowed):
    response = alice.http.request(method, path, params={"APIKey": alice.key})
    expect(response, 405, 13)
    assert response.headers["allow"] == allowed


@pytest.mark.parametrize(
    "path", ["/", "/api/v1/user.senderdomains/", "/api/v1/user.senderdomain.explode", "/api/v2/user.senderdomains", "/index.html", "/%2e%2e/etc/passwd"]
)
def test_unknown_path_is_404_coded_json(server, alice, path):
    response = alice.http.get(path, params={"APIKey": alice.key})
    expect(response, 404, 13)


def test_head_answers_like_get_without_a_body(server, alice):
    response = alice.http.head("/api/v1/user.senderdomains", params={"APIKey": alice.key})
    assert response.status_code == 200 and response.content == b""


# ---- parameters ----------------------------------------------------------------------------


def test_query_and_json_body_merge_body_wins(engine, alice):
    response = alice.http.post(
        "/api/v1/user.senderdomain",
        params={"APIKey": alice.key, "SenderDomain": "query.example", "UnsubscribeLink": "true"},
        json={"senderdomain": "body.example"},
    )
    body = response.json()
    assert body["SenderDomain"]["SenderDomain"] == "body.example"
    assert body["SenderDomain"]["Options"]["UnsubscribeLink"] == 1  # from the query


def test_form_body(engine, alice):
    response = alice.http.post(
        "/api/v1/user.senderdomain", data={"APIKey": alice.key, "SenderDomain": "form.example", "LinkTracking": "false"}
    )
    assert response.status_code == 200 and response.json()["SenderDomain"]["Options"]["LinkTracking"] == 0


def test_json_sent_as_a_form_like_curl_without_content_type(engine, alice):
    content = f'{{"APIKey": "{alice.key}", "SenderDomain": "curl.example"}}'
    response = alice.http.post(
        "/api/v1/user.senderdomain", content=content, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 200 and response.json()["SenderDomain"]["SenderDomain"] == "curl.example"


@pytest.mark.parametrize(
    "content, content_type, status",
    [
        pytest.param(b'{"SenderDomain": "x.example",', "application/json", 400, id="cut-short"),
        pytest.param(b"{'SenderDomain': 'x.example'}", "application/json", 400, id="single-quotes"),
        pytest.param(b'["SenderDomain", "x.example"]', "application/json", 400, id="array"),
        pytest.param(b'"x.example"', "application/json", 400, id="string"),
        pytest.param(b"12", "application/json", 400, id="number"),
        pytest.param(b"null", "application/json", 400, id="null"),
        pytest.param(b'{"SenderDomain": "\xff\xfe.example"}', "application/json", 400, id="json-not-utf8"),
        pytest.param(b"[" * 40000 + b"]" * 20000, "application/json", 400, id="deep-array"),
        pytest.param(b'{"a":' * 10000 + b"1" + b"}" * 10000, "application/json", 400, id="deep-object"),
        pytest.param(b"SenderDomain=%ff%fe.example", "application/x-www-form-urlencoded", 400, id="form-not-utf8"),
        pytest.param(b"SenderDomain=x.example", "text/plain", 415, id="text-plain"),
        pytest.param(
            b'--b\r\nContent-Disposition: form-data; name="SenderDomain"\r\n\r\nx.example\r\n--b--',
            "multipart/form-data; boundary=b", 415, id="multipart",
        ),
    ],
)
def test_bad_bodies_are_coded_and_store_nothing(engine, alice, content, content_type, status):
    response = alice.http.post(
        "/api/v1/user.senderdomain",
        content=content,
        headers={"Content-Type": content_type, "Authorization": f"Bearer {alice.key}"},
    )
    expect(response, status, 12)
    assert rows(alice) == []


def test_body_over_the_limit_is_413_with_or_without_content_length(engine, alice):
    padding = "x" * LIMIT
    sized = alice.http.post("/api/v1/user.senderdomain", json={"APIKey": alice.key, "SenderDomain": "big.example", "pad": padding})
    expect(sized, 413, 12)

    def chunks():  # no Content-Length: chunked transfer encoding
        yield f'{{"APIKey": "{alice.key}", "SenderDomain": "big.example", "pad": "'.encode()
        for _ in range(LIMIT // 1024 + 1):
            yield b"x" * 1024
        yield b'"}'

    streamed = alice.http.post("/api/v1/user.senderdomain", content=chunks(), headers={"Content-Type": "application/json"})
    expect(streamed, 413, 12)
    assert rows(alice) == []
    # Just under the limit is fine.
    fits = alice.http.post("/api/v1/user.senderdomain", json={"APIKey": alice.key, "SenderDomain": "fits.example", "pad": "x" * (LIMIT - 200)})
    assert fits.status_code == 200


def test_limit_comes_from_the_server_table(engine, start_server, make_user):
    from tests.http.conftest import bind, open_engine

    small = start_server(env={"SENDERDECK_SERVER_MAX_BODY_BYTES": "100"})
    small_engine = bind(open_engine(small))
    try:
        caller = make_user(on=small)
        expect(caller.http.post("/api/v1/user.senderdomain", json={"APIKey": caller.key, "SenderDomain": "x" * 100 + ".example"}), 413, 12)
        assert caller.http.post("/api/v1/user.senderdomain", json={"APIKey": caller.key, "SenderDomain": "a.example"}).status_code == 200
        # The query string carries parameters too: the same limit, 414.
        expect(caller.http.get("/api/v1/user.senderdomains", params={"APIKey": caller.key, "pad": "x" * 100}), 414, 12)
    finally:
        small_engine.close()


# ---- the access log ------------------------------------------------------------------------


def test_access_log_never_holds_a_key(server, alice):
    key = alice.key
    for params in ({"APIKey": key}, {"apikey": key}, {"APIKEY": key}):
        assert alice.http.get("/api/v1/user.senderdomains", params=params).status_code == 200
    raw_queries = [f"%41PIKey={key}", f"api%4Bey={key}", f"APIKey={key}&DomainID=1", f"x=1&APIKey={key}"]
    for query in raw_queries:
        alice.http.get(f"/api/v1/user.senderdomain?{query}")
    alice.http.get(f"/api/v1/{key}")  # a key pasted into the path
    alice.http.get("/api/v1/user.senderdomains", headers={"Authorization": f"Bearer {key}"})
    alice.http.post("/api/v1/user.senderdomain", json={"APIKey": key, "password": "hunter2-secret"})
    alice.http.get("/api/v1/user.senderdomains", params={"password": "hunter2-secret", "APIKey": key})
    log = server.logs()
    assert key not in log and key[4:20] not in log
    assert "hunter2-secret" not in log
    assert "APIKey=***" in log and "GET /api/v1/user.senderdomains?apikey=*** HTTP/1.1" in log


# ---- hostile requests ----------------------------------------------------------------------


def raw_request(server, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


HOSTILE = {
    "non-utf8-query": b"GET /api/v1/user.senderdomains?APIKey=\xff\xfe HTTP/1.1\r\nHost: x\r\n",
    "non-ascii-path": b"GET /api/v1/user.senderdomains\xc3\xa9 HTTP/1.1\r\nHost: x\r\n",
    "folded-header": b"GET /api/v1/user.senderdomains HTTP/1.1\r\nHost: x\r\nX-Evil: a\r\n\tinjected: 1\r\n",
    "control-bytes-in-bearer": b"GET /api/v1/user.senderdomains HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \x00\x01\r\n",
    "bare-lf-injection": b"GET /api/v1/user.senderdomains HTTP/1.1\r\nHost: x\r\nX-A: 1\nX-Injected: 2\r\n",
    "two-content-lengths": b"POST /api/v1/user.senderdomain HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n",
    "negative-content-length": b"POST /api/v1/user.senderdomain HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n",
    "huge-content-length": b"POST /api/v1/user.senderdomain HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\n",
    "bad-chunk": b"POST /api/v1/user.senderdomain HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n",
    "smuggling": b"POST /api/v1/user.senderdomain HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n",
    "not-http": b"GARBAGE",
    "huge-header": b"GET /api/v1/user.senderdomains HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n",
    "many-headers": b"GET /api/v1/user.senderdomains HTTP/1.1\r\nHost: x\r\n" + b"X-H: 1\r\n" * 5000,
}
BODIES = {"bad-chunk": b"zz\r\n", "smuggling": b"0\r\n\r\nGET /x HTTP/1.1\r\n\r\n", "two-content-lengths": b"hello"}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_requests_get_no_html_and_no_traceback(server, name):
    before = server.stderr()
    response = raw_request(server, HOSTILE[name] + b"Connection: close\r\n\r\n" + BODIES.get(name, b""))
    head, _, body = response.partition(b"\r\n\r\n")
    if response:
        status = int(head.split(b" ", 2)[1])
        assert status >= 400
        assert b"<html" not in body.lower() and b"Traceback" not in body
        if body != UVICORN_BAD_REQUEST:  # what uvicorn answers a request it cannot parse
            assert b"content-type: application/json" in head.lower() and re.search(rb'^\{"Errors":\[\{"Code":\d+', body)
    new_errors = server.stderr()[len(before):]
    assert "Traceback" not in new_errors and "Exception in ASGI application" not in new_errors


def test_response_headers_cannot_be_injected(server, alice):
    response = alice.http.get("/api/v1/user.senderdomains%0d%0aX-Injected:%201", params={"APIKey": alice.key})
    assert response.status_code == 404 and "x-injected" not in response.headers


def test_never_html(server):
    for path in ("/", "/favicon.ico", "/docs", "/api.php"):
        response = httpx.get(server.url(path), headers={"Accept": "text/html"}, trust_env=False)
        assert response.headers["content-type"] == "application/json" and response.status_code in (401, 404)
