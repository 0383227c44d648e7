"""The message outbox/log and its append-only timeline."""

from __future__ import annotations

from django.db import connection, models
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zns_notify.lib.json_bounds import TolerantDecoder
from zns_notify.models.bindings import Binding, Template
from zns_notify.models.journeys import Journey

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
    # Counted so that possible duplicates are visible and measurable (zns_notify.sending.ambiguity).
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
    # While "sending": when the worker last renewed its lease on the row (the claim, then
    # every third of SEND_LEASE while it works on it; zns_notify.sending.lease).
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    # The claim (its ``attempts``) whose request has not gone to Zalo yet: set by the claim,
    # cleared right before the request is handed to the HTTP pool. A "sending" row whose
    # lease ran out with unsent_attempt == attempts was never sent: it is queued again at
    # once instead of waiting as an ambiguous send. Any other value (NULL on rows claimed
    # before this column existed) counts as sent, the safe side.
    unsent_attempt = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    # The worker process that made the last claim, "host:pid": an operator (or the fault
    # suite) can tell whose rows a dead worker left.
    claimed_by = models.CharField(
        _("claimed by"), max_length=100, blank=True, default="", editable=False
    )
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
    # An operator's resend (zns_notify.log.actions): the message this one copies. No index
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

    # ZNS Journey (docs/journeys.md): the token type the binding asked for when the row was
    # written; the journey its send carries, linked before the request goes (under it once
    # Zalo took it: ``is_under_journey``); and, when it went as a normal send instead, why
    # (zns_notify.journeys.attempts).
    journey_type = models.CharField(_("journey token type"), max_length=32, blank=True)
    journey = models.ForeignKey(
        Journey,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="messages",
        verbose_name=_("journey"),
    )
    journey_fallback = models.CharField(
        _("sent outside the journey because"), max_length=32, blank=True
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
            # A journey's messages; partial, so that the insert (no journey yet) skips it.
            models.Index(
                fields=["journey"],
                name="zns_message_journey",
                condition=models.Q(journey__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} · {self.order_ref or self.order_pk} · {self.get_status_display()}"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL_STATUSES

    @property
    def is_under_journey(self) -> bool:
        """Zalo took the message under its journey (:func:`under_journey`), read from the
        row's own columns."""
        return bool(self.journey_id) and (
            self.status in TAKEN_STATUSES or self.delivered_at is not None
        )


#: A message Zalo accepted (delivered or not since).
TAKEN_STATUSES = ("sent", "delivered", "undelivered")


def under_journey(prefix: str = "") -> models.Q:
    """The messages Zalo took under their journey: linked to it (the run links a journey
    message before its request goes, so a lost answer keeps it) and accepted, or delivered
    after all (a receipt settled the send whose answer was lost, or came after it was failed).
    Linked but not taken: in flight, or waiting for its unknown outcome. ``prefix``: the path
    to the message (``"messages__"`` from a journey)."""
    return models.Q(**{f"{prefix}journey__isnull": False}) & (
        models.Q(**{f"{prefix}status__in": TAKEN_STATUSES})
        | models.Q(**{f"{prefix}delivered_at__isnull": False})
    )


# The conditions of Message's partial indexes (Meta.indexes above), for the queries that
# must be served by them: kept beside the indexes so the two change together.


def partial_index_condition(field: str, excluded: str) -> RawSQL:
    """``NOT (<field> <excluded>)``, a partial index's own condition with constants as
    literals: SQLite uses a partial index only when the query repeats its condition, and a
    bound parameter (what ``exclude(…)`` gives) does not count as a repetition."""
    table = connection.ops.quote_name(Message._meta.db_table)
    column = connection.ops.quote_name(Message._meta.get_field(field).column)
    return RawSQL(f"NOT ({table}.{column} {excluded})", [], output_field=models.BooleanField())


def sent_status_condition() -> RawSQL:
    """The partial status index's condition: neither queued nor sending."""
    literals = ", ".join(f"'{status}'" for status in UNSENT_STATUSES)  # constants, not input
    return partial_index_condition("status", f"IN ({literals})")


def categorized_condition() -> RawSQL:
    """The partial category index's condition: a category is set."""
    return partial_index_condition("error_category", "= ''")


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
    # Zalo's answer is outside data: a row nested too deeply for Python's parser (stored
    # before sending.record bounded it) reads as a marker instead of breaking the page.
    payload = models.JSONField(_("payload"), null=True, blank=True, decoder=TolerantDecoder)

    class Meta:
        verbose_name = _("message event")
        verbose_name_plural = _("message events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return str(self.get_kind_display())


# The quota ledger and sending holds live in their own module.
