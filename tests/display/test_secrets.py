"""Which messages' parameters are hidden, and what of an attempt's record is."""

from __future__ import annotations

from types import SimpleNamespace

from zns_notify.display.secrets import HIDDEN, shown_attempt, shown_params

CODE_MESSAGE = SimpleNamespace(event="otp:login")
ORDER_MESSAGE = SimpleNamespace(event="order_created")


def test_a_code_messages_parameters_are_all_hidden():
    assert shown_params(CODE_MESSAGE, {"otp": "123456", "minutes": "5"}) == {
        "otp": HIDDEN,
        "minutes": HIDDEN,
    }


def test_an_order_messages_parameters_are_left_alone():
    params = {"order_code": "123456"}
    assert shown_params(ORDER_MESSAGE, params) is params


def test_an_attempts_template_data_is_hidden_in_a_copy():
    stored = {
        "request": {"path": "/message/template", "body": {"template_data": {"otp": "1"}}},
        "answer": {"error": 0},
    }
    shown = shown_attempt(CODE_MESSAGE, stored)
    assert shown["request"]["body"]["template_data"] == {"otp": HIDDEN}
    assert shown["answer"] == {"error": 0}
    assert stored["request"]["body"]["template_data"] == {"otp": "1"}


def test_an_attempt_without_a_request_is_left_alone():
    assert shown_attempt(CODE_MESSAGE, None) is None
    assert shown_attempt(CODE_MESSAGE, {"answer": {}}) == {"answer": {}}
