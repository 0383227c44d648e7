"""The statuses ORDER_STATUS_EVENTS maps, against the ones Oscar's orders can take.

Oscar's ``Order.set_status`` refuses a status its ``OSCAR_ORDER_STATUS_PIPELINE`` does not
offer, so a mapped status that is not there (a typo, a renamed status) never fires. The
statuses an order can take: the pipeline's keys and targets, and
``OSCAR_INITIAL_ORDER_STATUS``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.utils.translation import gettext as _

from zns_notify.conf import app_settings


def oscar_statuses() -> list[str]:
    """Every status an Oscar order can take, in the pipeline's order."""
    pipeline = getattr(settings, "OSCAR_ORDER_STATUS_PIPELINE", None) or {}
    statuses = [getattr(settings, "OSCAR_INITIAL_ORDER_STATUS", None)]
    for status, targets in pipeline.items():
        statuses += [status, *targets]
    return list(dict.fromkeys(s for s in statuses if s))


@register(Tags.compatibility)
def check_status_pipeline(app_configs=None, **kwargs) -> list[Warning]:
    known = oscar_statuses()
    listed = ", ".join(repr(status) for status in known) or _("none")
    return [
        Warning(
            _(
                'ZNS_NOTIFY["ORDER_STATUS_EVENTS"] maps the status %(status)r to '
                "%(event)r, but no Oscar order can take that status: the event never fires."
            )
            % {"status": status, "event": event},
            hint=_(
                "The statuses of OSCAR_ORDER_STATUS_PIPELINE and OSCAR_INITIAL_ORDER_STATUS: "
                "%(statuses)s. Correct the status in ORDER_STATUS_EVENTS, or add it to "
                "the pipeline."
            )
            % {"statuses": listed},
            id="zns_notify_oscar.W001",
        )
        for status, event in app_settings.ORDER_STATUS_EVENTS.items()
        if status not in known
    ]
