"""Data model: the Zalo account, templates, event bindings and the message outbox/log."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .fallback_triggers import default_triggers

#: The window is a wait for a receipt; a day is already longer than any ZNS timeout.
MAX_SMS_WINDOW_MINUTES = 24 * 60


class ZaloAccountQuerySet(models.QuerySet):
    def current(self) -> ZaloAccount | None:
        """The account messages are sent from: the oldest active one."""
        return self.filter(is_active=True).order_by("pk").first()


class ZaloAccount(models.Model):
    """A connected Zalo Official Account and its OAuth token pair."""

    oa_id = models.CharField(_("OA id"), max_length=64, blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    access_token = models.TextField(_("access token"), blank=True, editable=False)
    refresh_token = models.TextField(_("refresh token"), blank=True, editable=False)
    access_token_expires_at = models.DateTimeField(_("access token expires at"), null=True)
    refresh_token_expires_at = models.DateTimeField(_("refresh token expires at"), null=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Set when Zalo refuses the refresh token: the grant is gone and only a reconnect
    # (OAuth in the admin, or `zns_tokens set`) brings it back. Sends wait meanwhile.
    needs_reconnect = models.BooleanField(_("needs reconnect"), default=False, editable=False)
    reconnect_reason = models.TextField(_("reconnect reason"), blank=True, editable=False)
    needs_reconnect_since = models.DateTimeField(
        _("needs reconnect since"), null=True, blank=True, editable=False
    )
    # The single-flight refresh lease (zns_notify.tokens): who is rotating the pair, since when.
    refresh_owner = models.CharField(max_length=64, blank=True, editable=False)
    refresh_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ZaloAccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("Zalo account")
        verbose_name_plural = _("Zalo accounts")
        # Connecting an OA hands this app the OA's send rights: its own permission, not
        # "change" (docs/permissions.md).
        permissions = [("connect_zaloaccount", _("Can connect the Zalo OA"))]

    def __str__(self) -> str:
        return self.name or self.oa_id or _("Zalo account #%(pk)s") % {"pk": self.pk}

    @property
    def is_connected(self) -> bool:
        return bool(self.access_token and self.refresh_token)


class Template(models.Model):
    """A ZNS template as Zalo knows it, synced from its template API."""

    class Status(models.TextChoices):
        ENABLE = "ENABLE", _("Enabled")
        PENDING_REVIEW = "PENDING_REVIEW", _("Pending review")
        REJECT = "REJECT", _("Rejected")
        DISABLE = "DISABLE", _("Disabled")
        DELETE = "DELETE", _("Deleted")

    template_id = models.CharField(_("Zalo template id"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=255)
    # choices label the known statuses; an unknown one Zalo may add is stored as it comes.
    status = models.CharField(
        _("status"), max_length=32, choices=Status.choices, default=Status.PENDING_REVIEW
    )
    tag = models.CharField(
        _("tag"), max_length=32, blank=True, help_text=_("TRANSACTION, CUSTOMER_CARE or PROMOTION.")
    )
    zalo_tag = models.CharField(
        _("tag as Zalo sent it"),
        max_length=32,
        blank=True,
        help_text=_("Old (IN_TRANSACTION, POST_TRANSACTION…) or new vocabulary; tag is its group."),
    )
    params = models.JSONField(
        _("parameters"),
        default=list,
        blank=True,
        help_text=_("Parameter specs from Zalo: name, require, type, min/max length, accept null."),
    )
    buttons = models.JSONField(_("buttons"), default=list, blank=True)
    quality = models.CharField(_("quality"), max_length=16, blank=True)
    price = models.DecimalField(
        _("price (VND)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    price_uid = models.DecimalField(
        _("price by Zalo user id (VND)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    preview_url = models.URLField(_("preview URL"), max_length=500, blank=True)
    timeout_ms = models.PositiveIntegerField(_("delivery timeout (ms)"), null=True, blank=True)
    reason = models.TextField(_("Zalo's review note"), blank=True)
    synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)
    missing_since = models.DateTimeField(
        _("missing from Zalo since"),
        null=True,
        blank=True,
        help_text=_("Set when a full sync no longer finds the template in Zalo's list."),
    )
    params_changed_at = models.DateTimeField(_("parameters changed at"), null=True, blank=True)
    sync_note = models.TextField(
        _("sync note"),
        blank=True,
        help_text=_("What the last sync noticed: a change or a disappearance."),
    )

    class Meta:
        verbose_name = _("template")
        verbose_name_plural = _("templates")
        ordering = ["template_id"]

    def __str__(self) -> str:
        return f"{self.template_id} · {self.name}"

    @property
    def is_sendable(self) -> bool:
        return self.status == self.Status.ENABLE

    def param_specs(self) -> dict[str, dict]:
        return {spec["name"]: spec for spec in self.params or []}


class Binding(models.Model):
    """Sends one template when one event happens, with each param rendered from the order."""

    name = models.CharField(_("name"), max_length=200, blank=True)
    event = models.CharField(_("event"), max_length=64)
    template = models.ForeignKey(
        Template, on_delete=models.PROTECT, related_name="bindings", verbose_name=_("template")
    )
    params = models.JSONField(
        _("parameter expressions"),
        default=dict,
        blank=True,
        help_text=_(
            "One Django template snippet per template parameter, e.g. "
            '{"order_code": "{{ order_code }}", "total_amount": "{{ order.total|vnd }}"}.'
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Policy (docs/policy.md): the message waits this long after its event, and is
    # cancelled at send time when the condition no longer holds.
    delay_minutes = models.PositiveIntegerField(
        _("delay (minutes)"),
        default=0,
        help_text=_("Send this many minutes after the event (0: at once)."),
    )
    condition = models.TextField(
        _("condition"),
        blank=True,
        help_text=_(
            "Optional. A condition in Django's template if-tag syntax over the same variables "
            'as the parameters, checked when the message is due, e.g. order.status == "new". '
            "When it no longer holds, the message is cancelled."
        ),
    )
    # The SMS fallback (docs/fallback.md): when Zalo cannot deliver, this text goes out
    # as an SMS, at once for the outcomes in sms_triggers, else after the window.
    sms_enabled = models.BooleanField(
        _("SMS fallback"),
        default=False,
        help_text=_("Send the SMS text when Zalo cannot deliver the message."),
    )
    sms_text = models.TextField(
        _("SMS text"),
        blank=True,
        help_text=_(
            "A Django template over the same variables as the parameters, plus params (the "
            'rendered ZNS parameters), e.g. "Don hang {{ order_code }} da duoc giao." '
            "Rendered when the SMS is sent."
        ),
    )
    sms_window_minutes = models.PositiveIntegerField(
        _("SMS window (minutes)"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SMS_WINDOW_MINUTES)],
        help_text=_(
            "Without a delivery receipt this long after Zalo accepted the message, the SMS is sent."
        ),
    )
    sms_triggers = models.JSONField(
        _("SMS at once when"),
        default=default_triggers,
        blank=True,
        help_text=_(
            "A list of the ZNS outcomes that send the SMS without waiting for the "
            "window: not_on_zalo, refused, template, quota, failed, undelivered "
            "(docs/fallback.md)."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("binding")
        verbose_name_plural = _("bindings")
        ordering = ["event", "pk"]
        indexes = [models.Index(fields=["event", "is_active"], name="zns_binding_event_active")]

    def __str__(self) -> str:
        return self.name or f"{self.event} → {self.template_id}"

    def clean(self) -> None:
        from .binding_validation import validate_binding

        validate_binding(self)


#: Statuses of a message not sent yet: the due index's rows, left out of the partial
#: status index (an insert, always "queued", does not touch it).
UNSENT_STATUSES = ("queued", "sending")


class Message(models.Model):
    """One ZNS message: the outbox row the worker sends and the delivery log operators read."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")
        CANCELLED = "cancelled", _("Cancelled")
        UNDELIVERED = "undelivered", _("Undelivered")

    FINAL_STATUSES = frozenset(
        {Status.DELIVERED, Status.FAILED, Status.SKIPPED, Status.CANCELLED, Status.UNDELIVERED}
    )

    idempotency_key = models.CharField(
        _("idempotency key"),
        max_length=48,
        unique=True,
        help_text=_("One per (binding, order, event); also sent to Zalo as tracking_id."),
    )
    event = models.CharField(_("event"), max_length=64)
    # No FK indexes: the hot path inserts these rows inside the shop's order transaction,
    # and every index is paid there. Lookups go through the indexes declared in Meta.
    binding = models.ForeignKey(
        Binding,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="messages",
        verbose_name=_("binding"),
    )
    template = models.ForeignKey(
        Template,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="messages",
        verbose_name=_("template"),
    )
    zalo_template_id = models.CharField(_("Zalo template id"), max_length=32, blank=True)
    order_type = models.CharField(_("order model"), max_length=100, blank=True)
    order_pk = models.CharField(_("order primary key"), max_length=64, blank=True)
    order_ref = models.CharField(_("order reference"), max_length=64, blank=True)
    phone = models.CharField(
        _("phone"), max_length=20, blank=True, help_text=_("Normalized as 84xxxxxxxxx.")
    )
    params = models.JSONField(_("rendered parameters"), default=dict, blank=True)
    development_mode = models.BooleanField(_("development mode"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    msg_id = models.CharField(_("Zalo message id"), max_length=64, blank=True)
    error_code = models.IntegerField(_("Zalo error code"), null=True, blank=True)
    error_category = models.CharField(_("error category"), max_length=32, blank=True)
    error_message = models.TextField(_("reason"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Counted so that possible duplicates are visible and measurable (zns_notify.ambiguity).
    ambiguous_sends = models.PositiveSmallIntegerField(
        _("ambiguous sends"),
        default=0,
        editable=False,
        help_text=_(
            "Attempts whose outcome is unknown: Zalo may have accepted them without "
            "answering (a timeout, HTTP 5xx, a worker that died while sending)."
        ),
    )
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    # Set when zns_notify's outbox broker hands the row to a worker (a lease, so that the
    # next poll does not hand it out again); cleared when a worker claims it.
    relayed_at = models.DateTimeField(_("relayed at"), null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    # The reconciler (zns_notify.reconcile): when it last asked Zalo's status API about a
    # sent message without a receipt, and when it asks next (None: RECONCILE_AFTER after
    # sent_at). NULL when the row is inserted; no index (the hot path pays for none).
    status_checked_at = models.DateTimeField(
        _("status checked at"), null=True, blank=True, editable=False
    )
    next_status_check_at = models.DateTimeField(
        _("next status check at"), null=True, blank=True, editable=False
    )
    # An operator's resend (zns_notify.log_actions): the message this one copies. No index
    # (db_index=False): the shop's insert pays nothing for it; the original finds its copies
    # through its own timeline note instead. No constraint and DO_NOTHING: deleting old
    # messages (a host's retention job) must not scan the table for copies to update; a
    # copy may then name a message that is gone (only resent_from_id is ever read).
    resent_from = models.ForeignKey(
        "self",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        db_index=False,
        related_name="resends",
        editable=False,
        verbose_name=_("resend of"),
    )

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-pk"]
        # docs/permissions.md: what each one allows in the admin and the API.
        permissions = [
            ("view_full_phone", _("Can see full phone numbers")),
            ("resend_message", _("Can resend messages")),
            ("cancel_message", _("Can cancel waiting messages")),
        ]
        indexes = [
            # Partial: rows are inserted without a msg_id, so the insert in the shop's
            # transaction does not touch this index; Zalo's msg_id arrives later.
            models.Index(
                fields=["msg_id"], name="zns_message_msg_id", condition=~models.Q(msg_id="")
            ),
            # The relay, the sweeper and a task's top-up ask for the oldest due rows,
            # ORDER BY next_attempt_at, id: with the id in the index the scan stops after
            # the batch instead of sorting the whole backlog, and PostgreSQL no longer walks
            # the primary key past every sent row (docs/performance.md).
            models.Index(fields=["status", "next_attempt_at", "id"], name="zns_message_due_order"),
            models.Index(fields=["order_type", "order_pk"], name="zns_message_order"),
            # The message log's admin at a million rows (docs/performance.md): its ordering
            # (-created_at, -pk) and date filter, read backwards along one index that also
            # serves the event/template/category filters by stopping after a page of
            # matches; the status filter in the same order (without it SQLite takes the due
            # index above and sorts 800,000 delivered rows: 1.8 s), partial so that the
            # insert, always "queued", skips it (the worker pays when the status changes;
            # queued and sending rows are the due index's); and the exact searches by order
            # reference and phone. Three indexes the hot path pays for (bench/hot_path.py).
            models.Index(fields=["created_at", "id"], name="zns_message_created"),
            models.Index(
                fields=["status", "created_at", "id"],
                name="zns_message_status_created",
                condition=~models.Q(status__in=UNSENT_STATUSES),
            ),
            # The error-category filter, newest first; partial, so that neither the insert
            # (no category) nor a clean send touches it: only a failure or a policy decision.
            models.Index(
                fields=["error_category", "created_at", "id"],
                name="zns_message_category_created",
                condition=~models.Q(error_category=""),
            ),
            models.Index(fields=["order_ref"], name="zns_message_order_ref"),
            models.Index(fields=["phone"], name="zns_message_phone"),
        ]

    def __str__(self) -> str:
        return f"{self.event} · {self.order_ref or self.order_pk} · {self.get_status_display()}"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL_STATUSES


class MessageEvent(models.Model):
    """Append-only timeline of a message: attempts with Zalo's answers, receipts."""

    class Kind(models.TextChoices):
        ATTEMPT = "attempt", _("Send attempt")
        RECEIPT = "receipt", _("Delivery receipt")
        NOTE = "note", _("Note")
        POLICY = "policy", _("Policy decision")

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="timeline", verbose_name=_("message")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    status = models.CharField(_("resulting status"), max_length=16, blank=True)
    error_code = models.IntegerField(_("Zalo error code"), null=True, blank=True)
    detail = models.TextField(_("detail"), blank=True)
    # What was asked of Zalo and what it answered, for an attempt ({"request": …,
    # "answer": …}, never the access token: it travels in a header); for an operator's
    # note, who did what ({"user": …, "resent_as"/"resent_from": pk}). NULL otherwise.
    payload = models.JSONField(_("payload"), null=True, blank=True)

    class Meta:
        verbose_name = _("message event")
        verbose_name_plural = _("message events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return str(self.get_kind_display())


# The quota ledger and sending holds live in their own module.
from .models_quota import SendingHold, ZaloQuota  # noqa: E402,F401

# Received webhooks and customers' ratings, likewise.
from .models_webhooks import MessageFeedback, WebhookEvent  # noqa: E402,F401

# The idempotency keys of events reported through the REST API.
from .models_api import EventReport  # noqa: E402,F401

# The policy engine's opt-outs and per-recipient daily counts.
from .models_policy import RecipientDailyCount, RecipientOptOut  # noqa: E402,F401

# The reports' daily aggregates (zns_notify.rollup keeps them current).
from .models_reports import (  # noqa: E402,F401
    DailyCount,
    DailyFailure,
    DailyLatency,
    ReportDay,
    ReportRefresh,
)

# The SMS fallback step of a message (docs/fallback.md).
from .models_fallback import FallbackStep  # noqa: E402,F401
