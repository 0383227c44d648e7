"""Zalo error codes and the English messages the sandbox answers with.

Messages follow zns-api.md §3 (official wording where known, SPEC2 otherwise). Parameter
errors name the parameter, as real responses do: ``"customer_name data breaks max length"``.
"""

from __future__ import annotations

SUCCESS = 0
UNKNOWN_ERROR = -100
METHOD_UNSUPPORTED = -106
MESSAGE_ID_INVALID = -107
PHONE_INVALID = -108
TEMPLATE_ID_INVALID = -109
TEMPLATE_DATA_EMPTY = -111
TEMPLATE_DATA_INVALID = -112
PARAM_TOO_LONG = -1121
PARAM_MISSING = -1122
PARAM_BAD_FORMAT = -1124
BODY_EMPTY = -121
BODY_NOT_JSON = -122
ACCESS_TOKEN_INVALID = -124
DEV_MODE_NOT_ADMIN = -127
TEMPLATE_NOT_APPROVED = -131
PARAMETER_INVALID = -132
APPSECRET_PROOF_INVALID = -1241
DEV_MODE_QUOTA_EXCEEDED = -126
NIGHT_BAN = -133
DAILY_QUOTA_EXCEEDED = -144
MONTHLY_PROMOTION_QUOTA_EXCEEDED = -1441
SENDING_MODE_INVALID = -161
JOURNEY_TOKEN_NOT_FOUND = -148
JOURNEY_TOKEN_INVALID = -149
JOURNEY_TYPE_INCOMPATIBLE = -1491
JOURNEY_TOKEN_EXPIRED = -150

MESSAGES: dict[int, str] = {
    0: "Success",
    -100: "Unknown error, retry later",
    -101: "Application invalid",
    -102: "Application not existed",
    -103: "Application not activated",
    -104: "App secret key invalid",
    -105: "Application not link to any OA",
    -106: "Method unsupported",
    -107: "Message ID invalid",
    -108: "Phone number invalid",
    -109: "Invalid template id",
    -110: "Zalo version unsupported",
    -111: "Template data empty",
    -112: "Template data invalid",
    -1121: "Parameter data breaks max length",
    -1122: "Missing template parameter",
    -1123: "QR code cannot be generated",
    -1124: "Parameter has invalid format",
    -113: "Button invalid",
    -1131: "Button content or link has invalid format",
    -114: "User is inactive, or rejects the message, or uses an outdated Zalo version, "
    "or other internal errors",
    -115: "Out of quota",
    -116: "Text invalid",
    -117: "OA or App does not have permission to access this template",
    -118: "Zalo account not existed",
    -119: "Account can not receive message",
    -120: "OA has no permission for this feature",
    -1201: "OA has no permission to create tag 3 templates",
    -1202: "OA has no permission to use media resources",
    -121: "Body data empty",
    -122: "Body not valid JSON",
    -123: "Decode RSA message failed",
    -124: "Access token invalid",
    -1241: "Invalid appsecret_proof",
    -125: "Official Account ID invalid",
    -126: "Out of quota in development mode",
    -127: "Test template can only be sent to administrators",
    -128: "Encoding key does not exist",
    -129: "Generate RSA key failed",
    -130: "Content exceeds max characters",
    -131: "ZNS template not approved",
    -132: "Parameter invalid",
    -133: "Cannot send ZNS at night (22:00-06:00)",
    -134: "User has not responded to the ZNS opt-in",
    -135: "OA has no permission to send ZNS",
    -1351: "OA is blocked from sending ZNS for violating the policy",
    -136: "Must connect a Zalo Cloud Account",
    -137: "Charge ZCA failed: insufficient balance",
    -138: "App has no permission for this feature",
    -1381: "OA has not granted the Zalo Cloud Account extension permission",
    -139: "User refused this ZNS content type",
    -140: "User is ineligible for this ZNS type",
    -141: "User refused ZNS from this OA",
    -142: "RSA key does not exist",
    -143: "RSA key already exists",
    -144: "OA exceeded daily ZNS sending limit",
    -1441: "OA exceeded monthly promotion quota",
    -145: "OA is not allowed to send this content type",
    -146: "Template disabled due to low quality",
    -147: "Template exceeded its daily quota",
    -1471: "OA exceeded the monthly follow-up limit for this user",
    -1472: "OA exceeded the daily promotion limit for this user",
    -148: "Journey token not found",
    -149: "Journey token invalid",
    -1491: "Journey token type is not compatible",
    -150: "Journey token expired",
    -151: "Template is not an E2EE template",
    -152: "Get E2EE key failed",
    -153: "Data violates the specification",
    -158: "File size exceeds the limit",
    -159: "File format is not allowed",
    -160: "Exceeded the daily create/edit/upload quota",
    -161: "sending_mode has a disallowed value",
    -162: "sending_mode 3 does not support tag 1 / tag 2 templates",
    -249: "Template does not support sending via UID",
}


def message_for(code: int) -> str:
    """The message Zalo answers with for ``code`` (a generic one for codes we don't know)."""
    return MESSAGES.get(code, f"Error {code}")


# OAuth v4 errors (POST /v4/oa/access_token). Zalo publishes no table for the -14xxx family:
# only -14002 (invalid app id) and -14003 (invalid parameter / redirect uri) are attested
# in public reports. The others are this sandbox's own, plausible choices; a client should
# treat any negative ``error`` from the token endpoint as a failed grant and read
# ``error_name``. -14014 is the one the team contract names for a dead refresh token.
OAUTH_INVALID_APP_ID = -14002
OAUTH_INVALID_PARAMETER = -14003
OAUTH_INVALID_SECRET_KEY = -14004
OAUTH_INVALID_CODE = -14005
OAUTH_INVALID_REFRESH_TOKEN = -14014
