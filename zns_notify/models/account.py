"""The Zalo Official Account: its credentials and token pair."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


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
    # Whether Zalo took the current access token yet (zns_notify.account.refusals): a -124
    # for a token it took before means expired (refresh again); a brand-new token refused
    # on first use counts towards ``fresh_token_refusals``, and that many in a row mean the
    # OA must be reconnected (the refresh itself works, yet no new token does).
    token_state = models.CharField(
        max_length=8,
        choices=[("new", "new"), ("accepted", "accepted"), ("refused", "refused")],
        default="new",
        editable=False,
    )
    fresh_token_refusals = models.PositiveSmallIntegerField(default=0, editable=False)
    # The single-flight refresh lease (zns_notify.account.tokens): who is rotating the pair,
    # since when.
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
