"""Data model. One module per domain; every model is importable from here, as
``zns_notify.models.Message`` and friends (the public contract).

Dependency rule: these modules import Django, each other and the folders below them
(zalo's error vocabulary), never a domain's logic. The vocabularies of stored codes live
here too, below every domain that writes or shows them: ``Message.error_category``'s in
:mod:`~zns_notify.models.error_categories`, the SMS triggers in
:mod:`~zns_notify.models.sms_triggers`.
"""

from zns_notify.models.account import ZaloAccount, ZaloAccountQuerySet
from zns_notify.models.api import EventReport
from zns_notify.models.bindings import MAX_SMS_WINDOW_MINUTES, Binding, Template
from zns_notify.models.fallback import FallbackStep
from zns_notify.models.journeys import Journey, JourneyType
from zns_notify.models.messages import UNSENT_STATUSES, Message, MessageEvent, under_journey
from zns_notify.models.otp import OtpChallenge, OtpCheck, holds_code, is_code_event, otp_event
from zns_notify.models.policy import RecipientDailyCount, RecipientOptOut
from zns_notify.models.quota import SendingHold, ZaloQuality, ZaloQuota
from zns_notify.models.reports import (
    DailyCount,
    DailyFailure,
    DailyJourney,
    DailyLatency,
    DailyOtp,
    ReportDay,
    ReportRefresh,
)
from zns_notify.models.webhooks import MessageFeedback, WebhookEvent

__all__ = [
    "MAX_SMS_WINDOW_MINUTES",
    "UNSENT_STATUSES",
    "Binding",
    "DailyCount",
    "DailyFailure",
    "DailyJourney",
    "DailyLatency",
    "DailyOtp",
    "EventReport",
    "FallbackStep",
    "Journey",
    "JourneyType",
    "Message",
    "MessageEvent",
    "MessageFeedback",
    "OtpChallenge",
    "OtpCheck",
    "RecipientDailyCount",
    "RecipientOptOut",
    "ReportDay",
    "ReportRefresh",
    "SendingHold",
    "Template",
    "WebhookEvent",
    "ZaloAccount",
    "ZaloAccountQuerySet",
    "ZaloQuality",
    "ZaloQuota",
    "holds_code",
    "is_code_event",
    "otp_event",
    "under_journey",
]
