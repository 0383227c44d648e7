"""Data model. One module per domain; every model is importable from here, as
``zns_notify.models.Message`` and friends (the public contract).

Dependency rule: these modules import Django, each other and the folders below them
(lib, conf, exceptions, zalo, sms) only, never a domain's logic.
"""

from zns_notify.models.account import ZaloAccount, ZaloAccountQuerySet
from zns_notify.models.api import EventReport
from zns_notify.models.bindings import MAX_SMS_WINDOW_MINUTES, Binding, Template
from zns_notify.models.fallback import FallbackStep
from zns_notify.models.messages import UNSENT_STATUSES, Message, MessageEvent
from zns_notify.models.policy import RecipientDailyCount, RecipientOptOut
from zns_notify.models.quota import SendingHold, ZaloQuota
from zns_notify.models.reports import (
    DailyCount,
    DailyFailure,
    DailyLatency,
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
    "DailyLatency",
    "EventReport",
    "FallbackStep",
    "Message",
    "MessageEvent",
    "MessageFeedback",
    "RecipientDailyCount",
    "RecipientOptOut",
    "ReportDay",
    "ReportRefresh",
    "SendingHold",
    "Template",
    "WebhookEvent",
    "ZaloAccount",
    "ZaloAccountQuerySet",
    "ZaloQuota",
]
