"""Template endpoints: list, detail (v2 and v1), sample data, preview page."""

from __future__ import annotations

import pytest

from zns_notify.sandbox.catalogue import OTP_TEMPLATE_ID

# design.md §5's eight, the demo's contract; the ninth, the OTP template, has its own tests
# (test_otp_template.py).
EXPECTED = {
    "100001": (
        "Xác nhận đơn hàng",
        "TRANSACTION",
        "300.0",
        ["customer_name", "order_code", "order_date", "total_amount"],
    ),
    "100002": (
        "Thanh toán thành công",
        "IN_TRANSACTION",
        "300.0",
        ["customer_name", "order_code", "amount", "paid_at", "payment_method"],
    ),
    "100003": (
        "Đơn hàng đang được giao",
        "TRANSACTION",
        "300.0",
        ["customer_name", "order_code", "carrier", "tracking_code", "eta"],
    ),
    "100004": (
        "Giao hàng thành công",
        "TRANSACTION",
        "300.0",
        ["customer_name", "order_code", "delivered_at"],
    ),
    "100005": (
        "Nhắc thanh toán",
        "TRANSACTION",
        "300.0",
        ["customer_name", "order_code", "amount", "due_time"],
    ),
    "100006": ("Đánh giá đơn hàng", "POST_TRANSACTION", "250.0", ["customer_name", "order_code"]),
    "100007": (
        "Voucher cảm ơn",
        "PROMOTION",
        "350.0",
        ["customer_name", "voucher_code", "expiry_date"],
    ),
    "100008": ("Mẫu đang chờ duyệt", "TRANSACTION", "300.0", ["customer_name", "order_code"]),
}
ALL_IDS = [int(tid) for tid in sorted([*EXPECTED, OTP_TEMPLATE_ID])]
ENABLED_IDS = [tid for tid in ALL_IDS if tid != 100008]
MAX_LENGTHS = {
    "customer_name": 30,
    "order_code": 30,
    "order_date": 20,
    "total_amount": 20,
    "amount": 20,
    "paid_at": 20,
    "payment_method": 30,
    "carrier": 30,
    "tracking_code": 30,
    "eta": 20,
    "delivered_at": 20,
    "due_time": 20,
    "voucher_code": 30,
    "expiry_date": 20,
}


def test_list_all(zalo):
    reply = zalo.get("/template/all", offset=0, limit=100)
    assert reply["error"] == 0 and reply["metadata"] == {"total": 9}
    rows = {row["templateId"]: row for row in reply["data"]}
    assert sorted(rows) == ALL_IDS
    row = rows[100001]
    assert set(row) == {"templateId", "templateName", "createdTime", "status", "templateQuality"}
    assert isinstance(row["createdTime"], int)
    assert row["templateName"] == "Xác nhận đơn hàng"
    assert rows[100008]["status"] == "PENDING_REVIEW"
    assert all(r["status"] == "ENABLE" for tid, r in rows.items() if tid != 100008)


@pytest.mark.parametrize(
    ("status", "ids"), [("1", ENABLED_IDS), ("2", [100008]), ("3", []), ("5", [])]
)
def test_list_filters_by_numeric_status(zalo, status, ids):
    reply = zalo.get("/template/all", offset=0, limit=10, status=status)
    assert [row["templateId"] for row in reply["data"]] == ids
    assert reply["metadata"]["total"] == len(ids)


@pytest.mark.parametrize("status", ["ENABLE", "0", "6", "-1", "1.0"])
def test_list_rejects_non_numeric_status(zalo, status):
    reply = zalo.get("/template/all", offset=0, limit=10, status=status)
    assert reply == {"error": -132, "message": "Invalid status", "data": None}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "101"}, "Invalid limit"),
        ({"limit": "0"}, "Invalid limit"),
        ({"offset": "-1"}, "Invalid offset"),
        ({"offset": "x"}, "Invalid offset"),
    ],
)
def test_list_rejects_bad_paging(zalo, params, message):
    reply = zalo.get("/template/all", **params)
    assert (reply["error"], reply["message"]) == (-132, message)


def test_list_pages(zalo):
    first = zalo.get("/template/all", offset=0, limit=3)["data"]
    rest = zalo.get("/template/all", offset=3, limit=100)["data"]
    assert [r["templateId"] for r in first + rest] == ALL_IDS
    assert zalo.get("/template/all", offset=50, limit=5)["data"] == []


@pytest.mark.parametrize("path", ["/template/info/v2", "/template/info"])
@pytest.mark.parametrize("template_id", sorted(EXPECTED))
def test_detail(zalo, path, template_id):
    name, tag, price, params = EXPECTED[template_id]
    data = zalo.get(path, template_id=template_id)["data"]

    assert data["templateId"] == template_id and data["templateName"] == name
    assert data["templateTag"] == tag
    assert data["price"] == price and data["price_sdt"] == price
    assert float(data["price_uid"]) < float(price)
    assert data["timeout"] == 7200000 and data["applyTemplateQuota"] is False
    assert data["status"] == ("PENDING_REVIEW" if template_id == "100008" else "ENABLE")
    assert data["templateQuality"] in {"HIGH", "UNDEFINED"}
    assert isinstance(data["reason"], str)
    assert [p["name"] for p in data["listParams"]] == params
    for param in data["listParams"]:
        assert param == {
            "name": param["name"],
            "require": True,
            "type": "STRING",
            "maxLength": MAX_LENGTHS[param["name"]],
            "minLength": 0,
            "acceptNull": False,
        }
    assert 1 <= len(data["listButtons"]) <= 2
    assert all(set(b) == {"type", "title", "content"} for b in data["listButtons"])
    assert data["previewUrl"] == f"{zalo.url}/_sandbox/preview?template_id={template_id}"


def test_both_tag_vocabularies_are_served(zalo):
    """zns-api.md §5: the pre-2024 tags (IN_TRANSACTION, POST_TRANSACTION…) and the new
    groups (TRANSACTION, CUSTOMER_CARE, PROMOTION) are both in use."""
    tags = {
        zalo.get("/template/info/v2", template_id=tid)["data"]["templateTag"] for tid in EXPECTED
    }
    assert {"IN_TRANSACTION", "POST_TRANSACTION"} <= tags
    assert {"TRANSACTION", "CUSTOMER_CARE", "PROMOTION"} & tags == {"TRANSACTION", "PROMOTION"}


def test_paging_with_a_status_filter_and_the_total(zalo):
    first = zalo.get("/template/all", offset=0, limit=4, status="1")
    second = zalo.get("/template/all", offset=4, limit=4, status="1")
    assert first["metadata"] == second["metadata"] == {"total": 8}
    ids = [r["templateId"] for r in first["data"] + second["data"]]
    assert ids == ENABLED_IDS
    assert all(isinstance(r["templateId"], int) for r in first["data"])


@pytest.mark.parametrize("status", ["PENDING_REVIEW", "enable", " 1"])
def test_a_string_status_filter_is_132(zalo, status):
    assert zalo.get("/template/all", status=status)["error"] == -132


def test_preview_url_shows_the_template(zalo):
    url = zalo.get("/template/info/v2", template_id="100003")["data"]["previewUrl"]
    page = zalo.http.get(url, timeout=5)
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Đơn hàng DH240001 đang được giao" in page.text
    assert "Giao Hàng Nhanh" in page.text


@pytest.mark.parametrize("path", ["/template/info/v2", "/template/info", "/template/sample-data"])
@pytest.mark.parametrize("params", [{"template_id": "42"}, {}])
def test_unknown_template_is_109(zalo, path, params):
    assert zalo.get(path, **params) == {
        "error": -109,
        "message": "Invalid template id",
        "data": None,
    }


def test_sample_data(zalo):
    data = zalo.get("/template/sample-data", template_id="100002")["data"]
    assert list(data) == EXPECTED["100002"][3]
    assert all(isinstance(v, str) and len(v) <= MAX_LENGTHS[k] for k, v in data.items())
    # The samples are valid template_data for a send.
    assert zalo.send(template_id="100002", template_data=data)["error"] == 0


@pytest.mark.parametrize(
    "path",
    [
        "/template/all",
        "/template/info/v2",
        "/template/sample-data",
        "/message/quota",
        "/message/status",
    ],
)
def test_template_and_message_reads_need_a_token(zalo, path):
    assert zalo.get(path, token="bad", template_id="100001")["error"] == -124


def test_disabled_template_via_knob(zalo):
    response = zalo.knob("templates", {"template_id": "100001", "status": "DISABLE"})
    assert response.json()["status"] == "DISABLE"
    assert zalo.send()["error"] == -131
    assert zalo.get("/template/all", status="4")["metadata"]["total"] == 1
    assert zalo.knob("templates", {"template_id": "100001", "status": "nope"}).status_code == 400
    assert zalo.knob("templates", {"template_id": "1", "status": "ENABLE"}).status_code == 400
