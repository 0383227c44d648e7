"""Zalo's error codes and what a client must do about each (zns-api.md §3).

This module and :mod:`zns_notify.zalo.client` are the only places that know Zalo's codes.
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_noop as N_

from zns_notify.lib.clock import Window


class ErrorAction(StrEnum):
    """What to do with a message after an error; stored as ``Message.error_category``."""

    RETRY = "retry"  # transient: back off and try again
    REFRESH = "refresh"  # access token rejected: refresh once, then retry
    RESCHEDULE = "reschedule"  # quota or time window: try again later
    CONFIG = "config"  # account/template/billing setup: an admin must act
    RECIPIENT = "recipient"  # permanent for this phone number
    PAYLOAD = "payload"  # permanent for this payload: fix the data or the binding


R, F, S, C, P, D = (
    ErrorAction.RETRY,
    ErrorAction.REFRESH,
    ErrorAction.RESCHEDULE,
    ErrorAction.CONFIG,
    ErrorAction.RECIPIENT,
    ErrorAction.PAYLOAD,
)

#: code -> (action, English meaning). Sources and confidence: zns-api.md §3. The meanings are
#: marked for translation but stay English here: they are what is stored (error_message) and
#: what the API returns; pages translate them when they show them (zns_notify.display.error_text).
ERROR_CODES: dict[int, tuple[ErrorAction, str]] = {
    -100: (R, N_("Unknown error; retry later")),
    -101: (C, N_("Application invalid")),
    -102: (C, N_("Application not existed")),
    -103: (C, N_("Application not activated")),
    -104: (C, N_("App secret key invalid")),
    -105: (C, N_("Application not linked to any OA")),
    -106: (D, N_("Method unsupported")),
    -107: (D, N_("Message ID invalid")),
    -108: (P, N_("Phone number invalid")),
    -109: (C, N_("Template ID invalid")),
    -110: (P, N_("Zalo version unsupported")),
    -111: (D, N_("Template data empty")),
    -112: (D, N_("Template data invalid")),
    -1121: (D, N_("Parameter exceeds max length")),
    -1122: (D, N_("Missing template parameter")),
    -1123: (D, N_("QR code cannot be generated")),
    -1124: (D, N_("Parameter has invalid format")),
    -113: (D, N_("Button invalid")),
    -1131: (D, N_("Button content or link invalid")),
    -114: (P, N_("User inactive, rejects the message, or cannot receive it")),
    -115: (C, N_("Out of quota / insufficient ZCA balance")),
    -116: (D, N_("Text invalid")),
    -117: (C, N_("OA or app has no permission for this template")),
    -118: (P, N_("Zalo account not existed")),
    -119: (P, N_("Account can not receive message")),
    -120: (C, N_("OA has no permission for this feature")),
    -1201: (C, N_("OA cannot create tag-3 templates")),
    -1202: (C, N_("OA has no permission to use media resources")),
    -121: (D, N_("Body data empty")),
    -122: (D, N_("Body not valid JSON")),
    -123: (D, N_("RSA message decode failed")),
    -124: (F, N_("Access token invalid")),
    -1241: (C, N_("Invalid appsecret_proof")),
    -125: (C, N_("Official Account ID invalid")),
    -126: (S, N_("Out of quota in development mode")),
    -127: (P, N_("Development-mode template can only be sent to administrators")),
    -128: (C, N_("Encoding key does not exist")),
    -129: (R, N_("RSA key generation failed")),
    -130: (D, N_("Content exceeds max characters")),
    -131: (C, N_("ZNS template not approved")),
    -132: (D, N_("Parameter invalid")),
    -133: (S, N_("Cannot send at night")),
    -134: (P, N_("User has not responded to ZNS opt-in")),
    -135: (C, N_("OA has no permission to send ZNS")),
    -1351: (C, N_("OA blocked from sending (violation)")),
    -136: (C, N_("Must connect a Zalo Cloud Account")),
    -137: (C, N_("Zalo Cloud Account charge failed")),
    -138: (C, N_("App has no permission for this feature")),
    -1381: (C, N_("OA has not granted the ZCA extension permission")),
    -139: (P, N_("User refused this ZNS content type")),
    -140: (P, N_("User ineligible for this ZNS type")),
    -141: (P, N_("User refused ZNS from this OA")),
    -142: (C, N_("RSA key missing")),
    -143: (C, N_("RSA key already exists")),
    -144: (S, N_("OA exceeded its daily ZNS limit")),
    -1441: (S, N_("OA exceeded its monthly promotion quota")),
    -145: (C, N_("OA not allowed to send this content type")),
    -146: (C, N_("Template disabled due to low quality")),
    -147: (S, N_("Template exceeded its daily quota")),
    -1471: (S, N_("OA exceeded monthly follow-up limit for this user")),
    -1472: (S, N_("OA exceeded per-user daily promotion limit")),
    -148: (D, N_("Journey token not found")),
    -149: (D, N_("Journey token invalid")),
    -1491: (D, N_("Journey token type incompatible")),
    -150: (D, N_("Journey token expired")),
    -151: (D, N_("Not an E2EE template")),
    -152: (D, N_("Failed to get E2EE key")),
    -153: (D, N_("Data violates specification")),
    -158: (D, N_("Upload file too large")),
    -159: (D, N_("Upload format not allowed")),
    -160: (S, N_("Daily create/edit/upload quota exceeded")),
    -161: (D, N_("sending_mode not allowed")),
    -162: (D, N_("sending_mode 3 with a tag 1-2 template")),
    -249: (D, N_("Template does not support sending via UID")),
    # OA-host codes that some deployments return on the ZNS host too.
    -216: (F, N_("Access token is invalid")),
    -220: (F, N_("Access token is expired or removed")),
    -32: (R, N_("Application reached its API call limit")),
}


#: OAuth token-endpoint errors that are the app's configuration (APP_ID / APP_SECRET), not
#: the OA's grant: reconnecting cannot fix them. Every other refusal of a refresh token
#: (-14014 "invalid refresh token": reused, expired, revoked) means the grant is gone.
OAUTH_APP_ERRORS: dict[int, str] = {
    -14002: 'Invalid app id (check ZNS_NOTIFY["APP_ID"])',
    -14004: 'Invalid secret key (check ZNS_NOTIFY["APP_SECRET"])',
}


def action_for(code: int) -> ErrorAction:
    """Unknown codes are retried (a bounded number of times): safer than dropping a message."""
    entry = ERROR_CODES.get(code)
    return entry[0] if entry else ErrorAction.RETRY


#: What :func:`describe` says of a code not in :data:`ERROR_CODES`.
UNKNOWN_ERROR = N_("Unknown Zalo error")


def describe(code: int) -> str:
    """Zalo's meaning of ``code`` in English (untranslated: stored and sent as is)."""
    entry = ERROR_CODES.get(code)
    return entry[1] if entry else UNKNOWN_ERROR


#: "OA exceeded its daily ZNS sending limit": the quota ledger marks the day used up.
DAILY_QUOTA_EXCEEDED = -144

#: CONFIG codes about one template rather than the whole account or app: a hold for them
#: pauses only that template's messages (and its bindings), not the OA.
TEMPLATE_SCOPED: frozenset[int] = frozenset({-109, -117, -131, -145, -146})

#: RECIPIENT codes for a phone with no Zalo account, or whose account cannot receive ZNS.
NOT_ON_ZALO_CODES: frozenset[int] = frozenset({-118, -119, -114, -110})
#: RECIPIENT codes for a user who refused this OA or this content type, or has not
#: answered the opt-in.
REFUSED_CODES: frozenset[int] = frozenset({-139, -140, -141, -134})
#: RESCHEDULE codes for the OA's or a template's daily or monthly quota: Zalo would take the
#: message tomorrow (or next month).
QUOTA_CODES: frozenset[int] = frozenset({-144, -1441, -147, -1471, -1472})


#: RESCHEDULE codes whose end is known; others are retried with backoff.
RESCHEDULE_WINDOWS: dict[int, Window] = {
    -133: Window.MORNING,
    -126: Window.NEXT_DAY,
    -144: Window.NEXT_DAY,
    -147: Window.NEXT_DAY,
    -1472: Window.NEXT_DAY,
    -160: Window.NEXT_DAY,
    -1441: Window.NEXT_MONTH,
    -1471: Window.NEXT_MONTH,
}


#: ZNS Journey (zns-api.md §2, §3): Zalo's refusals of the ``journey_token`` a send
#: carried. They are about the token, never the message: zns_notify.journeys answers each
#: by sending the message again at once, under a new token or as a normal send, so none of
#: them is ever recorded as a message's outcome.
JOURNEY_TOKEN_NOT_FOUND = -148
#: The token belongs to another OA or another phone, or its type is unknown (get-token).
JOURNEY_TOKEN_INVALID = -149
#: The template is not declared for the token's type: the token stays good for others.
JOURNEY_TOKEN_INCOMPATIBLE = -1491
JOURNEY_TOKEN_EXPIRED = -150
JOURNEY_CODES: frozenset[int] = frozenset(
    {
        JOURNEY_TOKEN_NOT_FOUND,
        JOURNEY_TOKEN_INVALID,
        JOURNEY_TOKEN_INCOMPATIBLE,
        JOURNEY_TOKEN_EXPIRED,
    }
)
