"""Rate limits of the events endpoint (``ZNS_NOTIFY["API_EVENTS_THROTTLE_RATE"]``) and of the
one-time codes' endpoints (``ZNS_NOTIFY["API_OTP_THROTTLE_RATE"]``, per customer).

The body is read (parsed) here, after authentication and permissions: a body that cannot
be parsed is the same 400 or 415 the view would answer."""

from __future__ import annotations

from collections.abc import Mapping

from rest_framework.throttling import SimpleRateThrottle

from zns_notify.conf import app_settings
from zns_notify.otp.codes import ip_hash


class EventsRateThrottle(SimpleRateThrottle):
    """DRF's scoped throttle, with its rate read from zns_notify's settings (live) rather
    than the host's ``DEFAULT_THROTTLE_RATES``. Counts per user, or per client address for
    an anonymous request, in Django's default cache."""

    scope = "zns_notify_events"

    def get_rate(self) -> str | None:
        return app_settings.API_EVENTS_THROTTLE_RATE

    def get_cache_key(self, request, view) -> str:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            ident = f"user:{user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class OtpRateThrottle(EventsRateThrottle):
    """A count per customer for the one-time codes' two endpoints together: per user and
    the ``client_ip`` the body gives, per user alone when it gives none.

    The caller is usually the shop's one backend user, calling for all its customers: a
    count per user alone would let one customer's calls throttle every other's. The
    client is the codes' (``2001:DB8::1`` and ``2001:db8:0::1`` count together, an IPv6
    address with its /64, an IPv4 address mapped into IPv6 as itself), hashed as their rows
    store it, so the cache holds no address. A ``client_ip`` that is not an address is
    counted with the user's calls without one (the view refuses it anyway)."""

    scope = "zns_notify_otp"

    def get_rate(self) -> str | None:
        return app_settings.API_OTP_THROTTLE_RATE

    def get_cache_key(self, request, view) -> str:
        key = super().get_cache_key(request, view)
        body = request.data
        value = body.get("client_ip") if isinstance(body, Mapping) else None
        if not isinstance(value, str):
            return key
        try:
            # The codes' own canonical, hashed form of the client (zns_notify.otp.codes).
            return f"{key}:ip:{ip_hash(value)}"
        except ValueError:  # not an address: the view refuses it anyway
            return key
