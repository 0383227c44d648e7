"""Rate limits of the events endpoint (``ZNS_NOTIFY["API_EVENTS_THROTTLE_RATE"]``) and of the
one-time codes' endpoints (``ZNS_NOTIFY["API_OTP_THROTTLE_RATE"]``)."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from zns_notify.conf import app_settings


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
    """The same count per user, for the one-time codes' two endpoints together."""

    scope = "zns_notify_otp"

    def get_rate(self) -> str | None:
        return app_settings.API_OTP_THROTTLE_RATE
