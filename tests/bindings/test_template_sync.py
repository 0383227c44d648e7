"""Template sync against a scripted Zalo: paging, every documented response variant,
templates that change or vanish (no network: the client is a stand-in)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from tests.factories import ZaloAccountFactory
from zns_notify.bindings.template_sync import PAGE_SIZE, status_number, sync_templates
from zns_notify.models import Template
from zns_notify.zalo.client import ZaloAPIError
from zns_notify.zalo.errors import ErrorAction
from zns_notify.zalo.templates import normalize_tag, parse_param, parse_template_info

pytestmark = pytest.mark.django_db

NUMBERS = {"ENABLE": 1, "PENDING_REVIEW": 2, "REJECT": 3, "DISABLE": 4, "DELETE": 5}


def param(name, max_length=30, **extra):
    return {
        "name": name,
        "require": True,
        "type": "STRING",
        "maxLength": max_length,
        "minLength": 0,
        "acceptNull": False,
        **extra,
    }


def detail(tid, status="ENABLE", **extra):
    return {
        "templateId": str(tid),
        "templateName": f"Mẫu {tid}",
        "status": status,
        "listParams": [param("customer_name"), param("order_code")],
        "listButtons": [{"type": 1, "title": "Xem đơn", "content": "https://x.vn"}],
        "timeout": 7200000,
        "previewUrl": f"https://account.zalo.cloud/znspreview/{tid}",
        "templateQuality": "HIGH",
        "templateTag": "TRANSACTION",
        "price": "300.0",
        **extra,
    }


class FakeZalo:
    """/template/all and /template/info/v2 as zns-api.md §5 describes them."""

    def __init__(self, details):
        self.details = {str(d["templateId"]): d for d in details}
        self.list_calls = []
        self.info_calls = []

    def list_templates(self, *, access_token, offset=0, limit=100, status=None):
        assert 1 <= limit <= 100
        assert status is None or status in NUMBERS.values()
        self.list_calls.append((offset, limit, status))
        rows = [
            d for d in self.details.values() if status is None or NUMBERS[d["status"]] == status
        ]
        page = [
            {
                "templateId": int(d["templateId"]),
                "templateName": d["templateName"],
                "createdTime": 0,
                "status": d["status"],
                "templateQuality": "UNDEFINED",
            }
            for d in rows[offset : offset + limit]
        ]
        return page, len(rows)

    def template_info(self, *, access_token, template_id):
        self.info_calls.append(template_id)
        if template_id not in self.details:
            raise ZaloAPIError(
                "Invalid template id", code=-109, action=ErrorAction.CONFIG, sent=False
            )
        return self.details[template_id]


@pytest.fixture(autouse=True)
def account():
    return ZaloAccountFactory()


def test_pages_through_the_whole_list_at_100_per_page():
    zalo = FakeZalo([detail(300000 + i) for i in range(230)])
    report = sync_templates(zalo)
    assert zalo.list_calls == [(0, PAGE_SIZE, None), (100, PAGE_SIZE, None), (200, PAGE_SIZE, None)]
    assert len(zalo.info_calls) == 230 and len(report.created) == 230
    assert Template.objects.count() == 230


def test_stores_params_buttons_tag_quality_price_preview_timeout_status_reason():
    zalo = FakeZalo(
        [
            detail(
                100001,
                reason="Template đã được duyệt",
                templateTag="IN_TRANSACTION",
                price="800.0",
                price_sdt="750.0",
                price_uid="500",
                timeout="7200000",
                listParams=[
                    param("customer_name", "30", require="true", acceptNull="false"),
                    param("note", 90, require=False, acceptNull=True, minLength="3"),
                ],
            )
        ]
    )
    sync_templates(zalo)
    t = Template.objects.get(template_id="100001")
    assert (t.name, t.status, t.quality) == ("Mẫu 100001", "ENABLE", "HIGH")
    assert t.reason == "Template đã được duyệt"
    assert (t.zalo_tag, t.tag) == ("IN_TRANSACTION", "TRANSACTION")
    assert (t.price, t.price_uid) == (Decimal("750"), Decimal("500"))  # price_sdt wins over price
    assert t.timeout_ms == 7200000
    assert t.preview_url == "https://account.zalo.cloud/znspreview/100001"
    assert t.buttons == [{"type": 1, "title": "Xem đơn", "content": "https://x.vn"}]
    assert t.params == [
        {
            "name": "customer_name",
            "require": True,
            "type": "STRING",
            "max_length": 30,
            "min_length": 0,
            "accept_null": False,
        },
        {
            "name": "note",
            "require": False,
            "type": "STRING",
            "max_length": 90,
            "min_length": 3,
            "accept_null": True,
        },
    ]


@pytest.mark.parametrize(
    ("raw", "group"),
    [
        ("OTP", "TRANSACTION"),
        ("IN_TRANSACTION", "TRANSACTION"),
        ("POST_TRANSACTION", "CUSTOMER_CARE"),
        ("ACCOUNT_UPDATE", "CUSTOMER_CARE"),
        ("GENERAL_UPDATE", "CUSTOMER_CARE"),
        ("FOLLOW_UP", "PROMOTION"),
        ("TRANSACTION", "TRANSACTION"),
        ("CUSTOMER_CARE", "CUSTOMER_CARE"),
        ("PROMOTION", "PROMOTION"),
        ("in_transaction", "TRANSACTION"),
        (1, "TRANSACTION"),
        ("3", "PROMOTION"),
    ],
)
def test_both_tag_vocabularies_map_to_a_group(raw, group):
    assert normalize_tag(raw) == group
    values = parse_template_info(detail(1, templateTag=raw))
    assert values["tag"] == group and values["zalo_tag"] == str(raw)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"templateId": 217489}, "217489"),
        ({"templateId": 217489.0}, "217489"),
        ({"templateId": " 7895417a7d3f9461cd2e "}, "7895417a7d3f9461cd2e"),
    ],
)
def test_template_id_as_int_float_or_string(data, expected):
    assert parse_template_info(data)["template_id"] == expected


@pytest.mark.parametrize(
    ("data", "price", "price_uid"),
    [
        ({"price": "800.0"}, Decimal("800"), None),
        ({"price": 800}, Decimal("800"), None),
        ({"price_sdt": "300", "price_uid": 200.5}, Decimal("300"), Decimal("200.5")),
        ({"price": "", "price_sdt": None}, None, None),
        ({"price": "n/a", "price_sdt": "NaN"}, None, None),
    ],
)
def test_price_variants(data, price, price_uid):
    values = parse_template_info(data)
    assert (values["price"], values["price_uid"]) == (price, price_uid)


def test_sparse_param_specs_take_zalo_defaults():
    assert parse_param({"name": " code "}) == {
        "name": "code",
        "require": True,
        "type": "STRING",
        "max_length": None,
        "min_length": 0,
        "accept_null": False,
    }


def test_a_sparse_detail_is_completed_from_the_list_row():
    zalo = FakeZalo([detail(100001)])
    zalo.details["100001"] = {"listParams": [param("customer_name")], "templateTag": "OTP"}
    zalo.list_templates = lambda **kw: (
        [
            {
                "templateId": 100001,
                "templateName": "Từ danh sách",
                "status": "ENABLE",
                "templateQuality": "LOW",
            }
        ],
        1,
    )
    sync_templates(zalo)
    t = Template.objects.get()
    assert (t.template_id, t.name) == ("100001", "Từ danh sách")
    assert (t.status, t.quality) == ("ENABLE", "LOW")


@pytest.mark.parametrize(
    ("status", "number"),
    [
        ("ENABLE", 1),
        ("pending_review", 2),
        ("3", 3),
        (4, 4),
        ("DELETE", 5),
        (None, None),
        ("", None),
    ],
)
def test_status_filter_is_zalos_number(status, number):
    assert status_number(status) == number


@pytest.mark.parametrize("status", ["ENABLED", "0", "6", "x"])
def test_unknown_status_filter_is_refused(status):
    with pytest.raises(ValueError, match="Unknown template status"):
        status_number(status)
    with pytest.raises(CommandError, match="Unknown template status"):
        call_command("zns_sync_templates", "--status", status)


def test_status_filter_fetches_only_that_status_and_marks_nothing_missing():
    sync_templates(FakeZalo([detail(1), detail(2, status="PENDING_REVIEW")]))
    zalo = FakeZalo([detail(1), detail(2, status="PENDING_REVIEW")])
    report = sync_templates(zalo, status="PENDING_REVIEW")
    assert zalo.list_calls == [(0, PAGE_SIZE, 2)] and zalo.info_calls == ["2"]
    assert report.unchanged == ["2"] and report.vanished == []
    assert not Template.objects.filter(missing_since__isnull=False).exists()


def test_a_template_zalo_no_longer_lists_is_marked_missing_and_comes_back():
    sync_templates(FakeZalo([detail(1), detail(2, status="DISABLE")]))
    report = sync_templates(FakeZalo([detail(1)]))
    assert report.vanished == ["2"]
    gone = Template.objects.get(template_id="2")
    assert gone.missing_since is not None and gone.status == Template.Status.DELETE
    assert "No longer listed by Zalo" in gone.sync_note and "DISABLE" in gone.sync_note
    since = gone.missing_since
    sync_templates(FakeZalo([detail(1)]))
    assert Template.objects.get(template_id="2").missing_since == since  # the first time is kept

    report = sync_templates(FakeZalo([detail(1), detail(2)]))
    back = Template.objects.get(template_id="2")
    assert report.updated == ["2"]
    assert back.missing_since is None and back.status == "ENABLE"
    assert back.sync_note == "Listed by Zalo again."


def test_changed_params_are_dated_and_described():
    sync_templates(FakeZalo([detail(1)]))
    changed = detail(1, listParams=[param("customer_name", 20), param("voucher_code")])
    report = sync_templates(FakeZalo([changed]))
    assert report.params_changed == ["1"] and "parameters changed: 1" in str(report)
    t = Template.objects.get()
    assert t.params_changed_at is not None
    assert t.sync_note == (
        "Parameters changed on Zalo: added voucher_code; removed order_code; changed customer_name."
    )
    stamp = t.params_changed_at
    assert sync_templates(FakeZalo([changed])).unchanged == ["1"]
    assert Template.objects.get().params_changed_at == stamp


def test_a_failing_detail_changes_nothing():
    sync_templates(FakeZalo([detail(1)]))
    zalo = FakeZalo([detail(1, templateName="Mới"), detail(2)])
    del zalo.details["2"]
    zalo.list_templates = lambda **kw: ([{"templateId": 1}, {"templateId": 2}], 2)
    with pytest.raises(ZaloAPIError):
        sync_templates(zalo)
    assert list(Template.objects.values_list("template_id", "name")) == [("1", "Mẫu 1")]


@pytest.mark.parametrize(
    ("raw", "status"), [("Enabled", "ENABLE"), ("pending review", "PENDING_REVIEW"), (3, "REJECT")]
)
def test_zalos_status_spellings_are_stored_as_the_enum(raw, status):
    zalo = FakeZalo([detail(100001)])
    zalo.details["100001"]["status"] = raw
    sync_templates(zalo)
    assert Template.objects.get().status == status


def test_an_unknown_status_is_stored_as_unknown_with_zalos_word_in_the_note(caplog):
    zalo = FakeZalo([detail(100001)])
    zalo.details["100001"]["status"] = "SUSPENDED_BY_ZALO"
    sync_templates(zalo)
    template = Template.objects.get()
    assert template.status == "UNKNOWN" and "SUSPENDED_BY_ZALO" in template.sync_note
    assert "SUSPENDED_BY_ZALO" in caplog.text
