"""The provider contract, the console and locmem providers, and the registry."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from zns_notify.exceptions import ZnsInvalidPhone
from zns_notify.sms import (
    SmsAccountError,
    SmsConfigurationError,
    SmsErrorKind,
    SmsInvalidText,
    SmsPermanentError,
    SmsProvider,
    SmsRetryableError,
    SmsTooLong,
    get_provider,
    is_enabled,
    send_sms,
)
from zns_notify.sms.providers import locmem
from zns_notify.sms.providers.console import ConsoleProvider
from zns_notify.sms.providers.locmem import LocmemProvider

PHONE = "0912 345 678"


def test_locmem_records_the_sms_and_its_segments(outbox, sms_settings):
    sms_settings(SMS_PROVIDER="locmem", SMS_COST_PER_SEGMENT=850)
    result = send_sms(PHONE, "Đơn hàng DH1 đã giao", reference="ref-1")
    assert result.accepted and not result.ambiguous and result.error_kind is None
    assert (result.provider, result.reference, result.encoding, result.segments) == (
        "locmem",
        "ref-1",
        "GSM-7",
        1,
    )
    assert (result.cost, result.cost_is_estimate) == (Decimal(850), True)
    assert [(s.phone, s.text, s.reference, s.message_id) for s in outbox] == [
        ("84912345678", "Don hang DH1 da giao", "ref-1", result.message_id)
    ]


def test_same_reference_is_sent_once(outbox, sms_settings):
    sms_settings(SMS_PROVIDER="locmem", SMS_COST_PER_SEGMENT=850)
    first = send_sms(PHONE, "Xin chao", reference="ref-1")
    again = send_sms(PHONE, "Xin chao", reference="ref-1")
    assert again.accepted and again.duplicate and again.message_id == first.message_id
    assert again.cost is None  # the first send carries the cost, not the echo
    assert len(outbox) == 1


def test_queued_failures_are_returned_not_raised(outbox, sms_settings):
    sms_settings(SMS_PROVIDER="locmem")
    locmem.queue_failure("permanent", code="99", message="blocked")
    result = send_sms(PHONE, "Xin chao", reference="ref-1")
    assert (result.accepted, result.error_kind, result.error_code, result.error_message) == (
        False,
        SmsErrorKind.PERMANENT,
        "99",
        "blocked",
    )
    assert result.cost is None and outbox == []
    with pytest.raises(SmsPermanentError) as caught:
        result.raise_for_error()
    assert caught.value.result is result and caught.value.kind == "permanent"
    assert send_sms(PHONE, "Xin chao", reference="ref-1").accepted  # queue drained


def test_ambiguous_failure_that_went_out_is_resolved_by_resending(outbox, sms_settings):
    sms_settings(SMS_PROVIDER="locmem")
    locmem.queue_failure("retryable", ambiguous=True, delivered=True)
    first = send_sms(PHONE, "Xin chao", reference="ref-1")
    assert (first.accepted, first.ambiguous, first.retryable) == (False, True, True)
    assert len(outbox) == 1  # the provider took it although the answer was lost
    second = send_sms(PHONE, "Xin chao", reference="ref-1")
    assert second.accepted and second.duplicate and len(outbox) == 1
    assert get_provider().idempotent is True


def test_delivered_needs_ambiguous():
    with pytest.raises(ValueError, match="ambiguous"):
        locmem.queue_failure("retryable", delivered=True)


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("retryable", SmsRetryableError),
        ("permanent", SmsPermanentError),
        ("configuration", SmsAccountError),
    ],
)
def test_raise_for_error_maps_each_kind(outbox, kind, error):
    locmem.queue_failure(kind)
    with pytest.raises(error):
        LocmemProvider().send(PHONE, "hi", reference="r").raise_for_error()


def test_accepted_result_raises_nothing(outbox):
    result = LocmemProvider().send(PHONE, "hi", reference="r")
    assert result.raise_for_error() is result


def test_bad_input_is_refused_before_sending(outbox, sms_settings):
    sms_settings(SMS_PROVIDER="locmem", SMS_MAX_SEGMENTS=1)
    provider = get_provider()
    with pytest.raises(ZnsInvalidPhone):
        provider.send("024 3825 1234", "hi", reference="r")  # a Hanoi landline
    with pytest.raises(SmsInvalidText):
        provider.send(PHONE, "", reference="r")
    with pytest.raises(SmsTooLong):
        provider.send(PHONE, "a" * 161, reference="r")
    with pytest.raises(ValueError, match="reference"):
        provider.send(PHONE, "hi", reference="")
    assert outbox == []


def test_console_prints_the_sms():
    stream = io.StringIO()
    result = ConsoleProvider({"stream": stream}).send(PHONE, "Xin chào", reference="ref-9")
    assert result.accepted and result.message_id.startswith("console-")
    printed = stream.getvalue()
    assert "SMS to 84912345678 (GSM-7, 1 segment(s), reference ref-9" in printed
    assert "\nXin chào\n" in printed


def test_no_provider_configured(sms_settings):
    sms_settings()
    assert is_enabled() is False
    with pytest.raises(SmsConfigurationError, match=r'ZNS_NOTIFY\["SMS_PROVIDER"\]'):
        get_provider()


@pytest.mark.parametrize(
    "name", ["nope", "zns_notify.sms.providers.nope.Provider", "zns_notify.sms.results.SmsResult"]
)
def test_unknown_provider_is_a_configuration_error(sms_settings, name):
    sms_settings(SMS_PROVIDER=name)
    with pytest.raises(SmsConfigurationError, match="SMS_PROVIDER"):
        get_provider()


def test_dotted_path_and_live_options(sms_settings):
    sms_settings(
        SMS_PROVIDER="zns_notify.sms.providers.esms.EsmsProvider",
        SMS_PROVIDER_OPTIONS={"api_key": "k", "secret_key": "s", "brandname": "B"},
    )
    assert get_provider().name == "esms"
    sms_settings(SMS_PROVIDER="esms", SMS_PROVIDER_OPTIONS={"api_key": "k"})
    with pytest.raises(SmsConfigurationError, match=r'\["secret_key"\] is required'):
        get_provider()


def test_a_provider_must_implement_send():
    class Incomplete(SmsProvider):
        pass

    with pytest.raises(NotImplementedError, match="Incomplete._send"):
        Incomplete().send(PHONE, "hi", reference="r")
