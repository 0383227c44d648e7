"""One-time codes (imported by :mod:`zns_notify.models`): one row per code requested for a
phone and a purpose, and one per check of a code from a known client IP. The code itself
is never stored, only its keyed hash (:mod:`zns_notify.otp.codes`); the client's IP
likewise."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zns_notify.lib.phones import mask

#: The ``Message.event`` of a code's message starts with this, then the purpose. A colon
#: is not allowed in a shop's event names (zns_notify.events.notify.EVENT_NAME), so no
#: order event is ever taken for one, and the displays know which parameters to hide.
OTP_EVENT_PREFIX = "otp:"


def otp_event(purpose: str) -> str:
    """The ``Message.event`` of a code sent for ``purpose`` (the column holds 64)."""
    return f"{OTP_EVENT_PREFIX}{purpose}"[:64]


def is_code_event(event: str | None) -> bool:
    """Whether a message of ``event`` carries a one-time code."""
    return str(event or "").startswith(OTP_EVENT_PREFIX)


#: What an operator reads instead of a one-time code, wherever one could show: a parameter
#: of its message, the SMS step's stored text, a provider's echo.
HIDDEN_CODE = "••••••"


def holds_code(message) -> bool:
    """Whether ``message`` (a Message) carries a one-time code in its parameters."""
    return is_code_event(getattr(message, "event", ""))


def dead_code_status(message_pk: int, now) -> str | None:
    """Why the one-time code that message ``message_pk`` carries may no longer be sent:
    its challenge's status (verified, superseded, locked, expired: a pending code past
    its time, or a row already deleted, counts as expired); None while the code works.
    Asked before its ZNS send (zns_notify.policy.rules) and its SMS
    (zns_notify.fallback.codes): the customer never holds two codes that work."""
    row = (
        OtpChallenge.objects.filter(message_id=message_pk)
        .values_list("status", "expires_at")
        .first()
    )
    if row is None:
        return OtpChallenge.Status.EXPIRED
    status, expires_at = row
    if status != OtpChallenge.Status.PENDING:
        return status
    return OtpChallenge.Status.EXPIRED if expires_at <= now else None


def not_sent_because(status: str) -> str:
    """The note on a code's message cancelled before it was sent, by its code's status."""
    return {
        OtpChallenge.Status.SUPERSEDED: gettext(
            "Cancelled before it was sent: the one-time code was replaced by a newer request."
        ),
        OtpChallenge.Status.VERIFIED: gettext(
            "Cancelled before it was sent: the one-time code was already used."
        ),
        OtpChallenge.Status.LOCKED: gettext(
            "Cancelled before it was sent: the one-time code was locked after too many wrong codes."
        ),
    }.get(status) or gettext("Cancelled before it was sent: the one-time code expired.")


class OtpChallenge(models.Model):
    """A code sent to a phone for a purpose, and what became of it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        VERIFIED = "verified", _("Verified")
        EXPIRED = "expired", _("Expired")
        LOCKED = "locked", _("Locked (too many wrong codes)")
        SUPERSEDED = "superseded", _("Superseded by a newer code")

    class Channel(models.TextChoices):
        ZNS = "zns", _("Zalo (ZNS)")
        SMS = "sms", _("SMS")

    phone = models.CharField(_("phone"), max_length=20, help_text=_("Normalized as 84xxxxxxxxx."))
    purpose = models.CharField(_("purpose"), max_length=64)
    code_hash = models.CharField(_("code hash"), max_length=64, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    channel = models.CharField(
        _("channel"), max_length=8, choices=Channel.choices, default=Channel.ZNS
    )
    message = models.ForeignKey(
        "zns_notify.Message",
        verbose_name=_("message"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    tries_used = models.PositiveSmallIntegerField(_("wrong codes entered"), default=0)
    ip_hash = models.CharField(_("client IP hash"), max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("requested at"))
    expires_at = models.DateTimeField(_("expires at"))
    consumed_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    # When the code was taken out of its message (zns_notify.otp.clearing); null while the
    # message may still need it, so the sweep knows which rows are left to clear.
    code_cleared_at = models.DateTimeField(
        _("code cleared from the message at"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        ordering = ["-created_at"]
        indexes = [
            # The cooldown, the per-phone limit and the verify lookup read a phone's
            # recent rows; the per-purpose and per-IP limits theirs.
            models.Index(fields=["phone", "created_at"], name="zns_otp_phone_idx"),
            models.Index(fields=["purpose", "created_at"], name="zns_otp_purpose_idx"),
            models.Index(fields=["ip_hash", "created_at"], name="zns_otp_ip_idx"),
            # The daily prune of old rows (zns_notify.otp.pruning) reads the oldest first,
            # and the reports' rollup one local day of requests, whatever their purpose
            # (zns_notify.reports.codes); the other indexes all lead with another column.
            models.Index(fields=["created_at"], name="zns_otp_created_idx"),
            # The sweep's rows still to clear: few, whatever the table's size.
            models.Index(
                fields=["expires_at"],
                condition=Q(code_cleared_at__isnull=True),
                name="zns_otp_uncleared_idx",
            ),
        ]
        constraints = [
            # Never two live codes for one (phone, purpose), even when two requests race:
            # the second insert fails instead of leaving an older code usable.
            models.UniqueConstraint(
                fields=["phone", "purpose"],
                condition=Q(status="pending"),
                name="zns_otp_one_live_code",
            ),
        ]

    def __str__(self) -> str:
        return f"{mask(self.phone)} · {self.purpose}"


class OtpCheck(models.Model):
    """One check of a code by a client whose IP is known (its keyed hash): what the per-IP
    limit on checks counts (``OTP_VERIFY_LIMIT_PER_IP``, :mod:`zns_notify.otp.limits`).
    Neither the phone nor the code is kept: the limit is over all phones."""

    ip_hash = models.CharField(_("client IP hash"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("checked at"))

    class Meta:
        verbose_name = _("check of a one-time code")
        verbose_name_plural = _("checks of one-time codes")
        indexes = [
            models.Index(fields=["ip_hash", "created_at"], name="zns_otp_check_ip_idx"),
            # The daily prune of old rows reads the oldest first.
            models.Index(fields=["created_at"], name="zns_otp_check_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ip_hash[:8]}… · {self.created_at:%Y-%m-%d %H:%M:%S}"
