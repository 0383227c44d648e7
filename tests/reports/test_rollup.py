"""The reports' daily aggregates: what one day's recompute writes, which days the scheduled
refresh recomputes, the lease that lets one run at a time work, and the rebuild command."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.factories import MessageFactory, TemplateFactory, ZaloAccountFactory
from zns_notify.models import (
    DailyCount,
    DailyFailure,
    DailyLatency,
    Message,
    ReportDay,
    ReportRefresh,
)
from zns_notify.reports import rollup

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=VN)
TODAY = NOW.date()


def at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=VN)


def message(
    created: dt.datetime,
    status: str = "delivered",
    *,
    template=None,
    event="order_created",
    latency: float = 12,
    **extra,
) -> Message:
    accepted = status in ("sent", "delivered", "undelivered")
    sent = created + dt.timedelta(seconds=2) if accepted else None
    delivered = sent + dt.timedelta(seconds=latency) if status == "delivered" else None
    kwargs = dict(
        created_at=created, status=status, event=event, sent_at=sent, delivered_at=delivered
    )
    if template is not None:
        kwargs["template"] = template
    return MessageFactory(**kwargs, **extra)


def counts(day: dt.date) -> dict[tuple[str, str, str], int]:
    return {
        (r.template_id, r.event, r.status): r.messages for r in DailyCount.objects.filter(day=day)
    }


def test_a_day_is_counted_by_template_event_and_status_with_its_cost():
    account = ZaloAccountFactory()
    card = TemplateFactory(template_id="300001", price=Decimal("300"))
    free = TemplateFactory(template_id="300002", price=None)
    day = TODAY - dt.timedelta(days=1)
    for _ in range(3):
        message(at(day), template=card)
    message(at(day), "failed", template=card, error_category="recipient", error_code=-118)
    message(at(day), "undelivered", template=free, event="order_paid", error_category="")
    message(at(day), "sent", template=free, event="order_paid")
    # Local day boundaries: 23:59 belongs to the day, 00:00 of the next day does not.
    message(at(day, 23, 59), template=card)
    message(at(TODAY, 0, 0), template=card)
    message(at(day, 0, 0) - dt.timedelta(seconds=1), template=card)

    report = rollup.compute_day(day, NOW)

    assert counts(day) == {
        ("300001", "order_created", "delivered"): 4,
        ("300001", "order_created", "failed"): 1,
        ("300002", "order_paid", "undelivered"): 1,
        ("300002", "order_paid", "sent"): 1,
    }
    delivered = DailyCount.objects.get(day=day, status="delivered")
    assert (delivered.unit_price, delivered.cost) == (Decimal("300"), Decimal("1200"))
    assert delivered.account_id == account.pk and delivered.channel == "zns"
    # Zalo bills delivered messages only: nothing else carries a cost.
    assert sum(r.cost for r in DailyCount.objects.filter(day=day)) == Decimal("1200")
    assert {
        (f.template_id, f.status, f.category, f.error_code, f.messages)
        for f in DailyFailure.objects.filter(day=day)
    } == {("300001", "failed", "recipient", -118, 1), ("300002", "undelivered", "", None, 1)}
    assert (report.open_messages, report.computed_at) == (1, NOW)


def test_development_mode_messages_are_counted_but_not_billed():
    """zns-api.md §8: Zalo does not charge a message sent in development mode (a binding
    editor's "Send test"). It is counted with the day's messages, and apart as a test, but
    costs nothing, whatever the template's price."""
    card = TemplateFactory(template_id="300001", price=Decimal("300"))
    for _ in range(2):
        message(at(TODAY), template=card)
    message(at(TODAY), template=card, development_mode=True)
    message(at(TODAY), "failed", template=card, development_mode=True)

    rollup.compute_day(TODAY, NOW)

    delivered = DailyCount.objects.get(day=TODAY, status="delivered")
    assert (delivered.messages, delivered.test_messages) == (3, 1)
    assert (delivered.unit_price, delivered.cost) == (Decimal("300"), Decimal("600"))
    assert DailyCount.objects.get(day=TODAY, status="failed").test_messages == 1


def test_latency_lands_in_fixed_buckets():
    day = TODAY
    for seconds in (1, 4.9, 5, 20, 90, 4000, 100_000):
        message(at(day), latency=seconds)
    # Delivered by a receipt without a recorded send: measured from its creation.
    MessageFactory(
        created_at=at(day),
        status="delivered",
        sent_at=None,
        delivered_at=at(day) + dt.timedelta(seconds=7),
    )
    rollup.compute_day(day, NOW)
    buckets: dict[int, int] = {}
    for row in DailyLatency.objects.filter(day=day):  # each factory message has its template
        buckets[row.bucket] = buckets.get(row.bucket, 0) + row.messages
    # Bounds 5, 10, 30, 60, 120, ... 3600, 7200 ...; 100,000 s is past the last (86,400).
    assert buckets == {0: 2, 1: 2, 2: 1, 4: 1, 9: 1, 12: 1}


def test_a_recompute_replaces_the_day_and_keeps_the_price_it_was_billed_at():
    card = TemplateFactory(template_id="300001", price=Decimal("300"))
    sent = message(at(TODAY), "sent", template=card)
    rollup.compute_day(TODAY, NOW)
    message(at(TODAY), template=card)
    rollup.compute_day(TODAY, NOW)
    card.price = Decimal("500")
    card.save()
    Message.objects.filter(pk=sent.pk).update(status="delivered", delivered_at=NOW)
    report = rollup.compute_day(TODAY, NOW)
    assert counts(TODAY) == {("300001", "order_created", "delivered"): 2}
    assert DailyCount.objects.get(day=TODAY).cost == Decimal("600")
    assert report.open_messages == 0


def test_the_refresh_recomputes_today_open_days_and_days_since_the_last_run():
    old = TODAY - dt.timedelta(days=3)
    ancient = TODAY - dt.timedelta(days=30)
    message(at(old), "sent")
    message(at(ancient), "queued")
    message(at(TODAY - dt.timedelta(days=2)))
    # First run: every day of the window, then only what may have changed.
    assert rollup.refresh_reports(NOW) == 8
    assert {key[2] for key in counts(old)} == {"sent"}
    assert not ReportDay.objects.filter(day=ancient).exists()  # outside the window
    later = NOW + dt.timedelta(minutes=5)
    assert rollup.days_to_refresh(later, rollup.last_refreshed()) == [old, TODAY]

    Message.objects.filter(status="sent").update(status="delivered", delivered_at=later)
    # The day found open last time is recomputed once more, and then left alone.
    assert rollup.days_to_refresh(later, rollup.last_refreshed()) == [old, TODAY]
    rollup.refresh_reports(later)
    assert {k[2] for k in counts(old)} == {"delivered"}
    assert rollup.days_to_refresh(later, rollup.last_refreshed()) == [TODAY]


def test_a_missed_midnight_recomputes_yesterday_too():
    rollup.refresh_reports(at(TODAY, 23, 58))
    message(at(TODAY, 23, 59))
    tomorrow = TODAY + dt.timedelta(days=1)
    assert rollup.days_to_refresh(at(tomorrow, 0, 3), rollup.last_refreshed()) == [TODAY, tomorrow]


def test_a_refresh_after_an_outage_longer_than_the_window_recomputes_every_day_since():
    """The worker stopped for 10 days (REPORTS_REFRESH_DAYS is 7): the days written in
    between are computed when it comes back, not left without figures for good."""
    rollup.refresh_reports(NOW - dt.timedelta(days=10))
    missed = TODAY - dt.timedelta(days=9)
    message(at(missed))
    days = rollup.days_to_refresh(NOW, rollup.last_refreshed())
    assert days == [TODAY - dt.timedelta(days=n) for n in range(10, -1, -1)]
    rollup.refresh_reports(NOW)
    assert sum(counts(missed).values()) == 1


def test_open_days_come_from_the_log_even_without_a_previous_computation():
    message(at(TODAY - dt.timedelta(days=5)), "sent")
    message(at(TODAY - dt.timedelta(days=4)), "queued")
    message(at(TODAY - dt.timedelta(days=2)), "sending")
    message(at(TODAY - dt.timedelta(days=1)), "delivered")
    assert rollup.open_days_in_log(TODAY - dt.timedelta(days=7)) == {
        TODAY - dt.timedelta(days=n) for n in (5, 4, 2)
    }


def test_only_one_run_works_at_a_time():
    owner = rollup._take_lease(timezone.now())
    assert rollup.refresh_reports() == 0  # skipped, nothing computed
    assert not ReportDay.objects.exists()
    with pytest.raises(CommandError, match="already running"):
        call_command("zns_rebuild_reports")
    rollup._end_lease(owner, None)
    assert rollup.refresh_reports() > 0


def test_a_dead_run_s_lease_expires():
    ReportRefresh.objects.create(
        pk=1, running_since=timezone.now() - rollup.LEASE * 2, run_owner="dead"
    )
    assert rollup.refresh_reports() > 0
    assert ReportRefresh.objects.get().running_since is None


def test_a_failing_run_releases_the_lease_without_marking_a_refresh(monkeypatch):
    def broken(day, now=None):
        raise RuntimeError("disk full")

    monkeypatch.setattr(rollup, "compute_day", broken)
    with pytest.raises(RuntimeError):
        rollup.refresh_reports()
    state = ReportRefresh.objects.get()
    assert (state.running_since, state.refreshed_at) == (None, None)


# The command reads the clock itself (timezone.now()): moved to NOW, so "today" is TODAY.
@pytest.mark.time_machine(NOW, tick=False)
def test_the_rebuild_command_recomputes_every_day(capsys):
    message(at(TODAY - dt.timedelta(days=40)))
    message(at(TODAY))
    call_command("zns_rebuild_reports")
    assert ReportDay.objects.count() == 41
    assert "41 day" in capsys.readouterr().out
    call_command("zns_rebuild_reports", "--since", str(TODAY - dt.timedelta(days=2)))
    assert ReportDay.objects.count() == 41


@pytest.mark.parametrize("since", ["22/11/2026", "2026-13-01", "tomorrow"])
def test_the_rebuild_command_refuses_a_bad_date(since):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("zns_rebuild_reports", "--since", since)


def test_the_schedule_is_created(settings):
    from django_q.models import Schedule

    from zns_notify.tasks import ensure_schedules

    ensure_schedules()
    schedule = Schedule.objects.get(name="zns_notify.refresh_reports")
    assert (schedule.func, schedule.minutes) == ("zns_notify.tasks.refresh_reports", 5)


def test_the_refresh_window_is_a_setting(settings):
    from zns_notify.conf import app_settings

    assert (app_settings.REPORTS_REFRESH_DAYS, app_settings.REPORTS_MAX_DAYS) == (7, 366)
    message(at(TODAY - dt.timedelta(days=3)), "sent")
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "REPORTS_REFRESH_DAYS": 2}
    assert rollup.days_to_refresh(NOW, None) == [TODAY - dt.timedelta(days=n) for n in (2, 1, 0)]
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "REPORTS_REFRESH_DAYS": 0}
    assert app_settings.REPORTS_REFRESH_DAYS == 1  # today and yesterday at least


@pytest.mark.django_db(transaction=True)
def test_the_order_s_event_writes_nothing_for_the_reports():
    """The rollup reads the log later: an order event's hot path stays as it was."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from tests.factories import BindingFactory, OrderFactory
    from zns_notify.events.notify import notify

    BindingFactory(event="order_paid")
    order = OrderFactory()
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        notify("order_paid", order)
    tables = ("zns_notify_daily", "zns_notify_reportday", "zns_notify_reportrefresh")
    assert not [q["sql"] for q in queries if any(table in q["sql"] for table in tables)]
    assert Message.objects.filter(event="order_paid").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_computations_of_one_day_at_once_do_not_double_it(monkeypatch):
    """A run that outlives its lease (LEASE) overlaps the next one, and both recompute
    today: one waits for the other, and the day is counted once, not twice."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time")
    for _ in range(3):
        message(at(TODAY))
    rollup.compute_day(TODAY, NOW)  # the day's report exists: nothing else to wait on
    both_in = threading.Barrier(2)
    kept_keys = rollup._kept_keys

    def meet_then_read(*args):
        try:  # both transactions between their start and their delete, if they can be
            both_in.wait(timeout=2)
        except threading.BrokenBarrierError:
            pass
        return kept_keys(*args)

    monkeypatch.setattr(rollup, "_kept_keys", meet_then_read)
    errors = []

    def compute() -> None:
        try:
            rollup.compute_day(TODAY, NOW)
        except Exception as exc:  # noqa: BLE001 reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=compute) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert not errors
    for model in (DailyCount, DailyLatency):
        assert sum(model.objects.filter(day=TODAY).values_list("messages", flat=True)) == 3
