"""One-time codes in the reports' aggregates (zns_notify.reports.codes): a day's codes per
purpose (requested, delivered by Zalo, sent by SMS, verified, the SMS's cost, the ZNS cost
of their messages, the time to the wire), the day kept open while a code is pending, the
past kept when old requests are deleted, and the order-message figures kept apart."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import MessageFactory, TemplateFactory
from tests.reports.test_rollup import NOW, TODAY, at
from zns_notify.models import DailyOtp, FallbackStep, Message, OtpChallenge, otp_event
from zns_notify.reports import codes, rollup
from zns_notify.reports.codes import WIRE_BUCKETS, Codes, codes_report
from zns_notify.reports.figures import build_report

pytestmark = pytest.mark.django_db
YESTERDAY = TODAY - dt.timedelta(days=1)
_phones = iter(range(10**8))


@pytest.fixture
def otp_template():
    return TemplateFactory(
        template_id="500001",
        price=Decimal("300"),
        params=[{"name": "otp", "type": "OTP", "require": True}],
    )


def code(
    requested: dt.datetime,
    template,
    *,
    purpose: str = "login",
    status: str = "verified",
    message_status: str | None = "delivered",
    wire: float | None = 0.4,
    sms: str | None = None,
    sms_cost: str = "800",
    development_mode: bool = False,
) -> OtpChallenge:
    """A request and, unless ``message_status`` is None, its message: Zalo accepted it
    ``wire`` seconds after the request (None: never), and ``sms`` is its SMS step's status."""
    message = None
    if message_status is not None:
        sent = requested + dt.timedelta(seconds=wire) if wire is not None else None
        message = MessageFactory(
            template=template,
            event=otp_event(purpose),
            created_at=requested,
            status=message_status,
            sent_at=sent,
            delivered_at=sent + dt.timedelta(seconds=2) if message_status == "delivered" else None,
            params={"otp": ""},
            development_mode=development_mode,
        )
        if sms is not None:
            FallbackStep.objects.create(
                message=message,
                reference=f"{message.idempotency_key}-sms",
                status=sms,
                reason=FallbackStep.Reason.IMMEDIATE,
                due_at=requested,
                sent_at=requested if sms == "sent" else None,
                segments=1 if sms == "sent" else 0,
                cost=Decimal(sms_cost) if sms == "sent" else None,
            )
    return OtpChallenge.objects.create(
        phone=f"849{next(_phones):08d}",
        purpose=purpose,
        code_hash="0" * 64,
        status=status,
        channel="sms" if sms == "sent" else "zns",
        message=message,
        created_at=requested,
        expires_at=requested + dt.timedelta(minutes=5),
    )


def figures(day: dt.date) -> dict[str, tuple]:
    return {
        row.purpose: (
            row.requested,
            row.zns_delivered,
            row.sms_sent,
            row.verified,
            row.sms_segments,
            row.sms_cost,
            row.zns_cost,
        )
        for row in DailyOtp.objects.filter(day=day)
    }


def test_a_day_s_codes_are_counted_per_purpose(otp_template):
    code(at(YESTERDAY, 8), otp_template)
    code(at(YESTERDAY, 9), otp_template, status="expired")
    # Not on Zalo: failed at once, the SMS carried it, the customer typed it.
    code(at(YESTERDAY, 10), otp_template, message_status="failed", wire=None, sms="sent")
    # Zalo accepted it, no receipt, SMS sent after the window, never used.
    code(
        at(YESTERDAY, 11),
        otp_template,
        status="expired",
        message_status="undelivered",
        sms="sent",
        sms_cost="850",
    )
    # An SMS that was cancelled (the receipt came in time) or failed is not "sent by SMS".
    code(at(YESTERDAY, 12), otp_template, sms="cancelled")
    code(
        at(YESTERDAY, 13),
        otp_template,
        message_status="failed",
        wire=None,
        sms="failed",
        status="expired",
    )
    code(at(YESTERDAY, 14), otp_template, purpose="sign_up", status="superseded")
    # Local day bounds: 23:59 is the day's, midnight the next day's.
    code(at(YESTERDAY, 23, 59), otp_template, purpose="sign_up")
    code(at(TODAY, 0, 0), otp_template, purpose="sign_up")

    rollup.compute_day(YESTERDAY, NOW)

    assert figures(YESTERDAY) == {
        # requested, by Zalo, by SMS, verified, segments, SMS cost, ZNS cost (delivered x 300)
        "login": (6, 3, 2, 3, 2, Decimal("1650"), Decimal("900")),
        "sign_up": (2, 2, 0, 1, 0, Decimal("0"), Decimal("600")),
    }


def test_the_time_to_the_wire_is_kept_in_buckets_of_codes_zalo_accepted(otp_template):
    for wire in (0.1, 0.3, 0.3, 0.9, 2.5, 400):
        code(at(YESTERDAY), otp_template, wire=wire)
    code(at(YESTERDAY), otp_template, message_status="failed", wire=None, sms="sent")
    code(at(YESTERDAY), otp_template, message_status=None)  # refused before any message

    rollup.compute_day(YESTERDAY, NOW)

    row = DailyOtp.objects.get(day=YESTERDAY)
    expected = [0] * (len(WIRE_BUCKETS) + 1)
    for index in (0, 1, 1, 3, 6, len(WIRE_BUCKETS)):  # < 0.25, < 0.5, < 1, < 3, open
        expected[index] += 1
    assert row.wire_buckets == expected
    assert row.requested == 8


def test_test_codes_in_development_mode_are_counted_but_not_charged(otp_template):
    code(at(YESTERDAY), otp_template, development_mode=True)
    code(at(YESTERDAY), otp_template)
    rollup.compute_day(YESTERDAY, NOW)
    assert figures(YESTERDAY)["login"][:2] == (2, 2)
    assert figures(YESTERDAY)["login"][-1] == Decimal("300")


def test_a_pending_code_keeps_its_day_open_until_it_is_settled(otp_template):
    pending = code(at(YESTERDAY, 23, 58), otp_template, status="pending")
    assert rollup.compute_day(YESTERDAY, NOW).open_messages == 1
    # Verified after midnight: the next refresh recomputes the day, which then closes.
    OtpChallenge.objects.filter(pk=pending.pk).update(status="verified")
    assert YESTERDAY in rollup.days_to_refresh(NOW, last=at(TODAY, 0, 5))
    assert rollup.compute_day(YESTERDAY, NOW).open_messages == 0
    assert figures(YESTERDAY)["login"][3] == 1


def test_deleting_old_requests_does_not_change_past_reports(otp_template):
    for hour in (8, 9, 10):
        code(at(YESTERDAY, hour), otp_template, purpose="login")
    code(at(YESTERDAY, 11), otp_template, purpose="sign_up", message_status="failed", sms="sent")
    rollup.compute_day(YESTERDAY, NOW)
    before = figures(YESTERDAY)
    buckets = dict(DailyOtp.objects.values_list("purpose", "wire_buckets"))

    # A clean-up deletes the morning's requests of the day (its cut-off fell at 10:30),
    # then an administrator rebuilds the reports.
    OtpChallenge.objects.filter(created_at__lt=at(YESTERDAY, 10, 30)).delete()
    rollup.rebuild_reports(since=YESTERDAY, now=NOW)
    assert figures(YESTERDAY) == before
    # Every request of the day deleted: still the same.
    OtpChallenge.objects.all().delete()
    rollup.rebuild_reports(since=YESTERDAY, now=NOW)
    assert figures(YESTERDAY) == before
    assert dict(DailyOtp.objects.values_list("purpose", "wire_buckets")) == buckets


def test_a_recompute_with_as_many_requests_replaces_the_day_s_figures(otp_template):
    first = code(at(YESTERDAY, 8), otp_template, status="pending")
    rollup.compute_day(YESTERDAY, NOW)
    OtpChallenge.objects.filter(pk=first.pk).update(status="verified")
    code(at(YESTERDAY, 9), otp_template, purpose="sign_up")
    rollup.compute_day(YESTERDAY, NOW)
    assert figures(YESTERDAY)["login"][3] == 1
    assert set(figures(YESTERDAY)) == {"login", "sign_up"}


def test_the_order_messages_figures_leave_the_codes_out(otp_template):
    order_card = TemplateFactory(template_id="300001", price=Decimal("200"))
    MessageFactory(
        template=order_card,
        created_at=at(YESTERDAY),
        status="delivered",
        sent_at=at(YESTERDAY),
        delivered_at=at(YESTERDAY, 9, 1),
    )
    code(at(YESTERDAY), otp_template)
    code(
        at(YESTERDAY),
        otp_template,
        status="expired",
        message_status="failed",
        wire=None,
        sms="sent",
    )
    rollup.compute_day(YESTERDAY, NOW)

    report = build_report(YESTERDAY, YESTERDAY)

    assert report.totals.total == 1 and report.totals.cost == Decimal("200")
    assert report.totals.sms.sent == 0 and not report.failures
    assert [t["template_id"] for t in report.templates] == ["300001"]
    assert sum(report.latency) == 1
    # The codes are in their own figures, with their costs.
    totals = report.codes.totals
    assert (totals.requested, totals.zns_delivered, totals.sms_sent, totals.verified) == (
        2,
        1,
        1,
        1,
    )
    assert (totals.zns_cost, totals.sms_cost, totals.total_cost) == (
        Decimal("300"),
        Decimal("800"),
        Decimal("1100"),
    )


def test_a_period_sums_its_days_by_purpose_in_one_query(otp_template):
    before = YESTERDAY - dt.timedelta(days=1)
    for day in (before, YESTERDAY):
        code(at(day), otp_template, wire=0.3)
        code(at(day), otp_template, purpose="sign_up", status="expired", wire=0.8, sms="sent")
        code(at(day), otp_template, purpose="sign_up", wire=1.2)
        rollup.compute_day(day, NOW)

    with CaptureQueriesContext(connection) as queries:
        report = codes_report(before, YESTERDAY)

    assert len(queries) == 1
    assert [purpose for purpose, _codes in report.purposes] == ["sign_up", "login"]
    sign_up = dict(report.purposes)["sign_up"]
    assert (sign_up.requested, sign_up.verified, sign_up.sms_sent) == (4, 2, 2)
    assert (sign_up.conversion, sign_up.sms_share) == (0.5, 0.5)
    assert [(day, purpose) for day, purpose, _codes in report.days] == [
        (before, "login"),
        (before, "sign_up"),
        (YESTERDAY, "login"),
        (YESTERDAY, "sign_up"),
    ]
    assert report.totals.requested == 6 and report.totals.on_wire == 6
    assert report.totals.conversion == pytest.approx(4 / 6)


def test_percentiles_of_the_time_to_the_wire_are_read_from_the_buckets():
    empty = Codes()
    assert (empty.wire_p50, empty.wire_p95, empty.conversion, empty.sms_share) == (None,) * 4
    # 20 codes: 10 under 0.25 s, 9 in [0.5, 0.75), 1 in [2, 3).
    buckets = [10, 0, 9, 0, 0, 0, 1] + [0] * (len(WIRE_BUCKETS) - 6)
    figures_ = Codes(wire_buckets=buckets)
    assert figures_.wire_p50 == pytest.approx(0.25)  # the 10th code ends the first bucket
    assert figures_.wire_p95 == pytest.approx(0.5 + 0.25 * 9 / 9)  # the 19th of 20
    slow = Codes(wire_buckets=[0] * len(WIRE_BUCKETS) + [4])
    assert slow.wire_p95 == WIRE_BUCKETS[-1]  # the open bucket answers its lower bound


def test_a_day_without_codes_writes_no_code_row(otp_template):
    MessageFactory(created_at=at(YESTERDAY), status="delivered")
    rollup.compute_day(YESTERDAY, NOW)
    assert not DailyOtp.objects.exists()
    assert codes_report(YESTERDAY, YESTERDAY).totals == Codes()


def test_a_code_s_message_created_after_midnight_keeps_its_zns_cost(otp_template):
    challenge = code(at(YESTERDAY, 23, 59), otp_template)
    Message.objects.filter(pk=challenge.message_id).update(created_at=at(TODAY, 0, 0))
    rollup.compute_day(YESTERDAY, NOW)
    rollup.compute_day(TODAY, NOW)
    assert figures(YESTERDAY)["login"][0] == 1
    assert figures(TODAY)["login"][0] == 0 and figures(TODAY)["login"][-1] == Decimal("300")
    assert codes_report(YESTERDAY, TODAY).totals.zns_cost == Decimal("300")


def test_the_day_s_rows_are_written_under_the_day_s_lock(otp_template, monkeypatch):
    """The codes' rows are replaced in the same transaction as the day's other rows: a
    failure there leaves the day's figures as they were."""
    code(at(YESTERDAY), otp_template)
    rollup.compute_day(YESTERDAY, NOW)
    before = figures(YESTERDAY)
    code(at(YESTERDAY, 10), otp_template)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(codes.DailyOtp.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        rollup.compute_day(YESTERDAY, NOW)
    assert figures(YESTERDAY) == before
