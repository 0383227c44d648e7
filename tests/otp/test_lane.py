"""The priority lane (zns_notify.otp.lane): the request's own process sends the code as
soon as the request commits, with its SMS at once when Zalo cannot deliver it; the
brokers' poll hands out code work ahead of a backlog of order messages; the shop's rules
for notices do not hold a code back, Zalo's limits do."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone
from django_q.signing import SignedPackage

from tests.factories import MessageFactory, TemplateFactory
from tests.otp.conftest import NORMALIZED, PHONE
from zns_notify.events.outbox_sql import TASK_SEND, task_package
from zns_notify.models import (
    FallbackStep,
    Message,
    OtpChallenge,
    RecipientOptOut,
    SendingHold,
)
from zns_notify.otp import request_code, verify_code
from zns_notify.otp.lane import Lane
from zns_notify.sms.providers import locmem
from zns_notify.tasks import send_fallbacks

pytestmark = pytest.mark.django_db(transaction=True)

CODE = {"name": "otp", "type": "OTP", "require": True, "max_length": 10}


@pytest.fixture
def template():
    return TemplateFactory(template_id="500", params=[CODE], tag="TRANSACTION")


@pytest.fixture
def sms(settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "SMS_PROVIDER": "locmem"}
    locmem.reset()
    yield locmem.outbox
    locmem.reset()


def configure(settings, **values):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, **values}


def the_message() -> Message:
    return Message.objects.get(event__startswith="otp:")


def test_the_code_is_on_the_wire_when_the_request_returns(account, zalo_api, template):
    zalo_api.send_ok(msg_id="m-otp")
    request_code(PHONE, "login")
    # No worker ran: the request's process sent it after its commit.
    message = the_message()
    assert (message.status, message.msg_id) == (Message.Status.SENT, "m-otp")
    sent = zalo_api.last_json()
    assert sent["phone"] == NORMALIZED and sent["tracking_id"] == message.idempotency_key
    assert verify_code(PHONE, "login", sent["template_data"]["otp"]).phone == NORMALIZED


def test_a_request_rolled_back_sends_nothing(account, zalo_api, template):
    with pytest.raises(RuntimeError), transaction.atomic():
        request_code(PHONE, "login")
        raise RuntimeError("the shop's view failed after asking for the code")
    assert zalo_api.calls_to("/message/template") == []
    assert not Message.objects.exists()


def test_a_phone_not_on_zalo_gets_the_sms_from_the_lane_not_the_request(
    account, zalo_api, template, sms
):
    zalo_api.send_error(-118, "user not on Zalo")
    request_code(PHONE, "login")
    message = the_message()
    # The request's answer took as long as for a phone on Zalo: no SMS went out from it.
    assert sms == []
    step = FallbackStep.objects.get(message=message)
    assert (step.reason, step.status, step.due_at <= timezone.now()) == (
        FallbackStep.Reason.IMMEDIATE,
        FallbackStep.Status.SCHEDULED,
        True,
    )
    # The brokers' poll hands it out first; the worker sends the same code.
    [(func, references)] = handed_out(Lane().priority_tasks("default"))
    assert (func, references) == ("zns_notify.tasks.send_fallbacks", [step.reference])
    send_fallbacks(references)
    code = message.params["otp"]
    assert [text.text for text in sms] == [f"Ma xac thuc {code} cho Log-in. Het han sau 5 phut."]
    assert OtpChallenge.objects.get().channel == OtpChallenge.Channel.SMS


def test_zalo_failing_leaves_the_code_to_the_queue_and_the_answer_unchanged(
    account, zalo_api, template
):
    zalo_api.send_error(-32, "Zalo is busy")  # retryable: the worker tries again later
    answer = request_code(PHONE, "login")
    assert answer.expires_at > timezone.now()
    message = the_message()
    assert message.status == Message.Status.QUEUED and message.next_attempt_at is not None


def test_with_sending_from_the_request_off_the_workers_send_it(
    account, zalo_api, template, settings
):
    configure(settings, OTP_SEND_FROM_REQUEST=False)
    request_code(PHONE, "login")
    assert zalo_api.calls_to("/message/template") == []
    assert the_message().status == Message.Status.QUEUED


def test_the_shops_rules_for_notices_do_not_hold_a_code_back(account, zalo_api, template, settings):
    configure(
        settings,
        RECIPIENT_DAILY_CAP={"TRANSACTION": 1},
        QUIET_HOURS={"TRANSACTION": ("00:00", "23:59")},
        OPT_OUT_TAGS=["TRANSACTION"],
        QUOTA_RESERVES={"TRANSACTION": 0},
        OTP_RESEND_COOLDOWN=0,
    )
    RecipientOptOut.objects.create(phone=NORMALIZED, reason="test")
    for msg_id in ("m-1", "m-2"):
        zalo_api.send_ok(msg_id=msg_id)
        request_code(PHONE, "login")
    sent = Message.objects.filter(event="otp:login").values_list("status", flat=True)
    assert list(sent) == [Message.Status.SENT, Message.Status.SENT]


def test_zalos_own_limits_still_hold_and_the_sms_goes_at_once(account, zalo_api, template, sms):
    SendingHold.objects.create(
        account=account,
        until=timezone.now() + dt.timedelta(minutes=30),
        reason="Zalo said -1441",
        error_code=-1441,
    )
    request_code(PHONE, "login")
    message = the_message()
    assert zalo_api.calls_to("/message/template") == []  # held: nothing went to Zalo
    assert message.status != Message.Status.SENT
    step = FallbackStep.objects.get(message=message)
    assert step.due_at <= timezone.now()
    send_fallbacks([step.reference])
    assert len(sms) == 1 and message.params["otp"] in sms[0].text


# -- the brokers' poll ---------------------------------------------------------------------


def handed_out(tasks) -> list[tuple[str, list[str]]]:
    found = []
    for _ack, package in tasks or []:
        task = SignedPackage.loads(package)
        found.append((task["func"], list(task["args"][0])))
    return found


def test_the_poll_hands_out_a_code_due_again_ahead_of_the_backlog(
    account, template, settings, outbox_broker
):
    configure(settings, OTP_SEND_FROM_REQUEST=False)
    backlog = MessageFactory.create_batch(30)  # order messages queued before the code
    request_code(PHONE, "login")
    code_key = the_message().idempotency_key
    first = handed_out(outbox_broker.dequeue())
    assert first == [("zns_notify.tasks.send_messages", [code_key])]
    # The backlog comes next, oldest first, and the code is not handed out twice.
    outbox_broker._next_lane_look = 0.0
    rest = handed_out(outbox_broker.dequeue())
    keys = [key for _func, args in rest for key in args]
    assert code_key not in keys
    assert keys[:3] == [m.idempotency_key for m in backlog[:3]]


def test_the_poll_hands_out_a_due_code_sms_once(account, template, settings, sms, zalo_api):
    configure(settings, OTP_SEND_FROM_REQUEST=False)
    request_code(PHONE, "login")
    message = the_message()
    step = FallbackStep.objects.create(
        message=message,
        reference=f"zns-sms-{message.pk}",
        reason=FallbackStep.Reason.WINDOW,
        trigger="window",
        due_at=timezone.now() - dt.timedelta(seconds=1),
    )
    lane = Lane()
    first = handed_out(lane.priority_tasks("default"))
    assert ("zns_notify.tasks.send_fallbacks", [step.reference]) in first
    again = handed_out(lane.priority_tasks("default"))
    assert ("zns_notify.tasks.send_fallbacks", [step.reference]) not in again


def test_the_poll_leaves_a_dead_codes_sms_alone(account, template, settings, sms):
    configure(settings, OTP_SEND_FROM_REQUEST=False)
    request_code(PHONE, "login")
    message = the_message()
    FallbackStep.objects.create(
        message=message,
        reference=f"zns-sms-{message.pk}",
        reason=FallbackStep.Reason.WINDOW,
        trigger="window",
        due_at=timezone.now() - dt.timedelta(seconds=1),
    )
    OtpChallenge.objects.update(status=OtpChallenge.Status.VERIFIED)
    Message.objects.update(status=Message.Status.SENT)
    assert Lane().priority_tasks("default") == []


def test_the_redis_poll_hands_out_the_code_before_the_tasks_queued_ahead(
    account, template, settings, redis_broker
):
    configure(settings, OTP_SEND_FROM_REQUEST=False)
    for message in MessageFactory.create_batch(20):  # order messages' tasks, queued first
        redis_broker.enqueue(
            task_package(TASK_SEND, ([message.idempotency_key],), name=message.idempotency_key)
        )
    request_code(PHONE, "login")  # its own task goes to the end of the list
    assert redis_broker.queue_size() == 21
    code_key = the_message().idempotency_key
    assert handed_out(redis_broker.dequeue()) == [("zns_notify.tasks.send_messages", [code_key])]
    assert redis_broker.queue_size() == 21  # the queue is served after it, unchanged
