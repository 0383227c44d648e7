"""The OA's quota ledger, its sending quality and sending holds (imported by
:mod:`zns_notify.models`).

Both are read by the worker before it calls Zalo (never on the event hot path): a day whose
remaining quota is zero, or an active hold, makes a message wait instead of being sent.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ZaloQuota(models.Model):
    """One OA's ZNS quota on one day (Asia/Ho_Chi_Minh), from /message/quota and from the
    quota each accepted send echoes."""

    account = models.ForeignKey(
        "zns_notify.ZaloAccount",
        on_delete=models.CASCADE,
        related_name="quotas",
        verbose_name=_("Zalo account"),
    )
    day = models.DateField(_("day"))
    daily_quota = models.PositiveIntegerField(_("daily quota"), null=True, blank=True)
    remaining_quota = models.PositiveIntegerField(_("remaining"), null=True, blank=True)
    daily_promotion_quota = models.PositiveIntegerField(
        _("daily promotion quota"), null=True, blank=True
    )
    remaining_promotion_quota = models.PositiveIntegerField(
        _("remaining promotion quota"), null=True, blank=True
    )
    monthly_promotion_quota = models.PositiveIntegerField(
        _("monthly promotion quota"), null=True, blank=True
    )
    remaining_monthly_promotion_quota = models.PositiveIntegerField(
        _("remaining monthly promotion quota"), null=True, blank=True
    )
    # Zalo's answer had no daily limit (-1, empty or missing: the 2026 "unrestricted" tier,
    # whose /message/quota value is undocumented): sends are never held for the quota.
    unlimited = models.BooleanField(_("no daily limit"), default=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("daily quota")
        verbose_name_plural = _("daily quotas")
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["account", "day"], name="zns_quota_account_day"),
        ]

    def __str__(self) -> str:
        if self.unlimited:
            return f"{self.day}: no limit"
        return f"{self.day}: {self.remaining_quota}/{self.daily_quota}"

    @property
    def used(self) -> int | None:
        if self.daily_quota is None or self.remaining_quota is None:
            return None
        return max(self.daily_quota - self.remaining_quota, 0)


class ZaloQuality(models.Model):
    """One OA's sending quality as Zalo last rated it (``GET /quality``, read by
    :mod:`zns_notify.account.quality`): over the last 48 hours and over 7 days. Zalo lowers
    the tier, and so the daily quota, of an OA whose quality is low."""

    class Level(models.TextChoices):
        # Zalo's words (zns-api.md §6), best first.
        HIGH = "HIGH", _("High")
        MEDIUM = "MEDIUM", _("Medium")
        LOW = "LOW", _("Low")
        UNDEFINED = "UNDEFINED", _("Undefined (too few messages to judge)")

    account = models.OneToOneField(
        "zns_notify.ZaloAccount",
        on_delete=models.CASCADE,
        related_name="quality",
        verbose_name=_("Zalo account"),
    )
    # Empty: Zalo's answer had no figure, or one that is none of its words.
    current = models.CharField(
        _("quality, last 48 hours"), max_length=9, choices=Level.choices, blank=True
    )
    seven_day = models.CharField(
        _("quality, last 7 days"), max_length=9, choices=Level.choices, blank=True
    )
    read_at = models.DateTimeField(_("read at"), default=timezone.now)

    class Meta:
        verbose_name = _("sending quality")
        verbose_name_plural = _("sending quality")

    def __str__(self) -> str:
        return f"{self.current or '?'} (7 days: {self.seven_day or '?'})"


class SendingHold(models.Model):
    """Zalo refused a send for a reason only an administrator can fix (configuration,
    billing, a template not approved): sending for the whole account, or for one template,
    pauses until ``until``; messages wait instead of failing one by one."""

    account = models.ForeignKey(
        "zns_notify.ZaloAccount",
        on_delete=models.CASCADE,
        related_name="holds",
        verbose_name=_("Zalo account"),
    )
    template = models.ForeignKey(
        "zns_notify.Template",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="holds",
        verbose_name=_("template"),
        help_text=_("Empty: the hold applies to every message of the account."),
    )
    error_code = models.IntegerField(_("Zalo error code"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("since"), default=timezone.now)
    until = models.DateTimeField(
        _("until"),
        help_text=_("Sending is tried again at this time; release the hold to try now."),
    )

    class Meta:
        verbose_name = _("sending hold")
        verbose_name_plural = _("sending holds")
        ordering = ["-until"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "template"], name="zns_hold_account_template"
            ),
            models.UniqueConstraint(
                fields=["account"],
                name="zns_hold_account_wide",
                condition=models.Q(template__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.reason[:80] or str(self.error_code)

    @property
    def is_active(self) -> bool:
        return self.until > timezone.now()
