"""Robustness of the HTTP layer, inspection endpoints and the phone page."""

from __future__ import annotations

import http.client
import socket

import pytest

from .conftest import ADMIN_PHONE, PHONE, sample


def raw_request(zalo, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", zalo.server.port), timeout=5) as conn:
        conn.sendall(data)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_unknown_path_is_404_json(zalo):
    response = zalo.http.get(zalo.url + "/v2.0/oa/message", timeout=5)
    assert response.status_code == 404
    assert response.json()["error"] == -404


def test_wrong_method_is_106(zalo):
    response = zalo.http.get(zalo.url + "/message/template", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"error": -106, "message": "Method unsupported", "data": None}
    assert zalo.http.delete(zalo.url + "/template/all", timeout=5).json()["error"] == -106


def test_trailing_slash_is_tolerated(zalo):
    assert zalo.get("/template/all/")["error"] == 0


def test_unsupported_method_gets_json_not_html(zalo):
    reply = raw_request(zalo, b"BREW /message/template HTTP/1.1\r\nHost: x\r\n\r\n")
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 501")
    assert b"application/json" in head
    assert body.startswith(b'{"error":-501')


def test_garbage_request_line_gets_json(zalo):
    # No parsable version means HTTP/0.9 rules: a bare body, but still JSON.
    assert raw_request(zalo, b"BLAH\r\n\r\n").startswith(b'{"error":-400')


def test_oversized_body_is_refused(zalo):
    reply = raw_request(
        zalo, b"POST /message/template HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n"
    )
    assert reply.startswith(b"HTTP/1.1 413")


def test_bad_content_length(zalo):
    reply = raw_request(
        zalo, b"POST /message/template HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"
    )
    assert reply.startswith(b"HTTP/1.1 400")


def test_chunked_body_is_read(zalo):
    body = (
        b'{"phone":"84912345678","template_id":"100001","template_data":'
        b'{"customer_name":"A","order_code":"B","order_date":"C","total_amount":"D"}}'
    )
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:10], body[10:]))
    reply = raw_request(
        zalo,
        b"POST /message/template HTTP/1.1\r\nHost: x\r\n"
        b"access_token: " + zalo.token.encode() + b"\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked + b"0\r\n\r\n",
    )
    assert b'"error":0' in reply


def test_keep_alive_reuses_one_connection(zalo):
    conn = http.client.HTTPConnection("127.0.0.1", zalo.server.port, timeout=5)
    sockets = set()
    for path in ("/message/quota", "/nowhere", "/template/all", "/message/template"):
        conn.request("GET", path, headers={"access_token": zalo.token})
        response = conn.getresponse()
        response.read()
        assert response.getheader("Connection") != "close"
        sockets.add(id(conn.sock))
    conn.close()
    assert len(sockets) == 1


def test_handler_bug_becomes_a_100_envelope(zalo, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(zalo.server.state, "quota", boom)
    assert zalo.get("/message/quota") == {
        "error": -100,
        "message": "Unknown error, retry later",
        "data": None,
    }


def test_sandbox_index_and_config_hide_secrets(zalo):
    index = zalo.inspect("")
    assert index["config"]["app_id"] == zalo.server.state.config.app_id
    assert "phone" in index["links"]
    config = zalo.inspect("config")
    assert "app_secret" not in config and "oa_secret_key" not in config
    assert config["admin_phones"] == [ADMIN_PHONE]
    assert config["unreachable_phones"]["84999000118"] == -118


@pytest.mark.parametrize(
    "knobs",
    [
        {"receipt_ratio": 2},
        {"webhook_url": "ftp://x"},
        {"admin_phones": "84987654321"},
        {"unreachable_phones": {"84912345678": 5}},
        {"remaining_quota": -1},
        {"access_token_ttl": "x"},
        {"app_id": "1"},
    ],
)
def test_bad_config_is_refused(zalo, knobs):
    assert zalo.knob("config", knobs).status_code == 400
    assert zalo.inspect("config")["receipt_ratio"] == 1.0


def test_messages_filter(zalo):
    zalo.send(tracking_id="a")
    zalo.send(phone=ADMIN_PHONE, tracking_id="b")
    assert zalo.inspect("messages", phone="0912345678")["count"] == 1
    assert zalo.inspect("messages", phone=ADMIN_PHONE)["messages"][0]["tracking_id"] == "b"
    assert zalo.inspect("messages", tracking_id="a")["messages"][0]["phone"] == PHONE
    assert zalo.inspect("messages")["count"] == 2


def test_phone_page_lists_phones(zalo):
    zalo.send()
    zalo.send(phone=ADMIN_PHONE)
    page = zalo.http.get(zalo.url + "/_sandbox/phone", timeout=5)
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert f"/_sandbox/phone?phone={PHONE}" in page.text
    assert f"/_sandbox/phone?phone={ADMIN_PHONE}" in page.text
    assert 'http-equiv="refresh"' in page.text


def test_phone_page_renders_bubbles_and_escapes(zalo):
    zalo.send(template_data=sample(customer_name="<script>alert(1)</script>", order_code="DH&42"))
    page = zalo.http.get(
        zalo.url + "/_sandbox/phone", params={"phone": "0912345678"}, timeout=5
    ).text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Đơn hàng DH&amp;42 đã được tiếp nhận" in page  # title with the param filled
    assert "Cửa hàng Demo" in page  # OA name
    assert "Xem đơn hàng" in page and 'href="tel:19001234"' in page  # buttons
    assert "Xác nhận đơn hàng" in page  # template name


def test_phone_page_for_unknown_and_invalid_phones(zalo):
    empty = zalo.http.get(zalo.url + "/_sandbox/phone", params={"phone": PHONE}, timeout=5)
    assert empty.status_code == 200 and "Chưa có tin nhắn" in empty.text
    bad = zalo.http.get(zalo.url + "/_sandbox/phone", params={"phone": "<b>1"}, timeout=5)
    assert bad.status_code == 400 and "<b>1" not in bad.text


def test_preview_for_unknown_template(zalo):
    response = zalo.http.get(zalo.url + "/_sandbox/preview", params={"template_id": "1"}, timeout=5)
    assert response.status_code == 404


def test_stop_closes_idle_keep_alive_connections(make_zalo):
    zalo = make_zalo()
    assert zalo.get("/message/quota")["error"] == 0
    zalo.server.stop()
    with pytest.raises(Exception):  # noqa: B017 - any connection error will do
        zalo.http.get(zalo.url + "/message/quota", timeout=2)
