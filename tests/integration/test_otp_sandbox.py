"""A one-time code over real HTTP: requested, sent by the worker's task to the sandbox as
the OTP template's message, verified once, refused when used again."""

from __future__ import annotations

import pytest

from tests.integration.conftest import run_queued_tasks, wait_until
from zns_notify.bindings.template_sync import sync_templates
from zns_notify.models import Message, OtpChallenge
from zns_notify.otp import OtpRefused, Refusal, request_code, verify_code
from zns_notify.sandbox.catalogue import Param, Template

pytestmark = pytest.mark.django_db(transaction=True)

#: An authentication template as a shop's OA would have one: the old OTP tag, one parameter.
OTP_TEMPLATE = Template(
    template_id="100099",
    name="Mã xác thực",
    tag="TRANSACTION",
    zalo_tag="OTP",
    title="Mã xác thực",
    body="<otp> là mã xác thực của bạn. Không chia sẻ mã này với bất kỳ ai.",
    params=(Param(name="otp", max_length=10, sample="123456"),),
)


@pytest.fixture
def otp_ready(connected):
    connected.state.templates[OTP_TEMPLATE.template_id] = OTP_TEMPLATE
    sync_templates()
    return connected


def test_a_code_reaches_the_sandbox_verifies_once_and_is_refused_after(otp_ready):
    request_code("0912 345 678", "sign_up", client_ip="203.0.113.7")
    assert run_queued_tasks() == 1
    received = otp_ready.state.sent_messages("84912345678")
    assert [(m.template_id, m.mode) for m in received] == [("100099", "production")]
    code = received[0].data["otp"]
    assert code.isdigit() and len(code) == 6
    challenge = OtpChallenge.objects.get()
    assert received[0].tracking_id == challenge.message.idempotency_key

    def delivered():
        return Message.objects.filter(status=Message.Status.DELIVERED).exists()

    assert wait_until(delivered), list(Message.objects.values_list("status", "error_message"))
    assert verify_code("+84 912 345 678", "sign_up", code).phone == "84912345678"
    with pytest.raises(OtpRefused) as reuse:
        verify_code("0912345678", "sign_up", code)
    assert reuse.value.code == Refusal.REUSED


def test_development_mode_sends_the_code_as_a_development_message(otp_ready, settings):
    settings.ZNS_NOTIFY = {**settings.ZNS_NOTIFY, "DEVELOPMENT_MODE": True}
    request_code("0987 654 321", "login")  # the sandbox OA's admin: development mode's reach
    assert run_queued_tasks() == 1
    received = otp_ready.state.sent_messages("84987654321")
    assert [(m.template_id, m.mode) for m in received] == [("100099", "development")]
    assert verify_code("0987654321", "login", received[0].data["otp"])
