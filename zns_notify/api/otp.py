"""``POST /zns/api/otp/request/`` and ``POST /zns/api/otp/verify/``: the one-time codes'
Python calls (:mod:`zns_notify.otp`) for the parts of a shop that are not Django.

The caller is the shop's backend, holding ``zns_notify.add_otpchallenge``; it passes its
customer's address as ``client_ip`` (the request's own address is the backend's). The
answers say nothing the caller did not send: an accepted request answers the same for
every valid phone, a refusal is ``{"code", "message"}`` with ``retry_after`` where it
applies (never a count of tries left), and the code itself is never in an answer.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from zns_notify.api.event_serializers import ClosedSerializer, TextField
from zns_notify.api.throttling import OtpRateThrottle
from zns_notify.api.views import ZnsAPIMixin
from zns_notify.conf import app_settings
from zns_notify.exceptions import ZnsConfigurationError
from zns_notify.otp import OtpRefused, Refusal, request_code, verify_code

logger = logging.getLogger(__name__)

#: A refusal's body (:meth:`zns_notify.otp.OtpRefused.as_dict`).
REFUSAL = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "enum": [str(code) for code in Refusal]},
        "message": {"type": "string"},
        "retry_after": {"type": "integer", "minimum": 1},
    },
    "required": ["code", "message"],
    "additionalProperties": False,
}
#: Refusals that pass with time answer 429, with Retry-After; the others 400.
WAIT_REFUSALS = frozenset({Refusal.COOLDOWN, Refusal.RATE_LIMITED})


class NotConfigured(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "otp_not_configured"


class PurposeField(TextField):
    """One of the shop's purposes: the schema lists them as they are configured now (an
    unknown one is still the service's ``unknown_purpose`` refusal)."""

    def openapi_extra(self) -> dict[str, Any]:
        return {"enum": list(app_settings.OTP_PURPOSES)}


class IPField(serializers.IPAddressField):
    """An IPv4 or IPv6 address, as the schema says (DRF documents no format for both)."""

    def openapi_extra(self) -> dict[str, Any]:
        return {"format": None, "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]}


class CodeRequestBody(ClosedSerializer):
    phone = TextField(max_length=32, help_text="A Vietnamese mobile number, as typed.")
    purpose = PurposeField(max_length=64, help_text="One of OTP_PURPOSES, e.g. sign_up.")
    client_ip = IPField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Your customer's address, for the per-IP limit.",
    )


class CodeCheckBody(CodeRequestBody):
    code = TextField(max_length=16, help_text="The code as the customer typed it.")


class CodeRequestedAnswer(serializers.Serializer):
    expires_at = serializers.DateTimeField(help_text="When the code stops working.")
    resend_at = serializers.DateTimeField(help_text="When another code may be asked for.")


class CodeVerifiedAnswer(serializers.Serializer):
    phone = serializers.CharField(help_text="The phone, normalized (84xxxxxxxxx).")
    purpose = serializers.CharField()
    verified_at = serializers.DateTimeField()


def _refused(refusal: OtpRefused) -> Response:
    if refusal.code in WAIT_REFUSALS:
        return Response(
            refusal.as_dict(),
            status=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(refusal.retry_after or 1)},
        )
    return Response(refusal.as_dict(), status=status.HTTP_400_BAD_REQUEST)


class OtpView(ZnsAPIMixin, generics.GenericAPIView):
    throttle_classes = [OtpRateThrottle]
    required_permissions = ("zns_notify.add_otpchallenge",)
    error_statuses = (400, 401, 403, 415, 429, 503)
    error_alternatives = {400: ("OtpRefusal", REFUSAL), 429: ("OtpRefusal", REFUSAL)}
    error_descriptions = {
        400: "A bad field (each one named), or a refusal: its code says which.",
        429: "A refusal that passes with time (cooldown, rate_limited), or the API's "
        "throttle; Retry-After says when to try again.",
        503: "Codes cannot be sent: the shop's OTP template is not configured.",
    }

    def body(self) -> dict:
        given = self.get_serializer(data=self.request.data)
        given.is_valid(raise_exception=True)
        return given.validated_data


@extend_schema(
    tags=["otp"],
    request=CodeRequestBody,
    responses={202: CodeRequestedAnswer},
)
class CodeRequest(OtpView):
    """Send a one-time code to a phone for a purpose."""

    serializer_class = CodeRequestBody

    def post(self, request, *args, **kwargs):
        values = self.body()
        try:
            answer = request_code(values["phone"], values["purpose"], client_ip=values["client_ip"])
        except OtpRefused as refusal:
            return _refused(refusal)
        except ZnsConfigurationError:
            logger.exception("zns_notify: a one-time code was asked for, and cannot be sent")
            raise NotConfigured(_("One-time codes cannot be sent now.")) from None
        body = CodeRequestedAnswer({"expires_at": answer.expires_at, "resend_at": answer.resend_at})
        return Response(body.data, status=status.HTTP_202_ACCEPTED)


@extend_schema(
    tags=["otp"],
    request=CodeCheckBody,
    responses={200: CodeVerifiedAnswer},
)
class CodeCheck(OtpView):
    """Check a one-time code; a right one is used up."""

    serializer_class = CodeCheckBody

    def post(self, request, *args, **kwargs):
        values = self.body()
        try:
            verified = verify_code(
                values["phone"], values["purpose"], values["code"], client_ip=values["client_ip"]
            )
        except OtpRefused as refusal:
            return _refused(refusal)
        body = CodeVerifiedAnswer(
            {
                "phone": verified.phone,
                "purpose": verified.purpose,
                "verified_at": verified.verified_at,
            }
        )
        return Response(body.data)
