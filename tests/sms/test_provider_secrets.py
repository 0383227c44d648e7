"""A provider's credentials never reach what is stored or shown of a failed send."""

from __future__ import annotations

import json

from zns_notify.sms import SmsErrorKind
from zns_notify.sms.providers.http import GenericHttpProvider

URL = "https://sms.example.vn/api/send"


def test_an_invalid_header_value_is_refused_without_its_value(caplog):
    """A token read from a file keeps its line break; requests refuses the header and its
    exception quotes the value. The step's error, timeline and logs must not carry it."""
    secret = "s3cret-T0KEN-from-a-file"
    provider = GenericHttpProvider(
        {
            "url": URL,
            "headers": {"Authorization": f"Bearer {secret}\n"},
            "body": {"to": "{phone}", "msg": "{text}"},
        }
    )
    result = provider.send("0912345678", "Don hang DH1", reference="R-1")
    assert (result.accepted, result.error_kind) == (False, SmsErrorKind.CONFIGURATION)
    assert "Authorization" in result.error_message  # which header to fix
    assert secret not in json.dumps(result.as_record())
    assert secret not in str(result) and secret not in caplog.text
