"""The journeys of one run's sends: a replacement token refused too sends the message
normally, and a run remembers what Zalo said of a template. Zalo's refusals here are real
answers of the sandbox to sends under bad tokens."""

from __future__ import annotations

import pytest

from tests.journeys.conftest import DELIVERED, NOT_DECLARED, OTHER_PHONE, journey_message
from zns_notify.account.tokens import get_access_token
from zns_notify.journeys.attempts import JourneySends, journey_of, journey_token
from zns_notify.models import Journey
from zns_notify.zalo.client import ZaloAPIError, ZaloClient

pytestmark = pytest.mark.django_db(transaction=True)


def refusal(client: ZaloClient, access: str, message, token: str) -> ZaloAPIError:
    """Zalo's answer to ``message`` sent under ``token``."""
    with pytest.raises(ZaloAPIError) as refused:
        client.send_template(
            access_token=access,
            phone=message.phone,
            template_id=message.zalo_template_id,
            data=message.params,
            tracking_id=message.idempotency_key,
            journey_token=token,
        )
    return refused.value


def test_a_replacement_token_refused_too_sends_the_message_normally(zalo):
    client, access = ZaloClient.from_settings(), get_access_token()
    sends, message = JourneySends(client), journey_message()
    sends.attach([message], access)
    first = journey_of(message)

    not_found = refusal(client, access, message, "not-a-token-zalo-knows")
    assert not_found.code == -148
    assert sends.refused(message, not_found, access) == access
    replacement = journey_of(message)
    assert replacement is not None and replacement.pk != first.pk

    invalid = refusal(client, access, message, zalo.issue(OTHER_PHONE)["token"])
    assert invalid.code == -149
    assert sends.refused(message, invalid, access) == access

    assert journey_of(message) is None and journey_token(message) is None
    assert message.journey_fallback == "refused"
    states = dict(Journey.objects.values_list("pk", "end_reason"))
    assert states == {first.pk: "-148", replacement.pk: "-149"}


def test_a_run_sends_a_template_zalo_called_incompatible_normally_at_once(zalo):
    client, access = ZaloClient.from_settings(), get_access_token()
    sends = JourneySends(client)
    first, second = journey_message(NOT_DECLARED), journey_message(NOT_DECLARED, order_pk="2")
    sends.attach([first], access)

    incompatible = refusal(client, access, first, journey_token(first))
    assert incompatible.code == -1491
    sends.refused(first, incompatible, access)
    sends.attach([second], access)

    assert first.journey_fallback == second.journey_fallback == "incompatible"
    assert journey_of(second) is None
    assert zalo.get_token_requests() == 1  # the second order asked for none


def test_any_other_answer_is_not_a_journey_refusal(zalo):
    client, access = ZaloClient.from_settings(), get_access_token()
    sends, message, plain = JourneySends(client), journey_message(), journey_message(DELIVERED)
    sends.attach([message], access)
    zalo.knob("faults", error_codes_by_template={message.zalo_template_id: -118})

    not_on_zalo = refusal(client, access, message, journey_token(message))

    assert not_on_zalo.code == -118
    assert sends.refused(message, not_on_zalo, access) is None
    assert sends.refused(plain, refusal(client, access, plain, "x"), access) is None  # no journey
