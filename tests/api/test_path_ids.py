"""An id in the path is an integer to clients (the schema says so) but matched as any
segment (urls.py): whatever is not such an id is the API's JSON 404, never a 500 — also
on PostgreSQL, which refuses a number past the bigint range (NumericValueOutOfRange)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.api.test_schema_limits import schema
from tests.factories import BindingFactory, MessageFactory

pytestmark = pytest.mark.django_db

BIGINT_MAX = 2**63 - 1
SEGMENTS = [
    "99999999999999999999",
    str(BIGINT_MAX + 1),
    f"-{BIGINT_MAX + 2}",
    "-1",
    "0",
    "abc",
]


def _url(name: str, segment: str) -> str:
    return reverse(f"zns_notify:{name}", args=[1]).replace("/1/", f"/{segment}/")


def _assert_json_404(response) -> None:
    assert response.status_code == 404, response.content
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


@pytest.mark.parametrize("segment", SEGMENTS)
@pytest.mark.parametrize("name", ["api_message_detail", "api_binding_detail"])
def test_reading_an_id_that_is_no_row_is_a_json_404(as_user, full_reader, name, segment):
    MessageFactory()
    BindingFactory()
    _assert_json_404(as_user(full_reader).get(_url(name, segment)))


@pytest.mark.parametrize("segment", SEGMENTS)
@pytest.mark.parametrize("name", ["api_message_resend", "api_message_cancel"])
def test_acting_on_an_id_that_is_no_row_is_a_json_404(as_user, make_user, name, segment):
    MessageFactory(status="failed")
    user = make_user("view_message", "resend_message", "cancel_message")
    _assert_json_404(as_user(user).post(_url(name, segment)))


ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.parametrize("segment", ["+{pk}", " {pk}", "{pk}%0A", "0{pk}", "{pk}.0", "{arabic}"])
def test_an_id_written_otherwise_than_in_digits_is_a_json_404(as_user, full_reader, segment):
    # Python's int() takes " 1", "+1", "01" and "١" (an Arabic-Indic one): not the
    # schema's integer, and not a second address of the same message.
    message = MessageFactory()
    arabic = str(message.pk).translate(ARABIC_INDIC)
    url = _url("api_message_detail", segment.format(pk=message.pk, arabic=arabic))
    _assert_json_404(as_user(full_reader).get(url))


def test_the_schema_states_the_id_range():
    operation = schema()["paths"]["/zns/api/messages/{id}/"]["get"]
    [parameter] = [p for p in operation["parameters"] if p["name"] == "id"]
    assert parameter["schema"] == {"type": "integer", "minimum": 1, "maximum": BIGINT_MAX}


def test_the_largest_id_is_looked_up(as_user, full_reader):
    _assert_json_404(as_user(full_reader).get(_url("api_message_detail", str(BIGINT_MAX))))
    message = MessageFactory()
    assert as_user(full_reader).get(_url("api_message_detail", str(message.pk))).status_code == 200
