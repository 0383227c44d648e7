"""A one-time code over real HTTP: requested, sent by the worker's task to the sandbox as
the OTP template's message, verified once, refused when used again."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.integration.conftest import run_queued_tasks, wait_until
from zns_notify.bindings.template_sync import sync_templates
from zns_notify.models import Message, OtpChallenge
from zns_notify.otp import OtpRefused, Refusal, request_code, verify_code
from zns_notify.otp.template import otp_template
from zns_notify.sandbox.catalogue import OTP_TEMPLATE_ID

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def otp_ready(connected):
    sync_templates()  # the sandbox's own authentication template, 100009, among them
    return connected


def _served_as(sandbox, tag: str, param_type: str) -> None:
    template = sandbox.state.templates[OTP_TEMPLATE_ID]
    [param] = template.params
    sandbox.state.templates[OTP_TEMPLATE_ID] = replace(
        template, zalo_tag=tag, params=(replace(param, type=param_type),)
    )


@pytest.mark.parametrize(
    ("tag", "param_type"),
    [
        ("OTP", "OTP"),  # as the sandbox serves it
        ("OTP", "STRING"),  # the old tag alone, its parameter a plain string
        ("TRANSACTION", "OTP"),  # the new tag, the parameter typed OTP
        ("TRANSACTION", "12"),  # the parameter typed by its creation code (zns-api.md §9)
    ],
)
def test_a_sync_finds_the_sandboxs_otp_template_however_it_is_marked(connected, tag, param_type):
    _served_as(connected, tag, param_type)
    sync_templates()
    found = otp_template()
    assert (found.template.template_id, found.code_param) == (OTP_TEMPLATE_ID, "otp")


def test_a_code_reaches_the_sandbox_verifies_once_and_is_refused_after(otp_ready):
    request_code("0912 345 678", "sign_up", client_ip="203.0.113.7")
    assert run_queued_tasks() == 1
    received = otp_ready.state.sent_messages("84912345678")
    assert [(m.template_id, m.mode) for m in received] == [(OTP_TEMPLATE_ID, "production")]
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
    assert [(m.template_id, m.mode) for m in received] == [(OTP_TEMPLATE_ID, "development")]
    assert verify_code("0987654321", "login", received[0].data["otp"])
