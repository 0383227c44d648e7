"""The delivery log's detail page, "ZNS Journey" block (docs/operators/delivery-log.md): how
the message went (under its order's journey, or outside it and why), the journey (Zalo's
id, token type, state, when Zalo billed it, its messages), and this message's price one by
one against under the journey, with the journey's totals (:mod:`zns_notify.reports.journeys`).
Costs are the reports' (docs/permissions.md): shown to staff who may view the reports only
(:func:`can_see_costs`). Three queries at most, on a message of a journey binding only."""

from __future__ import annotations

from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from zns_notify.admin.log_format import status_label, when
from zns_notify.conf import app_settings
from zns_notify.display import formats
from zns_notify.log.journeys import message_journey_text, type_label
from zns_notify.models import Journey, Message, under_journey
from zns_notify.reports.journeys import journey_cost

#: The journey's messages listed (a delivery stage has a handful).
SHOWN_MESSAGES = 20


#: What the delivery reports ask of staff; their costs ask the same.
VIEW_REPORTS = "zns_notify.view_reports"


def can_see_costs(request) -> bool:
    """Prices, costs and savings are for staff who may view the delivery reports."""
    return request.user.is_active and request.user.has_perm(VIEW_REPORTS)


def journey_html(message: Message, *, costs: bool) -> str:
    """The block; ``costs``: with the prices, the journey's cost and its saving."""
    rows = [(_("sent"), message_journey_text(message)), *(_price_rows(message) if costs else [])]
    journey = message.journey if message.journey_id else None
    if journey is not None:
        rows += _journey_rows(message, journey, costs)
    return format_html(
        '<table class="zns-journey-detail">{}</table>',
        format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td></tr>",
            ((capfirst(label), value) for label, value in rows if value not in ("", None)),
        ),
    )


def _price_rows(message: Message) -> list[tuple[str, str]]:
    price = message.template.price if message.template_id and message.template else None
    one_by_one = (
        _("%(price)s (the template's price)") % {"price": formats.money(price)}
        if price is not None
        else _("unknown: the template has no synced price")
    )
    if not message.journey_id:
        return [(_("one by one"), one_by_one)]
    under = _("%(price)s per delivered message (JOURNEY_MESSAGE_PRICE)") % {
        "price": formats.money(app_settings.JOURNEY_MESSAGE_PRICE)
    }
    return [(_("one by one"), one_by_one), (_("under the journey"), under)]


def _journey_rows(message: Message, journey: Journey, costs: bool) -> list[tuple[str, str]]:
    shown = list(
        Message.objects.filter(under_journey(), journey=journey)
        .order_by(Coalesce("sent_at", "delivered_at"), "pk")
        .values_list("pk", "event", "zalo_template_id", "status")[:SHOWN_MESSAGES]
    )
    first = shown[0][0] if shown else None
    cost = journey_cost(journey) if costs else None
    link = format_html(
        '<a href="{}">{}</a>',
        reverse("admin:zns_notify_journey_change", args=[journey.pk]),
        journey.order_ref or journey.order_pk or journey.pk,
    )
    billed = _("not billed")
    if journey.is_billed:
        billed = when(journey.first_sent_at, "DATETIME_FORMAT")
        if cost is not None:
            billed = _("%(when)s, %(price)s") % {
                "when": billed,
                "price": formats.money(cost.token_cost),
            }
        if first == message.pk:
            billed = _("%(billed)s: with this message, the journey's first") % {"billed": billed}
    return [
        (_("journey"), link),
        (_("Zalo journey id"), journey.journey_id),
        (_("token type"), type_label(journey.token_type)),
        (_("state"), journey.get_state_display()),
        (_("billed"), billed),
        (_("expires at"), when(journey.expires_at, "DATETIME_FORMAT")),
        (
            _("the journey in all"),
            _("%(cost)s under the journey, %(one_by_one)s one by one: saving %(saving)s")
            % {
                "cost": formats.money(cost.cost),
                "one_by_one": formats.money(cost.one_by_one_cost),
                "saving": formats.money(cost.saving),
            }
            if cost is not None
            else "",
        ),
        (
            _("its messages"),
            format_html(
                "<ul>{}</ul>",
                format_html_join(
                    "",
                    '<li><a href="{}">#{}</a> {} · {} · {}{}</li>',
                    (
                        (
                            reverse("admin:zns_notify_message_change", args=[pk]),
                            pk,
                            event,
                            template_id,
                            status_label(status),
                            _(" (this one)") if pk == message.pk else "",
                        )
                        for pk, event, template_id, status in shown
                    ),
                ),
            ),
        ),
    ]
