"""zns_notify_oscar.W001: a status ORDER_STATUS_EVENTS maps that no Oscar order can take."""

from __future__ import annotations

from django.core import checks
from django.utils import translation

from zns_notify.contrib.oscar.checks import check_status_pipeline


def warnings(settings, events: dict) -> list:
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "ORDER_STATUS_EVENTS": events}
    return [p for p in checks.run_checks() if p.id.startswith("zns_notify")]


def test_the_page_s_settings_pass_every_check(settings):
    assert [p for p in checks.run_checks() if p.id.startswith("zns_notify")] == []


def test_an_unmapped_status_is_named_with_oscar_s_statuses(settings):
    [problem] = warnings(settings, {"Paid": "order_paid", "Shiped": "order_shipped"})
    assert problem.id == "zns_notify_oscar.W001" and problem.level == checks.WARNING
    assert problem.msg == (
        "ZNS_NOTIFY[\"ORDER_STATUS_EVENTS\"] maps the status 'Shiped' to 'order_shipped', "
        "but no Oscar order can take that status: the event never fires."
    )
    assert "'Pending', 'Paid', 'Cancelled', 'Shipped', 'Delivered'" in problem.hint


def test_each_unmapped_status_is_its_own_warning_and_case_counts(settings):
    problems = warnings(settings, {"paid": "order_paid", "Lost": "order_shipped"})
    assert ["'paid'" in problems[0].msg, "'Lost'" in problems[1].msg] == [True, True]


def test_the_first_status_and_the_pipeline_s_targets_count(settings):
    settings.OSCAR_INITIAL_ORDER_STATUS = "Mới"
    settings.OSCAR_ORDER_STATUS_PIPELINE = {"Mới": ("Đã giao",)}  # a target only
    assert warnings(settings, {"Mới": "order_created", "Đã giao": "order_delivered"}) == []


def test_without_a_pipeline_every_mapped_status_warns(settings):
    del settings.OSCAR_ORDER_STATUS_PIPELINE
    del settings.OSCAR_INITIAL_ORDER_STATUS
    [problem] = warnings(settings, {"Paid": "order_paid"})
    assert "OSCAR_INITIAL_ORDER_STATUS: none." in problem.hint


def test_the_warning_is_in_vietnamese_for_a_vietnamese_shop(settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "ORDER_STATUS_EVENTS": {"Lost": "order_paid"}}
    with translation.override("vi"):
        [problem] = check_status_pipeline()
    assert problem.msg.startswith("ZNS_NOTIFY[\"ORDER_STATUS_EVENTS\"] gán trạng thái 'Lost'")
    assert "OSCAR_ORDER_STATUS_PIPELINE" in problem.hint
