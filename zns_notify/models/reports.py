"""Daily aggregates of the message log, read by the reports page (imported by
:mod:`zns_notify.models`).

The report never reads the message table: :mod:`zns_notify.reports.rollup` recomputes the figures
of a local day (``TIMEZONE``) from that day's messages while the day still has messages in
progress, and leaves a closed day alone (docs/operators/reports.md, docs/performance.md).
A message belongs to the local day it was created on.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: The ZNS messages' rows; the SMS fallback steps have their own rows under "sms" (a row
#: per step status: ``messages`` counts steps, ``cost`` the SMS sent, ``segments`` and
#: ``double_cost`` the SMS's own figures).
CHANNEL_ZNS = "zns"
CHANNEL_SMS = "sms"


class ReportDay(models.Model):
    """The delivery report of one local day: when its figures were last computed, and how
    many of its messages were still in progress then (the day is recomputed until none is).
    ``open_messages`` also counts the SMS steps still to be sent and the one-time codes
    still pending: they, too, keep the day's figures moving."""

    day = models.DateField(_("day"), unique=True)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)
    open_messages = models.PositiveIntegerField(
        _("messages in progress"),
        default=0,
        help_text=_("Queued, sending or sent (no receipt yet) when the day was computed."),
    )

    class Meta:
        verbose_name = _("delivery report")
        verbose_name_plural = _("delivery reports")
        ordering = ["-day"]
        # The page is the whole point; nobody adds or edits a day by hand.
        default_permissions = ()
        permissions = [("view_reports", _("Can view delivery reports"))]

    def __str__(self) -> str:
        return str(self.day)


class ReportRefresh(models.Model):
    """One row: when the aggregates were last brought up to date, and the lease that keeps
    two refreshes (two clusters, or the command beside the schedule) from running at once."""

    refreshed_at = models.DateTimeField(null=True, blank=True)
    running_since = models.DateTimeField(null=True, blank=True)
    run_owner = models.CharField(max_length=64, blank=True)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"reports refreshed at {self.refreshed_at}"


class DailyFigures(models.Model):
    """The keys every aggregate shares. ``account`` is the OA the day's messages were sent
    from (the account sending when the day was first computed: messages do not record it)."""

    day = models.DateField(_("day"))
    channel = models.CharField(_("channel"), max_length=8, default=CHANNEL_ZNS)
    account = models.ForeignKey(
        "zns_notify.ZaloAccount",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
        verbose_name=_("Zalo account"),
    )
    template_id = models.CharField(_("Zalo template id"), max_length=32, blank=True)
    event = models.CharField(_("event"), max_length=64)
    messages = models.PositiveIntegerField(_("messages"), default=0)

    class Meta:
        abstract = True
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.day} {self.channel} {self.event}: {self.messages}"


class DailyCount(DailyFigures):
    """Messages of one day by status; for delivered ones, what Zalo bills for them."""

    status = models.CharField(_("status"), max_length=16)
    # The template's price when the day was first computed, kept by later recomputes: a
    # price Zalo changes later does not rewrite the past.
    unit_price = models.DecimalField(
        _("price (VND)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    cost = models.DecimalField(_("cost (VND)"), max_digits=16, decimal_places=2, default=0)
    # Test messages ("Send test" in the binding editor) go in Zalo's development mode, which
    # Zalo reportedly does not charge (zns-api.md §8): counted in ``messages``, not billed.
    test_messages = models.PositiveIntegerField(
        _("test messages"),
        default=0,
        help_text=_("Of these messages, those sent in development mode (not charged)."),
    )
    # SMS rows only (channel "sms"): the segments billed, and how many of the SMS were
    # followed by Zalo's late receipt (both channels paid).
    segments = models.PositiveIntegerField(_("SMS segments"), default=0)
    double_cost = models.PositiveIntegerField(_("double-cost messages"), default=0)

    class Meta(DailyFigures.Meta):
        indexes = [models.Index(fields=["day"], name="zns_dailycount_day")]


class DailyFailure(DailyFigures):
    """Failed and undelivered messages of one day by status, error category and Zalo code."""

    status = models.CharField(_("status"), max_length=16)
    category = models.CharField(_("error category"), max_length=32, blank=True)
    error_code = models.IntegerField(_("Zalo error code"), null=True, blank=True)

    class Meta(DailyFigures.Meta):
        indexes = [models.Index(fields=["day"], name="zns_dailyfailure_day")]


class DailyLatency(DailyFigures):
    """Delivered messages of one day by time from the send to the receipt, in the fixed
    buckets of :data:`zns_notify.reports.rollup.LATENCY_BUCKETS` (a median over any range is read
    from the summed buckets)."""

    bucket = models.PositiveSmallIntegerField(_("bucket"))

    class Meta(DailyFigures.Meta):
        indexes = [models.Index(fields=["day"], name="zns_dailylatency_day")]


class DailyOtp(models.Model):
    """The one-time codes requested on one local day for one purpose, and what became of
    them (:mod:`zns_notify.reports.codes`). Kept apart from the message figures, and kept
    after the requests themselves are deleted: the report of a past day does not change."""

    day = models.DateField(_("day"))
    purpose = models.CharField(_("purpose"), max_length=64)
    requested = models.PositiveIntegerField(_("codes requested"), default=0)
    zns_delivered = models.PositiveIntegerField(_("delivered by Zalo"), default=0)
    sms_sent = models.PositiveIntegerField(_("sent by SMS"), default=0)
    verified = models.PositiveIntegerField(_("verified"), default=0)
    sms_segments = models.PositiveIntegerField(_("SMS segments"), default=0)
    sms_cost = models.DecimalField(_("SMS cost (VND)"), max_digits=16, decimal_places=2, default=0)
    # The codes' messages as DailyCount priced them (event "otp:<purpose>"): one pricing.
    zns_cost = models.DecimalField(_("ZNS cost (VND)"), max_digits=16, decimal_places=2, default=0)
    # Codes by time from the request to Zalo's acceptance of their message, one count per
    # bucket of zns_notify.reports.codes.WIRE_BUCKETS: percentiles over any range of days
    # are read from the summed lists, as the delivery latency is from DailyLatency.
    wire_buckets = models.JSONField(_("time to the wire (bucket counts)"), default=list)

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["day", "purpose"], name="zns_dailyotp_day_purpose")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.purpose}: {self.requested}"


class DailyJourney(DailyFigures):
    """The messages of one day sent under a ZNS Journey (docs/journeys.md), by template and
    event: ``messages`` counts them (any status), and what they cost against what they
    would have cost one by one (:mod:`zns_notify.reports.journeys`).

    A journey's token is counted with its first message (the first Zalo accepted under it:
    Zalo bills the token then), on that message's day and template; the journey's later
    messages cost ``message_price`` each. Their one-by-one cost is their template's price,
    the one ``DailyCount`` keeps for the day: one pricing of messages."""

    #: Of ``messages``, the delivered ones outside development mode: those Zalo would have
    #: billed one by one.
    delivered = models.PositiveIntegerField(_("delivered"), default=0)
    tokens = models.PositiveIntegerField(_("journeys billed"), default=0)
    token_cost = models.DecimalField(
        _("token cost (VND)"), max_digits=16, decimal_places=2, default=0
    )
    # JOURNEY_MESSAGE_PRICE when the day was first computed, kept by later recomputes.
    message_price = models.DecimalField(
        _("price per message under a journey (VND)"), max_digits=10, decimal_places=2, default=0
    )
    message_cost = models.DecimalField(
        _("message cost under journeys (VND)"), max_digits=16, decimal_places=2, default=0
    )
    one_by_one_cost = models.DecimalField(
        _("one-by-one cost (VND)"), max_digits=16, decimal_places=2, default=0
    )
    #: Messages of journey bindings that went as a normal send (``Message.journey_fallback``).
    outside = models.PositiveIntegerField(_("sent outside the journey"), default=0)

    class Meta(DailyFigures.Meta):
        indexes = [models.Index(fields=["day"], name="zns_dailyjourney_day")]
